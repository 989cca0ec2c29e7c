//! The JSON wire formats: one document per line in `annotations.jsonl`, and `report.json`.
//!
//! # `annotations.jsonl` (schema 1)
//!
//! One JSON object per document and line (an input that gave none has an error record,
//! [`ErrorRecord`], in its place; see docs/schema.md):
//!
//! ```json
//! {"schema": 1, "id": "politik.txt", "encoding": "UTF-8", "text": "…",
//!  "boilerplate": [{"start": 0, "end": 9, "kind": "photo_credit", "text": "Foto: dpa"}],
//!  "sentences": [{"start": 11, "end": 52, "boilerplate": false,
//!    "tokens": [{"start": 11, "end": 14, "text": "Der", "lemma": "der", "pos": "DET", "mood": null}],
//!    "entities": [], "cues": [], "claims": [], "stance": [], "modality": null}]}
//! ```
//!
//! All `start`/`end` pairs are character offsets (Unicode scalar values, as Python's `str`
//! indexes) into `text`, half-open; `text[start:end]` is the `text` of the span. Finite verbs
//! add `person`, `number` and `tense` to their token. Claim `cue` and `message` and stance
//! `evidence` are lists of `[start, end]` pairs.
//!
//! The serializers borrow from the document; nothing is copied but the output bytes.

use crate::doc::{
    Boilerplate, BoilerplateKind, Claim, ClaimForm, Cue, CueKind, Document, Entity, EntityLabel, Mood, Number, Pos, Sentence,
    SentenceModality, Span, Stance, StanceHolder, StanceLabel, Tense, Token,
};
use crate::ingest::Skipped;
use crate::report::aggregate::{DocumentSummary, Report};
use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;

/// Version of the annotation and report schemas.
pub const SCHEMA: u32 = 1;

/// A document as one line of `annotations.jsonl`.
#[derive(Serialize)]
pub struct DocumentJson<'a> {
    schema: u32,
    id: &'a str,
    encoding: &'a str,
    text: &'a str,
    #[serde(serialize_with = "seq")]
    boilerplate: Mapped<'a, Boilerplate, BoilerplateJson<'a>>,
    #[serde(serialize_with = "seq")]
    sentences: Mapped<'a, Sentence, SentenceJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

impl<'a> DocumentJson<'a> {
    /// Borrows a document for serialization.
    pub fn new(doc: &'a Document) -> DocumentJson<'a> {
        DocumentJson {
            schema: SCHEMA,
            id: &doc.id,
            encoding: doc.encoding,
            text: doc.text.as_str(),
            boilerplate: Mapped::new(doc, &doc.boilerplate, |doc, b| BoilerplateJson {
                start: b.span.start,
                end: b.span.end,
                kind: b.kind,
                text: doc.text_of(b.span),
            }),
            sentences: Mapped::new(doc, &doc.sentences, SentenceJson::new),
            metadata: doc.metadata.as_deref(),
        }
    }
}

/// A lazily mapped slice: serializes `items` through `f` without collecting them.
pub struct Mapped<'a, T, U> {
    doc: &'a Document,
    items: &'a [T],
    f: fn(&'a Document, &'a T) -> U,
}

impl<'a, T, U> Mapped<'a, T, U> {
    fn new(doc: &'a Document, items: &'a [T], f: fn(&'a Document, &'a T) -> U) -> Self {
        Mapped { doc, items, f }
    }
}

fn seq<'a, T, U: Serialize, S: Serializer>(m: &Mapped<'a, T, U>, s: S) -> Result<S::Ok, S::Error> {
    let mut out = s.serialize_seq(Some(m.items.len()))?;
    for item in m.items {
        out.serialize_element(&(m.f)(m.doc, item))?;
    }
    out.end()
}

#[derive(Serialize)]
struct BoilerplateJson<'a> {
    start: u32,
    end: u32,
    kind: BoilerplateKind,
    text: &'a str,
}

/// A sentence with all its layers.
#[derive(Serialize)]
pub struct SentenceJson<'a> {
    start: u32,
    end: u32,
    boilerplate: bool,
    #[serde(serialize_with = "seq")]
    tokens: Mapped<'a, Token, TokenJson<'a>>,
    #[serde(serialize_with = "seq")]
    entities: Mapped<'a, Entity, EntityJson<'a>>,
    #[serde(serialize_with = "seq")]
    cues: Mapped<'a, Cue, CueJson<'a>>,
    #[serde(serialize_with = "seq")]
    claims: Mapped<'a, Claim, ClaimJson<'a>>,
    #[serde(serialize_with = "seq")]
    stance: Mapped<'a, Stance, StanceJson<'a>>,
    modality: Option<SentenceModality>,
}

