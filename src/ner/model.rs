//! The linear-chain model: hashed feature weights per label, first-order label transitions,
//! Viterbi decoding under BIO constraints, and the binary model file.
//!
//! `model.bin` layout, all integers little-endian:
//!
//! ```text
//! header   magic "LESNER\0\0", version u32, feature version u32, labels u32, bucket bits u32,
//!          rows u32, scale f32                                               (32 bytes)
//! trans    (labels + 1) × labels f32; the last row scores the first label of a sentence
//! buckets  rows × u32, strictly increasing
//! weights  rows × labels i16; a weight is value × scale
//! check    FNV-1a 64 of everything before it, u64
//! ```

use crate::doc::EntityLabel;
use crate::error::{Error, Result};
use std::path::Path;

const MAGIC: &[u8; 8] = b"LESNER\0\0";
const VERSION: u32 = 1;
const HEADER_LEN: usize = 32;

/// Label count: O, then B and I for each of the four types, plain and derived.
pub(crate) const LABELS: usize = 17;
/// Row of the transition table that scores the first label.
pub(crate) const START: usize = LABELS;

const TYPES: [EntityLabel; 4] = [EntityLabel::PER, EntityLabel::LOC, EntityLabel::ORG, EntityLabel::MISC];

/// The label index of a B or I tag.
pub(crate) fn label_index(label: EntityLabel, derived: bool, inside: bool) -> usize {
    let t = TYPES.iter().position(|t| *t == label).unwrap_or(0);
    1 + (t * 2 + derived as usize) * 2 + inside as usize
}

/// Type, derived flag and inside flag of a label index; `None` for O.
pub(crate) fn label_parts(index: usize) -> Option<(EntityLabel, bool, bool)> {
    if index == 0 || index >= LABELS {
        return None;
    }
    let k = index - 1;
    Some((TYPES[k / 4], (k / 2) % 2 == 1, k % 2 == 1))
}

/// True when label `cur` may follow `prev` (`START` at the beginning): an I continues a B or I
/// of the same type and derivation.
pub(crate) fn allowed(prev: usize, cur: usize) -> bool {
    if cur == 0 || (cur - 1).is_multiple_of(2) {
        return true;
    }
    prev != START && prev != 0 && (prev - 1) / 2 == (cur - 1) / 2
}

/// Viterbi over `n` tokens with emission scores `em` (n × LABELS) and transition scores
/// `trans` ((LABELS + 1) × LABELS). Writes the best label sequence into `out`.
pub(crate) fn viterbi(em: &[f32], n: usize, trans: &[f32], out: &mut Vec<usize>) {
    out.clear();
    if n == 0 {
        return;
    }
    let mut score = vec![f32::NEG_INFINITY; n * LABELS];
    let mut back = vec![0u8; n * LABELS];
    for l in 0..LABELS {
        if allowed(START, l) {
            score[l] = em[l] + trans[START * LABELS + l];
        }
    }
    for i in 1..n {
        for l in 0..LABELS {
            let mut best = f32::NEG_INFINITY;
            let mut arg = 0;
            for p in 0..LABELS {
                if !allowed(p, l) {
                    continue;
                }
                let s = score[(i - 1) * LABELS + p] + trans[p * LABELS + l];
                if s > best {
                    best = s;
                    arg = p;
                }
            }
            score[i * LABELS + l] = best + em[i * LABELS + l];
            back[i * LABELS + l] = arg as u8;
        }
    }
    let last = &score[(n - 1) * LABELS..n * LABELS];
    let mut cur = (0..LABELS).fold(0, |b, l| if last[l] > last[b] { l } else { b });
    out.resize(n, 0);
    for i in (0..n).rev() {
        out[i] = cur;
        cur = back[i * LABELS + cur] as usize;
    }
}

/// A trained model, ready to score.
#[derive(Debug, Clone)]
pub struct Model {
    bucket_bits: u32,
    feature_version: u32,
    /// Bucket → row, `u32::MAX` where the bucket has no weights.
    index: Vec<u32>,
    weights: Vec<i16>,
    scale: f32,
    trans: Vec<f32>,
}

/// FNV-1a, the checksum of model files (and the fingerprint of a vector cache's corpus).
pub(crate) fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn corrupt(path: &Path, reason: impl Into<String>) -> Error {
    Error::ModelCorrupt { path: path.to_path_buf(), reason: reason.into() }
}

