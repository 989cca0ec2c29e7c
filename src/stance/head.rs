//! The learned stance head: a softmax regression over what the rules found for a target and the
//! contextual vectors the accurate NER model computed for its sentence (the target's own words,
//! the words around it and the whole sentence). It relabels a stance the rules scored; the rules
//! still give the evidence and the holder. Without vectors (`--ner fast`) the rules decide alone.
//!
//! File `models/stance/head.bin`, little-endian: magic `LESSTNC\0`, version, feature count,
//! then the standardisation (mean and inverse standard deviation per feature), the weights
//! (`features` rows × 3 labels, in the order favor, against, neutral) and the 3 biases.
//! `lesart train stance` writes it.

use crate::doc::StanceLabel;
use crate::encoder::TokenMatrix;
use crate::error::{Error, Result};
use crate::ner::model::{close_head_file, head_file_bytes, open_head_file, read_model_file, truncated, Standardizer};
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use std::path::Path;

/// File name of the head inside `models/stance/`.
pub const HEAD_FILE: &str = "head.bin";
const MAGIC: &[u8; 8] = b"LESSTNC\0";
const VERSION: u32 = 1;
const LABELS: usize = 3;
/// Words on each side of the target that make its context vector.
const WINDOW: usize = 4;

/// What the rules found for one target: the head's non-vector inputs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RuleSignals {
    /// The rules' score in [-1, 1].
    pub score: f32,
    /// Sum of the polarities of the frames that name the target (*Kritik an X*).
    pub frames: f32,
    /// Distance-weighted sum of the other polar words of the sentence.
    pub loose: f32,
    /// Positive and negative polar words in the target's clause.
    pub positive: f32,
    /// See `positive`.
    pub negative: f32,
    /// The target is the subject (agent) of an evaluative verb.
    pub agent: bool,
    /// The target is the subject of a verb of speaking.
    pub speaker: bool,
    /// The target is the object of a verb of speaking.
    pub spoken_of: bool,
    /// The target is the source of a claim in the sentence.
    pub source: bool,
    /// A frame names the target (even one of polarity 0, *Streit zwischen X und Y*); not an
    /// input of the head, which leaves such targets to the rules.
    pub framed: bool,
}

impl RuleSignals {
    /// Number of values [`RuleSignals::push_to`] adds.
    pub const LEN: usize = 12;

    /// Appends the signals as numbers, the rules' label one-hot among them.
    fn push_to(&self, out: &mut Vec<f32>, threshold: f32) {
        let label = StanceLabel::from_score(self.score, threshold);
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        out.extend_from_slice(&[
            self.score,
            self.frames.tanh(),
            self.loose.tanh(),
            self.positive.min(4.0),
            self.negative.min(4.0),
            flag(self.agent),
            flag(self.speaker),
            flag(self.spoken_of),
            flag(self.source),
            flag(label == StanceLabel::Favor),
            flag(label == StanceLabel::Against),
            flag(label == StanceLabel::Neutral),
        ]);
    }
}

/// The head's input for the target at tokens `ts..te` of a sentence: the mean vector of the
/// target's tokens, of the word tokens within four of it, of all the sentence's word tokens
/// and of the tokens the rules took as evidence, then the rule signals. `words[i]` says
/// whether token `i` is a word (not punctuation). `None` when the vectors do not cover the
/// sentence.
pub fn pair_features(
    vectors: &TokenMatrix,
    words: &[bool],
    ts: usize,
    te: usize,
    evidence: &[usize],
    signals: &RuleSignals,
    threshold: f32,
) -> Option<Vec<f32>> {
    let (n, dim) = (vectors.rows(), vectors.dim());
    if n != words.len() || ts >= te || te > n {
        return None;
    }
    let mut out = Vec::with_capacity(4 * dim + RuleSignals::LEN);
    let mean_of = |rows: &mut dyn Iterator<Item = usize>, out: &mut Vec<f32>| {
        let start = out.len();
        out.resize(start + dim, 0.0);
        let mut count = 0usize;
        for i in rows {
            if let Some(row) = vectors.row(i) {
                out[start..].iter_mut().zip(row).for_each(|(o, x)| *o += x);
                count += 1;
            }
        }
        if count > 0 {
            out[start..].iter_mut().for_each(|o| *o /= count as f32);
        }
    };
    mean_of(&mut (ts..te), &mut out);
    let lo = ts.saturating_sub(WINDOW);
    let hi = (te + WINDOW).min(n);
    mean_of(&mut (lo..ts).chain(te..hi).filter(|&i| words[i]), &mut out);
    mean_of(&mut (0..n).filter(|&i| words[i]), &mut out);
    mean_of(&mut evidence.iter().copied(), &mut out);
    signals.push_to(&mut out, threshold);
    Some(out)
}

