//! The modality stage: cues (modal verbs, hedges, Konjunktiv, attribution, quotation marks),
//! claims (who says what, in which form) and each sentence's modality.
//!
//! Cue words come from `models/modality/cues.txt` (format in `models/README.md`), read at run
//! time from the models directory, so users can extend the lists without rebuilding. Konjunktiv
//! cues come from the morphology layer: a verb whose `mood` is Konjunktiv I or II counts only
//! where no indicative form of the same person and number is spelt alike (3rd person plural
//! *haben* is no cue, 3rd person singular *habe* is).
//!
//! Claims are built per document, as quotations may run over several sentences:
//! - **Direct**: a quotation bound to an adjacent speech verb or *so X* (*„…“, sagte er*;
//!   *sagte er: „…“*), a quotation inside another claim's message (same cue and source), or a
//!   free-standing quotation of at least five words (no cue; source of the latest claim nearby).
//! - **Indirect**: a speech or belief verb with a complement clause (*dass …*, a Konjunktiv
//!   clause), *laut X*, *X zufolge*, *nach Angaben X*, *wie X mitteilte*, *…, sagte X*; and
//!   sentences in Konjunktiv I with no cue of their own, which continue the latest reported
//!   speech (no cue, the latest source).
//! - **Reported**: a speech verb without a complement (*X kritisierte die Entscheidung*, the
//!   whole sentence is the message) and hearsay *soll* without another cue.

mod claims;
pub mod cues;
pub mod eval;
pub mod model;
mod sources;
pub mod summary;
pub mod train;

pub use cues::CueLexicon;
pub use eval::{eval_quotes, QuoteReport};
pub use summary::{summarize, ModalitySummary};

use crate::doc::{Claim, CueKind, Document, Sentence, SentenceModality, Span};
use crate::error::Result;
use crate::morphology::Morphology;
use crate::ner::gazetteer::Gazetteers;
use crate::ner::link::SECTION_SENTENCES;
use crate::stage::DocumentStage;
use claims::SentenceAnalysis;
use model::QuoteModel;
use std::path::Path;
use std::sync::Arc;

/// Subdirectory of the models directory holding the cue lexicon.
pub const MODEL_SUBDIR: &str = "modality";
/// File name of the cue lexicon.
pub const LEXICON_FILE: &str = "cues.txt";

/// The modality stage.
#[derive(Debug)]
pub struct Modality {
    cues: CueLexicon,
    /// The morphology whose lexicon tells Konjunktiv forms from indicative ones (shared with
    /// the morphology stage).
    morphology: Arc<Morphology>,
    /// The learned quotation model (`models/modality/quotes.bin`), used where the sentences
    /// carry the encoder's vectors; the rules' claims are its inputs and stay without them.
    model: Option<QuoteModel>,
    /// The gazetteers entity groups are linked with (sources are tied to those groups).
    gazetteers: Option<Arc<Gazetteers>>,
}

/// True for the cue kinds counted as hedges: reportative and epistemic modals, speculation
/// verbs and hedge adverbs.
pub fn is_hedge(kind: CueKind) -> bool {
    matches!(kind, CueKind::ReportativeModal | CueKind::EpistemicModal | CueKind::SpeculationVerb | CueKind::HedgeAdverb)
}

impl Modality {
    /// Reads `models_dir/modality/cues.txt` and loads a morphology of its own from
    /// `models_dir/morphology` (to tell Konjunktiv forms from indicative ones).
    pub fn load(models_dir: &Path) -> Result<Modality> {
        Modality::with_morphology(models_dir, Arc::new(Morphology::load(models_dir)?))
    }

    /// Reads `models_dir/modality/cues.txt`; `morphology` is the pipeline's, shared.
    pub fn with_morphology(models_dir: &Path, morphology: Arc<Morphology>) -> Result<Modality> {
        let cues = CueLexicon::load(&models_dir.join(MODEL_SUBDIR).join(LEXICON_FILE))?;
        Ok(Modality { cues, morphology, model: None, gazetteers: None })
    }

