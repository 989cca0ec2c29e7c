//! Aggregation: per-article and corpus summaries built from annotated documents.

use crate::doc::{BoilerplateKind, Document, EntityLabel, Mood, Pos};
use crate::ingest::Skipped;
use crate::modality::summary::{summarize, ModalitySummary};
use crate::ner::EntityGroup;
use crate::stance::StanceSummary;
use serde::Serialize;
use std::collections::BTreeMap;

/// Counts that add up over documents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Counts {
    /// Characters of text.
    pub characters: u64,
    /// All sentences, boilerplate included.
    pub sentences: u64,
    /// Sentences inside boilerplate stretches.
    pub boilerplate_sentences: u64,
    /// Tokens (words and punctuation) outside boilerplate.
    pub tokens: u64,
    /// Word tokens outside boilerplate.
    pub words: u64,
    /// Finite verb forms outside boilerplate.
    pub finite_verbs: u64,
    /// Verb forms in Konjunktiv I, the mood of reported speech.
    pub konjunktiv_i: u64,
    /// Verb forms in Konjunktiv II, the hypothetical mood.
    pub konjunktiv_ii: u64,
    /// Sentences with at least one Konjunktiv I form.
    pub konjunktiv_i_sentences: u64,
    /// Boilerplate stretches by kind.
    pub boilerplate: BTreeMap<BoilerplateKind, u64>,
    /// Entity mentions outside boilerplate by type (derived forms not included).
    pub entity_mentions: BTreeMap<EntityLabel, u64>,
    /// Derived entity mentions (*russische*, *EU-weit*).
    pub derived_entity_mentions: u64,
}

impl Counts {
    /// Counts one document.
    pub fn of(doc: &Document) -> Counts {
        let mut c = Counts { characters: doc.text.char_len() as u64, sentences: doc.sentences.len() as u64, ..Default::default() };
        for b in &doc.boilerplate {
            *c.boilerplate.entry(b.kind).or_default() += 1;
        }
        for s in &doc.sentences {
            if s.boilerplate {
                c.boilerplate_sentences += 1;
                continue;
            }
            for e in &s.entities {
                if e.derived {
                    c.derived_entity_mentions += 1;
                } else {
                    *c.entity_mentions.entry(e.label).or_default() += 1;
                }
            }
            let mut has_kj1 = false;
            for t in &s.tokens {
                c.tokens += 1;
                if doc.text_of(t.span).chars().any(char::is_alphanumeric) {
                    c.words += 1;
                }
                let Some(m) = &t.morph else { continue };
                if matches!(m.pos, Pos::VERB | Pos::AUX) && m.mood.is_some() {
                    c.finite_verbs += 1;
                }
                match m.mood {
                    Some(Mood::KonjunktivI) => {
                        c.konjunktiv_i += 1;
                        has_kj1 = true;
                    }
                    Some(Mood::KonjunktivII) => c.konjunktiv_ii += 1,
                    _ => {}
                }
            }
            c.konjunktiv_i_sentences += has_kj1 as u64;
        }
        c
    }

    /// Adds another document's counts.
    pub fn add(&mut self, other: &Counts) {
        self.characters += other.characters;
        self.sentences += other.sentences;
        self.boilerplate_sentences += other.boilerplate_sentences;
        self.tokens += other.tokens;
        self.words += other.words;
        self.finite_verbs += other.finite_verbs;
        self.konjunktiv_i += other.konjunktiv_i;
        self.konjunktiv_ii += other.konjunktiv_ii;
        self.konjunktiv_i_sentences += other.konjunktiv_i_sentences;
        for (k, v) in &other.boilerplate {
            *self.boilerplate.entry(*k).or_default() += v;
        }
        for (k, v) in &other.entity_mentions {
            *self.entity_mentions.entry(*k).or_default() += v;
        }
        self.derived_entity_mentions += other.derived_entity_mentions;
    }

    /// Sentences outside boilerplate.
    pub fn content_sentences(&self) -> u64 {
        self.sentences - self.boilerplate_sentences
    }

    /// Share of content sentences holding reported speech in Konjunktiv I, in [0, 1].
    pub fn reported_speech_share(&self) -> f64 {
        ratio(self.konjunktiv_i_sentences, self.content_sentences())
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// An entity of an article: its mentions grouped under one name.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct EntitySummary {
    /// The canonical name (*Kim Jong-un* for *Kim Jong-un … Kim*).
    pub name: String,
    /// Its type.
    pub label: EntityLabel,
    /// Mentions, derived forms included.
    pub mentions: usize,
    /// Mentions that are derived forms (*nordkoreanischen*).
    pub derived_mentions: usize,
    /// For a capital, the country it stands for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linked_to: Option<String>,
}

impl EntitySummary {
    fn of(group: &EntityGroup) -> EntitySummary {
        EntitySummary {
            name: group.canonical.clone(),
            label: group.label,
            mentions: group.count,
            derived_mentions: group.derived_count,
            linked_to: group.linked_to.clone(),
        }
    }
}

/// An entity over the whole corpus.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CorpusEntity {
    /// The canonical name.
    pub name: String,
    /// Its type.
    pub label: EntityLabel,
    /// Mentions over all documents.
    pub mentions: usize,
    /// Documents that mention it.
    pub documents: usize,
    /// Sentences with a stance toward it.
    pub stance_sentences: usize,
    /// Mean stance score over those sentences (0 when there are none).
    pub mean_stance: f32,
    /// Sentences labelled favor, against and neutral toward it.
    pub favor: usize,
    /// See `favor`.
    pub against: usize,
    /// See `favor`.
    pub neutral: usize,
}

