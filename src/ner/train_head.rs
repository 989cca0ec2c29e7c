//! Training the encoder head of the accurate model: encode the training corpus with
//! multilingual-e5-small (frozen), then fit [`super::head`]'s softmax layer on the word vectors.
//!
//! Encoding is the slow part (GermEval train, 453,000 words: about 6–12 minutes on two cores),
//! so the vectors can be kept in a cache file and reused while only the head changes.

use super::eval::{read_gold, GoldFormat};
use super::head::{train_head, HeadConfig, HEAD_FILE};
use super::model::fnv;
use super::train::labels_of;
use crate::encoder::TokenMatrix;
use crate::error::{Error, Result};
// Sentences encoded together as in the pipeline, so batches look alike.
use crate::io::SENTENCE_RUN;
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

const CACHE_MAGIC: &[u8; 8] = b"LESVEC\0\x01";

/// What to train the head on.
#[derive(Debug, Clone)]
pub struct HeadTrainConfig {
    /// The labelled corpus (GermEval 2014 train).
    pub train: (PathBuf, GoldFormat),
    /// Models folder with `encoder/`.
    pub models_dir: PathBuf,
    /// Where `head.bin` is written (normally `models/ner`).
    pub out_dir: PathBuf,
    /// Word-vector cache: read when it matches the corpus, written otherwise.
    pub cache: Option<PathBuf>,
    /// The head's own settings.
    pub head: HeadConfig,
}

impl HeadTrainConfig {
    /// The recipe of the shipped head: GermEval 2014 train under `data_dir`, written to
    /// `models_dir/ner`.
    pub fn standard(data_dir: &Path, models_dir: &Path, cache: Option<PathBuf>, head: HeadConfig) -> HeadTrainConfig {
        HeadTrainConfig {
            train: (data_dir.join("germeval2014/train.bio.tsv"), GoldFormat::Conll),
            models_dir: models_dir.to_path_buf(),
            out_dir: models_dir.join(super::MODEL_SUBDIR),
            cache,
            head,
        }
    }
}

/// Result of [`train_contextual`].
#[derive(Debug, Clone, Serialize)]
pub struct HeadTrainReport {
    /// Training sentences.
    pub sentences: usize,
    /// Training words.
    pub words: usize,
    /// Seconds spent encoding (0 when the cache served).
    pub encode_seconds: f64,
    /// Whether the vectors came from the cache.
    pub from_cache: bool,
    /// Seconds spent fitting the head.
    pub fit_seconds: f64,
    /// The written head.
    pub head_path: PathBuf,
    /// Its size.
    pub head_bytes: usize,
}

/// Encodes the corpus (or reads the cache) and trains and writes `head.bin`.
pub fn train_contextual(config: &HeadTrainConfig) -> Result<HeadTrainReport> {
    let sentences = read_gold(&config.train.0, config.train.1)?;
    let labels: Vec<Vec<usize>> = sentences.iter().map(labels_of).collect();
    let forms: Vec<Vec<&str>> = sentences.iter().map(|s| s.tokens.iter().map(String::as_str).collect()).collect();
    // Vectors from another encoder must not be reused: the tuned layers are part of the key.
    let encoder_path = crate::encode::tuned_layers_path(&config.models_dir);
    let encoder_bytes = std::fs::read(&encoder_path).map_err(|source| Error::Io { path: encoder_path.clone(), source })?;
    let fingerprint = fingerprint(&forms, fnv(&encoder_bytes));
    let t0 = Instant::now();
    let cached = match &config.cache {
        Some(path) => read_cache(path, fingerprint, &forms)?,
        None => None,
    };
    let from_cache = cached.is_some();
    let vectors = match cached {
        Some(v) => v,
        None => {
            let words = crate::encode::Encode::last_layer_only(&config.models_dir)?;
            let runs: Vec<Vec<TokenMatrix>> = forms
                .par_chunks(SENTENCE_RUN)
                .map(|run| {
                    let run: Vec<&[&str]> = run.iter().map(Vec::as_slice).collect();
                    words.encode(&run)
                })
                .collect::<std::result::Result<_, _>>()?;
            // Rounded to f16 as the cache stores them, so a run from the cache trains the same head.
            let vectors = runs.into_iter().flatten().map(round_to_f16).collect::<std::result::Result<Vec<_>, _>>()?;
            if let Some(path) = &config.cache {
                write_cache(path, fingerprint, &vectors)?;
            }
            vectors
        }
    };
    let encode_seconds = if from_cache { 0.0 } else { t0.elapsed().as_secs_f64() };
    let t1 = Instant::now();
    let head = train_head(&vectors, &labels, &config.head)?;
    let fit_seconds = t1.elapsed().as_secs_f64();
    std::fs::create_dir_all(&config.out_dir).map_err(|e| Error::io(&config.out_dir, e))?;
    let head_path = config.out_dir.join(HEAD_FILE);
    let head_bytes = head.save(&head_path)?;
    Ok(HeadTrainReport {
        sentences: sentences.len(),
        words: forms.iter().map(Vec::len).sum(),
        encode_seconds,
        from_cache,
        fit_seconds,
        head_path,
        head_bytes,
    })
}

