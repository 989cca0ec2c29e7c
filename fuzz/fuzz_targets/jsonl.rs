//! JSONL reading on arbitrary text: every non-blank line becomes a document or a skip with its
//! line number, and documents keep their text exactly.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let ingest = lesart::ingest::Ingest::default();
    let out = ingest.read_jsonl("f.jsonl", text, "UTF-8");
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
    assert!(out.len() == lines || (lines == 0 && out.len() == 1));
    for doc in out.into_iter().flatten() {
        assert!(!doc.text.as_str().trim().is_empty());
        for b in &doc.boilerplate {
            assert!(b.span.end <= doc.text.char_len());
        }
    }
});
