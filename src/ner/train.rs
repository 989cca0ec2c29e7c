//! Training: an averaged structured perceptron over the hashed features, deterministic for a
//! given seed and data order.

use super::clusters::{build_clusters, Clusters, TextSource, CLUSTER_FILE};
use super::eval::{read_gold, score, GoldEntity, GoldFormat, GoldSentence};
use super::features::{Featurizer, AUX_FLAG, FEATURE_VERSION};
use super::gazetteer::{Gazetteers, GAZETTEER_SUBDIR};
use super::model::{self, label_index, Model, LABELS, START};
use super::{decode, spans_of, AUX_FILE, MODEL_FILE, MODEL_SUBDIR};
use crate::doc::Pos;
use crate::error::{Error, Result};
use crate::morphology::Morphology;
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Words need this many occurrences in the unlabeled text to get a cluster.
const CLUSTER_MIN_COUNT: usize = 2;
/// Coarse clusters.
const CLUSTER_COARSE: usize = 100;
/// Fine clusters inside each coarse one.
const CLUSTER_FINE: usize = 20;

/// What to train on and how.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// Training files and their formats; the first is the main corpus.
    pub train: Vec<(PathBuf, GoldFormat)>,
    /// Models folder with `morphology/` and `ner/gazetteers/` (features need both).
    pub models_dir: PathBuf,
    /// Where `model.bin` is written (normally `models/ner`).
    pub out_dir: PathBuf,
    /// Passes over the data.
    pub epochs: usize,
    /// Seed of the shuffling.
    pub seed: u64,
    /// When > 0, every `holdout`-th sentence of the first file is held out of training and
    /// scored after each epoch (strict micro F1, derived forms excluded).
    pub holdout: usize,
    /// log2 of the number of feature buckets.
    pub bucket_bits: u32,
    /// Rows whose largest absolute weight is below this are dropped from the saved model.
    pub prune: f32,
    /// Corpora for an auxiliary model whose labels become features of the main model (a
    /// silver corpus such as WikiANN); empty for none. Written as `aux.bin`.
    pub aux_train: Vec<(PathBuf, GoldFormat)>,
    /// Margin of cost-augmented decoding during training (0 for the plain perceptron).
    pub margin: f32,
    /// Train without cluster features (for comparison only: [`super::Ner`] always uses them).
    pub no_clusters: bool,
    /// Unlabeled text to build `out_dir/clusters.tsv` from before training; when empty, the
    /// clusters already in `out_dir` are used.
    pub cluster_sources: Vec<TextSource>,
}

impl TrainConfig {
    /// The recipe of the shipped model, reading the corpora under `data_dir` (the shared data
    /// folder, e.g. `../shared/data`) and writing to `models_dir/ner`. NER-de-dev.tsv is not
    /// read: it stays held out for evaluation.
    pub fn standard(data_dir: &Path, models_dir: &Path) -> TrainConfig {
        let d = data_dir;
        // Only sources under CC BY: the clusters ship in models/ and must stay redistributable.
        let mut cluster_sources = vec![TextSource::Gold(d.join("germeval2014/train.bio.tsv"), GoldFormat::Conll)];
        for court in ["bag", "bfh", "bgh", "bpatg", "bsg", "bverfg", "bverwg"] {
            cluster_sources.push(TextSource::Gold(d.join(format!("ler/{court}.conll")), GoldFormat::Conll));
        }
        TrainConfig {
            train: vec![(d.join("germeval2014/train.bio.tsv"), GoldFormat::Conll)],
            models_dir: models_dir.to_path_buf(),
            out_dir: models_dir.join(MODEL_SUBDIR),
            cluster_sources,
            ..TrainConfig::default()
        }
    }
}

impl Default for TrainConfig {
    fn default() -> TrainConfig {
        TrainConfig {
            train: Vec::new(),
            models_dir: PathBuf::from("models"),
            out_dir: PathBuf::from("models").join(MODEL_SUBDIR),
            epochs: 15,
            seed: 1,
            holdout: 0,
            bucket_bits: 22,
            prune: 0.0,
            no_clusters: false,
            cluster_sources: Vec::new(),
            aux_train: Vec::new(),
            margin: 0.0,
        }
    }
}

/// Scores after one epoch.
#[derive(Debug, Clone, Serialize)]
pub struct EpochReport {
    /// 1-based epoch.
    pub epoch: usize,
    /// Training sentences whose prediction was wrong during the pass.
    pub mistakes: usize,
    /// Strict micro F1 on the held-out sentences with the averaged weights, when held out.
    pub holdout_f1: Option<f64>,
}

/// Result of [`train`].
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    /// Training sentences.
    pub sentences: usize,
    /// Training tokens.
    pub tokens: usize,
    /// Held-out sentences.
    pub held_out: usize,
    /// Per epoch.
    pub epochs: Vec<EpochReport>,
    /// Per epoch of the auxiliary model, when one was trained.
    pub aux_epochs: Vec<EpochReport>,
    /// Weight rows kept in the model.
    pub rows: usize,
    /// Size of `model.bin`.
    pub model_bytes: usize,
    /// The written model.
    pub model_path: PathBuf,
    /// Words clustered, when clusters were built.
    pub cluster_words: Option<usize>,
    /// Wall time.
    pub seconds: f64,
}

