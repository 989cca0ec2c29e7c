//! Evaluation of claims against the wikinews-quotes gold (one JSON article per line: `text`,
//! `tokens`, `quotations` with `cue`, `speaker`, `quote` span lists and a `type`).
//!
//! Every gold quotation of every type counts. Spans become the set of gold tokens they overlap,
//! and three roles are scored: message (claim `message` vs gold `quote`), source (`source` vs
//! `speaker`) and cue (claim `cue` vs gold `cue`). Three metrics, all computed on every run:
//!
//! - **One to one** (the default). Per role, the article's predicted and gold token sets are
//!   paired one to one, the pair with the largest shared token count first; each set is in at
//!   most one pair. Precision is the mean over predicted sets of |P ∩ G| / |P| (0 when
//!   unpaired), recall the mean over gold sets of |P ∩ G| / |G|. *Exact* counts paired sets that
//!   are equal.
//! - **SpkAtt** (`--metric spkatt`), after the GermEval 2023 speaker-attribution scoring: whole
//!   quotations are paired one to one by a linear sum assignment that maximises the summed Dice
//!   overlap of their tokens (all roles together); within a pair each role's shared tokens are
//!   true positives, every other predicted or gold token of the role a false positive or a
//!   false negative, and unpaired quotations count all their tokens so. Per role and joint
//!   (micro over the roles) P/R/F1.
//! - **Any** (`--metric any`), the lenient figure reported before: a predicted set is credited
//!   with its best overlap with *any* gold set of the article, and the other way round, so one
//!   speaker may be credited to many claims.
//!
//! Recall is broken down per gold quotation type; precision is not, as a prediction has no
//! gold type of its own.

use crate::doc::{Document, Span};
use crate::error::Result;
use crate::io::metrics::Counts;
use crate::io::{gold::read_json_lines, Scores};
use pathfinding::prelude::{kuhn_munkres, Matrix};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// Which figures [`QuoteReport`]'s display shows (all are computed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum QuoteMetric {
    /// Roles paired one to one by largest token overlap.
    #[default]
    OneToOne,
    /// Quotations paired by linear sum assignment, roles scored per token (GermEval 2023).
    Spkatt,
    /// Best overlap with any gold set of the article (lenient).
    Any,
}

/// Which articles of a gold file are scored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum QuoteSplit {
    /// Every article.
    #[default]
    All,
    /// All but the held-out articles: what the quotation model trains on.
    Train,
    /// Every seventh article (index 3, 10, 17, …): never trained or tuned on.
    Heldout,
}

impl QuoteSplit {
    /// True when the article at `index` of its file belongs to this split.
    pub fn holds(self, index: usize) -> bool {
        let heldout = index % 7 == 3;
        match self {
            QuoteSplit::All => true,
            QuoteSplit::Train => !heldout,
            QuoteSplit::Heldout => heldout,
        }
    }
}

/// Scores of one role under a pairing of token sets.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct FieldScores {
    /// Token-overlap scores.
    pub overlap: Scores,
    /// Exact-match scores.
    pub exact: Scores,
    /// Predicted claims with this role set.
    pub predicted: usize,
    /// Gold quotations with this role set.
    pub gold: usize,
}

/// The three roles under one metric.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RoleScores {
    /// Claim message vs gold quote.
    pub message: FieldScores,
    /// Claim source vs gold speaker.
    pub source: FieldScores,
    /// Claim cue vs gold cue.
    pub cue: FieldScores,
}

/// The SpkAtt figures: token P/R/F1 per role within quotations paired as wholes.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct SpkattScores {
    /// Quotation pairs with at least one shared token.
    pub paired: usize,
    /// Message tokens.
    pub message: Scores,
    /// Source tokens.
    pub source: Scores,
    /// Cue tokens.
    pub cue: Scores,
    /// All roles' tokens together.
    pub joint: Scores,
}

