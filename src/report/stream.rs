//! `lesart stream`: JSON Lines documents in, one line out per line in, in input order.
//!
//! Each input line `{"id", "text", …}` becomes its annotation line (the fields other than
//! `id` and `text` go into its `metadata`); a line that gives no document becomes an error
//! record `{"id", "line", "input", "error"}` in its place, a blank line stays blank. Lines are
//! read by one thread while the pipeline works on those already read, in parallel, and each
//! batch is written and flushed as soon as it is done, so the stream can feed a pipe that
//! waits for answers.

use super::json::{write_document_line, write_error_line, ErrorRecord};
use crate::doc::Document;
use crate::error::{Error, Result};
use crate::ingest::{BadRecord, Skipped};
use crate::pipeline::Pipeline;
use std::io::{BufRead, Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How `stream` names and reads its lines.
#[derive(Debug, Clone, Default)]
pub struct StreamOptions {
    /// The name of the file the lines come from: ids become `NAME#id` and error records name
    /// `NAME:LINE`, as `analyze` gives them for that file. `None`: the bare ids, `<stdin>:LINE`.
    pub name: Option<String>,
    /// Each line starts with its line number and a tab (`cat -n`, or a cluster job that numbers
    /// the lines of the whole file before splitting it): ids without an `id` field and error
    /// records use that number, so any part of a file gives the lines `analyze` gives.
    pub numbered: bool,
    /// A line longer than this many bytes gives an error record, not a document.
    pub max_line_bytes: u64,
}

/// What a stream did.
#[derive(Debug, Clone, Default)]
pub struct StreamSummary {
    /// Lines read (blank ones included).
    pub lines: usize,
    /// Documents analysed.
    pub documents: usize,
    /// Lines that gave an error record.
    pub errors: usize,
    /// Word tokens analysed.
    pub words: usize,
    /// True when the stream was stopped before its end.
    pub stopped: bool,
    /// Wall-clock time.
    pub elapsed: Duration,
}

/// Lines taken into one batch at most: enough to keep every worker busy, few enough that an
/// answer is never held back long.
const BATCH_PER_THREAD: usize = 8;

/// One input line as the reader hands it on.
struct Line {
    /// Its position in the stream (1-based).
    position: usize,
    /// Its bytes without the line end, or why they could not be read whole.
    bytes: std::result::Result<Vec<u8>, String>,
}

/// What becomes of one line.
enum Item {
    Blank,
    /// The batch's `n`th document, with its place.
    Document(usize, Place),
    Error(ErrorRecord),
}

/// Where a document's line stood, for its error record should a stage fail on it.
struct Place {
    id: Option<serde_json::Value>,
    input: String,
    line: usize,
}

/// Reads JSON Lines documents from `input` and writes one line per input line to `output`,
/// in order, flushing after each batch. Stops early (and says so) when the pipeline's stop
/// flag is set.
pub fn stream(pipeline: &Pipeline, input: impl Read + Send, output: impl Write, options: &StreamOptions) -> Result<StreamSummary> {
    Streamer { pipeline }.run(input, output, options)
}

/// The pipeline a stream runs.
struct Streamer<'a> {
    pipeline: &'a Pipeline,
}

impl Streamer<'_> {
    fn run(&self, input: impl Read + Send, mut output: impl Write, options: &StreamOptions) -> Result<StreamSummary> {
        let started = Instant::now();
        let batch = BATCH_PER_THREAD * self.pipeline.threads();
        let (tx, rx) = mpsc::sync_channel::<Line>(2 * batch);
        let limit = options.max_line_bytes;
        let mut summary = StreamSummary::default();
        std::thread::scope(|scope| {
            let reader = scope.spawn(move || read_lines(input, limit, tx));
            while let Ok(first) = rx.recv() {
                let mut lines = vec![first];
                while lines.len() < batch {
                    match rx.try_recv() {
                        Ok(line) => lines.push(line),
                        Err(_) => break,
                    }
                }
                summary.lines += lines.len();
                let mut documents = Vec::new();
                let items: Vec<Item> = lines.into_iter().map(|line| self.item(line, options, &mut documents)).collect();
                if !self.pipeline.annotate_all(&mut documents) {
                    summary.stopped = true;
                    break;
                }
                write_items(&items, &documents, &mut output, &mut summary).map_err(|e| Error::io("<stdout>", e))?;
            }
            drop(rx);
            // The reader ends at the end of the input, or at its next line once we stopped.
            match reader.join() {
                Ok(result) => result.map_err(|e| Error::io("<stdin>", e)),
                Err(_) => Err(Error::Usage("the thread reading standard input failed".into())),
            }
        })?;
        summary.elapsed = started.elapsed();
        Ok(summary)
    }

    /// Turns one line into a document to analyse (put in `documents`), an error record or a
    /// blank.
    fn item(&self, line: Line, options: &StreamOptions, documents: &mut Vec<Result<Document, Skipped>>) -> Item {
        let input_name = |number: usize| format!("{}:{number}", options.name.as_deref().unwrap_or("<stdin>"));
        let error =
            |id, number, reason: String| Item::Error(ErrorRecord { id, line: Some(number), input: input_name(number), error: reason });
        let bytes = match line.bytes {
            Ok(bytes) => bytes,
            Err(reason) => return error(None, line.position, reason),
        };
        let Ok(text) = std::str::from_utf8(&bytes) else {
            return error(None, line.position, "not valid UTF-8".into());
        };
        let (number, record) = if options.numbered {
            match split_number(text) {
                Some(split) => split,
                None => return error(None, line.position, "no line number and tab before the record (--numbered)".into()),
            }
        } else {
            (line.position, text)
        };
        if record.trim().is_empty() {
            return Item::Blank;
        }
        match self.pipeline.read_record(record, options.name.as_deref(), number) {
            Ok((doc, id)) => {
                documents.push(Ok(doc));
                Item::Document(documents.len() - 1, Place { id, input: input_name(number), line: number })
            }
            Err(BadRecord { id, reason }) => error(id, number, reason),
        }
    }
}

