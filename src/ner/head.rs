//! The encoder head: a softmax layer over each word's contextual vector (multilingual-e5-small
//! with layers fine-tuned for NER, last layer) and those of its two neighbours, giving
//! log-probabilities of the 17 NER labels. [`super::Ner`] adds them, weighted, to the
//! perceptron's emission scores before Viterbi decoding (`--ner accurate`).
//!
//! The shipped head is the classifier trained together with the encoder's layers
//! (`tools/finetune-ner.py export --head`): it reads the word's own vector, unstandardised, and
//! gives its neighbours no weight. [`train_head`] fits the same layer on frozen vectors instead.
//!
//! File `models/ner/head.bin`, little-endian: magic `LESHEAD\0`, version, word-vector size,
//! label count, fusion weight, then the standardisation (mean and inverse standard deviation
//! per dimension), the weights (`3 × dim` rows × labels) and the biases.

use super::model::{close_head_file, head_file_bytes, load_head_file, open_head_file, truncated, Standardizer, LABELS};
use crate::encoder::{dot, TokenMatrix};
use crate::error::{Error, Result};
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use std::path::Path;

/// File name of the head inside `models/ner/`.
pub const HEAD_FILE: &str = "head.bin";
const MAGIC: &[u8; 8] = b"LESHEAD\0";
const VERSION: u32 = 1;
/// The word itself, the previous and the next word.
const CONTEXT: usize = 3;

/// Softmax head over word vectors with ±1 word of context.
#[derive(Debug, Clone, PartialEq)]
pub struct EncoderHead {
    dim: usize,
    /// Weight of the head's log-probabilities when added to the perceptron's scores.
    fusion_weight: f32,
    standardizer: Standardizer,
    /// `CONTEXT × dim` rows × `LABELS` columns.
    weights: Vec<f32>,
    bias: Vec<f32>,
    /// The context slots with any non-zero weight, each with its weights label by label
    /// (`LABELS × dim`), so that a logit is one dot product along the vector.
    active: Vec<(usize, Vec<f32>)>,
}

impl EncoderHead {
    /// Size of the word vectors the head reads.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Weight of the head's log-probabilities in the sum with the perceptron's scores.
    pub fn fusion_weight(&self) -> f32 {
        self.fusion_weight
    }

    /// Log-probabilities of the labels for each word of one sentence (`words.rows() × 17`,
    /// the label order of the perceptron).
    pub fn log_probs(&self, words: &TokenMatrix) -> Vec<f32> {
        let n = words.rows();
        let dim = self.dim;
        let z = self.standardizer.apply_all(words.iter_rows());
        let mut out = vec![0f32; n * LABELS];
        for (i, logits) in out.chunks_exact_mut(LABELS).enumerate() {
            logits.copy_from_slice(&self.bias);
            for (slot, by_label) in &self.active {
                // Neighbours outside the sentence contribute nothing (a standardised zero).
                let word = match slot {
                    0 => Some(i),
                    1 => i.checked_sub(1),
                    _ => (i + 1 < n).then_some(i + 1),
                };
                let Some(word) = word else { continue };
                let x = &z[word * dim..(word + 1) * dim];
                for (l, w) in logits.iter_mut().zip(by_label.chunks_exact(dim)) {
                    *l += dot(x, w);
                }
            }
            log_softmax(logits);
        }
        out
    }

    /// The head over its parts, with the slots that carry weight laid out for [`log_probs`](Self::log_probs).
    fn new(dim: usize, fusion_weight: f32, standardizer: Standardizer, weights: Vec<f32>, bias: Vec<f32>) -> EncoderHead {
        let active = (0..CONTEXT)
            .filter_map(|slot| {
                let rows = weights.get(slot * dim * LABELS..(slot + 1) * dim * LABELS)?;
                rows.iter().any(|&w| w != 0.0).then(|| {
                    let by_label = (0..LABELS).flat_map(|l| rows.chunks_exact(LABELS).map(move |r| r[l])).collect();
                    (slot, by_label)
                })
            })
            .collect();
        EncoderHead { dim, fusion_weight, standardizer, weights, bias, active }
    }

    /// Reads `head.bin`, checking its size and values.
    pub fn load(path: &Path) -> Result<EncoderHead> {
        load_head_file(path, Self::from_bytes)
    }

    fn from_bytes(bytes: &[u8]) -> std::result::Result<EncoderHead, String> {
        let mut r = open_head_file(bytes, MAGIC, VERSION, "an NER head file")?;
        let truncated = || truncated(bytes);
        let dim = r.u32().ok_or_else(truncated)? as usize;
        let labels = r.u32().ok_or_else(truncated)? as usize;
        if labels != LABELS || dim == 0 || dim > 1 << 16 {
            return Err(format!("{labels} labels over {dim} dimensions; expected {LABELS} labels"));
        }
        let fusion_weight = r.f32().ok_or_else(truncated)?;
        let mean = r.f32s(dim).ok_or_else(truncated)?;
        let inv_sd = r.f32s(dim).ok_or_else(truncated)?;
        let weights = r.f32s(CONTEXT * dim * LABELS).ok_or_else(truncated)?;
        let bias = r.f32s(LABELS).ok_or_else(truncated)?;
        close_head_file(&r, &[&[fusion_weight], &mean, &inv_sd, &weights, &bias])?;
        Ok(EncoderHead::new(dim, fusion_weight, Standardizer { mean, inv_sd }, weights, bias))
    }