/// Reads little-endian values from a model file's bytes; `None` past the end.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading `bytes` at offset `at`.
    pub(crate) fn new(bytes: &'a [u8], at: usize) -> Reader<'a> {
        Reader { bytes, at }
    }
    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.at)
    }
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.take(4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes)
    }
    pub(crate) fn f32(&mut self) -> Option<f32> {
        self.u32().map(f32::from_bits)
    }
    /// `n` f32 values.
    pub(crate) fn f32s(&mut self, n: usize) -> Option<Vec<f32>> {
        let raw = self.take(n.checked_mul(4)?)?;
        Some(raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }
}

/// The framing of a small float head file (`ner/head.bin`, `stance/head.bin`): an 8-byte
/// magic, a `u32` version, then what the head itself reads. Returns a reader past the version,
/// or why the bytes are not such a file; `what` names the file kind (*an NER head file*).
pub(crate) fn open_head_file<'a>(bytes: &'a [u8], magic: &[u8; 8], version: u32, what: &str) -> std::result::Result<Reader<'a>, String> {
    if bytes.len() < 8 || &bytes[..8] != magic {
        return Err(format!("not {what} (bad magic)"));
    }
    let mut r = Reader::new(bytes, 8);
    let found = r.u32().ok_or_else(|| truncated(bytes))?;
    if found != version {
        return Err(format!("head version {found}, this build reads {version}"));
    }
    Ok(r)
}

/// Why a head file read by `r` is not whole: bytes left over, or a value that is not finite.
pub(crate) fn close_head_file(r: &Reader<'_>, values: &[&[f32]]) -> std::result::Result<(), String> {
    if r.remaining() != 0 {
        return Err(format!("{} bytes after the end of the head", r.remaining()));
    }
    if values.iter().any(|v| v.iter().any(|x| !x.is_finite())) {
        return Err("contains values that are not finite numbers".into());
    }
    Ok(())
}

/// The reason given for a head file that ends too early.
pub(crate) fn truncated(bytes: &[u8]) -> String {
    format!("truncated: {} bytes", bytes.len())
}

/// A head file's bytes: `magic`, the `u32` header values, then the float groups in order.
pub(crate) fn head_file_bytes(magic: &[u8; 8], header: &[u32], values: &[&[f32]]) -> Vec<u8> {
    let floats: usize = values.iter().map(|v| v.len()).sum();
    let mut out = Vec::with_capacity(8 + 4 * (header.len() + floats));
    out.extend_from_slice(magic);
    header.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
    values.iter().flat_map(|v| v.iter()).for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    out
}

/// A head file read and parsed by `parse`: [`Error::ModelMissing`] when it is absent,
/// [`Error::ModelCorrupt`] with `parse`'s reason when it does not parse.
pub(crate) fn load_head_file<T>(path: &Path, parse: impl FnOnce(&[u8]) -> std::result::Result<T, String>) -> Result<T> {
    let bytes = read_model_file(path)?;
    parse(&bytes).map_err(|reason| Error::ModelCorrupt { path: path.to_path_buf(), reason })
}

/// The bytes of a model file: [`Error::ModelMissing`] when it is absent.
pub(crate) fn read_model_file(path: &Path) -> Result<Vec<u8>> {
    match std::fs::read(path) {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::ModelMissing { path: path.to_path_buf() }),
        Err(e) => Err(Error::io(path, e)),
    }
}

impl Model {
    /// Builds a model from averaged dense weights (`buckets × LABELS`) and transitions, dropping
    /// rows whose largest weight is below `prune` and quantising the rest to 16 bits.
    pub(crate) fn from_dense(bucket_bits: u32, feature_version: u32, dense: &[f32], trans: Vec<f32>, prune: f32) -> Model {
        let buckets = 1usize << bucket_bits;
        let max = dense.iter().fold(0f32, |m, w| m.max(w.abs())).max(1e-9);
        let scale = max / 32767.0;
        let mut index = vec![u32::MAX; buckets];
        let mut weights = Vec::new();
        let mut rows = 0u32;
        for (b, row) in dense.chunks_exact(LABELS).enumerate() {
            if row.iter().fold(0f32, |m, w| m.max(w.abs())) < prune.max(scale) {
                continue;
            }
            index[b] = rows;
            rows += 1;
            weights.extend(row.iter().map(|w| (w / scale).round().clamp(-32767.0, 32767.0) as i16));
        }
        Model { bucket_bits, feature_version, index, weights, scale, trans }
    }

    /// The feature version the model was trained with.
    pub(crate) fn feature_version(&self) -> u32 {
        self.feature_version
    }

    /// Bucket mask for feature hashes.
    pub(crate) fn bucket_mask(&self) -> u32 {
        ((1u64 << self.bucket_bits) - 1) as u32
    }

    /// Number of stored weight rows.
    pub fn rows(&self) -> usize {
        self.weights.len() / LABELS
    }