    /// The same stage with the quotation model from `models_dir` when the pipeline encodes
    /// (`vector_dim`) and the model file exists; it must read vectors of that width.
    pub fn for_vectors(mut self, models_dir: &Path, vector_dim: Option<usize>) -> Result<Modality> {
        let path = models_dir.join(MODEL_SUBDIR).join(model::MODEL_FILE);
        self.model = match vector_dim {
            Some(dim) if path.exists() => {
                let model = QuoteModel::load(&path)?;
                model.check_width(&path, dim)?;
                Some(model)
            }
            _ => None,
        };
        Ok(self)
    }

    /// The same stage grouping entities with `gazetteers` when it ties sources to actors (as
    /// the reports group them).
    pub fn with_gazetteers(mut self, gazetteers: Arc<Gazetteers>) -> Modality {
        self.gazetteers = Some(gazetteers);
        self
    }

    /// True when the quotation model decides the claims.
    pub fn has_model(&self) -> bool {
        self.model.is_some()
    }
}

impl DocumentStage for Modality {
    fn name(&self) -> &'static str {
        "modality"
    }

    fn process(&self, doc: &mut Document) {
        let analyses: Vec<Option<SentenceAnalysis>> = doc
            .sentences
            .iter()
            .map(|sentence| {
                (!sentence.boilerplate).then(|| {
                    let toks = cues::token_views(&doc.text, sentence);
                    let found = self.cues.detect(self.morphology.lexicon(), sentence, &toks);
                    SentenceAnalysis { toks, found }
                })
            })
            .collect();
        let mut flags: Vec<(bool, bool)> = Vec::with_capacity(analyses.len());
        for (sentence, analysis) in doc.sentences.iter_mut().zip(&analyses) {
            sentence.cues.clear();
            sentence.claims.clear();
            sentence.modality = None;
            if let Some(a) = analysis {
                sentence.cues = a.found.cues.clone();
                let question = a.toks.last().is_some_and(|t| t.text == "?");
                flags.push((a.found.conditional, question));
            } else {
                flags.push((false, false));
            }
        }
        claims::build_claims(doc, &analyses);
        let groups = crate::ner::link::group_entities(doc, self.gazetteers.as_deref(), SECTION_SENTENCES);
        sources::resolve_sources(doc, &groups);
        if let Some(model) = &self.model {
            // The model reads the rules' claims; a failure of its arithmetic leaves them.
            if let Ok(Some(found)) = model.claims(doc) {
                install_claims(doc, found);
                sources::resolve_sources(doc, &groups);
            }
        }
        let messages: Vec<_> = doc.sentences.iter().flat_map(|s| &s.claims).flat_map(|c| c.message.iter().copied()).collect();
        for (i, (conditional, question)) in flags.into_iter().enumerate() {
            if doc.sentences[i].boilerplate {
                continue;
            }
            let in_claim = messages.iter().any(|m| m.overlaps(doc.sentences[i].span));
            let modality = sentence_modality(&doc.sentences[i], in_claim, conditional, question);
            doc.sentences[i].modality = Some(modality);
        }
    }
}

/// Replaces the document's claims by `claims` (each with its sentence), marking those with a
/// hedge cue in their message or cue words as hedged.
pub(crate) fn install_claims(doc: &mut Document, mut claims: Vec<(usize, Claim)>) {
    let hedges: Vec<Span> = doc.sentences.iter().flat_map(|s| &s.cues).filter(|c| is_hedge(c.kind)).map(|c| c.span).collect();
    for (_, claim) in &mut claims {
        claim.hedged = hedges.iter().any(|h| claim.message.iter().chain(&claim.cue).any(|m| m.contains(*h)));
    }
    claims.sort_by_key(|(s, c)| (*s, c.message.first().map(|m| m.start)));
    doc.sentences.iter_mut().for_each(|s| s.claims.clear());
    for (s, claim) in claims {
        if let Some(sentence) = doc.sentences.get_mut(s) {
            sentence.claims.push(claim);
        }
    }
}

