//! Named-entity recognition: PER, LOC, ORG and MISC mentions, with derived forms
//! (*russische* → LOC, derived) flagged.
//!
//! An averaged structured perceptron over hashed features with first-order
//! Viterbi decoding under BIO constraints ([`model`]), trained on GermEval 2014 ([`mod@train`]),
//! measured with strict span F1 ([`eval`]). Mentions of one article are grouped into entities
//! by [`link`].

pub mod clusters;
pub mod eval;
mod features;
pub mod gazetteer;
pub mod link;
pub mod model;
pub mod train;

pub use eval::{eval_file, GoldFormat, NerReport};
pub use link::{link_entities, EntityGroup};
pub use train::{train, TrainConfig, TrainReport};

use crate::doc::{Entity, EntityLabel, Pos, Sentence, Span, Text};
use crate::error::{Error, Result};
use crate::morphology::Morphology;
use crate::stage::SentenceStage;
use clusters::{Clusters, CLUSTER_FILE};
use features::Featurizer;
use gazetteer::Gazetteers;
use model::{Model, LABELS, START};
use std::path::Path;
use std::sync::Arc;

/// Folder of the NER model inside the models folder.
pub const MODEL_SUBDIR: &str = "ner";
/// File name of the weights inside `models/ner/`.
pub const MODEL_FILE: &str = "model.bin";
/// File name of the auxiliary model (trained on other corpora) whose labels are features of the
/// main model.
pub const AUX_FILE: &str = "aux.bin";

/// One tagged mention, in token indices.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    /// First token.
    pub start: usize,
    /// One past the last token.
    pub end: usize,
    /// Entity type.
    pub label: EntityLabel,
    /// Derived form or part (*russische*, *EU-weit*).
    pub derived: bool,
    /// Mean probability of the chosen labels over the mention's tokens, in [0, 1].
    pub score: f32,
}

/// The NER stage: model, gazetteers and the morphology lexicon its features read.
#[derive(Debug)]
pub struct Ner {
    model: Model,
    aux: Option<Model>,
    gaz: Arc<Gazetteers>,
    clusters: Clusters,
    morphology: Morphology,
}

impl Ner {
    /// Loads `models_dir/ner/model.bin`, `models_dir/ner/gazetteers/` and the morphology lexicon
    /// under `models_dir/morphology/`.
    pub fn load(models_dir: &Path) -> Result<Ner> {
        let dir = models_dir.join(MODEL_SUBDIR);
        let path = dir.join(MODEL_FILE);
        let model = Model::load(&path)?;
        check_version(&path, model.feature_version() & !features::AUX_FLAG)?;
        let aux = if model.feature_version() & features::AUX_FLAG != 0 {
            let aux_path = dir.join(AUX_FILE);
            let aux = Model::load(&aux_path)?;
            check_version(&aux_path, aux.feature_version())?;
            Some(aux)
        } else {
            None
        };
        let gaz = Arc::new(Gazetteers::load(&dir.join(gazetteer::GAZETTEER_SUBDIR))?);
        let clusters = Clusters::load(&dir.join(CLUSTER_FILE))?;
        Ok(Ner { model, aux, gaz, clusters, morphology: Morphology::load(models_dir)? })
    }

    /// The gazetteers.
    pub fn gazetteers(&self) -> &Gazetteers {
        &self.gaz
    }

    /// The gazetteers, shared, for linking entities after tagging.
    pub fn gazetteers_shared(&self) -> Arc<Gazetteers> {
        self.gaz.clone()
    }

    /// The morphology stage whose lexicon the features read; evaluation runs it on gold tokens.
    pub fn morphology(&self) -> &Morphology {
        &self.morphology
    }

