//! `lesart inspect`: sentences with their annotations, for a person at a terminal.
//!
//! Colours are used only when asked for (the binary asks when stdout is a terminal); otherwise
//! the output is plain text that reads the same.

use crate::doc::{Document, Mood, Sentence};
use std::fmt::Write;

/// How to show inspected sentences.
#[derive(Debug, Clone, Copy, Default)]
pub struct InspectStyle {
    /// Use ANSI colours.
    pub color: bool,
}

const BOLD_YELLOW: &str = "\x1b[1;33m";
const BOLD_CYAN: &str = "\x1b[1;36m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// Renders one sentence (numbered from 1) with its mood-marked verbs highlighted and a line per
/// token that carries a finding.
pub fn render_sentence(doc: &Document, index: usize, sentence: &Sentence, style: InspectStyle) -> String {
    let mut out = String::new();
    let paint = |code: &str, s: &str| if style.color { format!("{code}{s}{RESET}") } else { s.to_string() };
    let flag = if sentence.boilerplate { " [boilerplate]" } else { "" };
    let _ = write!(out, "{}", paint(DIM, &format!("[{}] {}–{}{flag}\n", index + 1, sentence.span.start, sentence.span.end)));
    // The sentence text with Konjunktiv forms marked: in colour, or «like this» when plain.
    let mut line = String::new();
    let mut at = sentence.span.start;
    for t in &sentence.tokens {
        let mood = t.morph.as_ref().and_then(|m| m.mood);
        let code = match mood {
            Some(Mood::KonjunktivI) => Some(BOLD_YELLOW),
            Some(Mood::KonjunktivII) => Some(BOLD_CYAN),
            _ => None,
        };
        if let Some(code) = code {
            line.push_str(doc.text_of(crate::doc::Span::new(at, t.span.start)));
            let word = doc.text_of(t.span);
            if style.color {
                line.push_str(&paint(code, word));
            } else {
                let _ = write!(line, "«{word}»");
            }
            at = t.span.end;
        }
    }
    line.push_str(doc.text_of(crate::doc::Span::new(at, sentence.span.end)));
    let _ = writeln!(out, "  {}", line.replace('\n', "\n  "));
    for t in &sentence.tokens {
        let Some(m) = &t.morph else { continue };
        let Some(mood) = m.mood.filter(|m| matches!(m, Mood::KonjunktivI | Mood::KonjunktivII)) else { continue };
        let label = match mood {
            Mood::KonjunktivI => "Konjunktiv I (reported speech)",
            _ => "Konjunktiv II (hypothetical)",
        };
        let _ = writeln!(out, "    {} → {} {:?}: {label}", doc.text_of(t.span), m.lemma, m.pos);
    }
    out
}
