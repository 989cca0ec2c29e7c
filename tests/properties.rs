//! Property tests: ingest, segmentation, morphology and the whole pipeline on arbitrary
//! Unicode and on German-like text made of the pieces the rules care about. None may panic;
//! every span stays inside the text and its sentence, sentences are in order without overlap
//! and every character that is not whitespace lies in a token (`Document::check`); an
//! annotation line reads back to the same line.

use lesart::doc::Document;
use lesart::ingest::{html, Ingest};
use lesart::report::json::{read_document_line, write_document_line};
use lesart::segment::Segmenter;
use lesart::stage::{DocumentStage, SentenceStage};
use lesart::{Config, Pipeline};
use proptest::prelude::*;
use std::sync::OnceLock;

/// Pieces of German news text, with the marks, abbreviations and odd characters that the
/// segmenter, the cue rules and the quotation rules treat specially.
const PIECES: &[&str] = &[
    "Der",
    "Minister",
    "sagte",
    "sei",
    "habe",
    "werde",
    "soll",
    "dürfte",
    "vermutlich",
    "laut",
    "zufolge",
    "Scholz",
    "Merkel",
    "Berlin",
    "russische",
    "EU-weit",
    "US-Präsident",
    "Kund:innen",
    "Bürger*innen",
    "z.",
    "B.",
    "Dr.",
    "Mio.",
    "usw.",
    "26.",
    "1.",
    "FC",
    "Köln",
    "3,5",
    "2:1",
    "„",
    "“",
    "»",
    "«",
    "‚",
    "‘",
    "\"",
    "'",
    "(",
    ")",
    "[",
    "]",
    ".",
    ",",
    ";",
    ":",
    "?",
    "!",
    "…",
    "-",
    "–",
    " ",
    " ",
    " ",
    " ",
    "\n",
    "\n\n",
    "\r\n",
    "\t",
    "\u{a0}",
    "\u{ad}",
    "\u{200b}",
    "\u{feff}",
    "\u{0}",
    "🙂",
    "👩‍👩‍👧",
    "e\u{301}",
    "ß",
    "ẞ",
    "İ",
    "ﬁ",
    "https://www.example.de/a?b=1",
    "presse@example.de",
    "Foto: dpa",
    "Kommentare",
    "teilte",
    "mit",
    "erklärte",
    "betonte",
    "nach",
    "Angaben",
    "von",
    "gegen",
    "für",
    "kritisierte",
    "lobte",
    "Streit",
    "zwischen",
    "und",
    "nicht",
    "kein",
];

fn german_like() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..120).prop_map(|pieces| {
        let mut text = String::new();
        for (i, p) in pieces.iter().enumerate() {
            if i > 0 && i % 3 != 0 {
                text.push(' ');
            }
            text.push_str(p);
        }
        text
    })
}

/// Any text: arbitrary Unicode or German-like pieces.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), german_like(), "[ -~\u{a0}-\u{17f}\u{2000}-\u{206f}\n]{0,300}"]
}

/// Failing cases are kept beside this file and tried first on every later run.
fn persistence() -> Option<Box<dyn proptest::test_runner::FailurePersistence>> {
    Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct("tests/properties.proptest-regressions")))
}

fn fast() -> &'static Pipeline {
    static PIPELINE: OnceLock<Pipeline> = OnceLock::new();
    PIPELINE.get_or_init(|| {
        let config = Config { ner: lesart::ner::NerModel::Fast, jobs: 1, ..Config::default() };
        Pipeline::new(&config).expect("models/ present")
    })
}

fn accurate() -> &'static Pipeline {
    static PIPELINE: OnceLock<Pipeline> = OnceLock::new();
    PIPELINE.get_or_init(|| Pipeline::new(&Config { jobs: 1, ..Config::default() }).expect("models/ present"))
}

fn morphology() -> &'static lesart::morphology::Morphology {
    static MORPHOLOGY: OnceLock<lesart::morphology::Morphology> = OnceLock::new();
    MORPHOLOGY.get_or_init(|| lesart::morphology::Morphology::load(&lesart::pipeline::default_models_dir()).expect("models/ present"))
}

