//! Runs that never lose work: `analyze` killed with SIGKILL or stopped with Ctrl-C mid-run,
//! then `--resume`d, ends with the same files, byte for byte, as a run left alone.

mod common;

use common::{lesart, root, show};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A corpus of `n` distinct articles made from the sample corpus (each with a line of its own).
fn corpus(dir: &Path, n: usize) -> PathBuf {
    let sample: Vec<String> = fs::read_dir(root().join("corpus"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .map(|p| fs::read_to_string(p).unwrap_or_default())
        .filter(|t| !t.is_empty())
        .collect();
    let corpus = dir.join("corpus");
    for i in 0..n {
        let folder = corpus.join(format!("{:02}", i / 500));
        fs::create_dir_all(&folder).unwrap();
        let text = format!("{}\n\nMeldung {i} der Sammlung.\n", sample[i % sample.len()]);
        fs::write(folder.join(format!("{i:05}.txt")), text).unwrap();
    }
    corpus
}

const OUTPUTS: [&str; 4] = ["annotations.jsonl", "report.json", "report.md", "report.html"];

fn analyze_args<'a>(corpus: &'a Path, out: &'a Path) -> Vec<&'a str> {
    vec!["analyze", corpus.to_str().unwrap(), "--out", out.to_str().unwrap(), "--ner", "fast", "--quiet"]
}

/// Starts `analyze` and sends `signal` once the journal holds at least `entries` inputs.
fn interrupt(corpus: &Path, out: &Path, signal: &str, entries: usize) -> std::process::Output {
    let child = Command::new(env!("CARGO_BIN_EXE_lesart"))
        .args(analyze_args(corpus, out))
        .env("LESART_MODELS", root().join("models"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let journal = out.join(".lesart-journal.jsonl");
    let started = Instant::now();
    while fs::read_to_string(&journal).map_or(0, |j| j.lines().count()) <= entries {
        assert!(started.elapsed() < Duration::from_secs(120), "the run never got {entries} inputs in");
        std::thread::sleep(Duration::from_millis(5));
    }
    let sent = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    child.wait_with_output().unwrap()
}

fn assert_same_outputs(a: &Path, b: &Path) {
    for name in OUTPUTS {
        let (x, y) = (fs::read(a.join(name)).unwrap(), fs::read(b.join(name)).unwrap());
        assert!(x == y, "{name} differs between the resumed and the uninterrupted run");
    }
}

#[test]
fn a_run_killed_mid_way_resumes_to_the_same_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus(dir.path(), 3_000);
    let clean = dir.path().join("clean");
    let run = lesart(&analyze_args(&corpus, &clean));
    assert!(run.status.success(), "{}", show(&run));

    let killed = dir.path().join("killed");
    let out = interrupt(&corpus, &killed, "-KILL", 100);
    assert_eq!(out.status.code(), None, "SIGKILL ends the process: {}", show(&out));
    assert!(!killed.join("annotations.jsonl").exists() && killed.join("annotations.jsonl.part").exists());
    assert!(!killed.join("report.json").exists());

    let mut args = analyze_args(&corpus, &killed);
    args.push("--resume");
    let resumed = lesart(&args);
    assert!(resumed.status.success(), "{}", show(&resumed));
    assert!(!killed.join("annotations.jsonl.part").exists());
    assert_same_outputs(&clean, &killed);

    // Resuming a finished run changes nothing.
    let again = lesart(&args);
    assert!(again.status.success(), "{}", show(&again));
    assert_same_outputs(&clean, &killed);

    // Other options cannot resume it.
    args.extend(["--target", "NATO"]);
    let refused = lesart(&args);
    assert_eq!(refused.status.code(), Some(2), "{}", show(&refused));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("other options"), "{}", show(&refused));
}

#[test]
fn ctrl_c_stops_cleanly_and_says_how_to_resume() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus(dir.path(), 3_000);
    let clean = dir.path().join("clean");
    assert!(lesart(&analyze_args(&corpus, &clean)).status.success());

    let stopped = dir.path().join("stopped");
    let out = interrupt(&corpus, &stopped, "-INT", 100);
    assert_eq!(out.status.code(), Some(130), "{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("stopped after") && stderr.contains("--resume"), "{stderr}");
    let mut args = analyze_args(&corpus, &stopped);
    args.push("--resume");
    let resumed = lesart(&args);
    assert!(resumed.status.success(), "{}", show(&resumed));
    assert_same_outputs(&clean, &stopped);
}
