//! Aggregation and the views of it: JSON, Markdown, the terminal.

pub mod aggregate;
pub mod compare;
pub mod html;
pub mod journal;
pub mod json;
pub mod markdown;
pub mod reduce;
pub mod stream;
pub mod terminal;

use aggregate::DocumentSummary;
pub use aggregate::Report;
pub use reduce::{report_from_annotations, Reduced};

use crate::error::{Error, Result};
use crate::ingest::Inputs;
use crate::io::{write_atomically_with, AtomicFile};
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
    let mut spill = Spill::create(out_dir)?;
    let mut skipped = Vec::new();
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
            replay(pipeline, &part_path, earlier.bytes(), &mut report, &mut spill)?;
            (journal::JournalWriter::resume(out_dir, &earlier)?, earlier.entries.len(), earlier.bytes())
        }
        None => (journal::JournalWriter::create(out_dir, &header)?, 0, 0),
    };
    let file = journal::open_annotations(&part_path, bytes)?;
    let mut annotations = Counting { inner: BufWriter::with_capacity(1 << 20, file), bytes };
    if resumed == 0 {
        // What the walk found besides the inputs heads the annotations, so that they account
        // for every input (`lesart report` reads them back); a resumed run has them already.
        write_walk_records(&mut annotations, inputs).map_err(|e| Error::io(&part_path, e))?;
        skipped.extend(inputs.skipped.iter().cloned());
        report.ignored_files = inputs.ignored;
    }
    progress(resumed);
    let todo = &inputs.inputs[resumed.min(inputs.inputs.len())..];
    let summary = pipeline.run(todo, |i, results| {
        let mut entry = journal::Entry { input: resumed + i, name: todo[i].name().to_string(), bytes, skipped: Vec::new() };
        for result in results {
            match result {
                Ok(doc) => {
                    json::write_document_line(&mut annotations, &doc).map_err(|e| Error::io(&part_path, e))?;
                    let summary = DocumentSummary::of(&doc, &pipeline.entity_groups(&doc));
                    report.count(&summary);
                    spill.push(&summary)?;
                }
                Err(skip) => {
                    json::write_error_line(&mut annotations, &json::ErrorRecord::of(&skip)).map_err(|e| Error::io(&part_path, e))?;
                    entry.skipped.push(skip);
                }
            }
        }
        annotations.flush().map_err(|e| Error::io(&part_path, e))?;
        spill.flush()?;
        entry.bytes = annotations.bytes;
        journal.append(&entry)?;
        skipped.extend(entry.skipped);
        progress(resumed + i + 1);
        Ok(())
    })?;
    report.skipped.extend(skipped);
    if summary.stopped {
        return Ok(DirRun { summary, resumed, report });
    }
    let file = annotations.inner.into_inner().map_err(|e| Error::io(&part_path, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io(&part_path, e))?;
    std::fs::rename(&part_path, &final_path).map_err(|e| Error::io(&final_path, e))?;
    report.finish();
    spill.flush()?;
    write_reports(out_dir, &report, &mut spill)?;
    Ok(DirRun { summary, resumed, report })
}

/// Writes `report.json`, `report.md` and `report.html`, each through a temporary file and a
/// rename, in one pass over the documents' summaries read back from `spill`: each summary
/// goes into the JSON as it is read and its rows into the other two on the way.
fn write_reports(out_dir: &Path, report: &Report, spill: &mut Spill) -> Result<()> {
    let mut md = AtomicFile::create(&out_dir.join(REPORT_MD))?;
    let mut page = AtomicFile::create(&out_dir.join(REPORT_HTML))?;
    let io_err = |file: &AtomicFile| {
        let path = file.path().to_path_buf();
        move |e| Error::io(&path, e)
    };
    let sorted = spill.sorted().map_err(|e| Error::io(&spill.path, e))?;
    let first: Vec<DocumentSummary> =
        sorted.documents().take(html::CHART_DOCUMENTS).collect::<std::io::Result<_>>().map_err(|e| Error::io(&spill.path, e))?;
    md.write_all(markdown::head(report).as_bytes()).map_err(io_err(&md))?;
    page.write_all(html::head(report, &first).as_bytes()).map_err(io_err(&page))?;
    let mut rows: std::io::Result<()> = Ok(());
    let documents = sorted.documents().inspect(|d| {
        if let (Ok(d), Ok(())) = (d, &rows) {
            rows = md.write_all(markdown::document_row(d).as_bytes()).and_then(|()| page.write_all(html::document_row(d).as_bytes()));
        }
    });
    write_atomically_with(&out_dir.join(REPORT_JSON), |w| json::write_report(w, report, documents))?;
    rows.map_err(io_err(&md))?;
    md.write_all(markdown::tail(report).as_bytes()).map_err(io_err(&md))?;
    page.write_all(html::tail(report).as_bytes()).map_err(io_err(&page))?;
    md.commit()?;
    page.commit()
}

/// The documents' summaries of a run, one JSON line each in a temporary file beside the
/// outputs, so that a run's memory does not grow with its corpus beyond an index: each
/// summary's id and place.
struct Spill {
    file: BufWriter<tempfile::NamedTempFile>,
    path: PathBuf,
    /// Per summary: its id, where its line starts and how long it is.
    index: Vec<(Box<str>, u64, u32)>,
    written: u64,
}

impl Spill {
    fn create(dir: &Path) -> Result<Spill> {
        let tmp = tempfile::Builder::new().prefix(".lesart-documents-").tempfile_in(dir).map_err(|e| Error::io(dir, e))?;
        let path = tmp.path().to_path_buf();
        Ok(Spill { file: BufWriter::new(tmp), path, index: Vec::new(), written: 0 })
    }

