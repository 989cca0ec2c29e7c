//! Aggregation and the views of it: JSON, Markdown, the terminal.

pub mod aggregate;
pub mod compare;
pub mod html;
pub mod journal;
pub mod json;
pub mod markdown;
pub mod terminal;

pub use aggregate::Report;

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

/// The annotations of a run while it goes; renamed to [`ANNOTATIONS`] when the run is done.
pub const ANNOTATIONS_PART: &str = "annotations.jsonl.part";

/// What [`analyze_to_dir`] did.
#[derive(Debug)]
pub struct DirRun {
    /// The run over the inputs this call analysed.
    pub summary: RunSummary,
    /// Inputs an earlier, interrupted run had finished (with `resume`).
    pub resumed: usize,
    /// The report, complete when the run was not stopped.
    pub report: Report,
}

/// Analyses all inputs into `out_dir`: annotations are appended to `annotations.jsonl.part`
/// as inputs finish, in input order, each input then noted in the journal; when all are done
/// the file becomes `annotations.jsonl` and `report.json`, `report.md` and `report.html` are
/// written (each through a temporary file and a rename). A stopped run leaves the part file
/// and the journal; with `resume`, a later call goes on after the last input the journal
/// holds and ends with the same files as an uninterrupted run. `progress` is called with the
/// number of inputs done so far.
pub fn analyze_to_dir(
    pipeline: &Pipeline,
    inputs: &Inputs,
    out_dir: &Path,
    resume: bool,
    mut progress: impl FnMut(usize),
) -> Result<DirRun> {
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
    let part_path = out_dir.join(ANNOTATIONS_PART);
    let final_path = out_dir.join(ANNOTATIONS);
    let header = journal::Header::new(pipeline.options(), &inputs.inputs);
    let mut report = Report::new();
    let mut skipped = inputs.skipped.clone();
    let earlier = if resume { journal::Journal::read(out_dir)? } else { None };
    let (mut journal, resumed, bytes) = match earlier {
        Some(earlier) => {
            earlier.check(out_dir, &header)?;
            if inputs.inputs.contains(&crate::ingest::Input::Stdin) {
                return Err(Error::Usage("standard input cannot be resumed: run again without --resume".into()));
            }
            if !part_path.exists() && final_path.exists() {
                // The earlier run was complete: take its annotations up again.
                std::fs::rename(&final_path, &part_path).map_err(|e| Error::io(&final_path, e))?;
            }
            replay(pipeline, &part_path, earlier.bytes(), &mut report)?;
            skipped.extend(earlier.entries.iter().flat_map(|e| e.skipped.iter().cloned()));
            (journal::JournalWriter::resume(out_dir, &earlier)?, earlier.entries.len(), earlier.bytes())
        }
        None => (journal::JournalWriter::create(out_dir, &header)?, 0, 0),
    };
    let file = journal::open_annotations(&part_path, bytes)?;
    let mut annotations = Counting { inner: BufWriter::with_capacity(1 << 20, file), bytes };
    progress(resumed);
    let todo = &inputs.inputs[resumed.min(inputs.inputs.len())..];
    let summary = pipeline.run(todo, |i, results| {
        let mut entry = journal::Entry { input: resumed + i, name: todo[i].name().to_string(), bytes, skipped: Vec::new() };
        for result in results {
            match result {
                Ok(doc) => {
                    json::write_document_line(&mut annotations, &doc).map_err(|e| Error::io(&part_path, e))?;
                    report.add(&doc, &pipeline.entity_groups(&doc));
                }
                Err(skip) => entry.skipped.push(skip),
            }
        }
        annotations.flush().map_err(|e| Error::io(&part_path, e))?;
        entry.bytes = annotations.bytes;
        journal.append(&entry)?;
        skipped.extend(entry.skipped);
        progress(resumed + i + 1);
        Ok(())
    })?;
    report.skipped = skipped;
    report.ignored_files = inputs.ignored;
    if summary.stopped {
        return Ok(DirRun { summary, resumed, report });
    }
    let file = annotations.inner.into_inner().map_err(|e| Error::io(&part_path, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io(&part_path, e))?;
    std::fs::rename(&part_path, &final_path).map_err(|e| Error::io(&final_path, e))?;
    report.finish();
    let report_json = serde_json::to_string_pretty(&report).map_err(|e| Error::io(out_dir.join(REPORT_JSON), e.into()))?;
    write_atomically(&out_dir.join(REPORT_JSON), report_json.as_bytes())?;
    write_atomically(&out_dir.join(REPORT_MD), markdown::render(&report).as_bytes())?;
    write_atomically(&out_dir.join(REPORT_HTML), html::render(&report).as_bytes())?;
    Ok(DirRun { summary, resumed, report })
}

/// A writer that counts the bytes written through it.
struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Adds the documents of the first `bytes` of an earlier run's annotations to `report`.
fn replay(pipeline: &Pipeline, part_path: &Path, bytes: u64, report: &mut Report) -> Result<()> {
    let file = std::fs::File::open(part_path).map_err(|e| Error::io(part_path, e))?;
    let reader = std::io::BufReader::new(std::io::Read::take(file, bytes));
    for (n, line) in std::io::BufRead::lines(reader).enumerate() {
        let line = line.map_err(|e| Error::io(part_path, e))?;
        let doc =
            json::read_document_line(&line).map_err(|reason| Error::BadLine { path: part_path.to_path_buf(), line: n + 1, reason })?;
        report.add(&doc, &pipeline.entity_groups(&doc));
    }
    Ok(())
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
