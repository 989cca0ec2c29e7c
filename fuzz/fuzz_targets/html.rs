//! HTML extraction on arbitrary text: no panic, no runaway time, and furniture ranges that
//! lie on character boundaries of the extracted text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|html: &str| {
    let extracted = lesart::ingest::html::extract(html);
    for range in &extracted.furniture {
        assert!(range.start <= range.end && range.end <= extracted.text.len());
        assert!(extracted.text.is_char_boundary(range.start) && extracted.text.is_char_boundary(range.end));
    }
});
