//! The learned stance head: a softmax regression over what the rules found for a target and the
//! contextual vectors the accurate NER model computed for its sentence (the target's own words,
//! the words around it and the whole sentence). It relabels a stance the rules scored; the rules
//! still give the evidence and the holder. Without vectors (`--ner fast`) the rules decide alone.
//!
//! Its probabilities are calibrated: the logits are divided by a temperature fitted on dev
//! (the one that minimises the negative log-likelihood there), and a target is favor or
//! against only when that class's probability reaches a threshold chosen on dev for macro-F1.
//!
//! A second part tells actors from what only carries a name: a logistic regression over the
//! same inputs, fitted to the training pairs (actors) and to the candidates the labellers
//! skipped as no target (`tests/data/stance-nontargets.jsonl`). A target the head calls
//! neutral is dropped when its actor probability is below the part's threshold; a target the
//! head calls favor or against is kept, as the sentence judges it.
//!
//! File `models/stance/head.bin`, little-endian: magic `LESSTNC\0`, version, feature count,
//! then the standardisation (mean and inverse standard deviation per feature), the weights
//! (`features` rows × 3 labels, in the order favor, against, neutral), the 3 biases, the
//! temperature and the polar threshold, the holder part (`features + 2` values) and the actor
//! part (`features` weights, the bias and the threshold); a part of zeros is none.
//! `lesart train stance` writes it.

use crate::doc::StanceLabel;
use crate::encoder::TokenMatrix;
use crate::error::{Error, Result};
use crate::ner::model::{close_head_file, head_file_bytes, load_head_file, open_head_file, truncated, Standardizer};
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use std::path::Path;

/// File name of the head inside `models/stance/`.
pub const HEAD_FILE: &str = "head.bin";
const MAGIC: &[u8; 8] = b"LESSTNC\0";
const VERSION: u32 = 3;
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
    /// The logits are divided by it (1 before calibration).
    temperature: f32,
    /// Favor or against only from this probability on (0: the most probable class wins).
    polar_threshold: f32,
    /// Who holds the stance: a logistic regression over the standardised inputs and the rules'
    /// holder (the last weight), positive for a quoted source. Empty: the rules decide.
    holder_weights: Vec<f32>,
    holder_bias: f32,
    /// Is the target an actor: logistic regression weights over the standardised inputs.
    /// Empty: every target the rules let through stays.
    actor_weights: Vec<f32>,
    actor_bias: f32,
    /// A target called neutral is dropped below this actor probability.
    actor_threshold: f32,
}

impl StanceHead {
    /// Number of inputs the head reads.
    pub fn features(&self) -> usize {
        self.features
    }

    /// Calibrated probabilities of favor, against and neutral; `None` when `x` has the wrong
    /// length.
    pub fn probs(&self, x: &[f32]) -> Option<[f32; LABELS]> {
        self.logits(x).map(|l| softmax(l, self.temperature))
    }

    /// The label, the score P(favor) − P(against) and the label's probability; `None` when `x`
    /// has the wrong length.
    pub fn predict(&self, x: &[f32]) -> Option<(StanceLabel, f32, f32)> {
        let p = self.probs(x)?;
        let label = label_of(&p, self.polar_threshold);
        Some((label, (p[0] - p[1]).clamp(-1.0, 1.0), p[label.index()]))
    }

    /// The logits before the temperature.
    fn logits(&self, x: &[f32]) -> Option<[f32; LABELS]> {
        if x.len() != self.features {
            return None;
        }
        let mut logits = [0f32; LABELS];
        logits.copy_from_slice(&self.bias);
        for (z, w) in self.standardizer.apply(x).zip(self.weights.chunks_exact(LABELS)) {
            logits.iter_mut().zip(w).for_each(|(l, wv)| *l += z * wv);
        }
        Some(logits)
    }

    /// True when the stance is held by a quoted source rather than the author, given the
    /// rules' answer; `None` when the head has no holder part or `x` has the wrong length.
    pub fn holder_is_source(&self, x: &[f32], rules_say_source: bool) -> Option<bool> {
        if x.len() != self.features || self.holder_weights.len() != self.features + 1 {
            return None;
        }
        let z: f32 = self.standardizer.apply(x).zip(&self.holder_weights).map(|(z, w)| z * w).sum::<f32>()
            + if rules_say_source { self.holder_weights[self.features] } else { 0.0 }
            + self.holder_bias;
        Some(z > 0.0)
    }

