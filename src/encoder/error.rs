//! Error type shared by the encoder modules.

use std::path::PathBuf;

/// Everything that can go wrong while loading or running the encoder.
///
/// Loading errors always name the offending file and the reason, so that a
/// missing, truncated or corrupt model file is diagnosable from the message alone.
#[derive(Debug, thiserror::Error)]
pub enum EncoderError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// File that failed.
        path: PathBuf,
        /// Underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The weight file exists but is not a usable e5 GGUF model
    /// (bad magic, truncated, missing tensor, wrong shape or type, ...).
    #[error("invalid model file {path}: {reason}")]
    InvalidModel {
        /// File that failed.
        path: PathBuf,
        /// Human-readable reason.
        reason: String,
    },
    /// The tokenizer file could not be loaded or tokenization failed.
    #[error("tokenizer error ({path}): {reason}")]
    Tokenizer {
        /// Tokenizer file (or `<memory>` when built from bytes).
        path: PathBuf,
        /// Human-readable reason.
        reason: String,
    },
    /// The caller passed input the encoder cannot process
    /// (sequence too long, token id out of range, word span outside the text, ...).
    #[error("invalid input: {0}")]
    Input(String),
    /// A tensor operation failed during the forward pass.
    #[error("forward pass failed: {0}")]
    Compute(#[from] candle_core::Error),
    /// A libtorch operation of the rust-bert backend failed.
    #[cfg(feature = "torch")]
    #[error("libtorch: {0}")]
    Torch(String),
}

#[cfg(feature = "torch")]
impl From<tch::TchError> for EncoderError {
    fn from(e: tch::TchError) -> Self {
        EncoderError::Torch(e.to_string())
    }
}

impl EncoderError {
    pub(crate) fn invalid_model(path: &std::path::Path, reason: impl Into<String>) -> Self {
        EncoderError::InvalidModel { path: path.to_path_buf(), reason: reason.into() }
    }
}
