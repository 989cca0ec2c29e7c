//! Word tokenization. Text is cut at whitespace into chunks; each chunk loses its leading and
//! trailing punctuation (quotes, brackets, commas, full stops) and is then split inside only
//! where German writing does not join (*a,b*; *2004-2005*).
//!
//! Some pieces are frozen first, so later rules never split them: URLs and e-mail addresses,
//! abbreviations (*z.B.*, *Dr.*, *usw.*), numbers with a full stop (*26.*, *2006.*,
//! *20.06.2024*), initials (*J.*), gender forms (*Kund:innen*, *Bürger*innen*), hyphenated
//! compounds and suspended hyphens (*US-Präsident*, *Lebensmittel-*). A full stop that follows a
//! word is a token of its own, as in spaCy's German conventions.

use super::lists::{AbbreviationEnd, WordLists};
use std::ops::Range;

/// What a token is, as far as sentence splitting cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// *Haus*, *US-Präsident*, *Kund:innen*.
    Word,
    /// *318*, *1.000,50*, *3,5*, *2:1*.
    Number,
    /// A number keeping its full stop: an ordinal or date (*26.*, *3.*) or a number closing a
    /// sentence (*2006.*, *2:1.*).
    NumberWithStop,
    /// A listed or dotted abbreviation (*Dr.*, *usw.*, *e.V.*).
    Abbreviation(AbbreviationEnd),
    /// A single letter with a full stop: *J. F. Kennedy*, *z. B.*.
    Initial,
    /// `https://www.example.de/seite`.
    Url,
    /// `presse@example.de`.
    Email,
    /// `.`
    FullStop,
    /// `?`
    Question,
    /// `!`
    Exclamation,
    /// `…` or `...`
    Ellipsis,
    /// `;`
    Semicolon,
    /// Any quotation mark: „ “ ” " » « ‚ ‘ ’ ' and `''`.
    Quote,
    /// ( [ {
    OpenBracket,
    /// ) ] }
    CloseBracket,
    /// Other punctuation and symbols: , : – / % €.
    OtherPunct,
}

impl TokenKind {
    /// True for tokens made of punctuation only.
    pub fn is_punct(self) -> bool {
        use TokenKind::*;
        matches!(self, FullStop | Question | Exclamation | Ellipsis | Semicolon | Quote | OpenBracket | CloseBracket | OtherPunct)
    }
}

/// A token with its byte range and what preceded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawToken {
    /// Byte range in the text.
    pub bytes: Range<usize>,
    /// What it is.
    pub kind: TokenKind,
    /// Whitespace comes right before it (or it starts the text).
    pub space_before: bool,
    /// Line breaks in the whitespace before it.
    pub newlines_before: u32,
}

/// Characters treated as whitespace between tokens. The soft hyphen is not one of them: it
/// sits inside words.
pub fn is_space(c: char) -> bool {
    crate::doc::is_separator(c)
}

/// Tokenizes `text`, appending to `out`.
pub fn tokenize(text: &str, lists: &WordLists, out: &mut Vec<RawToken>) {
    let mut chunk_start: Option<usize> = None;
    let mut newlines = 0u32;
    for (i, c) in text.char_indices() {
        if is_space(c) {
            if let Some(start) = chunk_start.take() {
                push_chunk(text, start..i, newlines, lists, out);
                newlines = 0;
            }
            if c == '\n' {
                newlines += 1;
            }
        } else if chunk_start.is_none() {
            chunk_start = Some(i);
        }
    }
    if let Some(start) = chunk_start {
        push_chunk(text, start..text.len(), newlines, lists, out);
    }
}

fn push_chunk(text: &str, chunk: Range<usize>, newlines: u32, lists: &WordLists, out: &mut Vec<RawToken>) {
    let first = out.len();
    split_chunk(text, chunk, lists, out);
    if let Some(token) = out.get_mut(first) {
        token.space_before = true;
        token.newlines_before = newlines;
    }
}

fn token(bytes: Range<usize>, kind: TokenKind) -> RawToken {
    RawToken { bytes, kind, space_before: false, newlines_before: 0 }
}

