//! `lesart eval segment`: sentence-boundary and token precision, recall and F1.
//!
//! Gold comes as CoNLL-U (sentences from `# text`, tokens from the word lines, multiword
//! tokens by their surface form; consecutive sentences are joined into texts of 50, with a
//! space after a sentence that ends in a closing mark, and with a line break after one that
//! does not, as headlines and list items stand on lines of their own) or as the wikinews-quotes JSONL (`text`,
//! `sentences`, `tokens` as character offsets).
//!
//! A sentence boundary is the offset where a sentence ends, trailing whitespace trimmed; the
//! end of each text is not counted, since every system gets it right. A token counts when its
//! start and end both match.

use super::Segmenter;
use crate::doc::Text;
use crate::error::{Error, Result};
use crate::io::metrics::Counts;
use crate::io::{conllu, gold::parse_json_lines, Scores};
use serde::Serialize;
use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

/// One gold text with its sentence and token spans in characters.
#[derive(Debug, Clone, Default)]
pub struct GoldText {
    /// The text.
    pub text: String,
    /// Sentence spans.
    pub sentences: Vec<(u32, u32)>,
    /// Token spans.
    pub tokens: Vec<(u32, u32)>,
}

/// Scores of one evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentReport {
    /// The gold file.
    pub gold_file: String,
    /// Texts evaluated.
    pub texts: usize,
    /// Words (gold tokens) in them.
    pub words: usize,
    /// Sentence boundaries.
    pub sentence_boundaries: Scores,
    /// Token spans.
    pub tokens: Scores,
    /// Gold tokens whose form could not be found in the text (CoNLL-U only).
    pub misaligned_gold_tokens: usize,
    /// Segmentation speed over the gold texts, single-threaded.
    pub words_per_second: f64,
    /// Boundary errors with context, up to the number asked for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

impl std::fmt::Display for SegmentReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "gold: {} ({} texts, {} tokens)", self.gold_file, self.texts, self.words)?;
        writeln!(f, "sentence boundaries  {}", self.sentence_boundaries)?;
        writeln!(f, "tokens               {}", self.tokens)?;
        if self.misaligned_gold_tokens > 0 {
            writeln!(f, "misaligned gold tokens: {}", self.misaligned_gold_tokens)?;
        }
        write!(f, "speed: {:.0} words/s (one thread)", self.words_per_second)?;
        for e in &self.errors {
            write!(f, "\n{e}")?;
        }
        Ok(())
    }
}

/// Reads gold data, by extension: `.conllu` or `.jsonl`.
pub fn read_gold(path: &Path) -> Result<(Vec<GoldText>, usize)> {
    let source = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    match path.extension().and_then(|e| e.to_str()) {
        Some("conllu") => {
            let sentences =
                conllu::parse(&source, 2).map_err(|(line, reason)| Error::BadLine { path: path.to_path_buf(), line, reason })?;
            Ok(texts_of_sentences(&sentences))
        }
        Some("jsonl") => read_jsonl(&source, path).map(|g| (g, 0)),
        _ => Err(Error::Usage(format!("{}: gold must be .conllu or .jsonl (wikinews-quotes format)", path.display()))),
    }
}

fn read_jsonl(source: &str, path: &Path) -> Result<Vec<GoldText>> {
    #[derive(serde::Deserialize)]
    struct Line {
        text: String,
        sentences: Vec<(u32, u32)>,
        tokens: Vec<(u32, u32)>,
    }
    let lines: Vec<Line> = parse_json_lines(source, path)?;
    Ok(lines.into_iter().map(|l| GoldText { text: l.text, sentences: l.sentences, tokens: l.tokens }).collect())
}

/// Joins CoNLL-U sentences into texts of up to 50 (a new text at each `# newdoc`); returns
/// them with the number of gold tokens not found in their sentence's text.
fn texts_of_sentences(sentences: &[conllu::Sentence]) -> (Vec<GoldText>, usize) {
    const SENTENCES_PER_TEXT: usize = 50;
    let mut texts = Vec::new();
    let mut current = GoldText::default();
    let mut misaligned = 0;
    for sentence in sentences {
        if sentence.newdoc && !current.text.is_empty() {
            texts.push(std::mem::take(&mut current));
        }
        let Some(s) = &sentence.text else { continue };
        if !current.text.is_empty() {
            // A sentence without a closing mark was a line of its own (a headline, a list
            // item); the others ran on in their paragraph.
            let closed = current.text.trim_end().ends_with(['.', '!', '?', '…', ';', ':', '"', '“', '”', '\'', '»', '«', ')', ']']);
            current.text.push(if closed { ' ' } else { '\n' });
        }
        misaligned += add_sentence(&mut current, s, sentence.surface().into_iter().map(conllu::Row::form));
        if current.sentences.len() >= SENTENCES_PER_TEXT {
            texts.push(std::mem::take(&mut current));
        }
    }
    if !current.text.is_empty() {
        texts.push(current);
    }
    (texts, misaligned)
}

