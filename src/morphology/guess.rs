//! Guesses for words the lexicon does not know, from their shape alone.
//!
//! Hyphenated compounds whose last part is known are handled by the stage itself, since that
//! needs the lexicon; this module only looks at characters.

use crate::doc::{Mood, Number, Pos, Tense};

/// A guessed analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guess {
    /// Part of speech.
    pub pos: Pos,
    /// The lemma.
    pub lemma: String,
    /// Mood, for guessed finite verbs.
    pub mood: Option<Mood>,
    /// Person, for guessed finite verbs.
    pub person: Option<u8>,
    /// Number, for guessed finite verbs.
    pub number: Option<Number>,
    /// Tense, for guessed finite verbs.
    pub tense: Option<Tense>,
}

impl Guess {
    fn new(pos: Pos, lemma: impl Into<String>) -> Guess {
        Guess { pos, lemma: lemma.into(), mood: None, person: None, number: None, tense: None }
    }

    fn finite(lemma: String, person: u8, number: Number, tense: Tense) -> Guess {
        Guess { pos: Pos::VERB, lemma, mood: Some(Mood::Indicative), person: Some(person), number: Some(number), tense: Some(tense) }
    }
}

/// What a token looks like, before any lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// No letter or digit: punctuation or a symbol.
    Punctuation,
    /// Digits with separators: *2024, 1.000,50, 20.06.2024, 26., 14.30*.
    Number,
    /// Starts with a letter or digit and holds at least one letter.
    Word,
}

/// Classifies a token by its characters.
pub fn shape(form: &str) -> Shape {
    if !form.chars().any(char::is_alphanumeric) {
        return Shape::Punctuation;
    }
    let mut digits = false;
    for c in form.chars() {
        match c {
            '0'..='9' => digits = true,
            _ if c.is_numeric() => digits = true,
            '.' | ',' | ':' | '/' | '-' | '–' | '\'' | '%' | '+' | '±' => {}
            _ => return Shape::Word,
        }
    }
    if digits {
        Shape::Number
    } else {
        Shape::Word
    }
}

/// Characters that UD tags `SYM` rather than `PUNCT`.
fn is_symbol(c: char) -> bool {
    matches!(
        c,
        '%' | '€'
            | '$'
            | '£'
            | '¥'
            | '§'
            | '+'
            | '='
            | '<'
            | '>'
            | '°'
            | '&'
            | '#'
            | '@'
            | '~'
            | '×'
            | '±'
            | '©'
            | '®'
            | '™'
            | '→'
            | '←'
    ) || matches!(c, '\u{2190}'..='\u{21FF}' | '\u{2200}'..='\u{22FF}' | '\u{1F300}'..='\u{1FAFF}')
}

/// Tag for a token without letters or digits.
pub fn punctuation(form: &str) -> Guess {
    let mut chars = form.chars();
    let pos = match (chars.next(), chars.next()) {
        (Some(c), None) if is_symbol(c) => Pos::SYM,
        _ => Pos::PUNCT,
    };
    Guess::new(pos, form)
}

/// True when the first character is an upper-case letter.
pub fn is_capitalised(form: &str) -> bool {
    form.chars().next().is_some_and(char::is_uppercase)
}

/// True for acronyms such as *BRICS, EU, USA*: at least two letters, none lower case.
/// A plural or genitive *s* is allowed: *NGOs, BMWs*.
pub fn is_acronym(form: &str) -> bool {
    let core = form.strip_suffix('s').filter(|c| c.chars().count() >= 2).unwrap_or(form);
    core.chars().filter(|c| c.is_alphabetic()).count() >= 2
        && core.chars().all(|c| c.is_uppercase() || c.is_ascii_digit() || c == '&' || c == '.')
}

/// True for letter–digit mixes such as *G7, A380, COVID-19, 5G*.
pub fn is_letter_digit_mix(form: &str) -> bool {
    form.chars().any(|c| c.is_ascii_digit()) && form.chars().any(char::is_alphabetic)
}

/// True for gender-inclusive forms: *Kund:innen, Bürger*innen, Lehrer_innen, LehrerInnen*.
pub fn is_gender_form(form: &str) -> bool {
    for marker in [":in", "*in", "_in", "/in", "Innen", "In"] {
        if let Some(at) = form.rfind(marker) {
            let rest = &form[at + marker.len()..];
            if at > 0 && (rest.is_empty() || rest == "nen") {
                // `In`/`Innen` only after a lower-case letter: *LehrerInnen*, not *Bern*.
                return marker.starts_with(|c: char| !c.is_alphabetic()) || form[..at].chars().next_back().is_some_and(char::is_lowercase);
            }
        }
    }
    false
}

/// Endings that mark common nouns; a capitalised unknown word with one is a `NOUN`.
const NOUN_ENDINGS: &[&str] = &[
    "ung", "ungen", "heit", "heiten", "keit", "keiten", "schaft", "schaften", "ion", "ionen", "tät", "täten", "ismus", "ismen", "isten",
    "ment", "ments", "chen", "lein", "nis", "nisse", "tum", "tümer", "ling", "linge", "enz", "anz", "ie", "ien", "ik", "eur", "eure",
    "ator", "atoren", "ität", "itäten", "gramm", "werk", "zeug", "ungs", "heits", "keits", "ionsrat",
];

