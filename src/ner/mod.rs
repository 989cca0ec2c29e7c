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
pub mod head;
pub mod link;
pub mod model;
pub mod train;
pub mod train_head;

pub use eval::{eval_file, GoldFormat, NerReport};
pub use head::HeadConfig;
pub use link::{link_entities, EntityGroup};
pub use train::{train, TrainConfig, TrainReport};
pub use train_head::{train_contextual, HeadTrainConfig, HeadTrainReport};

use crate::doc::{Entity, EntityLabel, Pos, Sentence, Span, Text};
use crate::encode::Encode;
use crate::encoder::TokenMatrix;
use crate::error::{Error, Result};
use crate::morphology::Morphology;
use crate::stage::SentenceStage;
use clusters::{Clusters, CLUSTER_FILE};
use features::Featurizer;
use gazetteer::Gazetteers;
use head::{EncoderHead, HEAD_FILE};
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

/// Which NER model tags (`--ner fast|accurate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum NerModel {
    /// The feature perceptron alone: hundreds of thousands of tokens per second.
    Fast,
    /// The perceptron's scores plus those of a head over multilingual-e5-small word vectors:
    /// higher F1 at about a thousand words per second.
    #[default]
    Accurate,
}

impl NerModel {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            NerModel::Fast => "fast",
            NerModel::Accurate => "accurate",
        }
    }
}

/// The NER stage: model, gazetteers and the morphology lexicon its features read, and for the
/// accurate model the head over the encoder's last layer (which the encode stage leaves on
/// each sentence).
#[derive(Debug)]
pub struct Ner {
    model: Model,
    aux: Option<Model>,
    gaz: Arc<Gazetteers>,
    clusters: Clusters,
    morphology: Arc<Morphology>,
    head: Option<EncoderHead>,
}

impl Ner {
    /// Loads the default ([`NerModel::Accurate`]) model with a morphology of its own; see
    /// [`Ner::load_model`].
    pub fn load(models_dir: &Path) -> Result<Ner> {
        Ner::load_model(models_dir, NerModel::default(), Arc::new(Morphology::load(models_dir)?))
    }

    /// Loads `models_dir/ner/model.bin` and `models_dir/ner/gazetteers/`, its features reading
    /// `morphology`'s lexicon; for [`NerModel::Accurate`] also the head `models_dir/ner/head.bin`,
    /// which reads the vectors of the encode stage ([`Ner::for_vectors`] checks that they fit).
    pub fn load_model(models_dir: &Path, which: NerModel, morphology: Arc<Morphology>) -> Result<Ner> {
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
        let head = match which {
            NerModel::Fast => None,
            NerModel::Accurate => Some(EncoderHead::load(&dir.join(HEAD_FILE))?),
        };
        Ok(Ner { model, aux, gaz, clusters, morphology, head })
    }

    /// The model with the encode stage it reads: the accurate model needs one, the fast none.
    pub fn load_with_encoder(models_dir: &Path, which: NerModel) -> Result<(Ner, Option<Encode>)> {
        let ner = Ner::load_model(models_dir, which, Arc::new(Morphology::load(models_dir)?))?;
        let encode = ner.head.as_ref().map(|_| Encode::load(models_dir)).transpose()?;
        let ner = ner.for_vectors(encode.as_ref().map(Encode::last_dim), models_dir)?;
        Ok((ner, encode))
    }

    /// Checks that the head reads vectors as wide as the encode stage's last layer
    /// (`last_dim`, `None` without an encode stage, where the head cannot run).
    pub fn for_vectors(self, last_dim: Option<usize>, models_dir: &Path) -> Result<Ner> {
        match (&self.head, last_dim) {
            (Some(head), Some(dim)) => crate::encode::check_width(&models_dir.join(MODEL_SUBDIR).join(HEAD_FILE), head.dim(), dim)?,
            (Some(_), None) => return Err(Error::Usage("the accurate NER model needs the encode stage".into())),
            (None, _) => {}
        }
        Ok(self)
    }

