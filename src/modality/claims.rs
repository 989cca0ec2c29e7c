//! Claims: cue, source, message and form, built from the triggers of each sentence and the
//! quotations of the whole document.

use super::cues::{clause_end, clause_start, is_quote_mark, SentenceCues, Tok, Trigger, TriggerKind};
use crate::doc::{Claim, ClaimForm, CueKind, Document, Mood, Pos, Span};

/// Cue-less direct quotes shorter than this many words are titles or scare quotes, not claims.
const MIN_FREE_QUOTE_WORDS: usize = 5;
/// How many sentences back a cue-less quote or Konjunktiv I sentence looks for its source.
const SOURCE_LOOKBACK: usize = 5;

/// Per-sentence analysis handed from cue detection to claim building.
pub(crate) struct SentenceAnalysis {
    pub toks: Vec<Tok>,
    pub found: SentenceCues,
}

/// Quotation spans of a text, marks included, as character offsets.
pub(crate) fn quotations(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut open: Option<(u32, char)> = None;
    for (offset, c) in text.chars().enumerate() {
        let offset = offset as u32;
        match open {
            None => {
                if matches!(c, '„' | '»' | '«' | '"' | '“') {
                    open = Some((offset, c));
                }
            }
            Some((start, opener)) => {
                let closes = match opener {
                    '„' => matches!(c, '“' | '”' | '"'),
                    '»' => c == '«',
                    '«' => c == '»',
                    '"' => c == '"',
                    _ => matches!(c, '”' | '"'),
                };
                if closes {
                    out.push(Span::new(start, offset + 1));
                    open = None;
                } else if c == opener && c != '"' {
                    // An unclosed quote: restart at the new mark. Line breaks never end a
                    // quote, as quoted speech runs over paragraphs.
                    open = Some((offset, c));
                }
            }
        }
    }
    out
}

/// The part of a sentence a span of tokens covers.
fn tok_span(doc: &Document, s: usize, a: usize, b: usize) -> Span {
    let t = &doc.sentences[s].tokens;
    Span::new(t[a].span.start, t[b - 1].span.end)
}

fn is_np_word(t: &Tok) -> bool {
    matches!(t.pos, Pos::NOUN | Pos::PROPN) || (t.pos == Pos::X && t.text.chars().next().is_some_and(char::is_uppercase))
}

const PERSONAL: &[&str] = &["er", "sie", "ich", "wir", "ihr", "dieser", "diese", "jener", "jene", "man"];
const TRAILING_ADVERBS: &[&str] = &[
    "hingegen",
    "auch",
    "nun",
    "jedoch",
    "allerdings",
    "bereits",
    "dazu",
    "zudem",
    "außerdem",
    "ebenfalls",
    "aber",
    "dagegen",
    "inzwischen",
    "später",
    "zuvor",
    "gestern",
    "heute",
    "daraufhin",
    "deshalb",
    "damals",
    "jetzt",
    "nämlich",
    "selbst",
    "erneut",
    "weiter",
];

/// A noun phrase starting at `i` and ending before `end`: *der Vorsitzende des Verbandes, Elmar Gesse*.
pub(crate) fn np_after(toks: &[Tok], i: usize, end: usize) -> Option<(usize, usize)> {
    np(toks, i, end, false)
}

