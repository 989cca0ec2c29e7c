//! The cue lexicon (`models/modality/cues.txt`) and cue detection inside one sentence.

use crate::doc::{Cue, CueKind, Mood, Number, Pos, Sentence, Text};
use crate::error::{Error, Result};
use crate::morphology::lexicon::{Lexicon, VerbForm};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Which part of the grammar an attribution cue uses; decides where source and message are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TriggerKind {
    /// A speech verb (*sagte*) or, with `belief`, a belief verb (*vermutet*).
    Verb {
        /// True for belief and speculation verbs.
        belief: bool,
    },
    /// *laut X*, *gemäß X*.
    Preposition,
    /// *X zufolge*.
    Postposition,
    /// *nach Angaben X* (`postposed`: *seiner Meinung nach*).
    Nach {
        /// True when *nach* follows its noun.
        postposed: bool,
    },
    /// Postposed *so X* after a quote or comma.
    So,
    /// *demnach*, *wonach*.
    Adverb,
    /// *heißt es*, *aus Sicht*.
    Phrase,
}

/// An attribution cue found in a sentence, in sentence-local token indices.
#[derive(Debug, Clone)]
pub(crate) struct Trigger {
    /// How the cue works.
    pub kind: TriggerKind,
    /// The cue's tokens, ascending.
    pub tokens: Vec<usize>,
    /// The main token: the verb, the preposition.
    pub head: usize,
    /// Lemma of the cue: the verb's listed lemma or the word.
    pub lemma: String,
}

/// A lemma entry of a verb category.
#[derive(Debug, Clone)]
struct VerbEntry {
    belief: bool,
    /// Optional companion word that joins the cue (*bezeichnete … als*).
    companion: Option<String>,
    /// The lemma as listed.
    lemma: String,
}

/// The lexicon of cue words, read from a plain-text file.
#[derive(Debug, Clone, Default)]
pub struct CueLexicon {
    verbs: HashMap<String, VerbEntry>,
    /// Base verb → (particle, entry) for separable verbs found split.
    split_verbs: HashMap<String, Vec<(String, VerbEntry)>>,
    hedges: HashSet<String>,
    epistemic: HashSet<String>,
    reportative: HashSet<String>,
    prepositions: HashSet<String>,
    postpositions: HashSet<String>,
    source_nouns: HashSet<String>,
    adverbs: HashSet<String>,
    /// Multi-word entries: words and whether they are hedges (else attribution phrases).
    phrases: Vec<(Vec<String>, bool)>,
    /// Forms never counted as Konjunktiv cues (*möchte*).
    not_konjunktiv: HashSet<String>,
}

impl CueLexicon {
    /// Reads the lexicon file; see `models/README.md` for the format.
    pub fn load(path: &Path) -> Result<CueLexicon> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::ModelMissing { path: path.to_path_buf() }
            } else {
                Error::io(path, e)
            }
        })?;
        CueLexicon::parse(&text, path)
    }

    /// Parses lexicon text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<CueLexicon> {
        let mut lex = CueLexicon::default();
        let mut particles: Vec<String> = Vec::new();
        let mut verb_lines: Vec<(bool, String, Option<String>)> = Vec::new();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut words = line.split_whitespace();
            let category = words.next().unwrap_or("");
            let rest: Vec<&str> = words.collect();
            let bad = |reason: &str| Error::BadLine { path: path.to_path_buf(), line: n + 1, reason: reason.to_string() };
            if rest.is_empty() {
                return Err(bad("entry is missing after the category"));
            }
            let word = rest[0].to_lowercase();
            let joined = || rest.iter().map(|w| w.to_lowercase()).collect::<Vec<_>>();
            match category {
                "speech" | "belief" => {
                    let companion = rest.get(1).and_then(|w| w.strip_prefix('+')).map(str::to_lowercase);
                    verb_lines.push((category == "belief", word, companion));
                }
                "hedge" if rest.len() > 1 => lex.phrases.push((joined(), true)),
                "hedge" => {
                    lex.hedges.insert(word);
                }
                "epistemic" => {
                    lex.epistemic.insert(word);
                }
                "reportative" => {
                    lex.reportative.insert(word);
                }
                "preposition" => {
                    lex.prepositions.insert(word);
                }
                "postposition" => {
                    lex.postpositions.insert(word);
                }
                "source_noun" => {
                    lex.source_nouns.insert(word);
                }
                "adverb" => {
                    lex.adverbs.insert(word);
                }
                "phrase" => lex.phrases.push((joined(), false)),
                "particle" => particles.push(word),
                "not_konjunktiv" => {
                    lex.not_konjunktiv.insert(word);
                }
                _ => return Err(bad("unknown category")),
            }
        }
        // Longest particles first so that *hervor* wins over *vor*.
        particles.sort_by_key(|p| std::cmp::Reverse(p.len()));
        for (belief, lemma, companion) in verb_lines {
            let entry = VerbEntry { belief, companion, lemma: lemma.clone() };
            if let Some(p) = particles.iter().find(|p| lemma.len() > p.len() + 2 && lemma.starts_with(p.as_str())) {
                lex.split_verbs.entry(lemma[p.len()..].to_string()).or_default().push((p.clone(), entry.clone()));
            }
            lex.verbs.entry(lemma).or_insert(entry);
        }
        Ok(lex)
    }
}

