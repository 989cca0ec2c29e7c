//! Word clusters from unlabeled text: words that occur between the same neighbours end up in
//! the same cluster, which lets the tagger generalise from *Moskau* to *Kiew* it never saw
//! labeled.
//!
//! Each word with enough occurrences gets a vector of positive pointwise mutual information
//! with the most frequent words to its left and right; spherical k-means splits the
//! vocabulary into coarse clusters and each of those into fine ones. `models/ner/clusters.tsv`
//! holds `word<TAB>coarse<TAB>fine`, one word a line.

use super::eval::{read_gold, GoldFormat};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// File name of the clusters inside `models/ner/`.
pub const CLUSTER_FILE: &str = "clusters.tsv";

/// Word → (coarse, fine) cluster.
#[derive(Debug, Default)]
pub struct Clusters {
    map: HashMap<String, (u16, u16)>,
}

impl Clusters {
    /// Reads `clusters.tsv`.
    pub fn load(path: &Path) -> Result<Clusters> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Error::ModelMissing { path: path.to_path_buf() }),
            Err(e) => return Err(Error::io(path, e)),
        };
        let mut map = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let mut f = line.split('\t');
            let parsed = (|| Some((f.next()?, f.next()?.parse().ok()?, f.next()?.parse().ok()?)))();
            let Some((w, c, d)) = parsed else {
                return Err(Error::ModelCorrupt { path: path.to_path_buf(), reason: format!("line {} is not word, coarse, fine", i + 1) });
            };
            map.insert(w.to_string(), (c, d));
        }
        Ok(Clusters { map })
    }

    /// The clusters of a word, trying its lowercased form when the word itself is unknown.
    pub fn get(&self, word: &str, lower: &str) -> Option<(u16, u16)> {
        self.map.get(word).or_else(|| self.map.get(lower)).copied()
    }
}

/// One source of unlabeled text.
#[derive(Debug, Clone)]
pub enum TextSource {
    /// Plain text (or CSV): every line is split into tokens.
    Text(PathBuf),
    /// JSON lines with a `text` field.
    Jsonl(PathBuf),
    /// The tokens of a gold file (labels ignored).
    Gold(PathBuf, GoldFormat),
}

/// Splits raw text into tokens: whitespace, then punctuation peeled off both ends.
fn tokenize(line: &str, out: &mut Vec<Vec<String>>) {
    let mut sent = Vec::new();
    for w in line.split_whitespace() {
        let start = w.find(|c: char| c.is_alphanumeric()).unwrap_or(w.len());
        let end = w.rfind(|c: char| c.is_alphanumeric()).map_or(start, |i| i + w[i..].chars().next().map_or(1, char::len_utf8));
        for c in w[..start].chars() {
            sent.push(c.to_string());
        }
        if start < end {
            sent.push(w[start..end].to_string());
        }
        for c in w[end.max(start)..].chars() {
            sent.push(c.to_string());
        }
    }
    if !sent.is_empty() {
        out.push(sent);
    }
}

fn read_sources(sources: &[TextSource]) -> Result<Vec<Vec<String>>> {
    let mut out = Vec::new();
    for s in sources {
        match s {
            TextSource::Text(p) => {
                let t = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
                t.lines().for_each(|l| tokenize(l, &mut out));
            }
            TextSource::Jsonl(p) => {
                let t = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
                for (i, l) in t.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                    let v: serde_json::Value =
                        serde_json::from_str(l).map_err(|e| Error::BadLine { path: p.clone(), line: i + 1, reason: e.to_string() })?;
                    v.get("text").and_then(|t| t.as_str()).unwrap_or("").lines().for_each(|l| tokenize(l, &mut out));
                }
            }
            TextSource::Gold(p, f) => out.extend(read_gold(p, *f)?.into_iter().map(|s| s.tokens)),
        }
    }
    Ok(out)
}

type Vector = Vec<(u32, f32)>;