/// A noun phrase from `i`; `subject` also takes prepositional attributes (*ein Sprecher im
/// Ministerium*), which in front of the verb belong to the subject.
fn np(toks: &[Tok], i: usize, end: usize, subject: bool) -> Option<(usize, usize)> {
    if i >= end {
        return None;
    }
    if PERSONAL.contains(&toks[i].lower.as_str()) {
        return Some((i, i + 1));
    }
    let mut j = i;
    let mut saw_noun = false;
    while j < end {
        let t = &toks[j];
        let next = toks.get(j + 1);
        if is_np_word(t)
            || (j == 0 && t.text.chars().next().is_some_and(char::is_uppercase) && matches!(t.pos, Pos::VERB | Pos::ADJ | Pos::X))
        {
            // Sentence-initial capitals are often mistagged: *Vertraute der Insassen*.
            saw_noun = true;
            j += 1;
        } else if saw_noun
            && matches!(t.lower.as_str(), "und" | "sowie" | "oder")
            && next.is_some_and(|x| is_np_word(x) || matches!(x.pos, Pos::DET | Pos::ADJ))
            && toks.get(j + 2).is_some_and(|x| !x.is_verb())
        {
            // *Die Regierungen von Deutschland und Frankreich*
            j += 1;
        } else if saw_noun && (t.pos == Pos::NUM || t.text == "/") && next.is_some_and(|x| is_np_word(x) || x.pos == Pos::NUM) {
            // *Bündnis 90/Die Grünen*
            j += 1;
        } else if saw_noun && t.pos == Pos::NUM && j + 1 == end {
            j += 1;
        } else if matches!(t.pos, Pos::DET | Pos::ADJ | Pos::NUM) || (t.pos == Pos::PRON && !saw_noun && t.lower != "es") {
            let genitive = (t.pos == Pos::DET
                && (matches!(t.lower.as_str(), "des" | "der" | "eines" | "einer") || t.lower.ends_with("er")))
                || (t.pos == Pos::ADJ && t.lower.ends_with("er") && next.is_some_and(is_np_word));
            let inside_attribute = t.pos != Pos::DET && j > i && matches!(toks[j - 1].pos, Pos::DET | Pos::ADJ | Pos::NUM);
            if saw_noun && !genitive && !inside_attribute {
                break;
            }
            j += 1;
        } else if saw_noun
            && (matches!(t.lower.as_str(), "von" | "aus" | "in" | "für" | "bei") && next.is_some_and(|x| x.pos == Pos::PROPN)
                || t.lower == "von"
                    && next.is_some_and(|x| matches!(x.pos, Pos::PROPN | Pos::NOUN | Pos::DET | Pos::ADJ) || is_quote_mark(&x.text))
                || subject
                    && matches!(t.lower.as_str(), "von" | "aus" | "in" | "im" | "für" | "bei" | "beim" | "vom" | "der" | "des")
                    && next.is_some_and(|x| matches!(x.pos, Pos::PROPN | Pos::NOUN | Pos::DET | Pos::ADJ)))
        {
            j += 1;
        } else if saw_noun && t.text == "(" {
            match (j + 1..(j + 8).min(end)).find(|&k| toks[k].text == ")") {
                Some(k) => j = k + 1,
                None => break,
            }
        } else if is_quote_mark(&t.text) && j > i {
            match (j + 1..(j + 8).min(end)).find(|&k| is_quote_mark(&toks[k].text)) {
                Some(k) => {
                    saw_noun = true;
                    j = k + 1
                }
                None => break,
            }
        } else if let Some((_, b)) = (saw_noun
            && t.text == ","
            && toks[j - 1].pos == Pos::PROPN
            && next.is_some_and(|x| matches!(x.pos, Pos::DET | Pos::NOUN | Pos::ADJ)))
        .then(|| np(toks, j + 1, end, subject))
        .flatten()
        .filter(|&(_, b)| b == end || toks[b].is_clause_break())
        {
            // Apposition after a name: *Bill Graham, Parteichef der Liberalen*. The phrase is
            // looked for once: a chain of appositions looked for twice at every link took
            // time doubling with each.
            j = b;
        } else if saw_noun && t.text == "," && next.is_some_and(|x| x.pos == Pos::PROPN) {
            // Apposition of names: *der Sprecher der Polizei, Lars Beringer,*
            let mut k = j + 1;
            while k < end && (toks[k].pos == Pos::PROPN || (toks[k].pos == Pos::NOUN && k == j + 1)) {
                k += 1;
            }
            if k == end || toks[k].is_clause_break() {
                j = k;
            } else {
                break;
            }
        } else {
            break;
        }
    }
    (saw_noun && j > i).then_some((i, j))
}

/// The subject in front of a verb, between `start` and `verb`: *Die Kanadier hingegen*.
fn np_before(toks: &[Tok], start: usize, verb: usize) -> Option<(usize, usize)> {
    let mut a = start;
    let mut b = verb;
    while a < b && matches!(toks[a].pos, Pos::CCONJ | Pos::SCONJ | Pos::ADV | Pos::PART) {
        a += 1;
    }
    while b > a && (TRAILING_ADVERBS.contains(&toks[b - 1].lower.as_str()) || toks[b - 1].pos == Pos::ADV) {
        b -= 1;
    }
    if a >= b || b - a > 20 {
        return None;
    }
    let (x, y) = np(toks, a, b, true)?;
    (y == b).then_some((x, y))
}

/// A noun phrase ending just before `end`, read backwards: *Angaben der Polizei* (zufolge).
fn np_ending_at(toks: &[Tok], end: usize) -> Option<(usize, usize)> {
    let mut a = end;
    while a > 0 {
        let t = &toks[a - 1];
        if is_np_word(t) || matches!(t.pos, Pos::DET | Pos::ADJ | Pos::NUM) || (t.pos == Pos::PRON && t.lower != "es") {
            a -= 1;
        } else if a < end
            && a >= 2
            && matches!(t.lower.as_str(), "in" | "von" | "aus" | "im" | "bei")
            && is_np_word(&toks[a])
            && is_np_word(&toks[a - 2])
        {
            // *den Polizeibehörden in Mombasa* (zufolge)
            a -= 1;
        } else {
            break;
        }
    }
    (a < end && (a..end).any(|k| is_np_word(&toks[k]) || toks[k].pos == Pos::PRON)).then_some((a, end))
}

