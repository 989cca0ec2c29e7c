//! The library's error type. Every variant names the file it is about and, where known, what to
//! do next.

use std::path::PathBuf;

/// Errors the library reports. Callers can match on them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A model file is absent.
    #[error("model file {} not found: run from the project root or pass --models DIR", path.display())]
    ModelMissing {
        /// The file that was looked for.
        path: PathBuf,
    },
    /// A model file exists but cannot be used.
    #[error("model file {} is corrupt: {reason}; rebuild it as described in models/README.md", path.display())]
    ModelCorrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A line of a data file (lexicon source, gold file) is malformed.
    #[error("{}:{line}: {reason}", path.display())]
    BadLine {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with the line.
        reason: String,
    },
    /// The contextual encoder failed: its files could not be loaded, or a computation failed.
    #[error(transparent)]
    Encoder(#[from] crate::encoder::EncoderError),
    /// An input or option that cannot be used as given.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io { path: path.into(), source }
    }
}

impl From<candle_core::Error> for Error {
    fn from(e: candle_core::Error) -> Error {
        Error::Encoder(crate::encoder::EncoderError::Compute(e))
    }
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
