//! Groups the entity mentions of one article into entities: *Kim Jong-un … Kim*, *Wladimir
//! Putin … Putin … Putins*, *Nordkorea … nordkoreanischen*. A capital stays its own LOC entity
//! and is linked to its country where the gazetteer knows the capital (*Pjöngjang → Nordkorea*).

use super::gazetteer::{adjective_stem, Gazetteers};
use crate::doc::{Document, EntityLabel, Span};
use serde::Serialize;

/// Documents longer than this many sentences (a book, a dump of a whole site) go through the
/// document-level stages (claims, stance) and the grouping of actors in sections of this many
/// sentences: their rules compare findings across a document, which would otherwise cost time
/// growing with the square of its length. No news article comes near it; in a longer
/// document, claims and actors do not reach across a section's end.
pub const SECTION_SENTENCES: usize = 2_000;

/// One entity of an article with all its mentions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntityGroup {
    /// The fullest name used (*Kim Jong-un*), or the country an adjective derives from.
    pub canonical: String,
    /// Type.
    pub label: EntityLabel,
    /// Every mention, in text order.
    pub mentions: Vec<Span>,
    /// Number of mentions.
    pub count: usize,
    /// How many mentions are derived forms (*nordkoreanischen*).
    pub derived_count: usize,
    /// For a capital: the canonical name of its country.
    pub linked_to: Option<String>,
}

struct M {
    span: Span,
    text: String,
    label: EntityLabel,
    derived: bool,
}

