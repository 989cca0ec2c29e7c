//! `lesart compare`: articles side by side.

use super::aggregate::DocumentSummary;
use std::fmt::Write;

/// Renders summaries as an aligned table, one column per article.
pub fn render(summaries: &[DocumentSummary]) -> String {
    type Row = (&'static str, fn(&DocumentSummary) -> String);
    let rows: &[Row] = &[
        ("sentences", |d| d.counts.content_sentences().to_string()),
        ("words", |d| d.counts.words.to_string()),
        ("boilerplate sentences", |d| d.counts.boilerplate_sentences.to_string()),
        ("finite verbs", |d| d.counts.finite_verbs.to_string()),
        ("Konjunktiv I forms", |d| d.counts.konjunktiv_i.to_string()),
        ("Konjunktiv II forms", |d| d.counts.konjunktiv_ii.to_string()),
        ("reported speech share", |d| format!("{:.1} %", 100.0 * d.reported_speech_share)),
        ("Konj. I per 100 sentences", |d| per_100(d.counts.konjunktiv_i, d.counts.content_sentences())),
        ("Konj. II per 100 sentences", |d| per_100(d.counts.konjunktiv_ii, d.counts.content_sentences())),
        ("hedge cues per 100 sentences", |d| format!("{:.1}", d.modality.hedging_density)),
        ("claims", |d| d.modality.claims.to_string()),
        ("  direct / indirect / reported", |d| {
            let f = |k: &str| d.modality.claim_forms.get(k).copied().unwrap_or(0);
            format!("{} / {} / {}", f("direct"), f("indirect"), f("reported"))
        }),
        ("  hedged claims", |d| d.modality.hedged_claims.to_string()),
        ("  without a named source", |d| d.modality.unattributed_claims.to_string()),
        ("asserted sentences", |d| modality_share(d, "asserted")),
        ("reported sentences", |d| modality_share(d, "reported")),
        ("hedged sentences", |d| modality_share(d, "hedged")),
        ("hypothetical sentences", |d| modality_share(d, "hypothetical")),
        ("main source", |d| d.modality.top_sources.first().map(|(s, n)| format!("{s} ({n})")).unwrap_or_else(|| "–".into())),
    ];
    let label_width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let widths: Vec<usize> = summaries.iter().map(|d| d.id.chars().count().max(8)).collect();
    let mut out = String::new();
    let _ = write!(out, "{:label_width$}", "");
    for (d, w) in summaries.iter().zip(&widths) {
        let _ = write!(out, "  {:>w$}", d.id);
    }
    out.push('\n');
    for (label, cell) in rows {
        let _ = write!(out, "{label:label_width$}");
        for (d, w) in summaries.iter().zip(&widths) {
            let _ = write!(out, "  {:>w$}", cell(d));
        }
        out.push('\n');
    }
    // Entities several articles mention, with their mentions in each.
    let mut shared: Vec<(&str, Vec<usize>)> = Vec::new();
    for d in summaries {
        for e in &d.entities {
            if shared.iter().any(|(name, _)| *name == e.name) {
                continue;
            }
            let counts: Vec<usize> =
                summaries.iter().map(|o| o.entities.iter().filter(|x| x.name == e.name).map(|x| x.mentions).sum()).collect();
            if counts.iter().filter(|&&c| c > 0).count() > 1 {
                shared.push((&e.name, counts));
            }
        }
    }
    if !shared.is_empty() {
        let _ = writeln!(out, "\nentities mentioned in more than one article (mentions):");
        for (name, counts) in shared {
            let _ = write!(out, "{name:label_width$}");
            for (c, w) in counts.iter().zip(&widths) {
                let _ = write!(out, "  {c:>w$}");
            }
            out.push('\n');
        }
    }
    out
}

fn modality_share(d: &DocumentSummary, name: &str) -> String {
    let n = d.modality.sentence_modality.get(name).copied().unwrap_or(0);
    if d.modality.content_sentences == 0 {
        "–".into()
    } else {
        format!("{:.1} %", 100.0 * n as f64 / d.modality.content_sentences as f64)
    }
}

fn per_100(n: u64, sentences: u64) -> String {
    if sentences == 0 {
        "–".into()
    } else {
        format!("{:.1}", 100.0 * n as f64 / sentences as f64)
    }
}