/// Appends sentence `s` to the text with its span and the spans of its `forms`, each looked
/// for after the one before; returns how many forms were not found.
fn add_sentence<'a>(current: &mut GoldText, s: &str, forms: impl Iterator<Item = &'a str>) -> usize {
    let base = current.text.chars().count() as u32;
    let chars_of = |b: usize| s[..b].chars().count() as u32;
    let mut cursor = 0usize;
    let mut misaligned = 0;
    for form in forms {
        match s[cursor..].find(form) {
            Some(at) => {
                let start = cursor + at;
                let end = start + form.len();
                current.tokens.push((base + chars_of(start), base + chars_of(end)));
                cursor = end;
            }
            None => misaligned += 1,
        }
    }
    current.sentences.push((base, base + s.trim_end().chars().count() as u32));
    current.text.push_str(s);
    misaligned
}

/// Evaluates the segmenter on a gold file, listing up to `show_errors` boundary errors.
pub fn evaluate(segmenter: &Segmenter, path: &Path, show_errors: usize) -> Result<SegmentReport> {
    let mut errors = Vec::new();
    let (gold, misaligned) = read_gold(path)?;
    let mut sentence_counts = Counts::default();
    let mut token_counts = Counts::default();
    let mut words = 0;
    let mut seconds = 0.0;
    for g in &gold {
        let text = Text::new(g.text.clone());
        let started = Instant::now();
        let (tokens, sentences) = segmenter.split(text.as_str(), &[]);
        seconds += started.elapsed().as_secs_f64();
        words += g.tokens.len();
        let n = text.char_len();
        let trim_end = |start: u32, end: u32| -> u32 {
            let s = text.slice(crate::doc::Span::new(start, end));
            end - (s.chars().rev().take_while(|c| c.is_whitespace()).count() as u32)
        };
        let gold_ends: HashSet<u32> =
            g.sentences.iter().map(|&(s, e)| trim_end(s, e)).filter(|&e| e < n && !only_space_after(&text, e)).collect();
        let sys_ends: HashSet<u32> =
            sentences.iter().map(|r| text.char_of(tokens[r.end - 1].bytes.end)).filter(|&e| e < n && !only_space_after(&text, e)).collect();
        add(&mut sentence_counts, &gold_ends, &sys_ends);
        if errors.len() < show_errors {
            let mut wrong: Vec<(u32, &str)> = gold_ends.difference(&sys_ends).map(|&e| (e, "missed")).collect();
            wrong.extend(sys_ends.difference(&gold_ends).map(|&e| (e, "extra ")));
            wrong.sort_unstable();
            for (at, what) in wrong.into_iter().take(show_errors - errors.len()) {
                let before = text.slice(crate::doc::Span::new(at.saturating_sub(50), at));
                let after = text.slice(crate::doc::Span::new(at, (at + 30).min(n)));
                errors.push(format!("{what} {before:?} | {after:?}"));
            }
        }
        let gold_tokens: HashSet<(u32, u32)> = g.tokens.iter().copied().collect();
        let sys_tokens: HashSet<(u32, u32)> = tokens.iter().map(|t| (text.char_of(t.bytes.start), text.char_of(t.bytes.end))).collect();
        add(&mut token_counts, &gold_tokens, &sys_tokens);
    }
    Ok(SegmentReport {
        gold_file: path.display().to_string(),
        texts: gold.len(),
        words,
        sentence_boundaries: sentence_counts.scores(),
        tokens: token_counts.scores(),
        misaligned_gold_tokens: misaligned,
        words_per_second: words as f64 / seconds.max(1e-9),
        errors,
    })
}

fn only_space_after(text: &Text, offset: u32) -> bool {
    text.as_str()[text.byte_of(offset)..].trim().is_empty()
}

fn add<T: std::hash::Hash + Eq>(counts: &mut Counts, gold: &HashSet<T>, system: &HashSet<T>) {
    *counts += Counts { correct: system.intersection(gold).count() as u64, predicted: system.len() as u64, gold: gold.len() as u64 };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conllu_texts_align_tokens_and_multiword_forms() {
        let src = "# text = Er ging zum Haus.\n1\tEr\n2\tging\n3-4\tzum\n3\tzu\n4\tdem\n5\tHaus\n6\t.\n\n# text = Ja.\n1\tJa\n2\t.\n\n";
        let (texts, misaligned) = texts_of_sentences(&conllu::parse(src, 2).expect("valid"));
        assert_eq!(misaligned, 0);
        let t = &texts[0];
        assert_eq!(t.text, "Er ging zum Haus. Ja.");
        let chars: Vec<char> = t.text.chars().collect();
        let forms: Vec<String> = t.tokens.iter().map(|&(s, e)| chars[s as usize..e as usize].iter().collect()).collect();
        assert_eq!(forms, ["Er", "ging", "zum", "Haus", ".", "Ja", "."]);
        assert_eq!(t.sentences, [(0, 17), (18, 21)]);
    }

    #[test]
    fn scores_count_boundaries_not_text_ends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.jsonl");
        let line = r#"{"text": "Er kam. Sie ging.", "sentences": [[0, 7], [8, 17]], "tokens": [[0,2],[3,6],[6,7],[8,11],[12,16],[16,17]]}"#;
        std::fs::write(&path, line).unwrap();
        let r = evaluate(&Segmenter::default(), &path, 0).unwrap();
        assert_eq!(r.sentence_boundaries.counts, Some(Counts { correct: 1, predicted: 1, gold: 1 }));
        assert_eq!(r.tokens.f1, 1.0);
    }
}
