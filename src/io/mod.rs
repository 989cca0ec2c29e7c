//! What every stage may use and none owns: writing files so that they are complete or absent
//! ([`atomic`]), reading gold data ([`conllu`], [`gold`]), scoring against it ([`metrics`]),
//! and the constants the stages agree on.

pub mod atomic;
pub mod conllu;
pub mod gold;
pub mod metrics;

pub use atomic::{write_atomically, write_atomically_with, AtomicFile};
pub use metrics::Scores;

/// Sentences handed to the sentence stages together: the encode stage runs the encoder over
/// them as one set of batches, and the runs have this size whatever the thread count, so
/// results never depend on it.
pub const SENTENCE_RUN: usize = 32;
