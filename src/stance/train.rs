//! Training the stance head (`lesart train stance`): every gold pair gets the head's input,
//! computed by the rules-only stage over the accurate NER model's vectors, on the system target
//! that overlaps it (as the pipeline would see it) or, when the system finds none, on the gold
//! span itself; a softmax regression is fitted to the gold labels, and its temperature and
//! polar threshold to the dev pairs.
//!
//! The inputs can be written to a file (`--dump`) and read back (`--from`), so that the
//! comparisons of the measurements (learning curve, with and without NewsMTSC or the rules'
//! signals) fit heads in seconds instead of analysing the articles again. [`score_pairs`]
//! scores such a file exactly as `lesart eval stance` scores the articles.

use super::eval::GoldDocuments;
use super::head::{train_stance_head, StanceHead, StanceHeadConfig, HEAD_FILE};
use super::{claims_near, document_claims, PairTokens, RuleStance, StanceStage, MODEL_SUBDIR};
use crate::doc::{Claim, Document, Sentence, Span, StanceHolder, StanceLabel, Text};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What to train on and where to write.
#[derive(Debug, Clone)]
pub struct StanceTrainConfig {
    /// Gold files of labelled German pairs.
    pub gold: Vec<PathBuf>,
    /// NewsMTSC files (English) trained on besides.
    pub newsmtsc: Vec<PathBuf>,
    /// Gold pairs the temperature and the polar threshold are fitted on (dev).
    pub calibrate: Option<PathBuf>,
    /// The shared data folder the pairs' texts are read from.
    pub data_dir: PathBuf,
    /// lesart's models; the head is written to its `stance/`.
    pub models_dir: PathBuf,
    /// How the head is trained.
    pub head: StanceHeadConfig,
}

/// One gold pair as the head sees it, and what the pipeline would answer without the head.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainingPair {
    /// The gold file it came from.
    pub gold: String,
    /// Gold label index (favor 0, against 1, neutral 2).
    pub label: usize,
    /// Gold holder is a quoted source (`None`: the gold file gives none).
    pub holder_source: Option<bool>,
    /// The system found a stance target on it.
    pub found: bool,
    /// A frame names the target: the rules decide it, not the head.
    pub framed: bool,
    /// The rules' label index.
    pub rule_label: usize,
    /// The rules' holder is a quoted source.
    pub rule_holder_source: bool,
    /// An English NewsMTSC target rather than a German pair.
    #[serde(default)]
    pub newsmtsc: bool,
    /// A candidate labelled no target (`label` is then neutral's and not trained on): what
    /// the head's actor part learns to drop.
    #[serde(default)]
    pub non_target: bool,
    /// The head's input.
    pub features: Vec<f32>,
    /// The sentence's word forms and the tokens the input pools, for tools that fine-tune the
    /// encoder on the pairs (`tools/finetune-stance.py`); absent in older dumps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentence: Option<PairSentence>,
}

/// A pair's sentence as the encoder reads it and where the head's input lies in it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PairSentence {
    /// The sentence's tokens as written.
    pub tokens: Vec<String>,
    /// The target's tokens, `[first, one past last]`.
    pub target: [usize; 2],
    /// The tokens the rules took as evidence.
    pub evidence: Vec<usize>,
}

impl PairSentence {
    fn of(text: &Text, sentence: &Sentence, at: PairTokens) -> PairSentence {
        PairSentence {
            tokens: sentence.tokens.iter().map(|t| text.slice(t.span).to_string()).collect(),
            target: [at.ts, at.te],
            evidence: at.evidence,
        }
    }
}

/// Writes the pairs as JSONL, atomically.
pub fn write_training_pairs(path: &Path, training: &[TrainingPair]) -> Result<()> {
    let mut out = String::new();
    for p in training {
        out.push_str(&serde_json::to_string(p).map_err(|e| Error::io(path, std::io::Error::other(e)))?);
        out.push('\n');
    }
    crate::io::write_atomically(path, out.as_bytes())
}