/// Length of [`pair_features`]' output for token vectors of `vector_dim`.
pub fn feature_count(vector_dim: usize) -> usize {
    4 * vector_dim + RuleSignals::LEN
}

/// Softmax regression from [`pair_features`] to favor / against / neutral.
#[derive(Debug, Clone, PartialEq)]
pub struct StanceHead {
    features: usize,
    standardizer: Standardizer,
    /// `features` rows × 3 columns.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

impl StanceHead {
    /// Number of inputs the head reads.
    pub fn features(&self) -> usize {
        self.features
    }

    /// Probabilities of favor, against and neutral; `None` when `x` has the wrong length.
    pub fn probs(&self, x: &[f32]) -> Option<[f32; LABELS]> {
        if x.len() != self.features {
            return None;
        }
        let mut logits = [0f32; LABELS];
        logits.copy_from_slice(&self.bias);
        for (z, w) in self.standardizer.apply(x).zip(self.weights.chunks_exact(LABELS)) {
            logits.iter_mut().zip(w).for_each(|(l, wv)| *l += z * wv);
        }
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut p = logits.map(|l| (l - max).exp());
        let sum: f32 = p.iter().sum();
        p.iter_mut().for_each(|v| *v /= sum);
        Some(p)
    }

    /// The most probable label and the score P(favor) − P(against); `None` when `x` has the
    /// wrong length.
    pub fn predict(&self, x: &[f32]) -> Option<(StanceLabel, f32)> {
        let p = self.probs(x)?;
        let best = (0..LABELS).max_by(|&a, &b| p[a].total_cmp(&p[b]))?;
        Some((StanceLabel::ALL[best], (p[0] - p[1]).clamp(-1.0, 1.0)))
    }

    /// Reads `head.bin`, checking its size and values.
    pub fn load(path: &Path) -> Result<StanceHead> {
        let bytes = read_model_file(path)?;
        Self::from_bytes(&bytes).map_err(|reason| Error::ModelCorrupt { path: path.to_path_buf(), reason })
    }

    fn from_bytes(bytes: &[u8]) -> std::result::Result<StanceHead, String> {
        let mut r = open_head_file(bytes, MAGIC, VERSION, "a stance head file")?;
        let truncated = || truncated(bytes);
        let features = r.u32().ok_or_else(truncated)? as usize;
        if features == 0 || features > 1 << 16 {
            return Err(format!("{features} features"));
        }
        let mean = r.f32s(features).ok_or_else(truncated)?;
        let inv_sd = r.f32s(features).ok_or_else(truncated)?;
        let weights = r.f32s(features * LABELS).ok_or_else(truncated)?;
        let bias = r.f32s(LABELS).ok_or_else(truncated)?;
        close_head_file(&r, &[&mean, &inv_sd, &weights, &bias])?;
        Ok(StanceHead { features, standardizer: Standardizer { mean, inv_sd }, weights, bias })
    }

