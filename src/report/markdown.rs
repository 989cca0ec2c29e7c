//! `report.md`: the corpus report as a Markdown page.

use super::aggregate::{DocumentSummary, Report};
use std::fmt::Write;

/// Renders the report as Markdown.
pub fn render(report: &Report) -> String {
    [head(report), report.documents.iter().map(document_row).collect(), tail(report)].concat()
}

/// Everything before the rows of the documents table.
pub(crate) fn head(report: &Report) -> String {
    let mut md = String::new();
    let c = &report.corpus;
    let _ = writeln!(md, "# lesart report\n");
    let _ = writeln!(
        md,
        "{} documents, {} sentences ({} boilerplate), {} words. Reported speech (Konjunktiv I) in {:.1} % of sentences; {} Konjunktiv I and {} Konjunktiv II forms.\n",
        report.documents_analysed,
        c.sentences,
        c.boilerplate_sentences,
        c.words,
        100.0 * report.reported_speech_share,
        c.konjunktiv_i,
        c.konjunktiv_ii
    );
    if !report.entities.is_empty() {
        let _ = writeln!(md, "## Most mentioned entities\n");
        let _ = writeln!(md, "| entity | type | mentions | documents | stance (mean) | favor / against / neutral |");
        let _ = writeln!(md, "|---|---|---:|---:|---:|---:|");
        for e in report.entities.iter().take(25) {
            let _ = writeln!(
                md,
                "| {} | {:?} | {} | {} | {} | {} / {} / {} |",
                escape(&e.name),
                e.label,
                e.mentions,
                e.documents,
                signed(e.mean_stance, e.stance_sentences),
                e.favor,
                e.against,
                e.neutral
            );
        }
        let _ = writeln!(md);
    }
    write_modality(&mut md, report);
    let _ = writeln!(md, "## Documents\n");
    let _ =
        writeln!(md, "| document | encoding | sentences | boilerplate | words | Konj. I | Konj. II | reported speech | hedge cues per 100 sentences | claims | main sources | main entities |");
    let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
    md
}

// Like the entity table's rows above, a table row of its own columns: the shape is Markdown's.
/// One row of the documents table.
pub(crate) fn document_row(d: &DocumentSummary) -> String {
    let mut md = String::new();
    let k = &d.counts;
    let _ = writeln!(
        md,
        "| {} | {} | {} | {} | {} | {} | {} | {:.1} % | {:.1} | {} | {} | {} |",
        escape(&d.id),
        d.encoding,
        k.sentences,
        k.boilerplate_sentences,
        k.words,
        k.konjunktiv_i,
        k.konjunktiv_ii,
        100.0 * d.reported_speech_share,
        d.modality.hedging_density,
        d.modality.claims,
        escape(&d.modality.top_sources.iter().take(3).map(|(s, n)| format!("{s} ({n})")).collect::<Vec<_>>().join(", ")),
        escape(&d.entities.iter().take(3).map(|e| format!("{} ({})", e.name, e.mentions)).collect::<Vec<_>>().join(", "))
    );
    md
}

/// Everything after the documents table.
pub(crate) fn tail(report: &Report) -> String {
    let mut md = String::new();
    let c = &report.corpus;
    if !c.boilerplate.is_empty() {
        let _ = writeln!(md, "\n## Boilerplate marked\n");
        for (kind, n) in &c.boilerplate {
            let _ =
                writeln!(md, "- {}: {n}", serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default());
        }
    }
    let _ = writeln!(md, "\n## Skipped inputs\n");
    if report.skipped.is_empty() {
        let _ = writeln!(md, "None.");
    }
    for s in &report.skipped {
        let _ = writeln!(md, "- `{}`: {}", s.path.replace('`', "'"), s.reason);
    }
    if report.ignored_files > 0 {
        let _ = writeln!(md, "\n{} files of other types were ignored.", report.ignored_files);
    }
    md
}

/// The corpus's hedging, sentence modality, cue mix and most-cited sources.
fn write_modality(md: &mut String, report: &Report) {
    let m = &report.modality;
    if m.content_sentences == 0 {
        return;
    }
    let _ = writeln!(md, "## Hedging and attribution\n");
    let _ = writeln!(
        md,
        "{:.1} hedge cues per 100 sentences; {} claims ({} hedged, {} without a named source).\n",
        m.hedging_density, m.claims, m.hedged_claims, m.unattributed_claims
    );
    let share = |n: usize| 100.0 * n as f64 / m.content_sentences as f64;
    let _ = writeln!(md, "| sentence modality | sentences | share |");
    let _ = writeln!(md, "|---|---:|---:|");
    for (name, n) in &m.sentence_modality {
        let _ = writeln!(md, "| {name} | {n} | {:.1} % |", share(*n));
    }
    let _ = writeln!(md, "\n| cue kind | cues |");
    let _ = writeln!(md, "|---|---:|");
    for (name, n) in &m.cue_mix {
        let _ = writeln!(md, "| {name} | {n} |");
    }
    if !m.top_sources.is_empty() {
        let _ = writeln!(md, "\n| most-cited source | claims | direct | indirect | reported |");
        let _ = writeln!(md, "|---|---:|---:|---:|---:|");
        for (source, _) in &m.top_sources {
            if let Some(c) = m.sources.get(source) {
                let _ = writeln!(md, "| {} | {} | {} | {} | {} |", escape(source), c.claims, c.direct, c.indirect, c.reported);
            }
        }
    }
    let _ = writeln!(md);
}

fn escape(cell: &str) -> String {
    cell.replace('|', "\\|")
}

/// A stance score with its sign, or a dash where nothing was scored.
pub(crate) fn signed(score: f32, sentences: usize) -> String {
    if sentences == 0 {
        "–".into()
    } else {
        format!("{score:+.2}")
    }
}
