//! The segment stage: German word tokenization and sentence splitting.
//!
//! [`tokenize`] cuts the text into tokens, freezing what must not be split; [`sentences`]
//! decides where sentences end. Boilerplate stretches marked by ingest always form sentences of
//! their own and are flagged, so later stages can skip them.

pub mod eval;
pub mod lists;
pub mod sentences;
pub mod tokenize;

use crate::doc::{Document, Sentence, Span, Token};
use crate::stage::DocumentStage;
use lists::WordLists;
use tokenize::RawToken;

/// A sentence ends after this many tokens at the latest. Real sentences stay far below it
/// (news sentences rarely pass 100 tokens); text without sentence marks (a table flattened
/// into one line, a 200,000-word run) is cut into pieces of this size, which keeps every
/// per-sentence rule and the encoder's work per sentence bounded.
pub const MAX_SENTENCE_TOKENS: usize = 1_000;

/// German sentence splitter and tokenizer.
#[derive(Debug)]
pub struct Segmenter {
    lists: WordLists,
}

impl Default for Segmenter {
    fn default() -> Self {
        Segmenter { lists: WordLists::builtin() }
    }
}

impl Segmenter {
    /// Tokens and sentence ends of a text: each sentence is a range of token indices.
    pub fn split(&self, text: &str, forced: &[usize]) -> (Vec<RawToken>, Vec<std::ops::Range<usize>>) {
        let mut tokens = Vec::new();
        tokenize::tokenize(text, &self.lists, &mut tokens);
        let ends = sentences::sentence_ends(text, &tokens, &self.lists, forced);
        let mut ranges = Vec::with_capacity(ends.len());
        let mut start = 0;
        for end in ends {
            while end - start > MAX_SENTENCE_TOKENS {
                ranges.push(start..start + MAX_SENTENCE_TOKENS);
                start += MAX_SENTENCE_TOKENS;
            }
            if end > start {
                ranges.push(start..end);
            }
            start = end;
        }
        (tokens, ranges)
    }
}

