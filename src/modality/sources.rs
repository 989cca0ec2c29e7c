//! Sources as actors: each claim's source is tied to the entity group it names (*Brandt* and
//! *Helga Brandt* are one actor), a pronoun source (*sie sagte*) to the latest compatible named
//! source a few sentences back, and phrases that name a statement or a document rather than
//! someone (*nach eigenen Angaben*, *in der Studie*, *Polizeiangaben*) to the actor that owns
//! them (*NASA-Angaben* → NASA, *nach eigenen Angaben* → the actor named before in the
//! sentence). A role noun (*der Oberbürgermeister*) is the person the article named with that
//! role before (*Oberbürgermeister Klaus Dürrwanger*). The span stays as the text gives it; a phrase that resolves to no actor keeps no
//! entity, and reports do not count it as a source ([`names_no_actor`]).

use crate::doc::{Document, Entity, EntityLabel, Sentence, Span};
use crate::ner::link::EntityGroup;

/// How many sentences back a pronoun source looks for its actor.
const PRONOUN_LOOKBACK: usize = 10;

/// Nouns (and the ends of compounds) that name a statement or a document, not an actor.
const NON_ACTOR_NOUNS: &[&str] = &[
    "angaben",
    "angabe",
    "studie",
    "untersuchung",
    "mitteilung",
    "erklärung",
    "aussage",
    "aussagen",
    "satz",
    "informationen",
    "umfrage",
    "schätzung",
    "schätzungen",
    "berechnungen",
    "daten",
    "zahlen",
    "auffassung",
    "ansicht",
    "meinung",
    "sicht",
    "worte",
    "worten",
    "bericht",
    "berichten",
    "berichte",
    "schreiben",
    "dokument",
    "papier",
    "darstellung",
    "anschuldigungen",
    "vorwürfe",
    "vorwürfen",
    "einschätzung",
    "schilderung",
    "schilderungen",
    "analyse",
    "prognose",
    "klage",
    "liste",
];

/// Words that name no one by themselves: articles, pronouns not resolved to an actor,
/// attribution adverbs (*demnach*).
const FUNCTION_WORDS: &[&str] = &[
    "der",
    "die",
    "das",
    "den",
    "dem",
    "des",
    "ein",
    "eine",
    "einer",
    "eines",
    "er",
    "sie",
    "es",
    "ihr",
    "ihm",
    "ihn",
    "ich",
    "wir",
    "man",
    "dieser",
    "diese",
    "dieses",
    "jener",
    "jene",
    "dies",
    "deren",
    "dessen",
    "welche",
    "welcher",
    "sich",
    "selbst",
    "alle",
    "beide",
    "demnach",
    "demzufolge",
    "dazu",
    "daraufhin",
    "so",
    "laut",
    "zufolge",
];

/// Prepositions that open a phrase which is a place in a text, not a speaker (*in der Studie*).
const PREPOSITIONS: &[&str] = &["in", "im", "nach", "bei", "beim", "aus", "von", "vom", "gemäß", "laut"];

/// Which actors a pronoun may stand for, in the order they are looked for.
fn pronoun_labels(word: &str) -> Option<&'static [EntityLabel]> {
    match word {
        "er" | "ihm" => Some(&[EntityLabel::PER]),
        "sie" | "ihr" => Some(&[EntityLabel::PER, EntityLabel::ORG]),
        _ => None,
    }
}

/// True when the phrase names a statement or a document rather than someone who speaks, or
/// consists of function words alone (an unresolved *er*, *der*, *demnach*).
pub(crate) fn names_no_actor(text: &str) -> bool {
    let words: Vec<String> = text.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase()).collect();
    let Some(last) = words.last() else { return true };
    let preposition = words.first().is_some_and(|w| PREPOSITIONS.contains(&w.as_str()));
    let is_statement = |w: &str| NON_ACTOR_NOUNS.iter().any(|n| w == *n || (w.len() > n.len() + 3 && w.ends_with(n)));
    // The head is the last word, or the first one after articles before a genitive
    // (*Informationen des Blogs*).
    let head = words.iter().find(|w| !FUNCTION_WORDS.contains(&w.as_str()) && !PREPOSITIONS.contains(&w.as_str()));
    let statement = is_statement(last) || head.is_some_and(|h| is_statement(h));
    let function_words = words.iter().all(|w| w.is_empty() || FUNCTION_WORDS.contains(&w.as_str()));
    statement || function_words || (preposition && words.len() > 1)
}