/// Reads pairs [`write_training_pairs`] wrote.
pub fn read_training_pairs(path: &Path) -> Result<Vec<TrainingPair>> {
    crate::io::gold::read_json_lines(path)
}

/// The pair for one gold target of a sentence: on the system target that overlaps it most,
/// or on the gold span when there is none.
fn pair_on(
    stage: &StanceStage,
    doc: &Document,
    sentence: &crate::doc::Sentence,
    near: &[&Claim],
    target: Span,
) -> Option<(bool, RuleStance)> {
    let found = stage
        .rule_stances(&doc.text, sentence, near, true)
        .into_iter()
        .filter(|r| r.stance.span.overlaps(target) && r.features.is_some())
        .max_by_key(|r| r.stance.span.overlap(target));
    match found {
        Some(r) => Some((true, r)),
        None => stage.rule_stances_on(&doc.text, sentence, near, &[target]).into_iter().find(|r| r.features.is_some()).map(|r| (false, r)),
    }
}

/// The dumped pair for the rules' stance `r` on a target of `sentence`.
fn training_pair(
    gold: &Path,
    label: Option<usize>,
    holder: Option<StanceHolder>,
    found: bool,
    r: RuleStance,
    text: &Text,
    sentence: &Sentence,
) -> Option<TrainingPair> {
    Some(TrainingPair {
        gold: gold.display().to_string(),
        label: label.unwrap_or(StanceLabel::Neutral.index()),
        holder_source: holder.filter(|_| label.is_some()).map(|h| h == StanceHolder::Source),
        found,
        framed: r.signals.framed,
        rule_label: r.stance.label.index(),
        rule_holder_source: r.stance.holder == StanceHolder::Source,
        newsmtsc: holder.is_none(),
        non_target: label.is_none(),
        features: r.features?,
        sentence: Some(PairSentence::of(text, sentence, r.tokens)),
    })
}

/// The training pairs of one gold file: documents analysed by `pipeline_fn`, which must keep
/// the contextual vectors (the pipeline's `keep_vectors`). Returns the number of gold pairs
/// read and the pairs with an input (all but those outside any sentence's tokens). Lines
/// without a label are candidates labelled no target.
pub fn training_pairs(
    pipeline_fn: &(dyn Fn(&str) -> Document + Sync),
    stage: &StanceStage,
    gold: &Path,
    data_dir: &Path,
) -> Result<(usize, Vec<TrainingPair>)> {
    let gd = GoldDocuments::load(pipeline_fn, gold, data_dir, true)?;
    let claims: HashMap<&(String, usize), Vec<Claim>> = gd.docs.iter().map(|(key, doc)| (key, document_claims(doc))).collect();
    let mut out = Vec::new();
    for g in &gd.pairs {
        let key = (g.corpus.clone(), g.doc);
        let (Some(doc), Some(claims)) = (gd.docs.get(&key), claims.get(&key)) else { continue };
        let Some(sentence) = doc.sentences.iter().find(|s| s.span.contains(g.target)) else { continue };
        let near = claims_near(claims, sentence.span);
        // A boilerplate sentence gets no stance in the pipeline: such a pair counts as not found.
        let Some((found, r)) = pair_on(stage, doc, sentence, &near, g.target) else { continue };
        out.extend(training_pair(gold, g.label, Some(g.holder), found && !sentence.boilerplate, r, &doc.text, sentence));
    }
    Ok((gd.pairs.len(), out))
}

/// One NewsMTSC sentence: its text and its targets.
#[derive(Debug, Clone, Deserialize)]
struct NewsMtscLine {
    sentence_normalized: String,
    targets: Vec<NewsMtscTarget>,
}

#[derive(Debug, Clone, Deserialize)]
struct NewsMtscTarget {
    from: usize,
    to: usize,
    polarity: f32,
}

/// NewsMTSC's polarity (2 negative, 4 neutral, 6 positive) as a label index.
fn newsmtsc_label(polarity: f32) -> Option<usize> {
    match polarity.round() as i32 {
        6 => Some(0),
        2 => Some(1),
        4 => Some(2),
        _ => None,
    }
}

