//! One way to score against gold: precision, recall and F1, from counts where there are
//! counts, micro- and macro-averaged.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Precision, recall and F1, with the counts they come from when they come from counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// Share of the predicted items that are right.
    pub precision: f64,
    /// Share of the gold items that were found.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// The counts, for scores computed from counts.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub counts: Option<Counts>,
}

/// What the system and the gold share, and what each has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Items the system and the gold share.
    pub correct: u64,
    /// Items the system produced.
    pub predicted: u64,
    /// Items in the gold.
    pub gold: u64,
}

impl Counts {
    /// Counts one item by whether the gold and the system have it.
    pub fn add(&mut self, gold: bool, system: bool) {
        self.correct += u64::from(gold && system);
        self.predicted += u64::from(system);
        self.gold += u64::from(gold);
    }

    /// The scores of these counts.
    pub fn scores(self) -> Scores {
        let mut s = Scores::from_rates(ratio(self.correct, self.predicted), ratio(self.correct, self.gold));
        s.counts = Some(self);
        s
    }
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.correct += other.correct;
        self.predicted += other.predicted;
        self.gold += other.gold;
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

impl Scores {
    /// Scores from counts: `correct / predicted`, `correct / gold`, 0 where nothing was
    /// predicted or expected.
    pub fn from_counts(correct: u64, predicted: u64, gold: u64) -> Scores {
        Counts { correct, predicted, gold }.scores()
    }

    /// Scores from a precision and a recall measured otherwise (averaged overlaps).
    pub fn from_rates(precision: f64, recall: f64) -> Scores {
        let sum = precision + recall;
        let f1 = if sum == 0.0 { 0.0 } else { 2.0 * precision * recall / sum };
        Scores { precision, recall, f1, counts: None }
    }

    /// Micro-average: the scores of the summed counts (scores without counts add nothing).
    pub fn micro<'a>(all: impl IntoIterator<Item = &'a Scores>) -> Scores {
        let mut sum = Counts::default();
        for c in all.into_iter().filter_map(|s| s.counts) {
            sum += c;
        }
        sum.scores()
    }

    /// Macro-average: the mean precision, recall and F1 over the scores given (the F1 is
    /// the mean of the F1s, as macro-F1 is reported for stance and sentiment).
    pub fn macro_average<'a>(all: impl IntoIterator<Item = &'a Scores>) -> Scores {
        let (mut n, mut p, mut r, mut f) = (0.0, 0.0, 0.0, 0.0);
        for s in all {
            n += 1.0;
            p += s.precision;
            r += s.recall;
            f += s.f1;
        }
        if n == 0.0 {
            return Scores::default();
        }
        Scores { precision: p / n, recall: r / n, f1: f / n, counts: None }
    }
}

impl fmt::Display for Scores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "P {:.4}  R {:.4}  F1 {:.4}", self.precision, self.recall, self.f1)?;
        if let Some(c) = self.counts {
            write!(f, "  ({} correct, {} predicted, {} gold)", c.correct, c.predicted, c.gold)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_from_counts_and_rates() {
        let s = Scores::from_counts(3, 4, 6);
        assert_eq!((s.precision, s.recall), (0.75, 0.5));
        assert!((s.f1 - 0.6).abs() < 1e-12);
        assert_eq!(Scores::from_counts(0, 0, 5).f1, 0.0);
        assert_eq!(Scores::from_rates(0.6, 0.6).f1, 0.6);
        assert_eq!(s.to_string(), "P 0.7500  R 0.5000  F1 0.6000  (3 correct, 4 predicted, 6 gold)");
    }

    #[test]
    fn micro_sums_counts_and_macro_averages_scores() {
        let a = Scores::from_counts(1, 1, 1);
        let b = Scores::from_counts(0, 3, 1);
        assert_eq!(Scores::micro([&a, &b]).counts, Some(Counts { correct: 1, predicted: 4, gold: 2 }));
        let m = Scores::macro_average([&a, &b]);
        assert_eq!((m.precision, m.recall, m.f1), (0.5, 0.5, 0.5));
    }

    #[test]
    fn counting_items_one_by_one() {
        let mut c = Counts::default();
        for (gold, system) in [(true, true), (true, false), (false, true), (false, false)] {
            c.add(gold, system);
        }
        assert_eq!(c, Counts { correct: 1, predicted: 2, gold: 2 });
    }
}
