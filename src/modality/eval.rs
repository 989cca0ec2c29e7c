//! Evaluation of claims against the wikinews-quotes gold (one JSON article per line: `text`,
//! `tokens`, `quotations` with `cue`, `speaker`, `quote` span lists and a `type`).
//!
//! Every gold quotation of every type counts. Three fields are scored, each on its own:
//! message (system claim `message` vs gold `quote`), source (`source` vs `speaker`) and cue
//! (claim `cue` vs gold `cue`). A field's spans become the set of gold tokens they overlap;
//! claims and quotations whose set is empty for that field are left out of that field.
//!
//! - **Overlap.** Precision: for each predicted set P, the largest |P ∩ G| / |P| over the
//!   gold sets G of the article, averaged over all predicted sets of the corpus. Recall: for
//!   each gold set G, the largest |P ∩ G| / |G| over the predicted sets, averaged over all gold
//!   sets. F1 is their harmonic mean.
//! - **Exact.** Precision: share of predicted sets equal to some gold set of the article.
//!   Recall: share of gold sets equal to some predicted set.
//!
//! Fields are matched independently, so a source is credited when it matches the speaker of
//! any quotation of the article.

use crate::doc::{Document, Span};
use crate::error::Result;
use crate::io::{gold::read_json_lines, Scores};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;

/// Scores of one field.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct FieldScores {
    /// Token-overlap scores.
    pub overlap: Scores,
    /// Exact-match scores.
    pub exact: Scores,
    /// Predicted claims with this field set.
    pub predicted: usize,
    /// Gold quotations with this field set.
    pub gold: usize,
}

/// Result of [`eval_quotes`].
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct QuoteReport {
    /// Articles read.
    pub articles: usize,
    /// Gold quotations.
    pub gold_quotations: usize,
    /// Claims the pipeline produced.
    pub predicted_claims: usize,
    /// Claim message vs gold quote.
    pub message: FieldScores,
    /// Claim source vs gold speaker.
    pub source: FieldScores,
    /// Claim cue vs gold cue.
    pub cue: FieldScores,
}

impl fmt::Display for QuoteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} articles, {} gold quotations, {} predicted claims", self.articles, self.gold_quotations, self.predicted_claims)?;
        writeln!(
            f,
            "{:<8} {:>6} {:>6} | {:>6} {:>6} {:>6} | {:>6} {:>6} {:>6}",
            "field", "pred", "gold", "ov-P", "ov-R", "ov-F1", "ex-P", "ex-R", "ex-F1"
        )?;
        for (name, s) in [("message", &self.message), ("source", &self.source), ("cue", &self.cue)] {
            writeln!(
                f,
                "{:<8} {:>6} {:>6} | {:>6.3} {:>6.3} {:>6.3} | {:>6.3} {:>6.3} {:>6.3}",
                name,
                s.predicted,
                s.gold,
                s.overlap.precision,
                s.overlap.recall,
                s.overlap.f1,
                s.exact.precision,
                s.exact.recall,
                s.exact.f1
            )?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct GoldArticle {
    text: String,
    tokens: Vec<[u32; 2]>,
    #[serde(default)]
    quotations: Vec<GoldQuotation>,
}

#[derive(Deserialize)]
struct GoldQuotation {
    #[serde(default)]
    cue: Vec<[u32; 2]>,
    #[serde(default)]
    speaker: Vec<[u32; 2]>,
    #[serde(default)]
    quote: Vec<[u32; 2]>,
}

/// Sums of one field over the corpus.
#[derive(Default)]
struct Tally {
    precision_mass: f64,
    recall_mass: f64,
    exact_predicted: usize,
    exact_gold: usize,
    predicted: usize,
    gold: usize,
}

impl Tally {
    fn add(&mut self, predicted: &[Vec<u32>], gold: &[Vec<u32>]) {
        let shared = |a: &[u32], b: &[u32]| a.iter().filter(|t| b.binary_search(t).is_ok()).count();
        for p in predicted {
            self.predicted += 1;
            let best = gold.iter().map(|g| shared(p, g)).max().unwrap_or(0);
            self.precision_mass += best as f64 / p.len() as f64;
            self.exact_predicted += usize::from(gold.iter().any(|g| g == p));
        }
        for g in gold {
            self.gold += 1;
            let best = predicted.iter().map(|p| shared(p, g)).max().unwrap_or(0);
            self.recall_mass += best as f64 / g.len() as f64;
            self.exact_gold += usize::from(predicted.iter().any(|p| p == g));
        }
    }

    fn scores(&self) -> FieldScores {
        let ratio = |a: f64, b: usize| if b == 0 { 0.0 } else { a / b as f64 };
        FieldScores {
            overlap: Scores::from_rates(ratio(self.precision_mass, self.predicted), ratio(self.recall_mass, self.gold)),
            exact: Scores::from_rates(ratio(self.exact_predicted as f64, self.predicted), ratio(self.exact_gold as f64, self.gold)),
            predicted: self.predicted,
            gold: self.gold,
        }
    }
}

/// Sorted indices of the gold tokens that the spans overlap.
fn token_set(tokens: &[[u32; 2]], spans: impl IntoIterator<Item = Span>) -> Vec<u32> {
    let mut out = Vec::new();
    for span in spans {
        let first = tokens.partition_point(|t| t[1] <= span.start);
        out.extend((first..tokens.len()).take_while(|&i| tokens[i][0] < span.end).map(|i| i as u32));
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn spans(list: &[[u32; 2]]) -> impl Iterator<Item = Span> + '_ {
    list.iter().filter(|s| s[0] <= s[1]).map(|s| Span::new(s[0], s[1]))
}

/// Runs `pipeline_fn` on every article of a wikinews-quotes JSONL file and scores its claims.
pub fn eval_quotes(pipeline_fn: &(dyn Fn(&str) -> Document + Sync), gold: &Path) -> Result<QuoteReport> {
    let mut report = QuoteReport::default();
    let (mut message, mut source, mut cue) = (Tally::default(), Tally::default(), Tally::default());
    let articles: Vec<GoldArticle> = read_json_lines(gold)?;
    // Articles are independent: analyse them on all workers.
    let docs: Vec<Document> = crate::io::par_map_in_runs(&articles, |a| pipeline_fn(&a.text));
    for (article, doc) in articles.iter().zip(&docs) {
        let claims: Vec<_> = doc.sentences.iter().flat_map(|s| &s.claims).collect();
        report.articles += 1;
        report.gold_quotations += article.quotations.len();
        report.predicted_claims += claims.len();
        let toks = &article.tokens;
        let nonempty = |v: Vec<Vec<u32>>| v.into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>();
        let gold_sets =
            |f: fn(&GoldQuotation) -> &[[u32; 2]]| nonempty(article.quotations.iter().map(|q| token_set(toks, spans(f(q)))).collect());
        message.add(&nonempty(claims.iter().map(|c| token_set(toks, c.message.iter().copied())).collect()), &gold_sets(|q| &q.quote));
        source.add(&nonempty(claims.iter().map(|c| token_set(toks, c.source)).collect()), &gold_sets(|q| &q.speaker));
        cue.add(&nonempty(claims.iter().map(|c| token_set(toks, c.cue.iter().copied())).collect()), &gold_sets(|q| &q.cue));
    }
    report.message = message.scores();
    report.source = source.scores();
    report.cue = cue.scores();
    Ok(report)
}