fn kmeans(vectors: &[&Vector], k: usize, dims: usize, iterations: usize) -> Vec<u16> {
    if vectors.is_empty() {
        return Vec::new();
    }
    let k = k.min(vectors.len()).max(1);
    // Deterministic start: words spread evenly over the frequency ranking.
    let mut centroids: Vec<Vec<f32>> = (0..k)
        .map(|c| {
            let mut d = vec![0f32; dims];
            for &(i, v) in vectors[c * vectors.len() / k] {
                d[i as usize] = v;
            }
            d
        })
        .collect();
    let mut assign = vec![0u16; vectors.len()];
    for _ in 0..iterations {
        use rayon::prelude::*;
        assign = vectors
            .par_iter()
            .map(|v| {
                let mut best = (f32::NEG_INFINITY, 0usize);
                for (c, cen) in centroids.iter().enumerate() {
                    let s: f32 = v.iter().map(|&(i, x)| x * cen[i as usize]).sum();
                    if s > best.0 {
                        best = (s, c);
                    }
                }
                best.1 as u16
            })
            .collect();
        for c in centroids.iter_mut() {
            c.iter_mut().for_each(|x| *x = 0.0);
        }
        for (v, &a) in vectors.iter().zip(&assign) {
            for &(i, x) in v.iter() {
                centroids[a as usize][i as usize] += x;
            }
        }
        for c in centroids.iter_mut() {
            let n = c.iter().map(|x| x * x).sum::<f32>().sqrt();
            if n > 0.0 {
                c.iter_mut().for_each(|x| *x /= n);
            }
        }
    }
    assign
}

/// Clusters the vocabulary of `sources` and writes `clusters.tsv` to `out`. Returns the number of
/// words clustered. Deterministic for the same input.
pub fn build_clusters(sources: &[TextSource], out: &Path, min_count: usize, coarse: usize, fine: usize) -> Result<usize> {
    let sents = read_sources(sources)?;
    // Left and right neighbour; wider windows and lowercased forms clustered worse.
    let offsets: &[isize] = &[-1, 1];
    let mut freq: HashMap<&str, usize> = HashMap::new();
    for s in &sents {
        for w in s {
            *freq.entry(w.as_str()).or_default() += 1;
        }
    }
    let mut vocab: Vec<(&str, usize)> = freq.iter().filter(|(_, &c)| c >= min_count).map(|(w, c)| (*w, *c)).collect();
    vocab.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    const CONTEXT: usize = 400;
    let ctx_id: HashMap<&str, u32> = vocab.iter().take(CONTEXT).enumerate().map(|(i, (w, _))| (*w, i as u32)).collect();
    let word_id: HashMap<&str, usize> = vocab.iter().enumerate().map(|(i, (w, _))| (*w, i)).collect();
    let dims = offsets.len() * (CONTEXT + 1);
    let mut counts: Vec<HashMap<u32, f32>> = vec![HashMap::new(); vocab.len()];
    let mut ctx_total = vec![0f32; dims];
    let ctx = |w: Option<&String>| w.and_then(|w| ctx_id.get(w.as_str()).copied()).unwrap_or(CONTEXT as u32);
    for s in &sents {
        for (i, w) in s.iter().enumerate() {
            let Some(&id) = word_id.get(w.as_str()) else { continue };
            for (block, &o) in offsets.iter().enumerate() {
                let neighbour = usize::try_from(i as isize + o).ok().and_then(|j| s.get(j));
                let d = ctx(neighbour) + (block * (CONTEXT + 1)) as u32;
                *counts[id].entry(d).or_default() += 1.0;
                ctx_total[d as usize] += 1.0;
            }
        }
    }
    let total: f32 = ctx_total.iter().sum();
    let vectors: Vec<Vector> = counts
        .iter()
        .zip(&vocab)
        .map(|(c, (_, wc))| {
            let mut v: Vector = c
                .iter()
                .filter_map(|(&d, &n)| {
                    let pmi = ((n * total) / (offsets.len() as f32 * *wc as f32 * ctx_total[d as usize])).ln();
                    (pmi > 0.0).then_some((d, pmi))
                })
                .collect();
            v.sort_by_key(|x| x.0);
            let norm = v.iter().map(|x| x.1 * x.1).sum::<f32>().sqrt().max(1e-9);
            v.iter_mut().for_each(|x| x.1 /= norm);
            v
        })
        .collect();
    let all: Vec<&Vector> = vectors.iter().collect();
    let top = kmeans(&all, coarse, dims, 10);
    let mut fine_of = vec![0u16; vectors.len()];
    for c in 0..coarse {
        let members: Vec<usize> = (0..vectors.len()).filter(|&i| top[i] as usize == c).collect();
        let vs: Vec<&Vector> = members.iter().map(|&i| &vectors[i]).collect();
        for (&i, f) in members.iter().zip(kmeans(&vs, fine, dims, 8)) {
            fine_of[i] = c as u16 * fine as u16 + f;
        }
    }
    let mut lines: Vec<String> = vocab.iter().enumerate().map(|(i, (w, _))| format!("{w}\t{}\t{}", top[i], fine_of[i])).collect();
    lines.sort();
    let text = lines.join("\n") + "\n";
    std::fs::write(out, text).map_err(|e| Error::io(out, e))?;
    Ok(vocab.len())
}
