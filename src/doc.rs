//! The document model: one immutable decoded text and layers of annotations over it.
//!
//! Every span is a half-open `[start, end)` range of **character offsets** (Unicode scalar
//! values) into the decoded text, the same indices Python's `str` uses. [`Text`] owns the only
//! table that converts between characters and bytes; no other module counts characters.

use serde::{Deserialize, Serialize};
use std::ops::Range;

/// A half-open `[start, end)` range of character offsets into a document's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// First character of the span.
    pub start: u32,
    /// One past the last character of the span.
    pub end: u32,
}

impl Span {
    /// Makes a span; `start` must not be greater than `end`.
    pub fn new(start: u32, end: u32) -> Span {
        debug_assert!(start <= end, "span {start}..{end} is reversed");
        Span { start, end }
    }

    /// Number of characters covered.
    pub fn len(&self) -> u32 {
        self.end - self.start
    }

    /// True when the span covers no character.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// True when `other` lies entirely inside this span.
    pub fn contains(&self, other: Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// True when the two spans share at least one character.
    pub fn overlaps(&self, other: Span) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// Number of characters this span shares with `other` (0 when they do not overlap).
    pub fn overlap(&self, other: Span) -> u32 {
        self.end.min(other.end).saturating_sub(self.start.max(other.start))
    }
}

impl Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        [self.start, self.end].serialize(s)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Span, D::Error> {
        let [start, end] = <[u32; 2]>::deserialize(d)?;
        if start > end {
            return Err(serde::de::Error::custom(format!("span {start}..{end} is reversed")));
        }
        Ok(Span { start, end })
    }
}

/// The decoded text of a document with a character ↔ byte table.
///
/// The text is never edited after decoding: stages that want a cleaned view (soft hyphens
/// dropped, non-breaking spaces as spaces) build their own and map back.
#[derive(Debug, Clone)]
pub struct Text {
    text: String,
    /// Byte offset of every character plus one final entry for the end; empty for ASCII text,
    /// where characters and bytes coincide.
    char_to_byte: Vec<u32>,
}

impl Text {
    /// Wraps a decoded string and builds its offset table.
    ///
    /// Texts are limited to `u32::MAX` bytes; callers check the size before decoding.
    pub fn new(text: String) -> Text {
        let char_to_byte = if text.is_ascii() {
            Vec::new()
        } else {
            let mut table: Vec<u32> = text.char_indices().map(|(b, _)| b as u32).collect();
            table.push(text.len() as u32);
            table
        };
        Text { text, char_to_byte }
    }

    /// The whole text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Length in characters.
    pub fn char_len(&self) -> u32 {
        if self.char_to_byte.is_empty() {
            self.text.len() as u32
        } else {
            (self.char_to_byte.len() - 1) as u32
        }
    }

    /// Byte offset of a character offset (which may be the end of the text).
    pub fn byte_of(&self, char_offset: u32) -> usize {
        if self.char_to_byte.is_empty() {
            char_offset as usize
        } else {
            self.char_to_byte[char_offset as usize] as usize
        }
    }

    /// Character offset of a byte offset that lies on a character boundary.
    pub fn char_of(&self, byte_offset: usize) -> u32 {
        if self.char_to_byte.is_empty() {
            byte_offset as u32
        } else {
            match self.char_to_byte.binary_search(&(byte_offset as u32)) {
                Ok(i) => i as u32,
                // Inside a character: round down to the character that holds the byte.
                Err(i) => (i - 1) as u32,
            }
        }
    }

    /// The byte range of a character span.
    pub fn byte_range(&self, span: Span) -> Range<usize> {
        self.byte_of(span.start)..self.byte_of(span.end)
    }

    /// The character span of a byte range whose ends lie on character boundaries.
    pub fn span_of_bytes(&self, bytes: Range<usize>) -> Span {
        Span::new(self.char_of(bytes.start), self.char_of(bytes.end))
    }

    /// The text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        &self.text[self.byte_range(span)]
    }
}

/// True for the characters that separate tokens and belong to none: whitespace and the
/// invisible separators (zero-width space, word joiner, a byte-order mark inside the text).
pub fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200b}' | '\u{feff}' | '\u{2060}')
}

/// Universal part-of-speech tags (the UD tag set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(missing_docs)] // The names are the UD tags themselves.
pub enum Pos {
    ADJ,
    ADP,
    ADV,
    AUX,
    CCONJ,
    DET,
    INTJ,
    NOUN,
    NUM,
    PART,
    PRON,
    PROPN,
    PUNCT,
    SCONJ,
    SYM,
    VERB,
    X,
}