/// Relative pronouns that open a clause.
const RELATIVE: &[&str] = &["der", "die", "das", "dem", "den", "denen", "deren", "dessen", "welche", "welcher", "welches", "wo", "was"];

/// First words of a clause after a speech verb that make it no complement of the verb.
const NOT_COMPLEMENT: &[&str] = &[
    "der", "die", "das", "dem", "den", "denen", "deren", "dessen", "welche", "welcher", "welches", "wo", "was", "wobei", "weil", "da",
    "nachdem", "als", "wenn", "bevor", "um", "und", "aber", "sondern", "doch", "jedoch", "indem", "obwohl", "während", "womit", "wodurch",
    "worauf",
];

/// The subject that opens the sentence before an insertion the verb follows (*Frank Biermann,
/// Vorsitzender der …, sagte*; *Erich Stamminger, zuständig für …, hatte angekündigt*): the
/// noun phrase up to the first comma when it holds a name (*Eine Einigung, die …, gilt als*
/// names no speaker), with the insertion when it is an apposition (it opens with a noun).
/// `comma` is the comma before the verb's clause.
fn opening_subject(toks: &[Tok], comma: usize) -> Option<(usize, usize)> {
    let first = (1..comma).find(|&j| toks[j].text == ",")?;
    let inserted = &toks[first + 1..comma];
    if inserted.is_empty() || inserted.iter().any(|t| matches!(t.text.as_str(), ";" | ":" | "." | "–") || is_quote_mark(&t.text)) {
        return None;
    }
    np(toks, 0, first, true).filter(|&(a, b)| a == 0 && b == first && toks[a..b].iter().any(|t| t.pos == Pos::PROPN))?;
    let apposition = matches!(inserted[0].pos, Pos::NOUN | Pos::PROPN);
    Some((0, if apposition { comma } else { first }))
}

/// A subject set off by commas before a postposed verb: *Fritz Tack, Agrarexperte der
/// Linksfraktion, kritisierte …*; `comma` is the comma before the verb.
fn apposed_subject(toks: &[Tok], comma: usize) -> Option<(usize, usize)> {
    let covers = |a: usize, b: usize| np(toks, a, b, true).is_some_and(|(_, y)| y == b);
    // Quote marks inside names (*von „Ener1“*) do not end the segment.
    let segment_start =
        |i: usize| (0..i).rev().find(|&j| matches!(toks[j].text.as_str(), "," | ";" | ":" | "." | "–")).map_or(0, |j| j + 1);
    let first = segment_start(comma);
    let mut start = first;
    if !covers(start, comma) {
        return None;
    }
    for _ in 0..2 {
        if start < 2 || toks[start - 1].text != "," {
            break;
        }
        let outer = segment_start(start - 1);
        if !covers(outer, start - 1) {
            break;
        }
        start = outer;
    }
    (start < first || start == 0).then_some((start, comma))
}

/// Index of the last non-punctuation token plus one.
fn content_end(toks: &[Tok]) -> usize {
    let mut e = toks.len();
    while e > 0 && toks[e - 1].is_punct() && !is_quote_mark(&toks[e - 1].text) {
        e -= 1;
    }
    e
}

/// Token ranges of `[0, content_end)` outside `excluded`, trimmed of commas at their edges.
fn remainder(toks: &[Tok], excluded: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let end = content_end(toks);
    let mut out = Vec::new();
    let mut a = 0;
    let push = |mut x: usize, mut y: usize, out: &mut Vec<(usize, usize)>| {
        while x < y && matches!(toks[x].text.as_str(), "," | ":" | "–" | ";") {
            x += 1;
        }
        while y > x && matches!(toks[y - 1].text.as_str(), "," | ":" | "–" | ";") {
            y -= 1;
        }
        if x < y {
            out.push((x, y));
        }
    };
    let mut ex: Vec<(usize, usize)> = excluded.to_vec();
    ex.sort_unstable();
    for (x, y) in ex {
        if x > a {
            push(a, x.min(end), &mut out);
        }
        a = a.max(y);
    }
    if a < end {
        push(a, end, &mut out);
    }
    out
}

/// A claim under construction, in document terms.
struct Draft {
    sentence: usize,
    claim: Claim,
}

/// Finds the quotation among `quotes` (sorted, disjoint) that starts or ends at a character offset.
fn quote_starting(quotes: &[Span], at: u32) -> Option<usize> {
    quotes.binary_search_by_key(&at, |q| q.start).ok()
}

/// The offset just after the last character before `at` that is no space or comma.
fn preceding_offset(doc: &Document, at: u32) -> u32 {
    let text = doc.text.as_str();
    let byte = doc.text.byte_of(at);
    let trimmed = text[..byte].trim_end_matches(|c: char| c.is_whitespace() || c == ',');
    doc.text.char_of(trimmed.len())
}

