//! Evaluation of the stance stage against a gold file of (sentence, target) pairs.

use crate::doc::{Document, Span, StanceHolder, StanceLabel};
use crate::error::{Error, Result};
use crate::io::Scores;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

/// Precision, recall and F1 of one class (its gold count is the class's support).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ClassScores {
    /// The class.
    pub label: String,
    /// The scores with their counts.
    #[serde(flatten)]
    pub scores: Scores,
}

/// The result of [`eval_stance`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StanceReport {
    /// Gold pairs evaluated.
    pub pairs: usize,
    /// Per class, in the order favor, against, neutral.
    pub classes: Vec<ClassScores>,
    /// Mean F1 over the three classes.
    pub macro_f1: f64,
    /// Macro-F1 of always answering the most frequent gold class.
    pub baseline_macro_f1: f64,
    /// The most frequent gold class.
    pub majority: String,
    /// `confusion[gold][system]`, rows and columns in the order favor, against, neutral.
    pub confusion: [[usize; 3]; 3],
    /// Share of pairs whose holder (author or source) the system got right.
    pub holder_accuracy: f64,
    /// Gold pairs with no system stance on the target (counted as neutral).
    pub unmatched: usize,
    /// The first wrongly labelled pairs, as many as asked for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<StanceError>,
}

/// A pair the system labelled wrongly.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StanceError {
    /// The target's text.
    pub target: String,
    /// The sentence's text.
    pub sentence: String,
    /// The gold label.
    pub gold: String,
    /// The system's label.
    pub system: String,
    /// The system's score.
    pub score: f32,
    /// The words the system took as evidence.
    pub evidence: Vec<String>,
}

/// Per-class scores and macro-F1 of a confusion matrix (`conf[gold][system]`).
pub(crate) fn scores(conf: &[[usize; 3]; 3]) -> (Vec<ClassScores>, f64) {
    let classes: Vec<ClassScores> = StanceLabel::ALL
        .iter()
        .enumerate()
        .map(|(c, label)| {
            let predicted: usize = (0..3).map(|g| conf[g][c]).sum();
            let gold: usize = conf[c].iter().sum();
            ClassScores { label: label.name().into(), scores: Scores::from_counts(conf[c][c] as u64, predicted as u64, gold as u64) }
        })
        .collect();
    let macro_f1 = Scores::macro_average(classes.iter().map(|c| &c.scores)).f1;
    (classes, macro_f1)
}

/// One gold pair.
#[derive(Debug, Clone)]
pub(crate) struct Gold {
    pub(crate) corpus: String,
    pub(crate) doc: usize,
    pub(crate) target: Span,
    /// Index into [`StanceLabel::ALL`]; `None` for a candidate labelled no target (a line
    /// without a label, `tests/data/stance-nontargets.jsonl`), read by training only.
    pub(crate) label: Option<usize>,
    pub(crate) holder: StanceHolder,
}

fn parse_gold(text: &str, path: &Path, unlabelled: bool) -> Result<Vec<Gold>> {
    let bad = |line: usize, reason: String| Error::BadLine { path: path.to_path_buf(), line, reason };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| bad(i + 1, e.to_string()))?;
        let pair = |k: &str| -> Result<Span> {
            let a = v[k].as_array().filter(|a| a.len() == 2).ok_or_else(|| bad(i + 1, format!("{k} is not [start, end]")))?;
            let s = a[0].as_u64().ok_or_else(|| bad(i + 1, format!("{k} start")))?;
            let e = a[1].as_u64().ok_or_else(|| bad(i + 1, format!("{k} end")))?;
            if s > e || e > u64::from(u32::MAX) {
                return Err(bad(i + 1, format!("{k} is reversed")));
            }
            Ok(Span::new(s as u32, e as u32))
        };
        let label = match StanceLabel::ALL.iter().find(|l| v["label"].as_str() == Some(l.name())) {
            Some(l) => Some(l.index()),
            None if unlabelled && v.get("label").is_none() => None,
            None => return Err(bad(i + 1, format!("unknown label {:?}", v["label"].as_str()))),
        };
        let holder = match v["holder"].as_str() {
            Some("source") => StanceHolder::Source,
            _ => StanceHolder::Author,
        };
        out.push(Gold {
            corpus: v["corpus"].as_str().ok_or_else(|| bad(i + 1, "no corpus".into()))?.to_string(),
            doc: v["doc"].as_u64().ok_or_else(|| bad(i + 1, "no doc index".into()))? as usize,
            target: pair("target")?,
            label,
            holder,
        });
    }
    Ok(out)
}

