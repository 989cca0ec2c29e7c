//! Strict span evaluation against gold files, and the gold readers training shares.
//!
//! A predicted entity counts only when its first token, last token and type equal a gold
//! entity's (outer level). Derived forms and parts (*russische*, *EU-weit*) are left out of
//! both gold and prediction by default; with `with_derived` they count as separate types
//! `PERderiv`, `LOCderiv`, `ORGderiv`, `MISCderiv` (GermEval's `deriv` and `part` alike).

use super::{Ner, SentenceStage};
use crate::doc::{EntityLabel, Pos};
use crate::error::{Error, Result};
use crate::io::metrics::{Counts, Scores};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Layout of a gold file (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum GoldFormat {
    /// GermEval 2014: `idx token outer inner`, `#` comment lines.
    Germeval,
    /// Two columns `token TAG` (GermEval's `train.bio.tsv`, LER).
    Conll,
    /// Three columns `idx token TAG` (WikiANN's files, named .conllu though they are not
    /// CoNLL-U).
    Conllu,
}

/// One gold entity in token indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GoldEntity {
    /// First token.
    pub start: usize,
    /// One past the last token.
    pub end: usize,
    /// Type.
    pub label: EntityLabel,
    /// Derived form or part.
    pub derived: bool,
}

/// One gold sentence.
#[derive(Debug, Clone, Default)]
pub struct GoldSentence {
    /// Token forms.
    pub tokens: Vec<String>,
    /// Outer-level entities.
    pub entities: Vec<GoldEntity>,
}

/// Maps a corpus type (GermEval, WikiANN, LER) to a label and the derived flag.
fn map_type(t: &str) -> Option<(EntityLabel, bool)> {
    let (base, derived) = match t.strip_suffix("deriv").or_else(|| t.strip_suffix("part")) {
        Some(b) => (b, true),
        None => (t, false),
    };
    let label = match base {
        "PER" | "RR" | "AN" => EntityLabel::PER,
        "LOC" | "LD" | "ST" | "STR" | "LDS" => EntityLabel::LOC,
        "ORG" | "UN" | "INN" | "GRT" | "MRK" => EntityLabel::ORG,
        "OTH" | "MISC" | "GS" | "VO" | "EUN" | "VS" | "VT" | "RS" | "LIT" => EntityLabel::MISC,
        _ => return None,
    };
    Some((label, derived))
}

/// Reads a gold file into sentences with entities decoded from BIO tags (an I- tag that
/// does not continue an entity of its type starts one, as conlleval does).
pub fn read_gold(path: &Path, format: GoldFormat) -> Result<Vec<GoldSentence>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let bad = |line: usize, reason: String| Error::BadLine { path: path.to_path_buf(), line, reason };
    let mut out = Vec::new();
    let mut cur = GoldSentence::default();
    let mut open: Option<(EntityLabel, bool)> = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !cur.tokens.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            open = None;
            continue;
        }
        if format == GoldFormat::Germeval && line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = if format == GoldFormat::Germeval { line.split('\t').collect() } else { line.split_whitespace().collect() };
        let (token, tag) = match format {
            GoldFormat::Germeval if fields.len() >= 3 => (fields[1], fields[2]),
            GoldFormat::Conll if fields.len() >= 2 => (fields[0], fields[fields.len() - 1]),
            GoldFormat::Conllu if fields.len() >= 3 => (fields[1], fields[fields.len() - 1]),
            _ => return Err(bad(n + 1, format!("expected the columns of the {format:?} format"))),
        };
        let i = cur.tokens.len();
        cur.tokens.push(token.to_string());
        if tag == "O" {
            open = None;
            continue;
        }
        let (bio, ty) = tag.split_once('-').ok_or_else(|| bad(n + 1, format!("tag {tag:?} is not O, B-X or I-X")))?;
        let (label, derived) = map_type(ty).ok_or_else(|| bad(n + 1, format!("unknown entity type {ty:?}")))?;
        match bio {
            "I" if open == Some((label, derived)) => {
                if let Some(e) = cur.entities.last_mut() {
                    e.end = i + 1;
                }
            }
            "B" | "I" => {
                cur.entities.push(GoldEntity { start: i, end: i + 1, label, derived });
                open = Some((label, derived));
            }
            _ => return Err(bad(n + 1, format!("tag {tag:?} is not O, B-X or I-X"))),
        }
    }
    if !cur.tokens.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

