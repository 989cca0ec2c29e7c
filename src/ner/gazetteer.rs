//! Name lists that give the tagger hints and let the linker join mentions: places, countries,
//! capitals, country adjectives and first names, read from `models/ner/gazetteers/`.

use crate::error::{Error, Result};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Folder of the gazetteers inside `models/ner/`.
pub const GAZETTEER_SUBDIR: &str = "gazetteers";

/// Longest name, in tokens, matched against the place and country lists.
const MAX_TOKENS: usize = 4;

/// Bits of [`Gazetteers::mark`]: what list a token is in and whether it starts the match.
pub(crate) const PLACE: u8 = 1;
pub(crate) const COUNTRY: u8 = 2;
pub(crate) const FIRST_NAME: u8 = 4;
pub(crate) const COUNTRY_ADJ: u8 = 8;
/// Set on tokens that continue a multi-token match.
pub(crate) const INSIDE: u8 = 16;
pub(crate) const ORGANISATION: u8 = 32;
/// Set on every token of a match of two or more tokens; such matches are rarely accidental.
pub(crate) const MULTI: u8 = 64;

/// The loaded name lists.
#[derive(Debug, Default)]
pub struct Gazetteers {
    places: HashSet<String>,
    countries: HashSet<String>,
    organisations: HashSet<String>,
    first_names: HashSet<String>,
    /// Capital → country, German names.
    capitals: HashMap<String, String>,
    /// Lowercased adjective stem (*nordkoreanisch*) → country (*Nordkorea*).
    adjectives: HashMap<String, String>,
}

fn read_lines(path: &Path) -> Result<Vec<String>> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(s.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::ModelMissing { path: path.to_path_buf() }),
        Err(e) => Err(Error::io(path, e)),
    }
}

fn read_pairs(path: &Path) -> Result<HashMap<String, String>> {
    let mut map = HashMap::new();
    for (i, line) in read_lines(path)?.into_iter().enumerate() {
        let Some((a, b)) = line.split_once('\t') else {
            return Err(Error::BadLine { path: path.to_path_buf(), line: i + 1, reason: "expected two tab-separated fields".into() });
        };
        map.entry(a.to_string()).or_insert_with(|| b.to_string());
    }
    Ok(map)
}

/// Strips German adjective inflection: *russischen → russisch*.
pub(crate) fn adjective_stem(lower: &str) -> &str {
    for ending in ["en", "em", "er", "es", "e"] {
        if let Some(stem) = lower.strip_suffix(ending) {
            if stem.ends_with("isch") || stem.ends_with("sch") {
                return stem;
            }
        }
    }
    lower
}

impl Gazetteers {
    /// Reads the lists from a folder (normally `models/ner/gazetteers`).
    pub fn load(dir: &Path) -> Result<Gazetteers> {
        Ok(Gazetteers {
            places: read_lines(&dir.join("places.txt"))?.into_iter().collect(),
            countries: read_lines(&dir.join("countries.txt"))?.into_iter().collect(),
            organisations: read_lines(&dir.join("organisations.txt"))?.into_iter().collect(),
            first_names: read_lines(&dir.join("first-names.txt"))?.into_iter().collect(),
            capitals: read_pairs(&dir.join("capitals.tsv"))?,
            adjectives: read_pairs(&dir.join("country-adjectives.tsv"))?,
        })
    }

    /// The country a capital belongs to: *Pjöngjang → Nordkorea*.
    pub fn country_of_capital(&self, name: &str) -> Option<&str> {
        self.capitals.get(name).map(String::as_str)
    }

    /// The country an adjective derives from, in any inflected form: *russischen → Russland*.
    pub fn country_of_adjective(&self, word: &str) -> Option<&str> {
        let lower = word.to_lowercase();
        self.adjectives.get(adjective_stem(&lower)).map(String::as_str)
    }

    /// True for a German country or continent name.
    pub fn is_country(&self, name: &str) -> bool {
        self.countries.contains(name)
    }

    /// True if `name` is in the hand-written list of organisations.
    pub fn is_organisation(&self, name: &str) -> bool {
        self.organisations.contains(name)
    }

    /// True for a known place name.
    pub fn is_place(&self, name: &str) -> bool {
        self.places.contains(name)
    }

    /// The list bits of one name standing alone (no multi-token matching).
    pub(crate) fn kind_of(&self, name: &str) -> u8 {
        (if self.countries.contains(name) { COUNTRY } else { 0 })
            | (if self.places.contains(name) { PLACE } else { 0 })
            | (if self.organisations.contains(name) { ORGANISATION } else { 0 })
    }

    /// Marks every token with the lists it matches; place, country and organisation names may span up to four
    /// tokens (longest match wins), the later tokens of a match get [`INSIDE`] as well.
    pub(crate) fn mark(&self, forms: &[&str], out: &mut Vec<u8>) {
        out.clear();
        out.resize(forms.len(), 0);
        let mut buf = String::new();
        let mut i = 0;
        while i < forms.len() {
            let mut matched = 0;
            for len in (1..=MAX_TOKENS.min(forms.len() - i)).rev() {
                buf.clear();
                for (k, f) in forms[i..i + len].iter().enumerate() {
                    if k > 0 {
                        buf.push(' ');
                    }
                    buf.push_str(f);
                }
                let bits = if self.countries.contains(&buf) { COUNTRY } else { 0 }
                    | if self.places.contains(&buf) { PLACE } else { 0 }
                    | if self.organisations.contains(&buf) { ORGANISATION } else { 0 };
                if bits != 0 {
                    let bits = if len > 1 { bits | MULTI } else { bits };
                    out[i] |= bits;
                    for o in &mut out[i + 1..i + len] {
                        *o |= bits | INSIDE;
                    }
                    matched = len;
                    break;
                }
            }
            i += matched.max(1);
        }
        for (o, f) in out.iter_mut().zip(forms) {
            if self.first_names.contains(*f) {
                *o |= FIRST_NAME;
            }
            if f.len() > 4 && f.chars().next().is_some_and(char::is_alphabetic) && self.country_of_adjective(f).is_some() {
                *o |= COUNTRY_ADJ;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjective_stems_and_lists() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models").join("ner").join(GAZETTEER_SUBDIR);
        let g = Gazetteers::load(&dir).expect("gazetteers are built (see models/README.md)");
        for (word, country) in [("russische", "Russland"), ("nordkoreanischen", "Nordkorea"), ("deutschen", "Deutschland")] {
            assert_eq!(g.country_of_adjective(word), Some(country), "{word}");
        }
        assert_eq!(g.country_of_capital("Pjöngjang"), Some("Nordkorea"));
        let mut marks = Vec::new();
        g.mark(&["in", "New", "York", "und", "Moskau"], &mut marks);
        assert_eq!(marks[1] & PLACE, PLACE);
        assert_eq!(marks[2] & INSIDE, INSIDE);
        assert_eq!(marks[4] & PLACE, PLACE);
        assert_eq!(marks[0], 0);
    }
}
