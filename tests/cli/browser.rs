//! The reading view in a real browser: headless Chromium loads `report.html` of the sample
//! corpus with a hostile document beside it, the `compare --html` and `inspect --html` pages,
//! and the rendered DOM (after the page's script ran) must hold every entity and claim of
//! `annotations.jsonl` as its mark, nothing from a document as an element, and no console
//! message.

use crate::common::{lesart, root, show};
use scraper::{Html, Selector};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Chromium (`$LESART_CHROMIUM`, else `chromium` or `chromium-browser` on the PATH); `None`
/// with a note when there is none, a failure where `LESART_REQUIRE_BROWSER=1` (CI) says
/// there must be.
fn chromium() -> Option<PathBuf> {
    let candidates =
        std::env::var_os("LESART_CHROMIUM").map(PathBuf::from).into_iter().chain(["chromium", "chromium-browser"].map(PathBuf::from));
    for candidate in candidates {
        if Command::new(&candidate).arg("--version").output().is_ok_and(|o| o.status.success()) {
            return Some(candidate);
        }
    }
    assert!(
        std::env::var("LESART_REQUIRE_BROWSER").as_deref() != Ok("1"),
        "no chromium found, and LESART_REQUIRE_BROWSER=1 requires it (Debian: apt-get install chromium)"
    );
    eprintln!("skipping: no chromium found (Debian: apt-get install chromium; or set LESART_CHROMIUM)");
    None
}

/// The DOM of `page` after it loaded and its script ran, and what the browser logged from
/// the page's console.
fn render(chromium: &Path, page: &Path, profile: &Path) -> (Html, Vec<String>) {
    render_at(chromium, page, "", profile)
}

/// As [`render`], with the page opened at `#fragment` (or without one for "").
fn render_at(chromium: &Path, page: &Path, fragment: &str, profile: &Path) -> (Html, Vec<String>) {
    let out = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .args(["--enable-logging=stderr", "--v=0", "--virtual-time-budget=2000", "--dump-dom"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}{fragment}", page.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium failed on {}: {}", page.display(), show(&out));
    let console = String::from_utf8_lossy(&out.stderr).lines().filter(|l| l.contains(":CONSOLE")).map(str::to_string).collect();
    (Html::parse_document(&String::from_utf8_lossy(&out.stdout)), console)
}

fn select<'a>(dom: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    dom.select(&Selector::parse(css).unwrap()).collect()
}

/// A folder with the sample corpus and a document full of markup and script.
fn corpus_with_hostile(dir: &Path) -> PathBuf {
    let corpus = dir.join("corpus");
    fs::create_dir_all(&corpus).unwrap();
    for entry in fs::read_dir(root().join("corpus")).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, corpus.join(path.file_name().unwrap())).unwrap();
    }
    fs::write(
        corpus.join("hostile.txt"),
        "<script>document.title='übernommen'</script><img src=x onerror=\"document.body.dataset.pwned=1\">\n\n\
         Der Minister <b>Olaf Scholz</b> sagte in Berlin, die Lage sei \"ernst\" & 'unklar' </textarea><iframe src=x>.\n\n\
         <style>body{display:none}</style>Die Opposition soll <a href=\"javascript:alert(1)\">Kritik</a> geübt haben.\n",
    )
    .unwrap();
    fs::write(
        corpus.join("markup-ids.jsonl"),
        "{\"id\": \"<img src=x onerror=alert(1)>\", \"text\": \"Angela Merkel sagte in Berlin, sie sei zufrieden.\", \"title\": \"<script>alert(2)</script>\"}\n",
    )
    .unwrap();
    corpus
}