/// The pairs of a NewsMTSC file (English sentences with the sentiment toward each person):
/// each sentence analysed by `pipeline_fn`, each target's input computed on its gold span.
/// Returns the number of targets read and the pairs with an input.
pub fn newsmtsc_pairs(
    pipeline_fn: &(dyn Fn(&str) -> Document + Sync),
    stage: &StanceStage,
    gold: &Path,
) -> Result<(usize, Vec<TrainingPair>)> {
    let lines: Vec<NewsMtscLine> = crate::io::gold::read_json_lines(gold)?;
    let targets = lines.iter().map(|l| l.targets.len()).sum();
    let pairs = crate::io::par_map_in_runs(&lines, |line| pairs_of_line(pipeline_fn, stage, gold, line)).into_iter().flatten().collect();
    Ok((targets, pairs))
}

/// The pairs of one NewsMTSC sentence.
fn pairs_of_line(
    pipeline_fn: &(dyn Fn(&str) -> Document + Sync),
    stage: &StanceStage,
    gold: &Path,
    line: &NewsMtscLine,
) -> Vec<TrainingPair> {
    let doc = pipeline_fn(&line.sentence_normalized);
    let claims = document_claims(&doc);
    let mut out = Vec::new();
    for t in &line.targets {
        let (Some(label), Ok(from), Ok(to)) = (newsmtsc_label(t.polarity), u32::try_from(t.from), u32::try_from(t.to)) else {
            continue;
        };
        let span = Span::new(from, to);
        let Some(sentence) =
            doc.sentences.iter().find(|s| s.span.contains(span)).or_else(|| doc.sentences.iter().find(|s| s.span.overlaps(span)))
        else {
            continue;
        };
        let near = claims_near(&claims, sentence.span);
        let r = stage.rule_stances_on(&doc.text, sentence, &near, &[span]).into_iter().find(|r| r.features.is_some());
        out.extend(r.and_then(|r| training_pair(gold, Some(label), None, true, r, &doc.text, sentence)));
    }
    out
}

/// Every pair of `config.gold` and `config.newsmtsc` with the head's input, and the dev pairs
/// of `config.calibrate`: the documents go through `pipeline_fn` (which keeps the vectors)
/// and the rules. Returns the number of gold pairs read, the training pairs and the dev pairs.
pub fn collect_training_pairs(
    pipeline_fn: &(dyn Fn(&str) -> Document + Sync),
    config: &StanceTrainConfig,
) -> Result<(usize, Vec<TrainingPair>, Vec<TrainingPair>)> {
    let stage = StanceStage::load(&config.models_dir, &[])?.without_head();
    let (mut pairs, mut training) = (0, Vec::new());
    for gold in &config.gold {
        let (n, mut found) = training_pairs(pipeline_fn, &stage, gold, &config.data_dir)?;
        pairs += n;
        training.append(&mut found);
    }
    for gold in &config.newsmtsc {
        let (n, mut found) = newsmtsc_pairs(pipeline_fn, &stage, gold)?;
        pairs += n;
        training.append(&mut found);
    }
    let dev = match &config.calibrate {
        Some(gold) => training_pairs(pipeline_fn, &stage, gold, &config.data_dir)?.1,
        None => Vec::new(),
    };
    Ok((pairs, training, dev))
}

/// Scores of a head (or the rules alone) on pairs, counted as `lesart eval stance` counts them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PairScores {
    /// Pairs scored.
    pub pairs: usize,
    /// Favor, against and neutral F1.
    pub f1: [f64; 3],
    /// Favor precision.
    pub favor_precision: f64,
    /// Mean F1 of the three classes.
    pub macro_f1: f64,
    /// Pairs with a gold holder (none in NewsMTSC).
    pub holders: usize,
    /// Share of them whose holder the system got right.
    pub holder_accuracy: f64,
    /// Expected calibration error of the head's probability for the label it gives (10 bins),
    /// over the pairs the head decides.
    pub ece: f64,
    /// Reliability: per bin of that probability (0–0.1, … 0.9–1), pairs, mean probability and
    /// share right.
    pub reliability: Vec<(usize, f64, f64)>,
}