fn punct_kind(c: char) -> Option<TokenKind> {
    use TokenKind::*;
    Some(match c {
        '.' => FullStop,
        '?' => Question,
        '!' => Exclamation,
        '…' => Ellipsis,
        ';' => Semicolon,
        '„' | '“' | '”' | '"' | '‚' | '‘' | '’' | '»' | '«' | '›' | '‹' | '\'' | '`' | '´' => Quote,
        '(' | '[' | '{' => OpenBracket,
        ')' | ']' | '}' => CloseBracket,
        ',' | ':' | '–' | '—' | '-' | '/' | '¿' | '¡' | '*' | '•' | '·' | '&' | '+' | '=' | '<' | '>' | '|' | '#' | '§' | '%' | '€'
        | '$' | '£' | '°' => OtherPunct,
        _ => return None,
    })
}

/// Every quotation mark German text uses, straight and typographic.
const QUOTES: &str = "„“”\"‚‘’»«›‹'";

/// Quotes, brackets and dashes split off the front of a chunk.
fn is_prefix(c: char) -> bool {
    QUOTES.contains(c) || "([{¿¡–—…•·".contains(c)
}

/// Punctuation split off the end of a chunk (the full stop has rules of its own).
fn is_suffix(c: char) -> bool {
    QUOTES.contains(c) || ",;:!?)]}…–—".contains(c)
}

/// Symbols split off the end of a number: *5%*, *20€*.
fn is_unit_symbol(c: char) -> bool {
    matches!(c, '%' | '€' | '$' | '£' | '°' | '‰')
}

fn split_chunk(text: &str, chunk: Range<usize>, lists: &WordLists, out: &mut Vec<RawToken>) {
    let (mut lo, mut hi) = (chunk.start, chunk.end);
    // Leading punctuation.
    while lo < hi {
        let rest = &text[lo..hi];
        if rest.len() > 3 && rest.starts_with("...") {
            out.push(token(lo..lo + 3, TokenKind::Ellipsis));
            lo += 3;
            continue;
        }
        if rest.len() > 2 && (rest.starts_with("''") || rest.starts_with("``")) {
            out.push(token(lo..lo + 2, TokenKind::Quote));
            lo += 2;
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        if !is_prefix(c) || rest.len() == c.len_utf8() {
            break;
        }
        let kind = punct_kind(c).unwrap_or(TokenKind::OtherPunct);
        out.push(token(lo..lo + c.len_utf8(), kind));
        lo += c.len_utf8();
    }
    // Trailing punctuation, collected back to front.
    let mut back: Vec<RawToken> = Vec::new();
    let mut core_kind = None;
    while lo < hi {
        let rest = &text[lo..hi];
        if rest.len() > 3 && rest.ends_with("...") {
            back.push(token(hi - 3..hi, TokenKind::Ellipsis));
            hi -= 3;
            continue;
        }
        if rest.len() > 2 && rest.ends_with("''") {
            back.push(token(hi - 2..hi, TokenKind::Quote));
            hi -= 2;
            continue;
        }
        let Some(c) = rest.chars().next_back() else { break };
        let len = c.len_utf8();
        if rest.len() == len {
            break;
        }
        if c == '.' {
            if let Some(kind) = stop_belongs_to_word(rest, lists) {
                core_kind = Some(kind);
                break;
            }
            back.push(token(hi - 1..hi, TokenKind::FullStop));
            hi -= 1;
        } else if is_suffix(c) || (is_unit_symbol(c) && rest[..rest.len() - len].ends_with(|p: char| p.is_ascii_digit())) {
            back.push(token(hi - len..hi, punct_kind(c).unwrap_or(TokenKind::OtherPunct)));
            hi -= len;
        } else {
            break;
        }
    }
    if lo < hi {
        match core_kind {
            Some(kind) => out.push(token(lo..hi, kind)),
            None => split_core(text, lo..hi, out),
        }
    }
    out.extend(back.into_iter().rev());
}

/// Decides whether a chunk's final full stop stays with the word, and what the word is then.
fn stop_belongs_to_word(rest: &str, lists: &WordLists) -> Option<TokenKind> {
    if let Some(end) = lists.abbreviation(rest) {
        return Some(TokenKind::Abbreviation(end));
    }
    // Sentence-initial capitals: "Vgl." is "vgl.".
    let mut chars = rest.chars();
    if let Some(first) = chars.next() {
        if first.is_uppercase() {
            let lowered: String = first.to_lowercase().chain(chars).collect();
            if let Some(end) = lists.abbreviation(&lowered) {
                return Some(TokenKind::Abbreviation(end));
            }
        }
    }
    let word = &rest[..rest.len() - 1];
    if is_number(word) || is_roman_numeral(word) {
        return Some(TokenKind::NumberWithStop);
    }
    let mut letters = word.chars();
    if let (Some(c), None) = (letters.next(), letters.next()) {
        if c.is_alphabetic() {
            return Some(TokenKind::Initial);
        }
    }
    // Dotted abbreviations not in the list: e.V., C.Y., i.d.R.
    if word.contains('.') && word.split('.').all(|part| (1..=3).contains(&part.chars().count()) && part.chars().all(char::is_alphabetic)) {
        return Some(TokenKind::Abbreviation(AbbreviationEnd::BeforeStarter));
    }
    None
}

/// Digits with inner separators: *318*, *1.000,50*, *20.06.2024*, *2:1*, *1/2*.
fn is_number(word: &str) -> bool {
    let bytes = word.as_bytes();
    !bytes.is_empty()
        && bytes[0].is_ascii_digit()
        && bytes[bytes.len() - 1].is_ascii_digit()
        && bytes.iter().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b',' | b':' | b'/'))
}