    /// The probability that the target is an actor; `None` when the head has no actor part or
    /// `x` has the wrong length.
    pub fn actor_probability(&self, x: &[f32]) -> Option<f32> {
        if x.len() != self.features || self.actor_weights.len() != self.features {
            return None;
        }
        let z: f32 = self.standardizer.apply(x).zip(&self.actor_weights).map(|(z, w)| z * w).sum::<f32>() + self.actor_bias;
        Some(crate::io::prob::sigmoid(z))
    }

    /// True when a target the head labels `label` is likely no actor and says nothing: neutral
    /// and below the actor threshold.
    pub fn drops_target(&self, x: &[f32], label: StanceLabel) -> bool {
        label == StanceLabel::Neutral && self.actor_probability(x).is_some_and(|p| p < self.actor_threshold)
    }

    /// Fits the actor part to the rows of actors and of what is no target (classes weighted
    /// equally); targets called neutral are dropped below `threshold`.
    pub fn fit_actor(&mut self, actors: &[&[f32]], others: &[&[f32]], threshold: f32, config: &StanceHeadConfig) -> Result<()> {
        if actors.is_empty() || others.is_empty() {
            return Err(Error::Usage("the actor part needs actors and non-targets".into()));
        }
        let z = self.standardizer.apply_all(others.iter().chain(actors).copied());
        let labels: Vec<usize> = (0..others.len() + actors.len()).map(|i| usize::from(i >= others.len())).collect();
        let balanced = StanceHeadConfig { balanced: true, ..config.clone() };
        let (weights, bias) = fit_softmax(&z, self.features, &labels, 2, &balanced)?;
        self.actor_weights = weights.chunks_exact(2).map(|w| w[1] - w[0]).collect();
        self.actor_bias = bias[1] - bias[0];
        self.actor_threshold = threshold.clamp(0.0, 1.0);
        Ok(())
    }

    /// Fits the holder part to rows, the rules' holders and the gold holders (true: source).
    pub fn fit_holder(&mut self, rows: &[&[f32]], rules: &[bool], gold: &[bool], config: &StanceHeadConfig) -> Result<()> {
        let n = rows.len();
        if n == 0 || rules.len() != n || gold.len() != n {
            return Err(Error::Usage("holder rows and labels do not match".into()));
        }
        let z = self.standardizer.apply_all(rows.iter().copied());
        // One more column: the rules' holder, appended row by row.
        let mut with_rules = Vec::with_capacity(n * (self.features + 1));
        for (row, &r) in z.chunks_exact(self.features).zip(rules) {
            with_rules.extend_from_slice(row);
            with_rules.push(if r { 1.0 } else { 0.0 });
        }
        let labels: Vec<usize> = gold.iter().map(|&g| usize::from(g)).collect();
        let unbalanced = StanceHeadConfig { balanced: false, ..config.clone() };
        let (weights, bias) = fit_softmax(&with_rules, self.features + 1, &labels, 2, &unbalanced)?;
        // Two classes: the difference of their weights is the logistic regression's.
        self.holder_weights = weights.chunks_exact(2).map(|w| w[1] - w[0]).collect();
        self.holder_bias = bias[1] - bias[0];
        Ok(())
    }

    /// The temperature and the polar threshold.
    pub fn calibration(&self) -> (f32, f32) {
        (self.temperature, self.polar_threshold)
    }

    /// Fits the temperature to rows and gold labels (the one of 0.25, 0.30, … 5 with the least
    /// negative log-likelihood), keeping the threshold.
    pub fn fit_temperature(&mut self, rows: &[&[f32]], labels: &[usize]) {
        let logits: Vec<[f32; LABELS]> = rows.iter().filter_map(|x| self.logits(x)).collect();
        let nll = |t: f32| -> f64 { logits.iter().zip(labels).map(|(l, &g)| -f64::from(softmax(*l, t)[g].max(1e-12).ln())).sum() };
        let best = (5..=100).map(|k| k as f32 * 0.05).min_by(|&a, &b| nll(a).total_cmp(&nll(b)));
        self.temperature = best.unwrap_or(1.0);
    }

