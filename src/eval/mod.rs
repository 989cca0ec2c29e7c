//! Measuring against gold data: `lesart eval …`.

pub mod segment;

use crate::doc::{Sentence, Span, Text, Token};
use serde::Serialize;

/// A text of gold tokens joined by single spaces, and one sentence whose tokens are exactly
/// those tokens, so a stage can be scored on gold tokenization.
pub fn sentence_from_tokens<S: AsRef<str>>(forms: &[S]) -> (Text, Sentence) {
    let mut text = String::new();
    let mut tokens = Vec::with_capacity(forms.len());
    let mut at = 0u32;
    for (i, form) in forms.iter().enumerate() {
        if i > 0 {
            text.push(' ');
            at += 1;
        }
        let form = form.as_ref();
        text.push_str(form);
        let len = form.chars().count() as u32;
        tokens.push(Token { span: Span::new(at, at + len), morph: None });
        at += len;
    }
    (Text::new(text), Sentence { span: Span::new(0, at), tokens, ..Default::default() })
}

/// Precision, recall and F1 from counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Prf {
    /// Items the system and the gold share.
    pub true_positives: u64,
    /// Items the system produced.
    pub predicted: u64,
    /// Items in the gold.
    pub gold: u64,
    /// true_positives / predicted.
    pub precision: f64,
    /// true_positives / gold.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

impl Prf {
    /// Computes the scores from counts.
    pub fn new(true_positives: u64, predicted: u64, gold: u64) -> Prf {
        let precision = if predicted == 0 { 0.0 } else { true_positives as f64 / predicted as f64 };
        let recall = if gold == 0 { 0.0 } else { true_positives as f64 / gold as f64 };
        let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
        Prf { true_positives, predicted, gold, precision, recall, f1 }
    }
}

impl std::fmt::Display for Prf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "P {:.4}  R {:.4}  F1 {:.4}  ({} correct, {} predicted, {} gold)",
            self.precision, self.recall, self.f1, self.true_positives, self.predicted, self.gold
        )
    }
}
