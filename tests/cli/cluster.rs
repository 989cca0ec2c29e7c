//! Runs past one machine: `lesart stream` answers every line in order, `lesart report` over
//! any split of the annotations gives `analyze`'s report, and the Spark job
//! (`tools/spark/lesart-spark.py`, spark-submit --master local[2]) gives it too.

use crate::common::{lesart, root, shared_data, show};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const REPORTS: [&str; 3] = ["report.json", "report.md", "report.html"];

/// Runs `lesart stream ARGS` with `input` on stdin.
fn stream(input: &[u8], args: &[&str]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lesart"))
        .arg("stream")
        .args(args)
        .env("LESART_MODELS", root().join("models"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    out
}

fn run_ok(args: &[&str]) {
    let out = lesart(args);
    assert!(out.status.success(), "lesart {args:?}: {}", show(&out));
}

/// Runs `analyze` over a file with one bad line, named as it lies in its folder (so the ids
/// are `gnad.jsonl#…`): it writes its outputs and exits with 1.
fn analyze_with_a_skip(docs: &Path, out: &Path) {
    let (dir, name) = (docs.parent().unwrap(), docs.file_name().unwrap().to_str().unwrap());
    let run = crate::common::lesart_in(dir, &["analyze", name, "--out", out.to_str().unwrap(), "--ner", "fast", "--quiet"]);
    assert_eq!(run.status.code(), Some(1), "{}", show(&run));
    assert!(out.join("report.json").exists());
}

fn assert_same_reports(a: &Path, b: &Path, what: &str) {
    for name in REPORTS {
        let (x, y) = (fs::read_to_string(a.join(name)).unwrap(), fs::read_to_string(b.join(name)).unwrap());
        assert!(x == y, "{name} of {what} differs from analyze's");
    }
}

/// The first `n` articles of gnad10k as one JSON Lines file, ids `gnad-K`, with a bad line
/// and a blank one among them.
fn gnad_jsonl(n: usize, dir: &Path) -> Option<PathBuf> {
    let csv_path = shared_data("gnad10k/articles.csv")?;
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').quote(b'\'').has_headers(false).flexible(true).from_path(csv_path).unwrap();
    let mut lines = Vec::new();
    for (k, record) in reader.records().take(n).enumerate() {
        let record = record.unwrap();
        lines.push(serde_json::json!({"id": format!("gnad-{k}"), "text": &record[1], "ressort": &record[0]}).to_string());
        if k == 7 {
            lines.push("{\"id\": \"kaputt\", \"text\": ".into());
            lines.push(String::new());
        }
    }
    let path = dir.join("gnad.jsonl");
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    Some(path)
}

#[test]
fn stream_answers_every_line_in_its_place() {
    let mut input = Vec::new();
    input.extend_from_slice(
        b"{\"id\": \"a\", \"text\": \"Die Ministerin sagte, der Plan sei gescheitert.\", \"title\": \"Plan\", \"tags\": [1, 2]}\n",
    );
    input.extend_from_slice(b"kein JSON\n");
    input.extend_from_slice(b"\n");
    input.extend_from_slice(b"{\"id\": 4, \"titel\": \"ohne Text\"}\n");
    input.extend_from_slice(b"{\"id\": \"\xff\", \"text\": \"kaputt\"}\n");
    input.extend_from_slice(b"{\"text\": \"Berlin soll den Antrag abgelehnt haben.\"}");
    let out = stream(&input, &["--ner", "fast", "-j", "2"]);
    assert!(out.status.success(), "{}", show(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.split_terminator('\n').collect();
    assert_eq!(lines.len(), 6, "one line out per line in:\n{text}");
    let json = |i: usize| serde_json::from_str::<serde_json::Value>(lines[i]).unwrap();
    assert_eq!(json(0)["id"], "a");
    assert_eq!(json(0)["metadata"], serde_json::json!({"title": "Plan", "tags": [1, 2]}));
    assert!(json(0)["sentences"][0]["claims"].as_array().is_some_and(|c| !c.is_empty()), "{}", lines[0]);
    assert_eq!((json(1)["line"].as_u64(), json(1)["input"].as_str()), (Some(2), Some("<stdin>:2")));
    assert!(json(1)["error"].as_str().unwrap().starts_with("not valid JSON"));
    assert_eq!(lines[2], "", "a blank line stays blank");
    assert_eq!((json(3)["id"].as_u64(), json(3)["error"].as_str()), (Some(4), Some("no string field \"text\"")));
    assert_eq!(json(4)["error"], "not valid UTF-8");
    assert_eq!(json(5)["id"], "6", "a record without id is known by its line");
    assert!(String::from_utf8_lossy(&out.stderr).contains("6 lines: 2 documents, 3 error records"), "{}", show_err(&out.stderr));
}

fn show_err(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr).into_owned()
}

#[test]
fn stream_gives_the_lines_analyze_gives_for_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let sample = root().join("corpus/kurzmeldungen.jsonl");
    let out_dir = dir.path().join("a");
    let analyzed = Command::new(env!("CARGO_BIN_EXE_lesart"))
        .args(["analyze", "kurzmeldungen.jsonl", "--out", out_dir.to_str().unwrap(), "--quiet"])
        .current_dir(root().join("corpus"))
        .env("LESART_MODELS", root().join("models"))
        .output()
        .unwrap();
    assert!(analyzed.status.success(), "{}", show(&analyzed));
    let streamed = stream(&fs::read(sample).unwrap(), &["--name", "kurzmeldungen.jsonl", "--quiet"]);
    assert!(streamed.status.success(), "{}", show(&streamed));
    assert!(streamed.stderr.is_empty(), "--quiet prints nothing: {}", show_err(&streamed.stderr));
    let annotations = fs::read(out_dir.join("annotations.jsonl")).unwrap();
    assert!(streamed.stdout == annotations, "stream's lines differ from analyze's annotations.jsonl (accurate NER)");
}

#[test]
fn report_over_parts_in_any_order_equals_analyze_on_the_sample_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    run_ok(&["analyze", root().join("corpus").to_str().unwrap(), "--out", whole.to_str().unwrap(), "--ner", "fast", "--quiet"]);
    let annotations = fs::read_to_string(whole.join("annotations.jsonl")).unwrap();
    // Three parts, dealt out of order, one of them gzip-compressed, in a folder and as a file.
    let parts = dir.path().join("parts");
    fs::create_dir_all(&parts).unwrap();
    let mut dealt = [String::new(), String::new(), String::new()];
    for (i, line) in annotations.lines().rev().enumerate() {
        dealt[(i * 7) % 3] += &format!("{line}\n");
    }
    fs::write(parts.join("part-00000"), &dealt[0]).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(dealt[1].as_bytes()).unwrap();
    fs::write(parts.join("part-00001.gz"), gz.finish().unwrap()).unwrap();
    fs::write(parts.join("_SUCCESS"), "").unwrap();
    let loose = dir.path().join("loose.jsonl");
    fs::write(&loose, &dealt[2]).unwrap();
    let reduced = dir.path().join("reduced");
    run_ok(&["report", loose.to_str().unwrap(), parts.to_str().unwrap(), "--out", reduced.to_str().unwrap(), "--quiet"]);
    assert_same_reports(&whole, &reduced, "report over three parts");
}

