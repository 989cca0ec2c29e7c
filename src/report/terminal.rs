//! `lesart inspect`: sentences with their annotations, for a person at a terminal.
//!
//! Colours are used only when asked for (the binary asks when stdout is a terminal); otherwise
//! the output is plain text that reads the same: entities in [brackets], cues in {braces},
//! other Konjunktiv forms in «guillemets».

use crate::doc::{ClaimForm, Document, Mood, Sentence, Span, StanceHolder};
use crate::modality::summary::{cue_kind_name, modality_name};
use anstyle::{AnsiColor, Style};
use std::fmt::Write;

/// How to show inspected sentences.
#[derive(Debug, Clone, Copy, Default)]
pub struct InspectStyle {
    /// Use ANSI colours (the binary writes through anstream, which drops them where the
    /// terminal cannot show them).
    pub color: bool,
}

const BOLD_YELLOW: Style = AnsiColor::Yellow.on_default().bold();
const BOLD_CYAN: Style = AnsiColor::Cyan.on_default().bold();
const GREEN_UNDERLINE: Style = AnsiColor::Green.on_default().underline();
const BOLD_MAGENTA: Style = AnsiColor::Magenta.on_default().bold();
const DIM: Style = Style::new().dimmed();

/// A stretch of the sentence to highlight: its colour and its plain-text brackets.
struct Mark {
    span: Span,
    color: Style,
    open: &'static str,
    close: &'static str,
}

/// Renders one sentence (numbered from 1) with its entities and mood-marked verbs highlighted,
/// then a line per finding.
pub fn render_sentence(doc: &Document, index: usize, sentence: &Sentence, style: InspectStyle) -> String {
    let mut out = String::new();
    let paint = |code: Style, s: &str| if style.color { format!("{code}{s}{code:#}") } else { s.to_string() };
    let flag = if sentence.boilerplate { " [boilerplate]".to_string() } else { String::new() };
    let modality = sentence.modality.map(|m| format!(" {}", modality_name(m))).unwrap_or_default();
    let _ = writeln!(out, "{}", paint(DIM, &format!("[{}] {}–{}{modality}{flag}", index + 1, sentence.span.start, sentence.span.end)));

    let mut marks: Vec<Mark> =
        sentence.entities.iter().map(|e| Mark { span: e.span, color: GREEN_UNDERLINE, open: "[", close: "]" }).collect();
    marks.extend(sentence.cues.iter().map(|c| Mark { span: c.span, color: BOLD_MAGENTA, open: "{", close: "}" }));
    for t in &sentence.tokens {
        let color = match t.morph.as_ref().and_then(|m| m.mood) {
            Some(Mood::KonjunktivI) => BOLD_YELLOW,
            Some(Mood::KonjunktivII) => BOLD_CYAN,
            _ => continue,
        };
        marks.push(Mark { span: t.span, color, open: "«", close: "»" });
    }
    marks.sort_by_key(|m| (m.span.start, m.span.end));
    let mut line = String::new();
    let mut at = sentence.span.start;
    for m in marks {
        if m.span.start < at {
            continue; // Overlaps a stretch already marked.
        }
        line.push_str(doc.text_of(Span::new(at, m.span.start)));
        let text = doc.text_of(m.span);
        if style.color {
            line.push_str(&paint(m.color, text));
        } else {
            let _ = write!(line, "{}{text}{}", m.open, m.close);
        }
        at = m.span.end;
    }
    line.push_str(doc.text_of(Span::new(at, sentence.span.end)));
    let _ = writeln!(out, "  {}", line.replace('\n', "\n  "));

    for e in &sentence.entities {
        let derived = if e.derived { ", derived" } else { "" };
        let _ = writeln!(out, "    {} → {:?}{derived} ({:.2})", doc.text_of(e.span), e.label, e.score);
    }
    for c in &sentence.cues {
        let _ = writeln!(out, "    {} → cue {} ({})", doc.text_of(c.span), cue_kind_name(c.kind), c.lemma);
    }
    let spans = |spans: &[Span]| spans.iter().map(|s| format!("«{}»", doc.text_of(*s))).collect::<Vec<_>>().join(" … ");
    for c in &sentence.claims {
        let form = match c.form {
            ClaimForm::Direct => "direct",
            ClaimForm::Indirect => "indirect",
            ClaimForm::Reported => "reported",
        };
        let hedged = if c.hedged { ", hedged" } else { "" };
        let source = c.source.map(|s| format!("«{}»", doc.text_of(s))).unwrap_or_else(|| "none named".into());
        let cue = match c.form {
            _ if !c.cue.is_empty() => spans(&c.cue),
            ClaimForm::Reported => "none (the verb is part of what is reported)".to_string(),
            _ => "none (continues the reported speech before it)".to_string(),
        };
        let _ = writeln!(out, "    claim ({form}{hedged}): source {source}; cue {cue}; message {}", spans(&c.message));
    }
    for t in &sentence.tokens {
        let Some(m) = &t.morph else { continue };
        if sentence.cues.iter().any(|c| c.span == t.span) {
            continue; // Already listed as a cue.
        }
        let label = match m.mood {
            Some(Mood::KonjunktivI) => "Konjunktiv I (reported speech)",
            Some(Mood::KonjunktivII) => "Konjunktiv II (hypothetical)",
            _ => continue,
        };
        let _ = writeln!(out, "    {} → {} {:?}: {label}", doc.text_of(t.span), m.lemma, m.pos);
    }
    for st in &sentence.stance {
        let label = st.label.name();
        let holder = match (st.holder, st.holder_span) {
            (StanceHolder::Source, Some(s)) => format!("source «{}»", doc.text_of(s)),
            (StanceHolder::Source, None) => "an unnamed source".into(),
            (StanceHolder::Author, _) => "author".into(),
        };
        let evidence = if st.evidence.is_empty() { String::new() } else { format!("; evidence {}", spans(&st.evidence)) };
        let painted = paint(if st.score < 0.0 { BOLD_MAGENTA } else { BOLD_CYAN }, &format!("{label} {:+.2}", st.score));
        let painted = match st.probability {
            Some(p) => format!("{painted} (probability {p:.2})"),
            None => painted,
        };
        let _ = writeln!(out, "    stance toward «{}»: {painted}, held by {holder}{evidence}", st.target);
    }
    out
}
