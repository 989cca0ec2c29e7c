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
pub mod view;

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
                    let groups = pipeline.entity_groups(&doc);
                    let summary = DocumentSummary::of(&doc, &groups);
                    report.count(&summary);
                    spill.push(&summary, &view::document_view(&doc, &groups))?;
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
    let mut row = 0;
    let documents = sorted.documents().inspect(|d| {
        if let (Ok(d), Ok(())) = (d, &rows) {
            let readable = row < html::VIEW_DOCUMENTS;
            row += 1;
            rows = md
                .write_all(markdown::document_row(d).as_bytes())
                .and_then(|()| page.write_all(html::document_row(d, readable).as_bytes()));
        }
    });
    write_atomically_with(&out_dir.join(REPORT_JSON), |w| json::write_report(w, report, documents))?;
    rows.map_err(io_err(&md))?;
    md.write_all(markdown::tail(report).as_bytes()).map_err(io_err(&md))?;
    page.write_all(html::views_head(report.documents_analysed).as_bytes()).map_err(io_err(&page))?;
    for document in sorted.views().take(html::VIEW_DOCUMENTS) {
        let (summary, view) = document.map_err(|e| Error::io(&spill.path, e))?;
        page.write_all(html::document_view(&summary, &view).as_bytes()).map_err(io_err(&page))?;
    }
    page.write_all(html::tail(report).as_bytes()).map_err(io_err(&page))?;
    md.commit()?;
    page.commit()
}

/// The documents' summaries of a run, one JSON line each in a temporary file beside the
/// outputs, and their reading views in another, so that a run's memory does not grow with its
/// corpus beyond an index: each document's id and the places of its two pieces.
struct Spill {
    summaries: Piles,
    views: Piles,
    path: PathBuf,
    index: Vec<Entry>,
}

/// One document in a [`Spill`].
struct Entry {
    id: Box<str>,
    summary: (u64, u32),
    view: (u64, u32),
}

/// A temporary file written piece after piece.
struct Piles {
    file: BufWriter<tempfile::NamedTempFile>,
    written: u64,
}

impl Piles {
    fn create(dir: &Path) -> std::io::Result<Piles> {
        let tmp = tempfile::Builder::new().prefix(".lesart-documents-").tempfile_in(dir)?;
        Ok(Piles { file: BufWriter::new(tmp), written: 0 })
    }

    /// Appends `bytes`; returns where they lie.
    fn push(&mut self, bytes: &[u8]) -> std::io::Result<(u64, u32)> {
        let len = u32::try_from(bytes.len()).map_err(|_| std::io::Error::other("a piece over 4 GiB"))?;
        self.file.write_all(bytes)?;
        let at = self.written;
        self.written += u64::from(len);
        Ok((at, len))
    }

    /// A reader of what was written (flushed first).
    fn reader(&mut self) -> std::io::Result<std::fs::File> {
        self.file.flush()?;
        self.file.get_ref().reopen()
    }
}

impl Spill {
    fn create(dir: &Path) -> Result<Spill> {
        let summaries = Piles::create(dir).map_err(|e| Error::io(dir, e))?;
        let views = Piles::create(dir).map_err(|e| Error::io(dir, e))?;
        let path = summaries.file.get_ref().path().to_path_buf();
        Ok(Spill { summaries, views, path, index: Vec::new() })
    }

    /// Keeps one document's summary and reading view.
    fn push(&mut self, summary: &DocumentSummary, view: &str) -> Result<()> {
        let mut line = serde_json::to_vec(summary).map_err(|e| Error::io(&self.path, e.into()))?;
        line.push(b'\n');
        let summary_at = self.summaries.push(&line).map_err(|e| Error::io(&self.path, e))?;
        let view_at = self.views.push(view.as_bytes()).map_err(|e| Error::io(&self.path, e))?;
        self.index.push(Entry { id: summary.id.as_str().into(), summary: summary_at, view: view_at });
        Ok(())
    }

    /// The documents kept so far in the report's order ([`aggregate::document_order`]; equal
    /// ids by their summaries' bytes), read back from the files one at a time, so that
    /// writing the reports costs no memory growing with the corpus but the index.
    fn sorted(&mut self) -> std::io::Result<Sorted> {
        let summaries = self.summaries.reader()?;
        let views = self.views.reader()?;
        let index = &self.index;
        let mut order: Vec<usize> = (0..index.len()).collect();
        order.sort_by(|&a, &b| aggregate::document_order(&index[a].id, &index[b].id));
        // One id twice (rare): those documents by their summaries' bytes, so the order does
        // not depend on which came first.
        let mut start = 0;
        while start < order.len() {
            let id = &index[order[start]].id;
            let end = start + order[start..].iter().take_while(|&&i| index[i].id == *id).count();
            if end - start > 1 {
                let mut lines: Vec<(Vec<u8>, usize)> =
                    order[start..end].iter().map(|&i| Ok((read_at(&summaries, index[i].summary)?, i))).collect::<std::io::Result<_>>()?;
                lines.sort();
                order[start..end].iter_mut().zip(lines).for_each(|(slot, (_, i))| *slot = i);
            }
            start = end;
        }
        let places = order.into_iter().map(|i| (index[i].summary, index[i].view)).collect();
        Ok(Sorted { summaries, views, places })
    }

