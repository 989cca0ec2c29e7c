//! The transformer's arithmetic between its linear layers, on packed sequences: LayerNorm (with
//! the residual sum before it) and self-attention per sequence.
//!
//! A batch is packed: the tokens of all its sequences lie one after another as rows of one
//! matrix, with no padding. The linear layers, nearly all of the work, see only real tokens;
//! attention alone needs to know where each sequence starts and ends, and computes each one's
//! scores on its own. Loops are written lane-wise so that they vectorise, and are compiled for
//! AVX2 where the CPU has it.

use std::ops::Range;

use super::softmax::softmax_rows;

/// A LayerNorm's parameters.
#[derive(Debug, Clone)]
pub(crate) struct Norm {
    weight: Vec<f32>,
    bias: Vec<f32>,
    eps: f32,
}

impl Norm {
    /// `None` when the lengths disagree or are zero.
    pub(crate) fn new(weight: Vec<f32>, bias: Vec<f32>, eps: f32) -> Option<Norm> {
        (!weight.is_empty() && weight.len() == bias.len()).then_some(Norm { weight, bias, eps })
    }

    /// Normalises each row of `x` (rows as wide as the weight) in place.
    pub(crate) fn rows(&self, x: &mut [f32]) {
        self.add_rows(x, None);
    }

    /// `x ← LayerNorm(x + y)` row by row, in place (`y` as long as `x`).
    pub(crate) fn residual(&self, x: &mut [f32], y: &[f32]) {
        self.add_rows(x, Some(y));
    }

    fn add_rows(&self, x: &mut [f32], y: Option<&[f32]>) {
        #[cfg(target_arch = "x86_64")]
        if super::avx2_fma() {
            // SAFETY: the CPU has the features the function is compiled for.
            return unsafe { self.add_rows_avx2(x, y) };
        }
        self.add_rows_portable(x, y);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn add_rows_avx2(&self, x: &mut [f32], y: Option<&[f32]>) {
        self.add_rows_portable(x, y);
    }

    #[inline(always)]
    fn add_rows_portable(&self, x: &mut [f32], y: Option<&[f32]>) {
        let h = self.weight.len();
        for (r, row) in x.chunks_exact_mut(h).enumerate() {
            if let Some(y) = y {
                row.iter_mut().zip(&y[r * h..(r + 1) * h]).for_each(|(a, b)| *a += b);
            }
            let mean = lane_sum(row) / h as f32;
            row.iter_mut().for_each(|v| *v -= mean);
            let var = lane_dot(row, row) / h as f32;
            let inv = 1.0 / (var + self.eps).sqrt();
            for ((v, w), b) in row.iter_mut().zip(&self.weight).zip(&self.bias) {
                *v = *v * inv * w + b;
            }
        }
    }
}

/// Running sums the lane-wise loops keep (one AVX2 vector of f32).
pub(super) const LANES: usize = 8;

/// Sum of `x` in eight running lanes (so that it vectorises).
#[inline(always)]
pub(super) fn lane_sum(x: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let mut chunks = x.chunks_exact(LANES);
    for c in chunks.by_ref() {
        acc.iter_mut().zip(c).for_each(|(a, v)| *a += v);
    }
    chunks.remainder().iter().chain(&acc).sum()
}

/// Dot product of `a` and `b` in eight running lanes (so that it vectorises).
#[inline(always)]
pub fn lane_dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let (mut ca, mut cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    for (x, y) in ca.by_ref().zip(cb.by_ref()) {
        for ((s, u), v) in acc.iter_mut().zip(x).zip(y) {
            *s += u * v;
        }
    }
    ca.remainder().iter().zip(cb.remainder()).map(|(u, v)| u * v).chain(acc).sum()
}

/// The shape of one attention computation over packed rows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Heads {
    /// Model width (queries, keys and values each take this many columns).
    pub hidden: usize,
    /// Attention heads; each reads `hidden / heads` columns.
    pub heads: usize,
}

