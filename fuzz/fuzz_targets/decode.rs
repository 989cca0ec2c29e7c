//! Encoding detection on arbitrary bytes: decoding never panics, and what it accepts is text
//! that is not blank, without the byte-order mark that chose its encoding.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(decoded) = lesart::ingest::decode::decode(bytes, None) {
        assert!(!decoded.text.trim().is_empty());
        // A UTF-8 byte-order mark decides and is dropped; what follows is the text.
        if let Some(body) = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]) {
            assert_eq!(decoded.text, String::from_utf8_lossy(body));
        }
    }
    let latin1 = lesart::ingest::decode::encoding_for_label("latin1");
    let _ = lesart::ingest::decode::decode(bytes, latin1);
});
