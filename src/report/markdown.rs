//! `report.md`: the corpus report as a Markdown page.

use super::aggregate::Report;
use std::fmt::Write;

/// Renders the report as Markdown.
pub fn render(report: &Report) -> String {
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
        let _ = writeln!(md, "| entity | type | mentions | documents |");
        let _ = writeln!(md, "|---|---|---:|---:|");
        for e in report.entities.iter().take(25) {
            let _ = writeln!(md, "| {} | {:?} | {} | {} |", escape(&e.name), e.label, e.mentions, e.documents);
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(md, "## Documents\n");
    let _ =
        writeln!(md, "| document | encoding | sentences | boilerplate | words | Konj. I | Konj. II | reported speech | main entities |");
    let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|---|");
    for d in &report.documents {
        let k = &d.counts;
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {:.1} % | {} |",
            escape(&d.id),
            d.encoding,
            k.sentences,
            k.boilerplate_sentences,
            k.words,
            k.konjunktiv_i,
            k.konjunktiv_ii,
            100.0 * d.reported_speech_share,
            escape(&d.entities.iter().take(3).map(|e| format!("{} ({})", e.name, e.mentions)).collect::<Vec<_>>().join(", "))
        );
    }
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

fn escape(cell: &str) -> String {
    cell.replace('|', "\\|")
}