    /// Which model tags.
    pub fn model(&self) -> NerModel {
        if self.head.is_some() {
            NerModel::Accurate
        } else {
            NerModel::Fast
        }
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

    /// Tags one sentence given as token forms and their parts of speech (`None` where unknown),
    /// with the encode stage's last-layer vectors of its tokens where the accurate model has
    /// them.
    pub fn tag(&self, forms: &[&str], pos: &[Option<Pos>], vectors: Option<&TokenMatrix>) -> Vec<Mention> {
        let weight = self.head.as_ref().map_or(0.0, |h| h.fusion_weight());
        let head = match (&self.head, vectors) {
            (Some(h), Some(last)) => Some(h.log_probs(last)),
            _ => None,
        };
        self.tag_one(forms, pos, head.as_deref(), weight)
    }

    /// Tags sentences given as forms and parts of speech, encoding them first with `encode`
    /// (one pass over all of them) when there is one: what the pipeline does, for evaluation
    /// and tests.
    pub fn tag_sentences(&self, encode: Option<&Encode>, sentences: &[(&[&str], &[Option<Pos>])]) -> Vec<Vec<Mention>> {
        let vectors = match (encode, &self.head) {
            (Some(encode), Some(_)) => encode.encode(&sentences.iter().map(|s| s.0).collect::<Vec<_>>()),
            _ => vec![None; sentences.len()],
        };
        sentences.iter().zip(&vectors).map(|((forms, pos), v)| self.tag(forms, pos, v.as_ref().map(|v| &v.last))).collect()
    }

    /// Decodes one sentence; `head` (n × labels log-probabilities) is added with `weight` to
    /// the perceptron's emission scores.
    fn tag_one(&self, forms: &[&str], pos: &[Option<Pos>], head: Option<&[f32]>, weight: f32) -> Vec<Mention> {
        let n = forms.len();
        if n == 0 {
            return Vec::new();
        }
        let mut fz = Featurizer::new(&self.gaz, Some(self.morphology.lexicon()), Some(&self.clusters), self.model.bucket_mask());
        let aux_labels = match &self.aux {
            Some(aux) => decode(aux, &mut fz, forms, pos, &[]).0,
            None => Vec::new(),
        };
        let (mut labels, mut em) = decode(&self.model, &mut fz, forms, pos, &aux_labels);
        let trans = self.model.trans();
        if let Some(head) = head.filter(|h| h.len() == em.len()) {
            em.iter_mut().zip(head).for_each(|(e, h)| *e += weight * h);
            model::viterbi(&em, n, trans, &mut labels);
        }
        // Local probability of each chosen label given the chosen previous one.
        let prob = |i: usize| -> f32 {
            let prev = if i == 0 { START } else { labels[i - 1] };
            let s = |l: usize| em[i * LABELS + l] + trans[prev * LABELS + l];
            let best = (0..LABELS).filter(|&l| model::allowed(prev, l)).map(s).fold(f32::NEG_INFINITY, f32::max);
            let z: f32 = (0..LABELS).filter(|&l| model::allowed(prev, l)).map(|l| (s(l) - best).exp()).sum();
            (s(labels[i]) - best).exp() / z.max(1e-12)
        };
        let mentions = spans_of(&labels)
            .into_iter()
            .map(|(start, end, label, derived)| {
                let score = (start..end).map(prob).sum::<f32>() / (end - start) as f32;
                Mention { start, end, label, derived, score: score.clamp(0.0, 1.0) }
            })
            .collect();
        organisations_are_org(&self.gaz, forms, widen_to_places(&self.gaz, forms, mentions))
    }
}

/// A mention whose words are exactly a name of the hand-written organisation list (*G7*,
/// *BRICS*, *Die Linke*) is an ORG, whatever type the models gave it: the list holds only names
/// that are organisations in news text, and the encoder, which has not learnt them all, reads
/// some as places.
fn organisations_are_org(gaz: &Gazetteers, forms: &[&str], mut mentions: Vec<Mention>) -> Vec<Mention> {
    for m in &mut mentions {
        if !m.derived && m.label != EntityLabel::ORG && forms.get(m.start..m.end).is_some_and(|w| gaz.is_organisation(&w.join(" "))) {
            m.label = EntityLabel::ORG;
        }
    }
    mentions
}

/// Mentions strictly inside a place name of two to four capitalised words from the gazetteer
/// (*David* in *Camp David*) become one LOC over the whole name. Such names are rarely
/// accidental, and the encoder head, which knows the words but not the list, tends to split them.
fn widen_to_places(gaz: &Gazetteers, forms: &[&str], mut mentions: Vec<Mention>) -> Vec<Mention> {
    let capital = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
    let mut i = 0;
    while i < forms.len() {
        let longest = (2..=4usize).rev().find(|&len| {
            let Some(words) = forms.get(i..i + len) else { return false };
            capital(words[0]) && capital(words[len - 1]) && gaz.is_place(&words.join(" "))
        });
        let Some(len) = longest else {
            i += 1;
            continue;
        };
        let (a, b) = (i, i + len);
        let overlapping: Vec<usize> = (0..mentions.len()).filter(|&k| mentions[k].start < b && mentions[k].end > a).collect();
        let strictly_inside = |m: &Mention| m.start >= a && m.end <= b && (m.start, m.end) != (a, b);
        if !overlapping.is_empty() && overlapping.iter().all(|&k| strictly_inside(&mentions[k])) {
            let score = overlapping.iter().map(|&k| mentions[k].score).fold(0.0, f32::max);
            let at = overlapping[0];
            mentions.retain(|m| !(m.start >= a && m.end <= b));
            mentions.insert(at, Mention { start: a, end: b, label: EntityLabel::LOC, derived: false, score });
        }
        i = b;
    }
    mentions
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
        self.annotate_batch(text, std::slice::from_mut(sentence));
    }

