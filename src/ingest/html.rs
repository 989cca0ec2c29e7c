//! Text from HTML pages: tags stripped, entities decoded, blocks separated by blank lines.
//!
//! The extracted text is the document's text; all offsets index it. Script, style and other
//! non-text elements are dropped. Navigation, header, footer and aside blocks are kept as text
//! but returned as boilerplate stretches, so the page is still shown as it reads.

use ego_tree::{iter::Edge, NodeId};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts, TokenizerResult};
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeBuilder, TreeBuilderOpts, TreeSink};
use html5ever::{Attribute, ExpandedName, LocalName, QualName};
use scraper::{node::Node, Html};
use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;

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

/// Elements nest at most this deep, as in Chromium's and WebKit's HTML parsers; a start tag
/// deeper down is dropped: its text stays, joined to the enclosing element, a block's with a
/// space. Without a bound the
/// tree builder's scope checks make a page of 300,000 nested `<div>`s take minutes.
pub const MAX_DEPTH: usize = 512;

/// Inline formatting elements. They carry no text structure, and the tree builder re-creates
/// unclosed ones at every paragraph (20,000 unclosed `<b id=N>` would make 200 million nodes),
/// so their tags never reach it.
const FORMATTING: &[&str] = &["a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u"];

/// Elements that switch the tokenizer into raw text: always passed on, so that a deep
/// `<script>` stays script.
const RAW_TEXT: &[&str] = &["script", "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext"];

/// Elements without content: they never deepen the tree.
const VOID: &[&str] = &["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"];

/// Extracts the readable text of an HTML page. The page's `<title>` is not used: the `<h1>`
/// inside the article usually repeats it. Time and memory are linear in the page's size, and
/// nothing recurses on its nesting.
pub fn extract(html: &str) -> Extracted {
    let page = parse_bounded(html);
    let mut out = Builder::default();
    walk(&page, &mut out);
    out.finish()
}

/// Parses a page as a browser does, with the bounds of [`MAX_DEPTH`] and [`FORMATTING`].
fn parse_bounded(html: &str) -> Html {
    let depth = Rc::new(Cell::new(0));
    let sink = DepthSink { html: Html::new_document(), depth: Rc::clone(&depth) };
    let gate = Gate { builder: TreeBuilder::new(sink, TreeBuilderOpts::default()), depth, dropped: HashMap::new() };
    let mut tokenizer = Tokenizer::new(gate, TokenizerOpts::default());
    let mut queue = BufferQueue::default();
    queue.push_back(StrTendril::from(html));
    while let TokenizerResult::Script(_) = tokenizer.feed(&mut queue) {}
    tokenizer.end();
    tokenizer.sink.builder.sink.html
}

/// Stands between the tokenizer and the tree builder and keeps tags from it that would deepen
/// the tree past [`MAX_DEPTH`], and every formatting tag.
struct Gate {
    builder: TreeBuilder<NodeId, DepthSink>,
    /// Depth of the node the last content went into, as the sink saw it.
    depth: Rc<Cell<usize>>,
    /// Start tags dropped for depth, by name, whose end tags are still to come (and to drop).
    dropped: HashMap<LocalName, usize>,
}

impl Gate {
    /// True when the tree builder must not see this tag.
    fn drops(&mut self, tag: &Tag) -> bool {
        let name: &str = &tag.name;
        if FORMATTING.contains(&name) {
            return true;
        }
        match tag.kind {
            TagKind::StartTag => {
                let deepens = !tag.self_closing && !VOID.contains(&name) && !RAW_TEXT.contains(&name);
                if deepens && self.depth.get() >= MAX_DEPTH {
                    *self.dropped.entry(tag.name.clone()).or_default() += 1;
                    return true;
                }
                false
            }
            TagKind::EndTag => match self.dropped.get_mut(&tag.name) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            },
        }
    }
}

impl TokenSink for Gate {
    type Handle = NodeId;

    fn process_token(&mut self, token: Token, line_number: u64) -> TokenSinkResult<NodeId> {
        if let Token::TagToken(tag) = &token {
            if self.drops(tag) {
                // A dropped block tag still parts the words around it.
                if BLOCKS.contains(&&*tag.name) {
                    return self.builder.process_token(Token::CharacterTokens(StrTendril::from_char('\n')), line_number);
                }
                return TokenSinkResult::Continue;
            }
        }
        self.builder.process_token(token, line_number)
    }

    fn end(&mut self) {
        self.builder.end();
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        self.builder.adjusted_current_node_present_but_not_in_html_namespace()
    }
}

/// scraper's tree, which also tells the [`Gate`] how deep each new node lies.
struct DepthSink {
    html: Html,
    depth: Rc<Cell<usize>>,
}

impl DepthSink {
    /// Number of ancestors of a node, counted up to one past [`MAX_DEPTH`].
    fn depth_of(&self, id: NodeId) -> usize {
        self.html.tree.get(id).map_or(0, |node| node.ancestors().take(MAX_DEPTH + 1).count())
    }
}

impl TreeSink for DepthSink {
    type Handle = NodeId;
    type Output = Html;