/// A featurised sentence.
struct Example {
    feats: Vec<u32>,
    offs: Vec<u32>,
    gold: Vec<usize>,
    entities: Vec<GoldEntity>,
}

pub(crate) fn labels_of(s: &GoldSentence) -> Vec<usize> {
    let mut labels = vec![0; s.tokens.len()];
    for e in &s.entities {
        for (k, l) in labels[e.start..e.end].iter_mut().enumerate() {
            *l = label_index(e.label, e.derived, k > 0);
        }
    }
    labels
}

/// What featurising needs besides the sentences.
struct Env<'a> {
    morph: &'a Morphology,
    gaz: &'a Gazetteers,
    clusters: Option<&'a Clusters>,
    mask: u32,
}

fn featurise(sentences: &[GoldSentence], env: &Env, aux: Option<&Model>) -> Vec<Example> {
    sentences
        .par_iter()
        .map_init(
            || Featurizer::new(env.gaz, Some(env.morph.lexicon()), env.clusters, env.mask),
            |fz, s| {
                let forms: Vec<&str> = s.tokens.iter().map(String::as_str).collect();
                let pos: Vec<Option<Pos>> = env.morph.analyze(&forms).into_iter().map(|m| Some(m.pos)).collect();
                let aux_labels = aux.map(|m| decode(m, fz, &forms, &pos, &[]).0).unwrap_or_default();
                fz.set_mask(env.mask);
                let (mut feats, mut offs) = (Vec::new(), Vec::new());
                fz.extract(&forms, &pos, &aux_labels, &mut feats, &mut offs);
                feats.shrink_to_fit();
                Example { feats, offs, gold: labels_of(s), entities: s.entities.clone() }
            },
        )
        .collect()
}

fn emissions(w: &[f32], ex: &Example, em: &mut Vec<f32>) {
    let n = ex.gold.len();
    em.clear();
    em.resize(n * LABELS, 0.0);
    for i in 0..n {
        let row = &mut em[i * LABELS..(i + 1) * LABELS];
        for &f in &ex.feats[ex.offs[i] as usize..ex.offs[i + 1] as usize] {
            let base = f as usize * LABELS;
            for (r, w) in row.iter_mut().zip(&w[base..base + LABELS]) {
                *r += w;
            }
        }
    }
}

fn entities_of(labels: &[usize]) -> Vec<GoldEntity> {
    spans_of(labels).into_iter().map(|(start, end, label, derived)| GoldEntity { start, end, label, derived }).collect()
}

fn holdout_f1(w: &[f32], trans: &[f32], held: &[Example]) -> f64 {
    let pairs: Vec<_> = held
        .par_iter()
        .map_init(
            || (Vec::new(), Vec::new()),
            |(em, out), ex| {
                emissions(w, ex, em);
                model::viterbi(em, ex.gold.len(), trans, out);
                (ex.entities.clone(), entities_of(out))
            },
        )
        .collect();
    score(&pairs, false).1.scores.f1
}

/// xorshift64*, enough for shuffling.
pub(crate) struct Rng(u64);
impl Rng {
    /// A generator for `seed` (any value, zero included).
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    /// Fisher–Yates shuffle.
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, (self.next() % (i as u64 + 1)) as usize);
        }
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Runs the averaged perceptron; returns averaged emission and transition weights.
fn fit(train_x: &[Example], held_x: &[Example], config: &TrainConfig) -> (Vec<f32>, Vec<f32>, Vec<EpochReport>) {
    let size = (1usize << config.bucket_bits) * LABELS;
    let (mut w, mut u) = (vec![0f32; size], vec![0f32; size]);
    let tsize = (LABELS + 1) * LABELS;
    let (mut tw, mut tu) = (vec![0f32; tsize], vec![0f32; tsize]);
    let mut c = 1f32;
    let mut order: Vec<usize> = (0..train_x.len()).collect();
    let mut rng = Rng::new(config.seed);
    let (mut em, mut pred) = (Vec::new(), Vec::new());
    let mut epochs = Vec::new();
    let average = |w: &[f32], u: &[f32], c: f32| -> Vec<f32> { w.par_iter().zip(u.par_iter()).map(|(w, u)| w - u / c).collect() };
    for epoch in 1..=config.epochs {
        rng.shuffle(&mut order);
        let mut mistakes = 0;
        for &k in &order {
            let ex = &train_x[k];
            let n = ex.gold.len();
            emissions(&w, ex, &mut em);
            // Cost-augmented decoding: wrong labels get a head start, so updates continue until
            // the gold sequence wins by a margin.
            if config.margin > 0.0 {
                for (i, &g) in ex.gold.iter().enumerate() {
                    for (l, e) in em[i * LABELS..(i + 1) * LABELS].iter_mut().enumerate() {
                        if l != g {
                            *e += config.margin;
                        }
                    }
                }
            }
            model::viterbi(&em, n, &tw, &mut pred);
            if pred != ex.gold {
                mistakes += 1;
                for i in 0..n {
                    let (g, p) = (ex.gold[i], pred[i]);
                    if g != p {
                        for &f in &ex.feats[ex.offs[i] as usize..ex.offs[i + 1] as usize] {
                            let base = f as usize * LABELS;
                            w[base + g] += 1.0;
                            u[base + g] += c;
                            w[base + p] -= 1.0;
                            u[base + p] -= c;
                        }
                    }
                    let (pg, pp) = if i == 0 { (START, START) } else { (ex.gold[i - 1], pred[i - 1]) };
                    if (pg, g) != (pp, p) {
                        tw[pg * LABELS + g] += 1.0;
                        tu[pg * LABELS + g] += c;
                        tw[pp * LABELS + p] -= 1.0;
                        tu[pp * LABELS + p] -= c;
                    }
                }
            }
            c += 1.0;
        }
        let holdout_f1 = (!held_x.is_empty()).then(|| holdout_f1(&average(&w, &u, c), &average(&tw, &tu, c), held_x));
        epochs.push(EpochReport { epoch, mistakes, holdout_f1 });
    }
    (average(&w, &u, c), average(&tw, &tu, c), epochs)
}