/// The label a pair gets and the head's probability for it: the rules' label where a frame
/// names the target or no head is given, the head's otherwise; `None` when the pipeline gives
/// the pair no stance (the rules found no target, or the head drops it as neutral and likely
/// no actor), which counts as neutral held by the author.
fn decide(head: Option<&StanceHead>, p: &TrainingPair) -> Option<(usize, Option<f32>)> {
    if !p.found {
        return None;
    }
    match head.filter(|_| !p.framed).and_then(|h| h.predict(&p.features).map(|r| (h, r))) {
        Some((h, (label, ..))) if h.drops_target(&p.features, label) => None,
        Some((_, (label, _, probability))) => Some((label.index(), Some(probability))),
        None => Some((p.rule_label, None)),
    }
}

/// Whether the pipeline names a quoted source as the holder of a stance it gives: the head's
/// holder part where it has one, the rules' holder otherwise.
fn decide_holder(head: Option<&StanceHead>, p: &TrainingPair) -> bool {
    head.and_then(|h| h.holder_is_source(&p.features, p.rule_holder_source)).unwrap_or(p.rule_holder_source)
}

/// Scores `head` (the rules alone when `None`) on `pairs`.
pub fn score_pairs(head: Option<&StanceHead>, pairs: &[TrainingPair]) -> PairScores {
    let mut conf = [[0usize; 3]; 3];
    let (mut holders, mut holder_ok) = (0usize, 0usize);
    let mut bins = vec![(0usize, 0f64, 0usize); 10];
    for p in pairs {
        let decision = decide(head, p);
        let (label, prob) = decision.unwrap_or((2, None));
        conf[p.label][label] += 1;
        if let Some(gold) = p.holder_source {
            holders += 1;
            holder_ok += usize::from(gold == (decision.is_some() && decide_holder(head, p)));
        }
        if let Some(prob) = prob {
            let b = &mut bins[((prob * 10.0) as usize).min(9)];
            b.0 += 1;
            b.1 += f64::from(prob);
            b.2 += usize::from(label == p.label);
        }
    }
    let (classes, macro_f1) = super::eval::scores(&conf);
    let decided: usize = bins.iter().map(|b| b.0).sum();
    let ece = bins.iter().filter(|b| b.0 > 0).map(|b| (b.1 / b.0 as f64 - b.2 as f64 / b.0 as f64).abs() * b.0 as f64).sum::<f64>()
        / decided.max(1) as f64;
    PairScores {
        pairs: pairs.len(),
        f1: [classes[0].scores.f1, classes[1].scores.f1, classes[2].scores.f1],
        favor_precision: classes[0].scores.precision,
        macro_f1,
        holders,
        holder_accuracy: holder_ok as f64 / holders.max(1) as f64,
        ece,
        reliability: bins.iter().map(|b| (b.0, b.1 / b.0.max(1) as f64, b.2 as f64 / b.0.max(1) as f64)).collect(),
    }
}

/// Fits the head's temperature on the dev pairs the head decides, then chooses the polar
/// threshold (0, i.e. the most probable class, or 0.30, 0.325, … 0.90) with the best dev
/// macro-F1.
pub fn calibrate(head: &mut StanceHead, dev: &[TrainingPair]) {
    let decided: Vec<&TrainingPair> = dev.iter().filter(|p| p.found && !p.framed).collect();
    let rows: Vec<&[f32]> = decided.iter().map(|p| p.features.as_slice()).collect();
    let labels: Vec<usize> = decided.iter().map(|p| p.label).collect();
    head.fit_temperature(&rows, &labels);
    let mut best = (f64::NEG_INFINITY, 0.0);
    for t in std::iter::once(0.0).chain((0..=24).map(|k| 0.30 + 0.025 * k as f32)) {
        head.set_polar_threshold(t);
        let f1 = score_pairs(Some(head), dev).macro_f1;
        if f1 > best.0 + 1e-9 {
            best = (f1, t);
        }
    }
    head.set_polar_threshold(best.1);
}

