//! Text from HTML pages: tags stripped, entities decoded, blocks separated by blank lines.
//!
//! The extracted text is the document's text; all offsets index it. Script, style and other
//! non-text elements are dropped. Navigation, header, footer and aside blocks are kept as text
//! but returned as boilerplate stretches, so the page is still shown as it reads.

use scraper::{node::Node, ElementRef, Html};
use std::ops::Range;

/// Text extracted from a page and the byte ranges of it that are page furniture.
#[derive(Debug, Default)]
pub struct Extracted {
    /// The readable text.
    pub text: String,
    /// Byte ranges of `text` inside `<nav>`, `<header>`, `<footer>` or `<aside>`.
    pub furniture: Vec<Range<usize>>,
}

const SKIPPED: &[&str] = &["script", "style", "noscript", "template", "head", "svg", "iframe", "object", "button", "form", "select"];
const FURNITURE: &[&str] = &["nav", "header", "footer", "aside"];
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "blockquote",
    "body",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tr",
    "ul",
    "aside",
    "caption",
];

/// Extracts the readable text of an HTML page. The page's `<title>` is not used: the `<h1>`
/// inside the article usually repeats it.
pub fn extract(html: &str) -> Extracted {
    let page = Html::parse_document(html);
    let mut out = Builder::default();
    walk(page.root_element(), &mut out, false);
    out.finish()
}

#[derive(Default)]
struct Builder {
    text: String,
    furniture: Vec<Range<usize>>,
    /// A block ended: the next text starts a new paragraph.
    pending_break: bool,
    /// Whitespace was seen since the last word.
    pending_space: bool,
}

impl Builder {
    fn push_text(&mut self, raw: &str) {
        // HTML collapses whitespace; a non-breaking space is text and stays.
        let is_space = |c: char| c.is_whitespace() && c != '\u{a0}';
        if raw.starts_with(is_space) {
            self.pending_space = true;
        }
        let mut words = raw.split(is_space).filter(|w| !w.is_empty()).peekable();
        while let Some(word) = words.next() {
            if self.pending_break {
                if !self.text.is_empty() {
                    self.text.push_str("\n\n");
                }
                self.pending_break = false;
            } else if self.pending_space && !self.text.is_empty() && !self.text.ends_with('\n') {
                self.text.push(' ');
            }
            self.text.push_str(word);
            self.pending_space = words.peek().is_some();
        }
        if raw.ends_with(is_space) {
            self.pending_space = true;
        }
    }

    fn line_break(&mut self) {
        if !self.text.is_empty() && !self.pending_break {
            self.text.push('\n');
            self.pending_space = false;
        }
    }

    fn finish(self) -> Extracted {
        Extracted { text: self.text, furniture: self.furniture }
    }
}

fn walk(element: ElementRef<'_>, out: &mut Builder, in_furniture: bool) {
    let name = element.value().name();
    if SKIPPED.contains(&name) {
        return;
    }
    let block = BLOCKS.contains(&name);
    let furniture = !in_furniture && FURNITURE.contains(&name);
    if block {
        out.pending_break = true;
    }
    if furniture {
        // Furniture starts a paragraph of its own so that its stretch holds whole lines.
        out.pending_break = true;
    }
    let start = out.text.len();
    for child in element.children() {
        match child.value() {
            Node::Text(text) => out.push_text(text),
            Node::Element(e) if e.name() == "br" => out.line_break(),
            Node::Element(_) => {
                if let Some(child) = ElementRef::wrap(child) {
                    walk(child, out, in_furniture || furniture);
                }
            }
            _ => {}
        }
    }
    if block {
        out.pending_break = true;
    }
    if furniture {
        let start = if out.text[start..].starts_with("\n\n") { start + 2 } else { start };
        if out.text.len() > start {
            out.furniture.push(start..out.text.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_decodes_entities_and_separates_blocks() {
        let page = r#"<html><head><title>T</title><style>p{color:red}</style></head>
            <body><nav><a href="/">Start</a> <a href="/p">Politik</a></nav>
            <article><h1>Streit &amp; Einigung</h1>
            <p>Der Minister sagte: &bdquo;Wir kommen.&ldquo;</p><p>Es   war  sp&auml;t.<br>Sehr sp&auml;t.</p>
            <script>var x = "kein Text";</script></article>
            <footer>Artikel teilen</footer></body></html>"#;
        let e = extract(page);
        assert_eq!(
            e.text,
            "Start Politik\n\nStreit & Einigung\n\nDer Minister sagte: „Wir kommen.“\n\nEs war spät.\nSehr spät.\n\nArtikel teilen"
        );
        let furniture: Vec<&str> = e.furniture.iter().map(|r| &e.text[r.clone()]).collect();
        assert_eq!(furniture, ["Start Politik", "Artikel teilen"]);
    }

    #[test]
    fn inline_elements_keep_words_together() {
        let e = extract("<p>Die <b>Bundes</b>regierung und <i>die</i> Länder</p>");
        assert_eq!(e.text, "Die Bundesregierung und die Länder");
    }
}
