//! The reading view: a document's text in its sentences, with its findings as marks that
//! users and tests can rely on (`data-label`, `data-cue`, `data-claim`, `data-stance`), in
//! HTML that needs no script. Marks that cross are split, each piece carrying the whole
//! mark's attributes; every piece of text is escaped.

use crate::doc::{Claim, CueKind, Document, Entity, Mood, Span, Stance, StanceHolder};
use crate::ner::EntityGroup;
use std::fmt::Write;

/// A mark on the text: where, how deep it nests when spans coincide, and its opening tag.
struct Mark {
    span: Span,
    /// Smaller is outer where spans coincide.
    rank: u8,
    open: String,
}

/// The anchor of a document in a page: `doc-` and its id with every character other than
/// ASCII letters, digits, `-` and `.` written as `_XX` (hex of its UTF-8 bytes), so the same
/// id gives the same anchor in every report.
pub fn anchor(id: &str) -> String {
    let mut out = String::from("doc-");
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'.' {
            out.push(b as char);
        } else {
            let _ = write!(out, "_{b:02X}");
        }
    }
    out
}

/// The document's text with its marks, sentence by sentence, as an `<article>`.
pub fn document_view(doc: &Document, groups: &[EntityGroup]) -> String {
    let id = anchor(&doc.id);
    let mut h = String::new();
    let _ = write!(h, "<article class=\"view\" data-doc=\"{}\">", esc(&doc.id));
    render(&mut h, doc, groups, &id);
    h.push_str("</article>");
    h
}

/// Writes the text, sentence by sentence; each sentence an element of its own, with the marks
/// that lie in it (a mark over several sentences, such as a quotation's message, is cut at
/// their ends, each piece with the mark's attributes).
fn render(h: &mut String, doc: &Document, groups: &[EntityGroup], id: &str) {
    let mut marks = marks_of(doc, groups, id);
    marks.sort_by_key(|m| m.order(m.span));
    let mut at = 0;
    // Marks in order of their start: those begun before a sentence that reach into it are
    // carried over from the one before, so each mark is looked at about once.
    let (mut next, mut carried): (usize, Vec<&Mark>) = (0, Vec::new());
    for (n, s) in doc.sentences.iter().enumerate() {
        h.push_str(&esc(doc.text_of(Span::new(at, s.span.start.max(at)))));
        let modality = s.modality.map_or("none", crate::modality::summary::modality_name);
        let class = if s.boilerplate { "s bp" } else { "s" };
        let _ = write!(h, "<span class=\"{class}\" id=\"{id}-s{}\" data-sentence=\"{}\" data-modality=\"{modality}\">", n + 1, n + 1);
        carried.retain(|m| m.span.end > s.span.start);
        while next < marks.len() && marks[next].span.start < s.span.end {
            if marks[next].span.end > s.span.start {
                carried.push(&marks[next]);
            }
            next += 1;
        }
        let mut pieces: Vec<Piece> =
            carried.iter().map(|&m| (Span::new(m.span.start.max(s.span.start), m.span.end.min(s.span.end)), m)).collect();
        pieces.sort_by_key(|&(span, m)| m.order(span));
        render_marked(h, doc, s.span, &pieces);
        carried.retain(|m| m.span.end > s.span.end);
        h.push_str("</span>");
        at = s.span.end.max(at);
    }
    h.push_str(&esc(doc.text_of(Span::new(at, doc.text.char_len()))));
}

/// The part of a mark that lies in one sentence.
type Piece<'a> = (Span, &'a Mark);

impl Mark {
    /// Where a piece of this mark (over `span`) goes among others: by start, the longest
    /// (outermost) first, then by rank.
    fn order(&self, span: Span) -> (u32, std::cmp::Reverse<u32>, u8) {
        (span.start, std::cmp::Reverse(span.end), self.rank)
    }
}

