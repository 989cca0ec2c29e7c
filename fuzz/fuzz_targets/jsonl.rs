//! JSONL reading on arbitrary text: every non-blank line becomes a document or a skip with its
//! line number, and documents keep their text exactly.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fuzz_target!(|text: &str| {
    static INGEST: OnceLock<lesart::ingest::Ingest> = OnceLock::new();
    let out = INGEST.get_or_init(lesart::ingest::Ingest::default).read_jsonl("f.jsonl", text, "UTF-8");
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
    assert!(out.len() == lines || (lines == 0 && out.len() == 1));
    for doc in out.into_iter().flatten() {
        assert!(!doc.text.as_str().trim().is_empty());
        for b in &doc.boilerplate {
            assert!(b.span.end <= doc.text.char_len());
        }
    }
});
