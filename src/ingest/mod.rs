//! The ingest stage: finds input files, decodes them, extracts text from HTML and JSONL, and
//! marks boilerplate. Every input ends up as documents or as a [`Skipped`] entry with a reason.

pub mod boilerplate;
pub mod decode;
pub mod html;

use crate::doc::{Boilerplate, BoilerplateKind, Document};
use boilerplate::BoilerplateRules;
use decode::{decode, DecodeError};
use encoding_rs::Encoding;
use serde::Serialize;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Extensions read when walking a directory.
pub const EXTENSIONS: &[&str] = &["txt", "md", "html", "htm", "jsonl"];

/// Files larger than this are refused unless the limit is raised (offsets are 32-bit).
pub const DEFAULT_MAX_BYTES: u64 = 512 * 1024 * 1024;

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file on disk, with the name documents from it are known by.
    File {
        /// Where to read it.
        path: PathBuf,
        /// The name used in ids and messages: relative to the walked directory, or as given.
        name: String,
    },
    /// Standard input (`-`).
    Stdin,
}

impl Input {
    /// The name used in ids and messages.
    pub fn name(&self) -> &str {
        match self {
            Input::File { name, .. } => name,
            Input::Stdin => "<stdin>",
        }
    }
}

/// An input that was not analysed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Skipped {
    /// The file (or `file.jsonl:LINE`).
    pub path: String,
    /// Why it was skipped, in words.
    pub reason: String,
}

impl Skipped {
    /// A skipped input with its reason.
    pub fn new(path: impl Into<String>, reason: impl ToString) -> Skipped {
        Skipped { path: path.into(), reason: reason.to_string() }
    }
}

/// What walking the arguments found.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Inputs to read, in a stable order.
    pub inputs: Vec<Input>,
    /// Paths that could not be walked (missing, unreadable directory, symlink loop).
    pub skipped: Vec<Skipped>,
    /// Files in walked directories with other extensions, or hidden; not reported one by one.
    pub ignored: usize,
}

/// Expands the command-line paths: directories are walked recursively (following symlinks,
/// reporting loops), files are taken as given, `-` is standard input.
pub fn collect_inputs(paths: &[PathBuf]) -> Inputs {
    let mut found = Inputs::default();
    for path in paths {
        if path.as_os_str() == "-" {
            found.inputs.push(Input::Stdin);
            continue;
        }
        match std::fs::metadata(path) {
            Err(e) => found.skipped.push(Skipped::new(path.display().to_string(), io_reason(&e))),
            Ok(meta) if meta.is_dir() => walk_dir(path, &mut found),
            Ok(_) => found.inputs.push(Input::File { path: path.clone(), name: path.display().to_string() }),
        }
    }
    found
}

fn walk_dir(root: &Path, found: &mut Inputs) {
    let walker = walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name().into_iter();
    // Hidden files and folders (a name starting with a dot) are counted as ignored, once each.
    let hidden = std::cell::Cell::new(0);
    let is_hidden = |e: &walkdir::DirEntry| e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.');
    let visible = |e: &walkdir::DirEntry| {
        let skip = is_hidden(e);
        hidden.set(hidden.get() + usize::from(skip));
        !skip
    };
    for entry in walker.filter_entry(visible) {
        match entry {
            Ok(entry) if entry.file_type().is_dir() => {}
            Ok(entry) => {
                let path = entry.path();
                let wanted =
                    path.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
                if wanted {
                    let name = path.strip_prefix(root).unwrap_or(path).display().to_string();
                    found.inputs.push(Input::File { path: path.to_path_buf(), name });
                } else {
                    found.ignored += 1;
                }
            }
            Err(err) => {
                // Named as the documents are: relative to the walked directory.
                let path = err
                    .path()
                    .map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string())
                    .unwrap_or_else(|| root.display().to_string());
                let reason = if let Some(ancestor) = err.loop_ancestor() {
                    format!("symlink loop (points back to {})", ancestor.display())
                } else if let Some(io) = err.io_error() {
                    io_reason(io)
                } else {
                    err.to_string()
                };
                found.skipped.push(Skipped::new(path, reason));
            }
        }
    }
    found.ignored += hidden.get();
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied: cannot read it".into(),
        _ => e.to_string(),
    }
}

/// Reads inputs into documents.
#[derive(Debug)]
pub struct Ingest {
    rules: BoilerplateRules,
    encoding: Option<&'static Encoding>,
    max_bytes: u64,
}

impl Default for Ingest {
    fn default() -> Self {
        Ingest { rules: BoilerplateRules::builtin(), encoding: None, max_bytes: DEFAULT_MAX_BYTES }
    }
}

impl Ingest {
    /// Forces an encoding instead of detecting one. Detection is the default.
    pub fn with_encoding(mut self, encoding: Option<&'static Encoding>) -> Ingest {
        self.encoding = encoding;
        self
    }

    /// Files larger than this many bytes are skipped. The default is 512 MiB.
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Ingest {
        self.max_bytes = max_bytes.min(u32::MAX as u64);
        self
    }