    /// Keeps one document's summary.
    fn push(&mut self, summary: &DocumentSummary) -> Result<()> {
        let mut line = serde_json::to_vec(summary).map_err(|e| Error::io(&self.path, e.into()))?;
        line.push(b'\n');
        self.file.write_all(&line).map_err(|e| Error::io(&self.path, e))?;
        let len = u32::try_from(line.len()).map_err(|_| Error::io(&self.path, std::io::Error::other("a summary over 4 GiB")))?;
        self.index.push((summary.id.as_str().into(), self.written, len));
        self.written += u64::from(len);
        Ok(())
    }

    /// The summaries kept so far in the report's order ([`aggregate::document_order`]; equal
    /// ids by their summaries' bytes), read back from the file one at a time (flushed first),
    /// so that writing the reports costs no memory growing with the corpus but the index.
    fn sorted(&mut self) -> std::io::Result<Sorted> {
        self.file.flush()?;
        let mut order: Vec<usize> = (0..self.index.len()).collect();
        order.sort_by(|&a, &b| aggregate::document_order(&self.index[a].0, &self.index[b].0));
        // One id twice (rare): those summaries by their bytes, so the order does not depend on
        // which came first.
        let file = self.file.get_ref().reopen()?;
        let mut start = 0;
        while start < order.len() {
            let id = &self.index[order[start]].0;
            let end = start + order[start..].iter().take_while(|&&i| self.index[i].0 == *id).count();
            if end - start > 1 {
                let mut lines: Vec<(Vec<u8>, usize)> = order[start..end]
                    .iter()
                    .map(|&i| Ok((read_at(&file, self.index[i].1, self.index[i].2)?, i)))
                    .collect::<std::io::Result<_>>()?;
                lines.sort();
                order[start..end].iter_mut().zip(lines).for_each(|(slot, (_, i))| *slot = i);
            }
            start = end;
        }
        let places = order.into_iter().map(|i| (self.index[i].1, self.index[i].2)).collect();
        Ok(Sorted { file, places })
    }

    fn flush(&mut self) -> Result<()> {
        self.file.flush().map_err(|e| Error::io(&self.path, e))
    }
}

/// `len` bytes of `file` from `at`.
fn read_at(mut file: &std::fs::File, at: u64, len: u32) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Seek};
    file.seek(std::io::SeekFrom::Start(at))?;
    let mut buf = vec![0; len as usize];
    file.read_exact(&mut buf)?;
    Ok(buf)
}

/// The summaries of a [`Spill`] in order.
struct Sorted {
    file: std::fs::File,
    places: Vec<(u64, u32)>,
}

impl Sorted {
    fn documents(&self) -> impl Iterator<Item = std::io::Result<DocumentSummary>> + '_ {
        self.places.iter().map(|&(at, len)| {
            let bytes = read_at(&self.file, at, len)?;
            serde_json::from_slice(&bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        })
    }
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

    /// Hands the whole piece on at once (serde_json writes a line in many small pieces; the
    /// default would loop over `write` for each).
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.inner.write_all(buf)?;
        self.bytes += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Adds the documents and records of the first `bytes` of an earlier run's annotations to
/// `report` and `spill`.
fn replay(pipeline: &Pipeline, part_path: &Path, bytes: u64, report: &mut Report, spill: &mut Spill) -> Result<()> {
    let file = std::fs::File::open(part_path).map_err(|e| Error::io(part_path, e))?;
    let reader = std::io::BufReader::new(std::io::Read::take(file, bytes));
    for (n, line) in std::io::BufRead::lines(reader).enumerate() {
        let line = line.map_err(|e| Error::io(part_path, e))?;
        let read =
            json::read_annotation_line(&line).map_err(|reason| Error::BadLine { path: part_path.to_path_buf(), line: n + 1, reason })?;
        add_line(read, |doc| pipeline.entity_groups(doc), report, spill)?;
    }
    Ok(())
}

/// Adds one line of annotations to `report` (and a document's summary to `spill`).
fn add_line(
    line: json::AnnotationLine,
    groups: impl Fn(&crate::doc::Document) -> Vec<crate::ner::EntityGroup>,
    report: &mut Report,
    spill: &mut Spill,
) -> Result<()> {
    add_summarised(summarise(line, groups), report, spill)
}

/// A line of annotations with its document summarised.
enum Summarised {
    Document(Box<DocumentSummary>),
    Error(json::ErrorRecord),
    Ignored(usize),
}

fn summarise(line: json::AnnotationLine, groups: impl Fn(&crate::doc::Document) -> Vec<crate::ner::EntityGroup>) -> Summarised {
    match line {
        json::AnnotationLine::Document(doc) => Summarised::Document(Box::new(DocumentSummary::of(&doc, &groups(&doc)))),
        json::AnnotationLine::Error(record) => Summarised::Error(record),
        json::AnnotationLine::Ignored(n) => Summarised::Ignored(n),
    }
}

fn add_summarised(line: Summarised, report: &mut Report, spill: &mut Spill) -> Result<()> {
    match line {
        Summarised::Document(summary) => {
            report.count(&summary);
            spill.push(&summary)?;
        }
        Summarised::Error(record) => report.skipped.push(record.skipped()),
        Summarised::Ignored(n) => report.ignored_files += n,
    }
    Ok(())
}

/// The records of what a walk found besides its inputs: the files it passed over, the paths
/// it could not read.
fn write_walk_records(w: &mut impl Write, inputs: &Inputs) -> std::io::Result<()> {
    if inputs.ignored > 0 {
        json::write_ignored_line(&mut *w, inputs.ignored)?;
    }
    inputs.skipped.iter().try_for_each(|s| json::write_error_line(&mut *w, &json::ErrorRecord::of(s)))
}
