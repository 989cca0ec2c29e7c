//! Training the quotation model ([`super::model`]) on wikinews-quotes: the anchor and role
//! networks are fitted on the training part of `train.jsonl` (every article but the held-out
//! seventh, [`QuoteSplit::Train`]), the two thresholds chosen on `dev.jsonl` for the mean of the
//! one-to-one F1 of message, source and cue. Each network is the average of `members` fitted
//! from successive seeds. Deterministic: fixed initialisation and batch order.

use super::eval::{read_gold_articles, score_quotes, GoldArticle, GoldQuotation, QuoteReport, QuoteSplit};
use super::model::{anchor_width, decode, role_width, Found, Mlp, QuoteModel, Words, ANCHOR_CLASSES, CUE_ANCHOR, MESSAGE_ANCHOR, ROLES};
use crate::doc::{Document, Span};
use crate::error::{Error, Result};
use crate::io::prob::{sigmoid, softmax_in_place};
use crate::io::XorShift;
use crate::ner::model::Standardizer;
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use std::path::PathBuf;

/// What `lesart train quotes` reads and how it fits.
#[derive(Debug, Clone)]
pub struct QuoteTrainConfig {
    /// `wikinews-quotes/train.jsonl` (its held-out seventh is left out).
    pub train: PathBuf,
    /// `wikinews-quotes/dev.jsonl`: thresholds are chosen on it.
    pub dev: PathBuf,
    /// Where the model goes (`models/modality/quotes.bin`).
    pub out: PathBuf,
    /// Train on the first this many training articles only (learning curves).
    pub max_articles: Option<usize>,
    /// More training articles in the wikinews-quotes format, read whole (no held-out part).
    pub extra: Vec<PathBuf>,
    /// Hidden units of each network.
    pub hidden: usize,
    /// Passes over the training rows.
    pub epochs: usize,
    /// AdamW learning rate.
    pub learning_rate: f64,
    /// AdamW weight decay.
    pub weight_decay: f64,
    /// Added to the networks' fixed initialisation and shuffle seeds (0 for the shipped model;
    /// other values measure how much a figure moves with the seed alone).
    pub seed: u64,
    /// Networks fitted per part, each from its own seed; their logits are averaged (one wider
    /// network, [`Mlp::averaged`]).
    pub members: usize,
    /// Fit one network to the averaged networks' probabilities instead of shipping them.
    pub distil: bool,
}

impl QuoteTrainConfig {
    /// The settings the shipped model was trained with.
    pub fn new(train: PathBuf, dev: PathBuf, out: PathBuf) -> QuoteTrainConfig {
        QuoteTrainConfig {
            train,
            dev,
            out,
            max_articles: None,
            extra: Vec::new(),
            hidden: 256,
            epochs: 6,
            learning_rate: 1e-3,
            weight_decay: 1e-2,
            seed: 0,
            members: 3,
            distil: false,
        }
    }
}

/// What training did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QuoteTrainReport {
    /// Training articles read.
    pub articles: usize,
    /// Anchor rows and how many of them are anchors.
    pub anchor_rows: usize,
    /// Gold anchors among them.
    pub anchors: usize,
    /// Role rows (words in anchors' windows).
    pub role_rows: usize,
    /// Chosen thresholds (anchor, role).
    pub thresholds: (f32, f32),
    /// The dev figures with those thresholds.
    pub dev: QuoteReport,
    /// Bytes written.
    pub bytes: usize,
}

impl std::fmt::Display for QuoteTrainReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} training articles: {} words ({} anchors), {} role rows; thresholds anchor {:.2}, role {:.2}; {} bytes",
            self.articles, self.anchor_rows, self.anchors, self.role_rows, self.thresholds.0, self.thresholds.1, self.bytes
        )?;
        write!(f, "dev:\n{}", self.dev)
    }
}

/// Indices of the words a list of gold spans overlaps.
fn words_of(words: &Words<'_>, spans: &[[u32; 2]]) -> Vec<usize> {
    let spans: Vec<Span> = spans.iter().filter(|s| s[0] < s[1]).map(|s| Span::new(s[0], s[1])).collect();
    (0..words.words.len()).filter(|&i| spans.iter().any(|s| s.overlaps(words.words[i].span))).collect()
}

/// A gold quotation's anchor word and class: its cue's first word, else its message's.
fn gold_anchor(words: &Words<'_>, q: &GoldQuotation) -> Option<(usize, usize)> {
    if let Some(&i) = words_of(words, &q.cue).first() {
        return Some((i, CUE_ANCHOR));
    }
    words_of(words, &q.quote).first().map(|&i| (i, MESSAGE_ANCHOR))
}