    /// Sets the polar threshold (favor or against only from this probability on).
    pub fn set_polar_threshold(&mut self, threshold: f32) {
        self.polar_threshold = threshold.clamp(0.0, 1.0);
    }

    /// Reads `head.bin`, checking its size and values.
    pub fn load(path: &Path) -> Result<StanceHead> {
        load_head_file(path, Self::from_bytes)
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
        let calibration = r.f32s(2).ok_or_else(truncated)?;
        let holder = r.f32s(features + 2).ok_or_else(truncated)?;
        let actor = r.f32s(features + 2).ok_or_else(truncated)?;
        close_head_file(&r, &[&mean, &inv_sd, &weights, &bias, &calibration, &holder, &actor])?;
        let (temperature, polar_threshold) = (calibration[0], calibration[1]);
        if !(0.01..=100.0).contains(&temperature) || !(0.0..=1.0).contains(&polar_threshold) {
            return Err(format!("temperature {temperature}, threshold {polar_threshold}"));
        }
        // An all-zero holder part means none was fitted: the rules decide.
        let holder_bias = holder[features + 1];
        let holder_weights = if holder.iter().all(|&v| v == 0.0) { Vec::new() } else { holder[..=features].to_vec() };
        let (actor_bias, actor_threshold) = (actor[features], actor[features + 1]);
        if !(0.0..=1.0).contains(&actor_threshold) {
            return Err(format!("actor threshold {actor_threshold}"));
        }
        let actor_weights = if actor.iter().all(|&v| v == 0.0) { Vec::new() } else { actor[..features].to_vec() };
        Ok(StanceHead {
            features,
            standardizer: Standardizer { mean, inv_sd },
            weights,
            bias,
            temperature,
            polar_threshold,
            holder_weights,
            holder_bias,
            actor_weights,
            actor_bias,
            actor_threshold,
        })
    }

    /// The holder weights and bias as stored: `features + 2` values, all zero when there is none.
    fn holder_part(&self) -> Vec<f32> {
        let mut out = vec![0f32; self.features + 2];
        if self.holder_weights.len() == self.features + 1 {
            out[..=self.features].copy_from_slice(&self.holder_weights);
            out[self.features + 1] = self.holder_bias;
        }
        out
    }

    /// The actor weights, bias and threshold as stored: `features + 2` values, all zero when
    /// there is none.
    fn actor_part(&self) -> Vec<f32> {
        let mut out = vec![0f32; self.features + 2];
        if self.actor_weights.len() == self.features {
            out[..self.features].copy_from_slice(&self.actor_weights);
            out[self.features] = self.actor_bias;
            out[self.features + 1] = self.actor_threshold;
        }
        out
    }