    /// Tags one sentence given as token forms and their parts of speech (`None` where unknown).
    pub fn tag(&self, forms: &[&str], pos: &[Option<Pos>]) -> Vec<Mention> {
        let n = forms.len();
        if n == 0 {
            return Vec::new();
        }
        let mut fz = Featurizer::new(&self.gaz, Some(self.morphology.lexicon()), Some(&self.clusters), self.model.bucket_mask());
        let aux_labels = match &self.aux {
            Some(aux) => decode(aux, &mut fz, forms, pos, &[]).0,
            None => Vec::new(),
        };
        let (labels, em) = decode(&self.model, &mut fz, forms, pos, &aux_labels);
        let trans = self.model.trans();
        // Local probability of each chosen label given the chosen previous one.
        let prob = |i: usize| -> f32 {
            let prev = if i == 0 { START } else { labels[i - 1] };
            let s = |l: usize| em[i * LABELS + l] + trans[prev * LABELS + l];
            let best = (0..LABELS).filter(|&l| model::allowed(prev, l)).map(s).fold(f32::NEG_INFINITY, f32::max);
            let z: f32 = (0..LABELS).filter(|&l| model::allowed(prev, l)).map(|l| (s(l) - best).exp()).sum();
            (s(labels[i]) - best).exp() / z.max(1e-12)
        };
        spans_of(&labels)
            .into_iter()
            .map(|(start, end, label, derived)| {
                let score = (start..end).map(prob).sum::<f32>() / (end - start) as f32;
                Mention { start, end, label, derived, score: score.clamp(0.0, 1.0) }
            })
            .collect()
    }
}

fn check_version(path: &Path, version: u32) -> Result<()> {
    if version != features::FEATURE_VERSION {
        return Err(Error::ModelCorrupt {
            path: path.to_path_buf(),
            reason: format!("trained with feature version {version}, this build uses {}", features::FEATURE_VERSION),
        });
    }
    Ok(())
}

/// Best labels and emission scores of one sentence under `model`.
pub(crate) fn decode(model: &Model, fz: &mut Featurizer, forms: &[&str], pos: &[Option<Pos>], aux: &[usize]) -> (Vec<usize>, Vec<f32>) {
    let n = forms.len();
    let (mut feats, mut offs) = (Vec::with_capacity(n * 80), Vec::with_capacity(n + 1));
    fz.set_mask(model.bucket_mask());
    fz.extract(forms, pos, aux, &mut feats, &mut offs);
    let mut em = vec![0f32; n * LABELS];
    for i in 0..n {
        let f = feats.get(offs[i] as usize..offs[i + 1] as usize).unwrap_or(&[]);
        model.emit(f, &mut em[i * LABELS..(i + 1) * LABELS]);
    }
    let mut labels = Vec::with_capacity(n);
    model::viterbi(&em, n, model.trans(), &mut labels);
    (labels, em)
}

/// Entity spans (token start, end, type, derived) of a valid BIO label sequence.
pub(crate) fn spans_of(labels: &[usize]) -> Vec<(usize, usize, EntityLabel, bool)> {
    let mut out: Vec<(usize, usize, EntityLabel, bool)> = Vec::new();
    let mut prev = START;
    for (i, &l) in labels.iter().enumerate() {
        match model::label_parts(l) {
            Some((_, _, true)) if model::allowed(prev, l) && !out.is_empty() => {
                if let Some(last) = out.last_mut() {
                    last.1 = i + 1;
                }
            }
            Some((t, d, _)) => out.push((i, i + 1, t, d)),
            None => {}
        }
        prev = l;
    }
    out
}