/// The actor a source names: of the entity mentions inside it that are no derived forms, the
/// first person, else an organisation at its head (*die Polizei*, not *der Kapitän der
/// Borussia*), else a place or other name that makes up most of the source (*Washington* as a
/// speaker); the group holding that mention.
fn group_at<'g>(doc: &Document, groups: &'g [EntityGroup], span: Span) -> Option<&'g EntityGroup> {
    let s = doc.sentence_of(span.start)?;
    let mentions: Vec<&crate::doc::Entity> =
        doc.sentences[s].entities.iter().filter(|e| !e.derived && e.span.start >= span.start && e.span.end <= span.end).collect();
    let pick = mentions
        .iter()
        .find(|e| e.label == EntityLabel::PER)
        .or_else(|| mentions.iter().find(|e| e.label == EntityLabel::ORG && at_head(doc, span, e.span)))
        .or_else(|| mentions.iter().find(|e| e.span.len() * 2 > span.len()))?;
    groups.iter().find(|g| g.mentions.contains(&pick.span))
}

/// Sentences back (besides its own) in which a pronoun source takes the person named last.
const PERSON_LOOKBACK: usize = 2;

/// The person named last before `at` in its sentence or the [`PERSON_LOOKBACK`] before, outside
/// the claim's own `message` and any quotation (*Seidel rechnet nicht damit. „… Putin …“, sagt
/// sie.*).
fn person_just_before<'g>(
    doc: &Document,
    groups: &'g [EntityGroup],
    at: u32,
    message: &[Span],
    quotes: &[Span],
) -> Option<&'g EntityGroup> {
    let first = doc.sentence_of(at)?.saturating_sub(PERSON_LOOKBACK);
    last_person(doc, groups, first, at, |_, e| !message.iter().chain(quotes).any(|m| m.overlaps(e.span)))
}

/// The group of the person mentioned last before `at`, from sentence `first` to the one holding
/// `at`, among the mentions `keep` accepts (given their sentence).
fn last_person<'g>(
    doc: &Document,
    groups: &'g [EntityGroup],
    first: usize,
    at: u32,
    keep: impl Fn(&Sentence, &Entity) -> bool,
) -> Option<&'g EntityGroup> {
    let s = doc.sentence_of(at)?;
    doc.sentences[first.min(s)..=s]
        .iter()
        .flat_map(|x| x.entities.iter().map(move |e| (x, e)))
        .filter(|(x, e)| e.label == EntityLabel::PER && !e.derived && e.span.end <= at && keep(x, e))
        .max_by_key(|(_, e)| e.span.end)
        .and_then(|(_, e)| groups.iter().find(|g| g.mentions.contains(&e.span)))
}

/// The role a source names when it is a definite noun phrase (*der Oberbürgermeister*, *Der
/// SPD-Landrat*, *der Kapitän der Borussia*): the first capitalised word after the article,
/// lower-cased, the part after a hyphen; `None` for anything else (*ein Sprecher* is someone
/// new, not someone named before). After *die* only a feminine noun in *-in* counts (*die
/// Ministerin*; *die Klubobleute* are several).
fn role_noun(text: &str) -> Option<String> {
    let mut words = text.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-'));
    let article = words.next()?.to_lowercase();
    if article != "der" && article != "die" {
        return None;
    }
    let noun = words.find(|w| w.chars().next().is_some_and(char::is_uppercase))?;
    let role = noun.rsplit('-').next()?.to_lowercase();
    (role.chars().count() > 3 && (article == "der" || role.ends_with("in"))).then_some(role)
}

/// The person the document named last, before `at`, right after the word `role` (*Landrat
/// Peter Huber*, *SPD-Landrat Peter Huber*): who a later *der Landrat* is.
fn person_with_role<'g>(doc: &Document, groups: &'g [EntityGroup], role: &str, at: u32) -> Option<&'g EntityGroup> {
    last_person(doc, groups, 0, at, |sentence, e| {
        let before = doc.text_of(Span::new(sentence.span.start, e.span.start));
        before.split_whitespace().last().and_then(|w| w.rsplit('-').next()).is_some_and(|w| w.to_lowercase() == role)
    })
}