/// Verbal mood, as far as the form shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mood {
    /// *sagt, ist, hat*
    Indicative,
    /// Konjunktiv I, the mood of reported speech: *sei, habe, werde, erhalte*.
    KonjunktivI,
    /// Konjunktiv II, the hypothetical mood: *wäre, hätte, würde, käme, dürfte*.
    #[serde(rename = "konjunktiv_ii")]
    KonjunktivII,
    /// *geh!, sagt!*
    Imperative,
}

/// Grammatical number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Number {
    /// Singular.
    Singular,
    /// Plural.
    Plural,
}

/// Tense of a finite verb form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tense {
    /// *sagt, sage*
    Present,
    /// *sagte, käme*
    Past,
}

/// What the morphology stage says about one token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Morph {
    /// The dictionary form: *spekulierten → spekulieren*.
    pub lemma: Box<str>,
    /// Part of speech.
    pub pos: Pos,
    /// Mood of a finite verb, `None` elsewhere.
    pub mood: Option<Mood>,
    /// Person (1, 2, 3) of a finite verb.
    pub person: Option<u8>,
    /// Number of a finite verb.
    pub number: Option<Number>,
    /// Tense of a finite verb.
    pub tense: Option<Tense>,
    /// True when the analysis came from the lexicon, false when it was guessed.
    pub known: bool,
}

/// One word or punctuation mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Where the token is.
    pub span: Span,
    /// Filled by the morphology stage.
    pub morph: Option<Morph>,
}

/// Entity types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[allow(clippy::upper_case_acronyms)]
pub enum EntityLabel {
    /// Persons.
    PER,
    /// Places, countries, regions.
    LOC,
    /// Organisations, companies, parties, institutions.
    ORG,
    /// Everything else with a name: events, works, laws, products.
    MISC,
}

impl EntityLabel {
    /// The label as the JSON output writes it.
    pub fn name(self) -> &'static str {
        match self {
            EntityLabel::PER => "PER",
            EntityLabel::LOC => "LOC",
            EntityLabel::ORG => "ORG",
            EntityLabel::MISC => "MISC",
        }
    }
}

/// A named-entity mention.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    /// Where the mention is.
    pub span: Span,
    /// Its type.
    pub label: EntityLabel,
    /// True for derived forms (*russische* → LOC) and parts (*EU-weit*).
    pub derived: bool,
    /// Model confidence in [0, 1].
    pub score: f32,
}

/// Kinds of modality and attribution cues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CueKind {
    /// Hearsay *sollen*: *soll gewusst haben*.
    ReportativeModal,
    /// *dürfte, könnte, müsste, mag*.
    EpistemicModal,
    /// *spekulieren, vermuten, befürchten, glauben*.
    SpeculationVerb,
    /// *möglicherweise, vermutlich, angeblich, offenbar, wohl*.
    HedgeAdverb,
    /// A Konjunktiv I verb form (reported speech).
    KonjunktivI,
    /// A Konjunktiv II verb form (hypothetical).
    #[serde(rename = "konjunktiv_ii")]
    KonjunktivII,
    /// *sagte, laut, zufolge, nach Angaben von, so*.
    Attribution,
    /// „…“ and friends.
    QuotationMark,
}

/// A modality or attribution cue.
#[derive(Debug, Clone, PartialEq)]
pub struct Cue {
    /// Where the cue is.
    pub span: Span,
    /// What kind of cue it is.
    pub kind: CueKind,
    /// Lemma of the cue word.
    pub lemma: Box<str>,
}

/// How a claim is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimForm {
    /// In quotation marks.
    Direct,
    /// Reported speech: *er sagte, die Lage sei ernst*.
    Indirect,
    /// Summarised by the author: *laut Polizei …*, *soll …*.
    Reported,
}

/// A statement attributed to a source.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// The cue words; German splits them (*teilte … mit*).
    pub cue: Vec<Span>,
    /// Who says it, when the text names them.
    pub source: Option<Span>,
    /// The actor the source is: the canonical name of its entity group (*Helga Brandt* for
    /// *Brandt* and *sie*), when the source names or refers to one.
    pub entity: Option<Box<str>>,
    /// What is said; may be split around the cue.
    pub message: Vec<Span>,
    /// Direct, indirect or reported.
    pub form: ClaimForm,
    /// True when a hedge cue lies inside the claim.
    pub hedged: bool,
}

