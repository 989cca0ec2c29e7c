//! `lesart report`: the corpus report from annotation files, in any split and any order.
//!
//! Every line is summarised on its own ([`DocumentSummary`]) and the summaries are merged
//! into one [`Report`], whose merge is associative and commutative and whose document list is
//! put in one order; so the parts of a corpus, analysed anywhere, give the report `analyze`
//! gives for the whole.

use super::{add_annotation_lines, write_reports, Report, Spill};
use crate::error::{Error, Result};
use crate::ner::gazetteer::{Gazetteers, GAZETTEER_SUBDIR};
use crate::pipeline::SECTION_SENTENCES;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// What [`report_from_annotations`] read and built.
#[derive(Debug)]
pub struct Reduced {
    /// Annotation files read.
    pub files: usize,
    /// The report written.
    pub report: Report,
}

/// Reads the annotation files among `paths` (files as given, folders walked for `*.jsonl`,
/// `*.jsonl.gz` and `part-*`; gzip-compressed or not; each file once) and writes `report.json`, `report.md`
/// and `report.html` into `out_dir`, each complete or not at all. A line that is neither a
/// document, an error record nor the count of ignored files stops it with the file and line.
pub fn report_from_annotations(paths: &[PathBuf], models_dir: &Path, jobs: usize, out_dir: &Path) -> Result<Reduced> {
    let gazetteers = Gazetteers::load(&models_dir.join(crate::ner::MODEL_SUBDIR).join(GAZETTEER_SUBDIR))?;
    let files = annotation_files(paths)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {jobs} worker threads: {e}")))?;
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
    let mut report = Report::new();
    let mut spill = Spill::create(out_dir)?;
    let groups = |doc: &crate::doc::Document| crate::ner::link::group_entities(doc, Some(&gazetteers), SECTION_SENTENCES);
    for file in &files {
        // Blank lines stand in a stream's output for blank input lines.
        let lines = open_lines(file)?.enumerate().filter(|(_, line)| !line.as_ref().is_ok_and(|l| l.trim().is_empty()));
        pool.install(|| add_annotation_lines(lines, file, groups, &mut report, &mut spill))?;
    }
    report.finish();
    write_reports(out_dir, &report, &mut spill)?;
    Ok(Reduced { files: files.len(), report })
}

/// The annotation files among `paths`, each folder's in the order of their paths.
fn annotation_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if !meta.is_dir() {
            files.push(path.clone());
            continue;
        }
        let hidden = |e: &walkdir::DirEntry| e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.');
        for entry in walkdir::WalkDir::new(path).follow_links(true).sort_by_file_name().into_iter().filter_entry(|e| !hidden(e)) {
            let entry = entry.map_err(|e| Error::io(e.path().unwrap_or(path).to_path_buf(), e.into()))?;
            if entry.file_type().is_file() && is_annotation_file(&entry.file_name().to_string_lossy()) {
                files.push(entry.into_path());
            }
        }
    }
    // A file named twice (as itself and inside a folder given too) is read once.
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
    if files.is_empty() {
        return Err(Error::Usage("no annotation files (*.jsonl, *.jsonl.gz, part-*) in the paths given".into()));
    }
    Ok(files)
}

/// `annotations.jsonl`, `x.jsonl.gz`, and the part files a cluster job writes
/// (`part-00000`, `part-00000.gz`; not their `.crc` checksums).
fn is_annotation_file(name: &str) -> bool {
    name.ends_with(".jsonl") || name.ends_with(".jsonl.gz") || (name.starts_with("part-") && !name.ends_with(".crc"))
}

/// The lines of a file, decompressed when it starts as gzip does.
fn open_lines(path: &Path) -> Result<std::io::Lines<Box<dyn BufRead + Send>>> {
    let mut file = std::io::BufReader::new(std::fs::File::open(path).map_err(|e| Error::io(path, e))?);
    let gzip = file.fill_buf().map_err(|e| Error::io(path, e))?.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn BufRead + Send> =
        if gzip { Box::new(std::io::BufReader::new(flate2::bufread::MultiGzDecoder::new(file))) } else { Box::new(file) };
    Ok(reader.lines())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_files_are_told_by_name() {
        for name in ["annotations.jsonl", "teil.jsonl.gz", "part-00003", "part-00003.gz"] {
            assert!(is_annotation_file(name), "{name}");
        }
        for name in ["part-00003.crc", "_SUCCESS", "report.json", "notes.txt"] {
            assert!(!is_annotation_file(name), "{name}");
        }
    }

    #[test]
    fn gzip_and_plain_files_read_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let text = "{\"a\": 1}\n{\"b\": 2}\n";
        std::fs::write(dir.path().join("plain.jsonl"), text).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
        std::fs::write(dir.path().join("packed.jsonl.gz"), gz.finish().unwrap()).unwrap();
        let read = |name: &str| open_lines(&dir.path().join(name)).unwrap().collect::<std::io::Result<Vec<_>>>().unwrap();
        assert_eq!(read("plain.jsonl"), read("packed.jsonl.gz"));
        assert_eq!(read("plain.jsonl").len(), 2);
    }
}
