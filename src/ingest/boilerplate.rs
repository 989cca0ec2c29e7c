//! Marks boilerplate lines (photo credits, comment and share prompts, cookie banners, teasers)
//! and paragraphs that repeat an earlier one. Marked stretches stay in the text; later stages
//! skip the sentences inside them.
//!
//! The line rules are a data file, `models/ingest/boilerplate.tsv`, compiled into the binary.

use crate::doc::{Boilerplate, BoilerplateKind, Document, Span};
use crate::error::{Error, Result};
use regex::{Regex, RegexBuilder};
use std::collections::HashSet;
use std::path::Path;

/// The rules shipped with lesart.
const BUILTIN_RULES: &str = include_str!("../../models/ingest/boilerplate.tsv");

/// Lines longer than this are article text, whatever they mention.
const MAX_LINE_CHARS: usize = 200;

/// Paragraphs shorter than this (in characters) may repeat legitimately ("Nein.", "Ja.").
const MIN_REPEATED_CHARS: usize = 40;

/// Line rules for boilerplate.
#[derive(Debug)]
pub struct BoilerplateRules {
    rules: Vec<(BoilerplateKind, Regex)>,
}

impl BoilerplateRules {
    /// The rules compiled into the binary.
    pub fn builtin() -> BoilerplateRules {
        // The builtin file is part of the source and checked by the tests below.
        Self::parse(BUILTIN_RULES, Path::new("models/ingest/boilerplate.tsv")).expect("builtin boilerplate rules are valid")
    }

    /// Parses rules in the `KIND<TAB>REGEX` format; `path` is used in error messages.
    pub fn parse(source: &str, path: &Path) -> Result<BoilerplateRules> {
        let mut rules = Vec::new();
        for (i, line) in source.lines().enumerate() {
            let line = line.trim_end();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |reason: String| Error::BadLine { path: path.to_path_buf(), line: i + 1, reason };
            let (kind, pattern) = line.split_once('\t').ok_or_else(|| bad("expected KIND<TAB>REGEX".into()))?;
            let kind = match kind {
                "photo_credit" => BoilerplateKind::PhotoCredit,
                "comments" => BoilerplateKind::Comments,
                "share" => BoilerplateKind::Share,
                "cookie" => BoilerplateKind::Cookie,
                "teaser" => BoilerplateKind::Teaser,
                other => return Err(bad(format!("unknown kind {other:?}"))),
            };
            let regex = RegexBuilder::new(pattern).case_insensitive(true).build().map_err(|e| bad(e.to_string()))?;
            rules.push((kind, regex));
        }
        Ok(BoilerplateRules { rules })
    }

    /// The kind of boilerplate a trimmed line is, if any.
    pub fn classify(&self, line: &str) -> Option<BoilerplateKind> {
        if line.is_empty() || line.chars().count() > MAX_LINE_CHARS {
            return None;
        }
        self.rules.iter().find(|(_, re)| re.is_match(line)).map(|(kind, _)| *kind)
    }

    /// Marks boilerplate lines and repeated paragraphs on a document, adding to what is there
    /// (HTML furniture) and keeping the layer sorted.
    pub fn mark(&self, doc: &mut Document) {
        let text = doc.text.as_str();
        let mut found = Vec::new();
        // Line rules.
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let trimmed = line.trim();
            if let Some(kind) = self.classify(trimmed) {
                let start = offset + (line.len() - line.trim_start().len());
                found.push((start..start + trimmed.len(), kind));
            }
            offset += line.len();
        }
        // Repeated paragraphs, compared with whitespace collapsed.
        let mut seen = HashSet::new();
        for (range, paragraph) in paragraphs(text) {
            if paragraph.chars().count() < MIN_REPEATED_CHARS {
                continue;
            }
            let key: String = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
            if !seen.insert(key) {
                found.push((range, BoilerplateKind::Repeated));
            }
        }
        // Stretches already marked (HTML furniture) keep their kind; they are few and sorted.
        let mut existing: Vec<Span> = doc.boilerplate.iter().map(|b| b.span).collect();
        existing.sort_unstable();
        for (range, kind) in found {
            let span = doc.text.span_of_bytes(range);
            let i = existing.partition_point(|e| e.start <= span.start);
            let inside = i > 0 && existing[i - 1].contains(span);
            if !inside {
                doc.boilerplate.push(Boilerplate { span, kind });
            }
        }
        doc.boilerplate.sort_by_key(|b| (b.span.start, b.span.end));
    }
}