/// Roman ordinals as in *Papst Johannes Paul II.*, *XX. Jahrhundert*.
fn is_roman_numeral(word: &str) -> bool {
    (2..=6).contains(&word.len()) && word.bytes().all(|b| matches!(b, b'I' | b'V' | b'X' | b'L' | b'C'))
}

fn is_url_or_email(word: &str) -> Option<TokenKind> {
    let lower = word.get(..8).unwrap_or(word).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.") {
        return Some(TokenKind::Url);
    }
    let (user, host) = word.split_once('@')?;
    (!user.is_empty() && host.contains('.') && !host.starts_with('.') && !host.ends_with('.')).then_some(TokenKind::Email)
}

/// Splits what is left of a chunk inside, where German writing does not join.
fn split_core(text: &str, core: Range<usize>, out: &mut Vec<RawToken>) {
    let word = &text[core.clone()];
    if let Some(kind) = is_url_or_email(word) {
        out.push(token(core, kind));
        return;
    }
    if !word.chars().any(char::is_alphanumeric) {
        // Punctuation only: one token per mark, "..." kept together.
        let mut i = core.start;
        while i < core.end {
            let rest = &text[i..core.end];
            if rest.starts_with("...") {
                out.push(token(i..i + 3, TokenKind::Ellipsis));
                i += 3;
                continue;
            }
            let c = rest.chars().next().unwrap_or('.');
            out.push(token(i..i + c.len_utf8(), punct_kind(c).unwrap_or(TokenKind::OtherPunct)));
            i += c.len_utf8();
        }
        return;
    }
    // Inner split points: a comma between letters, a colon between letters (unless it is a
    // gender form, Kund:innen), a hyphen between digits (2004-2005), an ellipsis.
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    let mut piece_start = 0;
    let mut k = 0;
    while k < chars.len() {
        let (b, c) = chars[k];
        let prev = k.checked_sub(1).map(|p| chars[p].1);
        let next = chars.get(k + 1).map(|n| n.1);
        let split_len = match (prev, c, next) {
            (Some(p), ',' | ';', Some(n)) if p.is_alphabetic() && n.is_alphabetic() => Some(1),
            (Some(p), ':', Some(n)) if p.is_alphabetic() && n.is_alphabetic() && !word[b + 1..].starts_with("in") => Some(1),
            (Some(p), '-' | '–', Some(n)) if p.is_ascii_digit() && n.is_ascii_digit() => Some(c.len_utf8()),
            (Some(_), '…', Some(_)) => Some(c.len_utf8()),
            (Some(_), '.', Some('.')) if word[b..].starts_with("...") && b > 0 && b + 3 < word.len() => Some(3),
            _ => None,
        };
        match split_len {
            Some(len) => {
                push_piece(text, core.start + piece_start..core.start + b, out);
                let kind = if len == 3 || c == '…' { TokenKind::Ellipsis } else { punct_kind(c).unwrap_or(TokenKind::OtherPunct) };
                out.push(token(core.start + b..core.start + b + len, kind));
                piece_start = b + len;
                while k < chars.len() && chars[k].0 < piece_start {
                    k += 1;
                }
            }
            None => k += 1,
        }
    }
    push_piece(text, core.start + piece_start..core.end, out);
}