/// Document texts of a corpus file, one document each: a JSONL file's `text` fields, the
/// GNAD CSV's second column (`;`, `'`), a CheckThat! TSV's `sentence` column (tab-separated
/// with a header, `"` quoting), or each sentence of a two-column `token TAG` file (GermEval's
/// `train.bio.tsv`, LER's `.conll`) rebuilt from its tokens by [`crate::io::gold::detokenize`].
pub fn corpus_documents(path: &Path) -> Result<Vec<String>> {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match extension {
        "csv" => delimited_column(path, b';', b'\'', false, 1),
        "tsv" if first_line(path)?.starts_with("sentence_id\tsentence") => delimited_column(path, b'\t', b'"', true, 1),
        "tsv" | "conll" => Ok(crate::ner::eval::read_gold(path, crate::ner::eval::GoldFormat::Conll)?
            .iter()
            .map(|s| crate::io::gold::detokenize(&s.tokens))
            .collect()),
        _ => json_texts(path),
    }
}

/// The `text` field of every line of a JSON Lines file.
fn json_texts(path: &Path) -> Result<Vec<String>> {
    let bad = |line: usize, e: serde_json::Error| Error::BadLine { path: path.to_path_buf(), line, reason: e.to_string() };
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            let v: serde_json::Value = serde_json::from_str(l).map_err(|e| bad(i + 1, e))?;
            Ok(v["text"].as_str().unwrap_or("").to_string())
        })
        .collect()
}

/// The first line of a file (empty for an empty file).
fn first_line(path: &Path) -> Result<String> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut line = String::new();
    std::io::BufReader::new(file).read_line(&mut line).map_err(|e| Error::io(path, e))?;
    Ok(line)
}

/// Column `column` of every record of a delimited file, one document each.
fn delimited_column(path: &Path, delimiter: u8, quote: u8, has_headers: bool, column: usize) -> Result<Vec<String>> {
    let mut rd = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .quote(quote)
        .has_headers(has_headers)
        .flexible(true)
        .from_path(path)
        .map_err(|e| Error::io(path, std::io::Error::other(e.to_string())))?;
    let mut out = Vec::new();
    for (i, rec) in rd.records().enumerate() {
        let rec =
            rec.map_err(|e| Error::BadLine { path: path.to_path_buf(), line: i + 1 + usize::from(has_headers), reason: e.to_string() })?;
        out.push(rec.get(column).unwrap_or("").to_string());
    }
    Ok(out)
}

/// A gold file's pairs and the analysed documents they name.
pub(crate) struct GoldDocuments {
    pub(crate) pairs: Vec<Gold>,
    pub(crate) docs: HashMap<(String, usize), Document>,
}

impl GoldDocuments {
    /// Reads the gold pairs and runs `pipeline_fn` on every document they name (texts from
    /// `data_dir`), on all workers. With `unlabelled`, a line without a label is a candidate
    /// labelled no target; otherwise it is an error.
    pub(crate) fn load(
        pipeline_fn: &(dyn Fn(&str) -> Document + Sync),
        gold: &Path,
        data_dir: &Path,
        unlabelled: bool,
    ) -> Result<GoldDocuments> {
        let text = std::fs::read_to_string(gold).map_err(|e| Error::io(gold, e))?;
        let pairs = parse_gold(&text, gold, unlabelled)?;
        let docs = analyse_documents(pipeline_fn, pairs.iter().map(|g| (g.corpus.clone(), g.doc)), gold, data_dir)?;
        Ok(GoldDocuments { pairs, docs })
    }
}

/// Runs `pipeline_fn`, on all workers, on each document a gold file names (corpus and index,
/// each once; texts from `data_dir`); a document the corpus lacks is an error naming `gold`.
fn analyse_documents(
    pipeline_fn: &(dyn Fn(&str) -> Document + Sync),
    keys: impl Iterator<Item = (String, usize)>,
    gold: &Path,
    data_dir: &Path,
) -> Result<HashMap<(String, usize), Document>> {
    let keys: std::collections::BTreeSet<(String, usize)> = keys.collect();
    let mut corpora: HashMap<&str, Vec<String>> = HashMap::new();
    for (corpus, _) in &keys {
        if !corpora.contains_key(corpus.as_str()) {
            corpora.insert(corpus, corpus_documents(&data_dir.join(corpus))?);
        }
    }
    let mut wanted: Vec<(&(String, usize), &str)> = Vec::with_capacity(keys.len());
    for key in &keys {
        let (corpus, doc) = key;
        let text =
            corpora[corpus.as_str()].get(*doc).ok_or_else(|| Error::Usage(format!("{}: no document {doc} in {corpus}", gold.display())))?;
        wanted.push((key, text));
    }
    let docs = crate::io::par_map_in_runs(&wanted, |(_, text)| pipeline_fn(text));
    Ok(wanted.into_iter().map(|(key, _)| key.clone()).zip(docs).collect())
}

