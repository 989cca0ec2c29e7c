//! Sentence boundaries over the token stream.
//!
//! A sentence ends after `.`, `?`, `!`, `…` or `;` — together with any closing quotes and
//! brackets glued to it — when what follows can start a sentence:
//!
//! | text | boundary |
//! |---|---|
//! | `„Wir kommen.“ Sie ging.` | after `“`: the mark is inside the quote |
//! | `„Wir kommen“. Sie ging.` | after `.`: the mark is outside |
//! | `„Kommt ihr?“, fragte er.` | none: a comma follows |
//! | `„Kommt ihr?“ fragte er.` | none: a lowercase word follows |
//! | `am 26. November`, `der 3. Platz`, `1. FC Köln` | none: a number's stop ends a sentence only before a sentence starter (*Die, Er, Am …*) |
//! | `im Jahr 2006. Im Herbst` | after `2006.` |
//! | `Dr. Müller`, `z. B. Äpfel` | never after such abbreviations and initials |
//! | `… Äpfel usw. Die Birnen` | after `usw.`: it may close a sentence before a starter |
//!
//! A blank line always ends a sentence (headlines and list items need no full stop); a single
//! line break does too, unless the next line goes on in lowercase.

use super::lists::{AbbreviationEnd, WordLists};
use super::tokenize::{RawToken, TokenKind};

/// How strongly a token closes a sentence.
enum Closing {
    /// `.`, `?`, `!`: before any capitalised word, digit or opening quote.
    Strong,
    /// `…`: like a full stop, but not inside brackets (`[…]`).
    Ellipsis,
    /// `;`: before anything but punctuation.
    Semicolon,
    /// Ordinals, abbreviations like *usw.*: only before a sentence starter.
    BeforeStarter,
}

fn closing(text: &str, token: &RawToken) -> Option<Closing> {
    match token.kind {
        TokenKind::FullStop | TokenKind::Question | TokenKind::Exclamation => Some(Closing::Strong),
        TokenKind::Ellipsis => Some(Closing::Ellipsis),
        TokenKind::Semicolon => Some(Closing::Semicolon),
        TokenKind::Abbreviation(AbbreviationEnd::BeforeStarter) => Some(Closing::BeforeStarter),
        TokenKind::NumberWithStop => {
            // Small numbers are ordinals and dates (26., 3.); years, scores and amounts are not.
            let number = &text[token.bytes.start..token.bytes.end - 1];
            let plain_small = number.len() <= 3 && number.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
            let date = number.matches('.').count() == 2;
            Some(if plain_small || date { Closing::BeforeStarter } else { Closing::Strong })
        }
        _ => None,
    }
}

/// Returns the token index at which each sentence ends (exclusive), the last being
/// `tokens.len()`. `forced` holds sorted byte offsets where a sentence must start (boilerplate
/// edges).
pub fn sentence_ends(text: &str, tokens: &[RawToken], lists: &WordLists, forced: &[usize]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut forced = forced.iter().peekable();
    let n = tokens.len();
    let mut i = 0;
    while i < n {
        let next = i + 1;
        if next >= n {
            break;
        }
        // Forced starts that fall between this token and the next.
        let mut forced_here = false;
        while let Some(&&f) = forced.peek() {
            if f > tokens[next].bytes.start {
                break;
            }
            forced.next();
            forced_here |= f >= tokens[i].bytes.end;
        }
        if forced_here || line_break_ends(text, tokens, i) {
            ends.push(next);
            i = next;
            continue;
        }
        let Some(strength) = closing(text, &tokens[i]) else {
            i = next;
            continue;
        };
        if matches!(strength, Closing::Ellipsis) && i > 0 && tokens[i - 1].kind == TokenKind::OpenBracket {
            i = next;
            continue;
        }
        // Closing quotes and brackets glued to the mark belong to the sentence.
        let mut j = next;
        while j < n && !tokens[j].space_before && matches!(tokens[j].kind, TokenKind::Quote | TokenKind::CloseBracket | TokenKind::FullStop)
        {
            j += 1;
        }
        if j >= n {
            break;
        }
        if tokens[j].newlines_before > 0 || starts_sentence(text, &tokens[j], &strength, lists) {
            ends.push(j);
        }
        i = j;
    }
    if n > 0 {
        ends.push(n);
    }
    ends.dedup();
    ends
}

fn starts_sentence(text: &str, token: &RawToken, closing: &Closing, lists: &WordLists) -> bool {
    let word = &text[token.bytes.clone()];
    let first = word.chars().next().unwrap_or(' ');
    let opening = matches!(token.kind, TokenKind::Quote | TokenKind::OpenBracket) || matches!(first, '–' | '—' | '-' | '•');
    match closing {
        Closing::Strong | Closing::Ellipsis => {
            (first.is_uppercase() || first.is_ascii_digit() || opening) && !matches!(token.kind, TokenKind::CloseBracket)
        }
        Closing::Semicolon => !token.kind.is_punct() || opening,
        Closing::BeforeStarter => lists.is_starter(word),
    }
}

/// Does a line break after token `i` end the sentence?
fn line_break_ends(text: &str, tokens: &[RawToken], i: usize) -> bool {
    let next = &tokens[i + 1];
    match next.newlines_before {
        0 => false,
        1 => {
            // Hard-wrapped prose goes on in lowercase: "der Minister\nsagte".
            let first = text[next.bytes.clone()].chars().next().unwrap_or(' ');
            let goes_on =
                first.is_lowercase() && !matches!(tokens[i].kind, TokenKind::FullStop | TokenKind::Question | TokenKind::Exclamation);
            !goes_on
        }
        _ => true,
    }
}
