//! A deterministic hostile corpus: the inputs people's folders really hold and those built to
//! break a reader (deep and unclosed HTML, entities and comments by the thousand, broken and
//! odd encodings, NUL bytes, empty files, a million-character line, broken JSONL, a symlink
//! loop, an unreadable file, a FIFO, a directory named like a file). Each file comes with what
//! must become of it, so a test can check that every input is accounted for.
//!
//! Used by `tests/hostile.rs`; `cargo run --example hostile-corpus -- DIR [--full]` writes it to
//! a folder for a look or as fuzzing seeds.
#![allow(dead_code)]

use lesart::io::XorShift;
use std::fs;
use std::path::{Path, PathBuf};

/// What must become of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Analysed: a document with this id (for JSONL, documents with ids starting `name#`).
    Analysed,
    /// Skipped with a reason naming it.
    Skipped,
    /// Analysed or skipped, depending on the machine (an unreadable file is readable by root).
    Either,
    /// Not a supported type: only counted as ignored.
    Ignored,
    /// A JSONL file some of whose lines are documents and some skipped.
    Mixed,
}

/// One file of the corpus: its name relative to the corpus root and its fate.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Name relative to the root, as lesart names it.
    pub name: String,
    /// What must become of it.
    pub fate: Fate,
}

/// How much to write: `Small` leaves out the files that take long with the accurate model
/// (a 100,000-sentence document, 5 MB of one repeated token, 10 MB of text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Every case except the slow ones.
    Small,
    /// Every case.
    Full,
}

/// German sentences to fill the files with.
const SENTENCES: &[&str] = &[
    "Der Minister sagte am 26. November, die Lage sei ernst.",
    "„Wir handeln“, betonte Helga Brandt im Stadtrat.",
    "Laut Polizei soll der Täter über die Grenze nach Österreich geflohen sein.",
    "Die EU-Kommission dürfte den Plan noch im Herbst vorlegen, vermutlich in Brüssel.",
    "Experten spekulierten, Russland könnte die Lieferungen einstellen.",
    "Der 1. FC Köln gewann das Derby mit 2:1 gegen Fortuna Düsseldorf.",
];

fn article(rng: &mut XorShift, sentences: usize) -> String {
    (0..sentences).map(|_| rng.pick(SENTENCES).copied().unwrap_or_default()).collect::<Vec<_>>().join(" ")
}

fn write(root: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = root.join(name);
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).expect("create folder");
    }
    fs::write(&path, bytes).expect("write corpus file");
    path
}