impl DocumentStage for Segmenter {
    fn name(&self) -> &'static str {
        "segment"
    }

    fn process(&self, doc: &mut Document) {
        let text = &doc.text;
        let mut forced: Vec<usize> = doc.boilerplate.iter().flat_map(|b| [text.byte_of(b.span.start), text.byte_of(b.span.end)]).collect();
        forced.sort_unstable();
        let (tokens, ranges) = self.split(text.as_str(), &forced);
        let mut sentences = Vec::with_capacity(ranges.len());
        let mut boilerplate = doc.boilerplate.iter().peekable();
        for range in ranges {
            let tokens: Vec<Token> =
                tokens[range].iter().map(|t| Token { span: text.span_of_bytes(t.bytes.clone()), morph: None }).collect();
            let span = Span::new(tokens[0].span.start, tokens[tokens.len() - 1].span.end);
            while boilerplate.peek().is_some_and(|b| b.span.end <= span.start) {
                boilerplate.next();
            }
            let is_boilerplate = boilerplate.peek().is_some_and(|b| b.span.overlaps(span));
            sentences.push(Sentence { span, boilerplate: is_boilerplate, tokens, ..Default::default() });
        }
        doc.sentences = sentences;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(text: &str) -> Vec<String> {
        let mut doc = Document::new("t", text.to_string(), "UTF-8");
        Segmenter::default().process(&mut doc);
        doc.sentences.iter().map(|s| doc.text_of(s.span).to_string()).collect()
    }

    #[test]
    fn hard_cases_split_where_a_reader_would() {
        let cases: &[(&str, &[&str])] = &[
            ("„Wir kommen.“ Sie ging.", &["„Wir kommen.“", "Sie ging."]),
            ("„Wir kommen“. Sie ging.", &["„Wir kommen“.", "Sie ging."]),
            ("„Kommt ihr?“, fragte er. Ja.", &["„Kommt ihr?“, fragte er.", "Ja."]),
            ("„Kommt ihr?“ fragte er.", &["„Kommt ihr?“ fragte er."]),
            (
                "Er kam am 26. November. Der 3. Platz ging an den 1. FC Köln.",
                &["Er kam am 26. November.", "Der 3. Platz ging an den 1. FC Köln."],
            ),
            ("Das war im Jahr 2006. Im Herbst kam er.", &["Das war im Jahr 2006.", "Im Herbst kam er."]),
            (
                "Dr. Müller kam z. B. mit Prof. Schmidt. Sie aßen Äpfel, Birnen usw. Die Birnen waren gut.",
                &["Dr. Müller kam z. B. mit Prof. Schmidt.", "Sie aßen Äpfel, Birnen usw.", "Die Birnen waren gut."],
            ),
            (
                "Die Firma machte 5 Mio. Euro Gewinn. Das Spiel endete 2:1. Köln jubelte.",
                &["Die Firma machte 5 Mio. Euro Gewinn.", "Das Spiel endete 2:1.", "Köln jubelte."],
            ),
            (
                "Wird alles gut?\n\nDie Regierung tagt\n\n- Punkt eins\n- Punkt zwei",
                &["Wird alles gut?", "Die Regierung tagt", "- Punkt eins", "- Punkt zwei"],
            ),
            (
                "Mehr unter https://www.example.de/a.html. Fragen an presse@example.de.",
                &["Mehr unter https://www.example.de/a.html.", "Fragen an presse@example.de."],
            ),
            ("Er zögerte … Dann ging er. Es hieß [...] nichts.", &["Er zögerte …", "Dann ging er.", "Es hieß [...] nichts."]),
            ("Der Minister\nsagte nichts.", &["Der Minister\nsagte nichts."]),
            ("Es regnet; die Straßen sind nass.", &["Es regnet;", "die Straßen sind nass."]),
        ];
        for (text, want) in cases {
            assert_eq!(sentences(text), *want, "{text}");
        }
    }

    #[test]
    fn boilerplate_lines_are_sentences_of_their_own() {
        let text = "Der Rat tagte.\nFoto: dpa/Max Mustermann\nDann ging es weiter.";
        let mut doc = Document::new("t", text.to_string(), "UTF-8");
        crate::ingest::Ingest::default().finish(doc.clone()).boilerplate.clone_into(&mut doc.boilerplate);
        Segmenter::default().process(&mut doc);
        let flagged: Vec<(&str, bool)> = doc.sentences.iter().map(|s| (doc.text_of(s.span), s.boilerplate)).collect();
        assert_eq!(flagged, [("Der Rat tagte.", false), ("Foto: dpa/Max Mustermann", true), ("Dann ging es weiter.", false)]);
    }

    #[test]
    fn a_run_without_sentence_marks_is_cut_at_the_token_limit() {
        let text = "Haus ".repeat(2 * MAX_SENTENCE_TOKENS + 5);
        let (_, ranges) = Segmenter::default().split(&text, &[]);
        let lens: Vec<usize> = ranges.iter().map(|r| r.len()).collect();
        assert_eq!(lens, [MAX_SENTENCE_TOKENS, MAX_SENTENCE_TOKENS, 5]);
    }

    #[test]
    fn spans_index_characters_not_bytes() {
        let text = "Über Öl: „Präsident Kim“ sagte Grüße. Ähnlich.";
        let mut doc = Document::new("t", text.to_string(), "UTF-8");
        Segmenter::default().process(&mut doc);
        let chars: Vec<char> = text.chars().collect();
        for s in &doc.sentences {
            for t in &s.tokens {
                let by_chars: String = chars[t.span.start as usize..t.span.end as usize].iter().collect();
                assert_eq!(by_chars, doc.text_of(t.span));
            }
        }
        assert_eq!(doc.sentences.len(), 2);
    }
}
