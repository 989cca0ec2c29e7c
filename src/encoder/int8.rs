//! Linear layers in 8-bit integers on CPUs with VNNI (`vpdpbusd`): weights quantised once per
//! output row, activations per token row on the fly, products summed in 32-bit integers.
//!
//! `y = x · Wᵀ + b` becomes `y[n, m] = sx[n] · sw[m] · (Σₖ xu[n, k] · w[m, k] − 128 · Σₖ w[m, k]) + b[m]`
//! with `w = round(W / sw)` in −127..=127 (`sw[m] = max |W[m, ·]| / 127`) and
//! `xu = round(x / sx) + 128` in 1..=255 (`sx[n] = max |x[n, ·]| / 127`): `vpdpbusd` multiplies
//! unsigned by signed bytes, so activations carry an offset of 128 that the precomputed row
//! sums take back out. Nothing saturates: each product is at most 255 · 127 and the sums stay in
//! 32 bits for any width below 66,000.
//!
//! Weights are packed for the instruction: for each block of 16 output rows and each group of
//! 4 inputs, 64 bytes hold the 4 weights of each of the 16 rows, so one broadcast of 4 activation
//! bytes and one `vpdpbusd` advance 16 outputs by 4 inputs. AVX-512 VNNI takes a block per
//! instruction, AVX-VNNI (256 bits) half a block. On CPUs with neither the encoder keeps f32
//! (see [`Int8Kernel::detect`]); [`Int8Linear::forward_portable`] computes the same integers in
//! plain Rust, for the tests.

/// Output rows per packed block.
const BLOCK: usize = 16;
/// Activation rows handled together by a kernel tile.
const TILE_ROWS: usize = 6;

/// Which VNNI instructions the CPU has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Int8Kernel {
    /// 512-bit `vpdpbusd` (AVX-512 VNNI: Ice Lake, Sapphire Rapids, Zen 4 and later).
    Avx512Vnni,
    /// 256-bit `vpdpbusd` (AVX-VNNI: Alder Lake, Sapphire Rapids, Zen 5 and later).
    AvxVnni,
}

impl Int8Kernel {
    /// The widest VNNI kernel this CPU runs, `None` on CPUs without VNNI (and off x86-64).
    pub fn detect() -> Option<Int8Kernel> {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bw") && is_x86_feature_detected!("avx512vnni") {
                return Some(Int8Kernel::Avx512Vnni);
            }
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") && is_x86_feature_detected!("avxvnni") {
                return Some(Int8Kernel::AvxVnni);
            }
        }
        None
    }

    /// Whether this CPU runs this kernel.
    pub fn available(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            match self {
                Int8Kernel::Avx512Vnni => Int8Kernel::detect() == Some(self),
                Int8Kernel::AvxVnni => {
                    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") && is_x86_feature_detected!("avxvnni")
                }
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        false
    }
}

/// A linear layer with 8-bit weights.
#[derive(Debug, Clone)]
pub struct Int8Linear {
    rows: usize,
    cols: usize,
    /// Weights in blocks of [`BLOCK`] rows × groups of 4 inputs (see the module comment).
    packed: Vec<i8>,
    /// Per output row: its scale `sw`.
    scale: Vec<f32>,
    /// Per output row: `128 · Σₖ w[m, k]`.
    offset: Vec<i32>,
    bias: Vec<f32>,
    kernel: Int8Kernel,
}

impl Int8Linear {
    /// Quantises `weight` (`rows × cols`, row-major) with its `bias` for `kernel`. `None` when
    /// the shape does not fit the packing (rows a multiple of 16, columns of 4) or the lengths
    /// disagree.
    pub fn new(weight: &[f32], bias: &[f32], rows: usize, cols: usize, kernel: Int8Kernel) -> Option<Int8Linear> {
        if rows == 0
            || cols == 0
            || !rows.is_multiple_of(BLOCK)
            || !cols.is_multiple_of(4)
            || weight.len() != rows * cols
            || bias.len() != rows
        {
            return None;
        }
        let mut packed = vec![0i8; rows * cols];
        let mut scale = Vec::with_capacity(rows);
        let mut offset = Vec::with_capacity(rows);
        for (m, row) in weight.chunks_exact(cols).enumerate() {
            let s = row_scale(row);
            let (block, lane) = (m / BLOCK, m % BLOCK);
            let mut sum = 0i32;
            for (k, &w) in row.iter().enumerate() {
                let q = (w / s).round().clamp(-127.0, 127.0) as i8;
                sum += i32::from(q);
                packed[((block * (cols / 4) + k / 4) * BLOCK + lane) * 4 + k % 4] = q;
            }
            scale.push(s);
            offset.push(128 * sum);
        }
        Some(Int8Linear { rows, cols, packed, scale, offset, bias: bias.to_vec(), kernel })
    }