/// The offset of the first character at or after `at` that is no space.
fn following_offset(doc: &Document, at: u32) -> u32 {
    let text = doc.text.as_str();
    let byte = doc.text.byte_of(at);
    let rest = &text[byte..];
    let skipped = rest.len() - rest.trim_start().len();
    doc.text.char_of(byte + skipped)
}

fn quote_ending(quotes: &[Span], at: u32) -> Option<usize> {
    quotes.binary_search_by_key(&at, |q| q.end).ok()
}

/// Builds all claims of a document and stores them on their sentences.
pub(crate) fn build_claims(doc: &mut Document, analyses: &[Option<SentenceAnalysis>]) {
    let quotes = quotations(doc.text.as_str());
    let mut quote_used = vec![false; quotes.len()];
    let mut drafts: Vec<Draft> = Vec::new();
    let inside_quote = |span: Span| {
        let i = quotes.partition_point(|q| q.end <= span.start);
        quotes.get(i).is_some_and(|q| q.start < span.start && span.end < q.end)
    };

    for (s, analysis) in analyses.iter().enumerate() {
        let Some(an) = analysis else { continue };
        let toks = &an.toks;
        for trigger in &an.found.triggers {
            let head_span = doc.sentences[s].tokens[trigger.head].span;
            if inside_quote(head_span) {
                continue;
            }
            if let Some(mut draft) = claim_from_trigger(doc, s, toks, trigger, &quotes, &mut quote_used) {
                // *Demnach …* takes the source of the claim or report just before.
                if trigger.kind == TriggerKind::Adverb && draft.claim.source.is_none() {
                    draft.claim.source = recent_source(&drafts, s);
                }
                drafts.push(draft);
            }
        }
    }

    // Quotations no cue claimed: nested in a claim's message, or free-standing direct speech.
    for (qi, q) in quotes.iter().enumerate() {
        if quote_used[qi] {
            continue;
        }
        let Some(s) = doc.sentence_of(q.start) else { continue };
        if doc.sentences[s].boilerplate {
            continue;
        }
        if let Some(outer) = drafts.iter_mut().find(|d| {
            d.claim.form != ClaimForm::Direct && d.claim.message.len() == 1 && q.contains(d.claim.message[0]) || d.claim.message == [*q]
        }) {
            // The message is the quotation itself: the claim is direct.
            outer.claim.form = ClaimForm::Direct;
            outer.claim.message = vec![*q];
            continue;
        }
        if let Some(outer) = drafts.iter().find(|d| d.claim.form != ClaimForm::Direct && d.claim.message.iter().any(|m| m.contains(*q))) {
            let mut claim = outer.claim.clone();
            claim.message = vec![*q];
            claim.form = ClaimForm::Direct;
            let sentence = outer.sentence;
            drafts.push(Draft { sentence, claim });
            continue;
        }
        let words = doc.text_of(*q).split_whitespace().count();
        if words < MIN_FREE_QUOTE_WORDS {
            continue;
        }
        let source = recent_source(&drafts, s);
        drafts.push(Draft {
            sentence: s,
            claim: Claim { cue: Vec::new(), source, message: vec![*q], form: ClaimForm::Direct, hedged: false, entity: None },
        });
    }

    // Sentences in Konjunktiv I without a cue of their own continue the last reported speech.
    for (s, analysis) in analyses.iter().enumerate() {
        let Some(an) = analysis else { continue };
        if !an.found.triggers.is_empty() || drafts.iter().any(|d| d.sentence == s) {
            continue;
        }
        let span = doc.sentences[s].span;
        if quotes.iter().any(|q| q.overlaps(span) && q.len() * 2 > span.len()) {
            continue;
        }
        let kj1 = an.found.cues.iter().any(|c| c.kind == CueKind::KonjunktivI);
        let reportative = an.found.cues.iter().find(|c| c.kind == CueKind::ReportativeModal);
        if kj1 {
            let source = recent_source(&drafts, s);
            drafts.push(Draft {
                sentence: s,
                claim: Claim { cue: Vec::new(), source, message: vec![span], form: ClaimForm::Indirect, hedged: false, entity: None },
            });
        } else if let Some(cue) = reportative {
            drafts.push(Draft {
                sentence: s,
                claim: Claim {
                    cue: vec![cue.span],
                    source: None,
                    message: vec![span],
                    form: ClaimForm::Reported,
                    hedged: false,
                    entity: None,
                },
            });
        }
    }

    // Hedged: a hedge cue inside the message or among the cue words.
    let hedges: Vec<Span> = doc.sentences.iter().flat_map(|s| &s.cues).filter(|c| super::is_hedge(c.kind)).map(|c| c.span).collect();
    for d in &mut drafts {
        d.claim.hedged = hedges.iter().any(|h| d.claim.message.iter().chain(&d.claim.cue).any(|m| m.contains(*h)));
        // A reported statement's verb is part of what it reports (*X kritisierte die
        // Entscheidung*, *Der Mann soll …*): it stays among the sentence's cues, and the claim
        // holds no cue of its own.
        if d.claim.form == ClaimForm::Reported {
            d.claim.cue.clear();
        }
        extend_to_entities(doc, d);
    }
    drafts.sort_by_key(|d| (d.sentence, d.claim.message.first().map(|m| m.start)));
    for d in drafts {
        doc.sentences[d.sentence].claims.push(d.claim);
    }
}