/// Runs `pipeline_fn` on every document the gold file names (texts from `data_dir`) and
/// compares the stance on each gold target: the system stance whose span overlaps the target
/// most, neutral when there is none.
///
/// The first `show_errors` wrongly labelled pairs are listed in the report.
pub fn eval_stance(
    pipeline_fn: &(dyn Fn(&str) -> Document + Sync),
    gold: &Path,
    data_dir: &Path,
    show_errors: usize,
) -> Result<StanceReport> {
    let GoldDocuments { pairs, docs } = GoldDocuments::load(pipeline_fn, gold, data_dir, false)?;
    let mut conf = [[0usize; 3]; 3];
    let (mut holder_ok, mut unmatched) = (0usize, 0usize);
    let mut errors = Vec::new();
    for g in &pairs {
        let key = (g.corpus.clone(), g.doc);
        let (Some(doc), Some(gold_label)) = (docs.get(&key), g.label) else { continue };
        let sys =
            doc.sentences.iter().flat_map(|s| &s.stance).filter(|st| st.span.overlaps(g.target)).max_by_key(|st| st.span.overlap(g.target));
        let (label, holder) = match sys {
            Some(st) => (st.label.index(), st.holder),
            None => {
                unmatched += 1;
                (2, StanceHolder::Author)
            }
        };
        conf[gold_label][label] += 1;
        if label != gold_label && errors.len() < show_errors {
            let sentence = doc.sentences.iter().find(|s| s.span.contains(g.target)).map_or(g.target, |s| s.span);
            errors.push(StanceError {
                target: doc.text_of(g.target).to_string(),
                sentence: doc.text_of(sentence).to_string(),
                gold: StanceLabel::ALL[gold_label].name().into(),
                system: StanceLabel::ALL[label].name().into(),
                score: sys.map_or(0.0, |st| st.score),
                evidence: sys.map(|st| st.evidence.iter().map(|e| doc.text_of(*e).to_string()).collect()).unwrap_or_default(),
            });
        }
        holder_ok += usize::from(holder == g.holder);
    }
    let (classes, macro_f1) = scores(&conf);
    let support: Vec<usize> = (0..3).map(|c| conf[c].iter().sum()).collect();
    let maj = (0..3).max_by_key(|&c| (support[c], 3 - c)).unwrap_or(2);
    let mut base = [[0usize; 3]; 3];
    for c in 0..3 {
        base[c][maj] = support[c];
    }
    let (_, baseline_macro_f1) = scores(&base);
    Ok(StanceReport {
        pairs: pairs.len(),
        classes,
        macro_f1,
        baseline_macro_f1,
        majority: StanceLabel::ALL[maj].name().into(),
        confusion: conf,
        holder_accuracy: holder_ok as f64 / pairs.len().max(1) as f64,
        unmatched,
        errors,
    })
}