/// What [`fit_head`] did.
#[derive(Debug, Clone, Serialize)]
pub struct StanceTrainReport {
    /// Gold pairs read.
    pub pairs: usize,
    /// Pairs trained on.
    pub trained_on: usize,
    /// Non-targets the actor part was fitted to (0: no actor part).
    pub non_targets: usize,
    /// Training pairs per class: favor, against, neutral.
    pub per_class: [usize; 3],
    /// Training accuracy of the fitted head (before calibration).
    pub training_accuracy: f64,
    /// Temperature and polar threshold fitted on dev (1 and 0 without dev pairs).
    pub calibration: (f32, f32),
    /// Scores on the dev pairs, after calibration.
    pub dev: Option<PairScores>,
    /// Where the head was written (nothing when not asked to write).
    pub head: Option<PathBuf>,
    /// Its size in bytes.
    pub bytes: usize,
}

/// Fits the head to the training pairs, calibrates it on `dev` (when there are dev pairs) and
/// writes it to `head_path` when given.
pub fn fit_head(
    pairs: usize,
    training: &[TrainingPair],
    dev: &[TrainingPair],
    config: &StanceHeadConfig,
    head_path: Option<&Path>,
) -> Result<(StanceHead, StanceTrainReport)> {
    let (non_targets, training): (Vec<&TrainingPair>, Vec<&TrainingPair>) = training.iter().partition(|p| p.non_target);
    let rows: Vec<Vec<f32>> = training.iter().map(|p| p.features.clone()).collect();
    let labels: Vec<usize> = training.iter().map(|p| p.label).collect();
    let mut head: StanceHead = train_stance_head(&rows, &labels, config)?;
    let mut per_class = [0usize; 3];
    labels.iter().for_each(|&l| per_class[l] += 1);
    let correct = rows.iter().zip(&labels).filter(|(x, &l)| head.predict(x).is_some_and(|(label, ..)| label.index() == l)).count();
    let with_holder: Vec<&TrainingPair> =
        if config.holder { training.iter().copied().filter(|p| p.holder_source.is_some()).collect() } else { Vec::new() };
    if !with_holder.is_empty() {
        let rows: Vec<&[f32]> = with_holder.iter().map(|p| p.features.as_slice()).collect();
        let rules: Vec<bool> = with_holder.iter().map(|p| p.rule_holder_source).collect();
        let gold: Vec<bool> = with_holder.iter().map(|p| p.holder_source == Some(true)).collect();
        head.fit_holder(&rows, &rules, &gold, config)?;
    }
    // The actor part reads what the pipeline proposes: targets the rules found, German ones.
    let proposed = |p: &&&TrainingPair| p.found && !p.newsmtsc;
    let others: Vec<&[f32]> = non_targets.iter().filter(proposed).map(|p| p.features.as_slice()).collect();
    let fit_actor = config.actor_threshold > 0.0 && !others.is_empty();
    if fit_actor {
        let actors: Vec<&[f32]> = training.iter().filter(proposed).map(|p| p.features.as_slice()).collect();
        head.fit_actor(&actors, &others, config.actor_threshold, config)?;
    }
    if !dev.is_empty() {
        calibrate(&mut head, dev);
    }
    let mut bytes = 0;
    if let Some(path) = head_path {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        bytes = head.save(path)?;
    }
    let report = StanceTrainReport {
        pairs,
        trained_on: training.len(),
        non_targets: if fit_actor { others.len() } else { 0 },
        per_class,
        training_accuracy: correct as f64 / training.len().max(1) as f64,
        calibration: head.calibration(),
        dev: (!dev.is_empty()).then(|| score_pairs(Some(&head), dev)),
        head: head_path.map(Path::to_path_buf),
        bytes,
    };
    Ok((head, report))
}

/// Collects the training and dev pairs, fits and calibrates the head and writes it to
/// `models_dir/stance/head.bin`.
pub fn train_stance(pipeline_fn: &(dyn Fn(&str) -> Document + Sync), config: &StanceTrainConfig) -> Result<StanceTrainReport> {
    let (pairs, training, dev) = collect_training_pairs(pipeline_fn, config)?;
    let head_path = config.models_dir.join(MODEL_SUBDIR).join(HEAD_FILE);
    Ok(fit_head(pairs, &training, &dev, &config.head, Some(&head_path))?.1)
}