/// Recall on the gold quotations of one type.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct TypeRecall {
    /// Gold quotations of the type.
    pub quotations: usize,
    /// One-to-one overlap recall of the message.
    pub message: f64,
    /// One-to-one overlap recall of the source (over quotations that name one).
    pub source: f64,
    /// One-to-one overlap recall of the cue (over quotations that have one).
    pub cue: f64,
    /// SpkAtt joint token recall.
    pub spkatt: f64,
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
    /// One-to-one pairing per role (the default metric).
    pub one_to_one: RoleScores,
    /// Quotations paired as wholes (GermEval 2023 SpkAtt).
    pub spkatt: SpkattScores,
    /// Best overlap with any gold set (lenient).
    pub any: RoleScores,
    /// Recall per gold quotation type.
    pub by_type: BTreeMap<String, TypeRecall>,
    /// The metric the display shows.
    #[serde(skip)]
    pub shown: QuoteMetric,
}

impl fmt::Display for QuoteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} articles, {} gold quotations, {} predicted claims", self.articles, self.gold_quotations, self.predicted_claims)?;
        match self.shown {
            QuoteMetric::OneToOne => write_roles(f, "one to one", &self.one_to_one)?,
            QuoteMetric::Any => write_roles(f, "any (lenient)", &self.any)?,
            QuoteMetric::Spkatt => {
                writeln!(f, "SpkAtt: {} quotation pairs", self.spkatt.paired)?;
                writeln!(f, "{:<8} {:>7} {:>7} {:>7}", "role", "P", "R", "F1")?;
                let s = &self.spkatt;
                for (name, r) in [("message", &s.message), ("source", &s.source), ("cue", &s.cue), ("joint", &s.joint)] {
                    writeln!(f, "{:<8} {:>7.3} {:>7.3} {:>7.3}", name, r.precision, r.recall, r.f1)?;
                }
            }
        }
        writeln!(f, "recall per gold type (one to one; SpkAtt joint):")?;
        writeln!(f, "{:<22} {:>5} {:>8} {:>8} {:>8} {:>8}", "type", "gold", "message", "source", "cue", "spkatt")?;
        for (name, t) in &self.by_type {
            writeln!(f, "{:<22} {:>5} {:>8.3} {:>8.3} {:>8.3} {:>8.3}", name, t.quotations, t.message, t.source, t.cue, t.spkatt)?;
        }
        Ok(())
    }
}

fn write_roles(f: &mut fmt::Formatter<'_>, title: &str, roles: &RoleScores) -> fmt::Result {
    writeln!(f, "{title}")?;
    writeln!(
        f,
        "{:<8} {:>6} {:>6} | {:>6} {:>6} {:>6} | {:>6} {:>6} {:>6}",
        "role", "pred", "gold", "ov-P", "ov-R", "ov-F1", "ex-P", "ex-R", "ex-F1"
    )?;
    for (name, s) in [("message", &roles.message), ("source", &roles.source), ("cue", &roles.cue)] {
        writeln!(
            f,
            "{:<8} {:>6} {:>6} | {:>6.3} {:>6.3} {:>6.3} | {:>6.3} {:>6.3} {:>6.3}",
            name, s.predicted, s.gold, s.overlap.precision, s.overlap.recall, s.overlap.f1, s.exact.precision, s.exact.recall, s.exact.f1
        )?;
    }
    Ok(())
}

/// One article of the gold file.
#[derive(Debug, Deserialize)]
pub struct GoldArticle {
    /// The article's text.
    pub text: String,
    /// Gold tokens as `[start, end)` character offsets.
    pub tokens: Vec<[u32; 2]>,
    /// Gold sentences as `[start, end)` character offsets.
    #[serde(default)]
    pub sentences: Vec<[u32; 2]>,
    /// The quotations.
    #[serde(default)]
    pub quotations: Vec<GoldQuotation>,
}

/// One gold quotation.
#[derive(Debug, Deserialize)]
pub struct GoldQuotation {
    /// Cue spans.
    #[serde(default)]
    pub cue: Vec<[u32; 2]>,
    /// Speaker spans.
    #[serde(default)]
    pub speaker: Vec<[u32; 2]>,
    /// Message spans.
    #[serde(default)]
    pub quote: Vec<[u32; 2]>,
    /// Addressee spans.
    #[serde(default)]
    pub addressee: Vec<[u32; 2]>,
    /// Frame spans.
    #[serde(default)]
    pub frame: Vec<[u32; 2]>,
    /// Direct, Indirect, FreeIndirect, IndirectFreeIndirect or Reported.
    #[serde(default, rename = "type")]
    pub kind: String,
}

