//! What every stage may use and none owns: writing files so that they are complete or absent
//! ([`atomic`]), reading gold data ([`conllu`], [`gold`]), scoring against it ([`metrics`]),
//! a deterministic generator ([`rng`]), logits to probabilities ([`prob`]), and the constants
//! the stages agree on.

pub mod atomic;
pub mod conllu;
pub mod gold;
pub mod metrics;
pub mod prob;
pub mod rng;

pub use atomic::{write_atomically, write_atomically_with, AtomicFile};
pub use metrics::Scores;
pub use rng::XorShift;

/// Sentences handed to the sentence stages together: the encode stage runs the encoder over
/// them as one set of batches, and the runs have this size whatever the thread count, so
/// results never depend on it.
pub const SENTENCE_RUN: usize = 32;

/// Items a parallel map over whole documents takes at a time ([`par_map_in_runs`]).
pub const DOCUMENT_RUN: usize = 256;

/// `f` over every item on all workers, results in the items' order, [`DOCUMENT_RUN`] items at a
/// time. The pipeline parallelises inside each document, and a rayon worker that waits for
/// that work steals further items onto its own stack: thousands of small items at once (one
/// sentence each) overflowed it. Runs bound how deep that goes.
pub fn par_map_in_runs<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use rayon::prelude::*;
    let mut out = Vec::with_capacity(items.len());
    for run in items.chunks(DOCUMENT_RUN) {
        out.par_extend(run.par_iter().map(&f));
    }
    out
}
