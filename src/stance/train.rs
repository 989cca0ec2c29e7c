//! Training the stance head (`lesart train stance`): every gold pair whose target the system
//! finds gets the head's input computed by the rules-only stage over the accurate NER model's
//! vectors; a softmax regression is fitted to the gold labels.

use super::eval::GoldDocuments;
use super::head::{train_stance_head, StanceHead, StanceHeadConfig, HEAD_FILE};
use super::{claims_near, document_claims, RuleStance, StanceStage, MODEL_SUBDIR};
use crate::doc::{Claim, Document};
use crate::error::{Error, Result};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What to train on and where to write.
#[derive(Debug, Clone)]
pub struct StanceTrainConfig {
    /// Gold files of labelled pairs.
    pub gold: Vec<PathBuf>,
    /// The shared data folder the pairs' texts are read from.
    pub data_dir: PathBuf,
    /// lesart's models; the head is written to its `stance/`.
    pub models_dir: PathBuf,
    /// How the head is fitted.
    pub head: StanceHeadConfig,
}

/// Every gold pair of `config.gold` the system finds a target for, with the head's input:
/// the documents go through `pipeline_fn` (which keeps the vectors) and the rules.
/// Returns the number of gold pairs read and the pairs found.
pub fn collect_training_pairs(
    pipeline_fn: &(dyn Fn(&str) -> Document + Sync),
    config: &StanceTrainConfig,
) -> Result<(usize, Vec<TrainingPair>)> {
    let stage = StanceStage::load(&config.models_dir, &[])?.without_head();
    let (mut pairs, mut training) = (0, Vec::new());
    for gold in &config.gold {
        let (n, mut found) = training_pairs(pipeline_fn, &stage, gold, &config.data_dir)?;
        pairs += n;
        training.append(&mut found);
    }
    Ok((pairs, training))
}

/// Writes the pairs as JSONL, atomically.
pub fn write_training_pairs(path: &Path, training: &[TrainingPair]) -> Result<()> {
    let mut out = String::new();
    for p in training {
        out.push_str(&serde_json::to_string(p).map_err(|e| Error::io(path, std::io::Error::other(e)))?);
        out.push('\n');
    }
    crate::io::write_atomically(path, out.as_bytes())
}

/// One gold pair as the head sees it.
#[derive(Debug, Clone, Serialize)]
pub struct TrainingPair {
    /// The gold file it came from.
    pub gold: String,
    /// Gold label index (favor 0, against 1, neutral 2).
    pub label: usize,
    /// The head's input.
    pub features: Vec<f32>,
}

/// What [`train_stance`] did.
#[derive(Debug, Clone, Serialize)]
pub struct StanceTrainReport {
    /// Gold pairs read.
    pub pairs: usize,
    /// Pairs trained on (the others' targets were not found, or had no vectors).
    pub trained_on: usize,
    /// Training pairs per class: favor, against, neutral.
    pub per_class: [usize; 3],
    /// Training accuracy of the fitted head.
    pub training_accuracy: f64,
    /// Where the head was written.
    pub head: PathBuf,
    /// Its size in bytes.
    pub bytes: usize,
}

/// The training pairs of one gold file: documents analysed by `pipeline_fn`, which must keep
/// the contextual vectors (the pipeline's `keep_vectors`); each pair's input
/// is computed by `stage` on the system stance target that overlaps the gold target most.
pub fn training_pairs(
    pipeline_fn: &(dyn Fn(&str) -> Document + Sync),
    stage: &StanceStage,
    gold: &Path,
    data_dir: &Path,
) -> Result<(usize, Vec<TrainingPair>)> {
    let gd = GoldDocuments::load(pipeline_fn, gold, data_dir)?;
    let claims: HashMap<&(String, usize), Vec<Claim>> = gd.docs.iter().map(|(key, doc)| (key, document_claims(doc))).collect();
    let mut out = Vec::new();
    for g in &gd.pairs {
        let key = (g.corpus.clone(), g.doc);
        let (Some(doc), Some(claims)) = (gd.docs.get(&key), claims.get(&key)) else { continue };
        let Some(sentence) = doc.sentences.iter().find(|s| s.span.contains(g.target) && !s.boilerplate) else { continue };
        let near = claims_near(claims, sentence.span);
        let best = stage
            .rule_stances(&doc.text, sentence, &near, true)
            .into_iter()
            .filter(|r| r.stance.span.overlaps(g.target) && r.features.is_some())
            .max_by_key(|r| r.stance.span.overlap(g.target));
        if let Some(RuleStance { features: Some(features), .. }) = best {
            out.push(TrainingPair { gold: gold.display().to_string(), label: g.label, features });
        }
    }
    Ok((gd.pairs.len(), out))
}

/// Collects the training pairs, fits the head and writes it to `models_dir/stance/head.bin`.
pub fn train_stance(pipeline_fn: &(dyn Fn(&str) -> Document + Sync), config: &StanceTrainConfig) -> Result<StanceTrainReport> {
    let (pairs, training) = collect_training_pairs(pipeline_fn, config)?;
    let head_path = config.models_dir.join(MODEL_SUBDIR).join(HEAD_FILE);
    fit_and_write(pairs, &training, &config.head, &head_path)
}

/// Fits the head to the pairs and writes it to `head_path`.
fn fit_and_write(pairs: usize, training: &[TrainingPair], config: &StanceHeadConfig, head_path: &Path) -> Result<StanceTrainReport> {
    let rows: Vec<Vec<f32>> = training.iter().map(|p| p.features.clone()).collect();
    let labels: Vec<usize> = training.iter().map(|p| p.label).collect();
    let head: StanceHead = train_stance_head(&rows, &labels, config)?;
    let mut per_class = [0usize; 3];
    labels.iter().for_each(|&l| per_class[l] += 1);
    let correct = rows.iter().zip(&labels).filter(|(x, &l)| head.predict(x).is_some_and(|(label, _)| label.index() == l)).count();
    if let Some(dir) = head_path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let bytes = head.save(head_path)?;
    Ok(StanceTrainReport {
        pairs,
        trained_on: training.len(),
        per_class,
        training_accuracy: correct as f64 / training.len().max(1) as f64,
        head: head_path.to_path_buf(),
        bytes,
    })
}
