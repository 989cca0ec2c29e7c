//! The two stage traits. A [`crate::Pipeline`] only calls them in order; all linguistics lives in
//! the stages.

use crate::doc::{Document, Sentence, Text};

/// A stage that needs the whole document: ingest-time marking, segmentation, aggregation.
pub trait DocumentStage: Send + Sync {
    /// Short name used in messages and timings.
    fn name(&self) -> &'static str;

    /// Adds this stage's layer to the document.
    fn process(&self, doc: &mut Document);
}

/// A stage that works one sentence at a time. Sentences are independent after segmentation, so
/// the pipeline runs these in parallel; a stage sees only the text and its own sentence, and
/// adds its layer to that sentence.
pub trait SentenceStage: Send + Sync {
    /// Short name used in messages and timings.
    fn name(&self) -> &'static str;

    /// Adds this stage's layer to one sentence. Spans stay document-relative.
    fn annotate(&self, text: &Text, sentence: &mut Sentence);

    /// Adds this stage's layer to a run of sentences of one document. Stages that gain from
    /// batching (a neural encoder) override it; the result must not depend on how the pipeline
    /// cuts the document into runs beyond the run itself.
    fn annotate_batch(&self, text: &Text, sentences: &mut [Sentence]) {
        for sentence in sentences {
            self.annotate(text, sentence);
        }
    }
}

/// A stage shared with other stages (the morphology, whose lexicon NER and modality read too).
impl<S: SentenceStage + ?Sized> SentenceStage for std::sync::Arc<S> {
    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn annotate(&self, text: &Text, sentence: &mut Sentence) {
        (**self).annotate(text, sentence);
    }

    fn annotate_batch(&self, text: &Text, sentences: &mut [Sentence]) {
        (**self).annotate_batch(text, sentences);
    }
}