/// How many corpus entities the report lists.
const CORPUS_ENTITIES: usize = 100;

/// One article's summary.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct DocumentSummary {
    /// The document id.
    pub id: String,
    /// The encoding it was decoded from.
    pub encoding: String,
    /// Its counts.
    #[serde(flatten)]
    pub counts: Counts,
    /// Share of content sentences with Konjunktiv I (reported speech), in [0, 1].
    pub reported_speech_share: f64,
    /// Its entities, most mentioned first.
    pub entities: Vec<EntitySummary>,
    /// Its hedging, cues, sentence modality and claims by source.
    pub modality: ModalitySummary,
    /// Stance toward each actor (and each `--target`).
    pub stance: StanceSummary,
}

impl DocumentSummary {
    /// Summarises one annotated document whose mentions are grouped into `entities`.
    pub fn of(doc: &Document, entities: &[EntityGroup]) -> DocumentSummary {
        let counts = Counts::of(doc);
        DocumentSummary {
            id: doc.id.clone(),
            encoding: doc.encoding.to_string(),
            reported_speech_share: counts.reported_speech_share(),
            counts,
            entities: entities.iter().map(EntitySummary::of).collect(),
            modality: summarize(doc),
            stance: crate::stance::summarize(doc, entities),
        }
    }
}

/// The corpus report: what `report.json` holds and `report.md` shows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Schema version.
    pub schema: u32,
    /// Documents analysed.
    pub documents_analysed: usize,
    /// Totals over all documents.
    pub corpus: Counts,
    /// Share of content sentences with Konjunktiv I over the corpus.
    pub reported_speech_share: f64,
    /// The most mentioned entities of the corpus (at most 100).
    pub entities: Vec<CorpusEntity>,
    /// Hedging, cues, sentence modality and claims by source over the corpus.
    pub modality: ModalitySummary,
    /// Per-document summaries; in the order of their ids ([`document_order`]) once finished.
    pub documents: Vec<DocumentSummary>,
    /// Inputs that were not analysed, with reasons.
    pub skipped: Vec<Skipped>,
    /// Files in walked directories that are not of a supported type.
    pub ignored_files: usize,
    /// Per (name, type), what the corpus entity list adds up; grows with the distinct
    /// entities, not with the documents.
    #[serde(skip)]
    entity_tallies: BTreeMap<(String, EntityLabel), EntityTally>,
}

/// What the corpus list of entities adds up per (name, type).
#[derive(Debug, Clone, Default, PartialEq)]
struct EntityTally {
    mentions: usize,
    documents: usize,
    /// The sum of stance scores in millionths: integers add up to the same total in any
    /// order, so reports merged from any partition of the documents agree to the bit.
    stance_micros: i64,
    favor: usize,
    against: usize,
    neutral: usize,
}

/// Millionths per unit of stance score in [`EntityTally::stance_micros`].
const STANCE_UNIT: f64 = 1e6;

impl EntityTally {
    fn add(&mut self, other: &EntityTally) {
        self.mentions += other.mentions;
        self.documents += other.documents;
        self.stance_micros += other.stance_micros;
        self.favor += other.favor;
        self.against += other.against;
        self.neutral += other.neutral;
    }
}

/// The order of documents in a report: by id, runs of digits in it compared as numbers
/// (`a.jsonl#9` before `a.jsonl#10`), whatever order the documents were analysed or merged in.
pub fn document_order(a: &str, b: &str) -> std::cmp::Ordering {
    chunks(a).cmp(chunks(b)).then_with(|| a.cmp(b))
}

/// A piece of an id as [`document_order`] compares it: numbers before text, as in ASCII.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Chunk<'a> {
    /// A run of digits: by its length without leading zeros, then its digits, then the zeros.
    Number(usize, &'a str, usize),
    Text(&'a str),
}

/// The runs of digits and of other characters of `s`, in order.
fn chunks(s: &str) -> impl Iterator<Item = Chunk<'_>> {
    let mut rest = s;
    std::iter::from_fn(move || {
        let digit = rest.chars().next()?.is_ascii_digit();
        let end = rest.find(|c: char| c.is_ascii_digit() != digit).unwrap_or(rest.len());
        let (run, tail) = rest.split_at(end);
        rest = tail;
        Some(if digit {
            let significant = run.trim_start_matches('0');
            Chunk::Number(significant.len(), significant, run.len() - significant.len())
        } else {
            Chunk::Text(run)
        })
    })
}