    fn annotate_batch(&self, text: &Text, sentences: &mut [Sentence]) {
        for sentence in sentences.iter_mut() {
            if sentence.boilerplate {
                sentence.entities.clear();
                continue;
            }
            let forms: Vec<&str> = sentence.tokens.iter().map(|t| text.slice(t.span)).collect();
            let pos: Vec<Option<Pos>> = sentence.tokens.iter().map(|t| t.morph.as_ref().map(|m| m.pos)).collect();
            let mentions = self.tag(&forms, &pos, sentence.vectors.as_ref().map(|v| &v.last));
            let tokens = &sentence.tokens;
            sentence.entities = mentions
                .into_iter()
                .map(|m| Entity {
                    span: Span::new(tokens[m.start].span.start, tokens[m.end - 1].span.end),
                    label: m.label,
                    derived: m.derived,
                    score: m.score,
                })
                .collect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::EntityLabel::*;
    use std::sync::OnceLock;

    fn models() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
    }

    /// The accurate (default) model with the encode stage it reads.
    fn accurate() -> &'static (Ner, Option<Encode>) {
        static NER: OnceLock<(Ner, Option<Encode>)> = OnceLock::new();
        NER.get_or_init(|| Ner::load_with_encoder(&models(), NerModel::Accurate).expect("models/ner is built (see models/README.md)"))
    }