fn round_to_f16(m: TokenMatrix) -> std::result::Result<TokenMatrix, crate::encoder::EncoderError> {
    let dim = m.dim();
    TokenMatrix::from_flat(dim, m.into_vec().into_iter().map(|x| half::f16::from_f32(x).to_f32()).collect())
}

/// FNV-1a over the corpus' word forms, each followed by 0, and sentence ends, marked by 1.
fn fingerprint(forms: &[Vec<&str>], encoder: u64) -> u64 {
    let mut bytes = encoder.to_le_bytes().to_vec();
    for s in forms {
        for w in s {
            bytes.extend_from_slice(w.as_bytes());
            bytes.push(0);
        }
        bytes.push(1);
    }
    fnv(&bytes)
}

/// The cached vectors when the cache exists and was made from this corpus; `None` otherwise.
fn read_cache(path: &Path, fingerprint: u64, forms: &[Vec<&str>]) -> Result<Option<Vec<TokenMatrix>>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    let header = 8 + 8 + 4;
    if bytes.len() < header || &bytes[..8] != CACHE_MAGIC {
        return Ok(None);
    }
    let stored = u64::from_le_bytes(bytes[8..16].try_into().unwrap_or_default());
    let dim = u32::from_le_bytes(bytes[16..20].try_into().unwrap_or_default()) as usize;
    let words: usize = forms.iter().map(Vec::len).sum();
    if stored != fingerprint || dim == 0 || bytes.len() != header + words * dim * 2 {
        return Ok(None);
    }
    let values: Vec<f32> = bytes[header..].chunks_exact(2).map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32()).collect();
    let mut out = Vec::with_capacity(forms.len());
    let mut at = 0;
    for s in forms {
        let n = s.len() * dim;
        out.push(TokenMatrix::from_flat(dim, values[at..at + n].to_vec())?);
        at += n;
    }
    Ok(Some(out))
}

/// Writes the vectors as f16 (half the size; the head does not notice the rounding).
fn write_cache(path: &Path, fingerprint: u64, vectors: &[TokenMatrix]) -> Result<()> {
    let dim = vectors.iter().map(TokenMatrix::dim).find(|&d| d > 0).unwrap_or(0);
    let mut out = Vec::with_capacity(20 + vectors.iter().map(|v| v.as_slice().len() * 2).sum::<usize>());
    out.extend_from_slice(CACHE_MAGIC);
    out.extend_from_slice(&fingerprint.to_le_bytes());
    out.extend_from_slice(&(dim as u32).to_le_bytes());
    for x in vectors.iter().flat_map(|v| v.as_slice()) {
        out.extend_from_slice(&half::f16::from_f32(*x).to_le_bytes());
    }
    crate::io::write_atomically(path, &out)
}