/// Source of the latest claim in the sentences just before `s` (or in `s`).
fn recent_source(drafts: &[Draft], s: usize) -> Option<Span> {
    drafts
        .iter()
        .filter(|d| d.sentence <= s && d.sentence + SOURCE_LOOKBACK >= s && d.claim.source.is_some())
        .max_by_key(|d| (d.sentence, d.claim.cue.first().map(|c| c.start)))
        .and_then(|d| d.claim.source)
}

/// Widens a source to the entity mentions it overlaps.
fn extend_to_entities(doc: &Document, d: &mut Draft) {
    if let Some(src) = d.claim.source.as_mut() {
        *src = widen_to_entities(doc, *src);
    }
}

/// `span` widened to the entity mentions of its sentence it overlaps.
pub(crate) fn widen_to_entities(doc: &Document, span: Span) -> Span {
    let Some(s) = doc.sentence_of(span.start) else { return span };
    let mut out = span;
    for e in &doc.sentences[s].entities {
        if e.span.overlaps(span) && !e.derived {
            out.start = out.start.min(e.span.start);
            out.end = out.end.max(e.span.end);
        }
    }
    out
}

/// The claim a trigger makes: its source and message by the trigger's kind, quotations
/// before or after the cue taken as the message where there are any.
fn claim_from_trigger(
    doc: &Document,
    s: usize,
    toks: &[Tok],
    trigger: &Trigger,
    quotes: &[Span],
    quote_used: &mut [bool],
) -> Option<Draft> {
    let span = |(a, b): (usize, usize)| tok_span(doc, s, a, b);
    let site = QuoteSite { doc, s, toks, quotes };
    let first = trigger.tokens[0];
    let last = trigger.tokens[trigger.tokens.len() - 1];
    let mut message: Vec<Span> = Vec::new();
    let mut form = ClaimForm::Indirect;
    let take = |q: usize, quote_used: &mut [bool], message: &mut Vec<Span>| {
        quote_used[q] = true;
        message.push(quotes[q]);
    };
    let source = match trigger.kind {
        TriggerKind::Verb { belief } => {
            let verb = VerbClause::of(toks, trigger);
            let source = verb.source(toks);
            let after_from = source.map_or(last, |(_, b)| b.max(last + 1) - 1).max(last);
            if !belief {
                if let Some(q) = site.direct_before(first) {
                    take(q, quote_used, &mut message);
                    // *„…“, sagte er, „…“*
                    if let Some(q2) = site.direct_after(after_from).filter(|&q2| !quote_used[q2]) {
                        take(q2, quote_used, &mut message);
                    }
                    form = ClaimForm::Direct;
                } else if let Some(q) = site.direct_after(after_from).filter(|&q| !quote_used[q]) {
                    take(q, quote_used, &mut message);
                    form = ClaimForm::Direct;
                }
            }
            if message.is_empty() {
                match verb.indirect_message(toks, trigger, after_from, belief) {
                    Some(IndirectMessage::Tokens(a, b)) => message.push(span((a, b))),
                    Some(IndirectMessage::Sentence) => {
                        message.push(doc.sentences[s].span);
                        form = ClaimForm::Reported;
                    }
                    None => {}
                }
            }
            source
        }
        TriggerKind::So => {
            if let Some(q) = site.direct_before(first) {
                take(q, quote_used, &mut message);
                form = ClaimForm::Direct;
            } else if first > 1 {
                message.push(span((0, first - 1)));
            }
            np_after(toks, last + 1, clause_end(toks, last))
        }
        _ => other_source(toks, trigger),
    };
    if message.is_empty() && !matches!(trigger.kind, TriggerKind::Verb { .. }) {
        message = remainder_message(toks, trigger, source).into_iter().map(span).collect();
    }
    if message.is_empty() {
        return None;
    }
    let cue: Vec<Span> = trigger.tokens.iter().map(|&j| doc.sentences[s].tokens[j].span).collect();
    Some(Draft { sentence: s, claim: Claim { cue, source: source.map(span), message, form, hedged: false, entity: None } })
}

/// Where quotations stand around a cue of sentence `s`: looked up in the text, as a quote may
/// lie in the neighbouring sentence.
struct QuoteSite<'d, 't> {
    doc: &'d Document,
    s: usize,
    toks: &'t [Tok],
    quotes: &'d [Span],
}