    /// Transition scores, `(LABELS + 1) × LABELS`.
    pub(crate) fn trans(&self) -> &[f32] {
        &self.trans
    }

    /// Emission scores of one token's features, added into `out` (LABELS long).
    pub(crate) fn emit(&self, features: &[u32], out: &mut [f32]) {
        let mut acc = [0i32; LABELS];
        for &f in features {
            let row = self.index.get(f as usize).copied().unwrap_or(u32::MAX);
            if row == u32::MAX {
                continue;
            }
            let start = row as usize * LABELS;
            if let Some(w) = self.weights.get(start..start + LABELS) {
                for (a, &w) in acc.iter_mut().zip(w) {
                    *a += w as i32;
                }
            }
        }
        for (o, a) in out.iter_mut().zip(acc) {
            *o = a as f32 * self.scale;
        }
    }

    /// Serialises the model.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.weights.len() * 2 + self.rows() * 4 + 1024);
        out.extend_from_slice(MAGIC);
        for v in [VERSION, self.feature_version, LABELS as u32, self.bucket_bits, self.rows() as u32] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.scale.to_le_bytes());
        for t in &self.trans {
            out.extend_from_slice(&t.to_le_bytes());
        }
        for (b, &row) in self.index.iter().enumerate() {
            if row != u32::MAX {
                out.extend_from_slice(&(b as u32).to_le_bytes());
            }
        }
        for w in &self.weights {
            out.extend_from_slice(&w.to_le_bytes());
        }
        let check = fnv(&out);
        out.extend_from_slice(&check.to_le_bytes());
        out
    }

    /// Reads a model file; `path` is only used in messages.
    pub(crate) fn from_bytes(bytes: &[u8], path: &Path) -> Result<Model> {
        if bytes.len() < HEADER_LEN + 8 {
            return Err(corrupt(path, format!("{} bytes is too short for a model", bytes.len())));
        }
        if &bytes[..8] != MAGIC {
            return Err(corrupt(path, "not an NER model (bad magic)"));
        }
        let (body, check) = bytes.split_at(bytes.len() - 8);
        let stored = u64::from_le_bytes(check.try_into().map_err(|_| corrupt(path, "no checksum"))?);
        if fnv(body) != stored {
            return Err(corrupt(path, "checksum mismatch (truncated or damaged file)"));
        }
        let mut r = Reader::new(body, 8);
        let short = || corrupt(path, "header is cut short");
        let version = r.u32().ok_or_else(short)?;
        if version != VERSION {
            return Err(corrupt(path, format!("format version {version}, expected {VERSION}")));
        }
        let feature_version = r.u32().ok_or_else(short)?;
        let labels = r.u32().ok_or_else(short)? as usize;
        let bucket_bits = r.u32().ok_or_else(short)?;
        let rows = r.u32().ok_or_else(short)? as usize;
        let scale = r.f32().ok_or_else(short)?;
        if labels != LABELS {
            return Err(corrupt(path, format!("{labels} labels, expected {LABELS}")));
        }
        if !(8..=28).contains(&bucket_bits) || !scale.is_finite() {
            return Err(corrupt(path, "implausible header values"));
        }
        let expected = HEADER_LEN + (LABELS + 1) * LABELS * 4 + rows * 4 + rows * LABELS * 2;
        if body.len() != expected {
            return Err(corrupt(path, format!("{} bytes, the header promises {expected}", body.len())));
        }
        let trans: Vec<f32> = (0..(LABELS + 1) * LABELS).map(|_| r.f32().unwrap_or(0.0)).collect();
        let buckets = 1usize << bucket_bits;
        let mut index = vec![u32::MAX; buckets];
        let mut last: Option<u32> = None;
        for row in 0..rows {
            let b = r.u32().ok_or_else(short)?;
            if b as usize >= buckets || last.is_some_and(|l| l >= b) {
                return Err(corrupt(path, format!("bucket list out of order at row {row}")));
            }
            index[b as usize] = row as u32;
            last = Some(b);
        }
        let raw = r.take(rows * LABELS * 2).ok_or_else(short)?;
        let weights = raw.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect();
        Ok(Model { bucket_bits, feature_version, index, weights, scale, trans })
    }

    /// Opens a model file.
    pub(crate) fn load(path: &Path) -> Result<Model> {
        Model::from_bytes(&read_model_file(path)?, path)
    }
}

/// The standardisation of a learned head's input, one for every head: each dimension shifted
/// by its mean and scaled by the inverse of its standard deviation (plus `epsilon`, so a
/// constant dimension stays finite), both measured over the training rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// Mean per dimension.
    pub mean: Vec<f32>,
    /// 1 / (standard deviation + epsilon) per dimension.
    pub inv_sd: Vec<f32>,
}

