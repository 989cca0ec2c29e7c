//! Training that needs the whole pipeline: the stance head learns from documents the default
//! pipeline (accurate NER, vectors kept) has analysed.

use super::{Config, Pipeline};
use crate::error::Result;
use crate::stance::{StanceTrainConfig, StanceTrainReport, TrainingPair};

/// The default pipeline with the contextual vectors kept, as the stance trainer reads them.
fn pipeline_for_stance(config: &StanceTrainConfig) -> Result<Pipeline> {
    Pipeline::new(&Config { models_dir: config.models_dir.clone(), keep_vectors: true, ..Config::default() })
}

/// Every gold pair of `config.gold` and `config.newsmtsc` with the stance head's input, and
/// the dev pairs of `config.calibrate`; returns the number of gold pairs read, the training
/// pairs and the dev pairs.
pub fn collect_stance_pairs(config: &StanceTrainConfig) -> Result<(usize, Vec<TrainingPair>, Vec<TrainingPair>)> {
    let pipeline = pipeline_for_stance(config)?;
    crate::stance::collect_training_pairs(&|text: &str| pipeline.analyze_text("gold", text), config)
}

/// Collects the training pairs, fits the stance head and writes it to
/// `models_dir/stance/head.bin`.
pub fn train_stance(config: &StanceTrainConfig) -> Result<StanceTrainReport> {
    let pipeline = pipeline_for_stance(config)?;
    crate::stance::train_stance(&|text: &str| pipeline.analyze_text("gold", text), config)
}

/// Scores the shipped stance head on a NewsMTSC file (English sentences, gold targets): each
/// target's label from the head over the default pipeline's pass, as trained.
pub fn eval_stance_newsmtsc(config: &Config, gold: &std::path::Path) -> Result<crate::stance::PairScores> {
    let config = Config { keep_vectors: true, ..config.clone() };
    let pipeline = Pipeline::new(&config)?;
    let stage = crate::stance::StanceStage::load(&config.models_dir, &[])?;
    let head = stage.head().ok_or_else(|| crate::error::Error::Usage("no stance head in the models to score".into()))?;
    let rules = stage.clone().without_head();
    let (_, pairs) = crate::stance::newsmtsc_pairs(&|text: &str| pipeline.analyze_text("gold", text), &rules, gold)?;
    Ok(crate::stance::score_pairs(Some(head), &pairs))
}