impl QuoteSite<'_, '_> {
    /// A quotation just before the cue at token `first` (*„…“, sagte er*), unless it stands
    /// inside a noun phrase (*von der „Aktion Deutschland hilft“*), where it is a name.
    fn direct_before(&self, first: usize) -> Option<usize> {
        let sent_tokens = &self.doc.sentences[self.s].tokens;
        let q = quote_ending(self.quotes, preceding_offset(self.doc, sent_tokens[first].span.start))?;
        let opener = sent_tokens.iter().position(|t| t.span.start == self.quotes[q].start);
        opener.is_none_or(|o| o == 0 || self.toks[o - 1].is_clause_break()).then_some(q)
    }

    /// A quotation after the clause of token `from` (*sagte er: „…“*): after a colon or comma,
    /// or right after the clause when it has at least four words (*lautet „Republik Sacha“*
    /// names).
    fn direct_after(&self, from: usize) -> Option<usize> {
        let (toks, n) = (self.toks, self.toks.len());
        let sent_tokens = &self.doc.sentences[self.s].tokens;
        let ce = clause_end(toks, from);
        if ce < n && !matches!(toks[ce].text.as_str(), ":" | ",") && !is_quote_mark(&toks[ce].text) {
            return None;
        }
        if ce < n && is_quote_mark(&toks[ce].text) {
            let q = quote_starting(self.quotes, sent_tokens[ce].span.start)?;
            return (self.doc.text_of(self.quotes[q]).split_whitespace().count() >= 4).then_some(q);
        }
        let after = if ce < n { sent_tokens[ce].span.end } else { self.doc.sentences[self.s].span.end };
        quote_starting(self.quotes, following_offset(self.doc, after))
    }
}

/// The clause of a speech or belief verb, as its source and message are read from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct VerbClause {
    /// First token of the cue's clause.
    start: usize,
    /// The finite verb of the cue (or its head).
    verb: usize,
    /// *wurde … mitgeteilt*: the subject is what was said; *wird X zitiert* excepted.
    passive: bool,
    /// *Die Lage sei ernst, sagte er.*: the verb opens its clause after a comma.
    postposed: bool,
}

/// Where the message of a verb without a quotation lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IndirectMessage {
    /// These tokens.
    Tokens(usize, usize),
    /// The whole sentence, reported (*Er bestätigte den Bericht.*).
    Sentence,
}

impl VerbClause {
    fn of(toks: &[Tok], trigger: &Trigger) -> VerbClause {
        let first = trigger.tokens[0];
        let start = clause_start(toks, first);
        let verb = trigger.tokens.iter().copied().find(|&j| toks[j].is_finite()).unwrap_or(trigger.head);
        let passive = !toks[trigger.head].is_finite()
            && toks[trigger.head].lemma != "zitieren"
            && trigger.tokens.iter().any(|&j| toks[j].is_finite() && toks[j].lemma == "werden");
        let postposed = start == verb && start > 1 && toks[start - 1].text == ",";
        VerbClause { start, verb, passive, postposed }
    }

    /// Who speaks: the passive's *von* phrase; after *wie*; after a postposed verb (or the
    /// apposition before it); else the subject before the verb, the phrase after it, or a
    /// prepositional source (*Aus EU-Kreisen verlautete, …*).
    fn source(self, toks: &[Tok]) -> Option<(usize, usize)> {
        let (n, cs, verb) = (toks.len(), self.start, self.verb);
        if self.passive {
            let ce_verb = clause_end(toks, verb);
            return (verb + 1..ce_verb).find(|&j| toks[j].lower == "von").and_then(|j| np_after(toks, j + 1, ce_verb));
        }
        if toks[cs].lower == "wie" {
            return np_after(toks, cs + 1, verb);
        }
        if self.postposed {
            return np_after(toks, verb + 1, n).or_else(|| apposed_subject(toks, cs - 1)).or_else(|| opening_subject(toks, cs - 1));
        }
        // The subject may hold a quoted name: *Moritz Wohlrab von der „Aktion …“ sagte*.
        let subject_start = (0..cs).rev().find(|&j| toks[j].is_clause_break() && !is_quote_mark(&toks[j].text)).map_or(0, |j| j + 1);
        (verb > subject_start && subject_start < cs)
            .then(|| np_before(toks, subject_start, verb))
            .flatten()
            .or_else(|| (verb > cs).then(|| np_before(toks, cs, verb)).flatten())
            .or_else(|| np_after(toks, verb + 1, n))
            .or_else(|| {
                let pp = verb > cs + 1 && matches!(toks[cs].lower.as_str(), "aus" | "in" | "im" | "bei" | "von" | "vom");
                pp.then(|| np_after(toks, cs + 1, verb).filter(|&(_, b)| b == verb).map(|_| (cs, verb))).flatten()
            })
    }