    /// One layer whose outputs are those of `parts` side by side (the query, key and value
    /// projections, say: one quantisation of the input serves all three). `None` when the
    /// parts are empty, read different widths or were made for different kernels.
    pub fn stack(parts: &[&Int8Linear]) -> Option<Int8Linear> {
        let first = parts.first()?;
        if parts.iter().any(|p| p.cols != first.cols || p.kernel != first.kernel) {
            return None;
        }
        // Each part is whole blocks of rows, so the packed blocks simply follow one another.
        let joined = |f: fn(&Int8Linear) -> &[f32]| parts.iter().flat_map(|p| f(p)).copied().collect::<Vec<f32>>();
        Some(Int8Linear {
            rows: parts.iter().map(|p| p.rows).sum(),
            cols: first.cols,
            packed: parts.iter().flat_map(|p| p.packed.iter().copied()).collect(),
            scale: joined(|p| &p.scale),
            offset: parts.iter().flat_map(|p| p.offset.iter().copied()).collect(),
            bias: joined(|p| &p.bias),
            kernel: first.kernel,
        })
    }

    /// Output width.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// `x · Wᵀ + b` for `n` rows of `cols` values, row-major, with the SIMD kernel.
    pub fn forward_slice(&self, x: &[f32], n: usize) -> Vec<f32> {
        #[cfg(target_arch = "x86_64")]
        {
            let mut out = Vec::with_capacity(n * self.rows);
            // SAFETY: `kernel` was obtained from `Int8Kernel::detect` (or a test that checked it),
            // so the CPU has the instructions; the kernels index within the lengths checked in
            // `new` and `quantize_rows`, and write every one of the `n · rows` outputs before the
            // length is set.
            unsafe {
                match self.kernel {
                    Int8Kernel::Avx512Vnni => {
                        let (xu, sx) = x86::quantize_rows_512(x, n, self.cols);
                        x86::matmul_512(self, &xu, &sx, n, out.as_mut_ptr())
                    }
                    Int8Kernel::AvxVnni => {
                        let (xu, sx) = x86::quantize_rows_256(x, n, self.cols);
                        x86::matmul_256(self, &xu, &sx, n, out.as_mut_ptr())
                    }
                }
                out.set_len(n * self.rows);
            }
            out
        }
        #[cfg(not(target_arch = "x86_64"))]
        self.forward_portable(x, n)
    }

    /// The same integers and scales as [`forward_slice`](Self::forward_slice) in plain Rust.
    pub fn forward_portable(&self, x: &[f32], n: usize) -> Vec<f32> {
        let (xu, sx) = quantize_rows(x, n, self.cols);
        let mut out = vec![0f32; n * self.rows];
        self.portable_into(&xu, &sx, n, &mut out);
        out
    }

    fn portable_into(&self, xu: &[u8], sx: &[f32], n: usize, out: &mut [f32]) {
        let groups = self.cols / 4;
        for r in 0..n {
            let x = &xu[r * self.cols..(r + 1) * self.cols];
            for m in 0..self.rows {
                let (block, lane) = (m / BLOCK, m % BLOCK);
                let mut acc = 0i32;
                for g in 0..groups {
                    let w = &self.packed[((block * groups + g) * BLOCK + lane) * 4..][..4];
                    for t in 0..4 {
                        acc += i32::from(x[4 * g + t]) * i32::from(w[t]);
                    }
                }
                out[r * self.rows + m] = (acc - self.offset[m]) as f32 * self.scale[m] * sx[r] + self.bias[m];
            }
        }
    }
}

/// The scale that maps a row's largest magnitude to 127 (1 for an all-zero row).
fn row_scale(row: &[f32]) -> f32 {
    scale_for(row.iter().fold(0f32, |m, v| m.max(v.abs())))
}

/// The scale that maps magnitude `max` to 127 (1 for zero).
fn scale_for(max: f32) -> f32 {
    if max > 0.0 && max.is_finite() {
        max / 127.0
    } else {
        1.0
    }
}