/// A head fitted to pairs read back from dumps, for the comparisons of the measurements.
#[derive(Debug, Clone)]
pub struct DumpTrainConfig {
    /// Dumps of training pairs (German and NewsMTSC).
    pub from: Vec<PathBuf>,
    /// Train on the first N German pairs only (in an order shuffled with `seed`).
    pub german_limit: Option<usize>,
    /// Train on the NewsMTSC pairs of the dumps too.
    pub newsmtsc: bool,
    /// Give the head the rules' signals and evidence, and let frames decide (`false`: the
    /// head reads the vectors of the target, its context and the sentence alone).
    pub rules: bool,
    /// The dump of dev pairs to calibrate on.
    pub calibrate: Option<PathBuf>,
    /// Dumps to score the head on.
    pub score: Vec<PathBuf>,
    /// Where to write the head (nothing written when `None`).
    pub head_out: Option<PathBuf>,
    /// Shuffle seed for `german_limit`.
    pub seed: u64,
    /// How the head is fitted.
    pub head: StanceHeadConfig,
}

/// What [`train_from_dumps`] did: the training report and the scores on each dump asked for.
#[derive(Debug, Clone, Serialize)]
pub struct DumpTrainReport {
    /// The fitted head.
    pub train: StanceTrainReport,
    /// Per scored dump: its path and the scores.
    pub scores: Vec<(String, PairScores)>,
}

/// Takes the rules out of a pair: their signals and evidence vector become zero (constant
/// inputs, which the standardisation turns into nothing) and frames no longer decide.
fn without_rules(mut p: TrainingPair) -> TrainingPair {
    let dim = (p.features.len().saturating_sub(super::RuleSignals::LEN)) / 4;
    p.features[3 * dim..].iter_mut().for_each(|v| *v = 0.0);
    p.framed = false;
    p
}

/// Fits a head to pairs read from dumps, as `config` says, and scores it.
pub fn train_from_dumps(config: &DumpTrainConfig) -> Result<DumpTrainReport> {
    let prepare = |pairs: Vec<TrainingPair>| -> Vec<TrainingPair> {
        if config.rules {
            pairs
        } else {
            pairs.into_iter().map(without_rules).collect()
        }
    };
    let (mut german, mut english, mut non_targets) = (Vec::new(), Vec::new(), Vec::new());
    for path in &config.from {
        for p in read_training_pairs(path)? {
            match (p.non_target, p.newsmtsc) {
                (true, _) => non_targets.push(p),
                (false, true) => english.push(p),
                (false, false) => german.push(p),
            }
        }
    }
    if let Some(n) = config.german_limit {
        crate::ner::train::Rng::new(config.seed).shuffle(&mut german);
        german.truncate(n);
    }
    let pairs = german.len() + if config.newsmtsc { english.len() } else { 0 };
    let mut training = german;
    if config.newsmtsc {
        training.append(&mut english);
    }
    training.append(&mut non_targets);
    let training = prepare(training);
    let dev = match &config.calibrate {
        Some(path) => prepare(read_training_pairs(path)?),
        None => Vec::new(),
    };
    let (head, train) = fit_head(pairs, &training, &dev, &config.head, config.head_out.as_deref())?;
    let mut scores = Vec::new();
    for path in &config.score {
        let pairs = prepare(read_training_pairs(path)?);
        scores.push((path.display().to_string(), score_pairs(Some(&head), &pairs)));
    }
    Ok(DumpTrainReport { train, scores })
}