impl fmt::Display for StanceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "stance: {} pairs ({} without a system stance)", self.pairs, self.unmatched)?;
        writeln!(f, "{:<8} {:>6} {:>6} {:>6} {:>7}", "class", "P", "R", "F1", "support")?;
        for c in &self.classes {
            let (s, support) = (&c.scores, c.scores.counts.map_or(0, |n| n.gold));
            writeln!(f, "{:<8} {:>6.3} {:>6.3} {:>6.3} {:>7}", c.label, s.precision, s.recall, s.f1, support)?;
        }
        writeln!(f, "macro-F1 {:.3} (majority baseline '{}': {:.3})", self.macro_f1, self.majority, self.baseline_macro_f1)?;
        writeln!(f, "confusion (rows gold, columns system: favor against neutral)")?;
        for (c, row) in self.confusion.iter().enumerate() {
            writeln!(f, "{:<8} {:>6} {:>6} {:>6}", StanceLabel::ALL[c].name(), row[0], row[1], row[2])?;
        }
        write!(f, "holder accuracy {:.3}", self.holder_accuracy)?;
        for e in &self.errors {
            let evidence = if e.evidence.is_empty() { "none".to_string() } else { e.evidence.join(", ") };
            write!(
                f,
                "\n\n{} → gold {}, system {} ({:+.2}; evidence: {evidence})\n  {}",
                e.target,
                e.gold,
                e.system,
                e.score,
                e.sentence.split_whitespace().collect::<Vec<_>>().join(" ")
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macro_f1_of_a_perfect_and_a_majority_answer() {
        let (_, perfect) = scores(&[[2, 0, 0], [0, 3, 0], [0, 0, 5]]);
        assert!((perfect - 1.0).abs() < 1e-9);
        let (_, maj) = scores(&[[0, 0, 2], [0, 0, 3], [0, 0, 5]]);
        assert!((maj - (2.0 / 3.0) / 3.0).abs() < 1e-9);
    }

    #[test]
    fn sentence_corpora_give_one_document_per_sentence() {
        let dir = tempfile::tempdir().expect("temp dir");
        let tsv = dir.path().join("train_de.tsv");
        std::fs::write(&tsv, "sentence_id\tsentence\tlabel\na1\t\"Sie nannte es \"\"klug\"\".\"\tSUBJ\nb2\tDer Rat tagte.\tOBJ\n")
            .expect("write");
        assert_eq!(corpus_documents(&tsv).expect("checkthat"), ["Sie nannte es \"klug\".", "Der Rat tagte."]);
        let bio = dir.path().join("train.bio.tsv");
        std::fs::write(&bio, "Merkel\tB-PER\nlobte\tO\n(\tO\nkurz\tO\n)\tO\n.\tO\n\nDie\tO\nSPD\tB-ORG\n").expect("write");
        assert_eq!(corpus_documents(&bio).expect("bio"), ["Merkel lobte (kurz).", "Die SPD"]);
        std::fs::write(&bio, "Merkel\tX-PER\n").expect("write");
        let err = corpus_documents(&bio).expect_err("bad tag");
        assert!(err.to_string().contains("train.bio.tsv"), "{err}");
    }
}

/// Target precision and recall ([`eval_targets`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TargetReport {
    /// Articles read.
    pub articles: usize,
    /// Labelled candidate targets, and how many of them are actors.
    pub labelled: usize,
    /// See `labelled`.
    pub actors: usize,
    /// Share of the labelled candidates that are actors: the precision of taking every entity.
    pub every_entity_precision: f64,
    /// Targets the stage proposes now (among the labelled candidates), and how many are actors.
    pub proposed: usize,
    /// See `proposed`.
    pub proposed_actors: usize,
    /// Precision and recall of the proposed targets.
    #[serde(flatten)]
    pub scores: Scores,
    /// Proposed targets that are not among the labelled candidates (not scored).
    pub unlabelled: usize,
}

impl fmt::Display for TargetReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "stance targets: {} labelled candidates in {} articles, {} of them actors", self.labelled, self.articles, self.actors)?;
        writeln!(f, "every entity a target: precision {:.3}", self.every_entity_precision)?;
        write!(
            f,
            "proposed {} ({} actors): precision {:.3}, recall {:.3} ({} proposed targets not labelled)",
            self.proposed, self.proposed_actors, self.scores.precision, self.scores.recall, self.unlabelled
        )
    }
}

/// Scores which stance targets the pipeline proposes against candidates labelled actor or not
/// (`tests/data/stance-targets-dev.jsonl`: every entity of some dev articles;
/// `tests/data/stance-targets-heldout.jsonl`: every target lesart proposed in some held-out
/// articles before the head's actor part; each labelled by the guidelines' "Target" rules).
pub fn eval_targets(pipeline_fn: &(dyn Fn(&str) -> Document + Sync), gold: &Path, data_dir: &Path) -> Result<TargetReport> {
    #[derive(serde::Deserialize)]
    struct Candidate {
        corpus: String,
        doc: usize,
        target: [u32; 2],
        actor: bool,
    }
    let candidates: Vec<Candidate> = crate::io::gold::read_json_lines(gold)?;
    let mut labels: HashMap<(String, usize), HashMap<(u32, u32), bool>> = HashMap::new();
    for c in &candidates {
        labels.entry((c.corpus.clone(), c.doc)).or_default().insert((c.target[0], c.target[1]), c.actor);
    }
    let docs = analyse_documents(pipeline_fn, labels.keys().cloned(), gold, data_dir)?;
    let (mut proposed, mut proposed_actors, mut unlabelled) = (0usize, 0usize, 0usize);
    for (key, doc) in &docs {
        let known = &labels[key];
        for st in doc.sentences.iter().flat_map(|s| &s.stance) {
            match known.get(&(st.span.start, st.span.end)) {
                Some(&actor) => {
                    proposed += 1;
                    proposed_actors += usize::from(actor);
                }
                None => unlabelled += 1,
            }
        }
    }
    let actors = candidates.iter().filter(|c| c.actor).count();
    Ok(TargetReport {
        articles: docs.len(),
        labelled: candidates.len(),
        actors,
        every_entity_precision: actors as f64 / candidates.len().max(1) as f64,
        proposed,
        proposed_actors,
        scores: Scores::from_counts(proposed_actors as u64, proposed as u64, actors as u64),
        unlabelled,
    })
}