/// Training rows of one article.
#[derive(Default)]
struct Rows {
    anchor_x: Vec<f32>,
    anchor_y: Vec<u32>,
    role_x: Vec<f32>,
    role_y: Vec<f32>,
}

impl Rows {
    fn add(&mut self, article: &GoldArticle, doc: &Document) {
        let Some(words) = Words::new(doc) else { return };
        let n = words.words.len();
        let mut label: Vec<Option<u32>> = vec![Some(0); n];
        let mut anchors = Vec::new();
        for q in &article.quotations {
            // Cue words other than the first are left out of the anchor rows: they are neither
            // anchors nor plain words.
            for i in words_of(&words, &q.cue) {
                label[i] = None;
            }
            if let Some((i, class)) = gold_anchor(&words, q) {
                anchors.push((i, class, q));
            }
        }
        for &(i, class, _) in &anchors {
            label[i] = Some(class as u32);
        }
        let width = anchor_width(words.dim);
        let rows = words.anchor_rows();
        for (i, l) in label.iter().enumerate() {
            if let Some(l) = l {
                self.anchor_x.extend_from_slice(&rows[i * width..(i + 1) * width]);
                self.anchor_y.push(*l);
            }
        }
        for (i, class, q) in anchors {
            let window = words.window(i);
            self.role_x.extend(words.role_rows(i, class, window.clone()));
            let roles = [&q.cue, &q.speaker, &q.quote, &q.addressee, &q.frame].map(|spans| words_of(&words, spans));
            for j in window {
                self.role_y.extend(roles.iter().map(|r| if r.binary_search(&j).is_ok() { 1.0 } else { 0.0 }));
            }
        }
    }
}

