//! Which named entities are stance targets: actors (persons, organisations, places acting as
//! political actors), not what merely carries a name. The rules follow the labelling
//! guidelines (`tests/data/stance-guidelines.md`, "Target" and rules 12–18); each was kept
//! because the labelled candidates of the training articles say it is precise and dev and
//! held-out stance do not lose by it (a rule for national adjectives, *deutsche Touristen*,
//! raised target precision but cost both about 0.01 macro-F1, and was dropped). Target
//! precision is measured on dev and held-out (`lesart eval stance --format targets --gold
//! tests/data/stance-targets-dev.jsonl`, `…-heldout.jsonl`). After these rules the stance
//! head's actor part (`head.rs`) drops neutral targets that are likely no actor.

use crate::doc::{Entity, EntityLabel, Text};

/// Prepositions after which a place is a location, not an actor (*in Wien*, *aus Tokio*).
const PLACE_PREPOSITIONS: &[&str] = &["in", "im", "aus", "nach", "bei", "nahe", "ins", "am", "auf", "vom", "von"];

/// What a target decision reads about an entity: its words, the characters around it and the
/// word before it.
#[derive(Debug, Clone, Copy)]
pub struct Mention<'a> {
    /// The entity's text.
    pub text: &'a str,
    /// Its type.
    pub label: EntityLabel,
    /// A derived form (*russische*).
    pub derived: bool,
    /// The character right before and right after the mention (`None` at the text's ends).
    pub before_char: Option<char>,
    /// See `before_char`.
    pub after_char: Option<char>,
    /// The word before it, lower-cased (`""` when none).
    pub previous_word: &'a str,
}

impl<'a> Mention<'a> {
    /// The mention of entity `e` in `text`, after `previous_word`.
    pub fn of(text: &'a Text, e: &Entity, previous_word: &'a str) -> Mention<'a> {
        let chars = |s: u32, e: u32| text.slice(crate::doc::Span::new(s, e));
        let before_char = e.span.start.checked_sub(1).and_then(|s| chars(s, e.span.start).chars().next());
        let after_char = chars(e.span.end, e.span.end.saturating_add(1).min(text.char_len()).max(e.span.end)).chars().next();
        Mention { text: text.slice(e.span), label: e.label, derived: e.derived, before_char, after_char, previous_word }
    }
}

/// True when the mention is an actor that can hold or receive a stance.
pub fn is_actor(m: &Mention) -> bool {
    !is_misc(m) && !is_compound_part(m) && !is_location(m)
}

/// Events, works, currencies, products (*Euro*, *Ukraine-Krieg*, *Windows 10*) are no actors.
fn is_misc(m: &Mention) -> bool {
    m.label == EntityLabel::MISC
}

/// A name inside a hyphenated compound or a fragment of one (*US-*, *FPÖ-Aktion*,
/// *Henkel-Aktie*): the compound's head is what the sentence is about. Hyphens inside the
/// name (*Marc-Oliver Kempf*, *EU-Kommission*, *al-Shabaab*) are the name's own.
fn is_compound_part(m: &Mention) -> bool {
    m.before_char == Some('-') || m.after_char == Some('-') || m.text.ends_with('-')
}

/// A place named after a preposition of place (*in Wien*, *aus Tokio*) is a location.
fn is_location(m: &Mention) -> bool {
    m.label == EntityLabel::LOC && !m.derived && PLACE_PREPOSITIONS.contains(&m.previous_word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mention<'a>(text: &'a str, label: EntityLabel, previous_word: &'a str) -> Mention<'a> {
        Mention { text, label, derived: false, before_char: Some(' '), after_char: Some(' '), previous_word }
    }

    #[test]
    fn persons_organisations_and_acting_places_are_actors() {
        assert!(is_actor(&mention("Angela Merkel", EntityLabel::PER, "kanzlerin")));
        assert!(is_actor(&mention("FPÖ", EntityLabel::ORG, "die")));
        assert!(is_actor(&mention("Russland", EntityLabel::LOC, "")));
        assert!(is_actor(&Mention { derived: true, ..mention("ungarische", EntityLabel::LOC, "die") }));
        // A place after *in* that is an entity's derived form still counts (*in russischer Hand*).
        assert!(is_actor(&Mention { derived: true, ..mention("russischer", EntityLabel::LOC, "in") }));
    }

    #[test]
    fn names_that_are_no_actors_are_left_out() {
        assert!(!is_actor(&mention("Euro", EntityLabel::MISC, "30.000")));
        assert!(!is_actor(&mention("Ukraine-Krieg", EntityLabel::MISC, "den")));
        assert!(!is_actor(&mention("US-", EntityLabel::LOC, "der")));
        assert!(is_actor(&mention("Marc-Oliver Kempf", EntityLabel::PER, "von")));
        assert!(!is_actor(&Mention { after_char: Some('-'), ..mention("US", EntityLabel::LOC, "der") }));
        assert!(!is_actor(&mention("Wien", EntityLabel::LOC, "in")));
    }
}