impl SentenceStage for Ner {
    fn name(&self) -> &'static str {
        "ner"
    }

    fn annotate(&self, text: &Text, sentence: &mut Sentence) {
        if sentence.boilerplate {
            sentence.entities.clear();
            return;
        }
        let forms: Vec<&str> = sentence.tokens.iter().map(|t| text.slice(t.span)).collect();
        let pos: Vec<Option<Pos>> = sentence.tokens.iter().map(|t| t.morph.as_ref().map(|m| m.pos)).collect();
        sentence.entities = self
            .tag(&forms, &pos)
            .into_iter()
            .map(|m| Entity {
                span: Span::new(sentence.tokens[m.start].span.start, sentence.tokens[m.end - 1].span.end),
                label: m.label,
                derived: m.derived,
                score: m.score,
            })
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::EntityLabel::*;
    use std::sync::OnceLock;

    fn ner() -> &'static Ner {
        static NER: OnceLock<Ner> = OnceLock::new();
        NER.get_or_init(|| {
            let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
            Ner::load(&models).expect("models/ner is built (see models/README.md)")
        })
    }

    /// Tags a sentence given as space-separated tokens; returns (text, label, derived) per entity.
    fn entities(sentence: &str) -> Vec<(String, EntityLabel, bool)> {
        let (text, mut s) = crate::eval::sentence_from_tokens(&sentence.split(' ').collect::<Vec<_>>());
        ner().morphology().annotate(&text, &mut s);
        ner().annotate(&text, &mut s);
        s.entities.iter().map(|e| (text.slice(e.span).to_string(), e.label, e.derived)).collect()
    }

    #[test]
    fn hard_cases() {
        let mut failures = Vec::new();
        for (sentence, want, label, derived) in [
            ("Merkel sagte , die Lage sei ernst .", "Merkel", PER, false),
            ("Moskau und Washington teilten mit , die Gespräche würden fortgesetzt .", "Moskau", LOC, false),
            ("Moskau und Washington teilten mit , die Gespräche würden fortgesetzt .", "Washington", LOC, false),
            ("Die Linke hat im Bundestag gegen den Antrag gestimmt .", "Die Linke|Linke", ORG, false),
            ("Die Deutsche Bahn erhöht zum Jahreswechsel die Preise .", "Deutsche Bahn", ORG, false),
            ("Die Verhandlungen in Camp David blieben ohne Ergebnis .", "Camp David", LOC, false),
            ("Nordkoreas Machthaber Kim Jong-un hat erneut eine Rakete testen lassen .", "Kim Jong-un", PER, false),
            ("Die G7 und die BRICS-Staaten beraten über Zölle .", "G7", ORG, false),
            ("Beim Gipfel der BRICS in Johannesburg ging es um den Handel .", "BRICS", ORG, false),
            ("Die russische Regierung wies die Vorwürfe zurück .", "russische", LOC, true),
        ] {
            let got = entities(sentence);
            // `want` may list acceptable spans separated by `|`.
            if !got.iter().any(|(t, l, d)| want.split('|').any(|w| w == t) && *l == label && *d == derived) {
                failures.push(format!("{sentence}: want {want} {label:?} derived={derived}, got {got:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn tagging_is_repeatable_and_scores_are_probabilities() {
        let s = "Bundeskanzler Olaf Scholz reiste am Montag nach Paris , um mit Emmanuel Macron zu sprechen .";
        let a = entities(s);
        assert_eq!(a, entities(s));
        let (text, mut sent) = crate::eval::sentence_from_tokens(&s.split(' ').collect::<Vec<_>>());
        ner().morphology().annotate(&text, &mut sent);
        ner().annotate(&text, &mut sent);
        assert!(sent.entities.iter().all(|e| (0.0..=1.0).contains(&e.score)));
        assert!(sent.entities.windows(2).all(|w| w[0].span.end <= w[1].span.start));
    }

    #[test]
    fn corrupt_model_is_an_error() {
        let dir = tempdir();
        let models = dir.join("models");
        std::fs::create_dir_all(models.join(MODEL_SUBDIR)).expect("temp dir");
        assert!(matches!(Ner::load(&models), Err(Error::ModelMissing { .. })));
        let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("models").join(MODEL_SUBDIR).join(MODEL_FILE);
        let bytes = std::fs::read(real).expect("model present");
        for cut in [3, 100, bytes.len() / 3] {
            std::fs::write(models.join(MODEL_SUBDIR).join(MODEL_FILE), &bytes[..cut]).expect("write");
            match Ner::load(&models) {
                Err(Error::ModelCorrupt { reason, .. }) => assert!(!reason.is_empty()),
                other => panic!("cut at {cut}: expected ModelCorrupt, got {other:?}"),
            }
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    fn tempdir() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("lesart-ner-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }
}
