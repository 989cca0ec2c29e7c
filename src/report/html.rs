//! `report.html`: the corpus report as one self-contained page (inline CSS and SVG charts, no
//! scripts, nothing fetched).

use super::aggregate::{DocumentSummary, Report};
use std::fmt::Write;

/// The chart of hedging and reported speech shows this many documents at most (the first);
/// the table below it lists them all.
pub const CHART_DOCUMENTS: usize = 200;

/// Renders the report as a standalone HTML page.
pub fn render(report: &Report) -> String {
    let first = &report.documents[..report.documents.len().min(CHART_DOCUMENTS)];
    [head(report, first), report.documents.iter().map(document_row).collect(), tail(report)].concat()
}

/// Everything before the rows of the documents table, with the chart of `first`.
pub(crate) fn head(report: &Report, first: &[DocumentSummary]) -> String {
    let mut h = String::new();
    let c = &report.corpus;
    let m = &report.modality;
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"de\"><head><meta charset=\"utf-8\"><title>lesart report</title><style>{STYLE}</style></head><body>\n"
    );
    let _ = writeln!(h, "<h1>lesart report</h1>");
    let _ = writeln!(
        h,
        "<p>{} documents, {} sentences ({} boilerplate), {} words. {:.1} hedge cues per 100 sentences; {} claims ({} hedged, {} without a named source).</p>",
        report.documents_analysed,
        c.sentences,
        c.boilerplate_sentences,
        c.words,
        m.hedging_density,
        m.claims,
        m.hedged_claims,
        m.unattributed_claims
    );

    if m.content_sentences > 0 {
        let _ = writeln!(h, "<h2>Sentence modality</h2>");
        let parts: Vec<(&str, f64)> =
            m.sentence_modality.iter().map(|(k, v)| (k.as_str(), *v as f64 / m.content_sentences as f64)).collect();
        stacked_bar(&mut h, &parts);
    }

    let _ = writeln!(h, "<h2>Hedging and reported speech per document</h2>");
    if report.documents_analysed > first.len() {
        let _ = writeln!(h, "<p>The first {} of {} documents; the table below lists them all.</p>", first.len(), report.documents_analysed);
    }
    let rows: Vec<(&str, f64, f64)> =
        first.iter().map(|d| (d.id.as_str(), d.modality.hedging_density, 100.0 * d.reported_speech_share)).collect();
    paired_bars(&mut h, &rows, "hedge cues per 100 sentences", "% sentences with Konjunktiv I");

    if !m.top_sources.is_empty() {
        let _ = writeln!(
            h,
            "<h2>Most-cited sources</h2><table><tr><th>source</th><th>claims</th><th>direct</th><th>indirect</th><th>reported</th></tr>"
        );
        for (source, _) in &m.top_sources {
            if let Some(s) = m.sources.get(source) {
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(source),
                    s.claims,
                    s.direct,
                    s.indirect,
                    s.reported
                );
            }
        }
        let _ = writeln!(h, "</table>");
    }
    if !report.entities.is_empty() {
        let _ =
            writeln!(h, "<h2>Most mentioned entities</h2><table><tr><th>entity</th><th>type</th><th>mentions</th><th>documents</th><th>stance (mean)</th><th>favor / against / neutral</th></tr>");
        for e in report.entities.iter().take(25) {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{:?}</td><td>{}</td><td>{}</td><td>{}</td><td>{} / {} / {}</td></tr>",
                esc(&e.name),
                e.label,
                e.mentions,
                e.documents,
                super::markdown::signed(e.mean_stance, e.stance_sentences),
                e.favor,
                e.against,
                e.neutral
            );
        }
        let _ = writeln!(h, "</table>");
    }
    let _ = writeln!(h, "<h2>Documents</h2><table><tr><th>document</th><th>encoding</th><th>sentences</th><th>words</th><th>claims</th><th>main sources</th><th>main entities</th></tr>");
    h
}

/// One row of the documents table.
pub(crate) fn document_row(d: &DocumentSummary) -> String {
    let mut h = String::new();
    let sources: Vec<String> = d.modality.top_sources.iter().take(3).map(|(s, n)| format!("{s} ({n})")).collect();
    let entities: Vec<String> = d.entities.iter().take(3).map(|e| format!("{} ({})", e.name, e.mentions)).collect();
    let _ = writeln!(
        h,
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        esc(&d.id),
        esc(&d.encoding),
        d.counts.sentences,
        d.counts.words,
        d.modality.claims,
        esc(&sources.join(", ")),
        esc(&entities.join(", "))
    );
    h
}