    /// Reads one input: a text or HTML file gives one document, a JSONL file one per line.
    /// Anything that goes wrong becomes a [`Skipped`] entry; the other documents still come.
    pub fn read(&self, input: &Input) -> Vec<Result<Document, Skipped>> {
        let name = input.name();
        let bytes = match self.read_bytes(input) {
            Ok(bytes) => bytes,
            Err(reason) => return vec![Err(Skipped::new(name, reason))],
        };
        let decoded = match decode(&bytes, self.encoding) {
            Ok(decoded) => decoded,
            Err(e) => return vec![Err(Skipped::new(name, e))],
        };
        drop(bytes);
        match format_of(input) {
            Format::Html => {
                let extracted = html::extract(&decoded.text);
                if extracted.text.trim().is_empty() {
                    return vec![Err(Skipped::new(name, "no text in the HTML page"))];
                }
                let mut doc = Document::new(name, extracted.text, decoded.encoding);
                for range in extracted.furniture {
                    let span = doc.text.span_of_bytes(range);
                    doc.boilerplate.push(Boilerplate { span, kind: BoilerplateKind::Navigation });
                }
                vec![Ok(self.finish(doc))]
            }
            Format::Jsonl => self.read_jsonl(name, &decoded.text, decoded.encoding),
            Format::Text => vec![Ok(self.finish(Document::new(name, decoded.text, decoded.encoding)))],
        }
    }

    /// Marks boilerplate on a document built elsewhere (e.g. from a string).
    pub fn finish(&self, mut doc: Document) -> Document {
        self.rules.mark(&mut doc);
        doc
    }

    fn read_bytes(&self, input: &Input) -> Result<Vec<u8>, String> {
        match input {
            Input::Stdin => {
                let mut bytes = Vec::new();
                std::io::stdin().lock().read_to_end(&mut bytes).map_err(|e| io_reason(&e))?;
                Ok(bytes)
            }
            Input::File { path, .. } => {
                let meta = std::fs::metadata(path).map_err(|e| io_reason(&e))?;
                if !meta.is_file() {
                    return Err("not a regular file".into());
                }
                if meta.len() > self.max_bytes {
                    return Err(format!(
                        "file is {} MiB, larger than the limit of {} MiB: split it or raise --max-file-size",
                        meta.len() >> 20,
                        self.max_bytes >> 20
                    ));
                }
                std::fs::read(path).map_err(|e| io_reason(&e))
            }
        }
    }

    /// The documents of a JSONL text, one per line with a string `text`; other lines are
    /// skipped with their line number and reason.
    pub fn read_jsonl(&self, name: &str, text: &str, encoding: &'static str) -> Vec<Result<Document, Skipped>> {
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let record = self.read_record(line, Some(name), i + 1, encoding);
            out.push(record.map(|(doc, _)| doc).map_err(|bad| Skipped::new(format!("{name}:{}", i + 1), bad.reason)));
        }
        if out.is_empty() {
            out.push(Err(Skipped::new(name, DecodeError::Blank)));
        }
        out
    }

    /// One JSON Lines record (`{"id", "text", …}`) as a document, the `number`th line of the
    /// file `name`: its id is `name#id` (`name#number` when the record has none; the bare id
    /// or number without a name), its other fields its metadata. Returns the document with the
    /// record's `id` field, when it is a string or a number.
    pub fn read_record(
        &self,
        line: &str,
        name: Option<&str>,
        number: usize,
        encoding: &'static str,
    ) -> Result<(Document, Option<serde_json::Value>), BadRecord> {
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| BadRecord { id: None, reason: format!("not valid JSON: {e}") })?;
        let id = value.get("id").filter(|id| id.is_string() || id.is_number()).cloned();
        let bad = |reason: &str| BadRecord { id: id.clone(), reason: reason.to_string() };
        let Some(body) = value.get("text").and_then(|t| t.as_str()) else {
            return Err(bad("no string field \"text\""));
        };
        if body.trim().is_empty() {
            return Err(bad("field \"text\" is empty"));
        }
        let key = match &id {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(n) => n.to_string(),
            None => number.to_string(),
        };
        let doc_id = match name {
            Some(name) => format!("{name}#{key}"),
            None => key,
        };
        let mut doc = Document::new(doc_id, body.to_owned(), encoding);
        doc.metadata = metadata_of(value);
        Ok((self.finish(doc), id))
    }
}

/// A JSON Lines record that gives no document: its `id` when it has one, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct BadRecord {
    /// The record's `id` field, when it is a string or a number.
    pub id: Option<serde_json::Value>,
    /// Why, in words.
    pub reason: String,
}

/// The fields of a JSON Lines record other than `id` and `text`, which the annotation carries
/// as its `metadata`; `None` when there are none.
pub fn metadata_of(record: serde_json::Value) -> Option<Box<serde_json::Map<String, serde_json::Value>>> {
    let serde_json::Value::Object(mut fields) = record else { return None };
    fields.remove("id");
    fields.remove("text");
    (!fields.is_empty()).then(|| Box::new(fields))
}

enum Format {
    Text,
    Html,
    Jsonl,
}

fn format_of(input: &Input) -> Format {
    let Input::File { path, .. } = input else { return Format::Text };
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("html" | "htm") => Format::Html,
        Some("jsonl") => Format::Jsonl,
        _ => Format::Text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_gives_one_document_per_line_and_reports_bad_lines() {
        let text = "{\"id\": \"a\", \"text\": \"Erster Text.\"}\nkaputt\n{\"text\": \"Zweiter.\"}\n{\"id\": 7}\n";
        let out = Ingest::default().read_jsonl("k.jsonl", text, "UTF-8");
        let ids: Vec<String> = out
            .iter()
            .map(|r| match r {
                Ok(d) => d.id.clone(),
                Err(s) => format!("skip {} ({})", s.path, s.reason.split(':').next().unwrap_or("")),
            })
            .collect();
        assert_eq!(ids, ["k.jsonl#a", "skip k.jsonl:2 (not valid JSON)", "k.jsonl#3", "skip k.jsonl:4 (no string field \"text\")"]);
    }
}