/// Activations as unsigned bytes (`round(x / sx) + 128`, half to even) with their per-row
/// scales.
fn quantize_rows(x: &[f32], n: usize, cols: usize) -> (Vec<u8>, Vec<f32>) {
    let (mut xu, mut sx) = padded(n, cols);
    for ((row, out), s) in x.chunks_exact(cols).take(n).zip(xu.chunks_exact_mut(cols)).zip(sx.iter_mut()) {
        *s = row_scale(row);
        quantize_tail(row, out, *s);
    }
    (xu, sx)
}

/// Room for `n` rows of bytes and scales, padded with zeros (byte 128) to a multiple of
/// [`TILE_ROWS`] rows so the kernels read whole tiles.
fn padded(n: usize, cols: usize) -> (Vec<u8>, Vec<f32>) {
    let rows = n.div_ceil(TILE_ROWS) * TILE_ROWS;
    (vec![128u8; rows * cols], vec![1f32; rows])
}

/// Quantises values with scale `s` one at a time.
fn quantize_tail(row: &[f32], out: &mut [u8], s: f32) {
    let inv = 1.0 / s;
    for (q, &v) in out.iter_mut().zip(row) {
        *q = ((v * inv).round_ties_even().clamp(-127.0, 127.0) as i32 + 128) as u8;
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{padded, quantize_tail, scale_for, Int8Linear, BLOCK, TILE_ROWS};
    use std::arch::x86_64::*;

    /// [`quantize_rows`] with AVX-512 (the conversion rounds half to even, as the portable code).
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) unsafe fn quantize_rows_512(x: &[f32], n: usize, cols: usize) -> (Vec<u8>, Vec<f32>) {
        let (mut xu, mut sx) = padded(n, cols);
        let whole = cols / 16 * 16;
        for ((row, out), s) in x.chunks_exact(cols).take(n).zip(xu.chunks_exact_mut(cols)).zip(sx.iter_mut()) {
            let mut m = _mm512_setzero_ps();
            for i in (0..whole).step_by(16) {
                m = _mm512_max_ps(m, _mm512_abs_ps(_mm512_loadu_ps(row.as_ptr().add(i))));
            }
            *s = scale_for(row[whole..].iter().fold(_mm512_reduce_max_ps(m), |a, v| a.max(v.abs())));
            let (inv, offset) = (_mm512_set1_ps(1.0 / *s), _mm512_set1_epi32(128));
            for i in (0..whole).step_by(16) {
                let q = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(row.as_ptr().add(i)), inv));
                _mm_storeu_si128(out.as_mut_ptr().add(i).cast(), _mm512_cvtusepi32_epi8(_mm512_add_epi32(q, offset)));
            }
            quantize_tail(&row[whole..], &mut out[whole..], *s);
        }
        (xu, sx)
    }

    /// [`quantize_rows`] with AVX2.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn quantize_rows_256(x: &[f32], n: usize, cols: usize) -> (Vec<u8>, Vec<f32>) {
        let (mut xu, mut sx) = padded(n, cols);
        let whole = cols / 32 * 32;
        let sign = _mm256_set1_ps(-0.0);
        let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        for ((row, out), s) in x.chunks_exact(cols).take(n).zip(xu.chunks_exact_mut(cols)).zip(sx.iter_mut()) {
            let mut m = _mm256_setzero_ps();
            for i in (0..whole).step_by(8) {
                m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(row.as_ptr().add(i))));
            }
            let mut lanes = [0f32; 8];
            _mm256_storeu_ps(lanes.as_mut_ptr(), m);
            *s = scale_for(row[whole..].iter().chain(&lanes).fold(0f32, |a, v| a.max(v.abs())));
            let (inv, offset) = (_mm256_set1_ps(1.0 / *s), _mm256_set1_epi32(128));
            let q = |i: usize| _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(row.as_ptr().add(i)), inv)), offset);
            for i in (0..whole).step_by(32) {
                let ab = _mm256_packus_epi32(q(i), q(i + 8));
                let cd = _mm256_packus_epi32(q(i + 16), q(i + 24));
                let bytes = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(ab, cd), order);
                _mm256_storeu_si256(out.as_mut_ptr().add(i).cast(), bytes);
            }
            quantize_tail(&row[whole..], &mut out[whole..], *s);
        }
        (xu, sx)
    }

    /// All rows of `xu` (a multiple of [`TILE_ROWS`]) times every block of `w`, 512 bits wide:
    /// four blocks at a time (two or one for what is left); writes all `n · w.rows` values of
    /// `out`, which must have room for them.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) unsafe fn matmul_512(w: &Int8Linear, xu: &[u8], sx: &[f32], n: usize, out: *mut f32) {
        let blocks = w.rows / BLOCK;
        let mut block = 0;
        while block < blocks {
            let step = match blocks - block {
                4.. => 4,
                2 | 3 => 2,
                _ => 1,
            };
            match step {
                4 => blocks_512::<4>(w, block, xu, sx, n, out),
                2 => blocks_512::<2>(w, block, xu, sx, n, out),
                _ => blocks_512::<1>(w, block, xu, sx, n, out),
            }
            block += step;
        }
    }

    /// `B` blocks from `first` on, [`TILE_ROWS`] rows at a time: one `vpdpbusd` per row and
    /// block for every 4 inputs, each row's 4 bytes broadcast once for all blocks.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    unsafe fn blocks_512<const B: usize>(w: &Int8Linear, first: usize, xu: &[u8], sx: &[f32], n: usize, out: *mut f32) {
        let (cols, groups) = (w.cols, w.cols / 4);
        let packed: [*const i8; B] = std::array::from_fn(|b| w.packed.as_ptr().add((first + b) * groups * BLOCK * 4));
        for r0 in (0..n).step_by(TILE_ROWS) {
            let x = xu.as_ptr().add(r0 * cols);
            let mut acc = [[_mm512_setzero_si512(); B]; TILE_ROWS];
            for g in 0..groups {
                let wv: [__m512i; B] = std::array::from_fn(|b| _mm512_loadu_si512(packed[b].add(g * 64).cast()));
                for (r, row) in acc.iter_mut().enumerate() {
                    let xb = _mm512_set1_epi32(std::ptr::read_unaligned(x.add(r * cols + 4 * g).cast::<i32>()));
                    for (a, wb) in row.iter_mut().zip(&wv) {
                        *a = _mm512_dpbusd_epi32(*a, xb, *wb);
                    }
                }
            }
            for (r, row) in acc.iter().enumerate().take(n - r0) {
                let sr = _mm512_set1_ps(sx[r0 + r]);
                for (b, a) in row.iter().enumerate() {
                    let m = (first + b) * BLOCK;
                    let v = _mm512_cvtepi32_ps(_mm512_sub_epi32(*a, _mm512_loadu_si512(w.offset.as_ptr().add(m).cast())));
                    let s = _mm512_mul_ps(_mm512_loadu_ps(w.scale.as_ptr().add(m)), sr);
                    let y = _mm512_fmadd_ps(v, s, _mm512_loadu_ps(w.bias.as_ptr().add(m)));
                    _mm512_storeu_ps(out.add((r0 + r) * w.rows + m), y);
                }
            }
        }
    }

    /// The same, 256 bits wide: each 64-byte group is two halves of 8 output rows.
    #[target_feature(enable = "avx2,fma,avxvnni")]
    pub(super) unsafe fn matmul_256(w: &Int8Linear, xu: &[u8], sx: &[f32], n: usize, out: *mut f32) {
        let (cols, groups) = (w.cols, w.cols / 4);
        for block in 0..w.rows / BLOCK {
            let packed = w.packed.as_ptr().add(block * groups * BLOCK * 4);
            let m0 = block * BLOCK;
            for r0 in (0..n).step_by(TILE_ROWS) {
                let x = xu.as_ptr().add(r0 * cols);
                let mut lo = [_mm256_setzero_si256(); TILE_ROWS];
                let mut hi = [_mm256_setzero_si256(); TILE_ROWS];
                for g in 0..groups {
                    let wl = _mm256_loadu_si256(packed.add(g * 64).cast());
                    let wh = _mm256_loadu_si256(packed.add(g * 64 + 32).cast());
                    for r in 0..TILE_ROWS {
                        let xb = _mm256_set1_epi32(std::ptr::read_unaligned(x.add(r * cols + 4 * g).cast::<i32>()));
                        lo[r] = _mm256_dpbusd_avx_epi32(lo[r], xb, wl);
                        hi[r] = _mm256_dpbusd_avx_epi32(hi[r], xb, wh);
                    }
                }
                for r in 0..TILE_ROWS.min(n - r0) {
                    for (half, a) in [(0, lo[r]), (8, hi[r])] {
                        let m = m0 + half;
                        let v = _mm256_cvtepi32_ps(_mm256_sub_epi32(a, _mm256_loadu_si256(w.offset.as_ptr().add(m).cast())));
                        let s = _mm256_mul_ps(_mm256_loadu_ps(w.scale.as_ptr().add(m)), _mm256_set1_ps(sx[r0 + r]));
                        let y = _mm256_fmadd_ps(v, s, _mm256_loadu_ps(w.bias.as_ptr().add(m)));
                        _mm256_storeu_ps(out.add((r0 + r) * w.rows + m), y);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic values in -1..1 with a few large ones, like a transformer's activations.
    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).max(1);
        (0..n)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                let v = (s % 20_001) as f32 / 10_000.0 - 1.0;
                if i % 97 == 0 {
                    v * 8.0
                } else {
                    v
                }
            })
            .collect()
    }

    fn exact(x: &[f32], w: &[f32], b: &[f32], n: usize, rows: usize, cols: usize) -> Vec<f32> {
        let mut out = vec![0f32; n * rows];
        for r in 0..n {
            for m in 0..rows {
                let dot: f32 = x[r * cols..(r + 1) * cols].iter().zip(&w[m * cols..(m + 1) * cols]).map(|(a, c)| a * c).sum();
                out[r * rows + m] = dot + b[m];
            }
        }
        out
    }

    #[test]
    fn shapes_the_packing_cannot_hold_are_refused() {
        let k = Int8Kernel::AvxVnni;
        assert!(Int8Linear::new(&[0.0; 15 * 4], &[0.0; 15], 15, 4, k).is_none());
        assert!(Int8Linear::new(&[0.0; 16 * 6], &[0.0; 16], 16, 6, k).is_none());
        assert!(Int8Linear::new(&[0.0; 16 * 4], &[0.0; 15], 16, 4, k).is_none());
        assert!(Int8Linear::new(&[0.0; 16 * 4], &[0.0; 16], 16, 4, k).is_some());
    }

    #[test]
    fn portable_product_is_close_to_f32() {
        let (n, rows, cols) = (7, 32, 64);
        let (x, w, b) = (values(n * cols, 1), values(rows * cols, 2), values(rows, 3));
        let layer = Int8Linear::new(&w, &b, rows, cols, Int8Kernel::AvxVnni).expect("shape fits");
        let want = exact(&x, &w, &b, n, rows, cols);
        let got = layer.forward_portable(&x, n);
        let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
        for (g, e) in got.iter().zip(&want) {
            assert!((g - e).abs() < 0.03 * scale, "{g} vs {e} (largest {scale})");
        }
    }

    #[test]
    fn simd_kernels_give_the_portable_integers() {
        let (n, rows, cols) = (9, 112, 384);
        let (x, w, b) = (values(n * cols, 4), values(rows * cols, 5), values(rows, 6));
        for kernel in [Int8Kernel::Avx512Vnni, Int8Kernel::AvxVnni] {
            if !kernel.available() {
                eprintln!("skipping {kernel:?}: this CPU lacks it");
                continue;
            }
            let layer = Int8Linear::new(&w, &b, rows, cols, kernel).expect("shape fits");
            let (simd, portable) = (layer.forward_slice(&x, n), layer.forward_portable(&x, n));
            for (s, p) in simd.iter().zip(&portable) {
                assert!((s - p).abs() <= 1e-5 * p.abs().max(1.0), "{kernel:?}: {s} vs {p}");
            }
        }
    }

    #[test]
    fn a_stacked_layer_gives_its_parts_side_by_side() {
        let (n, cols) = (5, 64);
        let x = values(n * cols, 7);
        let parts: Vec<Int8Linear> = [(16usize, 8u32), (32, 9), (16, 10)]
            .iter()
            .map(|&(rows, seed)| {
                Int8Linear::new(&values(rows * cols, seed), &values(rows, seed + 100), rows, cols, Int8Kernel::AvxVnni).expect("shape fits")
            })
            .collect();
        let stacked = Int8Linear::stack(&parts.iter().collect::<Vec<_>>()).expect("same width");
        assert_eq!(stacked.rows(), 64);
        let got = stacked.forward_portable(&x, n);
        let outs: Vec<Vec<f32>> = parts.iter().map(|p| p.forward_portable(&x, n)).collect();
        for r in 0..n {
            let want: Vec<f32> = outs.iter().zip(&parts).flat_map(|(o, p)| o[r * p.rows()..(r + 1) * p.rows()].to_vec()).collect();
            assert_eq!(&got[r * 64..(r + 1) * 64], want.as_slice());
        }
        let narrow = Int8Linear::new(&values(16 * 32, 11), &values(16, 12), 16, 32, Int8Kernel::AvxVnni).expect("shape fits");
        assert!(Int8Linear::stack(&[&parts[0], &narrow]).is_none());
        assert!(Int8Linear::stack(&[]).is_none());
    }
}
