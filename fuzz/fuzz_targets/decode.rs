//! Encoding detection on arbitrary bytes: decoding never panics, and what it accepts is text
//! without a byte-order mark that is not blank.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(decoded) = lesart::ingest::decode::decode(bytes, None) {
        assert!(!decoded.text.trim().is_empty());
        assert!(!decoded.text.starts_with('\u{feff}') || !bytes.starts_with(&[0xef, 0xbb, 0xbf]));
    }
    let latin1 = lesart::ingest::decode::encoding_for_label("latin1");
    let _ = lesart::ingest::decode::decode(bytes, latin1);
});
