//! Logits to probabilities, for the heads of every stage.

/// The probability of a binary output with logit `l`.
pub fn sigmoid(l: f32) -> f32 {
    1.0 / (1.0 + (-l).exp())
}

/// Turns the logits of one row into class probabilities, in place (the largest logit is taken
/// out first, so no exponential overflows).
pub fn softmax_in_place(x: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    x.iter_mut().for_each(|v| *v = (*v - max).exp());
    let sum: f32 = x.iter().sum();
    x.iter_mut().for_each(|v| *v /= sum);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_sum_to_one_and_keep_the_order_of_the_logits() {
        let mut p = [1000.0f32, 998.0, -5.0];
        softmax_in_place(&mut p);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6, "{p:?}");
        assert!(p[0] > p[1] && p[1] > p[2], "{p:?}");
        assert!((p[0] / p[1] - 2f32.exp()).abs() < 1e-3, "{p:?}");
        assert_eq!(sigmoid(0.0), 0.5);
        assert!((sigmoid(2.0) + sigmoid(-2.0) - 1.0).abs() < 1e-6);
    }
}