/// Reads the articles of `gold` that belong to `split`.
pub fn read_gold_articles(gold: &Path, split: QuoteSplit) -> Result<Vec<GoldArticle>> {
    let all: Vec<GoldArticle> = read_json_lines(gold)?;
    Ok(all.into_iter().enumerate().filter(|(i, _)| split.holds(*i)).map(|(_, a)| a).collect())
}

/// A quotation as three sorted token-index sets: cue, source, message.
#[derive(Debug, Clone, Default, PartialEq)]
struct Roles([Vec<u32>; 3]);

const MESSAGE: usize = 0;
const SOURCE: usize = 1;
const CUE: usize = 2;

impl Roles {
    fn all(&self) -> Vec<u32> {
        let mut out: Vec<u32> = self.0.iter().flatten().copied().collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

fn shared(a: &[u32], b: &[u32]) -> usize {
    a.iter().filter(|t| b.binary_search(t).is_ok()).count()
}

/// What one role's pairing gave: per predicted set its credited share and exactness, per gold
/// set the same.
#[derive(Default)]
struct Pairing {
    predicted: Vec<(f64, bool)>,
    gold: Vec<(f64, bool)>,
}

/// Pairs predicted and gold sets one to one, the largest shared token count first.
fn pair_one_to_one(predicted: &[Vec<u32>], gold: &[Vec<u32>]) -> Pairing {
    let mut candidates: Vec<(usize, usize, usize)> = Vec::new();
    for (i, p) in predicted.iter().enumerate() {
        for (j, g) in gold.iter().enumerate() {
            let n = shared(p, g);
            if n > 0 {
                candidates.push((n, i, j));
            }
        }
    }
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut out = Pairing { predicted: vec![(0.0, false); predicted.len()], gold: vec![(0.0, false); gold.len()] };
    let (mut p_used, mut g_used) = (vec![false; predicted.len()], vec![false; gold.len()]);
    for (n, i, j) in candidates {
        if p_used[i] || g_used[j] {
            continue;
        }
        p_used[i] = true;
        g_used[j] = true;
        let exact = predicted[i] == gold[j];
        out.predicted[i] = (n as f64 / predicted[i].len() as f64, exact);
        out.gold[j] = (n as f64 / gold[j].len() as f64, exact);
    }
    out
}

/// Credits each set with its best overlap with any set of the other side.
fn pair_any(predicted: &[Vec<u32>], gold: &[Vec<u32>]) -> Pairing {
    let best = |x: &Vec<u32>, others: &[Vec<u32>]| {
        let n = others.iter().map(|o| shared(x, o)).max().unwrap_or(0);
        (n as f64 / x.len() as f64, others.contains(x))
    };
    Pairing { predicted: predicted.iter().map(|p| best(p, gold)).collect(), gold: gold.iter().map(|g| best(g, predicted)).collect() }
}

/// Sums of one role over the corpus.
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
    fn add(&mut self, pairing: &Pairing) {
        for &(share, exact) in &pairing.predicted {
            self.predicted += 1;
            self.precision_mass += share;
            self.exact_predicted += usize::from(exact);
        }
        for &(share, exact) in &pairing.gold {
            self.gold += 1;
            self.recall_mass += share;
            self.exact_gold += usize::from(exact);
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

/// Pairs whole quotations by a linear sum assignment on the Dice overlap of all their tokens;
/// `result[i]` is the gold quotation paired with predicted quotation `i`.
fn assign_quotations(predicted: &[Roles], gold: &[Roles]) -> Vec<Option<usize>> {
    let n = predicted.len().max(gold.len());
    if predicted.is_empty() || gold.is_empty() {
        return vec![None; predicted.len()];
    }
    let (p_all, g_all): (Vec<_>, Vec<_>) = (predicted.iter().map(Roles::all).collect(), gold.iter().map(Roles::all).collect());
    let dice = |i: usize, j: usize| -> i64 {
        match (p_all.get(i), g_all.get(j)) {
            (Some(p), Some(g)) if !p.is_empty() || !g.is_empty() => (2_000_000 * shared(p, g) / (p.len() + g.len())) as i64,
            _ => 0,
        }
    };
    let weights = Matrix::from_fn(n, n, |(i, j)| dice(i, j));
    let (_, assignment) = kuhn_munkres(&weights);
    (0..predicted.len()).map(|i| Some(assignment[i]).filter(|&j| dice(i, j) > 0)).collect()
}

/// SpkAtt token counts per role (message, source, cue).
#[derive(Default)]
struct SpkattTally {
    roles: [Counts; 3],
    paired: usize,
}

impl SpkattTally {
    /// Adds an article; returns per gold quotation its (shared, total) joint tokens.
    fn add(&mut self, predicted: &[Roles], gold: &[Roles]) -> Vec<(u64, u64)> {
        let assignment = assign_quotations(predicted, gold);
        let mut gold_hits: Vec<(u64, u64)> = gold.iter().map(|g| (0, g.0.iter().map(|r| r.len() as u64).sum())).collect();
        for (role, counts) in self.roles.iter_mut().enumerate() {
            for p in predicted {
                counts.predicted += p.0[role].len() as u64;
            }
            for g in gold {
                counts.gold += g.0[role].len() as u64;
            }
            for (i, j) in assignment.iter().enumerate() {
                if let Some(j) = *j {
                    let n = shared(&predicted[i].0[role], &gold[j].0[role]) as u64;
                    counts.correct += n;
                    gold_hits[j].0 += n;
                }
            }
        }
        self.paired += assignment.iter().flatten().count();
        gold_hits
    }

    fn scores(&self) -> SpkattScores {
        let mut joint = Counts::default();
        for c in self.roles {
            joint += c;
        }
        SpkattScores {
            paired: self.paired,
            message: self.roles[MESSAGE].scores(),
            source: self.roles[SOURCE].scores(),
            cue: self.roles[CUE].scores(),
            joint: joint.scores(),
        }
    }
}

/// Per-type sums of recall shares.
#[derive(Default)]
struct TypeTally {
    quotations: usize,
    roles: [(f64, usize); 3],
    spkatt: (u64, u64),
}

/// One article's roles as token sets, predicted and gold.
fn article_roles(article: &GoldArticle, doc: &Document) -> (Vec<Roles>, Vec<Roles>) {
    let toks = &article.tokens;
    let predicted = doc
        .sentences
        .iter()
        .flat_map(|s| &s.claims)
        .map(|c| Roles([token_set(toks, c.message.iter().copied()), token_set(toks, c.source), token_set(toks, c.cue.iter().copied())]))
        .collect();
    let gold = article
        .quotations
        .iter()
        .map(|q| Roles([token_set(toks, spans(&q.quote)), token_set(toks, spans(&q.speaker)), token_set(toks, spans(&q.cue))]))
        .collect();
    (predicted, gold)
}

/// The non-empty sets of one role, with the quotation each belongs to.
fn role_sets(quotations: &[Roles], role: usize) -> (Vec<Vec<u32>>, Vec<usize>) {
    quotations.iter().enumerate().filter(|(_, q)| !q.0[role].is_empty()).map(|(i, q)| (q.0[role].clone(), i)).unzip()
}

/// Scores claims against the gold articles they were made from (`docs[i]` for `articles[i]`).
pub fn score_quotes(articles: &[GoldArticle], docs: &[Document]) -> QuoteReport {
    let mut report = QuoteReport::default();
    let mut one: [Tally; 3] = Default::default();
    let mut any: [Tally; 3] = Default::default();
    let mut spkatt = SpkattTally::default();
    let mut types: BTreeMap<String, TypeTally> = BTreeMap::new();
    for (article, doc) in articles.iter().zip(docs) {
        let (predicted, gold) = article_roles(article, doc);
        report.articles += 1;
        report.gold_quotations += gold.len();
        report.predicted_claims += predicted.len();
        for q in &article.quotations {
            types.entry(q.kind.clone()).or_default().quotations += 1;
        }
        for role in [MESSAGE, SOURCE, CUE] {
            let (p, _) = role_sets(&predicted, role);
            let (g, owners) = role_sets(&gold, role);
            let pairing = pair_one_to_one(&p, &g);
            one[role].add(&pairing);
            any[role].add(&pair_any(&p, &g));
            for (&(share, _), &owner) in pairing.gold.iter().zip(&owners) {
                let t = types.entry(article.quotations[owner].kind.clone()).or_default();
                t.roles[role].0 += share;
                t.roles[role].1 += 1;
            }
        }
        for (q, (hit, total)) in article.quotations.iter().zip(spkatt.add(&predicted, &gold)) {
            let t = types.entry(q.kind.clone()).or_default();
            t.spkatt.0 += hit;
            t.spkatt.1 += total;
        }
    }
    let roles = |t: &[Tally; 3]| RoleScores { message: t[MESSAGE].scores(), source: t[SOURCE].scores(), cue: t[CUE].scores() };
    report.one_to_one = roles(&one);
    report.any = roles(&any);
    report.spkatt = spkatt.scores();
    let mean = |(sum, n): (f64, usize)| if n == 0 { 0.0 } else { sum / n as f64 };
    report.by_type = types
        .into_iter()
        .map(|(name, t)| {
            let recall = TypeRecall {
                quotations: t.quotations,
                message: mean(t.roles[MESSAGE]),
                source: mean(t.roles[SOURCE]),
                cue: mean(t.roles[CUE]),
                spkatt: if t.spkatt.1 == 0 { 0.0 } else { t.spkatt.0 as f64 / t.spkatt.1 as f64 },
            };
            (name, recall)
        })
        .collect();
    report
}

/// Runs `pipeline_fn` on every article of `split` of a wikinews-quotes JSONL file and scores
/// its claims.
pub fn eval_quotes(pipeline_fn: &(dyn Fn(&str) -> Document + Sync), gold: &Path, split: QuoteSplit) -> Result<QuoteReport> {
    let articles = read_gold_articles(gold, split)?;
    // Articles are independent: analyse them on all workers.
    let docs: Vec<Document> = crate::io::par_map_in_runs(&articles, |a| pipeline_fn(&a.text));
    Ok(score_quotes(&articles, &docs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &[u32]) -> Vec<u32> {
        v.to_vec()
    }

    #[test]
    fn one_to_one_pairs_each_set_once_largest_overlap_first() {
        // Two predictions both overlap the first gold set; only the larger one gets it.
        let predicted = [set(&[0, 1, 2]), set(&[2, 3])];
        let gold = [set(&[0, 1, 2, 3])];
        let p = pair_one_to_one(&predicted, &gold);
        assert_eq!(p.predicted, vec![(1.0, false), (0.0, false)]);
        assert_eq!(p.gold, vec![(0.75, false)]);
        // The lenient pairing credits both.
        let a = pair_any(&predicted, &gold);
        assert_eq!(a.predicted, vec![(1.0, false), (1.0, false)]);
    }

    #[test]
    fn spkatt_pairs_whole_quotations_and_scores_roles_within_pairs() {
        let q = |m: &[u32], s: &[u32], c: &[u32]| Roles([set(m), set(s), set(c)]);
        // The gold has two quotations; the system finds the second with the first's speaker.
        let gold = [q(&[0, 1, 2], &[3], &[4]), q(&[10, 11, 12], &[13], &[14])];
        let predicted = [q(&[10, 11, 12], &[3], &[14])];
        let mut tally = SpkattTally::default();
        let hits = tally.add(&predicted, &gold);
        assert_eq!(hits, vec![(0, 5), (4, 5)]);
        let s = tally.scores();
        assert_eq!(s.paired, 1);
        assert_eq!(s.message.counts, Some(Counts { correct: 3, predicted: 3, gold: 6 }));
        assert_eq!(s.source.counts, Some(Counts { correct: 0, predicted: 1, gold: 2 }));
        assert_eq!(s.joint.counts, Some(Counts { correct: 4, predicted: 5, gold: 10 }));
    }

    #[test]
    fn a_quotation_sharing_no_token_stays_unpaired() {
        let q = |m: &[u32]| Roles([set(m), vec![], vec![]]);
        assert_eq!(assign_quotations(&[q(&[1]), q(&[5])], &[q(&[5, 6])]), vec![None, Some(0)]);
    }

    #[test]
    fn every_seventh_article_is_held_out() {
        let held: Vec<usize> = (0..20).filter(|&i| QuoteSplit::Heldout.holds(i)).collect();
        assert_eq!(held, vec![3, 10, 17]);
        assert!((0..20).all(|i| QuoteSplit::Train.holds(i) != QuoteSplit::Heldout.holds(i)));
    }
}
