//! The word lists the segmenter uses, compiled in from `models/segment/`.

use std::collections::{HashMap, HashSet};

const ABBREVIATIONS: &str = include_str!("../../models/segment/abbreviations.txt");
const STARTERS: &str = include_str!("../../models/segment/sentence-starters.txt");

/// Whether an abbreviation can close a sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbbreviationEnd {
    /// *Dr.*, *z.B.*, *Nr.*: a sentence never ends here.
    Never,
    /// *usw.*, *GmbH.*, *Mio.*: a sentence ends here when a sentence starter follows.
    BeforeStarter,
}

/// Abbreviations and sentence starters.
#[derive(Debug)]
pub struct WordLists {
    abbreviations: HashMap<&'static str, AbbreviationEnd>,
    starters: HashSet<&'static str>,
}

impl WordLists {
    /// The lists shipped in `models/segment/`.
    pub fn builtin() -> WordLists {
        let mut abbreviations = HashMap::new();
        for line in data_lines(ABBREVIATIONS) {
            let mut columns = line.split('\t');
            let word = columns.next().unwrap_or(line);
            let end = if columns.next() == Some("end") { AbbreviationEnd::BeforeStarter } else { AbbreviationEnd::Never };
            abbreviations.insert(word, end);
        }
        let starters = data_lines(STARTERS).collect();
        WordLists { abbreviations, starters }
    }

    /// How an abbreviation (with its full stop) behaves, if it is one.
    pub fn abbreviation(&self, word: &str) -> Option<AbbreviationEnd> {
        self.abbreviations.get(word).copied()
    }

    /// True for words that typically open a sentence (*Die, Er, Am, Doch*).
    pub fn is_starter(&self, word: &str) -> bool {
        self.starters.contains(word)
    }
}

fn data_lines(source: &'static str) -> impl Iterator<Item = &'static str> {
    source.lines().map(str::trim_end).filter(|l| !l.is_empty() && !l.starts_with('#'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_load() {
        let lists = WordLists::builtin();
        assert_eq!(lists.abbreviation("Dr."), Some(AbbreviationEnd::Never));
        assert_eq!(lists.abbreviation("usw."), Some(AbbreviationEnd::BeforeStarter));
        assert_eq!(lists.abbreviation("Haus."), None);
        assert!(lists.is_starter("Die"));
        assert!(!lists.is_starter("November"));
    }
}