/// The text of `span` with `pieces` (in [`Mark::order`]) nested in it.
fn render_marked(h: &mut String, doc: &Document, span: Span, pieces: &[Piece]) {
    let mut points: Vec<u32> = pieces.iter().flat_map(|(p, _)| [p.start, p.end]).chain([span.start, span.end]).collect();
    points.sort_unstable();
    points.dedup();
    let mut open: Vec<&Piece> = Vec::new();
    let (mut next, mut at) = (0, span.start);
    for point in points {
        if point > at {
            h.push_str(&esc(doc.text_of(Span::new(at, point))));
            at = point;
        }
        // Close what ends here; what was opened inside it and goes on is opened again.
        if let Some(i) = open.iter().position(|(p, _)| p.end <= point) {
            let closed: Vec<&Piece> = open.drain(i..).collect();
            closed.iter().for_each(|_| h.push_str("</span>"));
            for piece in closed.into_iter().filter(|(p, _)| p.end > point) {
                h.push_str(&piece.1.open);
                open.push(piece);
            }
        }
        while next < pieces.len() && pieces[next].0.start == point {
            h.push_str(&pieces[next].1.open);
            open.push(&pieces[next]);
            next += 1;
        }
    }
    open.iter().for_each(|_| h.push_str("</span>"));
}

/// Every mark of a document but its sentences.
fn marks_of(doc: &Document, groups: &[EntityGroup], id: &str) -> Vec<Mark> {
    let mut marks = Vec::new();
    let actors: std::collections::HashMap<Span, &str> =
        groups.iter().flat_map(|g| g.mentions.iter().map(move |&m| (m, g.canonical.as_str()))).collect();
    let claims = doc.sentences.iter().flat_map(|s| &s.claims);
    for (n, claim) in claims.enumerate() {
        claim_marks(&mut marks, doc, claim, &format!("{id}-c{}", n + 1));
    }
    for s in &doc.sentences {
        marks.extend(s.stance.iter().map(|st| stance_mark(doc, st)));
        marks.extend(s.entities.iter().map(|e| entity_mark(doc, &actors, e)));
        for cue in &s.cues {
            let kind = crate::modality::summary::cue_kind_name(cue.kind);
            let title = if cue.kind == CueKind::KonjunktivI { "Konjunktiv I" } else { kind };
            marks.push(Mark { span: cue.span, rank: 6, open: format!("<span class=\"cue\" data-cue=\"{kind}\" title=\"{title}\">") });
        }
        for t in s.tokens.iter().filter(|t| t.morph.as_ref().is_some_and(|m| m.mood == Some(Mood::KonjunktivI))) {
            marks.push(Mark { span: t.span, rank: 7, open: "<span class=\"kj1\" data-mood=\"konjunktiv_i\">".to_string() });
        }
    }
    marks.retain(|m| m.span.start < m.span.end);
    marks
}

/// A claim's message, source and cue, each part carrying the claim's `key`.
fn claim_marks(marks: &mut Vec<Mark>, doc: &Document, claim: &Claim, key: &str) {
    let form = crate::modality::summary::form_name(claim.form);
    let source = claim.source.and_then(|sp| crate::modality::summary::source_key(doc, claim.entity.as_deref(), sp)).unwrap_or_default();
    let common = format!("data-claim=\"{key}\" data-form=\"{form}\" data-source=\"{}\"", esc(&source));
    for &span in &claim.message {
        marks.push(Mark { span, rank: 1, open: format!("<span class=\"msg\" {common} data-role=\"message\">") });
    }
    if let Some(span) = claim.source {
        marks.push(Mark { span, rank: 2, open: format!("<span class=\"src\" {common} data-role=\"source\">") });
    }
    for &span in &claim.cue {
        marks.push(Mark { span, rank: 3, open: format!("<span class=\"ccue\" {common} data-role=\"cue\">") });
    }
}

