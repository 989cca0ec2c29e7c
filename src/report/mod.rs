//! Aggregation and the views of it: JSON, Markdown, the terminal.

pub mod aggregate;
pub mod compare;
pub mod html;
pub mod json;
pub mod markdown;
pub mod terminal;

pub use aggregate::Report;

use crate::doc::Document;
use crate::error::{Error, Result};
use crate::ingest::Inputs;
use crate::pipeline::{Pipeline, RunSummary};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Names of the files `analyze` writes.
pub const ANNOTATIONS: &str = "annotations.jsonl";
/// The JSON report.
pub const REPORT_JSON: &str = "report.json";
/// The Markdown report.
pub const REPORT_MD: &str = "report.md";
/// The HTML report.
pub const REPORT_HTML: &str = "report.html";

/// Analyses all inputs and writes `annotations.jsonl`, `report.json`, `report.md` and `report.html` into
/// `out_dir`. Each file is written to a temporary file first and renamed when complete, so a
/// failed run never leaves a half-written file.
pub fn analyze_to_dir(pipeline: &Pipeline, inputs: &Inputs, out_dir: &Path, progress: impl FnMut(usize)) -> Result<(RunSummary, Report)> {
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
    let annotations_path = out_dir.join(ANNOTATIONS);
    let tmp = temp_file_in(out_dir)?;
    let mut writer = BufWriter::with_capacity(1 << 20, tmp);
    let mut report = Report::new();
    let summary = pipeline.run(
        inputs,
        |doc: &Document| {
            json::write_document_line(&mut writer, doc).map_err(|e| Error::io(&annotations_path, e))?;
            report.add(doc, &pipeline.entity_groups(doc));
            Ok(())
        },
        progress,
    )?;
    report.finish();
    report.skipped = summary.skipped.clone();
    report.ignored_files = summary.ignored;
    let tmp = writer.into_inner().map_err(|e| Error::io(&annotations_path, e.into_error()))?;
    tmp.persist(&annotations_path).map_err(|e| Error::io(&annotations_path, e.error))?;
    let report_json = serde_json::to_string_pretty(&report).map_err(|e| Error::io(out_dir.join(REPORT_JSON), e.into()))?;
    write_atomically(&out_dir.join(REPORT_JSON), report_json.as_bytes())?;
    write_atomically(&out_dir.join(REPORT_MD), markdown::render(&report).as_bytes())?;
    write_atomically(&out_dir.join(REPORT_HTML), html::render(&report).as_bytes())?;
    Ok((summary, report))
}

/// Writes a file through a temporary file in the same directory and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
    let mut tmp = temp_file_in(&dir)?;
    tmp.write_all(bytes).map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// A temporary file beside the final one, readable by others like a normally created file
/// (tempfile's default of 0600 would survive the rename).
fn temp_file_in(dir: &Path) -> Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".lesart-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    builder.tempfile_in(dir).map_err(|e| Error::io(dir, e))
}