    /// Writes the head atomically (temporary file, then rename); returns its size in bytes.
    pub fn save(&self, path: &Path) -> Result<usize> {
        let out = head_file_bytes(
            MAGIC,
            &[VERSION, self.features as u32],
            &[
                &self.standardizer.mean,
                &self.standardizer.inv_sd,
                &self.weights,
                &self.bias,
                &[self.temperature, self.polar_threshold],
                &self.holder_part(),
                &self.actor_part(),
            ],
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
    /// Fit the holder part too (off: it took dev holder accuracy from 0.827 to 0.863 but
    /// held-out from 0.855 to 0.846, so the rules name the holder).
    pub holder: bool,
    /// Fit the actor part when there are non-targets to fit it to, dropping targets called
    /// neutral below this actor probability (0: no actor part).
    pub actor_threshold: f32,
}

impl Default for StanceHeadConfig {
    fn default() -> StanceHeadConfig {
        StanceHeadConfig { steps: 400, learning_rate: 1e-2, l2: 0.1, balanced: true, holder: false, actor_threshold: 0.5 }
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
    let standardizer = Standardizer::fit(|| rows.iter().map(Vec::as_slice), features, 1e-4);
    let z = standardizer.apply_all(rows.iter().map(Vec::as_slice));
    let (weights, bias) = fit_softmax(&z, features, labels, LABELS, config)?;
    Ok(StanceHead {
        features,
        standardizer,
        weights,
        bias,
        temperature: 1.0,
        polar_threshold: 0.0,
        holder_weights: Vec::new(),
        holder_bias: 0.0,
        actor_weights: Vec::new(),
        actor_bias: 0.0,
        actor_threshold: 0.0,
    })
}

/// Softmax regression of standardised rows `z` (`features` columns) onto `classes` labels with
/// an L2 penalty, full batch, deterministic; returns the weights (`features` rows × `classes`)
/// and the biases.
fn fit_softmax(z: &[f32], features: usize, labels: &[usize], classes: usize, config: &StanceHeadConfig) -> Result<(Vec<f32>, Vec<f32>)> {
    let n = labels.len();
    let mut counts = vec![0usize; classes];
    labels.iter().for_each(|&l| counts[l] += 1);
    let class_weight: Vec<f32> =
        counts.iter().map(|&c| if config.balanced && c > 0 { n as f32 / (classes * c) as f32 } else { 1.0 }).collect();
    let device = Device::Cpu;
    let x = Tensor::from_slice(z, (n, features), &device)?;
    let y = Tensor::from_iter(labels.iter().map(|&l| l as u32), &device)?;
    let sample_weight = Tensor::from_iter(labels.iter().map(|&l| class_weight[l]), &device)?;
    let weight_sum = f64::from(labels.iter().map(|&l| class_weight[l]).sum::<f32>());
    let w = Var::zeros((features, classes), DType::F32, &device)?;
    let b = Var::zeros(classes, DType::F32, &device)?;
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
    Ok((w.as_tensor().flatten_all()?.to_vec1::<f32>()?, b.as_tensor().to_vec1::<f32>()?))
}

/// Softmax of `logits / temperature`.
fn softmax(logits: [f32; LABELS], temperature: f32) -> [f32; LABELS] {
    let mut p = logits.map(|l| l / temperature);
    crate::io::prob::softmax_in_place(&mut p);
    p
}

/// Favor or against when the more probable of the two reaches `threshold` and is the most
/// probable class or above the threshold; neutral otherwise. With threshold 0 the most
/// probable class wins.
pub fn label_of(p: &[f32; LABELS], threshold: f32) -> StanceLabel {
    let polar = if p[0] >= p[1] { 0 } else { 1 };
    let wins = if threshold > 0.0 { p[polar] >= threshold } else { p[polar] >= p[2] };
    if wins {
        StanceLabel::ALL[polar]
    } else {
        StanceLabel::Neutral
    }
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

    /// Saves `head` to a temporary folder, checks that it loads back equal and returns the
    /// folder (kept alive by the caller) and the file.
    fn assert_round_trips(head: &StanceHead) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(HEAD_FILE);
        head.save(&path).expect("saves");
        assert_eq!(&StanceHead::load(&path).expect("loads"), head);
        (dir, path)
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
            let (label, score, _) = head.predict(r).expect("right length");
            assert_eq!(label.index(), l, "{r:?} → {:?}", head.probs(r));
            assert!((-1.0..=1.0).contains(&score));
        }
        assert!(head.probs(&[1.0]).is_none() && head.predict(&[1.0]).is_none());
        let (_dir, path) = assert_round_trips(&head);
        std::fs::write(&path, &std::fs::read(&path).expect("reads")[..30]).expect("writes");
        assert!(matches!(StanceHead::load(&path), Err(Error::ModelCorrupt { .. })));
    }

    #[test]
    fn the_threshold_keeps_weak_polar_answers_neutral() {
        assert_eq!(label_of(&[0.5, 0.2, 0.3], 0.0), StanceLabel::Favor);
        assert_eq!(label_of(&[0.3, 0.2, 0.5], 0.0), StanceLabel::Neutral);
        assert_eq!(label_of(&[0.5, 0.2, 0.3], 0.6), StanceLabel::Neutral);
        assert_eq!(label_of(&[0.1, 0.65, 0.25], 0.6), StanceLabel::Against);
        // Above the threshold a polar class wins even when neutral is more probable.
        assert_eq!(label_of(&[0.42, 0.0, 0.58], 0.4), StanceLabel::Favor);
    }

    /// Rows whose first feature says the label (favor, against, neutral in turn), with every
    /// fifth label flipped to neutral, so that a confident head is overconfident.
    fn noisy_rows() -> (Vec<Vec<f32>>, Vec<usize>) {
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for i in 0..300 {
            let l = i % 3;
            rows.push(vec![l as f32, ((i * 7) % 11) as f32]);
            labels.push(if i % 5 == 0 { 2 } else { l });
        }
        (rows, labels)
    }

    #[test]
    fn temperature_scaling_softens_an_overconfident_head() {
        // Trained on clean labels, the head is overconfident on the noisy ones: the fitted
        // temperature is above 1 and the noisy labels' likelihood goes up.
        let (rows, noisy) = noisy_rows();
        let clean: Vec<usize> = (0..rows.len()).map(|i| i % 3).collect();
        let config = StanceHeadConfig { steps: 800, learning_rate: 0.1, l2: 0.0, balanced: false, holder: true, actor_threshold: 0.5 };
        let mut head = train_stance_head(&rows, &clean, &config).expect("trains");
        let nll = |h: &StanceHead| -> f64 {
            rows.iter().zip(&noisy).map(|(x, &l)| -f64::from(h.probs(x).expect("fits")[l].max(1e-12).ln())).sum()
        };
        let before = nll(&head);
        let slices: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        head.fit_temperature(&slices, &noisy);
        let (temperature, _) = head.calibration();
        assert!(temperature > 1.0, "temperature {temperature}");
        assert!(nll(&head) < before, "{} ≥ {before}", nll(&head));
    }

    #[test]
    fn the_holder_part_learns_and_round_trips() {
        let (rows, labels) = noisy_rows();
        let mut head = train_stance_head(&rows, &labels, &StanceHeadConfig::default()).expect("trains");
        assert_eq!(head.holder_is_source(&rows[0], true), None, "no holder part yet");
        // The gold holder is a source exactly when the rules say so and feature 1 is above 5.
        let slices: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let rules: Vec<bool> = (0..rows.len()).map(|i| i % 2 == 0).collect();
        let gold: Vec<bool> = rows.iter().zip(&rules).map(|(x, &r)| r && x[1] > 5.0).collect();
        head.fit_holder(
            &slices,
            &rules,
            &gold,
            &StanceHeadConfig { steps: 800, learning_rate: 0.1, l2: 0.0, balanced: false, holder: true, actor_threshold: 0.5 },
        )
        .expect("fits");
        let right = slices.iter().zip(&rules).zip(&gold).filter(|((x, &r), &g)| head.holder_is_source(x, r) == Some(g)).count();
        assert!(right as f64 / rows.len() as f64 > 0.9, "{right} of {}", rows.len());
        assert_round_trips(&head);
    }

    #[test]
    fn the_actor_part_drops_neutral_non_actors_only_and_round_trips() {
        let (rows, labels) = noisy_rows();
        let mut head = train_stance_head(&rows, &labels, &StanceHeadConfig::default()).expect("trains");
        assert!(!head.drops_target(&rows[0], StanceLabel::Neutral), "no actor part yet: nothing dropped");
        // Actors have feature 1 above 5.
        let (actors, others): (Vec<&[f32]>, Vec<&[f32]>) = rows.iter().map(Vec::as_slice).partition(|x| x[1] > 5.0);
        let config = StanceHeadConfig { steps: 800, learning_rate: 0.1, l2: 0.0, ..Default::default() };
        head.fit_actor(&actors, &others, 0.5, &config).expect("fits");
        let (actor, other) = (actors[0], others[0]);
        assert!(!head.drops_target(actor, StanceLabel::Neutral));
        assert!(head.drops_target(other, StanceLabel::Neutral));
        assert!(!head.drops_target(other, StanceLabel::Against), "a judged target stays");
        assert_round_trips(&head);
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