/// Writes one line per item (a document's from `documents`), then flushes.
fn write_items(
    items: &[Item],
    documents: &[Result<Document, Skipped>],
    output: &mut impl Write,
    summary: &mut StreamSummary,
) -> std::io::Result<()> {
    for item in items {
        match item {
            Item::Blank => output.write_all(b"\n")?,
            Item::Document(n, place) => match &documents[*n] {
                Ok(doc) => {
                    summary.documents += 1;
                    summary.words += doc.word_count();
                    write_document_line(&mut *output, doc)?;
                }
                Err(skipped) => {
                    summary.errors += 1;
                    let record = ErrorRecord {
                        id: place.id.clone(),
                        line: Some(place.line),
                        input: place.input.clone(),
                        error: skipped.reason.clone(),
                    };
                    write_error_line(&mut *output, &record)?;
                }
            },
            Item::Error(record) => {
                summary.errors += 1;
                write_error_line(&mut *output, record)?;
            }
        }
    }
    output.flush()
}

/// `  12\t{…}` → (12, `{…}`): the number before the first tab, spaces around it allowed.
fn split_number(text: &str) -> Option<(usize, &str)> {
    let (number, record) = text.split_once('\t')?;
    Some((number.trim().parse().ok()?, record))
}

/// Reads `input` line by line into `tx` until its end or until the receiver is gone. A line
/// longer than `limit` bytes is passed on as an error and the rest of it skipped.
fn read_lines(input: impl Read, limit: u64, tx: mpsc::SyncSender<Line>) -> std::io::Result<()> {
    let mut reader = std::io::BufReader::with_capacity(1 << 16, input);
    for position in 1.. {
        let mut bytes = Vec::new();
        let n = (&mut reader).take(limit.saturating_add(1)).read_until(b'\n', &mut bytes)?;
        if n == 0 {
            return Ok(());
        }
        let ended = bytes.last() == Some(&b'\n');
        let bytes = if ended || (n as u64) <= limit {
            if ended {
                bytes.pop();
            }
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
            Ok(bytes)
        } else {
            skip_rest_of_line(&mut reader)?;
            Err(format!("line longer than {limit} bytes"))
        };
        if tx.send(Line { position, bytes }).is_err() {
            return Ok(());
        }
    }
    Ok(())
}

/// Reads up to and including the next line end.
fn skip_rest_of_line(reader: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_before_the_first_tab() {
        assert_eq!(split_number("  12\t{\"text\": \"a\tb\"}"), Some((12, "{\"text\": \"a\tb\"}")));
        assert_eq!(split_number("{\"text\": \"x\"}"), None);
        assert_eq!(split_number("zwölf\t{}"), None);
    }

    #[test]
    fn long_lines_are_cut_and_the_next_one_read_whole() {
        let input = format!("{}\nkurz\r\nletzte", "x".repeat(100));
        let (tx, rx) = mpsc::sync_channel(10);
        read_lines(input.as_bytes(), 50, tx).unwrap();
        let lines: Vec<_> = rx.iter().map(|l| (l.position, l.bytes.map(|b| String::from_utf8(b).unwrap()))).collect();
        assert_eq!(lines, [(1, Err("line longer than 50 bytes".to_string())), (2, Ok("kurz".to_string())), (3, Ok("letzte".to_string()))]);
    }
}