/// Stance labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StanceLabel {
    /// Leaning toward the target.
    Favor,
    /// Leaning against the target.
    Against,
    /// Neither.
    Neutral,
}

impl StanceLabel {
    /// All labels, in the order reports and confusion matrices use.
    pub const ALL: [StanceLabel; 3] = [StanceLabel::Favor, StanceLabel::Against, StanceLabel::Neutral];

    /// Favor at or above `threshold`, against at or below its negative, else neutral.
    pub fn from_score(score: f32, threshold: f32) -> StanceLabel {
        if score >= threshold {
            StanceLabel::Favor
        } else if score <= -threshold {
            StanceLabel::Against
        } else {
            StanceLabel::Neutral
        }
    }

    /// The label as the JSON output writes it.
    pub fn name(self) -> &'static str {
        match self {
            StanceLabel::Favor => "favor",
            StanceLabel::Against => "against",
            StanceLabel::Neutral => "neutral",
        }
    }

    /// Its position in [`StanceLabel::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Whose stance it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StanceHolder {
    /// The article's author.
    Author,
    /// A source the sentence attributes it to.
    Source,
}

/// Stance of a sentence toward one target.
#[derive(Debug, Clone, PartialEq)]
pub struct Stance {
    /// The target's name.
    pub target: Box<str>,
    /// The mention of the target in the sentence.
    pub span: Span,
    /// Favor, against or neutral.
    pub label: StanceLabel,
    /// In [-1, 1]; negative is against.
    pub score: f32,
    /// The calibrated probability of the label, when the learned head gave it (`None`: the
    /// rules decided).
    pub probability: Option<f32>,
    /// The words that carried it.
    pub evidence: Vec<Span>,
    /// The author or a source.
    pub holder: StanceHolder,
    /// The source, when the holder is a source.
    pub holder_span: Option<Span>,
}

/// What a sentence does with its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SentenceModality {
    /// Stated as fact by the author.
    Asserted,
    /// Stated with a hedge.
    Hedged,
    /// Attributed to a source.
    Reported,
    /// Konjunktiv II or conditional.
    Hypothetical,
    /// A question.
    Question,
}

/// Why a stretch of text is boilerplate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoilerplateKind {
    /// "Foto: dpa", "Photo by … on Pexels.com".
    PhotoCredit,
    /// "Kommentare", "Hinterlasse einen Kommentar".
    Comments,
    /// "Teilen auf Facebook", "Artikel teilen".
    Share,
    /// Cookie and privacy banners.
    Cookie,
    /// "Lesen Sie auch: …", "Mehr zum Thema".
    Teaser,
    /// A paragraph that already appeared earlier in the document.
    Repeated,
    /// Menus, headers, footers and asides of a web page.
    Navigation,
}

/// A stretch of text marked as not being part of the article proper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Boilerplate {
    /// The marked stretch (a whole line or paragraph).
    pub span: Span,
    /// Why it was marked.
    pub kind: BoilerplateKind,
}

/// One sentence and all annotation layers on it. Every span is still document-relative.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sentence {
    /// Where the sentence is.
    pub span: Span,
    /// True when the sentence lies in a boilerplate stretch; later stages skip it.
    pub boilerplate: bool,
    /// Words and punctuation, in order.
    pub tokens: Vec<Token>,
    /// Entity mentions, sorted and non-overlapping.
    pub entities: Vec<Entity>,
    /// Modality and attribution cues; may overlap.
    pub cues: Vec<Cue>,
    /// Claims whose cue lies in this sentence.
    pub claims: Vec<Claim>,
    /// Stance per target.
    pub stance: Vec<Stance>,
    /// The sentence's modality, once the modality stage has run.
    pub modality: Option<SentenceModality>,
    /// Contextual vectors of the tokens, left by the encode stage for the heads; the pipeline
    /// drops them after its last stage unless [`crate::Config::keep_vectors`] is set. Never
    /// written out.
    pub vectors: Option<TokenVectors>,
}

/// The vectors one encoder pass leaves for a sentence's tokens (one row per token in each).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenVectors {
    /// The encoder's last layer.
    pub last: crate::encoder::TokenMatrix,
    /// The mean of the side layers the pass keeps besides.
    pub side: crate::encoder::TokenMatrix,
}

impl Span {
    fn shifted(self, delta: i64) -> Span {
        let at = |x: u32| u32::try_from(i64::from(x) + delta).unwrap_or(0);
        Span { start: at(self.start), end: at(self.end) }
    }
}