/// Question, then reported (a claim's message or an attribution cue here), then hypothetical
/// (Konjunktiv II, conditional *sollte*), then hedged, else asserted.
fn sentence_modality(sentence: &Sentence, in_claim: bool, conditional: bool, question: bool) -> SentenceModality {
    let has = |kind: CueKind| sentence.cues.iter().any(|c| c.kind == kind);
    if question {
        SentenceModality::Question
    } else if in_claim || has(CueKind::Attribution) || has(CueKind::KonjunktivI) || has(CueKind::ReportativeModal) {
        SentenceModality::Reported
    } else if conditional || has(CueKind::KonjunktivII) {
        SentenceModality::Hypothetical
    } else if sentence.cues.iter().any(|c| is_hedge(c.kind)) {
        SentenceModality::Hedged
    } else {
        SentenceModality::Asserted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{ClaimForm, Document};
    use crate::morphology::Morphology;
    use crate::segment::Segmenter;
    use crate::stage::SentenceStage;
    use std::path::PathBuf;
    use std::sync::OnceLock;

    fn models() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
    }

    fn stages() -> &'static (Morphology, Modality) {
        static STAGES: OnceLock<(Morphology, Modality)> = OnceLock::new();
        STAGES.get_or_init(|| {
            let morphology = Morphology::load(&models()).expect("morphology model in models/");
            let modality = Modality::load(&models()).expect("modality lexicon in models/");
            (morphology, modality)
        })
    }

    fn analyze(text: &str) -> Document {
        let (morphology, modality) = stages();
        let mut doc = Document::new("test", text.to_string(), "UTF-8");
        Segmenter::default().process(&mut doc);
        for sentence in doc.sentences.iter_mut() {
            morphology.annotate(&doc.text, sentence);
        }
        modality.process(&mut doc);
        doc
    }

    fn cues_of(doc: &Document, kind: CueKind) -> Vec<String> {
        doc.sentences.iter().flat_map(|s| &s.cues).filter(|c| c.kind == kind).map(|c| doc.text_of(c.span).to_string()).collect()
    }

    fn texts(doc: &Document, spans: &[crate::doc::Span]) -> Vec<String> {
        spans.iter().map(|s| doc.text_of(*s).to_string()).collect()
    }

    #[test]
    fn finds_every_cue_kind() {
        let table: &[(&str, CueKind, &str)] = &[
            ("Er soll von dem Anschlag gewusst haben.", CueKind::ReportativeModal, "soll"),
            ("Bei dem Toten soll es sich um einen Journalisten gehandelt haben.", CueKind::ReportativeModal, "soll"),
            ("Der Schaden dürfte in die Millionen gehen.", CueKind::EpistemicModal, "dürfte"),
            ("Experten vermuten einen technischen Defekt.", CueKind::SpeculationVerb, "vermuten"),
            ("Der Täter ist möglicherweise ins Ausland geflohen.", CueKind::HedgeAdverb, "möglicherweise"),
            ("Der Minister sagte, die Lage sei ernst.", CueKind::KonjunktivI, "sei"),
            ("Ohne Hilfe wäre das Dorf verloren.", CueKind::KonjunktivII, "wäre"),
            ("Laut dpa wurden drei Menschen verletzt.", CueKind::Attribution, "Laut"),
            ("Der Minister sagte, die Lage sei ernst.", CueKind::Attribution, "sagte"),
            ("Sie nannte das Urteil „einen Skandal“.", CueKind::QuotationMark, "„"),
        ];
        for &(text, kind, expected) in table {
            let doc = analyze(text);
            assert!(cues_of(&doc, kind).iter().any(|c| c == expected), "{text}: no {kind:?} cue {expected:?}");
        }
    }

    #[test]
    fn konjunktiv_only_where_it_differs_from_the_indicative() {
        assert!(cues_of(&analyze("Ich habe keine Zeit."), CueKind::KonjunktivI).is_empty());
        assert_eq!(cues_of(&analyze("Er sagte, er habe keine Zeit."), CueKind::KonjunktivI), ["habe"]);
        assert!(cues_of(&analyze("Sie sagten, sie haben keine Zeit."), CueKind::KonjunktivI).is_empty());
        assert_eq!(cues_of(&analyze("Der Sprecher sagte, die Regierung werde handeln."), CueKind::KonjunktivI), ["werde"]);
    }

    #[test]
    fn tells_hearsay_sollen_from_duty_and_condition() {
        let conditional = analyze("Sollte Nordkorea Waffen liefern, wird Japan reagieren.");
        assert!(cues_of(&conditional, CueKind::ReportativeModal).is_empty());
        assert_eq!(conditional.sentences[0].modality, Some(SentenceModality::Hypothetical));
        assert!(cues_of(&analyze("Die Regierung soll handeln."), CueKind::ReportativeModal).is_empty());
        assert_eq!(cues_of(&analyze("Der Minister soll von den Zahlungen gewusst haben."), CueKind::ReportativeModal), ["soll"]);
    }

    #[test]
    fn multi_sentence_quote_is_one_claim() {
        let doc = analyze("Er sagte: „Wir sind bereit. Wir warten. Wir kommen.“ Danach ging er.");
        let claims: Vec<_> = doc.sentences.iter().flat_map(|s| &s.claims).collect();
        assert_eq!(claims.len(), 1);
        let claim = claims[0];
        assert_eq!(claim.form, ClaimForm::Direct);
        assert_eq!(texts(&doc, &claim.message), ["„Wir sind bereit. Wir warten. Wir kommen.“"]);
        assert_eq!(texts(&doc, &claim.cue), ["sagte"]);
        assert_eq!(claim.source.map(|s| doc.text_of(s)), Some("Er"));
        assert_eq!(doc.sentences[1].modality, Some(SentenceModality::Reported));
    }

    #[test]
    fn claims_have_cue_source_and_message() {
        // (text, cue, source, message, form)
        type Row = (&'static str, &'static [&'static str], &'static str, &'static [&'static str], ClaimForm);
        let table: &[Row] = &[
            (
                "Die Botschaft teilte am Montag mit, dass niemand verletzt worden sei.",
                &["teilte", "mit"],
                "Die Botschaft",
                &["dass niemand verletzt worden sei"],
                ClaimForm::Indirect,
            ),
            ("Laut dpa wurden drei Menschen verletzt.", &["Laut"], "dpa", &["wurden drei Menschen verletzt"], ClaimForm::Indirect),
            (
                "Der Polizei zufolge war der Fahrer betrunken.",
                &["zufolge"],
                "Der Polizei",
                &["war der Fahrer betrunken"],
                ClaimForm::Indirect,
            ),
            ("„Das ist ein Skandal“, so der Sprecher.", &["so"], "der Sprecher", &["„Das ist ein Skandal“"], ClaimForm::Direct),
            ("Der Minister sagte, die Lage sei ernst.", &["sagte"], "Der Minister", &["die Lage sei ernst"], ClaimForm::Indirect),
            (
                "Nach Angaben der Polizei wurde niemand verletzt.",
                &["Nach"],
                "Angaben der Polizei",
                &["wurde niemand verletzt"],
                ClaimForm::Indirect,
            ),
            (
                // The companion joins the cue (`hinweisen +darauf` in cues.txt).
                "Der Sprecher wies darauf hin, dass die Lage ernst sei.",
                &["wies", "darauf", "hin"],
                "Der Sprecher",
                &["dass die Lage ernst sei"],
                ClaimForm::Indirect,
            ),
            (
                // The subject before an inserted phrase, without it when it is no apposition.
                "Erich Stamminger, zuständig für das US-Geschäft, hatte im Juni angekündigt, das Geschäft zu stärken.",
                &["hatte", "angekündigt"],
                "Erich Stamminger",
                &["das Geschäft zu stärken"],
                ClaimForm::Indirect,
            ),
            (
                // A reported statement holds its verb in the message and has no cue.
                "Die Opposition kritisierte die Entscheidung der Regierung scharf.",
                &[],
                "Die Opposition",
                &["Die Opposition kritisierte die Entscheidung der Regierung scharf."],
                ClaimForm::Reported,
            ),
            (
                "Wie der Bundeswahlleiter mitteilte, lag die Beteiligung bei 41,9 Prozent.",
                &["Wie", "mitteilte"],
                "der Bundeswahlleiter",
                &["lag die Beteiligung bei 41,9 Prozent"],
                ClaimForm::Indirect,
            ),
        ];
        for &(text, cue, source, message, form) in table {
            let doc = analyze(text);
            let claim = doc.sentences.iter().flat_map(|s| &s.claims).next().unwrap_or_else(|| panic!("{text}: no claim"));
            assert_eq!(texts(&doc, &claim.cue), cue, "{text}");
            assert_eq!(claim.source.map(|s| doc.text_of(s)), Some(source), "{text}");
            assert_eq!(texts(&doc, &claim.message), message, "{text}");
            assert_eq!(claim.form, form, "{text}");
        }
    }

    #[test]
    fn sentence_modality_and_hedged_claims() {
        let doc = analyze("Der Zug kam pünktlich. Vermutlich war das Wetter schuld. Kommt er morgen? Er sagte, er komme wohl später.");
        let modality: Vec<_> = doc.sentences.iter().map(|s| s.modality).collect();
        assert_eq!(
            modality,
            [
                Some(SentenceModality::Asserted),
                Some(SentenceModality::Hedged),
                Some(SentenceModality::Question),
                Some(SentenceModality::Reported)
            ]
        );
        assert!(doc.sentences[3].claims.iter().all(|c| c.hedged));
    }

    #[test]
    fn summary_counts_and_adds_up() {
        let doc =
            analyze("Der Minister sagte, die Lage sei ernst. Vermutlich war das Wetter schuld. Laut dpa wurden drei Menschen verletzt.");
        let one = summarize(&doc);
        assert_eq!(one.content_sentences, 3);
        assert_eq!(one.hedge_cues, 1);
        assert!((one.hedging_density - 100.0 / 3.0).abs() < 1e-9);
        assert_eq!(one.claims, 2);
        assert_eq!(one.sources.get("Minister").map(|s| s.indirect), Some(1));
        assert_eq!(one.top_sources.len(), 2);
        let mut corpus = one.clone();
        corpus.add(&one);
        assert_eq!(corpus.documents, 2);
        assert_eq!(corpus.claims, 4);
        assert_eq!(corpus.top_sources[0].1, 2);
        assert!((corpus.hedging_density - one.hedging_density).abs() < 1e-9);
    }

    #[test]
    fn lexicon_rejects_unknown_categories() {
        let err = CueLexicon::parse("speech sagen\nadverbial wohl\n", Path::new("cues.txt"));
        assert!(matches!(err, Err(crate::error::Error::BadLine { line: 2, .. })));
        assert!(CueLexicon::parse("# only a comment\nhedge vielleicht # trailing comment\n", Path::new("cues.txt")).is_ok());
    }

    #[test]
    fn eval_scores_a_perfect_claim() {
        let text = "Der Minister sagte, die Lage sei ernst.";
        let line = serde_json::json!({
            "text": text,
            "tokens": [[0, 3], [4, 12], [13, 18], [18, 19], [20, 23], [24, 28], [29, 32], [33, 38], [38, 39]],
            "quotations": [{"cue": [[13, 18]], "speaker": [[0, 12]], "quote": [[20, 38]], "type": "Indirect"}],
        });
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("gold.jsonl");
        std::fs::write(&path, format!("{line}\n")).expect("write gold");
        let report = eval_quotes(&analyze, &path, eval::QuoteSplit::All).expect("eval runs");
        assert_eq!(report.articles, 1);
        let roles = &report.one_to_one;
        for field in [&roles.message, &roles.source, &roles.cue] {
            assert_eq!((field.overlap.f1, field.exact.f1), (1.0, 1.0));
        }
        assert_eq!(report.spkatt.joint.f1, 1.0);
        assert!(report.to_string().contains("message"));
    }
}