/// What the network is fitted to.
enum Targets<'a> {
    /// One class per row (softmax cross-entropy).
    Classes(&'a [u32], usize),
    /// Independent 0/1 outputs per row (sigmoid cross-entropy).
    Multi(&'a [f32], usize),
    /// A probability per class per row (softmax cross-entropy against them).
    Soft(&'a [f32], usize),
}

impl Targets<'_> {
    fn outputs(&self) -> usize {
        match self {
            Targets::Classes(_, k) | Targets::Multi(_, k) | Targets::Soft(_, k) => *k,
        }
    }
}

const BATCH: usize = 256;

/// The probabilities `net` gives the rows of `x`: softmax over its outputs (`classes`) or one
/// sigmoid each; in runs of rows, so the copies stay small.
fn outputs_of(net: &Mlp, x: &[f32], classes: bool) -> Result<Vec<f32>> {
    let (k, mut out) = (net.outputs(), Vec::with_capacity(x.len() / net.inputs() * net.outputs()));
    for rows in x.chunks(8192 * net.inputs()) {
        let mut p = net.logits(rows)?;
        if classes {
            p.chunks_mut(k).for_each(softmax_in_place);
        } else {
            p.iter_mut().for_each(|v| *v = sigmoid(*v));
        }
        out.extend(p);
    }
    Ok(out)
}

/// Fits `config.members` networks from seeds `seed + config.seed`, `+ 1`, … and averages them:
/// the spread between seeds is as large as most changes measured on dev, and their mean is
/// steadier and better than a typical one.
fn fit_members(x: &[f32], inputs: usize, targets: &Targets<'_>, config: &QuoteTrainConfig, seed: u64) -> Result<Mlp> {
    let nets = (0..config.members.max(1) as u64)
        .map(|m| fit_mlp(x, inputs, targets, config, seed + config.seed + m))
        .collect::<Result<Vec<Mlp>>>()?;
    Mlp::averaged(&nets)
}

/// Fits a one-hidden-layer network on `x` (`inputs` wide) by AdamW on shuffled batches.
fn fit_mlp(x: &[f32], inputs: usize, targets: &Targets<'_>, config: &QuoteTrainConfig, seed: u64) -> Result<Mlp> {
    let n = x.len() / inputs;
    if n == 0 {
        return Err(Error::Usage("no training rows for the quotation model (is the NER model `accurate`?)".into()));
    }
    let standardizer = Standardizer::fit(|| x.chunks(inputs), inputs, 1e-4);
    let device = Device::Cpu;
    let z = Tensor::from_vec(standardizer.apply_all(x.chunks(inputs)), (n, inputs), &device)?;
    let (hidden, outputs) = (config.hidden, targets.outputs());
    let mut rng = XorShift::new(seed);
    let init = |rng: &mut XorShift, rows: usize, cols: usize| -> Result<Var> {
        let bound = (6.0 / (rows + cols) as f32).sqrt();
        let values: Vec<f32> = (0..rows * cols).map(|_| rng.uniform(bound)).collect();
        Ok(Var::from_tensor(&Tensor::from_vec(values, (rows, cols), &device)?)?)
    };
    let w1 = init(&mut rng, inputs, hidden)?;
    let w2 = init(&mut rng, hidden, outputs)?;
    let b1 = Var::zeros(hidden, DType::F32, &device)?;
    let b2 = Var::zeros(outputs, DType::F32, &device)?;
    let params = ParamsAdamW { lr: config.learning_rate, weight_decay: config.weight_decay, ..Default::default() };
    let mut opt = AdamW::new(vec![w1.clone(), b1.clone(), w2.clone(), b2.clone()], params)?;
    let y = match targets {
        Targets::Classes(y, _) => Tensor::from_slice(y, n, &device)?,
        Targets::Multi(y, k) | Targets::Soft(y, k) => Tensor::from_slice(y, (n, *k), &device)?,
    };
    let mut order: Vec<u32> = (0..n as u32).collect();
    for _ in 0..config.epochs {
        rng.shuffle(&mut order);
        for batch in order.chunks(BATCH) {
            let idx = Tensor::from_slice(batch, batch.len(), &device)?;
            let xb = z.index_select(&idx, 0)?;
            let yb = y.index_select(&idx, 0)?;
            let h = xb.matmul(w1.as_tensor())?.broadcast_add(b1.as_tensor())?.relu()?;
            let logits = h.matmul(w2.as_tensor())?.broadcast_add(b2.as_tensor())?;
            let loss = match targets {
                Targets::Classes(..) => candle_nn::loss::cross_entropy(&logits, &yb)?,
                Targets::Multi(..) => sigmoid_cross_entropy(&logits, &yb)?,
                Targets::Soft(..) => (candle_nn::ops::log_softmax(&logits, 1)? * &yb)?.sum(1)?.mean_all()?.neg()?,
            };
            opt.backward_step(&loss)?;
        }
    }
    let flat = |v: &Var| -> Result<Vec<f32>> { Ok(v.as_tensor().flatten_all()?.to_vec1::<f32>()?) };
    Ok(Mlp { standardizer, w1: flat(&w1)?, b1: flat(&b1)?, w2: flat(&w2)?, b2: flat(&b2)? })
}

/// Mean sigmoid cross-entropy of `logits` against 0/1 `targets`, in the form that stays finite
/// for large logits: max(x, 0) − x·y + ln(1 + e^−|x|).
fn sigmoid_cross_entropy(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    let softplus = (logits.abs()?.neg()?.exp()? + 1.0)?.log()?;
    Ok((logits.relu()? - (logits * targets)?)?.add(&softplus)?.mean_all()?)
}

/// One dev article's anchor candidates with their role probabilities, computed once so that
/// thresholds can be tried without running the networks again.
struct Candidates {
    found: Vec<(Found, f32)>,
}

const LOWEST_ANCHOR_THRESHOLD: f32 = 0.2;

fn candidates(model: &QuoteModel, doc: &Document) -> Result<Candidates> {
    let Some(words) = Words::new(doc) else { return Ok(Candidates { found: Vec::new() }) };
    let mut found = Vec::new();
    let mut roles = model.role_scorer(&words);
    for (anchor, class, p) in model.scored_anchors(&words, LOWEST_ANCHOR_THRESHOLD)? {
        let window = words.window(anchor);
        let probs = roles.probs(anchor, class, window.clone())?;
        found.push((Found { anchor, class, window, probs }, p));
    }
    Ok(Candidates { found })
}

/// Trains the model on the gold files with `pipeline_fn` (the rules' claims on, vectors kept)
/// and writes it.
pub fn train_quotes(pipeline_fn: &(dyn Fn(&str) -> Document + Sync), config: &QuoteTrainConfig) -> Result<QuoteTrainReport> {
    let mut train = read_gold_articles(&config.train, QuoteSplit::Train)?;
    if let Some(max) = config.max_articles {
        train.truncate(max);
    }
    for path in &config.extra {
        train.extend(read_gold_articles(path, QuoteSplit::All)?);
    }
    let dev = read_gold_articles(&config.dev, QuoteSplit::All)?;
    let mut rows = Rows::default();
    let mut dim = 0;
    for chunk in train.chunks(crate::io::DOCUMENT_RUN) {
        let docs = crate::io::par_map_in_runs(chunk, |a| pipeline_fn(&a.text));
        for (article, doc) in chunk.iter().zip(&docs) {
            dim = dim.max(Words::new(doc).map_or(0, |w| w.dim));
            rows.add(article, doc);
        }
    }
    let mut anchors = fit_members(&rows.anchor_x, anchor_width(dim), &Targets::Classes(&rows.anchor_y, ANCHOR_CLASSES), config, 17)?;
    let mut roles = fit_members(&rows.role_x, role_width(dim), &Targets::Multi(&rows.role_y, ROLES), config, 29)?;
    if config.distil {
        let soft = outputs_of(&anchors, &rows.anchor_x, true)?;
        anchors = fit_mlp(&rows.anchor_x, anchor_width(dim), &Targets::Soft(&soft, ANCHOR_CLASSES), config, 17 + config.seed)?;
        let soft = outputs_of(&roles, &rows.role_x, false)?;
        roles = fit_mlp(&rows.role_x, role_width(dim), &Targets::Multi(&soft, ROLES), config, 29 + config.seed)?;
    }
    let mut model = QuoteModel { dim, anchor_threshold: 0.5, role_threshold: 0.5, anchors, roles };
    let dev_docs = crate::io::par_map_in_runs(&dev, |a| pipeline_fn(&a.text));
    let cands: Vec<Candidates> = dev_docs.iter().map(|d| candidates(&model, d)).collect::<Result<_>>()?;
    let plain: Vec<Document> = dev_docs
        .iter()
        .map(|d| {
            let mut p = d.clone();
            p.sentences.iter_mut().for_each(|s| s.vectors = None);
            p
        })
        .collect();
    let (mut best, mut best_score) = ((0.5, 0.5), f64::NEG_INFINITY);
    for anchor_t in [0.2f32, 0.3, 0.4, 0.5, 0.6] {
        for role_t in [0.3f32, 0.4, 0.5, 0.6] {
            let report = score_with(&dev, &dev_docs, &plain, &cands, anchor_t, role_t);
            let r = &report.one_to_one;
            let score = (r.message.overlap.f1 + r.source.overlap.f1 + r.cue.overlap.f1) / 3.0;
            if score > best_score {
                (best, best_score) = ((anchor_t, role_t), score);
            }
        }
    }
    (model.anchor_threshold, model.role_threshold) = best;
    let dev_report = score_with(&dev, &dev_docs, &plain, &cands, best.0, best.1);
    let bytes = model.save(&config.out)?;
    Ok(QuoteTrainReport {
        articles: train.len(),
        anchor_rows: rows.anchor_y.len(),
        anchors: rows.anchor_y.iter().filter(|&&y| y != 0).count(),
        role_rows: rows.role_y.len() / ROLES,
        thresholds: best,
        dev: dev_report,
        bytes,
    })
}

/// Dev scores of the cached candidates under two thresholds (`plain` are the dev documents
/// without their vectors, `docs` with them).
fn score_with(dev: &[GoldArticle], docs: &[Document], plain: &[Document], cands: &[Candidates], anchor_t: f32, role_t: f32) -> QuoteReport {
    let mut claimed: Vec<Document> = Vec::with_capacity(docs.len());
    for ((doc, plain), c) in docs.iter().zip(plain).zip(cands) {
        let mut out = plain.clone();
        if let Some(words) = Words::new(doc) {
            let kept: Vec<Found> = c
                .found
                .iter()
                .filter(|(_, p)| *p >= anchor_t)
                .map(|(f, _)| Found { anchor: f.anchor, class: f.class, window: f.window.clone(), probs: f.probs.clone() })
                .collect();
            super::install_claims(&mut out, decode(&words, &kept, role_t));
        }
        claimed.push(out);
    }
    score_quotes(dev, &claimed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_cross_entropy_stays_finite_for_large_logits() {
        let device = Device::Cpu;
        let logits = Tensor::new(&[[-200f32, 0.0, 200.0]], &device).expect("tensor");
        let targets = Tensor::new(&[[1f32, 0.0, 1.0]], &device).expect("tensor");
        let loss = sigmoid_cross_entropy(&logits, &targets).expect("loss").to_scalar::<f32>().expect("scalar");
        // (200 + ln 2 + 0) / 3.
        assert!((loss - (200.0 + std::f32::consts::LN_2) / 3.0).abs() < 1e-3, "{loss}");
    }

    #[test]
    fn the_shuffle_is_a_fixed_permutation() {
        let (mut a, mut b): (Vec<u32>, Vec<u32>) = ((0..50).collect(), (0..50).collect());
        XorShift::new(7).shuffle(&mut a);
        XorShift::new(7).shuffle(&mut b);
        assert_eq!(a, b);
        assert_ne!(a, (0..50).collect::<Vec<u32>>());
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<u32>>());
    }
}