/// Writes the corpus under `root` and lists every input with its fate.
pub fn write_corpus(root: &Path, scale: Scale) -> Vec<Entry> {
    let mut rng = XorShift::new(0x005e_ed1e_5aa7_f00d);
    // Repetitions of the text-shaped cases: the small corpus keeps each shape at a size the
    // encoder gets through in seconds.
    let n = |full: usize| if scale == Scale::Full { full } else { full / 20 };
    let mut entries = Vec::new();
    let mut add = |name: &str, fate: Fate| entries.push(Entry { name: name.to_string(), fate });
    let text = article(&mut rng, 12);

    // HTML built to break a parser: depth, unclosed tags, formatting the tree builder
    // re-creates, entities and comments by the thousand, never-closed script and comment.
    write(root, "html/deep-unclosed.html", format!("<html><body>{}<p>{text}</p></body></html>", "<div>".repeat(30_000)));
    add("html/deep-unclosed.html", Fate::Analysed);
    write(root, "html/deeper-closed.html", format!("{}{text}{}", "<div><span>".repeat(100_000), "</span></div>".repeat(100_000)));
    add("html/deeper-closed.html", Fate::Analysed);
    let tags = ["<div>", "<span>", "<b>", "<i>", "<p>", "<table>", "<td>", "<a>", "<font>", "<li>", "<ul>", "</div>", "<svg>", "<nav>"];
    let mixed: String = (0..50_000).map(|_| rng.pick(&tags).copied().unwrap_or_default()).collect();
    write(root, "html/deep-mixed.html", format!("{mixed}{text}"));
    add("html/deep-mixed.html", Fate::Analysed);
    let formatting: String = (0..n(20_000)).map(|i| format!("<p><b id={i}>Wort ")).collect();
    write(root, "html/formatting.html", formatting);
    add("html/formatting.html", Fate::Analysed);
    let entities = "&amp;&bdquo;Zitat&ldquo;&#8222;&#x201C;&nbsp;&shy;&#0;&#xD800;&unknown;&".repeat(n(20_000));
    write(root, "html/entities.html", format!("<p>{text}</p><p>{entities}</p>"));
    add("html/entities.html", Fate::Analysed);
    write(root, "html/comments.html", format!("<p>{text}</p>{}", "<!-- Kommentar --><!---->".repeat(n(50_000))));
    add("html/comments.html", Fate::Analysed);
    write(root, "html/unclosed-script.html", format!("<p>{text}</p><script>var x = '{}';", "a".repeat(10_000)));
    add("html/unclosed-script.html", Fate::Analysed);
    write(root, "html/unclosed-comment.html", format!("<p>{text}</p><!-- {text}"));
    add("html/unclosed-comment.html", Fate::Analysed);
    write(root, "html/only-markup.html", "<html><head><title>Nur Titel</title><script>x()</script></head><body></body></html>");
    add("html/only-markup.html", Fate::Skipped);
    write(root, "html/script-as-text.html", format!("<p>{}</p>", "&lt;script&gt;alert(1)&lt;/script&gt; ".repeat(100)));
    add("html/script-as-text.html", Fate::Analysed);

    // Encodings.
    write(root, "enc/invalid-utf8.txt", [text.as_bytes(), b" \xff\xfe\xc3\x28 \xe2\x82 Ende."].concat());
    add("enc/invalid-utf8.txt", Fate::Analysed);
    write(root, "enc/latin1.txt", b"Der Pr\xe4sident sagte, die Stra\xdfe sei \x84gesperrt\x93.");
    add("enc/latin1.txt", Fate::Analysed);
    let utf16 = |be: bool| -> Vec<u8> { text.encode_utf16().flat_map(|u| if be { u.to_be_bytes() } else { u.to_le_bytes() }).collect() };
    write(root, "enc/utf16le-bom.txt", [&[0xff, 0xfe][..], &utf16(false)].concat());
    add("enc/utf16le-bom.txt", Fate::Analysed);
    write(root, "enc/utf16be-bom.txt", [&[0xfe, 0xff][..], &utf16(true)].concat());
    add("enc/utf16be-bom.txt", Fate::Analysed);
    write(root, "enc/utf16le-no-bom.txt", utf16(false));
    add("enc/utf16le-no-bom.txt", Fate::Analysed);
    write(root, "enc/utf16-odd-length.txt", [&[0xff, 0xfe][..], &utf16(false), &[0x41]].concat());
    add("enc/utf16-odd-length.txt", Fate::Analysed);
    write(root, "enc/utf8-bom-only.txt", b"\xef\xbb\xbf");
    add("enc/utf8-bom-only.txt", Fate::Skipped);
    write(root, "enc/nul-bytes.txt", [text.as_bytes(), b"\x00\x00", text.as_bytes()].concat());
    add("enc/nul-bytes.txt", Fate::Skipped);
    write(root, "enc/control-chars.txt", format!("{text}\u{1}\u{7}\u{1b}[31m rot \u{1b}[0m\u{7f}\u{85}\u{2028}{text}\u{2029}"));
    add("enc/control-chars.txt", Fate::Analysed);
    write(
        root,
        "enc/invisible.txt",
        format!("\u{feff}\u{200b}{text}\u{200b}\u{2060}\u{202e}gnirts\u{202c}\u{ad}\u{ad} e\u{301}\u{301}\u{301}"),
    );
    add("enc/invisible.txt", Fate::Analysed);

    // Text files that are empty, blank, or shaped to make rules work hard.
    write(root, "text/empty.txt", b"");
    add("text/empty.txt", Fate::Skipped);
    write(root, "text/whitespace.txt", " \n\t\r\n\u{a0}\u{2003}\n");
    add("text/whitespace.txt", Fate::Skipped);
    write(root, "text/one-million-characters.txt", "a".repeat(1_000_000));
    add("text/one-million-characters.txt", Fate::Analysed);
    write(root, "text/long-capital-word.txt", format!("Der {}", "Bundes".repeat(50_000)));
    add("text/long-capital-word.txt", Fate::Analysed);
    write(root, "text/cr-only.txt", text.replace(". ", ".\r"));
    add("text/cr-only.txt", Fate::Analysed);
    write(root, "text/nested-quotes.txt", format!("{}Text{}", "„»‚\"(".repeat(n(20_000)), "\")‘«“".repeat(n(20_000))));
    add("text/nested-quotes.txt", Fate::Analysed);
    write(root, "text/open-quote.txt", format!("Sie sagte: „{}", article(&mut rng, n(2_000))));
    add("text/open-quote.txt", Fate::Analysed);
    write(root, "text/no-sentence-marks.txt", "Merkel Scholz Berlin Moskau NATO gegen für ".repeat(n(5_000)));
    add("text/no-sentence-marks.txt", Fate::Analysed);
    write(root, "text/punctuation.txt", ".,;:!?…–-\"'„“»«()[]{}".repeat(n(10_000)));
    add("text/punctuation.txt", Fate::Analysed);
    write(root, "text/emoji.txt", "🙂👩‍👩‍👧🇩🇪 ".repeat(n(10_000)));
    add("text/emoji.txt", Fate::Analysed);
    write(root, "text/abbreviations.txt", "z. B. Dr. Mio. Mrd. usw. Nr. 1. 2. 3. ".repeat(n(5_000)));
    add("text/abbreviations.txt", Fate::Analysed);
    if scale == Scale::Full {
        write(root, "text/100000-sentences.txt", "Ja. ".repeat(100_000));
        add("text/100000-sentences.txt", Fate::Analysed);
        write(root, "text/one-token-repeated.md", "Haus ".repeat(1_000_000));
        add("text/one-token-repeated.md", Fate::Analysed);
        // 10 MB of distinct paragraphs (repeated paragraphs would be boilerplate).
        let big: String = (0..40_000).map(|i| format!("{} Meldung Nr. {i}.\n\n", article(&mut rng, 2))).collect();
        write(root, "text/ten-megabytes.txt", big);
        add("text/ten-megabytes.txt", Fate::Analysed);
    }

    // JSONL: wrong types, broken and huge lines, lone surrogates, a BOM, no trailing newline.
    let lines = [
        format!("{{\"id\": \"gut\", \"text\": {}}}", serde_json::json!(text)),
        "{\"id\": 7, \"text\": 42}".to_string(),
        "{\"id\": {\"a\": 1}, \"text\": \"Die ID ist ein Objekt.\"}".to_string(),
        "[\"text\", \"eine Liste\"]".to_string(),
        "null".to_string(),
        "{\"text\": \"\\ud800 einsames Surrogat\"}".to_string(),
        "{\"text\": \"abgeschnitten".to_string(),
        "{\"text\": \"   \"}".to_string(),
        format!("{{\"text\": {}, \"text\": \"doppelt\"}}", serde_json::json!(text)),
        format!("{{\"id\": \"lang\", \"text\": {}}}", serde_json::json!(article(&mut rng, n(20_000)))),
        format!("{}{{\"text\": \"tief\"}}{}", "[".repeat(100_000), "]".repeat(100_000)),
    ];
    write(root, "jsonl/mixed.jsonl", [b"\xef\xbb\xbf".as_slice(), lines.join("\n").as_bytes()].concat());
    add("jsonl/mixed.jsonl", Fate::Mixed);
    write(root, "jsonl/all-broken.jsonl", "kein json\n{\n}\n");
    add("jsonl/all-broken.jsonl", Fate::Skipped);
    write(root, "jsonl/empty-lines.jsonl", "\n\n   \n");
    add("jsonl/empty-lines.jsonl", Fate::Skipped);

    // The file system: a directory named like a file, a symlink loop, a dangling link, an
    // unreadable file, a FIFO, a file with a name that is not UTF-8, other extensions.
    write(root, "fs/verzeichnis.txt/inner.txt", &text);
    add("fs/verzeichnis.txt/inner.txt", Fate::Analysed);
    write(root, "fs/bild.png", b"\x89PNG\r\n");
    add("fs/bild.png", Fate::Ignored);
    write(root, "fs/.versteckt.txt", &text);
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::{symlink, PermissionsExt};
        symlink(root.join("fs"), root.join("fs/schleife")).expect("symlink");
        add("fs/schleife", Fate::Skipped);
        symlink(root.join("fs/nirgends.txt"), root.join("fs/ins-leere.txt")).expect("symlink");
        add("fs/ins-leere.txt", Fate::Skipped);
        let locked = write(root, "fs/gesperrt.txt", &text);
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).expect("chmod");
        add("fs/gesperrt.txt", Fate::Either);
        let fifo = root.join("fs/rohr.txt");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
        if made {
            add("fs/rohr.txt", Fate::Skipped);
        }
        let odd = root.join("fs").join(std::ffi::OsStr::from_bytes(b"name-\xff-kein-utf8.txt"));
        fs::write(&odd, &text).expect("odd name");
        add(&odd.strip_prefix(root).expect("inside").display().to_string(), Fate::Analysed);
        write(root, "fs/zeilen\numbruch.txt", &text);
        add("fs/zeilen\numbruch.txt", Fate::Analysed);
    }
    entries
}