fn push_piece(text: &str, piece: Range<usize>, out: &mut Vec<RawToken>) {
    if piece.is_empty() {
        return;
    }
    let word = &text[piece.clone()];
    let kind = if is_number(word) {
        TokenKind::Number
    } else if word.chars().count() == 1 {
        word.chars().next().and_then(punct_kind).unwrap_or(TokenKind::Word)
    } else {
        TokenKind::Word
    };
    out.push(token(piece, kind));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        tokenize(text, &WordLists::builtin(), &mut out);
        out.iter().map(|t| &text[t.bytes.clone()]).collect()
    }

    #[test]
    fn hard_cases_tokenize_like_german_news_conventions() {
        let cases: &[(&str, &[&str])] = &[
            ("Er kam z. B. am 26. November.", &["Er", "kam", "z.", "B.", "am", "26.", "November", "."]),
            ("Dr. Müller bzw. Prof. Schmidt, usw.", &["Dr.", "Müller", "bzw.", "Prof.", "Schmidt", ",", "usw."]),
            ("„Wir kommen.“ Sie ging.", &["„", "Wir", "kommen", ".", "“", "Sie", "ging", "."]),
            ("»Nein«, sagte er: ‚Niemals‘!", &["»", "Nein", "«", ",", "sagte", "er", ":", "‚", "Niemals", "‘", "!"]),
            ("Kund:innen und Bürger*innen", &["Kund:innen", "und", "Bürger*innen"]),
            ("1.000,50 Euro; 3,5 Prozent; 5%", &["1.000,50", "Euro", ";", "3,5", "Prozent", ";", "5", "%"]),
            ("US-Präsident, Lebensmittel- und Energielieferungen", &["US-Präsident", ",", "Lebensmittel-", "und", "Energielieferungen"]),
            (
                "Siehe https://www.example.de/a?b=1. Oder presse@example.de.",
                &["Siehe", "https://www.example.de/a?b=1", ".", "Oder", "presse@example.de", "."],
            ),
            ("am 20.06.2024 beim 1. FC Köln, 2004-2005", &["am", "20.06.2024", "beim", "1.", "FC", "Köln", ",", "2004", "-", "2005"]),
            ("Und dann... nichts … oder doch?", &["Und", "dann", "...", "nichts", "…", "oder", "doch", "?"]),
            ("(dpa). Der e.V. und J. F. Kennedy", &["(", "dpa", ")", ".", "Der", "e.V.", "und", "J.", "F.", "Kennedy"]),
            ("Vgl. S. 12 und Nr. 5 – fertig", &["Vgl.", "S.", "12", "und", "Nr.", "5", "–", "fertig"]),
            ("des ''Paradox'', 2:1.", &["des", "''", "Paradox", "''", ",", "2:1."]),
            ("Papst Johannes Paul II. und das XX. Jahrhundert", &["Papst", "Johannes", "Paul", "II.", "und", "das", "XX.", "Jahrhundert"]),
        ];
        for (text, want) in cases {
            assert_eq!(words(text), *want, "{text}");
        }
    }

    #[test]
    fn soft_hyphen_and_nbsp() {
        // A soft hyphen stays inside its word; a non-breaking space separates.
        assert_eq!(words("Bundes\u{ad}regierung Nr.\u{a0}5"), ["Bundes\u{ad}regierung", "Nr.", "5"]);
    }

    #[test]
    fn tokens_tile_the_text_without_whitespace() {
        let text = "„Das ist – so der Minister – ein Erfolg“, hieß es (laut dpa).\n\nFoto: X";
        let mut out = Vec::new();
        tokenize(text, &WordLists::builtin(), &mut out);
        let joined: String = out.iter().map(|t| &text[t.bytes.clone()]).collect();
        let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        assert_eq!(joined, squeezed);
        let newline_token = out.iter().find(|t| &text[t.bytes.clone()] == "Foto:").map(|t| t.newlines_before);
        assert_eq!(newline_token, None, "colon is split off");
        let foto = out.iter().find(|t| &text[t.bytes.clone()] == "Foto").map(|t| t.newlines_before);
        assert_eq!(foto, Some(2));
    }
}