#[test]
fn report_rejects_a_line_that_is_no_annotation_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.jsonl");
    fs::write(&file, "{\"input\": \"a.txt\", \"error\": \"leer\"}\n{\"schema\": 1, \"id\": \"b\"}\n").unwrap();
    let out = lesart(&["report", file.to_str().unwrap(), "--out", dir.path().join("r").to_str().unwrap()]);
    assert!(!out.status.success());
    let err = show_err(&out.stderr);
    assert!(err.contains("x.jsonl:2"), "names the file and line: {err}");
    assert!(!dir.path().join("r/report.json").exists(), "no report is written from a bad part");
}

#[test]
fn report_over_streamed_parts_equals_analyze_on_120_gnad_articles() {
    let dir = tempfile::tempdir().unwrap();
    let Some(docs) = gnad_jsonl(120, dir.path()) else { return };
    let whole = dir.path().join("whole");
    analyze_with_a_skip(&docs, &whole);
    // The file in four numbered parts, as a cluster splits it, each streamed on its own.
    let lines: Vec<String> = fs::read_to_string(&docs).unwrap().lines().enumerate().map(|(i, l)| format!("{}\t{l}\n", i + 1)).collect();
    let parts = dir.path().join("parts");
    fs::create_dir_all(&parts).unwrap();
    for (k, chunk) in lines.chunks(lines.len().div_ceil(4)).enumerate() {
        let out = stream(chunk.concat().as_bytes(), &["--numbered", "--name", "gnad.jsonl", "--ner", "fast", "--quiet"]);
        assert!(out.status.success(), "{}", show(&out));
        assert_eq!(out.stdout.iter().filter(|&&b| b == b'\n').count(), chunk.len(), "every line of part {k} answered");
        fs::write(parts.join(format!("part-{k:05}")), out.stdout).unwrap();
    }
    let reduced = dir.path().join("reduced");
    run_ok(&["report", parts.to_str().unwrap(), "--out", reduced.to_str().unwrap(), "--quiet"]);
    assert_same_reports(&whole, &reduced, "report over four streamed parts");
    let report: serde_json::Value = serde_json::from_str(&fs::read_to_string(reduced.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["documents_analysed"], 120);
    assert_eq!(report["skipped"][0]["path"], "gnad.jsonl:9", "the bad line is accounted for");
}

/// `spark-submit` when pyspark and Java are installed; `None` (a note on stderr) otherwise,
/// and a failure where `LESART_REQUIRE_SPARK=1` (CI) says they must be.
fn spark_submit() -> Option<PathBuf> {
    let found = Command::new("spark-submit").arg("--version").output().is_ok_and(|o| o.status.success());
    if found {
        return Some(PathBuf::from("spark-submit"));
    }
    assert!(
        std::env::var("LESART_REQUIRE_SPARK").as_deref() != Ok("1"),
        "spark-submit is not found, and LESART_REQUIRE_SPARK=1 requires it (pip install pyspark==3.5.3; a Java 17 runtime)"
    );
    eprintln!("skipping: spark-submit not found (pip install pyspark==3.5.3 and a Java 17 runtime run this test)");
    None
}

#[test]
fn the_spark_job_gives_the_report_analyze_gives() {
    let Some(spark) = spark_submit() else { return };
    let dir = tempfile::tempdir().unwrap();
    let Some(docs) = gnad_jsonl(120, dir.path()) else { return };
    let whole = dir.path().join("whole");
    analyze_with_a_skip(&docs, &whole);
    let out_dir = dir.path().join("spark");
    let job = Command::new(spark)
        .args(["--master", "local[2]", "--conf", "spark.ui.enabled=false"])
        .arg(root().join("tools/spark/lesart-spark.py"))
        .args(["--input", docs.to_str().unwrap(), "--output", out_dir.to_str().unwrap(), "--partitions", "3", "--ner", "fast"])
        .args(["--compress", "--lesart", env!("CARGO_BIN_EXE_lesart"), "--models", root().join("models").to_str().unwrap()])
        .current_dir(dir.path())
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .output()
        .unwrap();
    assert!(job.status.success(), "the Spark job failed: {}", show(&job));
    let parts: Vec<_> = fs::read_dir(out_dir.join("annotations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("part-"))
        .collect();
    assert!(parts.len() >= 3 && parts.iter().all(|p| p.ends_with(".gz")), "{parts:?}");
    assert_same_reports(&whole, &out_dir, "the Spark job");
}

mod merge {
    use lesart::ingest::{collect_inputs, Skipped};
    use lesart::ner::NerModel;
    use lesart::report::aggregate::DocumentSummary;
    use lesart::report::json::write_report;
    use lesart::report::Report;
    use lesart::{Config, Pipeline};
    use proptest::prelude::*;
    use std::sync::OnceLock;

    /// The summaries of the sample corpus (fast NER) and a few skipped inputs.
    fn pieces() -> &'static (Vec<DocumentSummary>, Vec<Skipped>) {
        static PIECES: OnceLock<(Vec<DocumentSummary>, Vec<Skipped>)> = OnceLock::new();
        PIECES.get_or_init(|| {
            let pipeline = Pipeline::new(&Config { ner: NerModel::Fast, jobs: 1, ..Config::default() }).unwrap();
            let inputs = collect_inputs(&[super::root().join("corpus")]);
            let mut summaries = Vec::new();
            for input in &inputs.inputs {
                for doc in pipeline.analyze_input(input).into_iter().flatten() {
                    summaries.push(DocumentSummary::of(&doc, &pipeline.entity_groups(&doc)));
                }
            }
            let skipped = ["b.jsonl:10", "b.jsonl:9", "a.html", "b.jsonl:9"].iter().map(|p| Skipped::new(*p, "kaputt")).collect();
            (summaries, skipped)
        })
    }

    fn report_json(report: &Report) -> Vec<u8> {
        let mut out = Vec::new();
        write_report(&mut out, report, report.documents.iter().cloned().map(Ok)).unwrap();
        out
    }

    /// A report of the pieces whose `part` is `k`, added in the order of `order`.
    fn part_report(k: usize, parts: &[usize], order: &[usize]) -> Report {
        let (summaries, skipped) = pieces();
        let mut report = Report::new();
        for &i in order {
            if parts[i] != k {
                continue;
            }
            match summaries.get(i) {
                Some(summary) => {
                    report.count(summary);
                    report.documents.push(summary.clone());
                }
                None => report.skipped.push(skipped[i - summaries.len()].clone()),
            }
        }
        report
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

        /// Any partition of the documents, each part in any order, merged in any order, gives
        /// the report of them all at once, byte for byte.
        #[test]
        fn merging_reports_of_any_partition_in_any_order_gives_the_same_report(
            parts in prop::collection::vec(0usize..5, 64),
            keys in prop::collection::vec(any::<u32>(), 64),
            merge_keys in prop::collection::vec(any::<u32>(), 5),
        ) {
            let (summaries, skipped) = pieces();
            let n = summaries.len() + skipped.len();
            prop_assert!(n <= 64);
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by_key(|&i| keys[i]);
            let mut merge_order: Vec<usize> = (0..5).collect();
            merge_order.sort_by_key(|&k| merge_keys[k]);
            let mut merged = Report::new();
            for k in merge_order {
                merged.merge(part_report(k, &parts, &order));
            }
            merged.finish();
            let mut whole = part_report(0, &[0; 64], &(0..n).collect::<Vec<_>>());
            whole.finish();
            prop_assert_eq!(report_json(&merged), report_json(&whole));
        }
    }
}