    /// Writes the head atomically (temporary file, then rename).
    pub fn save(&self, path: &Path) -> Result<usize> {
        let header = [VERSION, self.dim as u32, LABELS as u32];
        let out = head_file_bytes(
            MAGIC,
            &header,
            &[&[self.fusion_weight], &self.standardizer.mean, &self.standardizer.inv_sd, &self.weights, &self.bias],
        );
        crate::io::write_atomically(path, &out)?;
        Ok(out.len())
    }
}

fn log_softmax(v: &mut [f32]) {
    let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let z = v.iter().map(|x| (x - max).exp()).sum::<f32>().ln() + max;
    v.iter_mut().for_each(|x| *x -= z);
}

/// How the head is trained.
#[derive(Debug, Clone)]
pub struct HeadConfig {
    /// Passes over the words.
    pub epochs: usize,
    /// Adam's step size; halved every epoch of the second half.
    pub learning_rate: f64,
    /// Words per step.
    pub batch: usize,
    /// Seed of the shuffling.
    pub seed: u64,
    /// Stored in the head: weight of its log-probabilities in the sum with the perceptron's
    /// scores.
    pub fusion_weight: f32,
}

impl Default for HeadConfig {
    fn default() -> HeadConfig {
        HeadConfig { epochs: 8, learning_rate: 3e-3, batch: 256, seed: 1, fusion_weight: 16.0 }
    }
}