impl Heads {
    /// Whether the heads divide the width into whole multiples of the tile width.
    pub(crate) fn fits(self) -> bool {
        self.heads > 0 && self.hidden.is_multiple_of(self.heads) && (self.hidden / self.heads).is_multiple_of(LANES)
    }
}

/// Multi-head self-attention of each sequence (a range of rows) over itself (the head width a
/// multiple of 8, which [`Heads::fits`] checks). `qkv` holds, per
/// packed row, the query, key and value (`3 · hidden` values); the result has one `hidden`-wide
/// context row per packed row. Scores are scaled by `1/√(head width)`.
pub(crate) fn attend(qkv: &[f32], shape: Heads, sequences: &[Range<usize>]) -> Vec<f32> {
    let rows = qkv.len() / (3 * shape.hidden).max(1);
    let mut out = vec![0f32; rows * shape.hidden];
    #[cfg(target_arch = "x86_64")]
    if super::avx2_fma() {
        // SAFETY: the CPU has the features the function is compiled for.
        unsafe { attend_avx2(qkv, shape, sequences, &mut out) };
        return out;
    }
    attend_portable(qkv, shape, sequences, &mut out);
    out
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn attend_avx2(qkv: &[f32], shape: Heads, sequences: &[Range<usize>], out: &mut [f32]) {
    attend_portable(qkv, shape, sequences, out);
}

/// For each sequence and head: the keys transposed, the scores of all queries in tiles, their
/// softmax, and the values weighted in tiles. Rows of the scores are padded to a multiple of the
/// tile width with −∞ (weight 0).
#[inline(always)]
fn attend_portable(qkv: &[f32], shape: Heads, sequences: &[Range<usize>], out: &mut [f32]) {
    let Heads { hidden: h, heads } = shape;
    let hd = h / heads.max(1);
    let stride = 3 * h;
    let scale = 1.0 / (hd as f32).sqrt();
    let (mut keys, mut scores) = (Vec::new(), Vec::new());
    for seq in sequences {
        let (l, base) = (seq.len(), seq.start * stride);
        let lp = l.div_ceil(LANES) * LANES;
        keys.resize(keys.len().max(hd * lp), 0f32);
        scores.resize(scores.len().max(l * lp), 0f32);
        for head in 0..heads {
            let (q_at, k_at, v_at) = (base + head * hd, base + h + head * hd, base + 2 * h + head * hd);
            for (j, src) in qkv[k_at..].chunks(stride).take(l).enumerate() {
                for (row, &k) in keys.chunks_exact_mut(lp).zip(&src[..hd]) {
                    row[j] = k;
                }
            }
            for row in keys.chunks_exact_mut(lp).take(hd) {
                row[l..].fill(0.0);
            }
            for i0 in (0..l).step_by(TILE) {
                let rows = TILE.min(l - i0);
                for j0 in (0..lp).step_by(LANES) {
                    let tile = tile_product(&qkv[q_at + i0 * stride..], stride, rows, &keys[j0..], lp, hd);
                    for (r, t) in tile.iter().take(rows).enumerate() {
                        let dst = &mut scores[(i0 + r) * lp + j0..][..LANES];
                        for (c, (s, v)) in dst.iter_mut().zip(t).enumerate() {
                            *s = if j0 + c < l { v * scale } else { f32::NEG_INFINITY };
                        }
                    }
                }
            }
            softmax_rows(&mut scores[..l * lp], lp);
            for i0 in (0..l).step_by(TILE) {
                let rows = TILE.min(l - i0);
                for d0 in (0..hd).step_by(LANES) {
                    let tile = tile_product(&scores[i0 * lp..], lp, rows, &qkv[v_at + d0..], stride, l);
                    for (r, t) in tile.iter().take(rows).enumerate() {
                        out[(seq.start + i0 + r) * h + head * hd + d0..][..LANES].copy_from_slice(t);
                    }
                }
            }
        }
    }
}

/// Rows of a tile.
const TILE: usize = 4;

/// `c[r][·] = Σₖ a[r · a_stride + k] · b[k · b_stride + ·]` for the first `rows` rows (at most
/// [`TILE`]; the others repeat the last) and [`LANES`] columns: [`TILE`] × [`LANES`] sums that
/// stay in registers while `k` runs.
#[inline(always)]
fn tile_product(a: &[f32], a_stride: usize, rows: usize, b: &[f32], b_stride: usize, depth: usize) -> [[f32; LANES]; TILE] {
    let mut acc = [[0f32; LANES]; TILE];
    let [a0, a1, a2, a3]: [&[f32]; TILE] = std::array::from_fn(|r| {
        let at = r.min(rows.max(1) - 1) * a_stride;
        a.get(at..at + depth).unwrap_or(&[])
    });
    // Zipped, not indexed: the loop runs without bounds checks.
    let steps = b.chunks(b_stride).zip(a0).zip(a1).zip(a2).zip(a3);
    for ((((bk, &x0), &x1), &x2), &x3) in steps {
        let Some(bk) = bk.first_chunk::<LANES>() else { break };
        for (c, x) in acc.iter_mut().zip([x0, x1, x2, x3]) {
            for (s, &v) in c.iter_mut().zip(bk) {
                *s = x.mul_add(v, *s);
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};

    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n).map(|i| (((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 16) % 2001) as f32 / 500.0 - 2.0).collect()
    }

    #[test]
    fn residual_norm_agrees_with_candle() {
        let (h, n) = (24, 5);
        let (x, y) = (values(n * h, 1), values(n * h, 2));
        let (w, b) = (values(h, 3), values(h, 4));
        let norm = Norm::new(w.clone(), b.clone(), 1e-12).expect("norm");
        let mut ours = x.clone();
        norm.residual(&mut ours, &y);
        let dev = Device::Cpu;
        let sum = (Tensor::from_vec(x, (n, h), &dev).expect("x") + Tensor::from_vec(y, (n, h), &dev).expect("y")).expect("sum");
        let ln = candle_nn::LayerNorm::new(Tensor::new(w, &dev).expect("w"), Tensor::new(b, &dev).expect("b"), 1e-12);
        let theirs = candle_core::Module::forward(&ln, &sum).and_then(|t| t.flatten_all()?.to_vec1::<f32>()).expect("candle");
        for (a, b) in ours.iter().zip(&theirs) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
        assert!(Norm::new(vec![1.0], vec![], 1e-5).is_none());
    }

    /// Attention over packed rows equals the padded, masked computation of each sequence alone.
    #[test]
    fn packed_attention_is_each_sequence_alone() {
        let shape = Heads { hidden: 32, heads: 4 };
        let lens = [3usize, 7, 1, 5, 13];
        let total: usize = lens.iter().sum();
        let qkv = values(total * 3 * shape.hidden, 9);
        let mut sequences = Vec::new();
        let mut start = 0;
        for l in lens {
            sequences.push(start..start + l);
            start += l;
        }
        let packed = attend(&qkv, shape, &sequences);
        for seq in &sequences {
            let alone_qkv = &qkv[seq.start * 96..seq.end * 96];
            let alone = attend(alone_qkv, shape, std::slice::from_ref(&(0..seq.len())));
            assert_eq!(&packed[seq.start * 32..seq.end * 32], alone.as_slice());
            // Against a direct computation with candle, head by head.
            let dev = Device::Cpu;
            let t = Tensor::from_slice(alone_qkv, (seq.len(), 3, 4, 8), &dev).expect("t");
            let part = |p: usize| t.narrow(1, p, 1).and_then(|x| x.squeeze(1)?.transpose(0, 1)?.contiguous()).expect("part");
            let (q, k, v) = (part(0), part(1), part(2));
            let scores = (q.matmul(&k.t().expect("kt")).expect("qk") / 8f64.sqrt()).expect("scale");
            let probs = candle_nn::ops::softmax_last_dim(&scores).expect("softmax");
            let ctx = probs.matmul(&v).and_then(|c| c.transpose(0, 1)?.flatten_all()?.to_vec1::<f32>()).expect("ctx");
            for (a, b) in alone.iter().zip(&ctx) {
                assert!((a - b).abs() < 1e-5, "{a} vs {b}");
            }
        }
    }
}