/// A stance on its target: the label as colour, score, probability and holder.
fn stance_mark(doc: &Document, st: &Stance) -> Mark {
    let label = st.label.name();
    let holder = match (st.holder, st.holder_span) {
        (StanceHolder::Source, Some(span)) => doc.text_of(span).to_string(),
        (StanceHolder::Source, None) => "a source".to_string(),
        (StanceHolder::Author, _) => "author".to_string(),
    };
    let probability = st.probability.map(|p| format!(", p = {p:.2}")).unwrap_or_default();
    let title = format!("{label} {:+.2}{probability}, held by {holder}", st.score);
    Mark {
        span: st.span,
        rank: 4,
        open: format!(
            "<span class=\"st {label}\" data-stance=\"{label}\" data-target=\"{}\" data-score=\"{:.2}\" data-holder=\"{}\" title=\"{}\">",
            esc(&st.target),
            st.score,
            esc(&holder),
            esc(&title)
        ),
    }
}

/// An entity mention with its type, offsets and the actor (group) it belongs to.
fn entity_mark(doc: &Document, actors: &std::collections::HashMap<Span, &str>, e: &Entity) -> Mark {
    let label = e.label.name();
    let actor = actors.get(&e.span).copied().unwrap_or_else(|| doc.text_of(e.span));
    Mark {
        span: e.span,
        rank: 5,
        open: format!(
            "<span class=\"ent {label}\" data-label=\"{label}\" data-start=\"{}\" data-end=\"{}\" data-actor=\"{}\" title=\"{label}: {}\">",
            e.span.start,
            e.span.end,
            esc(actor),
            esc(actor)
        ),
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{ClaimForm, EntityLabel, Sentence};

    /// `Er sagte: <b>Anna Weber</b> & Co. kommen.` with a claim whose message starts inside
    /// the entity and ends after it, so that the two marks cross.
    fn crossing() -> Document {
        let text = "Er sagte: <b>Anna Weber</b> & Co. kommen.";
        let mut doc = Document::new("a<b>.txt", text.to_string(), "UTF-8");
        let at = |s: &str| text.find(s).unwrap() as u32;
        let entity = Span::new(at("Anna"), at("</b> &"));
        let mut sentence = Sentence { span: Span::new(0, text.len() as u32), ..Default::default() };
        sentence.entities.push(Entity { span: entity, label: EntityLabel::PER, derived: false, score: 1.0 });
        sentence.claims.push(Claim {
            cue: vec![Span::new(at("sagte"), at(":"))],
            source: Some(Span::new(0, 2)),
            message: vec![Span::new(at("Weber"), text.len() as u32)],
            form: ClaimForm::Indirect,
            hedged: false,
            entity: None,
        });
        doc.sentences.push(sentence);
        doc
    }

    #[test]
    fn crossing_marks_are_cut_into_pieces_that_nest() {
        let html = document_view(&crossing(), &[]);
        assert_eq!(html.matches("<span").count(), html.matches("</span>").count(), "{html}");
        assert_eq!(html.matches("data-label=\"PER\"").count(), 1, "{html}");
        assert_eq!(html.matches("data-role=\"message\"").count(), 2, "the message is cut where the entity ends: {html}");
        assert!(html.contains("data-role=\"message\"") && html.contains("data-role=\"cue\"") && html.contains("data-role=\"source\""));
        let key = "data-claim=\"doc-a_3Cb_3E.txt-c1\"";
        assert_eq!(html.matches(key).count(), 4, "source, cue and both pieces of the message carry one key: {html}");
    }

    #[test]
    fn text_and_ids_are_escaped_and_nothing_is_lost() {
        let html = document_view(&crossing(), &[]);
        assert!(!html.contains("<b>") && html.contains("&lt;/b&gt; &amp; Co.") && html.contains("data-doc=\"a&lt;b&gt;.txt\""), "{html}");
        let tags = regex::Regex::new("<[^>]*>").unwrap();
        let text = tags.replace_all(&html, "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
        assert_eq!(text, crossing().text.as_str());
    }

    #[test]
    fn anchors_keep_plain_ids_and_encode_the_rest() {
        assert_eq!(anchor("politik-haushaltsstreit.txt"), "doc-politik-haushaltsstreit.txt");
        assert_eq!(anchor("k.jsonl#a b/ü"), "doc-k.jsonl_23a_20b_2F_C3_BC");
    }
}