/// Trains the head by softmax regression (Adam, cross-entropy) on word vectors (one matrix
/// per sentence) and gold label indices; deterministic for a given seed.
pub fn train_head(sentences: &[TokenMatrix], labels: &[Vec<usize>], config: &HeadConfig) -> Result<EncoderHead> {
    let dim = sentences.iter().map(TokenMatrix::dim).find(|&d| d > 0).unwrap_or(0);
    let words: usize = sentences.iter().map(TokenMatrix::rows).sum();
    if dim == 0 || words == 0 {
        return Err(Error::Usage("no word vectors to train the NER head on".into()));
    }
    if sentences.len() != labels.len() || sentences.iter().zip(labels).any(|(s, l)| s.rows() != l.len() || s.dim() != dim) {
        return Err(Error::Usage("word vectors and gold labels differ in length".into()));
    }
    // Standardise each dimension over all training words.
    let standardizer = Standardizer::fit(|| sentences.iter().flat_map(TokenMatrix::iter_rows), dim, 1e-5);
    let z = standardizer.apply_all(sentences.iter().flat_map(TokenMatrix::iter_rows));
    // Word index → (its row, previous row, next row) within its sentence.
    let mut context: Vec<[Option<usize>; CONTEXT]> = Vec::with_capacity(words);
    let mut gold: Vec<u32> = Vec::with_capacity(words);
    let mut first = 0;
    for (s, l) in sentences.iter().zip(labels) {
        let n = s.rows();
        for i in 0..n {
            context.push([Some(first + i), (i > 0).then(|| first + i - 1), (i + 1 < n).then_some(first + i + 1)]);
        }
        gold.extend(l.iter().map(|&x| x as u32));
        first += n;
    }
    let device = Device::Cpu;
    let input = CONTEXT * dim;
    let w = Var::zeros((input, LABELS), DType::F32, &device)?;
    let b = Var::zeros(LABELS, DType::F32, &device)?;
    let params = ParamsAdamW { lr: config.learning_rate, weight_decay: 0.0, ..Default::default() };
    let mut opt = AdamW::new(vec![w.clone(), b.clone()], params)?;
    let mut order: Vec<usize> = (0..words).collect();
    let mut rng = super::train::Rng::new(config.seed);
    let mut xb = Vec::with_capacity(config.batch.max(1) * input);
    for epoch in 0..config.epochs {
        let halvings = (epoch + 1).saturating_sub(config.epochs / 2) as i32;
        opt.set_learning_rate(config.learning_rate * 0.5f64.powi(halvings));
        rng.shuffle(&mut order);
        for chunk in order.chunks(config.batch.max(1)) {
            xb.clear();
            for &k in chunk {
                for part in context[k] {
                    match part {
                        Some(r) => xb.extend_from_slice(&z[r * dim..(r + 1) * dim]),
                        None => xb.extend(std::iter::repeat_n(0f32, dim)),
                    }
                }
            }
            let x = Tensor::from_slice(&xb, (chunk.len(), input), &device)?;
            let y = Tensor::from_iter(chunk.iter().map(|&k| gold[k]), &device)?;
            let logits = x.matmul(w.as_tensor())?.broadcast_add(b.as_tensor())?;
            let loss = candle_nn::loss::cross_entropy(&logits, &y)?;
            opt.backward_step(&loss)?;
        }
    }
    // Stored slot-major: rows of the word, then of the previous and of the next word.
    let weights = w.as_tensor().flatten_all()?.to_vec1::<f32>()?;
    let bias = b.as_tensor().to_vec1::<f32>()?;
    Ok(EncoderHead::new(dim, config.fusion_weight, standardizer, weights, bias))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_head_is_written_back_byte_for_byte() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/ner").join(HEAD_FILE);
        let head = EncoderHead::load(&path).expect("the shipped head loads");
        let dir = tempfile::tempdir().expect("temp dir");
        let copy = dir.path().join(HEAD_FILE);
        head.save(&copy).expect("saves");
        assert!(std::fs::read(&copy).expect("reads") == std::fs::read(&path).expect("reads"));
    }

    fn toy_data() -> (Vec<TokenMatrix>, Vec<Vec<usize>>) {
        // Two clusters of 2-d word vectors: near (1, 0) is O, near (0, 1) is B-PER (label 1).
        let mut sents = Vec::new();
        let mut labels = Vec::new();
        for k in 0..40 {
            let e = (k % 7) as f32 * 0.01;
            sents.push(TokenMatrix::from_flat(2, vec![1.0 + e, 0.0, 0.0, 1.0 - e, 1.0, e]).expect("matrix"));
            labels.push(vec![0, 1, 0]);
        }
        (sents, labels)
    }

    /// Log-probabilities as the stored layout defines them: each slot's word vector times its
    /// `dim × LABELS` rows, summed with the bias.
    #[test]
    fn log_probs_follow_the_stored_layout_with_neighbours() {
        let dim = 5;
        let weights: Vec<f32> = (0..CONTEXT * dim * LABELS).map(|i| ((i * 7919 % 211) as f32 - 105.0) / 100.0).collect();
        let bias: Vec<f32> = (0..LABELS).map(|l| l as f32 / 10.0).collect();
        let standardizer = Standardizer { mean: vec![0.0; dim], inv_sd: vec![1.0; dim] };
        let head = EncoderHead::new(dim, 1.0, standardizer, weights.clone(), bias.clone());
        let words = TokenMatrix::from_flat(dim, (0..4 * dim).map(|i| (i as f32 - 9.0) / 7.0).collect()).expect("matrix");
        let got = head.log_probs(&words);
        for i in 0..4usize {
            let mut want = bias.clone();
            for (slot, word) in [(0, Some(i)), (1, i.checked_sub(1)), (2, (i + 1 < 4).then_some(i + 1))] {
                let Some(word) = word else { continue };
                for d in 0..dim {
                    for (l, w) in want.iter_mut().enumerate() {
                        *w += words.as_slice()[word * dim + d] * weights[(slot * dim + d) * LABELS + l];
                    }
                }
            }
            log_softmax(&mut want);
            for (g, w) in got[i * LABELS..(i + 1) * LABELS].iter().zip(&want) {
                assert!((g - w).abs() < 1e-4, "word {i}: {g} vs {w}");
            }
        }
    }

    #[test]
    fn learns_separable_labels_and_round_trips() {
        let (sents, labels) = toy_data();
        let config = HeadConfig { epochs: 20, batch: 8, learning_rate: 0.05, ..HeadConfig::default() };
        let head = train_head(&sents, &labels, &config).expect("trains");
        let lp = head.log_probs(&sents[0]);
        assert!(lp[0] > lp[1], "first word should be O: {:?}", &lp[..LABELS]);
        assert!(lp[LABELS + 1] > lp[LABELS], "second word should be B-PER");
        let total: f32 = lp[..LABELS].iter().map(|x| x.exp()).sum();
        assert!((total - 1.0).abs() < 1e-4);
        assert_eq!(train_head(&sents, &labels, &config).expect("trains"), head, "same seed, same head");
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(HEAD_FILE);
        let bytes = head.save(&path).expect("saves");
        assert_eq!(EncoderHead::load(&path).expect("loads"), head);
        let raw = std::fs::read(&path).expect("read");
        for cut in [4, 30, bytes / 2, bytes - 1] {
            std::fs::write(&path, &raw[..cut]).expect("write");
            assert!(matches!(EncoderHead::load(&path), Err(Error::ModelCorrupt { .. })), "cut at {cut}");
        }
        let mut bad = raw.clone();
        bad[40..44].copy_from_slice(&f32::NAN.to_le_bytes());
        std::fs::write(&path, &bad).expect("write");
        assert!(matches!(EncoderHead::load(&path), Err(Error::ModelCorrupt { .. })));
    }

    #[test]
    fn mismatched_inputs_are_an_error() {
        let (sents, mut labels) = toy_data();
        labels[3].pop();
        assert!(train_head(&sents, &labels, &HeadConfig::default()).is_err());
        assert!(train_head(&[], &[], &HeadConfig::default()).is_err());
    }
}
