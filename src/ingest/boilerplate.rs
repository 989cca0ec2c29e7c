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
        let found = found.into_iter().map(|(range, kind)| Boilerplate { span: doc.text.span_of_bytes(range), kind });
        doc.boilerplate = without_overlaps(std::mem::take(&mut doc.boilerplate), found);
    }
}

/// One sorted layer of stretches that never overlap: those already marked (HTML furniture)
/// keep their place and kind; of the found ones that overlap (a cookie line inside a repeated
/// paragraph), the one that starts first, and of those the longest, is kept.
fn without_overlaps(existing: Vec<Boilerplate>, found: impl Iterator<Item = Boilerplate>) -> Vec<Boilerplate> {
    let existing = first_of_overlapping(existing.into_iter());
    let mut kept = first_of_overlapping(found.filter(|f| {
        let i = existing.partition_point(|e| e.span.start < f.span.end);
        i == 0 || existing[i - 1].span.end <= f.span.start
    }));
    kept.extend(existing);
    kept.sort_by_key(|b| (b.span.start, b.span.end));
    kept
}

/// The stretches sorted by start, each dropped that overlaps one kept before it.
fn first_of_overlapping(stretches: impl Iterator<Item = Boilerplate>) -> Vec<Boilerplate> {
    let mut all: Vec<Boilerplate> = stretches.filter(|b| !b.span.is_empty()).collect();
    all.sort_by_key(|b| (b.span.start, std::cmp::Reverse(b.span.end)));
    let mut last_end = 0;
    all.retain(|b| {
        let keep = b.span.start >= last_end;
        if keep {
            last_end = b.span.end;
        }
        keep
    });
    all
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
    fn a_line_rule_and_a_repeated_paragraph_on_the_same_text_mark_it_once() {
        // The cookie line is also a repeated paragraph, and sits inside a longer repeated one.
        let cookie = "Diese Website verwendet Cookies. Mehr erfahren";
        let block = format!("{cookie}\nWir speichern Ihre Einstellungen für ein ganzes Jahr.");
        let text = format!("{cookie}\n\n{cookie}\n\n{block}\n\n{block}\n");
        let mut doc = Document::new("t", text.clone(), "UTF-8");
        let furniture = doc.text.span_of_bytes(text.len() - block.len() - 1..text.len() - 1);
        doc.boilerplate.push(Boilerplate { span: furniture, kind: Navigation });
        BoilerplateRules::builtin().mark(&mut doc);
        let kinds: Vec<BoilerplateKind> = doc.boilerplate.iter().map(|b| b.kind).collect();
        assert_eq!(kinds, [Cookie, Cookie, Cookie, Navigation]);
        assert_eq!(doc.text_of(doc.boilerplate[2].span), cookie);
        assert!(doc.boilerplate.windows(2).all(|w| w[0].span.end <= w[1].span.start), "{:?}", doc.boilerplate);
    }

    #[test]
    fn bad_rule_names_file_and_line() {
        let err = BoilerplateRules::parse("# c\nshare\t(unclosed", Path::new("rules.tsv")).unwrap_err();
        assert!(err.to_string().starts_with("rules.tsv:2:"), "{err}");
        let err = BoilerplateRules::parse("nonsense\tx", Path::new("rules.tsv")).unwrap_err();
        assert!(err.to_string().contains("unknown kind"), "{err}");
    }
}