/// A token with the fields cue rules look at.
#[derive(Debug, Clone)]
pub(crate) struct Tok {
    pub text: String,
    pub lower: String,
    pub lemma: String,
    pub pos: Pos,
    pub mood: Option<Mood>,
    pub person: Option<u8>,
    pub number: Option<Number>,
}

impl Tok {
    pub fn is_punct(&self) -> bool {
        self.pos == Pos::PUNCT || !self.text.chars().any(char::is_alphanumeric)
    }

    /// Ends a clause: comma, semicolon, colon, dash, full stop or quote mark (brackets do not:
    /// *Ministerin Trauernicht (SPD) sagte*).
    pub fn is_clause_break(&self) -> bool {
        matches!(self.text.as_str(), "," | ";" | ":" | "–" | "—" | "." | "!" | "?") || is_quote_mark(&self.text)
    }

    pub fn is_finite(&self) -> bool {
        self.mood.is_some()
    }

    pub fn is_verb(&self) -> bool {
        matches!(self.pos, Pos::VERB | Pos::AUX)
    }
}

/// True for a token made of one quotation mark.
pub(crate) fn is_quote_mark(s: &str) -> bool {
    matches!(s, "„" | "“" | "”" | "»" | "«" | "\"" | "‚" | "‘" | "›" | "‹")
}

/// Builds the token views of a sentence.
pub(crate) fn token_views(text: &Text, sentence: &Sentence) -> Vec<Tok> {
    sentence
        .tokens
        .iter()
        .map(|t| {
            let form = text.slice(t.span);
            let lower = form.to_lowercase();
            match &t.morph {
                Some(m) => Tok {
                    text: form.to_string(),
                    lemma: m.lemma.to_lowercase(),
                    lower,
                    pos: m.pos,
                    mood: m.mood,
                    person: m.person,
                    number: m.number,
                },
                None => Tok { text: form.to_string(), lemma: lower.clone(), lower, pos: Pos::X, mood: None, person: None, number: None },
            }
        })
        .collect()
}

/// What cue detection finds in one sentence.
#[derive(Debug, Default)]
pub(crate) struct SentenceCues {
    pub cues: Vec<Cue>,
    pub triggers: Vec<Trigger>,
    /// A clause-initial conditional *sollte* (*Sollte Nordkorea Waffen liefern, …*).
    pub conditional: bool,
}

/// End (exclusive) of the clause holding token `i`.
pub(crate) fn clause_end(toks: &[Tok], i: usize) -> usize {
    (i + 1..toks.len()).find(|&j| toks[j].is_clause_break()).unwrap_or(toks.len())
}

/// Start of the clause holding token `i`.
pub(crate) fn clause_start(toks: &[Tok], i: usize) -> usize {
    (0..i).rev().find(|&j| toks[j].is_clause_break()).map_or(0, |j| j + 1)
}

fn is_participle(lexicon: &Lexicon, tok: &Tok) -> bool {
    tok.mood.is_none() && lexicon.lookup(&tok.lower).any(|a| a.info().verb_form == Some(VerbForm::Participle2))
}

/// True when a Konjunktiv form differs from every indicative form of the same person and number.
fn differs_from_indicative(lexicon: &Lexicon, tok: &Tok) -> bool {
    !lexicon.lookup(&tok.lower).any(|a| {
        let info = a.info();
        info.mood == Some(Mood::Indicative)
            && (tok.person.is_none() || info.person == tok.person)
            && (tok.number.is_none() || info.number.is_none() || info.number == tok.number)
    })
}

/// Infinitives after hearsay *soll* that name a state, not an act one can be told to do.
const STATIVE_AFTER_SOLL: &[&str] = &[
    "sein",
    "haben",
    "geben",
    "stammen",
    "liegen",
    "befinden",
    "existieren",
    "gehören",
    "besitzen",
    "verfügen",
    "betragen",
    "kennen",
    "wissen",
    "leben",
    "bestehen",
    "kosten",
    "planen",
    "vorbereiten",
];

