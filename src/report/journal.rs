//! The run journal: what an `analyze` run into a folder has finished, so that `--resume`
//! can go on after a crash, Ctrl-C or SIGKILL.
//!
//! While a run goes, annotations are appended to `annotations.jsonl.part` and, after each
//! input's lines are written, a line is appended to `.lesart-journal.jsonl` saying which input
//! it was, where its lines end and what of it was skipped. Whatever is in the journal is
//! therefore in the annotations; a resumed run cuts the annotations back to the journal's last
//! line and goes on from the input after it. The journal's first line says what the run was:
//! the lesart version, the options that change the output, and the inputs.

use crate::error::{Error, Result};
use crate::ingest::{Input, Skipped};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// File name of the journal inside the output folder.
pub const JOURNAL: &str = ".lesart-journal.jsonl";

/// Version of the journal format.
const FORMAT: u32 = 1;

/// The journal's first line: the run it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Journal format.
    pub journal: u32,
    /// The lesart version that wrote it.
    pub lesart: String,
    /// The options that change the output, in words.
    pub options: String,
    /// Number of inputs.
    pub inputs: usize,
    /// A hash of the inputs' names, in order.
    pub inputs_hash: String,
}

impl Header {
    /// The header of a run over `inputs` with `options`.
    pub fn new(options: &str, inputs: &[Input]) -> Header {
        Header {
            journal: FORMAT,
            lesart: env!("CARGO_PKG_VERSION").to_string(),
            options: options.to_string(),
            inputs: inputs.len(),
            inputs_hash: names_hash(inputs),
        }
    }
}

/// FNV-1a over the inputs' names, each ended by a NUL byte.
fn names_hash(inputs: &[Input]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in inputs.iter().flat_map(|i| i.name().bytes().chain([0])) {
        hash ^= byte as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// One finished input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Its place among the inputs.
    pub input: usize,
    /// Its name.
    pub name: String,
    /// Length of the annotations file once its lines were written.
    pub bytes: u64,
    /// What of it was skipped, with the reasons.
    pub skipped: Vec<Skipped>,
}

/// What an earlier run left: its header and finished inputs, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    /// The run.
    pub header: Header,
    /// Finished inputs, the first `entries.len()` inputs in order.
    pub entries: Vec<Entry>,
}

impl Journal {
    /// Reads the journal in `dir`; `None` when there is none. A last line cut short by a
    /// crash is ignored, as is anything after a line that does not continue the order.
    pub fn read(dir: &Path) -> Result<Option<Journal>> {
        let path = dir.join(JOURNAL);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let mut lines = BufReader::new(file).lines();
        let bad = |reason: String| Error::BadLine { path: path.clone(), line: 1, reason };
        let first = lines.next().transpose().map_err(|e| Error::io(&path, e))?.ok_or_else(|| bad("the journal is empty".into()))?;
        let header: Header = serde_json::from_str(&first).map_err(|e| bad(format!("not a journal header: {e}")))?;
        if header.journal != FORMAT {
            return Err(bad(format!("journal format {} where this lesart writes {FORMAT}", header.journal)));
        }
        let mut entries: Vec<Entry> = Vec::new();
        for line in lines {
            let Ok(line) = line else { break };
            match serde_json::from_str::<Entry>(&line) {
                Ok(entry) if entry.input == entries.len() => entries.push(entry),
                _ => break,
            }
        }
        Ok(Some(Journal { header, entries }))
    }

    /// Bytes of the annotations that the finished inputs wrote.
    pub fn bytes(&self) -> u64 {
        self.entries.last().map_or(0, |e| e.bytes)
    }

    /// `Ok` when this journal is of a run over `inputs` with `options`, else why not.
    pub fn check(&self, dir: &Path, header: &Header) -> Result<()> {
        let differs = |what: String| {
            Err(Error::Usage(format!("{}: the interrupted run there {what}; run again without --resume to start afresh", dir.display())))
        };
        if self.header.lesart != header.lesart {
            return differs(format!("was made by lesart {}, this is {}", self.header.lesart, header.lesart));
        }
        if self.header.options != header.options {
            return differs(format!("used other options ({}; now {})", self.header.options, header.options));
        }
        if self.header.inputs != header.inputs || self.header.inputs_hash != header.inputs_hash {
            return differs(format!("read other inputs ({} files then, {} now)", self.header.inputs, header.inputs));
        }
        Ok(())
    }
}

