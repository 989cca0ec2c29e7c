//! Target-directed frames read from `models/stance/frames.tsv`: *Kritik an X*, *Sanktionen
//! gegen X*, *Segen des X*, *X scheiterte*, *X kritisierte Y*.

use super::lexicon::{bad, data_lines, parse_score, read};
use crate::error::Result;
use std::collections::HashMap;
use std::path::Path;

/// Where the target stands relative to the trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The target is the subject of the trigger verb (*X drohte*).
    Subject,
    /// The target is an object of the trigger verb (*… kritisierte X*); the subject gets no
    /// stance from the trigger.
    Object,
    /// Trigger, preposition, target (*Kritik an X*).
    Prep,
    /// Trigger and a genitive target (*Rücktritt des Ministers*, *Segen Moskaus*).
    Genitive,
}

/// One frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The target's role.
    pub role: Role,
    /// Stance toward the target.
    pub polarity: f32,
    /// The preposition of a [`Role::Prep`] frame, lower-cased.
    pub prep: Option<Box<str>>,
    /// A verb of speaking (*kritisieren, loben*): its subject holds the stance.
    pub say: bool,
}

/// All frames, by trigger lemma.
#[derive(Debug, Default, Clone)]
pub struct Frames {
    by_trigger: HashMap<Box<str>, Vec<Frame>>,
    /// Noun triggers, for matching compound heads (*Korruptionsvorwürfe*).
    nouns: Vec<Box<str>>,
}

impl Frames {
    /// Reads a frames file.
    pub fn load(path: &Path) -> Result<Frames> {
        Frames::parse(&read(path)?, path)
    }

    /// Parses `trigger<TAB>role<TAB>polarity[<TAB>preposition[<TAB>say]]` lines.
    pub fn parse(text: &str, path: &Path) -> Result<Frames> {
        let mut frames = Frames::default();
        for (n, line) in data_lines(text) {
            let f: Vec<&str> = line.split('\t').map(str::trim).collect();
            if f.len() < 3 {
                return Err(bad(path, n, "expected trigger<TAB>role<TAB>polarity[<TAB>preposition]"));
            }
            let role = match f[1] {
                "subj" => Role::Subject,
                "obj" => Role::Object,
                "prep" => Role::Prep,
                "gen" => Role::Genitive,
                other => return Err(bad(path, n, format!("unknown role {other:?}"))),
            };
            let prep = f.get(3).filter(|p| !p.is_empty()).map(|p| Box::<str>::from(p.to_lowercase()));
            if role == Role::Prep && prep.is_none() {
                return Err(bad(path, n, "a prep frame needs a preposition"));
            }
            let polarity = parse_score(f[2], path, n)?;
            let say = match f.get(4).copied() {
                None | Some("") => false,
                Some("say") => true,
                Some(other) => return Err(bad(path, n, format!("unknown flag {other:?}"))),
            };
            if f[0].chars().next().is_some_and(char::is_uppercase) && !frames.by_trigger.contains_key(f[0]) {
                frames.nouns.push(f[0].into());
            }
            frames.by_trigger.entry(f[0].into()).or_default().push(Frame { role, polarity, prep, say });
        }
        Ok(frames)
    }

    /// Frames a word triggers, by lemma or form; nouns also by their compound head.
    pub fn lookup(&self, form: &str, lemma: Option<&str>) -> Option<&[Frame]> {
        if let Some(v) = lemma.and_then(|l| self.by_trigger.get(l)) {
            return Some(v);
        }
        if let Some(v) = self.by_trigger.get(form) {
            return Some(v);
        }
        if form.chars().next().is_some_and(char::is_lowercase) {
            for v in super::lexicon::verb_candidates(&form.to_lowercase()) {
                if let Some(f) = self.by_trigger.get(v.as_str()) {
                    return Some(f);
                }
            }
        }
        let word = lemma.unwrap_or(form);
        // *3:2-Niederlage*, *Anti-Doping-Kritik*: the last part is the head.
        if let Some((_, head)) = word.rsplit_once('-').filter(|(_, h)| h.chars().next().is_some_and(char::is_uppercase)) {
            return self.lookup(head, Some(head));
        }
        if word.chars().next().is_some_and(char::is_uppercase) && word.len() > 6 {
            for noun in &self.nouns {
                let head = &noun[noun.len().min(1)..];
                if word.len() > noun.len() && word.ends_with(head) && word.is_char_boundary(word.len() - noun.len()) {
                    // The head's first letter is lower-case inside a compound.
                    let at = word.len() - noun.len();
                    if word[at..].chars().next().is_some_and(|c| c.to_uppercase().eq(noun.chars().take(1))) {
                        return self.by_trigger.get(noun).map(Vec::as_slice);
                    }
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_finds_compound_heads() {
        let f = Frames::parse("# c\nKritik\tprep\t-1\tan\nvorwerfen\tobj\t-1\nVorwurf\tprep\t-1\tgegen\n", Path::new("f")).unwrap();
        assert_eq!(f.lookup("Kritik", Some("Kritik")).map(|v| v[0].role), Some(Role::Prep));
        assert_eq!(f.lookup("Korruptionsvorwürfe", Some("Korruptionsvorwurf")).map(|v| v[0].polarity), Some(-1.0));
        assert!(f.lookup("Haus", None).is_none());
        assert_eq!(f.lookup("3:2-Kritik", None).map(|v| v[0].role), Some(Role::Prep));
        assert!(Frames::parse("Kritik\tprep\t-1\n", Path::new("f")).is_err());
    }
}