/// The scores of one type.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TypeScore {
    /// `PER`, `LOC`, `ORG`, `MISC` (or `…deriv`), or `micro`.
    pub label: String,
    /// Strict-span scores with their counts (`correct`: predicted entities that match a gold
    /// one exactly).
    #[serde(flatten)]
    pub scores: Scores,
}

/// Result of [`eval_file`].
#[derive(Debug, Clone, Serialize)]
pub struct NerReport {
    /// The gold file.
    pub gold: PathBuf,
    /// Sentences read.
    pub sentences: usize,
    /// Tokens read.
    pub tokens: usize,
    /// Whether derived forms were scored as their own types.
    pub with_derived: bool,
    /// Per type, in label order.
    pub types: Vec<TypeScore>,
    /// Micro average over the types.
    pub micro: TypeScore,
    /// The model that tagged (`fast` or `accurate`).
    pub model: &'static str,
    /// Worker threads that tagged.
    pub threads: usize,
    /// Tokens tagged per second of wall time on all threads (morphology not counted).
    pub tokens_per_second: f64,
}

impl fmt::Display for NerReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "NER ({} model) on {} ({} sentences, {} tokens), strict outer spans",
            self.model,
            self.gold.display(),
            self.sentences,
            self.tokens
        )?;
        writeln!(f, "{:<10} {:>6} {:>6} {:>6} {:>9} {:>7} {:>7}", "type", "gold", "pred", "ok", "precision", "recall", "F1")?;
        for t in self.types.iter().chain(std::iter::once(&self.micro)) {
            let (s, c) = (&t.scores, t.scores.counts.unwrap_or_default());
            writeln!(
                f,
                "{:<10} {:>6} {:>6} {:>6} {:>9.4} {:>7.4} {:>7.4}",
                t.label, c.gold, c.predicted, c.correct, s.precision, s.recall, s.f1
            )?;
        }
        write!(f, "{:.0} tokens/s on {} threads", self.tokens_per_second, self.threads)
    }
}

fn type_name(label: EntityLabel, derived: bool) -> String {
    format!("{label:?}{}", if derived { "deriv" } else { "" })
}

/// Scores predicted against gold entities of many sentences.
pub(crate) fn score(pairs: &[(Vec<GoldEntity>, Vec<GoldEntity>)], with_derived: bool) -> (Vec<TypeScore>, TypeScore) {
    let mut by: BTreeMap<(EntityLabel, bool), Counts> = BTreeMap::new();
    for label in [EntityLabel::PER, EntityLabel::LOC, EntityLabel::ORG, EntityLabel::MISC] {
        for derived in [false, true] {
            if !derived || with_derived {
                by.insert((label, derived), Counts::default());
            }
        }
    }
    for (gold, pred) in pairs {
        for g in gold {
            if let Some(t) = by.get_mut(&(g.label, g.derived)) {
                t.gold += 1;
            }
        }
        for p in pred {
            if let Some(t) = by.get_mut(&(p.label, p.derived)) {
                t.predicted += 1;
                t.correct += u64::from(gold.contains(p));
            }
        }
    }
    let types: Vec<TypeScore> =
        by.into_iter().map(|((label, derived), c)| TypeScore { label: type_name(label, derived), scores: c.scores() }).collect();
    let micro = TypeScore { label: "micro".into(), scores: Scores::micro(types.iter().map(|t| &t.scores)) };
    (types, micro)
}