    fn ner() -> &'static Ner {
        &accurate().0
    }

    fn encode() -> Option<&'static Encode> {
        accurate().1.as_ref()
    }

    fn fast() -> &'static Ner {
        static NER: OnceLock<Ner> = OnceLock::new();
        NER.get_or_init(|| Ner::load_with_encoder(&models(), NerModel::Fast).expect("models/ner is built (see models/README.md)").0)
    }

    /// The encode stage a tagger reads: the accurate model's, none for the fast one.
    fn encode_for(tagger: &Ner) -> Option<&'static Encode> {
        encode().filter(|_| tagger.model() == NerModel::Accurate)
    }

    /// Tags a sentence given as space-separated tokens; returns (text, label, derived) per entity.
    fn entities(sentence: &str) -> Vec<(String, EntityLabel, bool)> {
        entities_by(ner(), sentence)
    }

    /// A sentence of space-separated tokens through morphology, the encoder where the tagger
    /// reads it, and the tagger.
    fn tagged(tagger: &Ner, sentence: &str) -> (Text, Sentence) {
        let (text, mut s) = crate::io::gold::sentence_from_tokens(&sentence.split(' ').collect::<Vec<_>>());
        tagger.morphology().annotate(&text, &mut s);
        if let Some(encode) = encode_for(tagger) {
            encode.annotate(&text, &mut s);
        }
        tagger.annotate(&text, &mut s);
        (text, s)
    }

    fn entities_by(ner: &Ner, sentence: &str) -> Vec<(String, EntityLabel, bool)> {
        let (text, s) = tagged(ner, sentence);
        s.entities.iter().map(|e| (text.slice(e.span).to_string(), e.label, e.derived)).collect()
    }

    #[test]
    fn models_are_named_and_parsed() {
        assert_eq!(ner().model(), NerModel::Accurate);
        assert_eq!(fast().model(), NerModel::Fast);
        use clap::ValueEnum;
        assert_eq!(NerModel::from_str("fast", false).ok(), Some(NerModel::Fast));
        assert!(NerModel::from_str("bert", false).is_err());
        let names: Vec<&str> = NerModel::value_variants().iter().map(|m| m.name()).collect();
        assert_eq!(names, ["fast", "accurate"]);
    }

    #[test]
    fn hard_cases() {
        for tagger in [ner(), fast()] {
            hard_cases_of(tagger);
        }
    }

    fn hard_cases_of(tagger: &Ner) {
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
            let got = entities_by(tagger, sentence);
            // `want` may list acceptable spans separated by `|`.
            if !got.iter().any(|(t, l, d)| want.split('|').any(|w| w == t) && *l == label && *d == derived) {
                failures.push(format!("{sentence}: want {want} {label:?} derived={derived}, got {got:?}"));
            }
        }
        assert!(failures.is_empty(), "{} model:\n{}", tagger.model().name(), failures.join("\n"));
    }

    #[test]
    fn a_batch_tags_each_sentence_as_alone() {
        let sentences = [
            "Bundeskanzler Olaf Scholz reiste am Montag nach Paris .",
            "Die Deutsche Bahn erhöht zum Jahreswechsel die Preise , teilte das Unternehmen in Berlin mit .",
            "Kim Jong-un",
        ];
        let split: Vec<Vec<&str>> = sentences.iter().map(|s| s.split(' ').collect()).collect();
        let pos: Vec<Vec<Option<Pos>>> = split.iter().map(|s| vec![None; s.len()]).collect();
        let batch: Vec<(&[&str], &[Option<Pos>])> = split.iter().zip(&pos).map(|(f, p)| (f.as_slice(), p.as_slice())).collect();
        let together = ner().tag_sentences(encode(), &batch);
        for (k, (forms, pos)) in batch.iter().enumerate() {
            let alone = ner().tag_sentences(encode(), &[(forms, pos)]).remove(0);
            let spans = |m: &[Mention]| m.iter().map(|m| (m.start, m.end, m.label, m.derived)).collect::<Vec<_>>();
            assert_eq!(spans(&together[k]), spans(&alone), "{}", sentences[k]);
        }
        assert!(together[0].iter().any(|m| m.label == EntityLabel::PER && (m.start, m.end) == (1, 3)));
        assert!(ner().tag_sentences(encode(), &[]).is_empty());
        assert!(ner().tag(&[], &[], None).is_empty());
    }

    #[test]
    fn corrupt_head_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let copy = dir.path().join("models");
        copy_dir(&models(), &copy);
        let head = copy.join(MODEL_SUBDIR).join(HEAD_FILE);
        let bytes = std::fs::read(&head).expect("head present");
        // Unlink first: the file may be a hard link to the real head.
        std::fs::remove_file(&head).expect("unlink");
        std::fs::write(&head, &bytes[..bytes.len() / 2]).expect("write");
        match Ner::load(&copy) {
            Err(e @ Error::ModelCorrupt { .. }) => assert!(e.to_string().contains("head.bin"), "{e}"),
            other => panic!("expected ModelCorrupt, got {other:?}"),
        }
        // The fast model does not read the head.
        assert!(Ner::load_with_encoder(&copy, NerModel::Fast).is_ok());
        std::fs::remove_file(&head).expect("remove");
        assert!(matches!(Ner::load(&copy), Err(Error::ModelMissing { .. })));
    }

    /// Links the model files into `to` (copies where linking fails), leaving the originals alone.
    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("dir");
        for entry in std::fs::read_dir(from).expect("models dir") {
            let entry = entry.expect("entry");
            let target = to.join(entry.file_name());
            if entry.path().is_dir() {
                copy_dir(&entry.path(), &target);
            } else if std::fs::hard_link(entry.path(), &target).is_err() {
                std::fs::copy(entry.path(), &target).expect("copy");
            }
        }
    }

    #[test]
    fn tagging_is_repeatable_and_scores_are_probabilities() {
        let s = "Bundeskanzler Olaf Scholz reiste am Montag nach Paris , um mit Emmanuel Macron zu sprechen .";
        let a = entities(s);
        assert_eq!(a, entities(s));
        let (_, sent) = tagged(ner(), s);
        assert!(sent.entities.iter().all(|e| (0.0..=1.0).contains(&e.score)));
        assert!(sent.entities.windows(2).all(|w| w[0].span.end <= w[1].span.start));
    }

    #[test]
    fn corrupt_model_is_an_error() {
        let dir = tempdir();
        let models = dir.join("models");
        std::fs::create_dir_all(models.join(MODEL_SUBDIR)).expect("temp dir");
        let real_models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        let morphology = Arc::new(Morphology::load(&real_models).expect("morphology present"));
        let load = || Ner::load_model(&models, NerModel::Fast, Arc::clone(&morphology));
        assert!(matches!(load(), Err(Error::ModelMissing { .. })));
        let real = real_models.join(MODEL_SUBDIR).join(MODEL_FILE);
        let bytes = std::fs::read(real).expect("model present");
        for cut in [3, 100, bytes.len() / 3] {
            std::fs::write(models.join(MODEL_SUBDIR).join(MODEL_FILE), &bytes[..cut]).expect("write");
            match load() {
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