impl Standardizer {
    /// Measures `rows` (each `dim` wide; read twice) for their mean and spread.
    pub fn fit<'a, I>(rows: impl Fn() -> I, dim: usize, epsilon: f32) -> Standardizer
    where
        I: Iterator<Item = &'a [f32]>,
    {
        let (mut mean, mut var, mut n) = (vec![0f64; dim], vec![0f64; dim], 0usize);
        for row in rows() {
            n += 1;
            mean.iter_mut().zip(row).for_each(|(m, x)| *m += f64::from(*x));
        }
        let n = n.max(1) as f64;
        mean.iter_mut().for_each(|m| *m /= n);
        for row in rows() {
            var.iter_mut().zip(&mean).zip(row).for_each(|((v, m), x)| *v += (f64::from(*x) - m).powi(2));
        }
        Standardizer {
            mean: mean.iter().map(|&m| m as f32).collect(),
            inv_sd: var.iter().map(|v| 1.0 / ((v / n).sqrt() as f32 + epsilon)).collect(),
        }
    }

    /// One row, standardised.
    pub fn apply<'r>(&'r self, row: &'r [f32]) -> impl Iterator<Item = f32> + 'r {
        row.iter().zip(&self.mean).zip(&self.inv_sd).map(|((x, m), s)| (x - m) * s)
    }

    /// The rows, standardised, one after the other.
    pub fn apply_all<'a>(&self, rows: impl Iterator<Item = &'a [f32]>) -> Vec<f32> {
        rows.flat_map(|row| self.apply(row)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardised_rows_have_mean_zero_and_unit_spread() {
        let rows: Vec<Vec<f32>> = vec![vec![1.0, 5.0], vec![3.0, 5.0]];
        let s = Standardizer::fit(|| rows.iter().map(Vec::as_slice), 2, 1e-4);
        assert_eq!(s.mean, [2.0, 5.0]);
        assert!((s.inv_sd[0] - 1.0 / 1.0001).abs() < 1e-6 && s.inv_sd[1] == 1e4, "{s:?}");
        let z = s.apply_all(rows.iter().map(Vec::as_slice));
        assert!((z[0] + 1.0).abs() < 1e-3 && (z[2] - 1.0).abs() < 1e-3 && z[1] == 0.0 && z[3] == 0.0, "{z:?}");
    }

    fn tiny() -> Model {
        let bits = 8;
        let mut dense = vec![0f32; (1 << bits) * LABELS];
        dense[3 * LABELS + 1] = 2.5;
        dense[7 * LABELS + 2] = -1.0;
        Model::from_dense(bits, 1, &dense, vec![0.5; (LABELS + 1) * LABELS], 0.0)
    }

    #[test]
    fn round_trips_and_rejects_damage() {
        let m = tiny();
        let bytes = m.to_bytes();
        let p = Path::new("model.bin");
        let back = Model::from_bytes(&bytes, p).expect("round trip");
        let (mut a, mut b) = ([0f32; LABELS], [0f32; LABELS]);
        m.emit(&[3, 7, 9], &mut a);
        back.emit(&[3, 7, 9], &mut b);
        assert_eq!(a, b);
        assert!((a[1] - 2.5).abs() < 1e-3);
        for cut in [0, 5, 31, 40, bytes.len() / 2, bytes.len() - 1] {
            let err = Model::from_bytes(&bytes[..cut], p).expect_err("truncated file must fail");
            assert!(matches!(err, Error::ModelCorrupt { .. }), "{err}");
        }
        let mut flipped = bytes.clone();
        flipped[HEADER_LEN + 10] ^= 0x55;
        assert!(matches!(Model::from_bytes(&flipped, p), Err(Error::ModelCorrupt { .. })));
        let mut magic = bytes;
        magic[0] = b'X';
        assert!(Model::from_bytes(&magic, p).is_err());
    }

    #[test]
    fn labels_round_trip_and_bio_holds() {
        for l in 1..LABELS {
            let (t, d, i) = label_parts(l).expect("entity label");
            assert_eq!(label_index(t, d, i), l);
        }
        let b_loc = label_index(EntityLabel::LOC, false, false);
        let i_loc = label_index(EntityLabel::LOC, false, true);
        let i_locd = label_index(EntityLabel::LOC, true, true);
        assert!(allowed(b_loc, i_loc));
        assert!(!allowed(b_loc, i_locd));
        assert!(!allowed(0, i_loc));
        assert!(!allowed(START, i_loc));
    }
}
