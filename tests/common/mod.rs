//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/data/<rel>` when present; `None` (with a note on stderr) when absent, so tests
/// that need it skip cleanly. With `LESART_REQUIRE_DATA=1` (as CI sets it) a missing file
/// fails the test instead: a quality test must not pass by measuring nothing.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let path = root().join("../shared/data").join(rel);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("LESART_REQUIRE_DATA").as_deref() != Ok("1"),
        "{} not present, and LESART_REQUIRE_DATA=1 requires it (the shared data lies beside the project)",
        path.display()
    );
    eprintln!("skipping: {} not present (the shared data lies beside the project)", path.display());
    None
}

/// Runs the lesart binary with arguments.
pub fn lesart(args: &[&str]) -> Output {
    lesart_in(&root(), args)
}

/// Runs the lesart binary in a directory.
pub fn lesart_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lesart"))
        .args(args)
        .current_dir(dir)
        .env("LESART_MODELS", root().join("models"))
        .output()
        .expect("the lesart binary runs")
}

/// Prints a command's output when an assertion needs it.
pub fn show(out: &Output) -> String {
    format!("status {:?}\nstdout:\n{}\nstderr:\n{}", out.status, String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Checks every span of every document in an annotations.jsonl: `text[start..end]` counted in
/// characters, as Python counts them, must equal the span's `text`. Returns how many spans it
/// checked. Error records and the count of ignored files (lines without `schema`) must
/// have their fields and are passed over.
pub fn check_spans(jsonl: &str) -> usize {
    let mut checked = 0;
    for line in jsonl.lines() {
        let doc: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        if doc.get("schema").is_none() {
            let record = doc["error"].is_string() && doc["input"].is_string();
            assert!(record || doc["ignored_files"].is_u64(), "a line that is no document, error record or count: {line}");
            continue;
        }
        let text: Vec<char> = doc["text"].as_str().expect("text").chars().collect();
        let slice = |v: &serde_json::Value| -> String {
            let (s, e) = (v["start"].as_u64().expect("start") as usize, v["end"].as_u64().expect("end") as usize);
            assert!(s <= e && e <= text.len(), "span {s}..{e} outside text of {} chars in {}", text.len(), doc["id"]);
            text[s..e].iter().collect()
        };
        for b in doc["boilerplate"].as_array().expect("boilerplate") {
            assert_eq!(slice(b), b["text"].as_str().expect("text"), "boilerplate in {}", doc["id"]);
            checked += 1;
        }
        for s in doc["sentences"].as_array().expect("sentences") {
            let sentence = slice(s);
            assert_eq!(sentence.trim(), sentence, "sentence has untrimmed whitespace in {}", doc["id"]);
            for layer in ["tokens", "entities", "cues"] {
                for span in s[layer].as_array().expect("layer") {
                    assert_eq!(slice(span), span["text"].as_str().expect("text"), "{layer} in {}", doc["id"]);
                    checked += 1;
                }
            }
            for claim in s["claims"].as_array().expect("claims") {
                if claim["source"].is_object() {
                    assert_eq!(slice(&claim["source"]), claim["source"]["text"].as_str().expect("text"), "source in {}", doc["id"]);
                    checked += 1;
                }
                for pair in claim["cue"].as_array().expect("cue").iter().chain(claim["message"].as_array().expect("message")) {
                    let (a, b) = (pair[0].as_u64().expect("start") as usize, pair[1].as_u64().expect("end") as usize);
                    assert!(a < b && b <= text.len(), "claim span {a}..{b} in {}", doc["id"]);
                    checked += 1;
                }
            }
        }
    }
    checked
}
pub mod hostile;
