//! Evaluation of the morphology stage against a CoNLL-U treebank (UD German GSD).
//!
//! Each gold sentence is rebuilt as a [`Text`] from its gold tokens, so tokenisation errors
//! do not count; the stage then annotates the gold tokens.

use super::Morphology;
use crate::doc::{Mood, Morph, Pos};
use crate::error::{Error, Result};
use crate::io::conllu::{self, Row};
use crate::io::metrics::{Counts, Scores};
use crate::stage::SentenceStage;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

/// Scores of one evaluation run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MorphReport {
    /// The gold file.
    pub file: String,
    /// Gold sentences read.
    pub sentences: usize,
    /// Gold syntactic words (multiword ranges and empty nodes skipped).
    pub tokens: usize,
    /// Share of tokens with the gold UPOS.
    pub upos_accuracy: f64,
    /// Share of tokens with the gold lemma, ignoring case.
    pub lemma_accuracy: f64,
    /// Konjunktiv I (gold: VERB/AUX with `Mood=Sub` and `Tense=Pres`), all persons.
    pub kj1: Scores,
    /// Konjunktiv I over tokens that are third person in the gold or the system output.
    pub kj1_third_person: Scores,
    /// Konjunktiv II (gold: VERB/AUX with `Mood=Sub` and `Tense=Past`).
    pub kj2: Scores,
    /// The most frequent UPOS confusions as (gold, system, count).
    pub upos_confusions: Vec<(String, String, usize)>,
}

impl fmt::Display for MorphReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} ({} sentences, {} tokens)", self.file, self.sentences, self.tokens)?;
        writeln!(f, "  UPOS accuracy   {:>7.2} %", 100.0 * self.upos_accuracy)?;
        writeln!(f, "  lemma accuracy  {:>7.2} %", 100.0 * self.lemma_accuracy)?;
        writeln!(f, "  {:<18} {:>6} {:>6} {:>6} {:>5} {:>5} {:>5}", "", "P", "R", "F1", "tp", "fp", "fn")?;
        for (name, p) in [("KJ1 all persons", &self.kj1), ("KJ1 3rd person", &self.kj1_third_person), ("KJ2", &self.kj2)] {
            let c = p.counts.unwrap_or_default();
            let (tp, fp, fn_) = (c.correct, c.predicted - c.correct, c.gold - c.correct);
            writeln!(f, "  {:<18} {:>6.3} {:>6.3} {:>6.3} {:>5} {:>5} {:>5}", name, p.precision, p.recall, p.f1, tp, fp, fn_)?;
        }
        if !self.upos_confusions.is_empty() {
            write!(f, "  top UPOS confusions (gold→system):")?;
            for (gold, system, n) in &self.upos_confusions {
                write!(f, " {gold}→{system} {n},")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// One gold token as read from the CoNLL-U file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldToken {
    /// FORM column.
    pub form: String,
    /// LEMMA column.
    pub lemma: String,
    /// UPOS column.
    pub upos: String,
    /// FEATS column.
    pub feats: String,
    /// False when MISC says `SpaceAfter=No`.
    pub space_after: bool,
}

impl GoldToken {
    fn feature(&self, name: &str) -> Option<&str> {
        self.feats.split('|').find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
    }

    fn is_verb(&self) -> bool {
        self.upos == "VERB" || self.upos == "AUX"
    }

    fn subjunctive(&self, tense: &str) -> bool {
        self.is_verb() && self.feature("Mood") == Some("Sub") && self.feature("Tense") == Some(tense)
    }
}

/// Reads the sentences of a CoNLL-U file as their syntactic words (multiword-token ranges
/// and empty nodes skipped).
pub fn read_conllu(path: &Path) -> Result<Vec<Vec<GoldToken>>> {
    let sentences = conllu::read(path, 10)?;
    Ok(sentences.iter().map(|s| s.words().map(GoldToken::of).collect()).filter(|s: &Vec<GoldToken>| !s.is_empty()).collect())
}

impl GoldToken {
    fn of(row: &Row) -> GoldToken {
        GoldToken {
            form: row.form().to_string(),
            lemma: row.column(2).to_string(),
            upos: row.column(3).to_string(),
            feats: row.column(5).to_string(),
            space_after: !row.column(9).split('|').any(|m| m == "SpaceAfter=No"),
        }
    }
}

fn pos_name(pos: Pos) -> String {
    format!("{pos:?}")
}

/// Runs the stage over every gold sentence and scores it; `visit` sees each sentence's gold
/// tokens next to the system's analyses (for error listings).
pub fn eval_conllu_with(morph: &Morphology, gold: &Path, mut visit: impl FnMut(&[GoldToken], &[Morph])) -> Result<MorphReport> {
    let sentences = read_conllu(gold)?;
    let mut report = MorphReport { file: gold.display().to_string(), sentences: sentences.len(), ..Default::default() };
    let (mut upos_ok, mut lemma_ok) = (0usize, 0usize);
    let (mut kj1, mut kj1_third_person, mut kj2) = (Counts::default(), Counts::default(), Counts::default());
    let mut confusions: HashMap<(String, String), usize> = HashMap::new();
    for gold_tokens in &sentences {
        let forms: Vec<&str> = gold_tokens.iter().map(|g| g.form.as_str()).collect();
        let (text, mut sentence) = crate::io::gold::sentence_from_tokens(&forms);
        morph.annotate(&text, &mut sentence);
        let system: Vec<Morph> = sentence.tokens.into_iter().filter_map(|t| t.morph).collect();
        if system.len() != gold_tokens.len() {
            return Err(Error::Usage(format!("{}: the stage left tokens without analysis", gold.display())));
        }
        for (g, s) in gold_tokens.iter().zip(&system) {
            report.tokens += 1;
            let sys_pos = pos_name(s.pos);
            if sys_pos == g.upos {
                upos_ok += 1;
            } else {
                *confusions.entry((g.upos.clone(), sys_pos)).or_default() += 1;
            }
            if s.lemma.to_lowercase() == g.lemma.to_lowercase() {
                lemma_ok += 1;
            }
            let gold_kj1 = g.subjunctive("Pres");
            let sys_kj1 = s.mood == Some(Mood::KonjunktivI);
            kj1.add(gold_kj1, sys_kj1);
            if g.feature("Person") == Some("3") || s.person == Some(3) {
                kj1_third_person.add(gold_kj1, sys_kj1);
            }
            kj2.add(g.subjunctive("Past"), s.mood == Some(Mood::KonjunktivII));
        }
        visit(gold_tokens, &system);
    }
    let share = |n: usize| if report.tokens == 0 { 0.0 } else { n as f64 / report.tokens as f64 };
    report.upos_accuracy = share(upos_ok);
    report.lemma_accuracy = share(lemma_ok);
    report.kj1 = kj1.scores();
    report.kj1_third_person = kj1_third_person.scores();
    report.kj2 = kj2.scores();
    let mut confusions: Vec<(String, String, usize)> = confusions.into_iter().map(|((g, s), n)| (g, s, n)).collect();
    confusions.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (&a.0, &a.1).cmp(&(&b.0, &b.1))));
    confusions.truncate(10);
    report.upos_confusions = confusions;
    Ok(report)
}

/// Runs the stage over every gold sentence of a CoNLL-U file and scores it.
pub fn eval_conllu(morph: &Morphology, gold: &Path) -> Result<MorphReport> {
    eval_conllu_with(morph, gold, |_, _| {})
}