fn clean(s: &str) -> String {
    s.trim_matches(|c: char| !c.is_alphanumeric()).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The name without a genitive ending: *Putins → Putin*, *Nordkoreas → Nordkorea*.
fn genitive_base(s: &str) -> Option<&str> {
    s.strip_suffix("'s").or_else(|| s.strip_suffix("’s")).or_else(|| s.strip_suffix('s')).filter(|b| b.chars().count() >= 2)
}

/// Groups the entities of a document. With gazetteers, country adjectives and capitals are
/// linked to their countries; without, by spelling only. Sorted by mention count, then by first
/// mention.
pub fn link_entities(doc: &Document, gaz: Option<&Gazetteers>) -> Vec<EntityGroup> {
    link_entities_in(doc, 0..doc.sentences.len(), gaz)
}

/// Groups a document's entity mentions as [`link_entities`] does, in sections of `section`
/// sentences for longer documents, whose groups of the same name and type are then joined.
pub fn group_entities(doc: &Document, gaz: Option<&Gazetteers>, section: usize) -> Vec<EntityGroup> {
    if doc.sentences.len() <= section {
        return link_entities(doc, gaz);
    }
    let sections = (0..doc.sentences.len())
        .step_by(section.max(1))
        .map(|start| link_entities_in(doc, start..(start + section).min(doc.sentences.len()), gaz));
    join_groups(sections)
}

/// Groups joined by name and type: the groups of several parts of one document (in text
/// order) as one list, sorted as [`link_entities`] sorts.
pub fn join_groups(parts: impl IntoIterator<Item = Vec<EntityGroup>>) -> Vec<EntityGroup> {
    let mut out: Vec<EntityGroup> = Vec::new();
    let mut index: std::collections::HashMap<(EntityLabel, String), usize> = std::collections::HashMap::new();
    for group in parts.into_iter().flatten() {
        match index.get(&(group.label, group.canonical.clone())) {
            Some(&i) => {
                let joined = &mut out[i];
                joined.mentions.extend(group.mentions);
                joined.count += group.count;
                joined.derived_count += group.derived_count;
            }
            None => {
                index.insert((group.label, group.canonical.clone()), out.len());
                out.push(group);
            }
        }
    }
    out.iter_mut().for_each(|g| g.mentions.sort());
    out.sort_by_key(|g| (std::cmp::Reverse(g.count), g.mentions.first().copied()));
    out
}

/// As [`link_entities`], over the sentences `range` only.
pub fn link_entities_in(doc: &Document, range: std::ops::Range<usize>, gaz: Option<&Gazetteers>) -> Vec<EntityGroup> {
    let mentions: Vec<M> = doc.sentences[range]
        .iter()
        .filter(|s| !s.boilerplate)
        .flat_map(|s| &s.entities)
        .map(|e| M { span: e.span, text: clean(doc.text_of(e.span)), label: e.label, derived: e.derived })
        .filter(|m| !m.text.is_empty())
        .collect();
    // Group index per mention; groups hold (label, member mention indices).
    let mut groups: Vec<(EntityLabel, Vec<usize>, Option<String>)> = Vec::new();
    let find = |groups: &[(EntityLabel, Vec<usize>, Option<String>)], label: EntityLabel, text: &str| {
        groups.iter().position(|(l, ms, _)| *l == label && ms.iter().any(|&k| !mentions[k].derived && mentions[k].text == text))
    };
    // Full names first, so that short forms find them.
    let mut by_length: Vec<usize> = (0..mentions.len()).filter(|&k| !mentions[k].derived).collect();
    by_length.sort_by_key(|&k| (std::cmp::Reverse(mentions[k].text.split(' ').count()), k));
    for k in by_length {
        let m = &mentions[k];
        let mut target = find(&groups, m.label, &m.text).or_else(|| genitive_base(&m.text).and_then(|b| find(&groups, m.label, b)));
        if target.is_none() && m.label == EntityLabel::PER && m.text.contains(' ') {
            // R. Kelly and Robert Kelly.
            target = groups
                .iter()
                .position(|(l, ms, _)| *l == EntityLabel::PER && ms.iter().any(|&j| same_but_initial(&mentions[j].text, &m.text)));
        }
        if target.is_none() && m.label == EntityLabel::PER && !m.text.contains(' ') {
            // A surname or a first name alone joins the one full name that has it.
            let word = genitive_base(&m.text).filter(|b| find_token(&groups, &mentions, b).is_some()).unwrap_or(&m.text);
            target = find_token(&groups, &mentions, word);
        }
        match target {
            Some(g) => groups[g].1.push(k),
            None => groups.push((m.label, vec![k], None)),
        }
    }
    for (k, m) in mentions.iter().enumerate().filter(|(_, m)| m.derived) {
        let head = m.text.split('-').next().unwrap_or(&m.text);
        let last = m.text.rsplit('-').next().unwrap_or(&m.text);
        // The name a derived form points to: a country adjective (russische → Russland,
        // US-amerikanische → USA) or an inhabitant form of a place (Moskauer → Moskau).
        let base: Option<String> = if m.label == EntityLabel::LOC {
            gaz.and_then(|g| {
                g.country_of_adjective(&m.text).or_else(|| g.country_of_adjective(last)).map(String::from).or_else(|| {
                    let b = m.text.strip_suffix("er")?;
                    (g.is_place(b) || g.is_country(b)).then(|| b.to_string())
                })
            })
        } else {
            None
        };
        let lower = m.text.to_lowercase();
        let stem = adjective_stem(&lower);
        let target = base
            .as_deref()
            .and_then(|c| find(&groups, m.label, c))
            .or_else(|| find(&groups, m.label, head))
            .or_else(|| {
                // An abbreviation before a hyphen: US-Bürger → USA.
                let abbreviation = head.chars().count() >= 2 && head.chars().all(|c| c.is_uppercase());
                groups.iter().position(|(l, ms, _)| {
                    abbreviation
                        && *l == m.label
                        && ms.iter().any(|&j| {
                            let t = &mentions[j].text;
                            !mentions[j].derived && t.starts_with(head) && t.chars().count() <= head.chars().count() + 1
                        })
                })
            })
            .or_else(|| {
                groups.iter().position(|(l, ms, _)| {
                    *l == m.label
                        && ms.iter().any(|&j| {
                            let t = mentions[j].text.to_lowercase();
                            !mentions[j].derived && t.chars().count() >= 4 && stem.starts_with(&t)
                        })
                })
            })
            .or_else(|| {
                // Another derived form of the same, not yet named, entity.
                groups.iter().position(|(l, ms, name)| {
                    *l == m.label
                        && ((base.is_some() && *name == base) || ms.iter().any(|&j| mentions[j].derived && mentions[j].text == m.text))
                })
            });
        match target {
            Some(g) => groups[g].1.push(k),
            None => groups.push((m.label, vec![k], base)),
        }
    }
    let mut out: Vec<EntityGroup> = groups
        .into_iter()
        .map(|(label, mut ms, name)| {
            ms.sort_by_key(|&k| mentions[k].span);
            let canonical = name
                .or_else(|| {
                    ms.iter()
                        .filter(|&&k| !mentions[k].derived)
                        .max_by_key(|&&k| (mentions[k].text.split(' ').count(), !mentions[k].text.contains(". "), std::cmp::Reverse(k)))
                        .map(|&k| mentions[k].text.clone())
                })
                .unwrap_or_else(|| mentions[ms[0]].text.clone());
            let linked_to =
                if label == EntityLabel::LOC { gaz.and_then(|g| g.country_of_capital(&canonical)).map(String::from) } else { None };
            EntityGroup {
                canonical,
                label,
                count: ms.len(),
                derived_count: ms.iter().filter(|&&k| mentions[k].derived).count(),
                mentions: ms.iter().map(|&k| mentions[k].span).collect(),
                linked_to,
            }
        })
        .collect();
    out.sort_by_key(|g| (std::cmp::Reverse(g.count), g.mentions.first().copied()));
    out
}

/// True when two names differ only in that one abbreviates a first name the other spells out.
fn same_but_initial(a: &str, b: &str) -> bool {
    let (wa, wb): (Vec<&str>, Vec<&str>) = (a.split(' ').collect(), b.split(' ').collect());
    if wa.len() != wb.len() || wa.len() < 2 || wa[1..] != wb[1..] || wa[0] == wb[0] {
        return false;
    }
    let initial_of = |short: &str, long: &str| short.len() >= 2 && short.ends_with('.') && long.starts_with(&short[..short.len() - 1]);
    initial_of(wa[0], wb[0]) || initial_of(wb[0], wa[0])
}

/// The PER group whose multi-word name contains `word` as a whole token; `None` when there are
/// several (ambiguous short forms stay apart).
fn find_token(groups: &[(EntityLabel, Vec<usize>, Option<String>)], mentions: &[M], word: &str) -> Option<usize> {
    let mut hits = groups.iter().enumerate().filter(|(_, (l, ms, _))| {
        *l == EntityLabel::PER && ms.iter().any(|&k| mentions[k].text.contains(' ') && mentions[k].text.split(' ').any(|t| t == word))
    });
    let first = hits.next()?.0;
    hits.next().is_none().then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{Entity, Sentence};

    fn doc_with(text: &str, ents: &[(&str, EntityLabel, bool)]) -> Document {
        let mut doc = Document::new("t", text.to_string(), "UTF-8");
        let mut entities = Vec::new();
        let mut from = 0;
        for (s, label, derived) in ents {
            let b = text[from..].find(s).map(|i| i + from).unwrap_or_else(|| panic!("{s} not in text"));
            from = b + s.len();
            entities.push(Entity { span: doc.text.span_of_bytes(b..b + s.len()), label: *label, derived: *derived, score: 1.0 });
        }
        let end = doc.text.char_len();
        doc.sentences = vec![Sentence { span: Span::new(0, end), entities, ..Default::default() }];
        doc
    }

    #[test]
    fn groups_mentions_of_one_article() {
        use EntityLabel::*;
        let text = "Kim Jong-un ließ in Nordkorea testen. Wladimir Putin lobte Kim. Die nordkoreanischen Medien in Pjöngjang \
                    zitierten Putins Sprecher. Putin schwieg.";
        let doc = doc_with(
            text,
            &[
                ("Kim Jong-un", PER, false),
                ("Nordkorea", LOC, false),
                ("Wladimir Putin", PER, false),
                ("Kim", PER, false),
                ("nordkoreanischen", LOC, true),
                ("Pjöngjang", LOC, false),
                ("Putins", PER, false),
                ("Putin", PER, false),
            ],
        );
        let groups = link_entities(&doc, None);
        let get = |name: &str| groups.iter().find(|g| g.canonical == name).unwrap_or_else(|| panic!("{name} missing: {groups:?}"));
        assert_eq!(get("Wladimir Putin").count, 3);
        assert_eq!(get("Kim Jong-un").count, 2);
        assert_eq!((get("Nordkorea").count, get("Nordkorea").derived_count), (2, 1));
        assert_eq!(get("Pjöngjang").count, 1);
        assert!(same_but_initial("R. Kelly", "Robert Kelly"));
        assert!(!same_but_initial("R. Kelly", "Robert Koch"));
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/ner/gazetteers");
        let gaz = Gazetteers::load(&dir).expect("gazetteers built");
        let groups = link_entities(&doc, Some(&gaz));
        let pj = groups.iter().find(|g| g.canonical == "Pjöngjang").expect("capital");
        assert_eq!(pj.linked_to.as_deref(), Some("Nordkorea"));
    }
}