impl<'a> SentenceJson<'a> {
    /// Borrows a sentence of `doc` for serialization.
    pub fn new(doc: &'a Document, s: &'a Sentence) -> SentenceJson<'a> {
        SentenceJson {
            start: s.span.start,
            end: s.span.end,
            boilerplate: s.boilerplate,
            tokens: Mapped::new(doc, &s.tokens, TokenJson::new),
            entities: Mapped::new(doc, &s.entities, |doc, e| EntityJson {
                start: e.span.start,
                end: e.span.end,
                label: e.label,
                derived: e.derived,
                text: doc.text_of(e.span),
                score: e.score,
            }),
            cues: Mapped::new(doc, &s.cues, |doc, c| CueJson {
                start: c.span.start,
                end: c.span.end,
                kind: c.kind,
                text: doc.text_of(c.span),
                lemma: &c.lemma,
            }),
            claims: Mapped::new(doc, &s.claims, |doc, c| ClaimJson {
                cue: &c.cue,
                source: c.source.map(|span| SourceJson { span: SpanText::new(doc, span), entity: c.entity.as_deref() }),
                message: &c.message,
                form: c.form,
                hedged: c.hedged,
            }),
            stance: Mapped::new(doc, &s.stance, |_, st| StanceJson {
                target: &st.target,
                start: st.span.start,
                end: st.span.end,
                label: st.label,
                score: st.score,
                probability: st.probability,
                evidence: &st.evidence,
                holder: st.holder,
                holder_span: st.holder_span,
            }),
            modality: s.modality,
        }
    }
}

#[derive(Serialize)]
struct TokenJson<'a> {
    start: u32,
    end: u32,
    text: &'a str,
    lemma: Option<&'a str>,
    pos: Option<Pos>,
    mood: Option<Mood>,
    #[serde(skip_serializing_if = "Option::is_none")]
    person: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    number: Option<Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tense: Option<Tense>,
}

impl<'a> TokenJson<'a> {
    fn new(doc: &'a Document, t: &'a Token) -> TokenJson<'a> {
        let m = t.morph.as_ref();
        TokenJson {
            start: t.span.start,
            end: t.span.end,
            text: doc.text_of(t.span),
            lemma: m.map(|m| &*m.lemma),
            pos: m.map(|m| m.pos),
            mood: m.and_then(|m| m.mood),
            person: m.and_then(|m| m.person),
            number: m.and_then(|m| m.number),
            tense: m.and_then(|m| m.tense),
        }
    }
}

#[derive(Serialize)]
struct EntityJson<'a> {
    start: u32,
    end: u32,
    label: EntityLabel,
    derived: bool,
    text: &'a str,
    score: f32,
}

#[derive(Serialize)]
struct CueJson<'a> {
    start: u32,
    end: u32,
    kind: CueKind,
    text: &'a str,
    lemma: &'a str,
}

/// A span with its text, as used for claim sources.
#[derive(Serialize)]
struct SpanText<'a> {
    start: u32,
    end: u32,
    text: &'a str,
}

impl<'a> SpanText<'a> {
    fn new(doc: &'a Document, span: Span) -> SpanText<'a> {
        SpanText { start: span.start, end: span.end, text: doc.text_of(span) }
    }
}

/// A claim's source: its span and text, and the actor it is.
#[derive(Serialize)]
struct SourceJson<'a> {
    #[serde(flatten)]
    span: SpanText<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    entity: Option<&'a str>,
}

#[derive(Serialize)]
struct ClaimJson<'a> {
    cue: &'a [Span],
    source: Option<SourceJson<'a>>,
    message: &'a [Span],
    form: ClaimForm,
    hedged: bool,
}

#[derive(Serialize)]
struct StanceJson<'a> {
    target: &'a str,
    start: u32,
    end: u32,
    label: StanceLabel,
    score: f32,
    probability: Option<f32>,
    evidence: &'a [Span],
    holder: StanceHolder,
    holder_span: Option<Span>,
}

/// Writes one document as a JSON line (with the trailing newline).
pub fn write_document_line(mut w: impl std::io::Write, doc: &Document) -> std::io::Result<()> {
    serde_json::to_writer(&mut w, &DocumentJson::new(doc))?;
    w.write_all(b"\n")
}

/// An input that gave no document, as a line of `annotations.jsonl` or of `lesart stream`'s
/// output, in the document's place: `{"input": "a.html", "error": "…"}`; a stream's record
/// adds the `id` (when the line had a readable one) and the `line` number.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ErrorRecord {
    /// The record's `id`, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<serde_json::Value>,
    /// The line of the stream it stood on (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The input as the report lists it: a file, or `file.jsonl:LINE`.
    pub input: String,
    /// Why it gave no document.
    pub error: String,
}