impl CueLexicon {
    /// Finds the cues and attribution triggers of one sentence.
    pub(crate) fn detect(&self, lexicon: &Lexicon, sentence: &Sentence, toks: &[Tok]) -> SentenceCues {
        let mut out = SentenceCues::default();
        let span_of = |i: usize| sentence.tokens[i].span;
        let push = |out: &mut SentenceCues, i: usize, kind: CueKind, lemma: &str| {
            out.cues.push(Cue { span: span_of(i), kind, lemma: Box::from(lemma) });
        };
        let n = toks.len();
        let mut used_in_phrase = vec![false; n];
        for (words, hedge) in &self.phrases {
            let len = words.len();
            if len == 0 || len > n {
                continue;
            }
            for i in 0..=n - len {
                if (0..len).all(|k| toks[i + k].lower == words[k]) {
                    let lemma = words.join(" ");
                    for k in 0..len {
                        used_in_phrase[i + k] = true;
                        let kind = if *hedge { CueKind::HedgeAdverb } else { CueKind::Attribution };
                        push(&mut out, i + k, kind, &lemma);
                    }
                    if !hedge {
                        out.triggers.push(Trigger {
                            kind: TriggerKind::Phrase,
                            tokens: (i..i + len).collect(),
                            head: i,
                            lemma: lemma.clone(),
                        });
                    }
                }
            }
        }
        for i in 0..n {
            let t = &toks[i];
            if used_in_phrase[i] {
                continue;
            }
            if is_quote_mark(&t.text) {
                push(&mut out, i, CueKind::QuotationMark, &t.text);
                continue;
            }
            if t.is_punct() {
                continue;
            }
            let prev = if i > 0 { Some(&toks[i - 1]) } else { None };
            let next = toks.get(i + 1);
            // Hedge adverbs and adjectives.
            if self.hedges.contains(&t.lower) && t.pos != Pos::NOUN {
                push(&mut out, i, CueKind::HedgeAdverb, &t.lower);
                continue;
            }
            // Hearsay sollen.
            if self.reportative.contains(&t.lower) {
                let starts_clause = prev.is_none_or(|p| p.is_clause_break() || matches!(p.lower.as_str(), "und" | "oder" | "aber"));
                let past = t.lower.starts_with("sollte");
                if past && starts_clause && next.is_some_and(|x| !x.is_punct()) {
                    out.conditional = true;
                    continue;
                }
                let end = clause_end(toks, i);
                let verbs: Vec<usize> = (i + 1..end).filter(|&j| toks[j].is_verb() || is_participle(lexicon, &toks[j])).collect();
                let perfect = verbs.len() >= 2 && {
                    let last = &toks[verbs[verbs.len() - 1]];
                    let before = &toks[verbs[verbs.len() - 2]];
                    matches!(last.lower.as_str(), "haben" | "sein") && is_participle(lexicon, before)
                };
                // *Es soll sich um einen Anschlag handeln* is hearsay; *soll handeln* alone is a duty.
                let about = (i + 1..end).any(|j| toks[j].lower == "sich") && (i + 1..end).any(|j| toks[j].lower == "um");
                let stative = !past
                    && verbs
                        .last()
                        .is_some_and(|&j| STATIVE_AFTER_SOLL.contains(&toks[j].lower.as_str()) || (about && toks[j].lower == "handeln"));
                if perfect || stative {
                    push(&mut out, i, CueKind::ReportativeModal, "sollen");
                }
                continue;
            }
            // Epistemic modals.
            if self.epistemic.contains(&t.lower) && t.pos != Pos::NOUN {
                let end = clause_end(toks, i);
                let has_infinitive = (i + 1..end).any(|j| toks[j].is_verb() && toks[j].mood.is_none());
                if t.lower != "mag" || has_infinitive {
                    push(&mut out, i, CueKind::EpistemicModal, &t.lemma);
                }
                continue;
            }
            if matches!(t.lower.as_str(), "wird" | "werden") && (i + 1..(i + 4).min(n)).any(|j| toks[j].lower == "wohl") {
                push(&mut out, i, CueKind::EpistemicModal, "werden");
            }
            // Konjunktiv forms that differ from the indicative.
            if t.is_verb() && !self.not_konjunktiv.contains(&t.lower) {
                match t.mood {
                    Some(Mood::KonjunktivI) if differs_from_indicative(lexicon, t) => push(&mut out, i, CueKind::KonjunktivI, &t.lemma),
                    Some(Mood::KonjunktivII) if differs_from_indicative(lexicon, t) => push(&mut out, i, CueKind::KonjunktivII, &t.lemma),
                    _ => {}
                }
            }
            // Speech and belief verbs.
            if t.is_verb() || is_participle(lexicon, t) {
                if let Some(trigger) = self.verb_trigger(lexicon, toks, i) {
                    let entry_belief = matches!(trigger.kind, TriggerKind::Verb { belief: true });
                    let kind = if entry_belief { CueKind::SpeculationVerb } else { CueKind::Attribution };
                    for &j in &trigger.tokens {
                        push(&mut out, j, kind, &trigger.lemma);
                    }
                    out.triggers.push(trigger);
                    continue;
                }
            }
            // Prepositional and adverbial attribution.
            let kind = if self.prepositions.contains(&t.lower) && (t.pos == Pos::ADP || next.is_some_and(|x| starts_uppercase(&x.text))) {
                Some(TriggerKind::Preposition)
            } else if self.postpositions.contains(&t.lower) {
                Some(TriggerKind::Postposition)
            } else if t.lower == "nach" {
                let ahead = (i + 1..(i + 5).min(n)).find(|&j| !matches!(toks[j].pos, Pos::DET | Pos::ADJ | Pos::PRON));
                if ahead.is_some_and(|j| self.is_source_noun(&toks[j])) {
                    Some(TriggerKind::Nach { postposed: false })
                } else if prev.is_some_and(|p| self.is_source_noun(p)) && next.is_none_or(|x| x.is_punct() || x.is_verb()) {
                    Some(TriggerKind::Nach { postposed: true })
                } else {
                    None
                }
            } else if t.lower == "so"
                && prev.is_some_and(|p| p.text == "," || is_quote_mark(&p.text))
                && next.is_some_and(|x| matches!(x.pos, Pos::DET | Pos::PROPN | Pos::NOUN) || matches!(x.lower.as_str(), "er" | "sie"))
                && so_reaches_end(toks, i)
            {
                Some(TriggerKind::So)
            } else if self.adverbs.contains(&t.lower) {
                Some(TriggerKind::Adverb)
            } else {
                None
            };
            if let Some(kind) = kind {
                push(&mut out, i, CueKind::Attribution, &t.lower);
                out.triggers.push(Trigger { kind, tokens: vec![i], head: i, lemma: t.lower.clone() });
            }
        }
        out.cues.sort_by_key(|c| (c.span.start, c.span.end));
        out.triggers.sort_by_key(|t| t.head);
        out
    }