/// The document's annotation line, read back and written again, is the same line.
fn round_trips(doc: &Document) -> Result<(), TestCaseError> {
    let mut line = Vec::new();
    write_document_line(&mut line, doc).expect("serializes");
    let text = std::str::from_utf8(&line).expect("UTF-8");
    let back = read_document_line(text.trim_end()).map_err(TestCaseError::fail)?;
    let mut again = Vec::new();
    write_document_line(&mut again, &back).expect("serializes");
    prop_assert_eq!(line, again);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: persistence(), ..ProptestConfig::default() })]

    #[test]
    fn decoding_any_bytes_gives_text_or_a_reason(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(decoded) = lesart::ingest::decode::decode(&bytes, None) {
            prop_assert!(!decoded.text.trim().is_empty());
        }
    }

    #[test]
    fn html_extraction_keeps_furniture_on_the_text(page in prop_oneof![
        any::<String>(),
        prop::collection::vec(prop::sample::select(&[
            "<div>", "</div>", "<p>", "</p>", "<b>", "</b>", "<a href=x>", "</a>", "<nav>", "</nav>", "<footer>", "<br>",
            "<script>", "</script>", "<table>", "<td>", "<tr>", "<svg>", "</svg>", "<!--", "-->", "&amp;", "&bdquo;", "&#x1F642;",
            "Text", "Der Minister sagte.", " ", "\n", "<template>", "<select>", "<li>", "<h1>", "</h1>",
        ][..]), 0..200).prop_map(|p| p.concat()),
    ]) {
        let extracted = html::extract(&page);
        for range in &extracted.furniture {
            prop_assert!(range.start <= range.end && range.end <= extracted.text.len());
            prop_assert!(extracted.text.is_char_boundary(range.start) && extracted.text.is_char_boundary(range.end));
        }
    }

    #[test]
    fn jsonl_reading_accounts_for_every_line(text in prop_oneof![any::<String>(), prop::collection::vec(prop::sample::select(&[
        "{\"text\": \"Es regnet.\"}", "{\"id\": 3, \"text\": \"Ja.\"}", "{\"text\": 5}", "{\"text\": \"\"}", "[1,2]", "null",
        "{\"id\": {\"a\": 1}, \"text\": \"Nein.\"}", "kaputt{", "\n", "   ",
    ][..]), 0..20).prop_map(|lines| lines.join("\n"))]) {
        let out = Ingest::default().read_jsonl("f.jsonl", &text, "UTF-8");
        let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
        prop_assert_eq!(out.len(), lines.max(1));
    }

    #[test]
    fn segmentation_tiles_any_text(text in any_text()) {
        let mut doc = Ingest::default().finish(Document::new("p", text, "UTF-8"));
        Segmenter::default().process(&mut doc);
        doc.check().map_err(TestCaseError::fail)?;
    }

    #[test]
    fn morphology_analyses_every_token_of_any_text(text in any_text()) {
        let mut doc = Ingest::default().finish(Document::new("p", text, "UTF-8"));
        Segmenter::default().process(&mut doc);
        for sentence in &mut doc.sentences {
            morphology().annotate(&doc.text, sentence);
            prop_assert!(sentence.tokens.iter().all(|t| t.morph.is_some()));
        }
    }

    #[test]
    fn the_fast_pipeline_keeps_every_invariant_on_any_text(text in any_text()) {
        let doc = fast().analyze_text("p", &text);
        doc.check().map_err(TestCaseError::fail)?;
        round_trips(&doc)?;
    }
}

proptest! {
    // The encoder makes each case cost a few milliseconds to a second.
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: persistence(), ..ProptestConfig::default() })]

    #[test]
    fn the_accurate_pipeline_keeps_every_invariant_on_any_text(text in any_text()) {
        let doc = accurate().analyze_text("p", &text);
        doc.check().map_err(TestCaseError::fail)?;
        round_trips(&doc)?;
    }
}