    /// What was said when no quotation is: the complement clause after a comma or colon
    /// (*dass …*, Konjunktiv, *zu*-infinitive, or for speech any clause with a verb); around
    /// *wie der Sprecher mitteilte*; the sentence before a postposed verb; for a plain finite
    /// speech verb the whole sentence, reported.
    fn indirect_message(self, toks: &[Tok], trigger: &Trigger, after_from: usize, belief: bool) -> Option<IndirectMessage> {
        let (n, cs) = (toks.len(), self.start);
        let ce = clause_end(toks, after_from);
        let end = content_end(toks);
        let complement = (ce < n && matches!(toks[ce].text.as_str(), "," | ":")).then_some(ce + 1).filter(|&k| k < end);
        let complement = complement.filter(|&k| is_complement(toks, k, belief));
        if toks[cs].lower == "wie" {
            // *Wie der Sprecher mitteilte, …* or *…, wie der Sprecher mitteilte.*
            return if cs == 0 {
                complement.or((ce + 1 < end).then_some(ce + 1)).map(|k| IndirectMessage::Tokens(k, end))
            } else {
                (cs > 1).then_some(IndirectMessage::Tokens(0, cs - 1))
            };
        }
        if let Some(k) = complement {
            Some(IndirectMessage::Tokens(k, end))
        } else if self.postposed && toks[0].pos != Pos::ADP && (0..cs - 1).any(|j| toks[j].is_finite()) {
            Some(IndirectMessage::Tokens(0, cs - 1))
        } else if !belief && !self.passive && toks[trigger.head].is_finite() {
            Some(IndirectMessage::Sentence)
        } else {
            None
        }
    }
}

/// Whether the clause at token `k` can be what a verb says: *dass, ob, wonach*, a Konjunktiv
/// or a *zu*-infinitive, or (for speech, not belief) any clause with a finite verb that does
/// not open with a word that rules it out.
fn is_complement(toks: &[Tok], k: usize, belief: bool) -> bool {
    let clause = clause_end(toks, k);
    matches!(toks[k].lower.as_str(), "dass" | "ob" | "wonach")
        || (k..clause).any(|j| matches!(toks[j].mood, Some(Mood::KonjunktivI | Mood::KonjunktivII)) || toks[j].lower == "zu")
        || (!belief && !NOT_COMPLEMENT.contains(&toks[k].lower.as_str()) && (k..clause).any(|j| toks[j].is_finite()))
}

/// The source of a cue that is no verb and no *so*: the phrase after *laut, nach Angaben*;
/// before *zufolge* or a postposed *nach*; before *wonach*; around *heißt es*.
fn other_source(toks: &[Tok], trigger: &Trigger) -> Option<(usize, usize)> {
    let n = toks.len();
    let first = trigger.tokens[0];
    let last = trigger.tokens[trigger.tokens.len() - 1];
    match trigger.kind {
        TriggerKind::Preposition | TriggerKind::Nach { postposed: false } => {
            np_after(toks, last + 1, clause_end(toks, last).max(last + 1).min(n))
        }
        TriggerKind::Nach { postposed: true } | TriggerKind::Postposition => np_ending_at(toks, first),
        // *wonach* follows its source (*Berichte, wonach …*); *demnach* points back to one.
        TriggerKind::Adverb => (toks[first].lower == "wonach" && first > 1).then(|| np_ending_at(toks, first - 1)).flatten(),
        // *In der Mitteilung heißt es*, *hieß es bei Russland Aktuell*.
        TriggerKind::Phrase => {
            let cs = clause_start(toks, first);
            let before =
                (first > cs && toks[cs].pos == Pos::ADP).then(|| np_after(toks, cs + 1, first).filter(|&(_, b)| b == first)).flatten();
            before.map(|_| (cs, first)).or_else(|| {
                let k = last + 1;
                (k < n && matches!(toks[k].lower.as_str(), "in" | "aus" | "bei" | "von" | "im" | "vom"))
                    .then(|| np_after(toks, k + 1, clause_end(toks, k)).map(|(_, b)| (k, b)))
                    .flatten()
            })
        }
        TriggerKind::Verb { .. } | TriggerKind::So => None,
    }
}