impl Sentence {
    /// Moves every span of the sentence by `delta` characters.
    fn shift(&mut self, delta: i64) {
        self.span = self.span.shifted(delta);
        self.tokens.iter_mut().for_each(|t| t.span = t.span.shifted(delta));
        self.entities.iter_mut().for_each(|e| e.span = e.span.shifted(delta));
        self.cues.iter_mut().for_each(|c| c.span = c.span.shifted(delta));
        for claim in &mut self.claims {
            claim.cue.iter_mut().chain(&mut claim.message).chain(&mut claim.source).for_each(|sp| *sp = sp.shifted(delta));
        }
        for st in &mut self.stance {
            std::iter::once(&mut st.span).chain(&mut st.evidence).chain(&mut st.holder_span).for_each(|sp| *sp = sp.shifted(delta));
        }
    }
}

/// One article: its decoded text and everything known about it.
#[derive(Debug, Clone)]
pub struct Document {
    /// Identifier: the path relative to the input root, with `#N` or the `id` field for JSONL.
    pub id: String,
    /// The character encoding the bytes were decoded from.
    pub encoding: &'static str,
    /// The decoded text; every span indexes it.
    pub text: Text,
    /// Stretches marked as boilerplate by ingest, sorted by start.
    pub boilerplate: Vec<Boilerplate>,
    /// Sentences in text order, filled by the segmenter.
    pub sentences: Vec<Sentence>,
    /// The other fields of a JSON Lines input record (title, url, date, …), passed through
    /// to the annotation untouched; `None` for other inputs.
    pub metadata: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

impl Document {
    /// A fresh document with no annotations.
    pub fn new(id: impl Into<String>, text: String, encoding: &'static str) -> Document {
        Document { id: id.into(), encoding, text: Text::new(text), boilerplate: Vec::new(), sentences: Vec::new(), metadata: None }
    }

    /// The text a span covers.
    pub fn text_of(&self, span: Span) -> &str {
        self.text.slice(span)
    }

    /// Index of the sentence holding a character offset.
    pub fn sentence_of(&self, offset: u32) -> Option<usize> {
        let i = self.sentences.partition_point(|s| s.span.end <= offset);
        (i < self.sentences.len() && self.sentences[i].span.start <= offset).then_some(i)
    }

    /// Sentence and token index of the token holding a character offset.
    pub fn token_at(&self, offset: u32) -> Option<(usize, usize)> {
        let s = self.sentence_of(offset)?;
        let tokens = &self.sentences[s].tokens;
        let t = tokens.partition_point(|t| t.span.end <= offset);
        (t < tokens.len() && tokens[t].span.start <= offset).then_some((s, t))
    }

    /// Checks the invariants every stage keeps: sentences in order, not empty, not
    /// overlapping; each sentence's tokens and entities in order inside it; every other span
    /// inside the text; every character but separators ([`is_separator`]) inside a token. `Err` names
    /// the first broken one.
    pub fn check(&self) -> Result<(), String> {
        let len = self.text.char_len();
        let inside = |what: &str, span: Span| {
            if span.start <= span.end && span.end <= len {
                Ok(())
            } else {
                Err(format!("{what} {}..{} outside the text of {len} characters", span.start, span.end))
            }
        };
        let in_order = |what: &str, spans: &mut dyn Iterator<Item = Span>, within: Span| {
            let mut last_end = within.start;
            for span in spans {
                if span.is_empty() || span.start < last_end || span.end > within.end {
                    return Err(format!("{what} {}..{} out of order or outside {}..{}", span.start, span.end, within.start, within.end));
                }
                last_end = span.end;
            }
            Ok(())
        };
        in_order("boilerplate", &mut self.boilerplate.iter().map(|b| b.span), Span::new(0, len))?;
        in_order("sentence", &mut self.sentences.iter().map(|s| s.span), Span::new(0, len))?;
        let mut covered = vec![false; len as usize];
        for s in &self.sentences {
            in_order("token", &mut s.tokens.iter().map(|t| t.span), s.span)?;
            in_order("entity", &mut s.entities.iter().map(|e| e.span), s.span)?;
            for t in &s.tokens {
                covered[t.span.start as usize..t.span.end as usize].iter_mut().for_each(|c| *c = true);
            }
            for c in &s.cues {
                inside("cue", c.span)?;
            }
            for claim in &s.claims {
                claim.cue.iter().chain(&claim.message).chain(&claim.source).try_for_each(|&span| inside("claim", span))?;
            }
            for st in &s.stance {
                std::iter::once(&st.span).chain(&st.evidence).chain(&st.holder_span).try_for_each(|&span| inside("stance", span))?;
            }
        }
        match self.text.as_str().chars().zip(covered).position(|(c, covered)| !covered && !is_separator(c)) {
            Some(at) => Err(format!("character {at} ({:?}) is in no token", self.text.as_str().chars().nth(at).unwrap_or(' '))),
            None => Ok(()),
        }
    }