/// Appends to a journal, one flushed line per finished input.
pub struct JournalWriter {
    file: File,
    path: PathBuf,
}

impl JournalWriter {
    /// Starts a new journal in `dir` with `header`, replacing any old one.
    pub fn create(dir: &Path, header: &Header) -> Result<JournalWriter> {
        let path = dir.join(JOURNAL);
        let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        let mut writer = JournalWriter { file, path };
        writer.append(header)?;
        Ok(writer)
    }

    /// Goes on with the journal in `dir`, keeping its header and `entries` finished inputs
    /// (anything after them is dropped).
    pub fn resume(dir: &Path, journal: &Journal) -> Result<JournalWriter> {
        let mut writer = JournalWriter::create(dir, &journal.header)?;
        for entry in &journal.entries {
            writer.append(entry)?;
        }
        Ok(writer)
    }

    /// Appends one line and hands it to the system.
    pub fn append(&mut self, line: &impl Serialize) -> Result<()> {
        let mut bytes = serde_json::to_vec(line).map_err(|e| Error::io(&self.path, e.into()))?;
        bytes.push(b'\n');
        self.file.write_all(&bytes).map_err(|e| Error::io(&self.path, e))
    }
}

/// Opens the annotations file of a run for appending, cut back to `bytes` (what the journal
/// vouches for); a fresh run starts it empty.
pub fn open_annotations(path: &Path, bytes: u64) -> Result<File> {
    let file = OpenOptions::new().create(true).write(true).truncate(bytes == 0).open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if len < bytes {
        return Err(Error::Usage(format!(
            "{}: holds {len} bytes where the journal expects {bytes}; run again without --resume to start afresh",
            path.display()
        )));
    }
    file.set_len(bytes).map_err(|e| Error::io(path, e))?;
    let mut file = file;
    std::io::Seek::seek(&mut file, std::io::SeekFrom::End(0)).map_err(|e| Error::io(path, e))?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(names: &[&str]) -> Vec<Input> {
        names.iter().map(|n| Input::File { path: PathBuf::from(n), name: n.to_string() }).collect()
    }

    #[test]
    fn a_journal_cut_mid_line_keeps_its_whole_lines() {
        let dir = tempfile::tempdir().unwrap();
        let header = Header::new("ner=fast", &inputs(&["a.txt", "b.txt", "c.txt"]));
        let mut writer = JournalWriter::create(dir.path(), &header).unwrap();
        writer.append(&Entry { input: 0, name: "a.txt".into(), bytes: 10, skipped: vec![] }).unwrap();
        writer.append(&Entry { input: 1, name: "b.txt".into(), bytes: 25, skipped: vec![Skipped::new("b.txt", "leer")] }).unwrap();
        drop(writer);
        let mut file = OpenOptions::new().append(true).open(dir.path().join(JOURNAL)).unwrap();
        file.write_all(br#"{"input": 2, "name": "c.t"#).unwrap();
        let journal = Journal::read(dir.path()).unwrap().unwrap();
        assert_eq!(journal.entries.len(), 2);
        assert_eq!(journal.bytes(), 25);
        assert!(journal.check(dir.path(), &header).is_ok());
        let other = Header::new("ner=fast", &inputs(&["a.txt", "b.txt", "d.txt"]));
        assert!(journal.check(dir.path(), &other).unwrap_err().to_string().contains("other inputs"));
        let options = Header::new("ner=accurate", &inputs(&["a.txt", "b.txt", "c.txt"]));
        assert!(journal.check(dir.path(), &options).unwrap_err().to_string().contains("other options"));
    }

    #[test]
    fn annotations_are_cut_back_to_what_the_journal_vouches_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.part");
        std::fs::write(&path, b"line one\nline two\nhalf a li").unwrap();
        let mut file = open_annotations(&path, 18).unwrap();
        file.write_all(b"line three\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "line one\nline two\nline three\n");
        assert!(open_annotations(&path, 1_000).is_err());
        open_annotations(&path, 0).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"");
    }
}
