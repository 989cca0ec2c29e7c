//! The encode stage: one pass of the contextual encoder per run of sentences, whose vectors
//! every learned head reads.
//!
//! multilingual-e5-small with its layers fine-tuned on GermEval 2014 (`models/ner/encoder.gguf`
//! over the base model's word embeddings in `models/encoder/`) encodes each run of sentences
//! once. Each token gets its last layer's vector and the mean of the [`SIDE_LAYERS`]; they stay
//! on the sentence ([`Sentence::vectors`]) for the length of the pass, and the pipeline drops
//! them after its last stage. Which head reads what is the heads' business: the NER head reads
//! the last layer, the stance head the side layers. Without a head that needs it (`--ner fast`)
//! the stage does not run.

use crate::doc::{Sentence, Text, TokenVectors};
use crate::encoder::{TokenMatrix, WordEncoder};
use crate::error::{Error, Result};
use crate::stage::SentenceStage;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The fine-tuned encoder layers inside the models folder (written by
/// `tools/finetune-ner.py export`; tuned for NER, read by every head).
pub const TUNED_LAYERS: &str = "ner/encoder.gguf";

/// The layers whose mean each token keeps beside the last layer's vector: the upper half, 4
/// to 7 of 8 (of 0–3, 2–5, 4–7 and all 8, the one whose stance head scored best on the dev
/// pairs across penalty settings).
pub const SIDE_LAYERS: Range<usize> = 4..8;

/// Where the fine-tuned layers lie under `models_dir`.
pub fn tuned_layers_path(models_dir: &Path) -> PathBuf {
    models_dir.join(TUNED_LAYERS)
}

/// The encode stage.
#[derive(Debug)]
pub struct Encode {
    words: WordEncoder,
    /// Width of the last layer's part of each vector (the side layers' mean follows it).
    last_dim: usize,
}

impl Encode {
    /// Loads the fine-tuned encoder from `models_dir`, keeping the last layer and the mean of
    /// [`SIDE_LAYERS`].
    pub fn load(models_dir: &Path) -> Result<Encode> {
        let words = WordEncoder::load_tuned_with_side(models_dir, &tuned_layers_path(models_dir), SIDE_LAYERS)?;
        let last_dim = words.dim() / 2;
        Ok(Encode { words, last_dim })
    }

    /// The fine-tuned encoder giving the last layer alone (for training a head on it).
    pub fn last_layer_only(models_dir: &Path) -> Result<WordEncoder> {
        Ok(WordEncoder::load_tuned(models_dir, &tuned_layers_path(models_dir))?)
    }

    /// Width of each token's last-layer vector.
    pub fn last_dim(&self) -> usize {
        self.last_dim
    }

    /// Width of each token's side-layer vector.
    pub fn side_dim(&self) -> usize {
        self.words.dim() - self.last_dim
    }

    /// Vectors for sentences given as word forms, one pass over all of them (in batches of
    /// similar length). `None` for every sentence when the encoder fails: the heads then leave
    /// the decision to the rules and the perceptron rather than lose the sentences.
    pub fn encode(&self, sentences: &[&[&str]]) -> Vec<Option<TokenVectors>> {
        match self.words.encode(sentences) {
            Ok(matrices) => matrices.iter().map(|m| self.split(m)).collect(),
            Err(_) => vec![None; sentences.len()],
        }
    }

    fn split(&self, m: &TokenMatrix) -> Option<TokenVectors> {
        m.split_columns(self.last_dim).map(|(last, side)| TokenVectors { last, side })
    }
}

impl SentenceStage for Encode {
    fn name(&self) -> &'static str {
        "encode"
    }

    fn annotate(&self, text: &Text, sentence: &mut Sentence) {
        self.annotate_batch(text, std::slice::from_mut(sentence));
    }

    /// Encodes the run's sentences that are not boilerplate together.
    fn annotate_batch(&self, text: &Text, sentences: &mut [Sentence]) {
        let forms: Vec<Vec<&str>> =
            sentences.iter().filter(|s| !s.boilerplate).map(|s| s.tokens.iter().map(|t| text.slice(t.span)).collect()).collect();
        let borrowed: Vec<&[&str]> = forms.iter().map(Vec::as_slice).collect();
        let mut encoded = self.encode(&borrowed).into_iter();
        for sentence in sentences.iter_mut() {
            sentence.vectors =
                if sentence.boilerplate { None } else { encoded.next().flatten() }.filter(|v| v.last.rows() == sentence.tokens.len());
        }
    }
}

/// Checks that a head reading `wanted`-wide vectors fits the encoder's `given` width.
pub fn check_width(head: &Path, wanted: usize, given: usize) -> Result<()> {
    if wanted == given {
        Ok(())
    } else {
        Err(Error::ModelCorrupt {
            path: head.to_path_buf(),
            reason: format!("reads {wanted}-dimensional word vectors, the encoder gives {given}"),
        })
    }
}