    /// `sentences` (consecutive sentences of this document, taken out of it) as a document of
    /// their own: its text runs from the first one's start to the last one's end, and every
    /// span is moved to it. Returns the section and the character offset it starts at, for
    /// [`Document::sentences_from_section`].
    pub fn section(&self, mut sentences: Vec<Sentence>) -> (Document, u32) {
        let (start, end) = match (sentences.first(), sentences.last()) {
            (Some(first), Some(last)) => (first.span.start, last.span.end),
            _ => (0, 0),
        };
        sentences.iter_mut().for_each(|s| s.shift(-i64::from(start)));
        let boilerplate = self
            .boilerplate
            .iter()
            .filter(|b| b.span.start >= start && b.span.end <= end)
            .map(|b| Boilerplate { span: Span::new(b.span.start - start, b.span.end - start), kind: b.kind })
            .collect();
        let text = self.text.slice(Span::new(start, end)).to_string();
        let section =
            Document { id: self.id.clone(), encoding: self.encoding, text: Text::new(text), boilerplate, sentences, metadata: None };
        (section, start)
    }

    /// The sentences of a section made by [`Document::section`], moved back to this document.
    pub fn sentences_from_section(section: Document, start: u32) -> Vec<Sentence> {
        let mut sentences = section.sentences;
        sentences.iter_mut().for_each(|s| s.shift(i64::from(start)));
        sentences
    }

    /// Number of word tokens (tokens holding at least one letter or digit).
    pub fn word_count(&self) -> usize {
        self.sentences.iter().flat_map(|s| &s.tokens).filter(|t| self.text_of(t.span).chars().any(char::is_alphanumeric)).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_offsets_round_trip_through_bytes() {
        let text = Text::new("Präsident „Kim“ – ß 🙂 Ende".to_string());
        let s = text.as_str();
        for (ci, (bi, _)) in s.char_indices().enumerate() {
            assert_eq!(text.byte_of(ci as u32), bi);
            assert_eq!(text.char_of(bi), ci as u32);
        }
        assert_eq!(text.char_len() as usize, s.chars().count());
        assert_eq!(text.slice(Span::new(10, 15)), "„Kim“");
        assert_eq!(text.slice(Span::new(20, 21)), "🙂");
    }

    #[test]
    fn schema_names_of_moods_and_cue_kinds() {
        let name = |v: serde_json::Value| v.as_str().map(String::from);
        assert_eq!(name(serde_json::json!(Mood::KonjunktivI)).as_deref(), Some("konjunktiv_i"));
        assert_eq!(name(serde_json::json!(Mood::KonjunktivII)).as_deref(), Some("konjunktiv_ii"));
        assert_eq!(name(serde_json::json!(CueKind::KonjunktivII)).as_deref(), Some("konjunktiv_ii"));
        assert_eq!(name(serde_json::json!(CueKind::ReportativeModal)).as_deref(), Some("reportative_modal"));
    }

    #[test]
    fn ascii_text_needs_no_table() {
        let text = Text::new("Kim sagte".to_string());
        assert_eq!(text.slice(Span::new(4, 9)), "sagte");
        assert_eq!(text.char_len(), 9);
    }

    #[test]
    fn lookups_find_sentence_and_token() {
        let mut doc = Document::new("t", "Ja. Nein.".to_string(), "UTF-8");
        let tok = |a, b| Token { span: Span::new(a, b), morph: None };
        doc.sentences = vec![
            Sentence { span: Span::new(0, 3), tokens: vec![tok(0, 2), tok(2, 3)], ..Default::default() },
            Sentence { span: Span::new(4, 9), tokens: vec![tok(4, 8), tok(8, 9)], ..Default::default() },
        ];
        assert_eq!(doc.sentence_of(5), Some(1));
        assert_eq!(doc.sentence_of(3), None);
        assert_eq!(doc.token_at(8), Some((1, 1)));
        assert_eq!(doc.text_of(doc.sentences[1].tokens[0].span), "Nein");
        assert_eq!(doc.word_count(), 2);
    }
}