    fn flush(&mut self) -> Result<()> {
        self.summaries.file.flush().map_err(|e| Error::io(&self.path, e))?;
        self.views.file.flush().map_err(|e| Error::io(&self.path, e))
    }
}

/// The bytes of `file` at `(at, len)`.
fn read_at(mut file: &std::fs::File, (at, len): (u64, u32)) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Seek};
    file.seek(std::io::SeekFrom::Start(at))?;
    let mut buf = vec![0; len as usize];
    file.read_exact(&mut buf)?;
    Ok(buf)
}

/// The documents of a [`Spill`] in order.
struct Sorted {
    summaries: std::fs::File,
    views: std::fs::File,
    places: Vec<((u64, u32), (u64, u32))>,
}

impl Sorted {
    fn documents(&self) -> impl Iterator<Item = std::io::Result<DocumentSummary>> + '_ {
        self.places.iter().map(|&(place, _)| {
            let bytes = read_at(&self.summaries, place)?;
            serde_json::from_slice(&bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        })
    }

    /// Each document's summary with its reading view.
    fn views(&self) -> impl Iterator<Item = std::io::Result<(DocumentSummary, String)>> + '_ {
        self.documents().zip(&self.places).map(|(summary, &(_, place))| {
            let view = String::from_utf8(read_at(&self.views, place)?).map_err(std::io::Error::other)?;
            Ok((summary?, view))
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
    let lines = std::io::BufRead::lines(std::io::BufReader::new(std::io::Read::take(file, bytes))).enumerate();
    pipeline.install(|| add_annotation_lines(lines, part_path, |doc| pipeline.entity_groups(doc), report, spill))
}

/// Lines of annotations read and summarised in parallel at a time.
const LINES_PER_RUN: usize = 256;

/// Adds the lines of the annotation file `path` (numbered from 0) to `report` and `spill`:
/// read, summarised and rendered in parallel runs on the current thread pool, added in order.
/// A line that is no annotation line stops it with its place.
fn add_annotation_lines(
    mut lines: impl Iterator<Item = (usize, std::io::Result<String>)>,
    path: &Path,
    groups: impl Fn(&crate::doc::Document) -> Vec<crate::ner::EntityGroup> + Sync,
    report: &mut Report,
    spill: &mut Spill,
) -> Result<()> {
    use rayon::prelude::*;
    loop {
        let run: Vec<(usize, std::io::Result<String>)> = lines.by_ref().take(LINES_PER_RUN).collect();
        if run.is_empty() {
            return Ok(());
        }
        let summarised: Vec<Result<Summarised>> = run
            .into_par_iter()
            .map(|(n, line)| {
                let line = line.map_err(|e| Error::io(path, e))?;
                let read =
                    json::read_annotation_line(&line).map_err(|reason| Error::BadLine { path: path.to_path_buf(), line: n + 1, reason })?;
                Ok(summarise(read, &groups))
            })
            .collect();
        for line in summarised {
            add_summarised(line?, report, spill)?;
        }
    }
}

/// A line of annotations with its document summarised.
enum Summarised {
    Document(Box<DocumentSummary>, String),
    Error(json::ErrorRecord),
    Ignored(usize),
}

fn summarise(line: json::AnnotationLine, groups: impl Fn(&crate::doc::Document) -> Vec<crate::ner::EntityGroup>) -> Summarised {
    match line {
        json::AnnotationLine::Document(doc) => {
            let groups = groups(&doc);
            Summarised::Document(Box::new(DocumentSummary::of(&doc, &groups)), view::document_view(&doc, &groups))
        }
        json::AnnotationLine::Error(record) => Summarised::Error(record),
        json::AnnotationLine::Ignored(n) => Summarised::Ignored(n),
    }
}

fn add_summarised(line: Summarised, report: &mut Report, spill: &mut Spill) -> Result<()> {
    match line {
        Summarised::Document(summary, view) => {
            report.count(&summary);
            spill.push(&summary, &view)?;
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