/// Everything after the documents table.
pub(crate) fn tail(report: &Report) -> String {
    let mut h = String::new();
    let _ = writeln!(h, "</table>");
    let _ = writeln!(h, "<h2>Skipped inputs</h2>");
    if report.skipped.is_empty() {
        let _ = writeln!(h, "<p>None.</p>");
    } else {
        let _ = writeln!(h, "<ul>");
        for s in &report.skipped {
            let _ = writeln!(h, "<li><code>{}</code>: {}</li>", esc(&s.path), esc(&s.reason));
        }
        let _ = writeln!(h, "</ul>");
    }
    let _ = writeln!(h, "</body></html>");
    h
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left}\
th{background:#f4f4f4}svg text{font:12px system-ui,sans-serif}.legend span{display:inline-block;margin-right:1em}\
.sw{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:-.1em}";

const COLORS: &[&str] = &["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1"];

/// One horizontal bar split into shares (which add up to 1), with a legend.
fn stacked_bar(h: &mut String, parts: &[(&str, f64)]) {
    let width = 900.0;
    let _ = write!(h, "<svg width=\"{width}\" height=\"28\" role=\"img\">");
    let mut x = 0.0;
    for (i, (name, share)) in parts.iter().enumerate() {
        let w = share * width;
        let _ = write!(
            h,
            "<rect x=\"{x:.1}\" y=\"0\" width=\"{w:.1}\" height=\"28\" fill=\"{}\"><title>{} {:.1} %</title></rect>",
            COLORS[i % COLORS.len()],
            esc(name),
            100.0 * share
        );
        x += w;
    }
    let _ = writeln!(h, "</svg><p class=\"legend\">");
    for (i, (name, share)) in parts.iter().enumerate() {
        let _ = write!(
            h,
            "<span><i class=\"sw\" style=\"background:{}\"></i>{} {:.1} %</span>",
            COLORS[i % COLORS.len()],
            esc(name),
            100.0 * share
        );
    }
    let _ = writeln!(h, "</p>");
}

/// Two bars per row, each scaled to its own maximum, with the values written beside them.
fn paired_bars(h: &mut String, rows: &[(&str, f64, f64)], first: &str, second: &str) {
    let (label_w, bar_w, row_h) = (330.0, 260.0, 22.0);
    let max_a = rows.iter().map(|r| r.1).fold(0.0, f64::max).max(1e-9);
    let max_b = rows.iter().map(|r| r.2).fold(0.0, f64::max).max(1e-9);
    let height = row_h * rows.len() as f64 + 4.0;
    let _ = write!(h, "<svg width=\"{}\" height=\"{height}\" role=\"img\">", label_w + 2.0 * bar_w + 120.0);
    for (i, (name, a, b)) in rows.iter().enumerate() {
        let y = i as f64 * row_h;
        let name: String = name.chars().take(48).collect();
        let _ = write!(h, "<text x=\"0\" y=\"{:.1}\">{}</text>", y + 15.0, esc(&name));
        let wa = a / max_a * bar_w;
        let wb = b / max_b * bar_w;
        let xb = label_w + bar_w + 60.0;
        let _ = write!(h, "<rect x=\"{label_w}\" y=\"{:.1}\" width=\"{wa:.1}\" height=\"16\" fill=\"{}\"/>", y + 3.0, COLORS[0]);
        let _ = write!(h, "<text x=\"{:.1}\" y=\"{:.1}\">{a:.1}</text>", label_w + wa + 4.0, y + 15.0);
        let _ = write!(h, "<rect x=\"{xb}\" y=\"{:.1}\" width=\"{wb:.1}\" height=\"16\" fill=\"{}\"/>", y + 3.0, COLORS[1]);
        let _ = write!(h, "<text x=\"{:.1}\" y=\"{:.1}\">{b:.1}</text>", xb + wb + 4.0, y + 15.0);
    }
    let _ = writeln!(h, "</svg>");
    let _ = writeln!(
        h,
        "<p class=\"legend\"><span><i class=\"sw\" style=\"background:{}\"></i>{}</span><span><i class=\"sw\" style=\"background:{}\"></i>{}</span></p>",
        COLORS[0],
        esc(first),
        COLORS[1],
        esc(second)
    );
}

/// Escapes text for HTML element content and attribute values.
fn esc(s: &str) -> String {
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

    #[test]
    fn escapes_markup_from_documents() {
        assert_eq!(esc("<script>\"a\" & 'b'</script>"), "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;");
        let mut report = Report::new();
        report.skipped.push(crate::ingest::Skipped { path: "<b>.txt".into(), reason: "empty file".into() });
        let page = render(&report);
        assert!(page.starts_with("<!DOCTYPE html>") && page.contains("&lt;b&gt;.txt") && !page.contains("<b>.txt"));
    }
}
