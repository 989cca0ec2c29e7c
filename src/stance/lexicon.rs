//! Word lists of the stance stage: polarity scores, negators, intensifiers and shifters, read
//! from plain text files under `models/stance/` (formats in `models/README.md`).

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::path::Path;

/// How far a negator reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// To the end of the clause.
    Clause,
    /// The next noun phrase (*kein Erfolg*, *ohne Zustimmung*).
    NounPhrase,
}

/// Infinitives a verb form may belong to, for forms the morphology left as adjectives or
/// lemmatised to the participle (*kritisierte → kritisieren*, *gescheitert → scheitern*).
pub fn verb_candidates(lower: &str) -> Vec<String> {
    let mut out = Vec::new();
    for end in ["eten", "ete", "ten", "te", "et", "t", "en", "e"] {
        if let Some(stem) = lower.strip_suffix(end).filter(|s| s.chars().count() >= 3) {
            out.push(format!("{stem}en"));
            if let Some(s) = stem.strip_prefix("ge").filter(|s| s.chars().count() >= 3) {
                out.push(format!("{s}en"));
            }
            if stem.ends_with('l') || stem.ends_with('r') {
                out.push(format!("{stem}n"));
            }
        }
    }
    out
}

/// The stance word lists.
#[derive(Debug, Default, Clone)]
pub struct Lexicon {
    /// Polarity by exact form or lemma.
    polarity: HashMap<Box<str>, f32>,
    /// Polarity by lower-cased form or lemma (first entry wins).
    polarity_lower: HashMap<Box<str>, f32>,
    /// Lower-cased negator → scope and factor.
    negators: HashMap<Box<str>, (Scope, f32)>,
    /// Lower-cased intensifier → factor.
    intensifiers: HashMap<Box<str>, f32>,
    /// Lower-cased shifter words.
    shifters: HashMap<Box<str>, ()>,
}

pub(crate) fn read(path: &Path) -> Result<String> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(s),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::ModelMissing { path: path.to_path_buf() }),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Non-empty, non-comment lines with their 1-based numbers.
pub(crate) fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r'))).filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
}

pub(crate) fn bad(path: &Path, line: usize, reason: impl Into<String>) -> Error {
    Error::BadLine { path: path.to_path_buf(), line, reason: reason.into() }
}

pub(crate) fn parse_score(s: &str, path: &Path, line: usize) -> Result<f32> {
    let v: f32 = s.trim().trim_start_matches('+').parse().map_err(|_| bad(path, line, format!("not a number: {s:?}")))?;
    if !(-2.0..=2.0).contains(&v) {
        return Err(bad(path, line, format!("score {v} out of range")));
    }
    Ok(v)
}

impl Lexicon {
    /// Reads `polarity.tsv`, `polarity-extra.tsv` (overrides), `negators.txt`,
    /// `intensifiers.txt` and `shifters.txt` from `dir`.
    pub fn load(dir: &Path) -> Result<Lexicon> {
        let mut lex = Lexicon::default();
        for name in ["polarity.tsv", "polarity-extra.tsv"] {
            let path = dir.join(name);
            lex.add_polarity(&read(&path)?, &path)?;
        }
        let path = dir.join("negators.txt");
        for (n, line) in data_lines(&read(&path)?) {
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != 3 {
                return Err(bad(&path, n, "expected word<TAB>scope<TAB>factor"));
            }
            let scope = match f[1] {
                "clause" => Scope::Clause,
                "np" => Scope::NounPhrase,
                other => return Err(bad(&path, n, format!("unknown scope {other:?}"))),
            };
            lex.negators.insert(f[0].to_lowercase().into(), (scope, parse_score(f[2], &path, n)?));
        }
        let path = dir.join("intensifiers.txt");
        for (n, line) in data_lines(&read(&path)?) {
            let (w, f) = line.split_once('\t').ok_or_else(|| bad(&path, n, "expected word<TAB>factor"))?;
            lex.intensifiers.insert(w.to_lowercase().into(), parse_score(f, &path, n)?);
        }
        let path = dir.join("shifters.txt");
        for (_, line) in data_lines(&read(&path)?) {
            lex.shifters.insert(line.trim().to_lowercase().into(), ());
        }
        Ok(lex)
    }

    /// Adds `form<TAB>pos<TAB>score` (or `form<TAB>score`) lines; later entries override.
    pub fn add_polarity(&mut self, text: &str, path: &Path) -> Result<()> {
        for (n, line) in data_lines(text) {
            let f: Vec<&str> = line.split('\t').collect();
            let (form, score) = match f.len() {
                2 => (f[0], f[1]),
                3 => (f[0], f[2]),
                _ => return Err(bad(path, n, "expected form<TAB>pos<TAB>score")),
            };
            let score = parse_score(score, path, n)?;
            self.polarity.insert(form.into(), score);
            self.polarity_lower.insert(form.to_lowercase().into(), score);
        }
        if self.polarity.is_empty() {
            return Err(Error::ModelCorrupt { path: path.to_path_buf(), reason: "no polarity entries".into() });
        }
        Ok(())
    }

    /// Polarity of a word, by lemma first, then form, then lower-cased; compound nouns fall
    /// back to their longest known head (*Korruptionsskandal → Skandal*).
    pub fn polarity(&self, form: &str, lemma: Option<&str>, noun: bool) -> Option<f32> {
        let exact = |w: &str| self.polarity.get(w).copied();
        if let Some(l) = lemma {
            if let Some(v) = exact(l) {
                return Some(v);
            }
        }
        if let Some(v) = exact(form) {
            return Some(v);
        }
        let lower = form.to_lowercase();
        // Case matters in German: *wohl* is not *das Wohl*; only a capitalised word (sentence
        // start, headline) may match an entry of other case.
        if form.chars().next().is_some_and(char::is_uppercase) {
            if let Some(v) = self.polarity_lower.get(lower.as_str()).copied() {
                return Some(v);
            }
            if let Some(v) = lemma.and_then(|l| self.polarity_lower.get(l.to_lowercase().as_str()).copied()) {
                return Some(v);
            }
        }
        if !noun && form.chars().next().is_some_and(char::is_lowercase) {
            for v in verb_candidates(&lower) {
                if let Some(x) = exact(&v) {
                    return Some(x);
                }
            }
        }
        if noun {
            let base = lemma.unwrap_or(form);
            // *Triple-Sieg*, *Anti-Doping-Politik*: the last part is the head.
            if let Some((_, head)) = base.rsplit_once('-') {
                if let Some(v) = exact(head) {
                    return Some(v);
                }
            }
            let mut buf = String::with_capacity(base.len());
            for (i, _) in base.char_indices().skip(3) {
                let tail = &base[i..];
                if tail.chars().count() < 5 {
                    break;
                }
                let mut cs = tail.chars();
                buf.clear();
                if let Some(c) = cs.next() {
                    buf.extend(c.to_uppercase());
                    buf.push_str(cs.as_str());
                }
                if let Some(v) = exact(&buf) {
                    return Some(v);
                }
            }
        }
        None
    }

    /// Scope and factor of a negator.
    pub fn negator(&self, lower: &str) -> Option<(Scope, f32)> {
        self.negators.get(lower).copied()
    }

    /// Factor of an intensifier.
    pub fn intensifier(&self, lower: &str) -> Option<f32> {
        self.intensifiers.get(lower).copied()
    }

    /// True for a shifter word (lower-cased form or lemma).
    pub fn is_shifter(&self, lower: &str) -> bool {
        self.shifters.contains_key(lower)
    }
}