/// The message of a cue that is no verb: the sentence less the cue and the source, and in a
/// subordinate clause that clause only (*…, da nach Angaben der Polizei die Genehmigung zu
/// spät beantragt worden war*).
fn remainder_message(toks: &[Tok], trigger: &Trigger, source: Option<(usize, usize)>) -> Vec<(usize, usize)> {
    let mut excluded: Vec<(usize, usize)> = trigger.tokens.iter().map(|&j| (j, j + 1)).collect();
    excluded.extend(source);
    let cs = clause_start(toks, trigger.tokens[0]);
    if cs > 0 && (matches!(toks[cs].pos, Pos::SCONJ) || RELATIVE.contains(&toks[cs].lower.as_str())) {
        excluded.push((0, cs));
    }
    remainder(toks, &excluded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(text: &str, pos: Pos) -> Tok {
        Tok { text: text.into(), lower: text.to_lowercase(), lemma: text.to_lowercase(), pos, mood: None, person: None, number: None }
    }

    /// Tokens written `form/POS`, or `form/I:lemma` and `form/K1:lemma` for finite verbs in
    /// the indicative and in Konjunktiv I.
    fn toks_of(spec: &str) -> Vec<Tok> {
        spec.split_whitespace()
            .map(|item| {
                let (form, tag) = item.rsplit_once('/').unwrap_or((item, "X"));
                let finite = |lemma: &str, mood| Tok { lemma: lemma.into(), mood: Some(mood), ..tok(form, Pos::VERB) };
                if let Some(lemma) = tag.strip_prefix("I:") {
                    return finite(lemma, Mood::Indicative);
                }
                if let Some(lemma) = tag.strip_prefix("K1:") {
                    return finite(lemma, Mood::KonjunktivI);
                }
                let pos = match tag {
                    "DET" => Pos::DET,
                    "NOUN" => Pos::NOUN,
                    "ADJ" => Pos::ADJ,
                    "PRON" => Pos::PRON,
                    "ADP" => Pos::ADP,
                    "VERB" => Pos::VERB,
                    "PUNCT" => Pos::PUNCT,
                    _ => Pos::X,
                };
                tok(form, pos)
            })
            .collect()
    }

    fn speech(kind: TriggerKind, tokens: Vec<usize>, head: usize) -> Trigger {
        Trigger { kind, tokens, head, lemma: String::new() }
    }

    #[test]
    fn a_speech_verb_finds_its_subject_and_its_complement() {
        let toks = toks_of("Der/DET Minister/NOUN sagte/I:sagen ,/PUNCT die/DET Lage/NOUN sei/K1:sein ernst/ADJ ./PUNCT");
        let trigger = speech(TriggerKind::Verb { belief: false }, vec![2], 2);
        let clause = VerbClause::of(&toks, &trigger);
        assert!(!clause.passive && !clause.postposed);
        assert_eq!(clause.source(&toks), Some((0, 2)));
        assert!(is_complement(&toks, 4, false));
        assert_eq!(clause.indirect_message(&toks, &trigger, 2, false), Some(IndirectMessage::Tokens(4, 8)));
    }

    #[test]
    fn a_postposed_verb_speaks_for_the_clause_before_it() {
        let toks = toks_of("Die/DET Lage/NOUN sei/K1:sein ernst/ADJ ,/PUNCT sagte/I:sagen er/PRON ./PUNCT");
        let trigger = speech(TriggerKind::Verb { belief: false }, vec![5], 5);
        let clause = VerbClause::of(&toks, &trigger);
        assert!(clause.postposed);
        assert_eq!(clause.source(&toks), Some((6, 7)));
        assert_eq!(clause.indirect_message(&toks, &trigger, 6, false), Some(IndirectMessage::Tokens(0, 4)));
    }

    #[test]
    fn a_plain_speech_verb_reports_the_sentence_and_a_belief_verb_does_not() {
        let toks = toks_of("Die/DET Polizei/NOUN bestätigte/I:bestätigen den/DET Bericht/NOUN ./PUNCT");
        let trigger = speech(TriggerKind::Verb { belief: false }, vec![2], 2);
        let clause = VerbClause::of(&toks, &trigger);
        assert_eq!(clause.indirect_message(&toks, &trigger, 2, false), Some(IndirectMessage::Sentence));
        assert_eq!(clause.indirect_message(&toks, &trigger, 2, true), None);
    }

    #[test]
    fn laut_takes_the_phrase_after_it_and_leaves_the_rest_as_message() {
        let toks = toks_of("Laut/ADP der/DET Polizei/NOUN ist/I:sein die/DET Straße/NOUN gesperrt/VERB ./PUNCT");
        let trigger = speech(TriggerKind::Preposition, vec![0], 0);
        let source = other_source(&toks, &trigger);
        assert_eq!(source, Some((1, 3)));
        assert_eq!(remainder_message(&toks, &trigger, source), [(3, 7)]);
    }

    #[test]
    fn a_chain_of_appositions_is_one_phrase_found_in_linear_time() {
        // *Berger, die Leiterin Schmidt, die Leiterin Schmidt, …*: each link was looked for
        // twice, so 60 links would take 2^60 steps.
        let mut toks = vec![tok("Berger", Pos::PROPN)];
        for _ in 0..60 {
            toks.extend([tok(",", Pos::PUNCT), tok("die", Pos::DET), tok("Leiterin", Pos::NOUN), tok("Schmidt", Pos::PROPN)]);
        }
        assert_eq!(np(&toks, 0, toks.len(), true), Some((0, toks.len())));
    }
}
