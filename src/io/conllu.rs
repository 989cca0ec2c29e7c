//! The one CoNLL-U reader: sentences with their comments and rows, as the treebanks of
//! Universal Dependencies write them (<https://universaldependencies.org/format.html>).

use crate::error::{Error, Result};
use std::path::Path;

/// One sentence: its `# text = …`, whether a `# newdoc` came before it, and its rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sentence {
    /// The `# text = …` comment, if any.
    pub text: Option<String>,
    /// True when a `# newdoc` comment opened a new document at this sentence.
    pub newdoc: bool,
    /// Word, multiword-token and empty-node lines in file order.
    pub rows: Vec<Row>,
}

/// One line of a sentence: its ID and its tab-separated columns (all of them, ID included).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// What the ID column says the line is.
    pub id: RowId,
    /// The columns as written.
    pub columns: Vec<String>,
}

/// The kinds of CoNLL-U lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowId {
    /// A syntactic word, numbered from 1.
    Word(usize),
    /// A multiword token spanning words `first..=last` (`1-2`).
    Range(usize, usize),
    /// An empty node (`5.1`).
    Empty,
}

impl Row {
    /// The FORM column.
    pub fn form(&self) -> &str {
        self.column(1)
    }

    /// Column `i` (0 = ID), empty when the line is shorter.
    pub fn column(&self, i: usize) -> &str {
        self.columns.get(i).map_or("", String::as_str)
    }
}

impl Sentence {
    /// The syntactic words: multiword ranges and empty nodes left out.
    pub fn words(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| matches!(r.id, RowId::Word(_)))
    }

    /// The tokens as they stand in the text: a multiword token in place of its words,
    /// empty nodes left out.
    pub fn surface(&self) -> Vec<&Row> {
        let mut covered = 0;
        let mut out = Vec::new();
        for row in &self.rows {
            match row.id {
                RowId::Range(first, last) if last >= first => {
                    covered = last;
                    out.push(row);
                }
                RowId::Word(n) if n > covered => out.push(row),
                _ => {}
            }
        }
        out
    }
}

/// Reads a CoNLL-U file; a line whose ID is not a number, a range or an empty node's
/// decimal, or that has fewer than `min_columns` columns, is an error naming the line.
pub fn read(path: &Path, min_columns: usize) -> Result<Vec<Sentence>> {
    let source = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse(&source, min_columns).map_err(|(line, reason)| Error::BadLine { path: path.to_path_buf(), line, reason })
}

/// [`read`] on text: the error is the line number and the reason.
pub fn parse(source: &str, min_columns: usize) -> std::result::Result<Vec<Sentence>, (usize, String)> {
    let mut sentences = Vec::new();
    let mut current = Sentence::default();
    let mut newdoc = false;
    for (n, line) in source.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            finish(&mut current, &mut sentences);
        } else if let Some(comment) = line.strip_prefix('#') {
            let comment = comment.trim_start();
            if let Some(text) = comment.strip_prefix("text = ") {
                current.text = Some(text.to_string());
            } else if comment.starts_with("newdoc") {
                newdoc = true;
            }
        } else {
            let columns: Vec<String> = line.split('\t').map(str::to_string).collect();
            if columns.len() < min_columns {
                return Err((n + 1, format!("expected {min_columns} tab-separated columns, found {}", columns.len())));
            }
            let id = row_id(&columns[0]).ok_or_else(|| (n + 1, format!("{:?} is not a word ID", columns[0])))?;
            current.rows.push(Row { id, columns });
        }
        if newdoc && (!current.rows.is_empty() || current.text.is_some()) {
            current.newdoc = true;
            newdoc = false;
        }
    }
    finish(&mut current, &mut sentences);
    Ok(sentences)
}

fn finish(current: &mut Sentence, sentences: &mut Vec<Sentence>) {
    if !current.rows.is_empty() || current.text.is_some() {
        sentences.push(std::mem::take(current));
    }
}

fn row_id(id: &str) -> Option<RowId> {
    if let Some((first, last)) = id.split_once('-') {
        return Some(RowId::Range(first.parse().ok()?, last.parse().ok()?));
    }
    if id.contains('.') {
        return Some(RowId::Empty);
    }
    id.parse().ok().map(RowId::Word)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# newdoc id = a\n# sent_id = 1\n# text = Er ging zum Markt.\n\
1\tEr\ter\tPRON\t_\t_\t2\tnsubj\t_\t_\n2\tging\tgehen\tVERB\t_\t_\t0\troot\t_\t_\n\
3-4\tzum\t_\t_\t_\t_\t_\t_\t_\t_\n3\tzu\tzu\tADP\t_\t_\t5\tcase\t_\t_\n4\tdem\tder\tDET\t_\t_\t5\tdet\t_\t_\n\
5\tMarkt\tMarkt\tNOUN\t_\t_\t2\tobl\t_\tSpaceAfter=No\n5.1\tx\tx\tX\t_\t_\t_\t_\t_\t_\n6\t.\t.\tPUNCT\t_\t_\t2\tpunct\t_\t_\n\n\
# text = Ja.\n1\tJa\tja\tINTJ\t_\t_\t0\troot\t_\tSpaceAfter=No\n2\t.\t.\tPUNCT\t_\t_\t1\tpunct\t_\t_\n";

    #[test]
    fn words_and_surface_tokens_of_a_treebank_sentence() {
        let sentences = parse(SAMPLE, 10).expect("valid");
        assert_eq!(sentences.len(), 2);
        let s = &sentences[0];
        assert!(s.newdoc && !sentences[1].newdoc);
        assert_eq!(s.text.as_deref(), Some("Er ging zum Markt."));
        let words: Vec<&str> = s.words().map(Row::form).collect();
        assert_eq!(words, ["Er", "ging", "zu", "dem", "Markt", "."]);
        let surface: Vec<&str> = s.surface().into_iter().map(Row::form).collect();
        assert_eq!(surface, ["Er", "ging", "zum", "Markt", "."]);
        assert_eq!(s.rows[5].column(9), "SpaceAfter=No");
    }

    #[test]
    fn a_short_line_or_a_bad_id_is_an_error_with_its_line() {
        assert_eq!(parse("1\tEr\n", 10).map_err(|e| e.0), Err(1));
        assert_eq!(parse("# text = x\nx\tEr\n", 2).map_err(|e| e.0), Err(2));
    }
}