fn write_model(model: &Model, path: &Path) -> Result<usize> {
    let bytes = model.to_bytes();
    std::fs::write(path, &bytes).map_err(|e| Error::io(path, e))?;
    Ok(bytes.len())
}

/// Trains a model and writes `out_dir/model.bin` (and `clusters.tsv`, `aux.bin` where asked).
pub fn train(config: &TrainConfig) -> Result<TrainReport> {
    let t0 = Instant::now();
    if config.train.is_empty() {
        return Err(Error::Usage("no training files given".into()));
    }
    if !(16..=24).contains(&config.bucket_bits) {
        return Err(Error::Usage(format!("bucket_bits {} outside 16..=24", config.bucket_bits)));
    }
    let morph = Morphology::load(&config.models_dir)?;
    let gaz = Gazetteers::load(&config.models_dir.join(MODEL_SUBDIR).join(GAZETTEER_SUBDIR))?;
    std::fs::create_dir_all(&config.out_dir).map_err(|e| Error::io(&config.out_dir, e))?;
    let cluster_path = config.out_dir.join(CLUSTER_FILE);
    let cluster_words = if config.cluster_sources.is_empty() || config.no_clusters {
        None
    } else {
        Some(build_clusters(&config.cluster_sources, &cluster_path, CLUSTER_MIN_COUNT, CLUSTER_COARSE, CLUSTER_FINE)?)
    };
    let clusters = if config.no_clusters { None } else { Some(Clusters::load(&cluster_path)?) };
    let env = Env { morph: &morph, gaz: &gaz, clusters: clusters.as_ref(), mask: ((1u64 << config.bucket_bits) - 1) as u32 };

    let mut aux_epochs = Vec::new();
    let aux = if config.aux_train.is_empty() {
        let _ = std::fs::remove_file(config.out_dir.join(AUX_FILE));
        None
    } else {
        let mut sentences = Vec::new();
        for (path, format) in &config.aux_train {
            sentences.extend(read_gold(path, *format)?);
        }
        let x = featurise(&sentences, &env, None);
        drop(sentences);
        let (avg, trans, epochs) = fit(&x, &[], config);
        aux_epochs = epochs;
        let aux = Model::from_dense(config.bucket_bits, FEATURE_VERSION, &avg, trans, config.prune);
        write_model(&aux, &config.out_dir.join(AUX_FILE))?;
        Some(aux)
    };

    let (mut train_s, mut held_s) = (Vec::new(), Vec::new());
    for (k, (path, format)) in config.train.iter().enumerate() {
        for (i, s) in read_gold(path, *format)?.into_iter().enumerate() {
            if k == 0 && config.holdout > 0 && i % config.holdout == config.holdout - 1 {
                held_s.push(s);
            } else {
                train_s.push(s);
            }
        }
    }
    let train_x = featurise(&train_s, &env, aux.as_ref());
    let held_x = featurise(&held_s, &env, aux.as_ref());
    let tokens = train_s.iter().map(|s| s.tokens.len()).sum();
    drop(train_s);
    let (avg, trans, epochs) = fit(&train_x, &held_x, config);
    let version = FEATURE_VERSION | if aux.is_some() { AUX_FLAG } else { 0 };
    let model = Model::from_dense(config.bucket_bits, version, &avg, trans, config.prune);
    drop(avg);
    let model_path = config.out_dir.join(MODEL_FILE);
    let model_bytes = write_model(&model, &model_path)?;
    Ok(TrainReport {
        sentences: train_x.len(),
        tokens,
        held_out: held_x.len(),
        epochs,
        aux_epochs,
        rows: model.rows(),
        model_bytes,
        model_path,
        cluster_words,
        seconds: t0.elapsed().as_secs_f64(),
    })
}
