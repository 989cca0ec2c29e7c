//! End-to-end tests of the `lesart` binary: the sample corpus, bad input, determinism across
//! `--jobs`, standard input, and the inspect and compare views.

mod common;

// The runs past one machine and the reading view in a browser, in this binary too (one test
// binary less to build).
#[path = "cli/browser.rs"]
mod browser;
#[path = "cli/cluster.rs"]
mod cluster;

use common::{check_spans, lesart, lesart_in, root, show};
use std::fs;

#[test]
fn analyze_corpus_writes_three_files_with_exact_offsets() {
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("out");
    let run = lesart(&["analyze", "corpus", "--out", out_dir.to_str().unwrap()]);
    assert!(run.status.success(), "{}", show(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("words/s") && stderr.contains("0 skipped"), "summary line: {stderr}");

    let annotations = fs::read_to_string(out_dir.join("annotations.jsonl")).unwrap();
    let checked = check_spans(&annotations);
    assert!(checked > 9_000, "only {checked} spans checked");
    let docs: Vec<serde_json::Value> = annotations.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(docs.len() >= 12, "{} documents", docs.len());

    // The Windows-1252 article comes out right.
    let latin = docs.iter().find(|d| d["encoding"] == "windows-1252").expect("a windows-1252 document");
    let text = latin["text"].as_str().unwrap();
    assert!(text.contains('ä') && text.contains('„') && !text.contains('\u{fffd}'), "{}", &text[..200]);

    // The HTML page lost its script and style but kept its article.
    let html = docs.iter().find(|d| d["id"].as_str().unwrap().ends_with(".html")).expect("the html document");
    let text = html["text"].as_str().unwrap();
    assert!(!text.contains("<p>") && !text.contains("function") && !text.contains("sagte niemand"), "{text}");

    // Boilerplate is marked, not deleted.
    let kinds: Vec<&str> = docs.iter().flat_map(|d| d["boilerplate"].as_array().unwrap()).map(|b| b["kind"].as_str().unwrap()).collect();
    for kind in ["photo_credit", "comments", "share", "cookie", "repeated"] {
        assert!(kinds.contains(&kind), "no {kind} boilerplate among {kinds:?}");
    }

    // Cues and claims are found, and every content sentence has a modality.
    let sentences = || docs.iter().flat_map(|d| d["sentences"].as_array().unwrap());
    let kinds: std::collections::BTreeSet<&str> =
        sentences().flat_map(|s| s["cues"].as_array().unwrap()).map(|c| c["kind"].as_str().unwrap()).collect();
    for kind in [
        "reportative_modal",
        "epistemic_modal",
        "speculation_verb",
        "hedge_adverb",
        "konjunktiv_i",
        "konjunktiv_ii",
        "attribution",
        "quotation_mark",
    ] {
        assert!(kinds.contains(kind), "no {kind} cue in the corpus: {kinds:?}");
    }
    assert!(sentences().filter(|s| !s["claims"].as_array().unwrap().is_empty()).count() > 100);
    assert!(sentences().all(|s| s["boilerplate"] == true || s["modality"].is_string()));

    // Entities are found and grouped into actors: the stance pair's mayor is one PER in both.
    let report: serde_json::Value = serde_json::from_str(&fs::read_to_string(out_dir.join("report.json")).unwrap()).unwrap();
    let mayor = report["entities"].as_array().unwrap().iter().find(|e| e["name"] == "Helga Brandt").expect("Helga Brandt listed");
    assert_eq!((mayor["label"].as_str(), mayor["documents"].as_u64()), (Some("PER"), Some(2)), "{mayor}");
    assert_eq!(report["schema"], 1);
    assert_eq!(report["documents_analysed"].as_u64().unwrap() as usize, docs.len());
    assert_eq!(report["skipped"].as_array().unwrap().len(), 0);
    let md = fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(md.starts_with("# lesart report") && md.contains("kurzmeldungen.jsonl#"), "{md}");
    let html = fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(
        html.starts_with("<!DOCTYPE html>")
            && html.contains("<svg")
            && html.contains("Helga Brandt")
            && html.matches("<script").count() == 1
            && html.contains("data-label=\"PER\""),
        "report.html"
    );
}

#[test]
fn bad_inputs_are_listed_and_the_rest_is_processed() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    fs::create_dir_all(corpus.join("sub")).unwrap();
    fs::write(corpus.join("empty.txt"), b"").unwrap();
    fs::write(corpus.join("binary.txt"), b"PK\x03\x04\x00\x00\x14\x00").unwrap();
    fs::write(corpus.join("latin1.txt"), b"Der Pr\xe4sident sagte, die Stra\xdfe sei gesperrt.").unwrap();
    fs::write(corpus.join("good.md"), "# Titel\n\nDie Stadt baut. Der Rat stimmt zu.").unwrap();
    fs::write(corpus.join("bad.jsonl"), "{\"id\": 1, \"text\": \"Es regnet.\"}\nkein json\n").unwrap();
    fs::write(corpus.join("bild.png"), b"\x89PNG").unwrap();
    // A 50 MB article: one paragraph repeated, as scraped archives sometimes are.
    let paragraph = "Der Minister sagte am 26. November, die Lage sei ernst; z. B. fehlten 3,5 Mrd. Euro. „Wir handeln“, betonte er.\n\n";
    let big = paragraph.repeat(50 * 1024 * 1024 / paragraph.len() + 1);
    fs::write(corpus.join("sub/big.txt"), &big).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::{symlink, PermissionsExt};
        symlink(&corpus, corpus.join("sub/loop")).unwrap();
        symlink(corpus.join("nowhere.txt"), corpus.join("dangling.txt")).unwrap();
        let locked = corpus.join("locked.txt");
        fs::write(&locked, "Gesperrt.").unwrap();
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
        let fifo = corpus.join("pipe.txt");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    }
    let out_dir = dir.path().join("out");
    let run = lesart(&["analyze", corpus.to_str().unwrap(), "--out", out_dir.to_str().unwrap(), "--quiet"]);
    assert_eq!(run.status.code(), Some(1), "some inputs were skipped: {}", show(&run));
    let report: serde_json::Value = serde_json::from_str(&fs::read_to_string(out_dir.join("report.json")).unwrap()).unwrap();
    let skipped: Vec<(String, String)> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["path"].as_str().unwrap().to_string(), s["reason"].as_str().unwrap().to_string()))
        .collect();
    let reason = |name: &str| skipped.iter().find(|(p, _)| p.ends_with(name)).map(|(_, r)| r.as_str());
    assert_eq!(reason("empty.txt"), Some("empty file"));
    assert_eq!(reason("binary.txt"), Some("binary file (NUL byte at offset 4)"));
    assert!(reason("bad.jsonl:2").is_some_and(|r| r.starts_with("not valid JSON")), "{skipped:?}");
    assert!(reason("loop").is_some_and(|r| r.contains("symlink loop")), "{skipped:?}");
    assert!(reason("dangling.txt").is_some_and(|r| r.contains("no such file")), "{skipped:?}");
    assert_eq!(reason("pipe.txt"), Some("not a regular file"));
    // Root reads any file whatever its mode; anyone else gets a clear refusal.
    if let Some(r) = reason("locked.txt") {
        assert!(r.contains("permission denied"), "{r}");
    }
    // Every skipped file is also named on stderr.
    let stderr = String::from_utf8_lossy(&run.stderr);
    for (path, reason) in &skipped {
        assert!(stderr.contains(&format!("lesart: {path}: {reason}")), "{stderr}");
    }
    let ids: Vec<&str> = report["documents"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    for want in ["latin1.txt", "good.md", "bad.jsonl#1", "sub/big.txt"] {
        assert!(ids.contains(&want), "{want} not processed: {ids:?}");
    }
    assert_eq!(report["ignored_files"], 1, "bild.png is ignored");
    let big_doc = report["documents"].as_array().unwrap().iter().find(|d| d["id"] == "sub/big.txt").unwrap();
    assert!(big_doc["sentences"].as_u64().unwrap() > 900_000, "{big_doc}");
}