    /// Writes the head atomically (temporary file, then rename); returns its size in bytes.
    pub fn save(&self, path: &Path) -> Result<usize> {
        let out = head_file_bytes(
            MAGIC,
            &[VERSION, self.features as u32],
            &[&self.standardizer.mean, &self.standardizer.inv_sd, &self.weights, &self.bias],
        );
        crate::io::write_atomically(path, &out)?;
        Ok(out.len())
    }
}

/// How the head is trained.
#[derive(Debug, Clone)]
pub struct StanceHeadConfig {
    /// Full-batch Adam steps.
    pub steps: usize,
    /// Adam's step size.
    pub learning_rate: f64,
    /// L2 penalty on the weights (per example, on standardised inputs).
    pub l2: f64,
    /// Weight each class by the inverse of its frequency, so that the rarer favor and against
    /// count as much as neutral (the measure is macro-F1).
    pub balanced: bool,
}

impl Default for StanceHeadConfig {
    fn default() -> StanceHeadConfig {
        StanceHeadConfig { steps: 400, learning_rate: 1e-2, l2: 0.1, balanced: true }
    }
}

/// Trains the head on feature rows and gold label indices (favor 0, against 1, neutral 2):
/// softmax regression with an L2 penalty, full batch; deterministic.
pub fn train_stance_head(rows: &[Vec<f32>], labels: &[usize], config: &StanceHeadConfig) -> Result<StanceHead> {
    let features = rows.first().map_or(0, Vec::len);
    if rows.is_empty() || features == 0 {
        return Err(Error::Usage("no stance pairs with vectors to train the head on (is the NER model `accurate`?)".into()));
    }
    if rows.len() != labels.len() || rows.iter().any(|r| r.len() != features) || labels.iter().any(|&l| l >= LABELS) {
        return Err(Error::Usage("stance features and gold labels do not match".into()));
    }
    let n = rows.len();
    let standardizer = Standardizer::fit(|| rows.iter().map(Vec::as_slice), features, 1e-4);
    let z = standardizer.apply_all(rows.iter().map(Vec::as_slice));
    let mut counts = [0usize; LABELS];
    labels.iter().for_each(|&l| counts[l] += 1);
    let class_weight: Vec<f32> =
        counts.iter().map(|&c| if config.balanced && c > 0 { n as f32 / (LABELS * c) as f32 } else { 1.0 }).collect();
    let device = Device::Cpu;
    let x = Tensor::from_slice(&z, (n, features), &device)?;
    let y = Tensor::from_iter(labels.iter().map(|&l| l as u32), &device)?;
    let sample_weight = Tensor::from_iter(labels.iter().map(|&l| class_weight[l]), &device)?;
    let weight_sum = f64::from(labels.iter().map(|&l| class_weight[l]).sum::<f32>());
    let w = Var::zeros((features, LABELS), DType::F32, &device)?;
    let b = Var::zeros(LABELS, DType::F32, &device)?;
    let params = ParamsAdamW { lr: config.learning_rate, weight_decay: 0.0, ..Default::default() };
    let mut opt = AdamW::new(vec![w.clone(), b.clone()], params)?;
    for _ in 0..config.steps {
        let logits = x.matmul(w.as_tensor())?.broadcast_add(b.as_tensor())?;
        let log_p = candle_nn::ops::log_softmax(&logits, 1)?;
        let picked = log_p.gather(&y.unsqueeze(1)?, 1)?.squeeze(1)?;
        let nll = ((picked * &sample_weight)?.sum_all()? / -weight_sum)?;
        let penalty = (w.as_tensor().sqr()?.sum_all()? * config.l2)?;
        opt.backward_step(&(nll + penalty)?)?;
    }
    let weights = w.as_tensor().flatten_all()?.to_vec1::<f32>()?;
    let bias = b.as_tensor().to_vec1::<f32>()?;
    Ok(StanceHead { features, standardizer, weights, bias })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_head_is_written_back_byte_for_byte() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/stance").join(HEAD_FILE);
        let head = StanceHead::load(&path).expect("the shipped head loads");
        let dir = tempfile::tempdir().expect("temp dir");
        let copy = dir.path().join(HEAD_FILE);
        head.save(&copy).expect("saves");
        assert!(std::fs::read(&copy).expect("reads") == std::fs::read(&path).expect("reads"));
    }

    #[test]
    fn learns_three_separable_classes_and_round_trips() {
        // Feature 0 says favor, feature 1 against, neither neutral; feature 2 is noise.
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for i in 0..60 {
            let l = i % 3;
            let noise = ((i * 7) % 5) as f32 / 5.0;
            rows.push(vec![f32::from(l == 0), f32::from(l == 1), noise]);
            labels.push(l);
        }
        let head = train_stance_head(&rows, &labels, &StanceHeadConfig::default()).expect("trains");
        for (r, &l) in rows.iter().zip(&labels) {
            let (label, score) = head.predict(r).expect("right length");
            assert_eq!(label.index(), l, "{r:?} → {:?}", head.probs(r));
            assert!((-1.0..=1.0).contains(&score));
        }
        assert!(head.probs(&[1.0]).is_none() && head.predict(&[1.0]).is_none());
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(HEAD_FILE);
        head.save(&path).expect("saves");
        assert_eq!(StanceHead::load(&path).expect("loads"), head);
        std::fs::write(&path, &std::fs::read(&path).expect("reads")[..30]).expect("writes");
        assert!(matches!(StanceHead::load(&path), Err(Error::ModelCorrupt { .. })));
    }

    #[test]
    fn features_cover_target_context_sentence_and_rules() {
        let m = TokenMatrix::from_flat(2, vec![1.0, 0.0, 3.0, 0.0, 0.0, 5.0, 0.0, 7.0]).expect("4 × 2");
        let words = [true, true, false, true];
        let x = pair_features(&m, &words, 1, 2, &[3], &RuleSignals { score: -0.5, ..Default::default() }, 0.2).expect("fits");
        assert_eq!(x.len(), feature_count(2));
        assert_eq!(&x[..2], &[3.0, 0.0]); // the target
        assert_eq!(&x[2..4], &[0.5, 3.5]); // words 0 and 3 around it (2 is punctuation)
        assert_eq!(&x[6..8], &[0.0, 7.0]); // the evidence, word 3
        assert_eq!(&x[8..10], &[-0.5, 0.0]); // the rules' score, then the frames
        assert!(pair_features(&m, &words[..3], 1, 2, &[], &RuleSignals::default(), 0.2).is_none());
    }
}
