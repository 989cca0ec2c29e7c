//! Per-article and corpus summaries of cues, claims and sentence modality for the report.

use super::is_hedge;
use crate::doc::{ClaimForm, CueKind, Document, SentenceModality, Span};
use serde::Serialize;
use std::collections::BTreeMap;

/// How many sources [`ModalitySummary::top_sources`] lists.
pub const TOP_SOURCES: usize = 10;

/// Claims attributed to one source, by form.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct SourceCount {
    /// All claims of the source.
    pub claims: usize,
    /// Direct quotations.
    pub direct: usize,
    /// Indirect (reported-speech) claims.
    pub indirect: usize,
    /// Claims the author summarised.
    pub reported: usize,
}

/// Cue, claim and modality figures for one article or, after [`ModalitySummary::add`], a corpus.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct ModalitySummary {
    /// Articles summed up.
    pub documents: usize,
    /// Sentences that are not boilerplate.
    pub content_sentences: usize,
    /// Hedge cues: reportative and epistemic modals, speculation verbs, hedge adverbs.
    pub hedge_cues: usize,
    /// Hedge cues per 100 content sentences.
    pub hedging_density: f64,
    /// Cues per kind (snake_case kind names, as in the JSON of cues).
    pub cue_mix: BTreeMap<String, usize>,
    /// Content sentences per modality (snake_case names).
    pub sentence_modality: BTreeMap<String, usize>,
    /// All claims.
    pub claims: usize,
    /// Claims per form (`direct`, `indirect`, `reported`).
    pub claim_forms: BTreeMap<String, usize>,
    /// Claims with a hedge cue inside.
    pub hedged_claims: usize,
    /// Claims with no source in the text.
    pub unattributed_claims: usize,
    /// Claims per source ([`source_key`]: the actor it is, else its normalised text); sources
    /// that name no actor (an unresolved *er*, *nach eigenen Angaben*) are not counted.
    pub sources: BTreeMap<String, SourceCount>,
    /// The most-cited sources, most claims first (ties by name), at most [`TOP_SOURCES`].
    pub top_sources: Vec<(String, usize)>,
}

/// The snake_case name of a cue kind.
pub fn cue_kind_name(kind: CueKind) -> &'static str {
    match kind {
        CueKind::ReportativeModal => "reportative_modal",
        CueKind::EpistemicModal => "epistemic_modal",
        CueKind::SpeculationVerb => "speculation_verb",
        CueKind::HedgeAdverb => "hedge_adverb",
        CueKind::KonjunktivI => "konjunktiv_i",
        CueKind::KonjunktivII => "konjunktiv_ii",
        CueKind::Attribution => "attribution",
        CueKind::QuotationMark => "quotation_mark",
    }
}

/// The snake_case name of a sentence modality.
pub fn modality_name(m: SentenceModality) -> &'static str {
    match m {
        SentenceModality::Asserted => "asserted",
        SentenceModality::Hedged => "hedged",
        SentenceModality::Reported => "reported",
        SentenceModality::Hypothetical => "hypothetical",
        SentenceModality::Question => "question",
    }
}

/// The snake_case name of a claim form.
pub fn form_name(f: ClaimForm) -> &'static str {
    match f {
        ClaimForm::Direct => "direct",
        ClaimForm::Indirect => "indirect",
        ClaimForm::Reported => "reported",
    }
}

/// A source's text as a key: whitespace collapsed, a leading article dropped. (A bare pronoun
/// never gets here: [`source_key`] leaves it out.)
pub fn normalize_source(text: &str) -> String {
    const ARTICLES: &[&str] = &["der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "eines", "einem", "einen"];
    let words: Vec<&str> = text.split_whitespace().collect();
    let skip = usize::from(words.len() > 1 && ARTICLES.contains(&words[0].to_lowercase().as_str()));
    words[skip..].join(" ").trim_end_matches([',', '.', ':']).to_string()
}

/// What a source counts as: the actor it is (*Brandt* and *Helga Brandt* as one), else its
/// words normalised; `None` for a statement or document that names no actor (*nach eigenen
/// Angaben*), which is not counted as a source.
pub fn source_key(doc: &Document, entity: Option<&str>, span: Span) -> Option<String> {
    let text = doc.text_of(span);
    match entity {
        Some(entity) => Some(entity.to_string()),
        None if super::sources::names_no_actor(text) => None,
        None => Some(normalize_source(text)),
    }
}

/// Summarises the modality layer of one analysed document.
pub fn summarize(doc: &Document) -> ModalitySummary {
    let mut out = ModalitySummary { documents: 1, ..Default::default() };
    for sentence in doc.sentences.iter().filter(|s| !s.boilerplate) {
        out.content_sentences += 1;
        if let Some(m) = sentence.modality {
            *out.sentence_modality.entry(modality_name(m).to_string()).or_default() += 1;
        }
        for cue in &sentence.cues {
            *out.cue_mix.entry(cue_kind_name(cue.kind).to_string()).or_default() += 1;
            out.hedge_cues += usize::from(is_hedge(cue.kind));
        }
        for claim in &sentence.claims {
            out.claims += 1;
            *out.claim_forms.entry(form_name(claim.form).to_string()).or_default() += 1;
            out.hedged_claims += usize::from(claim.hedged);
            match claim.source {
                Some(span) => {
                    let Some(key) = source_key(doc, claim.entity.as_deref(), span) else { continue };
                    let entry = out.sources.entry(key).or_default();
                    entry.claims += 1;
                    match claim.form {
                        ClaimForm::Direct => entry.direct += 1,
                        ClaimForm::Indirect => entry.indirect += 1,
                        ClaimForm::Reported => entry.reported += 1,
                    }
                }
                None => out.unattributed_claims += 1,
            }
        }
    }
    out.finish();
    out
}

impl ModalitySummary {
    /// Adds another summary's counts (for a corpus) and recomputes the derived figures.
    pub fn add(&mut self, other: &ModalitySummary) {
        self.documents += other.documents;
        self.content_sentences += other.content_sentences;
        self.hedge_cues += other.hedge_cues;
        self.claims += other.claims;
        self.hedged_claims += other.hedged_claims;
        self.unattributed_claims += other.unattributed_claims;
        for (k, v) in &other.cue_mix {
            *self.cue_mix.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.sentence_modality {
            *self.sentence_modality.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.claim_forms {
            *self.claim_forms.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.sources {
            let e = self.sources.entry(k.clone()).or_default();
            e.claims += v.claims;
            e.direct += v.direct;
            e.indirect += v.indirect;
            e.reported += v.reported;
        }
        self.finish();
    }

    fn finish(&mut self) {
        self.hedging_density =
            if self.content_sentences == 0 { 0.0 } else { 100.0 * self.hedge_cues as f64 / self.content_sentences as f64 };
        let mut top: Vec<(String, usize)> = self.sources.iter().map(|(k, v)| (k.clone(), v.claims)).collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        top.truncate(TOP_SOURCES);
        self.top_sources = top;
    }
}
