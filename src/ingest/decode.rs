//! Bytes to text: BOM sniffing, strict UTF-8, and Windows-1252 for everything else.
//!
//! German archives are full of Windows-1252 and Latin-1 files. Windows-1252 is a superset of
//! the printable Latin-1 range and decodes every byte, so a file that is not valid UTF-8 is read
//! as Windows-1252 and comes out as *Präsident*, not *Pr�sident*. The encoding used is recorded
//! on the document.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

/// Why bytes could not be decoded into text worth analysing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A NUL byte outside UTF-16: the file is binary.
    #[error("binary file (NUL byte at offset {0})")]
    Binary(usize),
    /// The file holds no bytes.
    #[error("empty file")]
    Empty,
    /// The file holds only whitespace.
    #[error("no text (only whitespace)")]
    Blank,
    /// `--encoding` was given and the bytes are not valid in it.
    #[error("not valid {0}")]
    Malformed(&'static str),
}

/// Decoded text and the name of the encoding it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The text, without a byte-order mark.
    pub text: String,
    /// The encoding's canonical name, e.g. `UTF-8` or `windows-1252`.
    pub encoding: &'static str,
}

/// Decodes a file's bytes.
///
/// With `forced` set (from `--encoding`), that encoding is used and malformed input is an error.
/// Otherwise: a BOM decides; then strict UTF-8; then Windows-1252. A NUL byte in a file without
/// a UTF-16 BOM marks it as binary.
pub fn decode(bytes: &[u8], forced: Option<&'static Encoding>) -> Result<Decoded, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let decoded = if let Some(encoding) = forced {
        let (text, malformed) = encoding.decode_with_bom_removal(bytes);
        if malformed {
            return Err(DecodeError::Malformed(encoding.name()));
        }
        Decoded { text: text.into_owned(), encoding: encoding.name() }
    } else if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let body = &bytes[bom_len..];
        if encoding != UTF_16LE && encoding != UTF_16BE {
            reject_binary(body)?;
        }
        let (text, _) = encoding.decode_without_bom_handling(body);
        Decoded { text: text.into_owned(), encoding: encoding.name() }
    } else if let Some(decoded) = sniff_utf16(bytes) {
        decoded
    } else {
        reject_binary(bytes)?;
        match std::str::from_utf8(bytes) {
            Ok(text) => Decoded { text: text.to_owned(), encoding: UTF_8.name() },
            Err(_) => {
                let (text, _) = WINDOWS_1252.decode_without_bom_handling(bytes);
                Decoded { text: text.into_owned(), encoding: WINDOWS_1252.name() }
            }
        }
    };
    if decoded.text.trim().is_empty() {
        return Err(DecodeError::Blank);
    }
    Ok(decoded)
}

/// Looks up an encoding by any of its WHATWG labels (`latin1`, `cp1252`, `utf-8`, …).
pub fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    Encoding::for_label_no_replacement(label.trim().as_bytes())
}

/// UTF-16 without a byte-order mark, as some Windows tools write it: text in the Latin range
/// has a NUL in every other byte. Taken when, in the first 4 KiB, at least half the byte pairs
/// have a NUL on one side and almost none on the other, and the whole file decodes cleanly to
/// text without NUL characters; anything else with NUL bytes stays binary.
fn sniff_utf16(bytes: &[u8]) -> Option<Decoded> {
    if bytes.len() < 2 || !bytes.len().is_multiple_of(2) {
        return None;
    }
    let sample = &bytes[..bytes.len().min(4096)];
    let pairs = sample.len() / 2;
    let (mut first, mut second) = (0, 0);
    for pair in sample.chunks_exact(2) {
        first += (pair[0] == 0) as usize;
        second += (pair[1] == 0) as usize;
    }
    let encoding = if second * 2 >= pairs && first * 10 <= pairs {
        UTF_16LE
    } else if first * 2 >= pairs && second * 10 <= pairs {
        UTF_16BE
    } else {
        return None;
    };
    let (text, malformed) = encoding.decode_without_bom_handling(bytes);
    (!malformed && !text.contains('\0')).then(|| Decoded { text: text.into_owned(), encoding: encoding.name() })
}

fn reject_binary(bytes: &[u8]) -> Result<(), DecodeError> {
    match bytes.iter().position(|&b| b == 0) {
        Some(offset) => Err(DecodeError::Binary(offset)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_read_as_utf8() {
        let d = decode("Präsident „Kim“".as_bytes(), None).unwrap();
        assert_eq!(d.text, "Präsident „Kim“");
        assert_eq!(d.encoding, "UTF-8");
    }

    #[test]
    fn windows_1252_comes_out_right() {
        // "Präsident „Kim“ 5 €" in Windows-1252: ä = E4, „ = 84, “ = 93, € = 80.
        let bytes = b"Pr\xe4sident \x84Kim\x93 5 \x80";
        let d = decode(bytes, None).unwrap();
        assert_eq!(d.text, "Präsident „Kim“ 5 €");
        assert_eq!(d.encoding, "windows-1252");
    }

    #[test]
    fn bom_decides_and_is_removed() {
        let d = decode(b"\xef\xbb\xbfGr\xc3\xbc\xc3\x9fe", None).unwrap();
        assert_eq!(d.text, "Grüße");
        let utf16: Vec<u8> = [0xFF, 0xFE].into_iter().chain("Ärger".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        let d = decode(&utf16, None).unwrap();
        assert_eq!(d.text, "Ärger");
        assert_eq!(d.encoding, "UTF-16LE");
    }

    #[test]
    fn utf16_without_bom_is_recognised() {
        let text = "Der Präsident sagte, es gebe „keine Eile“.";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode(&le, None).unwrap(), Decoded { text: text.into(), encoding: "UTF-16LE" });
        assert_eq!(decode(&be, None).unwrap(), Decoded { text: text.into(), encoding: "UTF-16BE" });
        // Binary with NULs in every other byte but not decodable as text stays binary.
        assert!(matches!(decode(&[0x41, 0, 0, 0, 0x42, 0], None), Err(DecodeError::Binary(_))));
    }

    #[test]
    fn nul_byte_means_binary_with_offset() {
        assert_eq!(decode(b"PK\x03\x04\x00\x00", None), Err(DecodeError::Binary(4)));
    }

    #[test]
    fn empty_and_blank_are_refused() {
        assert_eq!(decode(b"", None), Err(DecodeError::Empty));
        assert_eq!(decode(b" \r\n\t", None), Err(DecodeError::Blank));
    }

    #[test]
    fn forced_encoding_is_used_and_checked() {
        let latin1 = encoding_for_label("latin1").unwrap();
        assert_eq!(decode(b"Stra\xdfe", Some(latin1)).unwrap().text, "Straße");
        let utf8 = encoding_for_label("utf-8").unwrap();
        assert_eq!(decode(b"Stra\xdfe", Some(utf8)), Err(DecodeError::Malformed("UTF-8")));
    }
}