impl ErrorRecord {
    /// The record of an input skipped by `analyze`.
    pub fn of(skipped: &Skipped) -> ErrorRecord {
        ErrorRecord { id: None, line: None, input: skipped.path.clone(), error: skipped.reason.clone() }
    }

    /// The skipped input it stands for in a report.
    pub fn skipped(&self) -> Skipped {
        Skipped::new(self.input.clone(), &self.error)
    }
}

/// The files a walk passed over (other types, hidden), as the first line of
/// `annotations.jsonl` when there are any: `{"ignored_files": 3}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
struct IgnoredRecord {
    ignored_files: usize,
}

/// What one line of `annotations.jsonl` holds.
#[derive(Debug)]
pub enum AnnotationLine {
    /// An analysed document.
    Document(Box<Document>),
    /// An input that gave none.
    Error(ErrorRecord),
    /// Files a walk passed over.
    Ignored(usize),
}

/// Writes an error record as a JSON line.
pub fn write_error_line(mut w: impl std::io::Write, record: &ErrorRecord) -> std::io::Result<()> {
    serde_json::to_writer(&mut w, record)?;
    w.write_all(b"\n")
}

/// Writes the count of files a walk passed over as a JSON line.
pub fn write_ignored_line(mut w: impl std::io::Write, ignored_files: usize) -> std::io::Result<()> {
    serde_json::to_writer(&mut w, &IgnoredRecord { ignored_files })?;
    w.write_all(b"\n")
}

/// Reads any line of `annotations.jsonl`: a document, an error record or the count of
/// ignored files.
pub fn read_annotation_line(line: &str) -> Result<AnnotationLine, String> {
    let not_a_document = match read_document_line(line) {
        Ok(doc) => return Ok(AnnotationLine::Document(Box::new(doc))),
        Err(reason) => reason,
    };
    if let Ok(record) = serde_json::from_str::<ErrorRecord>(line) {
        return Ok(AnnotationLine::Error(record));
    }
    if let Ok(IgnoredRecord { ignored_files }) = serde_json::from_str(line) {
        return Ok(AnnotationLine::Ignored(ignored_files));
    }
    Err(not_a_document)
}

/// Reads one line of `annotations.jsonl` back into a document, with every layer the line
/// holds (the contextual vectors are never written, so they are absent). Spans are checked
/// against the text, so a line from elsewhere cannot index outside it.
pub fn read_document_line(line: &str) -> Result<Document, String> {
    let json: DocumentIn = serde_json::from_str(line).map_err(|e| format!("not an annotation line: {e}"))?;
    if json.schema != SCHEMA {
        return Err(format!("schema {} where this lesart reads schema {SCHEMA}", json.schema));
    }
    let encoding = encoding_rs::Encoding::for_label(json.encoding.as_bytes())
        .map(|e| e.name())
        .ok_or_else(|| format!("unknown encoding {:?}", json.encoding))?;
    let mut doc = Document::new(json.id, json.text, encoding);
    doc.metadata = json.metadata;
    let len = doc.text.char_len();
    let check = |span: Span| {
        if span.end <= len {
            Ok(span)
        } else {
            Err(format!("span {}..{} outside the text of {len} characters", span.start, span.end))
        }
    };
    for b in json.boilerplate {
        doc.boilerplate.push(Boilerplate { span: check(Span::new(b.start, b.end))?, kind: b.kind });
    }
    for s in json.sentences {
        let spans = |list: &[Span]| list.iter().try_for_each(|&sp| check(sp).map(drop));
        let mut sentence =
            Sentence { span: check(pair(s.start, s.end)?)?, boilerplate: s.boilerplate, modality: s.modality, ..Default::default() };
        for t in s.tokens {
            let morph = match (t.lemma, t.pos) {
                (Some(lemma), Some(pos)) => Some(crate::doc::Morph {
                    lemma: lemma.into(),
                    pos,
                    mood: t.mood,
                    person: t.person,
                    number: t.number,
                    tense: t.tense,
                    known: true,
                }),
                _ => None,
            };
            sentence.tokens.push(Token { span: check(pair(t.start, t.end)?)?, morph });
        }
        for e in s.entities {
            sentence.entities.push(Entity { span: check(pair(e.start, e.end)?)?, label: e.label, derived: e.derived, score: e.score });
        }
        for c in s.cues {
            sentence.cues.push(Cue { span: check(pair(c.start, c.end)?)?, kind: c.kind, lemma: c.lemma.into() });
        }
        for c in s.claims {
            spans(&c.cue)?;
            spans(&c.message)?;
            let source = c.source.as_ref().map(|src| pair(src.start, src.end).and_then(check)).transpose()?;
            let entity = c.source.and_then(|s| s.entity).map(String::into_boxed_str);
            sentence.claims.push(Claim { cue: c.cue, source, message: c.message, form: c.form, hedged: c.hedged, entity });
        }
        for st in s.stance {
            spans(&st.evidence)?;
            let holder_span = st.holder_span.map(check).transpose()?;
            sentence.stance.push(Stance {
                target: st.target.into(),
                span: check(pair(st.start, st.end)?)?,
                label: st.label,
                score: st.score,
                probability: st.probability,
                evidence: st.evidence,
                holder: st.holder,
                holder_span,
            });
        }
        doc.sentences.push(sentence);
    }
    Ok(doc)
}