/// Tags the tokens of a gold file with `tagger` (after running its morphology on them, and
/// `encode` where the tagger's head reads its vectors) and scores strict outer spans.
pub fn eval_file(
    tagger: &Ner,
    encode: Option<&crate::encode::Encode>,
    gold: &Path,
    format: GoldFormat,
    with_derived: bool,
) -> Result<NerReport> {
    let sentences = read_gold(gold, format)?;
    let tokens: usize = sentences.iter().map(|g| g.tokens.len()).sum();
    // Parts of speech first (untimed), as the pipeline's morphology stage gives them.
    let inputs: Vec<(Vec<&str>, Vec<Option<Pos>>)> = sentences
        .par_iter()
        .map(|g| {
            let (text, mut s) = crate::io::gold::sentence_from_tokens(&g.tokens);
            tagger.morphology().annotate(&text, &mut s);
            let forms = g.tokens.iter().map(String::as_str).collect();
            (forms, s.tokens.iter().map(|t| t.morph.as_ref().map(|m| m.pos)).collect())
        })
        .collect();
    let t0 = Instant::now();
    // In runs of the pipeline's size, on all workers.
    let predicted: Vec<Vec<GoldEntity>> = inputs
        .par_chunks(crate::io::SENTENCE_RUN)
        .flat_map_iter(|run| {
            let run: Vec<(&[&str], &[Option<Pos>])> = run.iter().map(|(f, p)| (f.as_slice(), p.as_slice())).collect();
            tagger.tag_sentences(encode, &run).into_iter().map(|mentions| {
                mentions.into_iter().map(|m| GoldEntity { start: m.start, end: m.end, label: m.label, derived: m.derived }).collect()
            })
        })
        .collect();
    let ner_seconds = t0.elapsed().as_secs_f64();
    let pairs: Vec<_> = sentences.iter().map(|g| g.entities.clone()).zip(predicted).collect();
    let (types, micro) = score(&pairs, with_derived);
    Ok(NerReport {
        gold: gold.to_path_buf(),
        sentences: sentences.len(),
        tokens,
        with_derived,
        types,
        micro,
        model: tagger.model().name(),
        threads: rayon::current_num_threads(),
        tokens_per_second: if ner_seconds > 0.0 { tokens as f64 / ner_seconds } else { 0.0 },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bio_in_three_formats() {
        let dir = std::env::temp_dir().join(format!("lesart-ner-gold-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let cases = [
            (
                "g.tsv",
                GoldFormat::Germeval,
                "# http://x\n1\tDie\tO\tO\n2\trussische\tB-LOCderiv\tO\n3\tDeutsche\tB-ORG\tB-LOCderiv\n4\tBahn\tI-ORG\tO\n\n",
            ),
            ("c.tsv", GoldFormat::Conll, "Die O\nrussische B-LOCderiv\nDeutsche B-ORG\nBahn I-ORG\n"),
            ("u.tsv", GoldFormat::Conllu, "0\tDie\tO\n1\trussische\tB-LOCderiv\n2\tDeutsche\tB-UN\n3\tBahn\tI-UN\n\n"),
        ];
        for (name, format, content) in cases {
            let p = dir.join(name);
            std::fs::write(&p, content).expect("write");
            let s = read_gold(&p, format).expect("reads");
            assert_eq!(s.len(), 1, "{name}");
            assert_eq!(s[0].tokens, ["Die", "russische", "Deutsche", "Bahn"], "{name}");
            assert_eq!(
                s[0].entities,
                [
                    GoldEntity { start: 1, end: 2, label: EntityLabel::LOC, derived: true },
                    GoldEntity { start: 2, end: 4, label: EntityLabel::ORG, derived: false }
                ],
                "{name}"
            );
        }
        std::fs::write(dir.join("bad.tsv"), "Die X-FOO\n").expect("write");
        assert!(matches!(read_gold(&dir.join("bad.tsv"), GoldFormat::Conll), Err(Error::BadLine { line: 1, .. })));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn strict_scores() {
        let e = |start, end, label| GoldEntity { start, end, label, derived: false };
        let pairs =
            vec![(vec![e(0, 2, EntityLabel::PER), e(3, 4, EntityLabel::LOC)], vec![e(0, 2, EntityLabel::PER), e(3, 5, EntityLabel::LOC)])];
        let (types, micro) = score(&pairs, false);
        assert_eq!(types[0].scores.f1, 1.0);
        assert_eq!(types[1].scores.counts.map(|c| c.correct), Some(0));
        assert_eq!(micro.scores.counts, Some(Counts { correct: 1, predicted: 2, gold: 2 }));
    }
}