/// Paragraphs (separated by blank lines) with their trimmed byte ranges.
fn paragraphs(text: &str) -> impl Iterator<Item = (std::ops::Range<usize>, &str)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut end = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim().is_empty() {
            if let Some(s) = start.take() {
                out.push((s, end));
            }
        } else {
            let s = offset + (line.len() - line.trim_start().len());
            start.get_or_insert(s);
            end = offset + line.trim_end().len();
        }
        offset += line.len();
    }
    if let Some(s) = start {
        out.push((s, end));
    }
    out.into_iter().map(move |(s, e)| (s..e, &text[s..e]))
}

/// The boilerplate kind of the stretch holding a span, if any.
pub fn kind_at(doc: &Document, span: Span) -> Option<BoilerplateKind> {
    doc.boilerplate.iter().find(|b| b.span.overlaps(span)).map(|b| b.kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use BoilerplateKind::*;

    #[test]
    fn builtin_rules_classify_real_lines() {
        let rules = BoilerplateRules::builtin();
        let cases = [
            ("Foto: dpa/Max Mustermann", Some(PhotoCredit)),
            ("Photo by Anna Schmidt on Pexels.com", Some(PhotoCredit)),
            ("Bild: Stadt Freiburg", Some(PhotoCredit)),
            ("Kommentare", Some(Comments)),
            ("12 Kommentare", Some(Comments)),
            ("Hinterlasse einen Kommentar", Some(Comments)),
            ("Teilen auf Facebook", Some(Share)),
            ("Artikel teilen", Some(Share)),
            ("Diese Website verwendet Cookies. Mehr erfahren", Some(Cookie)),
            ("Lesen Sie auch: Der Streit um den Haushalt", Some(Teaser)),
            ("Der Minister sagte, die Lage sei ernst.", None),
            ("Die Kinder backten Cookies für den Basar.", None),
            ("Bildung ist Ländersache, betonte die Ministerin.", None),
            ("Kommentare von Lesern zeigen, dass viele Menschen das Thema bewegt und sie eine Antwort erwarten.", None),
        ];
        for (line, want) in cases {
            assert_eq!(rules.classify(line), want, "{line}");
        }
    }

    #[test]
    fn marks_lines_and_repeated_paragraphs_without_touching_text() {
        let text = "Titel\n\nFoto: dpa\n\nDie Stadt plant einen neuen Radweg entlang der Dreisam.\n\nDie Stadt plant einen neuen Radweg entlang der Dreisam.\n\nKommentare\n";
        let mut doc = Document::new("t", text.to_string(), "UTF-8");
        BoilerplateRules::builtin().mark(&mut doc);
        let marked: Vec<(&str, BoilerplateKind)> = doc.boilerplate.iter().map(|b| (doc.text_of(b.span), b.kind)).collect();
        assert_eq!(
            marked,
            [("Foto: dpa", PhotoCredit), ("Die Stadt plant einen neuen Radweg entlang der Dreisam.", Repeated), ("Kommentare", Comments)]
        );
        assert_eq!(doc.boilerplate[1].span.start, 75);
        assert_eq!(doc.text.as_str(), text);
    }

    #[test]
    fn bad_rule_names_file_and_line() {
        let err = BoilerplateRules::parse("# c\nshare\t(unclosed", Path::new("rules.tsv")).unwrap_err();
        assert!(err.to_string().starts_with("rules.tsv:2:"), "{err}");
        let err = BoilerplateRules::parse("nonsense\tx", Path::new("rules.tsv")).unwrap_err();
        assert!(err.to_string().contains("unknown kind"), "{err}");
    }
}