    fn finish(self) -> Html {
        self.html
    }
    fn parse_error(&mut self, msg: Cow<'static, str>) {
        self.html.parse_error(msg);
    }
    fn get_document(&mut self) -> NodeId {
        self.html.get_document()
    }
    fn elem_name<'a>(&'a self, target: &'a NodeId) -> ExpandedName<'a> {
        self.html.elem_name(target)
    }
    fn create_element(&mut self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> NodeId {
        self.html.create_element(name, attrs, flags)
    }
    fn create_comment(&mut self, text: StrTendril) -> NodeId {
        self.html.create_comment(text)
    }
    fn create_pi(&mut self, target: StrTendril, data: StrTendril) -> NodeId {
        self.html.create_pi(target, data)
    }
    fn append(&mut self, parent: &NodeId, child: NodeOrText<NodeId>) {
        let element = matches!(child, NodeOrText::AppendNode(_));
        self.html.append(parent, child);
        self.depth.set(self.depth_of(*parent) + element as usize);
    }
    fn append_based_on_parent_node(&mut self, element: &NodeId, prev_element: &NodeId, child: NodeOrText<NodeId>) {
        self.html.append_based_on_parent_node(element, prev_element, child);
    }
    fn append_doctype_to_document(&mut self, name: StrTendril, public_id: StrTendril, system_id: StrTendril) {
        self.html.append_doctype_to_document(name, public_id, system_id);
    }
    fn get_template_contents(&mut self, target: &NodeId) -> NodeId {
        self.html.get_template_contents(target)
    }
    fn same_node(&self, x: &NodeId, y: &NodeId) -> bool {
        x == y
    }
    fn set_quirks_mode(&mut self, mode: QuirksMode) {
        self.html.set_quirks_mode(mode);
    }
    fn append_before_sibling(&mut self, sibling: &NodeId, new_node: NodeOrText<NodeId>) {
        self.html.append_before_sibling(sibling, new_node);
    }
    fn add_attrs_if_missing(&mut self, target: &NodeId, attrs: Vec<Attribute>) {
        self.html.add_attrs_if_missing(target, attrs);
    }
    fn remove_from_parent(&mut self, target: &NodeId) {
        self.html.remove_from_parent(target);
    }
    fn reparent_children(&mut self, node: &NodeId, new_parent: &NodeId) {
        self.html.reparent_children(node, new_parent);
    }
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

/// One open element of the walk: what it asked of the text, to be settled when it closes.
struct Open {
    block: bool,
    /// Where its furniture stretch starts, when it opened one.
    furniture_from: Option<usize>,
}

/// Walks the tree in document order without recursion (pages nest tags tens of thousands deep),
/// writing text and block breaks into `out`.
fn walk(page: &Html, out: &mut Builder) {
    let mut open: Vec<Open> = Vec::new();
    // Depth of furniture elements around the current node, and of a skipped element (script,
    // style …) whose whole subtree is dropped.
    let mut furniture_depth = 0usize;
    let mut skipped_depth = 0usize;
    for edge in page.tree.root().traverse() {
        match edge {
            Edge::Open(node) => {
                let Node::Element(element) = node.value() else {
                    if let (Node::Text(text), 0) = (node.value(), skipped_depth) {
                        out.push_text(text);
                    }
                    continue;
                };
                let name = element.name();
                if skipped_depth > 0 || SKIPPED.contains(&name) {
                    skipped_depth += 1;
                    continue;
                }
                if name == "br" {
                    out.line_break();
                }
                let block = BLOCKS.contains(&name);
                let furniture = furniture_depth == 0 && FURNITURE.contains(&name);
                // Furniture starts a paragraph of its own so that its stretch holds whole lines.
                if block || furniture {
                    out.pending_break = true;
                }
                if FURNITURE.contains(&name) {
                    furniture_depth += 1;
                }
                open.push(Open { block, furniture_from: furniture.then_some(out.text.len()) });
            }
            Edge::Close(node) => {
                let Node::Element(element) = node.value() else { continue };
                if skipped_depth > 0 {
                    skipped_depth -= 1;
                    continue;
                }
                let Some(closed) = open.pop() else { continue };
                if FURNITURE.contains(&element.name()) {
                    furniture_depth -= 1;
                }
                if closed.block {
                    out.pending_break = true;
                }
                if let Some(start) = closed.furniture_from {
                    let start = if out.text[start..].starts_with("\n\n") { start + 2 } else { start };
                    if out.text.len() > start {
                        out.furniture.push(start..out.text.len());
                    }
                }
            }
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
    fn a_page_nested_deeper_than_the_limit_is_flattened_not_lost() {
        // 30,000 unclosed tags overflowed the stack of a recursive walk.
        let page = format!("{}<p>Der Minister sagte, es sei gut.</p>{}", "<div>".repeat(30_000), "<div><p>Zweiter Absatz.</p>".repeat(3));
        let e = extract(&page);
        assert_eq!(e.text, "Der Minister sagte, es sei gut. Zweiter Absatz. Zweiter Absatz. Zweiter Absatz.");
        let tree = parse_bounded(&page);
        let depth = tree.tree.nodes().map(|n| n.ancestors().count()).max().unwrap_or(0);
        assert!(depth <= MAX_DEPTH + 2, "tree {depth} deep");
        // Under the limit, blocks keep their breaks.
        assert_eq!(extract(&"<div>".repeat(100)).text, "");
        assert_eq!(extract(&format!("{}A<div>B</div>C", "<div>".repeat(100))).text, "A\n\nB\n\nC");
    }

    #[test]
    fn unclosed_formatting_is_not_re_created_at_every_paragraph() {
        // The tree builder re-opened every unclosed <b id=N> in each new paragraph: 20,000 of
        // them made hundreds of millions of nodes.
        let page: String = (0..2_000).map(|i| format!("<p><b id={i}>Wort ")).collect();
        let tree = parse_bounded(&page);
        assert!(tree.tree.nodes().count() < 10_000, "{} nodes", tree.tree.nodes().count());
        assert_eq!(extract(&page).text, vec!["Wort"; 2_000].join("\n\n"));
    }

    #[test]
    fn inline_elements_keep_words_together() {
        let e = extract("<p>Die <b>Bundes</b>regierung und <i>die</i> Länder</p>");
        assert_eq!(e.text, "Die Bundesregierung und die Länder");
    }
}