    /// A listed source noun or a compound ending in one (*Polizeiangaben*).
    fn is_source_noun(&self, tok: &Tok) -> bool {
        tok.pos == Pos::NOUN
            && (self.source_nouns.contains(&tok.lower) || self.source_nouns.iter().any(|n| n.len() >= 6 && tok.lower.ends_with(n.as_str())))
    }

    /// A speech or belief verb at token `i`, with its particle, companion, auxiliary and *wie*.
    fn verb_trigger(&self, lexicon: &Lexicon, toks: &[Tok], i: usize) -> Option<Trigger> {
        let t = &toks[i];
        let end = clause_end(toks, i);
        let mut tokens = vec![i];
        let entry = if let Some(e) = self.verbs.get(&t.lemma).or_else(|| self.verbs.get(&t.lower)) {
            e.clone()
        } else {
            let candidates = self.split_verbs.get(&t.lemma)?;
            // The particle closes the clause: *teilte dem Sender mit, …*.
            let (j, entry) = candidates.iter().find_map(|(particle, entry)| {
                (i + 1..end).find(|&j| toks[j].lower == *particle && (j + 1 == end || toks[j + 1].is_clause_break())).map(|j| (j, entry))
            })?;
            tokens.push(j);
            entry.clone()
        };
        if let Some(companion) = &entry.companion {
            if let Some(j) = (i + 1..end).find(|&j| toks[j].lower == *companion) {
                tokens.push(j);
            }
        }
        let start = clause_start(toks, i);
        // Perfect and passive: *hatte … gesagt*, *wird … zitiert*.
        if t.mood.is_none() && is_participle(lexicon, t) {
            if let Some(j) =
                (start..i).rev().find(|&j| toks[j].is_finite() && matches!(toks[j].lemma.as_str(), "haben" | "sein" | "werden"))
            {
                tokens.push(j);
            }
        }
        // *Wie der Sprecher mitteilte, …*
        if toks[start].lower == "wie" && start < i {
            tokens.push(start);
        }
        tokens.sort_unstable();
        tokens.dedup();
        Some(Trigger { kind: TriggerKind::Verb { belief: entry.belief }, tokens, head: i, lemma: entry.lemma })
    }
}

fn starts_uppercase(s: &str) -> bool {
    s.chars().next().is_some_and(char::is_uppercase)
}

/// True when the words after a postposed *so* run to the end of the sentence or a comma
/// without a finite verb: *…, so der Sprecher.*
fn so_reaches_end(toks: &[Tok], i: usize) -> bool {
    let end = clause_end(toks, i);
    end - i <= 12 && !(i + 1..end).any(|j| toks[j].is_finite())
}