impl Report {
    /// An empty report.
    pub fn new() -> Report {
        Report { schema: super::json::SCHEMA, ..Default::default() }
    }

    /// Adds one annotated document with its grouped entities, keeping its summary in
    /// [`Report::documents`].
    pub fn add(&mut self, doc: &Document, entities: &[EntityGroup]) {
        let summary = DocumentSummary::of(doc, entities);
        self.count(&summary);
        self.documents.push(summary);
    }

    /// Adds one document's summary to the corpus figures without keeping it: for runs that
    /// keep the summaries elsewhere (on disk), so that memory does not grow with the corpus.
    pub fn count(&mut self, summary: &DocumentSummary) {
        self.corpus.add(&summary.counts);
        self.modality.add(&summary.modality);
        self.documents_analysed += 1;
        self.reported_speech_share = self.corpus.reported_speech_share();
        for e in &summary.entities {
            let tally = self.entity_tallies.entry((e.name.clone(), e.label)).or_default();
            tally.mentions += e.mentions;
            tally.documents += 1;
            if let Some(st) = summary.stance.actors.iter().find(|a| a.actor == e.name) {
                let n = st.favor + st.against + st.neutral;
                tally.stance_micros += (f64::from(st.mean_score) * n as f64 * STANCE_UNIT).round() as i64;
                tally.favor += st.favor;
                tally.against += st.against;
                tally.neutral += st.neutral;
            }
        }
    }

    /// Adds another report's documents: what `lesart report` does with the parts of a corpus.
    /// The merge is associative and commutative: once [`Report::finish`]ed, any partition of
    /// the documents merged in any order gives the same report.
    pub fn merge(&mut self, other: Report) {
        self.corpus.add(&other.corpus);
        self.modality.add(&other.modality);
        self.documents_analysed += other.documents_analysed;
        self.reported_speech_share = self.corpus.reported_speech_share();
        for (key, tally) in &other.entity_tallies {
            self.entity_tallies.entry(key.clone()).or_default().add(tally);
        }
        self.documents.extend(other.documents);
        self.skipped.extend(other.skipped);
        self.ignored_files += other.ignored_files;
    }

    /// Computes the corpus-wide lists once all documents are in, and puts the documents and
    /// the skipped inputs in their order ([`document_order`]).
    pub fn finish(&mut self) {
        self.skipped.sort_by(|a, b| document_order(&a.path, &b.path).then_with(|| a.reason.cmp(&b.reason)));
        // Equal ids (one id twice in a corpus) keep an order given by their content.
        self.documents.sort_by_cached_key(|d| (NaturalKey(d.id.clone()), serde_json::to_string(d).unwrap_or_default()));
        let mut entities: Vec<CorpusEntity> = self
            .entity_tallies
            .iter()
            .map(|((name, label), a)| {
                let n = a.favor + a.against + a.neutral;
                CorpusEntity {
                    name: name.clone(),
                    label: *label,
                    mentions: a.mentions,
                    documents: a.documents,
                    stance_sentences: n,
                    mean_stance: if n == 0 { 0.0 } else { (a.stance_micros as f64 / STANCE_UNIT / n as f64) as f32 },
                    favor: a.favor,
                    against: a.against,
                    neutral: a.neutral,
                }
            })
            .collect();
        // Ties keep the map's order (name, label), so the list is the same on every run.
        entities.sort_by(|a, b| b.mentions.cmp(&a.mentions).then(b.documents.cmp(&a.documents)));
        entities.truncate(CORPUS_ENTITIES);
        self.entities = entities;
    }
}

/// A string ordered by [`document_order`].
#[derive(Debug, PartialEq, Eq)]
pub struct NaturalKey(pub String);

impl Ord for NaturalKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        document_order(&self.0, &other.0)
    }
}

impl PartialOrd for NaturalKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_ordered_by_id_with_numbers_as_numbers() {
        let mut ids = vec!["b.jsonl#10", "a/x.txt", "b.jsonl#9", "b.jsonl#09", "a-c.txt", "b.jsonl#x", "B.txt", ""];
        ids.sort_by(|a, b| document_order(a, b));
        assert_eq!(ids, ["", "B.txt", "a-c.txt", "a/x.txt", "b.jsonl#9", "b.jsonl#09", "b.jsonl#10", "b.jsonl#x"]);
        assert_eq!(document_order("a#1", "a#1"), std::cmp::Ordering::Equal);
    }
}
