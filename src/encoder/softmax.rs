//! Softmax over the last dimension with an exponential that compiles to vector instructions.
//!
//! candle's `softmax_last_dim` calls libm's scalar `expf` per attention score, about a tenth of
//! the encoder's time once the linear layers ran in 8 bits. Here `exp` is a degree-6 polynomial
//! after range reduction by powers of two (relative error below 3e-7 over the range softmax
//! uses, where every argument is at most 0), and the whole row loop is compiled for AVX2 where
//! the CPU has it.

use super::layers::{lane_sum, LANES};

/// Softmax of each `width`-long row of `x`, in place.
pub(super) fn softmax_rows(x: &mut [f32], width: usize) {
    #[cfg(target_arch = "x86_64")]
    if super::avx2_fma() {
        // SAFETY: the CPU has the features the function is compiled for.
        return unsafe { softmax_rows_avx2(x, width) };
    }
    softmax_rows_portable(x, width);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn softmax_rows_avx2(x: &mut [f32], width: usize) {
    softmax_rows_portable(x, width);
}

/// Written as lane-wise loops (eight running maxima and sums) so that they vectorise.
#[inline(always)]
fn softmax_rows_portable(x: &mut [f32], width: usize) {
    for row in x.chunks_mut(width) {
        let mut lanes = [f32::NEG_INFINITY; LANES];
        let mut chunks = row.chunks_exact(LANES);
        for chunk in chunks.by_ref() {
            for (l, &v) in lanes.iter_mut().zip(chunk) {
                *l = if v > *l { v } else { *l };
            }
        }
        let max = chunks.remainder().iter().chain(&lanes).fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m });
        for v in row.iter_mut() {
            *v = exp_nonpositive(*v - max);
        }
        let inv = 1.0 / lane_sum(row);
        row.iter_mut().for_each(|v| *v *= inv);
    }
}

/// e^x for x ≤ 0 (0 below −87, where e^x leaves the normal floats; NaN stays NaN).
#[inline(always)]
fn exp_nonpositive(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    const SHIFT: f32 = 12_582_912.0; // 1.5 · 2²³: adding and subtracting it rounds to an integer
    let clamped = if x < -87.0 { -87.0 } else { x };
    let shifted = clamped * std::f32::consts::LOG2_E + SHIFT;
    let n = shifted - SHIFT;
    let r = clamped - n * LN2_HI - n * LN2_LO;
    let mut p = 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // 2ⁿ from the bits: `shifted` holds n (−126..=0) in its low mantissa bits, so integer
    // arithmetic gives the exponent field without a saturating float-to-integer conversion.
    let k = shifted.to_bits().wrapping_sub(SHIFT.to_bits());
    let scale = f32::from_bits(k.wrapping_add(127) << 23);
    if x < -87.0 {
        0.0
    } else {
        p * scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn exponential_is_close_to_libm() {
        let mut worst = 0f32;
        for i in 0..=870_000 {
            let x = -(i as f32) / 10_000.0;
            let (got, want) = (exp_nonpositive(x), x.exp());
            worst = worst.max((got - want).abs() / want);
        }
        assert!(worst < 3e-7, "largest relative error {worst}");
        assert_eq!(exp_nonpositive(-1e9), 0.0);
        assert_eq!(exp_nonpositive(f32::NEG_INFINITY), 0.0);
        assert!(exp_nonpositive(f32::NAN).is_nan());
    }

    #[test]
    fn softmax_agrees_with_candle() {
        let data: Vec<f32> = (0..60).map(|i| ((i * 37 % 23) as f32 - 11.0) / 2.5).collect();
        let mut masked = data.clone();
        masked[5] -= 1e9;
        for values in [data, masked] {
            let t = candle_core::Tensor::from_vec(values.clone(), (3, 4, 5), &Device::Cpu).expect("tensor");
            let mut ours = values;
            softmax_rows(&mut ours, 5);
            let theirs = candle_nn::ops::softmax_last_dim(&t).and_then(|t| t.flatten_all()?.to_vec1::<f32>()).expect("candle");
            for (a, b) in ours.iter().zip(&theirs) {
                assert!((a - b).abs() < 1e-6, "{a} vs {b}");
            }
        }
    }
}
