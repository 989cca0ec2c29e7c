//! Gold files as the evaluations and trainers read them: JSON Lines of one record per line,
//! and sentences rebuilt from gold tokens.

use crate::doc::{Sentence, Span, Text, Token};
use crate::error::{Error, Result};
use serde::de::DeserializeOwned;
use std::path::Path;

/// Reads a JSON Lines file of records of one type, skipping blank lines; a line that does not
/// parse is an error naming the file and the line.
pub fn read_json_lines<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_json_lines(&text, path)
}

/// [`read_json_lines`] on text already read from `path`.
pub fn parse_json_lines<T: DeserializeOwned>(text: &str, path: &Path) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record =
            serde_json::from_str(line).map_err(|e| Error::BadLine { path: path.to_path_buf(), line: n + 1, reason: e.to_string() })?;
        out.push(record);
    }
    Ok(out)
}

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

/// A sentence's text rebuilt from its gold tokens as a reader would see it printed: single
/// spaces between tokens, none before closing punctuation and quotes (`. , ; : ! ? ) ] “`), none
/// after opening ones (`( [ „`); ASCII `"` alternates between opening and closing.
pub fn detokenize<S: AsRef<str>>(forms: &[S]) -> String {
    let mut out = String::new();
    let (mut glue_next, mut ascii_open) = (true, false);
    for form in forms {
        let form = form.as_ref();
        let ascii = form == "\"";
        let closing = matches!(form, "." | "," | ";" | ":" | "!" | "?" | ")" | "]" | "“") || (ascii && ascii_open);
        if !glue_next && !closing {
            out.push(' ');
        }
        out.push_str(form);
        glue_next = matches!(form, "(" | "[" | "„") || (ascii && !ascii_open);
        ascii_open ^= ascii;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detokenized_text_spaces_words_but_not_punctuation_or_quotes() {
        let forms = ["Schartau", "sagte", "dem", "\"", "Tagesspiegel", "\"", ",", "er", "sei", "„", "froh", "“", "(", "sehr", ")", "."];
        assert_eq!(detokenize(&forms), "Schartau sagte dem \"Tagesspiegel\", er sei „froh“ (sehr).");
    }

    #[test]
    fn gold_tokens_become_one_sentence_with_exact_offsets() {
        let (text, sentence) = sentence_from_tokens(&["Köln", "liegt", "am", "Rhein", "."]);
        assert_eq!(text.as_str(), "Köln liegt am Rhein .");
        let forms: Vec<&str> = sentence.tokens.iter().map(|t| text.slice(t.span)).collect();
        assert_eq!(forms, ["Köln", "liegt", "am", "Rhein", "."]);
    }

    #[test]
    fn a_bad_json_line_names_file_and_line() {
        let path = Path::new("gold.jsonl");
        let err = parse_json_lines::<serde_json::Value>("{}\n\n{oops\n", path).expect_err("bad line");
        assert!(matches!(err, Error::BadLine { line: 3, .. }), "{err:?}");
    }
}
