//! Training that needs the whole pipeline: the stance head learns from documents the default
//! pipeline (accurate NER, vectors kept) has analysed.

use super::{Config, Pipeline};
use crate::error::Result;
use crate::stance::{StanceTrainConfig, StanceTrainReport, TrainingPair};

/// The default pipeline with the contextual vectors kept, as the stance trainer reads them.
fn pipeline_for_stance(config: &StanceTrainConfig) -> Result<Pipeline> {
    Pipeline::new(&Config { models_dir: config.models_dir.clone(), keep_vectors: true, ..Config::default() })
}

/// Every gold pair of `config.gold` the system finds a target for, with the stance head's
/// input; returns the number of gold pairs read and the pairs found.
pub fn collect_stance_pairs(config: &StanceTrainConfig) -> Result<(usize, Vec<TrainingPair>)> {
    let pipeline = pipeline_for_stance(config)?;
    crate::stance::collect_training_pairs(&|text: &str| pipeline.analyze_text("gold", text), config)
}

/// Collects the training pairs, fits the stance head and writes it to
/// `models_dir/stance/head.bin`.
pub fn train_stance(config: &StanceTrainConfig) -> Result<StanceTrainReport> {
    let pipeline = pipeline_for_stance(config)?;
    crate::stance::train_stance(&|text: &str| pipeline.analyze_text("gold", text), config)
}