fn pair(start: u32, end: u32) -> Result<Span, String> {
    if start <= end {
        Ok(Span::new(start, end))
    } else {
        Err(format!("span {start}..{end} is reversed"))
    }
}

#[derive(serde::Deserialize)]
struct DocumentIn {
    schema: u32,
    id: String,
    encoding: String,
    text: String,
    boilerplate: Vec<BoilerplateIn>,
    sentences: Vec<SentenceIn>,
    #[serde(default)]
    metadata: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

#[derive(serde::Deserialize)]
struct BoilerplateIn {
    start: u32,
    end: u32,
    kind: BoilerplateKind,
}

#[derive(serde::Deserialize)]
struct SentenceIn {
    start: u32,
    end: u32,
    boilerplate: bool,
    tokens: Vec<TokenIn>,
    entities: Vec<EntityIn>,
    cues: Vec<CueIn>,
    claims: Vec<ClaimIn>,
    stance: Vec<StanceIn>,
    modality: Option<SentenceModality>,
}

#[derive(serde::Deserialize)]
struct TokenIn {
    start: u32,
    end: u32,
    lemma: Option<String>,
    pos: Option<Pos>,
    mood: Option<Mood>,
    #[serde(default)]
    person: Option<u8>,
    #[serde(default)]
    number: Option<Number>,
    #[serde(default)]
    tense: Option<Tense>,
}

#[derive(serde::Deserialize)]
struct EntityIn {
    start: u32,
    end: u32,
    label: EntityLabel,
    derived: bool,
    score: f32,
}

#[derive(serde::Deserialize)]
struct CueIn {
    start: u32,
    end: u32,
    kind: CueKind,
    lemma: String,
}

#[derive(serde::Deserialize)]
struct SpanIn {
    start: u32,
    end: u32,
    #[serde(default)]
    entity: Option<String>,
}

#[derive(serde::Deserialize)]
struct ClaimIn {
    cue: Vec<Span>,
    source: Option<SpanIn>,
    message: Vec<Span>,
    form: ClaimForm,
    hedged: bool,
}

#[derive(serde::Deserialize)]
struct StanceIn {
    target: String,
    start: u32,
    end: u32,
    label: StanceLabel,
    score: f32,
    /// Absent in annotations written before the field existed.
    #[serde(default)]
    probability: Option<f32>,
    evidence: Vec<Span>,
    holder: StanceHolder,
    holder_span: Option<Span>,
}

/// Writes `report.json` (pretty-printed, as `serde_json` prints a [`Report`]) with its
/// documents taken from `documents` as they are written, so that they need not all be in
/// memory.
pub fn write_report<I>(out: impl std::io::Write, report: &Report, documents: I) -> std::io::Result<()>
where
    I: Iterator<Item = std::io::Result<DocumentSummary>>,
{
    let json = ReportJson {
        schema: report.schema,
        documents_analysed: report.documents_analysed,
        corpus: &report.corpus,
        reported_speech_share: report.reported_speech_share,
        entities: &report.entities,
        modality: &report.modality,
        documents: Streamed(std::cell::RefCell::new(documents)),
        skipped: &report.skipped,
        ignored_files: report.ignored_files,
    };
    serde_json::to_writer_pretty(out, &json).map_err(std::io::Error::from)
}

/// [`Report`]'s fields in their order, with the documents streamed.
#[derive(Serialize)]
#[serde(bound = "")]
struct ReportJson<'a, I: Iterator<Item = std::io::Result<DocumentSummary>>> {
    schema: u32,
    documents_analysed: usize,
    corpus: &'a crate::report::aggregate::Counts,
    reported_speech_share: f64,
    entities: &'a [crate::report::aggregate::CorpusEntity],
    modality: &'a crate::modality::summary::ModalitySummary,
    documents: Streamed<I>,
    skipped: &'a [crate::ingest::Skipped],
    ignored_files: usize,
}

/// A sequence serialized from an iterator, once.
struct Streamed<I>(std::cell::RefCell<I>);

impl<I: Iterator<Item = std::io::Result<DocumentSummary>>> Serialize for Streamed<I> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for item in self.0.borrow_mut().by_ref() {
            seq.serialize_element(&item.map_err(serde::ser::Error::custom)?)?;
        }
        seq.end()
    }
}
