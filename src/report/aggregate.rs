//! Aggregation: per-article and corpus summaries built from annotated documents.

use crate::doc::{BoilerplateKind, Document, Mood, Pos};
use crate::ingest::Skipped;
use serde::Serialize;
use std::collections::BTreeMap;

/// Counts that add up over documents.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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

/// One article's summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
}

impl DocumentSummary {
    /// Summarises one annotated document.
    pub fn of(doc: &Document) -> DocumentSummary {
        let counts = Counts::of(doc);
        DocumentSummary {
            id: doc.id.clone(),
            encoding: doc.encoding.to_string(),
            reported_speech_share: counts.reported_speech_share(),
            counts,
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
    /// Per-document summaries, in input order.
    pub documents: Vec<DocumentSummary>,
    /// Inputs that were not analysed, with reasons.
    pub skipped: Vec<Skipped>,
    /// Files in walked directories that are not of a supported type.
    pub ignored_files: usize,
}

impl Report {
    /// An empty report.
    pub fn new() -> Report {
        Report { schema: super::json::SCHEMA, ..Default::default() }
    }

    /// Adds one annotated document.
    pub fn add(&mut self, doc: &Document) {
        let summary = DocumentSummary::of(doc);
        self.corpus.add(&summary.counts);
        self.documents.push(summary);
        self.documents_analysed = self.documents.len();
        self.reported_speech_share = self.corpus.reported_speech_share();
    }
}