impl std::fmt::Display for PairScores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "stance: {} pairs", self.pairs)?;
        writeln!(
            f,
            "F1 favor {:.3}, against {:.3}, neutral {:.3}; favor precision {:.3}",
            self.f1[0], self.f1[1], self.f1[2], self.favor_precision
        )?;
        writeln!(f, "macro-F1 {:.3}", self.macro_f1)?;
        if self.holders > 0 {
            writeln!(f, "holder accuracy {:.3}", self.holder_accuracy)?;
        }
        write!(f, "expected calibration error {:.3} (10 bins of the head's probability for its label)", self.ece)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(label: usize, found: bool, framed: bool, rule_label: usize) -> TrainingPair {
        TrainingPair {
            gold: "test".into(),
            label,
            holder_source: Some(false),
            found,
            framed,
            rule_label,
            rule_holder_source: false,
            newsmtsc: false,
            non_target: false,
            features: vec![0.0],
            sentence: None,
        }
    }

    #[test]
    fn non_targets_teach_the_actor_part_not_the_labels() {
        // Feature 0 tells labelled pairs (actors, labels by feature 1) from non-targets.
        let mut training = Vec::new();
        for i in 0..90 {
            let mut p = pair(i % 3, true, false, 2);
            p.features = vec![1.0, (i % 3) as f32];
            training.push(p);
            let mut q = pair(2, true, false, 2);
            (q.non_target, q.holder_source, q.features) = (true, None, vec![-1.0, 2.0]);
            training.push(q);
        }
        let config = StanceHeadConfig { steps: 300, learning_rate: 0.1, l2: 0.0, ..Default::default() };
        let (head, report) = fit_head(180, &training, &[], &config, None).expect("fits");
        assert_eq!((report.trained_on, report.non_targets, report.per_class), (90, 90, [30, 30, 30]));
        let (actor, other) = (&training[4], &training[1]);
        assert!(head.actor_probability(&actor.features).expect("has a part") > 0.9);
        assert!(head.actor_probability(&other.features).expect("has a part") < 0.1);
        // The non-target is dropped and counts as no target: neutral, held by the author.
        assert!(decide(Some(&head), actor).is_some() && decide(Some(&head), other).is_none());
        let mut quoted = other.clone();
        (quoted.holder_source, quoted.rule_holder_source) = (Some(true), true);
        assert_eq!(score_pairs(Some(&head), &[quoted]).holder_accuracy, 0.0);
        let without = fit_head(180, &training, &[], &StanceHeadConfig { actor_threshold: 0.0, ..config }, None).expect("fits");
        assert_eq!(without.1.non_targets, 0);
        assert!(without.0.actor_probability(&other.features).is_none());
    }

    #[test]
    fn pairs_are_counted_as_the_evaluation_counts_them() {
        // Without a head the rules decide; a pair whose target was not found counts as neutral.
        let pairs = [pair(0, true, false, 0), pair(1, true, true, 1), pair(1, false, false, 1), pair(2, true, false, 2)];
        let s = score_pairs(None, &pairs);
        assert_eq!(s.pairs, 4);
        assert!((s.f1[0] - 1.0).abs() < 1e-9 && (s.f1[1] - 2.0 / 3.0).abs() < 1e-9, "{:?}", s.f1);
        assert!((s.f1[2] - 2.0 / 3.0).abs() < 1e-9, "{:?}", s.f1);
        assert!((s.holder_accuracy - 1.0).abs() < 1e-9);
        assert_eq!(s.ece, 0.0, "no head, no probabilities");
    }

    #[test]
    fn taking_the_rules_out_zeroes_their_inputs() {
        let dim = 2;
        let mut p = pair(0, true, true, 0);
        p.features = (0..4 * dim + crate::stance::RuleSignals::LEN).map(|i| i as f32 + 1.0).collect();
        let q = without_rules(p);
        assert!(!q.framed);
        assert!(q.features[..3 * dim].iter().all(|&v| v > 0.0), "the target, context and sentence stay");
        assert!(q.features[3 * dim..].iter().all(|&v| v == 0.0), "evidence and signals go");
    }

    #[test]
    fn newsmtsc_polarities_map_to_labels() {
        assert_eq!(newsmtsc_label(6.0), Some(0));
        assert_eq!(newsmtsc_label(2.0), Some(1));
        assert_eq!(newsmtsc_label(4.0), Some(2));
        assert_eq!(newsmtsc_label(5.0), None);
    }
}