/// True when `mention` starts the source or follows one word of it (an article or adjective).
fn at_head(doc: &Document, source: Span, mention: Span) -> bool {
    let before = doc.text_of(Span::new(source.start, mention.start.max(source.start)));
    before.split_whitespace().count() <= 1
}

/// The actor of the sentence `s` mentioned last before `at` (for *nach eigenen Angaben*).
fn owner_before<'g>(groups: &'g [EntityGroup], doc: &Document, at: u32) -> Option<&'g EntityGroup> {
    let s = doc.sentence_of(at)?;
    let start = doc.sentences[s].span.start;
    groups
        .iter()
        .filter(|g| matches!(g.label, EntityLabel::PER | EntityLabel::ORG))
        .filter_map(|g| g.mentions.iter().filter(|m| m.start >= start && m.end <= at).map(|m| m.end).max().map(|end| (end, g)))
        .max_by_key(|(end, _)| *end)
        .map(|(_, g)| g)
}

/// Sets every claim's `entity` from `groups` (the document's entity groups), resolves pronoun
/// sources and ties statement phrases to the actor that owns them.
pub(crate) fn resolve_sources(doc: &mut Document, groups: &[EntityGroup]) {
    // (sentence, actor, label) of the sources resolved so far, for pronouns.
    let mut named: Vec<(usize, &EntityGroup)> = Vec::new();
    let quotes = super::claims::quotations(doc.text.as_str());
    for s in 0..doc.sentences.len() {
        for c in 0..doc.sentences[s].claims.len() {
            let Some(span) = doc.sentences[s].claims[c].source else { continue };
            let text = doc.text_of(span).to_string();
            let lower = text.trim().to_lowercase();
            let group = if let Some(labels) = pronoun_labels(&lower) {
                let recent = |label: &EntityLabel| named.iter().rev().find(|(at, g)| at + PRONOUN_LOOKBACK >= s && g.label == *label);
                person_just_before(doc, groups, span.start, &doc.sentences[s].claims[c].message, &quotes)
                    .or_else(|| labels.iter().find_map(recent).map(|(_, g)| *g))
            } else if let Some(g) = group_at(doc, groups, span) {
                Some(g)
            } else if let Some(g) = role_noun(&text).and_then(|role| person_with_role(doc, groups, &role, span.start)) {
                Some(g)
            } else if names_no_actor(&text) {
                lower.contains("eigene").then(|| owner_before(groups, doc, span.start)).flatten()
            } else {
                None
            };
            if let Some(g) = group {
                named.push((s, g));
            }
            doc.sentences[s].claims[c].entity = group.map(|g| Box::from(g.canonical.as_str()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_and_places_in_texts_are_no_actors() {
        for phrase in [
            "nach eigenen Angaben",
            "eigenen Angaben",
            "in der Studie",
            "Lieblingssatz",
            "seiner Ansicht",
            "Demnach",
            "der",
            "er",
            "Informationen des Blogs",
            "Klage",
        ] {
            assert!(names_no_actor(phrase), "{phrase}");
        }
        for phrase in ["die Polizei", "Beobachter im Westen", "Helga Brandt", "der Sprecher", "Experten"] {
            assert!(!names_no_actor(phrase), "{phrase}");
        }
    }

    #[test]
    fn a_role_noun_names_the_role_the_source_has() {
        assert_eq!(role_noun("der Oberbürgermeister").as_deref(), Some("oberbürgermeister"));
        assert_eq!(role_noun("Der SPD-Landrat").as_deref(), Some("landrat"));
        assert_eq!(role_noun("der burgenländische Landeshauptmann").as_deref(), Some("landeshauptmann"));
        assert_eq!(role_noun("der Kapitän der Borussia").as_deref(), Some("kapitän"));
        assert_eq!(role_noun("Ein Sprecher"), None);
        assert_eq!(role_noun("er"), None);
        assert_eq!(role_noun("die SPD"), None);
        assert_eq!(role_noun("die Psychotherapeutin").as_deref(), Some("psychotherapeutin"));
        assert_eq!(role_noun("die Klubobleute"), None);
    }
}
