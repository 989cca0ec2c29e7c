//! Contextual vectors per word, for heads that label words (NER).
//!
//! A sentence arrives as its word forms. They are joined with single spaces (the way the
//! training corpora are tokenised, so a head sees the same subwords at training and tagging
//! time), cut into subwords with exact word alignment, encoded, and each word gets the mean of
//! its subwords' vectors. Sentences longer than the model's window are encoded in overlapping
//! windows.

use std::ops::Range;
use std::path::Path;

use super::candle::{CandleEncoder, WeightMode};
use super::error::EncoderError;
use super::subword::{SubwordTokenizer, WordAlignment};
use super::{encode_long, Encoder, TokenMatrix};

/// File name of the encoder weights inside `models/encoder/`.
pub const WEIGHTS_FILE: &str = "e5-small-q4_0.gguf";
/// File name of the subword tokenizer inside `models/encoder/`.
pub const TOKENIZER_FILE: &str = "tokenizer.json";
/// Folder of the encoder inside the models folder.
pub const ENCODER_SUBDIR: &str = "encoder";
/// Word vectors are the mean of this many last layers.
pub const WORD_LAYER_MEAN: usize = 4;
/// Sentences per forward pass; sentences of similar length are batched together.
const BATCH: usize = 16;
/// The most attention cells (sentences × longest sentence²) one batch may have: 16 sentences of
/// 128 subwords. The encoder packs a batch without padding and scores one sequence and head at
/// a time, so this bounds the batch's tokens (its activations take about 20 KB each) more than
/// its scores: over-long sentences go one 512-subword window at a time.
const BATCH_CELLS: usize = BATCH * 128 * 128;
/// The encoder reads at most this many characters of a word. Words are far shorter (the
/// longest URLs of news text come near it); a million-letter "word" would otherwise make
/// hundreds of thousands of subwords.
pub const MAX_WORD_CHARS: usize = 100;
/// Subwords shared by neighbouring windows of an over-long sentence.
const WINDOW_OVERLAP: usize = 64;

/// How many sequences of `longest` tokens one batch takes within [`BATCH_CELLS`] (at least
/// one, at most [`BATCH`]).
fn batch_rows(longest: usize) -> usize {
    (BATCH_CELLS / longest.saturating_mul(longest).max(1)).clamp(1, BATCH)
}

/// An encoder with its tokenizer that returns one vector per word.
pub struct WordEncoder {
    encoder: Box<dyn Encoder>,
    tokenizer: SubwordTokenizer,
}

impl std::fmt::Debug for WordEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WordEncoder").field("dim", &self.encoder.dim()).finish()
    }
}

impl WordEncoder {
    /// Wraps an encoder and its tokenizer.
    pub fn new(encoder: Box<dyn Encoder>, tokenizer: SubwordTokenizer) -> WordEncoder {
        WordEncoder { encoder, tokenizer }
    }

    /// Loads multilingual-e5-small from `models_dir/encoder/` on candle, averaging the last
    /// [`WORD_LAYER_MEAN`] layers.
    ///
    /// Unless `CANDLE_NUM_THREADS` is set, it is set to 1 first: lesart runs sentence runs on
    /// its own workers, and candle's helper threads would make those workers take turns (each
    /// call into candle's pool holds a lock) and spin on the cores they need. On two cores this
    /// is about 25% faster.
    pub fn load(models_dir: &Path) -> Result<WordEncoder, EncoderError> {
        Self::on_candle(models_dir, |weights| Ok(CandleEncoder::load(weights)?.with_layer_mean(WORD_LAYER_MEAN)))
    }

    /// Loads multilingual-e5-small from `models_dir/encoder/` with the layers fine-tuned for a
    /// task from `tuned` (see [`CandleEncoder::load_tuned`]); word vectors are the last layer's,
    /// the one the task's classifier was trained on. Threads as in [`load`](Self::load).
    pub fn load_tuned(models_dir: &Path, tuned: &Path) -> Result<WordEncoder, EncoderError> {
        Self::on_candle(models_dir, |weights| CandleEncoder::load_tuned(weights, tuned, WeightMode::default()))
    }

    /// As [`load_tuned`](Self::load_tuned), each word vector followed by the mean of the
    /// tuned model's layers `side` (see [`CandleEncoder::with_side_layers`]).
    pub fn load_tuned_with_side(models_dir: &Path, tuned: &Path, side: std::ops::Range<usize>) -> Result<WordEncoder, EncoderError> {
        Self::on_candle(models_dir, |weights| Ok(CandleEncoder::load_tuned(weights, tuned, WeightMode::default())?.with_side_layers(side)))
    }