#[test]
fn output_is_identical_for_any_number_of_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for jobs in ["1", "3"] {
        let out_dir = dir.path().join(format!("out{jobs}"));
        let run = lesart(&["analyze", "corpus", "--jobs", jobs, "--quiet", "--out", out_dir.to_str().unwrap()]);
        assert!(run.status.success(), "{}", show(&run));
        outputs.push((fs::read(out_dir.join("annotations.jsonl")).unwrap(), fs::read(out_dir.join("report.json")).unwrap()));
    }
    assert!(outputs[0] == outputs[1], "--jobs 1 and --jobs 3 differ");
}

#[test]
fn standard_input_is_a_document() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lesart"))
        .args(["analyze", "-", "--quiet", "--out"])
        .arg(dir.path())
        .env("LESART_MODELS", root().join("models"))
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all("Er sagte, er habe nichts gewusst. Sie glaubt ihm nicht.".as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    let annotations = fs::read_to_string(dir.path().join("annotations.jsonl")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(annotations.trim()).unwrap();
    assert_eq!(doc["id"], "<stdin>");
    assert_eq!(doc["sentences"].as_array().unwrap().len(), 2);
}

#[test]
fn inspect_shows_sentences_and_json() {
    let run = lesart(&["inspect", "corpus/politik-haushaltsstreit.txt", "--sentence", "8"]);
    assert!(run.status.success(), "{}", show(&run));
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(text.contains("[8]") && !text.contains("[9]") && !text.contains('\x1b'), "{text}");

    let run = lesart(&["inspect", "corpus/politik-haushaltsstreit.txt", "--json"]);
    assert!(run.status.success(), "{}", show(&run));
    assert!(check_spans(&String::from_utf8_lossy(&run.stdout)) > 100);

    let run = lesart(&["inspect", "corpus/politik-haushaltsstreit.txt", "--sentence", "9999"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("no sentence 9999"), "{}", show(&run));
}

#[test]
fn inspect_into_a_closed_pipe_ends_quietly() {
    use std::io::Read;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lesart"))
        .args(["inspect", "corpus/politik-haushaltsstreit.txt"])
        .current_dir(root())
        .env("LESART_MODELS", root().join("models"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert!(out.stderr.is_empty(), "{}", show(&out));
}

#[test]
fn compare_puts_articles_side_by_side() {
    let run = lesart(&["compare", "corpus/stance-pro-helga-brandt.txt", "corpus/stance-contra-helga-brandt.txt"]);
    assert!(run.status.success(), "{}", show(&run));
    let table = String::from_utf8_lossy(&run.stdout);
    assert!(table.contains("stance-pro-helga-brandt.txt") && table.contains("stance-contra-helga-brandt.txt"), "{table}");
    assert!(table.lines().any(|l| l.starts_with("Konjunktiv I forms")), "{table}");
    assert!(table.lines().any(|l| l.starts_with("top source 1")), "{table}");
    let run = lesart(&["compare", "corpus/stance-pro-helga-brandt.txt"]);
    assert_eq!(run.status.code(), Some(2), "one file is not a comparison");
}

#[test]
fn missing_models_directory_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let run = lesart_in(dir.path(), &["inspect", "x.txt", "--models", "no-such-models"]);
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("no-such-models") && stderr.contains("--models"), "{stderr}");
}

#[test]
fn unknown_encoding_label_is_refused() {
    let run = lesart(&["inspect", "corpus/politik-haushaltsstreit.txt", "--encoding", "klingon"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("unknown encoding"), "{}", show(&run));
}

/// The two articles on the same mayor lean opposite ways, and the comparison says so.
#[test]
fn compare_shows_opposite_stance_toward_the_shared_actor() {
    let pair = ["corpus/stance-pro-helga-brandt.txt", "corpus/stance-contra-helga-brandt.txt"];
    let run = lesart(&["compare", "--json", pair[0], pair[1]]);
    assert!(run.status.success(), "{}", show(&run));
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let actors = v["shared_actors"].as_array().unwrap();
    let brandt = actors.iter().find(|a| a["actor"] == "Helga Brandt").unwrap_or_else(|| panic!("no Helga Brandt in {actors:?}"));
    let pro = brandt["articles"][0]["mean_score"].as_f64().unwrap();
    let contra = brandt["articles"][1]["mean_score"].as_f64().unwrap();
    assert!(pro > 0.1 && contra < -0.1, "pro {pro}, contra {contra}");
    assert!(brandt["articles"][1]["against"].as_u64().unwrap() > brandt["articles"][0]["against"].as_u64().unwrap());
    assert_eq!(v["articles"].as_array().unwrap().len(), 2);

    let run = lesart(&["compare", "--markdown", pair[0], pair[1]]);
    assert!(run.status.success(), "{}", show(&run));
    let md = String::from_utf8_lossy(&run.stdout);
    let row = md.lines().find(|l| l.starts_with("| Helga Brandt |")).unwrap_or_else(|| panic!("{md}"));
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    assert!(cells[2].starts_with('+') && cells[3].starts_with('-'), "{row}");

    // Articles without a shared actor still compare on their profile.
    let run = lesart(&["compare", pair[0], "corpus/kultur-theater-premiere.txt"]);
    assert!(run.status.success(), "{}", show(&run));
    let table = String::from_utf8_lossy(&run.stdout);
    assert!(table.contains("hedge cues per 100 sentences"), "{table}");
}

#[test]
fn stance_targets_named_on_the_command_line_are_scored() {
    let run = lesart(&["inspect", "corpus/stance-contra-helga-brandt.txt", "--target", "Prüfbericht", "--color", "never"]);
    assert!(run.status.success(), "{}", show(&run));
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(out.contains("stance toward «Prüfbericht»"), "{out}");
    assert!(out.contains("stance toward «Helga Brandt»: against"), "{out}");
}

#[test]
fn colour_is_chosen_on_the_command_line_and_never_reaches_a_pipe_by_default() {
    let file = "corpus/stance-contra-helga-brandt.txt";
    let args = |color: &'static str| vec!["inspect", file, "--ner", "fast", "--sentence", "1", "--color", color];
    let always = lesart(&args("always"));
    assert!(always.status.success(), "{}", show(&always));
    assert!(String::from_utf8_lossy(&always.stdout).contains('\x1b'), "{}", show(&always));
    for color in ["never", "auto"] {
        let run = lesart(&args(color));
        let text = String::from_utf8_lossy(&run.stdout);
        assert!(run.status.success() && !text.contains('\x1b') && text.contains('['), "--color {color}: {text}");
    }
    let wrong = lesart(&args("sometimes"));
    assert!(
        !wrong.status.success() && String::from_utf8_lossy(&wrong.stderr).contains("possible values: auto, always, never"),
        "{}",
        show(&wrong)
    );
}

#[test]
fn completion_scripts_know_the_subcommands_and_their_values() {
    for (shell, marker) in [("bash", "_lesart()"), ("zsh", "#compdef lesart"), ("fish", "complete -c lesart")] {
        let run = lesart(&["completions", shell]);
        let script = String::from_utf8_lossy(&run.stdout);
        assert!(run.status.success() && script.contains(marker), "{shell}: {}", show(&run));
        assert!(script.contains("analyze") && script.contains("accurate"), "{shell} script lacks subcommands or values");
    }
}

#[test]
fn stance_is_scored_on_newsmtsc_files() {
    // Three English sentences in the NewsMTSC format (written for this test): each gold target
    // gets the head's label over the encoder pass, as the head was trained.
    let run = lesart(&["eval", "stance", "--format", "newsmtsc", "--gold", "tests/data/newsmtsc-sample.jsonl", "--json"]);
    assert!(run.status.success(), "{}", show(&run));
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).expect("JSON");
    assert_eq!(report["pairs"], 4, "{report}");
    let macro_f1 = report["macro_f1"].as_f64().expect("macro-F1");
    assert!((0.0..=1.0).contains(&macro_f1), "{report}");
    assert!(report["ece"].as_f64().is_some_and(|e| (0.0..=1.0).contains(&e)), "{report}");
}

/// A claim as cue words, source text, source entity, message text and form.
type ClaimParts = (Vec<String>, String, String, String, String);

/// The claims of a file.
fn claims_of(file: &str, quotes: &str) -> Vec<ClaimParts> {
    let run = lesart(&["inspect", file, "--json", "--quotes", quotes]);
    assert!(run.status.success(), "{}", show(&run));
    let doc: serde_json::Value = serde_json::from_slice(&run.stdout).expect("JSON");
    let text: Vec<char> = doc["text"].as_str().expect("text").chars().collect();
    let cut = |v: &serde_json::Value| -> String {
        let (a, b) = (v[0].as_u64().unwrap_or(0) as usize, v[1].as_u64().unwrap_or(0) as usize);
        text[a..b].iter().collect()
    };
    let mut out = Vec::new();
    for sentence in doc["sentences"].as_array().expect("sentences") {
        for c in sentence["claims"].as_array().into_iter().flatten() {
            let cue = c["cue"].as_array().expect("cue").iter().map(cut).collect();
            let message = c["message"].as_array().expect("message").iter().map(cut).collect::<Vec<_>>().join(" … ");
            let field = |k: &str| c["source"][k].as_str().unwrap_or("").to_string();
            out.push((cue, field("text"), field("entity"), message, c["form"].as_str().unwrap_or("").to_string()));
        }
    }
    out
}

/// File, cue words, source text, source entity, message text, form.
type ExpectedClaim = (&'static str, &'static [&'static str], &'static str, &'static str, &'static str, &'static str);

#[test]
fn quotations_in_the_corpus_get_their_cue_source_and_message() {
    let expected: [ExpectedClaim; 5] = [
        (
            "corpus/international-nordkorea-russland.txt",
            &["sagt"],
            "sie",
            "Hanna Seidel",
            "»Solange der Krieg in der Ukraine andauert, ist Putin auf Pjöngjang angewiesen«",
            "direct",
        ),
        (
            "corpus/international-nordkorea-russland.txt",
            &["so"],
            "Seidel",
            "Hanna Seidel",
            "Die bestehenden Sanktionen hätten ihre abschreckende Wirkung ohnehin weitgehend verloren",
            "indirect",
        ),
        (
            "corpus/sport-1-fc-koeln-derby.txt",
            &["sagte"],
            "der Kapitän der Borussia",
            "",
            "Man habe das Spiel „eigentlich im Griff gehabt“",
            "indirect",
        ),
        ("corpus/sport-1-fc-koeln-derby.txt", &["betonte"], "Ein Sprecher", "", "man plane „langfristig“ mit Kremper", "indirect"),
        (
            // the role noun is the person the article named with that role before
            "corpus/lokales-latin1-stadtrat.txt",
            &["betonte"],
            "der Oberbürgermeister",
            "Klaus Dürrwanger",
            "„Wir verlangen nicht mehr als andere Städte vergleichbarer Größe“",
            "direct",
        ),
    ];
    // The rules and the learned model agree on these; each file is analysed once per choice.
    let mut analysed: std::collections::HashMap<(&str, &str), Vec<ClaimParts>> = std::collections::HashMap::new();
    for ((file, cue, source, entity, message, form), quotes) in expected.into_iter().flat_map(|e| [(e, "rules"), (e, "model")]) {
        let claims = analysed.entry((file, quotes)).or_insert_with(|| claims_of(file, quotes));
        let found = claims.iter().find(|c| c.3 == message);
        let Some((got_cue, got_source, got_entity, _, got_form)) = found else {
            panic!("{quotes}: no claim with message {message:?} in {file}: {claims:#?}")
        };
        assert_eq!(got_cue, cue, "{quotes}: {message}");
        assert_eq!((got_source.as_str(), got_entity.as_str(), got_form.as_str()), (source, entity, form), "{quotes}: {message}");
    }
}