#[test]
fn the_report_marks_every_entity_and_claim_and_runs_nothing_from_the_documents() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus_with_hostile(dir.path());
    let out = dir.path().join("out");
    let run = lesart(&["analyze", corpus.to_str().unwrap(), "--out", out.to_str().unwrap(), "--ner", "fast", "--quiet"]);
    assert!(run.status.success(), "{}", show(&run));
    let (dom, console) = render(&chromium, &out.join("report.html"), &dir.path().join("profile"));
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert_eq!(select(&dom, "title")[0].inner_html(), "lesart report", "a document's script ran");
    assert!(select(&dom, "body")[0].value().attr("data-pwned").is_none(), "a document's handler ran");
    assert_eq!(select(&dom, "script").len(), 1, "only the report's own script");
    assert!(
        select(&dom, "img, iframe, textarea, .view b, .view a, .view style, details style").is_empty(),
        "markup from a document became an element"
    );

    let annotations = fs::read_to_string(out.join("annotations.jsonl")).unwrap();
    let (mut documents, mut entities, mut claims) = (0, 0, 0);
    for line in annotations.lines() {
        let doc: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = doc["id"].as_str().unwrap();
        let anchor = lesart::report::view::anchor(id);
        let view = select(&dom, &format!("details.doc[id=\"{anchor}\"] article.view"));
        assert_eq!(view.len(), 1, "no reading view for {id}");
        let view = view[0];
        assert_eq!(view.value().attr("data-doc"), Some(id));
        let text: String = view.text().collect();
        // HTML parsing turns CR LF and lone CR into LF; nothing else may differ.
        let expected = doc["text"].as_str().unwrap().replace("\r\n", "\n").replace('\r', "\n");
        assert_eq!(text, expected, "the view of {id} does not show its text as it is");
        for sentence in doc["sentences"].as_array().unwrap() {
            for e in sentence["entities"].as_array().unwrap() {
                let css =
                    format!("[data-label=\"{}\"][data-start=\"{}\"][data-end=\"{}\"]", e["label"].as_str().unwrap(), e["start"], e["end"]);
                let marks: Vec<_> = view.select(&Selector::parse(&css).unwrap()).collect();
                let marked: String = marks.iter().flat_map(|m| m.text()).collect();
                assert_eq!(marked, e["text"].as_str().unwrap(), "entity {css} of {id}");
                entities += 1;
            }
            claims += sentence["claims"].as_array().unwrap().len();
        }
        let mut parts: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for mark in view.select(&Selector::parse("[data-claim]").unwrap()) {
            parts.entry(mark.value().attr("data-claim").unwrap()).or_default().push(mark.value().attr("data-role").unwrap());
        }
        let in_doc: usize = doc["sentences"].as_array().unwrap().iter().map(|s| s["claims"].as_array().unwrap().len()).sum();
        assert_eq!(parts.len(), in_doc, "claims of {id} with a mark");
        for (key, roles) in parts {
            assert!(roles.contains(&"message") || roles.contains(&"cue"), "claim {key} has neither message nor cue marked");
        }
        documents += 1;
    }
    assert!(documents >= 18 && entities > 200 && claims > 250, "{documents} documents, {entities} entities, {claims} claims");
    let hostile = select(&dom, &format!("details.doc[id=\"{}\"] article.view", lesart::report::view::anchor("hostile.txt")));
    assert!(hostile[0].text().collect::<String>().contains("<script>document.title='übernommen'</script>"), "the markup shows as text");
    let rows = select(&dom, "tr[data-hedging] a[href^=\"#doc-\"]");
    assert_eq!(rows.len(), documents, "every document has its row, linked to its view");
    assert!(select(&dom, "details.doc[open]").is_empty(), "documents start closed");
    // A link to a sentence opens its document.
    let anchor = lesart::report::view::anchor("politik-haushaltsstreit.txt");
    let (dom, _) = render_at(&chromium, &out.join("report.html"), &format!("#{anchor}-s8"), &dir.path().join("profile"));
    let open: Vec<&str> = select(&dom, "details.doc[open]").iter().map(|d| d.value().attr("id").unwrap()).collect();
    assert_eq!(open, [anchor.as_str()]);
}

#[test]
fn the_comparison_page_shows_both_articles_with_their_marks() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("compare.html");
    let (pro, contra) = ("corpus/stance-pro-helga-brandt.txt", "corpus/stance-contra-helga-brandt.txt");
    let run = lesart(&["compare", pro, contra, "--ner", "fast", "--html", page.to_str().unwrap()]);
    assert!(run.status.success(), "{}", show(&run));
    let (dom, console) = render(&chromium, &page, &dir.path().join("profile"));
    assert!(console.is_empty(), "console messages: {console:#?}");
    let articles = select(&dom, "section.article");
    let ids: Vec<&str> = articles.iter().map(|a| a.value().attr("id").unwrap()).collect();
    assert_eq!(ids, [lesart::report::view::anchor(pro), lesart::report::view::anchor(contra)]);
    for article in &articles {
        assert!(article.select(&Selector::parse("[data-label=\"PER\"]").unwrap()).count() > 5, "entities marked");
        assert!(article.select(&Selector::parse("[data-claim]").unwrap()).count() > 10, "claims marked");
    }
    let shared: Vec<&str> = select(&dom, "tr[data-shared-actor]").iter().map(|r| r.value().attr("data-shared-actor").unwrap()).collect();
    assert!(shared.contains(&"Helga Brandt"), "{shared:?}");
}

#[test]
fn inspect_writes_a_page_for_one_document_with_its_markup_as_text() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus_with_hostile(dir.path());
    let page = dir.path().join("hostile.html");
    let run = lesart(&["inspect", corpus.join("hostile.txt").to_str().unwrap(), "--ner", "fast", "--html", page.to_str().unwrap()]);
    assert!(run.status.success(), "{}", show(&run));
    let (dom, console) = render(&chromium, &page, &dir.path().join("profile"));
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(select(&dom, "img, iframe, textarea, .view b, .view a").is_empty());
    let text: String = select(&dom, "article.view")[0].text().collect();
    assert!(text.contains("<b>Olaf Scholz</b>") && text.contains("javascript:alert(1)"), "{text}");
    assert!(!select(&dom, "[data-label]").is_empty(), "the names are marked");
}