    /// The tokenizer of `models_dir/encoder/` with the candle encoder `build` makes from the
    /// base weights' path, after limiting candle to one thread (see [`load`](Self::load)).
    fn on_candle(models_dir: &Path, build: impl FnOnce(&Path) -> Result<CandleEncoder, EncoderError>) -> Result<WordEncoder, EncoderError> {
        if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
            std::env::set_var("CANDLE_NUM_THREADS", "1");
        }
        let dir = models_dir.join(ENCODER_SUBDIR);
        let encoder = build(&dir.join(WEIGHTS_FILE))?;
        let tokenizer = SubwordTokenizer::from_file(dir.join(TOKENIZER_FILE))?;
        Ok(WordEncoder::new(Box::new(encoder), tokenizer))
    }

    /// Size of each word vector.
    pub fn dim(&self) -> usize {
        self.encoder.dim()
    }

    /// One matrix per sentence with one row per word. A word no subword covers (it cannot
    /// happen with real words, but an empty form would) gets a zero vector.
    pub fn encode(&self, sentences: &[&[&str]]) -> Result<Vec<TokenMatrix>, EncoderError> {
        let max_content = self.encoder.max_tokens().saturating_sub(2).max(1);
        let mut aligned = Vec::with_capacity(sentences.len());
        for words in sentences {
            aligned.push(self.align(words)?);
        }
        let mut subword_vectors: Vec<Option<TokenMatrix>> = vec![None; sentences.len()];
        // Short sentences go through in batches of similar length, long ones window by window.
        let mut short: Vec<usize> = Vec::new();
        for (i, al) in aligned.iter().enumerate() {
            if al.subwords.is_empty() {
                subword_vectors[i] = Some(TokenMatrix::default());
            } else if al.subwords.len() <= max_content {
                short.push(i);
            } else {
                let windows_per_batch = batch_rows(self.encoder.max_tokens());
                subword_vectors[i] =
                    Some(encode_long(self.encoder.as_ref(), &self.tokenizer, &al.ids(), WINDOW_OVERLAP, windows_per_batch)?);
            }
        }
        short.sort_by_key(|&i| (aligned[i].subwords.len(), i));
        let mut rest = short.as_slice();
        while !rest.is_empty() {
            // Sorted by length: the chunk's last sentence is its longest.
            let rows = (1..=rest.len().min(BATCH)).rev().find(|&n| n <= batch_rows(aligned[rest[n - 1]].subwords.len() + 2)).unwrap_or(1);
            let (chunk, tail) = rest.split_at(rows);
            rest = tail;
            let inputs: Vec<Vec<u32>> = chunk.iter().map(|&i| self.tokenizer.with_specials(&aligned[i].ids())).collect();
            for (&i, m) in chunk.iter().zip(self.encoder.encode(&inputs)?) {
                // Drop the rows of <s> and </s>: row k + 1 is subword k.
                let dim = m.dim();
                let content = m.as_slice().get(dim..m.as_slice().len().saturating_sub(dim)).unwrap_or(&[]).to_vec();
                subword_vectors[i] = Some(TokenMatrix::from_flat(dim, content)?);
            }
        }
        let dim = self.dim();
        aligned
            .iter()
            .zip(subword_vectors)
            .map(|(al, m)| {
                let m = m.unwrap_or_default();
                TokenMatrix::from_flat(dim, pool_words(&m, &al.words, dim))
            })
            .collect()
    }

    fn align(&self, words: &[&str]) -> Result<WordAlignment, EncoderError> {
        let mut text = String::new();
        let mut spans: Vec<Range<usize>> = Vec::with_capacity(words.len());
        let mut pos = 0;
        for (k, w) in words.iter().enumerate() {
            if k > 0 {
                text.push(' ');
                pos += 1;
            }
            let w = w.char_indices().nth(MAX_WORD_CHARS).map_or(*w, |(cut, _)| &w[..cut]);
            let n = w.chars().count();
            spans.push(pos..pos + n);
            text.push_str(w);
            pos += n;
        }
        self.tokenizer.align_words(&text, &spans)
    }
}

/// Mean of each word's subword rows of `m` (row k = subword k); zeros where a word has none.
fn pool_words(m: &TokenMatrix, words: &[Range<usize>], dim: usize) -> Vec<f32> {
    let mut out = vec![0f32; words.len() * dim];
    for (w, range) in words.iter().enumerate() {
        let dst = &mut out[w * dim..(w + 1) * dim];
        let rows: Vec<&[f32]> = range.clone().filter_map(|k| m.row(k)).collect();
        for row in &rows {
            for (d, x) in dst.iter_mut().zip(*row) {
                *d += x;
            }
        }
        if !rows.is_empty() {
            let n = rows.len() as f32;
            dst.iter_mut().for_each(|d| *d /= n);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_averages_each_words_subwords() {
        let m = TokenMatrix::from_flat(2, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).expect("matrix");
        let pooled = pool_words(&m, &[0..2, 2..3, 3..3], 2);
        assert_eq!(pooled, vec![2.0, 3.0, 5.0, 6.0, 0.0, 0.0]);
    }

    #[test]
    fn long_sequences_go_in_small_batches() {
        assert_eq!(batch_rows(0), BATCH);
        assert_eq!(batch_rows(40), BATCH);
        assert_eq!(batch_rows(128), BATCH);
        assert_eq!(batch_rows(256), 4);
        assert_eq!(batch_rows(512), 1);
        assert_eq!(batch_rows(usize::MAX), 1);
    }
}
