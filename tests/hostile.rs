//! `analyze` on the hostile corpus (tests/common/hostile.rs): the run ends with 0 or 1, writes
//! its report, accounts for every input (analysed, skipped with a reason, or ignored) and every
//! span's text is `text[start..end]`.

mod common;

use common::hostile::{write_corpus, Entry, Fate, Scale};
use common::{check_spans, lesart, show};
use std::fs;
use std::path::Path;

/// Runs `analyze` on a fresh hostile corpus of `scale` and checks the outcome.
fn analyze_hostile(scale: Scale, extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    let entries = write_corpus(&corpus, scale);
    let out = dir.path().join("out");
    let mut args = vec!["analyze", corpus.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"];
    args.extend_from_slice(extra);
    let run = lesart(&args);
    assert!(matches!(run.status.code(), Some(0 | 1)), "{}", show(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!stderr.contains("panicked") && !stderr.contains("internal error"), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    accounted(&entries, &report, &corpus);
    let annotations = fs::read_to_string(out.join("annotations.jsonl")).unwrap();
    assert!(check_spans(&annotations) > 1_000);
    assert!(!out.join(".lesart-journal.jsonl").exists() || out.join("annotations.jsonl").exists());
}

/// Every input has the fate it must have, and nothing in the report is unaccounted for.
fn accounted(entries: &[Entry], report: &serde_json::Value, corpus: &Path) {
    let ids: Vec<&str> = report["documents"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    let skipped: Vec<(String, &str)> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let path = s["path"].as_str().unwrap();
            let rel = Path::new(path).strip_prefix(corpus).map_or(path.to_string(), |p| p.display().to_string());
            (rel, s["reason"].as_str().unwrap())
        })
        .collect();
    // A JSONL file is skipped line by line (`file.jsonl:3`).
    let is_skipped = |name: &str| skipped.iter().any(|(p, r)| (p == name || p.starts_with(&format!("{name}:"))) && !r.is_empty());
    for entry in entries {
        let name = entry.name.as_str();
        let analysed = ids.contains(&name);
        match entry.fate {
            Fate::Analysed => assert!(analysed, "{name} not analysed; skipped: {skipped:?}"),
            Fate::Skipped => assert!(is_skipped(name), "{name} not skipped with a reason; skipped: {skipped:?}"),
            Fate::Either => assert!(analysed || is_skipped(name), "{name} neither analysed nor skipped"),
            Fate::Ignored => assert!(!analysed && !is_skipped(name), "{name} should be ignored"),
            Fate::Mixed => {
                assert!(ids.iter().any(|id| id.starts_with(&format!("{name}#"))), "no document from {name}");
                assert!(skipped.iter().any(|(p, _)| p.starts_with(&format!("{name}:"))), "no skipped line of {name}");
            }
        }
    }
    let belongs = |item: &str| {
        entries.iter().any(|e| item == e.name || item.starts_with(&format!("{}#", e.name)) || item.starts_with(&format!("{}:", e.name)))
    };
    for id in &ids {
        assert!(belongs(id), "document {id} of no input");
    }
    for (path, reason) in &skipped {
        assert!(belongs(path), "skipped {path} ({reason}) of no input");
    }
    let ignored = entries.iter().filter(|e| e.fate == Fate::Ignored).count() as u64;
    assert!(report["ignored_files"].as_u64().unwrap() >= ignored);
}

#[test]
fn the_fast_pipeline_accounts_for_every_hostile_input() {
    analyze_hostile(Scale::Full, &["--ner", "fast"]);
}

#[test]
fn the_accurate_pipeline_accounts_for_every_hostile_input() {
    analyze_hostile(Scale::Small, &[]);
}