/// Guess for a capitalised word the lexicon does not know: a name unless it has a typical
/// noun ending (unknown compound nouns are analysed by their last part before this).
pub fn capitalised(form: &str) -> Guess {
    if is_acronym(form) || is_letter_digit_mix(form) {
        return Guess::new(Pos::PROPN, form);
    }
    if is_gender_form(form) {
        return Guess::new(Pos::NOUN, form);
    }
    let lower = form.to_lowercase();
    // Abbreviations with a full stop are titles and units: *Dr., Prof., Std.*
    if NOUN_ENDINGS.iter().any(|e| lower.ends_with(e)) || form.ends_with('.') {
        return Guess::new(Pos::NOUN, form);
    }
    // Inner capitals (*McDonald, iPhone*), apostrophes (*O'Neill*) and short words without a
    // noun ending are names far more often than nouns.
    Guess::new(Pos::PROPN, form)
}

/// Adjective endings, with the inflection endings that may follow them.
const ADJECTIVE_STEMS: &[&str] =
    &["lich", "isch", "ig", "bar", "sam", "haft", "los", "voll", "iv", "al", "ell", "är", "ös", "ent", "ant", "weise"];
const INFLECTIONS: &[&str] =
    &["", "e", "en", "er", "es", "em", "ere", "eren", "erer", "eres", "erem", "ste", "sten", "ster", "stes", "stem"];

/// An unknown word known to stand before a noun: an adjective with its ending removed.
pub fn adjective(form: &str) -> Guess {
    let stem = ["en", "em", "er", "es", "e"].iter().find_map(|e| form.strip_suffix(e).filter(|s| s.chars().count() >= 3));
    Guess::new(Pos::ADJ, stem.unwrap_or(form))
}

/// Guess for a lower-case word the lexicon does not know.
pub fn lowercase(form: &str) -> Guess {
    if is_gender_form(form) {
        return Guess::new(Pos::NOUN, form);
    }
    // -ieren verbs: *spekulierten, evakuiert, priorisiere*.
    for (ending, person, number, tense) in [
        ("ierten", 3, Number::Plural, Some(Tense::Past)),
        ("ierte", 3, Number::Singular, Some(Tense::Past)),
        ("ierst", 2, Number::Singular, Some(Tense::Present)),
        ("iert", 3, Number::Singular, Some(Tense::Present)),
        ("ieren", 3, Number::Plural, None),
        ("iere", 1, Number::Singular, Some(Tense::Present)),
    ] {
        if let Some(stem) = form.strip_suffix(ending).filter(|s| s.chars().count() >= 2) {
            let lemma = format!("{stem}ieren");
            return match tense {
                Some(tense) => Guess::finite(lemma, person, number, tense),
                None => Guess::new(Pos::VERB, lemma),
            };
        }
    }
    for inflection in INFLECTIONS {
        if let Some(stem) = form.strip_suffix(inflection) {
            if ADJECTIVE_STEMS.iter().any(|e| stem.ends_with(e) && stem.len() > e.len() + 1) {
                return Guess::new(Pos::ADJ, stem);
            }
        }
    }
    if form.ends_with("weise") || form.ends_with("mals") || form.ends_with("wärts") {
        return Guess::new(Pos::ADV, form);
    }
    if form.len() > 4 && (form.ends_with("en") || form.ends_with("ern") || form.ends_with("eln")) {
        return Guess::new(Pos::VERB, form);
    }
    if form.starts_with("ge") && form.len() > 5 && form.ends_with('t') {
        return Guess::new(Pos::VERB, form);
    }
    Guess::new(Pos::ADJ, form)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        for n in ["2024", "1.000,50", "20.06.2024", "26.", "14.30", "3,9", "1990-2000", "½"] {
            assert_eq!(shape(n), Shape::Number, "{n}");
        }
        for p in [".", ",", "„", "“", "–", "...", "(", "%", "€"] {
            assert_eq!(shape(p), Shape::Punctuation, "{p}");
        }
        for w in ["G7", "Haus", "5G", "x"] {
            assert_eq!(shape(w), Shape::Word, "{w}");
        }
        assert_eq!(punctuation("%").pos, Pos::SYM);
        assert_eq!(punctuation("„").pos, Pos::PUNCT);
    }

    #[test]
    fn capitalised_guesses() {
        let table = [
            ("BRICS", Pos::PROPN),
            ("G7", Pos::PROPN),
            ("NGOs", Pos::PROPN),
            ("Kund:innen", Pos::NOUN),
            ("Bürger*innen", Pos::NOUN),
            ("LehrerInnen", Pos::NOUN),
            ("Digitalisierungsstrategie", Pos::NOUN),
            ("Selenskyj", Pos::PROPN),
            ("Habeck", Pos::PROPN),
        ];
        for (form, pos) in table {
            let g = capitalised(form);
            assert_eq!(g.pos, pos, "{form}");
            assert_eq!(g.lemma, form);
        }
        assert!(!is_gender_form("Bern"));
        assert!(!is_gender_form("Berlin"));
    }

    #[test]
    fn lowercase_guesses() {
        let table = [
            ("spekulierten", Pos::VERB, "spekulieren"),
            ("priorisierte", Pos::VERB, "priorisieren"),
            ("evakuiert", Pos::VERB, "evakuieren"),
            ("klimaschädlich", Pos::ADJ, "klimaschädlich"),
            ("klimaschädlichen", Pos::ADJ, "klimaschädlich"),
            ("russlandfreundliche", Pos::ADJ, "russlandfreundlich"),
            ("putinistisch", Pos::ADJ, "putinistisch"),
            ("wasserstofffähig", Pos::ADJ, "wasserstofffähig"),
            ("gendern", Pos::VERB, "gendern"),
            ("googeln", Pos::VERB, "googeln"),
        ];
        for (form, pos, lemma) in table {
            let g = lowercase(form);
            assert_eq!((g.pos, g.lemma.as_str()), (pos, lemma), "{form}");
        }
        let g = lowercase("spekulierten");
        assert_eq!((g.mood, g.tense), (Some(Mood::Indicative), Some(Tense::Past)));
    }
}
