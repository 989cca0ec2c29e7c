//! The learned quotation model: two small networks on the shared encoder pass.
//!
//! 1. **Anchors.** Every word is scored as the anchor of a quotation: the first word of its
//!    cue (*sagte*, *laut*, *teilte … mit*), the first word of the message of a quotation with
//!    no cue (a Konjunktiv I sentence continuing reported speech, a free-standing quotation, a
//!    reported statement), or neither. Inputs: the word's vectors (last layer and side layers),
//!    what the rules found on it (cue kinds, quotation marks, entity type, part of speech, the
//!    rules' own claims) and what its sentence holds.
//! 2. **Roles.** For each anchor every word of its sentence and the [`WINDOW`] sentences on
//!    either side is tagged, independently per role, as cue, source, message, addressee or
//!    frame of that anchor's quotation (a word may hold several roles: the speaker of a
//!    reported statement lies inside its message). Inputs: the word's vectors and signals, the
//!    anchor's vectors, and where the word lies relative to the anchor (sentences and words
//!    apart, quotation marks and commas between, the same quotation or not, the rules' roles).
//!
//! Both are one-hidden-layer networks, each the average of networks fitted from several seeds
//! ([`Mlp::averaged`]); [`decode`] turns their outputs into claims. File
//! `models/modality/quotes.bin`, little-endian: magic `LESQUOT\0`, version, the vector width,
//! the anchor threshold, then each network (input, hidden and output widths, standardisation,
//! weights and biases). `lesart train quotes` writes it.

use crate::doc::{Claim, ClaimForm, CueKind, Document, EntityLabel, Pos, Span};
use crate::error::{Error, Result};
use crate::io::prob::{sigmoid, softmax_in_place};
use crate::ner::model::{close_head_file, head_file_bytes, load_head_file, open_head_file, truncated, Standardizer};
use candle_core::{Device, Tensor};
use std::path::Path;

/// File name of the model inside `models/modality/`.
pub const MODEL_FILE: &str = "quotes.bin";
const MAGIC: &[u8; 8] = b"LESQUOT\0";
const VERSION: u32 = 1;
/// Sentences on each side of an anchor's sentence whose words may hold its roles.
pub const WINDOW: usize = 2;

/// Anchor classes: none, a cue's first word, the first message word of a quotation with no cue.
pub const ANCHOR_CLASSES: usize = 3;
/// Anchor class of a cue.
pub const CUE_ANCHOR: usize = 1;
/// Anchor class of a quotation without a cue.
pub const MESSAGE_ANCHOR: usize = 2;
/// Roles, one output each: cue, source, message, addressee, frame.
pub const ROLES: usize = 5;
/// Role index of the cue.
pub const ROLE_CUE: usize = 0;
/// Role index of the source.
pub const ROLE_SOURCE: usize = 1;
/// Role index of the message.
pub const ROLE_MESSAGE: usize = 2;

/// Signals per word besides its vectors.
const WORD_SIGNALS: usize = 21;
/// The word signal that says a Konjunktiv I cue lies on the word.
const KONJUNKTIV_SIGNAL: usize = 3;
/// Signals per word about its sentence (anchor network only).
const SENTENCE_SIGNALS: usize = 6;
/// Signals about a word's place relative to an anchor (role network only).
const RELATION_SIGNALS: usize = 28;

/// Width of an anchor row for vectors `dim` wide (last and side layers together).
pub fn anchor_width(dim: usize) -> usize {
    dim + WORD_SIGNALS + SENTENCE_SIGNALS
}

/// Width of a role row for vectors `dim` wide.
pub fn role_width(dim: usize) -> usize {
    2 * dim + WORD_SIGNALS + RELATION_SIGNALS
}

/// One word of a document as the model sees it.
#[derive(Debug, Clone)]
pub struct Word {
    /// Sentence index in the document.
    pub sentence: usize,
    /// Token index in the sentence.
    pub token: usize,
    /// Where it is.
    pub span: Span,
    /// The quotation (marks included) it lies in, as an index into the document's quotations.
    pub quote: Option<usize>,
    signals: [f32; WORD_SIGNALS],
    text_class: TextClass,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextClass {
    QuoteMark,
    Comma,
    Other,
}

/// The words of a document's encoded sentences, with the rules' claims as signals.
pub struct Words<'d> {
    doc: &'d Document,
    /// The words, in document order.
    pub words: Vec<Word>,
    /// `first[s]..first[s + 1]`: the words of sentence `s` (empty when not encoded).
    pub first: Vec<usize>,
    /// Width of each word's vectors.
    pub dim: usize,
}

fn flag(b: bool) -> f32 {
    if b {
        1.0
    } else {
        0.0
    }
}

impl<'d> Words<'d> {
    /// The words of `doc`'s sentences that carry vectors, the rules' claims already on them.
    /// `None` when no sentence has vectors.
    pub fn new(doc: &'d Document) -> Option<Words<'d>> {
        let dim = doc.sentences.iter().find_map(|s| s.vectors.as_ref()).map(|v| v.last.dim() + v.side.dim())?;
        let quotes = super::claims::quotations(doc.text.as_str());
        let claims: Vec<&Claim> = doc.sentences.iter().flat_map(|s| &s.claims).collect();
        let in_any = |span: Span, pick: fn(&Claim) -> &[Span]| claims.iter().any(|c| pick(c).iter().any(|p| p.overlaps(span)));
        let mut words = Vec::new();
        let mut first = Vec::with_capacity(doc.sentences.len() + 1);
        for (s, sentence) in doc.sentences.iter().enumerate() {
            first.push(words.len());
            if sentence.boilerplate || sentence.vectors.is_none() {
                continue;
            }
            for (i, token) in sentence.tokens.iter().enumerate() {
                let span = token.span;
                let text = doc.text_of(span);
                let qi = quotes.partition_point(|q| q.end <= span.start);
                let quote = quotes.get(qi).filter(|q| q.start <= span.start && span.end <= q.end).map(|_| qi);
                let cue = |kinds: &[CueKind]| sentence.cues.iter().any(|c| kinds.contains(&c.kind) && c.span.overlaps(span));
                let entity = |labels: &[EntityLabel]| sentence.entities.iter().any(|e| labels.contains(&e.label) && e.span.overlaps(span));
                let pos = token.morph.as_ref().map(|m| m.pos);
                let is_pos = |p: &[Pos]| pos.is_some_and(|x| p.contains(&x));
                let mark = super::cues::is_quote_mark(text);
                let signals = [
                    flag(mark),
                    flag(quote.is_some() && !mark),
                    flag(cue(&[CueKind::Attribution])),
                    flag(cue(&[CueKind::KonjunktivI])),
                    flag(cue(&[CueKind::ReportativeModal])),
                    flag(cue(&[CueKind::SpeculationVerb, CueKind::EpistemicModal, CueKind::HedgeAdverb])),
                    flag(entity(&[EntityLabel::PER])),
                    flag(entity(&[EntityLabel::ORG])),
                    flag(entity(&[EntityLabel::LOC, EntityLabel::MISC])),
                    flag(is_pos(&[Pos::VERB, Pos::AUX])),
                    flag(is_pos(&[Pos::NOUN, Pos::PROPN])),
                    flag(is_pos(&[Pos::PRON])),
                    flag(is_pos(&[Pos::PUNCT])),
                    flag(is_pos(&[Pos::ADP, Pos::SCONJ])),
                    flag(text == ":"),
                    flag(text == ","),
                    flag(in_any(span, |c| &c.cue)),
                    flag(in_any(span, |c| c.source.as_slice())),
                    flag(in_any(span, |c| &c.message)),
                    flag(i == 0),
                    flag(text.chars().next().is_some_and(char::is_uppercase)),
                ];
                let text_class = if mark {
                    TextClass::QuoteMark
                } else if text == "," || text == ":" {
                    TextClass::Comma
                } else {
                    TextClass::Other
                };
                words.push(Word { sentence: s, token: i, span, quote, signals, text_class });
            }
        }
        first.push(words.len());
        Some(Words { doc, words, first, dim })
    }

    /// The words of quotation `q`, marks included, in order.
    fn in_quote(&self, q: usize) -> Vec<usize> {
        (0..self.words.len()).filter(|&i| self.words[i].quote == Some(q)).collect()
    }

    fn vectors(&self, w: &Word, out: &mut Vec<f32>) {
        if let Some(v) = &self.doc.sentences[w.sentence].vectors {
            out.extend_from_slice(v.last.row(w.token).unwrap_or(&[]));
            out.extend_from_slice(v.side.row(w.token).unwrap_or(&[]));
        }
    }

    /// What a sentence holds, for the anchor network.
    fn sentence_signals(&self, w: &Word) -> [f32; SENTENCE_SIGNALS] {
        let sentence = &self.doc.sentences[w.sentence];
        let has = |k: CueKind| sentence.cues.iter().any(|c| c.kind == k);
        let previous_claims = w.sentence > 0 && !self.doc.sentences[w.sentence - 1].claims.is_empty();
        let len = sentence.tokens.len().max(1) as f32;
        [
            flag(has(CueKind::KonjunktivI)),
            flag(has(CueKind::Attribution)),
            flag(has(CueKind::QuotationMark)),
            flag(!sentence.claims.is_empty()),
            flag(previous_claims),
            w.token as f32 / len,
        ]
    }

    /// The anchor network's input for every word, one row after the other.
    pub fn anchor_rows(&self) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.words.len() * anchor_width(self.dim));
        for w in &self.words {
            self.vectors(w, &mut out);
            out.extend_from_slice(&w.signals);
            out.extend_from_slice(&self.sentence_signals(w));
        }
        out
    }

    /// The words an anchor's roles may lie on: its sentence and [`WINDOW`] on either side.
    pub fn window(&self, anchor: usize) -> std::ops::Range<usize> {
        let s = self.words[anchor].sentence;
        let from = self.first[s.saturating_sub(WINDOW)];
        let to = self.first[(s + WINDOW + 1).min(self.first.len() - 1)];
        from..to
    }

    /// The role network's input for the words of `window` against the anchor word `anchor`
    /// of the given class.
    pub fn role_rows(&self, anchor: usize, class: usize, window: std::ops::Range<usize>) -> Vec<f32> {
        let a = &self.words[anchor];
        let mut anchor_vec = Vec::with_capacity(self.dim);
        self.vectors(a, &mut anchor_vec);
        let rule_claim = self.rule_claim_of(a.span);
        let mut out = Vec::with_capacity(window.len() * role_width(self.dim));
        for j in window {
            self.own_part(j, &mut out);
            out.extend_from_slice(&anchor_vec);
            out.extend_from_slice(&self.relation(anchor, j, class, rule_claim));
        }
        out
    }

    /// Appends the role network's inputs for word `j` that no anchor changes: its vectors and
    /// signals, the first part of each of [`role_rows`](Self::role_rows).
    fn own_part(&self, j: usize, out: &mut Vec<f32>) {
        let w = &self.words[j];
        self.vectors(w, out);
        out.extend_from_slice(&w.signals);
    }

    /// The rules' claim whose cue (or, failing that, message) holds `span`.
    fn rule_claim_of(&self, span: Span) -> Option<&'d Claim> {
        let claims = || self.doc.sentences.iter().flat_map(|s| &s.claims);
        claims().find(|c| c.cue.iter().any(|x| x.overlaps(span))).or_else(|| claims().find(|c| c.message.iter().any(|x| x.overlaps(span))))
    }

    /// Where word `j` lies relative to anchor word `a`.
    fn relation(&self, a: usize, j: usize, class: usize, rule: Option<&Claim>) -> [f32; RELATION_SIGNALS] {
        let (wa, wj) = (&self.words[a], &self.words[j]);
        let mut r = [0f32; RELATION_SIGNALS];
        let offset = wj.sentence as i64 - wa.sentence as i64;
        r[(offset.clamp(-2, 2) + 2) as usize] = 1.0;
        r[5 + usize::from(j >= a) + usize::from(j > a)] = 1.0;
        let distance = a.abs_diff(j);
        let bucket = match distance {
            0..=1 => 0,
            2 => 1,
            3..=4 => 2,
            5..=8 => 3,
            9..=16 => 4,
            17..=32 => 5,
            _ => 6,
        };
        r[8 + bucket] = 1.0;
        r[15] = flag(wa.quote.is_some() && wa.quote == wj.quote);
        r[16] = flag(wj.quote.is_some() && wa.quote != wj.quote);
        let between = &self.words[a.min(j)..a.max(j)];
        let marks = between.iter().filter(|w| w.text_class == TextClass::QuoteMark).count();
        r[17 + marks.min(2)] = 1.0;
        let commas = between.iter().filter(|w| w.text_class == TextClass::Comma && w.sentence == wa.sentence).count();
        r[20 + commas.min(2)] = 1.0;
        r[23] = flag(class == CUE_ANCHOR);
        r[24] = flag(class == MESSAGE_ANCHOR);
        if let Some(c) = rule {
            r[25] = flag(c.cue.iter().any(|x| x.overlaps(wj.span)));
            r[26] = flag(c.source.is_some_and(|x| x.overlaps(wj.span)));
            r[27] = flag(c.message.iter().any(|x| x.overlaps(wj.span)));
        }
        r
    }
}

/// A one-hidden-layer network (ReLU) over standardised inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    /// Standardisation of the inputs.
    pub standardizer: Standardizer,
    /// `inputs × hidden`, row-major.
    pub w1: Vec<f32>,
    /// `hidden` biases.
    pub b1: Vec<f32>,
    /// `hidden × outputs`, row-major.
    pub w2: Vec<f32>,
    /// `outputs` biases.
    pub b2: Vec<f32>,
}

impl Mlp {
    /// Input width.
    pub fn inputs(&self) -> usize {
        self.standardizer.mean.len()
    }

    fn hidden(&self) -> usize {
        self.b1.len()
    }

    /// Output width.
    pub fn outputs(&self) -> usize {
        self.b2.len()
    }

    /// The logits of `rows` (`n × inputs`), `n × outputs`.
    pub fn logits(&self, rows: &[f32]) -> Result<Vec<f32>> {
        let n = rows.len() / self.inputs().max(1);
        if n == 0 {
            return Ok(Vec::new());
        }
        let z = self.standardizer.apply_all(rows.chunks(self.inputs()));
        let device = Device::Cpu;
        let x = Tensor::from_vec(z, (n, self.inputs()), &device)?;
        let w1 = Tensor::from_slice(&self.w1, (self.inputs(), self.hidden()), &device)?;
        let b1 = Tensor::from_slice(&self.b1, self.hidden(), &device)?;
        let w2 = Tensor::from_slice(&self.w2, (self.hidden(), self.outputs()), &device)?;
        let b2 = Tensor::from_slice(&self.b2, self.outputs(), &device)?;
        let h = x.matmul(&w1)?.broadcast_add(&b1)?.relu()?;
        Ok(h.matmul(&w2)?.broadcast_add(&b2)?.flatten_all()?.to_vec1::<f32>()?)
    }

    /// The first layer's sum over inputs `from..from + x.len()` alone, standardised, `hidden`
    /// wide. The layer is linear, so the partial sums of a row's parts add up to the row's.
    /// Inputs past the layer's width add nothing.
    fn partial(&self, from: usize, x: &[f32]) -> Vec<f32> {
        let h = self.hidden();
        let mut out = vec![0f32; h];
        for (k, &v) in (from..).zip(x) {
            let (Some(m), Some(s), Some(w)) =
                (self.standardizer.mean.get(k), self.standardizer.inv_sd.get(k), self.w1.get(k * h..(k + 1) * h))
            else {
                break;
            };
            let z = (v - m) * s;
            out.iter_mut().zip(w).for_each(|(o, w)| *o += z * w);
        }
        out
    }

    /// [`partial`](Self::partial) for `n` rows of `width` inputs each, from input `from` on, in
    /// one matrix product; `n × hidden`, row-major.
    fn partial_rows(&self, from: usize, rows: &[f32], width: usize) -> Result<Vec<f32>> {
        let (h, n) = (self.hidden(), rows.len() / width.max(1));
        let end = (from + width).min(self.inputs());
        if n == 0 || end <= from {
            return Ok(vec![0f32; n * h]);
        }
        let (mean, inv_sd) = (&self.standardizer.mean[from..end], &self.standardizer.inv_sd[from..end]);
        let mut z = Vec::with_capacity(n * (end - from));
        for row in rows.chunks_exact(width) {
            z.extend(row.iter().zip(mean).zip(inv_sd).map(|((x, m), s)| (x - m) * s));
        }
        let device = Device::Cpu;
        let x = Tensor::from_vec(z, (n, end - from), &device)?;
        let w = Tensor::from_slice(&self.w1[from * h..end * h], (end - from, h), &device)?;
        Ok(x.matmul(&w)?.flatten_all()?.to_vec1::<f32>()?)
    }

    /// The outputs for a first-layer sum (before its biases).
    fn finish(&self, sum: &[f32]) -> Vec<f32> {
        let mut out = self.b2.clone();
        for ((&p, &b), w) in sum.iter().zip(&self.b1).zip(self.w2.chunks_exact(self.outputs().max(1))) {
            let a = (p + b).max(0.0);
            if a > 0.0 {
                out.iter_mut().zip(w).for_each(|(y, w)| *y += a * w);
            }
        }
        out
    }

    /// One network whose logits are the mean of `nets`' logits: their hidden layers side by
    /// side, the output weights and biases divided by their number. The networks must read the
    /// same inputs under the same standardisation and give the same outputs.
    pub fn averaged(nets: &[Mlp]) -> Result<Mlp> {
        let Some(first) = nets.first() else { return Err(Error::Usage("no networks to average".into())) };
        if nets.iter().any(|n| n.standardizer != first.standardizer || n.outputs() != first.outputs()) {
            return Err(Error::Usage("networks with other inputs or outputs cannot be averaged".into()));
        }
        let (inputs, outputs, k) = (first.inputs(), first.outputs(), nets.len() as f32);
        let mut w1 = Vec::with_capacity(inputs * nets.iter().map(Mlp::hidden).sum::<usize>());
        for row in 0..inputs {
            for n in nets {
                w1.extend_from_slice(&n.w1[row * n.hidden()..(row + 1) * n.hidden()]);
            }
        }
        let mut b2 = vec![0f32; outputs];
        nets.iter().for_each(|n| b2.iter_mut().zip(&n.b2).for_each(|(s, b)| *s += b / k));
        Ok(Mlp {
            standardizer: first.standardizer.clone(),
            w1,
            b1: nets.iter().flat_map(|n| n.b1.iter().copied()).collect(),
            w2: nets.iter().flat_map(|n| n.w2.iter().map(|w| w / k)).collect(),
            b2,
        })
    }

    fn values(&self) -> [&[f32]; 6] {
        [&self.standardizer.mean, &self.standardizer.inv_sd, &self.w1, &self.b1, &self.w2, &self.b2]
    }
}

/// The quotation model.
#[derive(Debug, Clone, PartialEq)]
pub struct QuoteModel {
    /// Width of the word vectors it reads.
    pub dim: usize,
    /// A word is an anchor when the probability of the best anchor class reaches this.
    pub anchor_threshold: f32,
    /// A word holds a role when its probability reaches this.
    pub role_threshold: f32,
    /// Scores words as anchors ([`ANCHOR_CLASSES`] outputs, softmax).
    pub anchors: Mlp,
    /// Scores words' roles for an anchor ([`ROLES`] outputs, one sigmoid each).
    pub roles: Mlp,
}

impl QuoteModel {
    /// Reads `quotes.bin`, checking its sizes and values.
    pub fn load(path: &Path) -> Result<QuoteModel> {
        load_head_file(path, Self::from_bytes)
    }

    fn from_bytes(bytes: &[u8]) -> std::result::Result<QuoteModel, String> {
        let mut r = open_head_file(bytes, MAGIC, VERSION, "a quotation model file")?;
        let truncated = || truncated(bytes);
        let dim = r.u32().ok_or_else(truncated)? as usize;
        let thresholds = r.f32s(2).ok_or_else(truncated)?;
        let mut read_mlp = |expected_in: usize, expected_out: usize| -> std::result::Result<Mlp, String> {
            let (inputs, hidden, outputs) =
                (r.u32().ok_or_else(truncated)? as usize, r.u32().ok_or_else(truncated)? as usize, r.u32().ok_or_else(truncated)? as usize);
            if inputs != expected_in || outputs != expected_out || hidden == 0 || hidden > 4096 {
                return Err(format!(
                    "a network of {inputs} × {hidden} × {outputs}, expected {expected_in} inputs and {expected_out} outputs"
                ));
            }
            let mean = r.f32s(inputs).ok_or_else(truncated)?;
            let inv_sd = r.f32s(inputs).ok_or_else(truncated)?;
            Ok(Mlp {
                standardizer: Standardizer { mean, inv_sd },
                w1: r.f32s(inputs * hidden).ok_or_else(truncated)?,
                b1: r.f32s(hidden).ok_or_else(truncated)?,
                w2: r.f32s(hidden * outputs).ok_or_else(truncated)?,
                b2: r.f32s(outputs).ok_or_else(truncated)?,
            })
        };
        if dim == 0 || dim > 1 << 14 {
            return Err(format!("{dim}-dimensional vectors"));
        }
        let anchors = read_mlp(anchor_width(dim), ANCHOR_CLASSES)?;
        let roles = read_mlp(role_width(dim), ROLES)?;
        let mut values: Vec<&[f32]> = vec![&thresholds];
        values.extend(anchors.values());
        values.extend(roles.values());
        close_head_file(&r, &values)?;
        if thresholds.iter().any(|t| !(0.0..=1.0).contains(t)) {
            return Err(format!("thresholds {thresholds:?}"));
        }
        Ok(QuoteModel { dim, anchor_threshold: thresholds[0], role_threshold: thresholds[1], anchors, roles })
    }

    /// Writes the model atomically; returns its size in bytes.
    pub fn save(&self, path: &Path) -> Result<usize> {
        let mut out = head_file_bytes(MAGIC, &[VERSION, self.dim as u32], &[&[self.anchor_threshold, self.role_threshold]]);
        for mlp in [&self.anchors, &self.roles] {
            // Each network: its shape as u32 values, then its floats.
            let shape = [mlp.inputs() as u32, mlp.hidden() as u32, mlp.outputs() as u32];
            shape.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
            mlp.values().iter().flat_map(|v| v.iter()).for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
        }
        crate::io::write_atomically(path, &out)?;
        Ok(out.len())
    }

    /// Checks that the model reads vectors as wide as the encoder gives.
    pub fn check_width(&self, path: &Path, dim: usize) -> Result<()> {
        crate::encode::check_width(path, self.dim, dim)
    }

    /// The claims of `doc` by the model, or `None` when its sentences carry no vectors (the
    /// rules' claims then stay). The rules' claims must already be on the sentences.
    pub fn claims(&self, doc: &Document) -> Result<Option<Vec<(usize, Claim)>>> {
        let Some(words) = Words::new(doc) else { return Ok(None) };
        if words.dim != self.dim {
            return Ok(None);
        }
        let mut found = Vec::new();
        let mut roles = self.role_scorer(&words);
        for (anchor, class, _) in self.scored_anchors(&words, self.anchor_threshold)? {
            let window = words.window(anchor);
            let probs = roles.probs(anchor, class, window.clone())?;
            found.push(Found { anchor, class, window, probs });
        }
        Ok(Some(decode(&words, &found, self.role_threshold)))
    }

    /// Role probabilities for the anchors of one document's words.
    pub fn role_scorer<'a, 'd>(&'a self, words: &'a Words<'d>) -> RoleScorer<'a, 'd> {
        RoleScorer { mlp: &self.roles, words, own: None }
    }

    /// Anchor words with their classes and probabilities, in document order; of adjacent
    /// anchors of one class in a sentence the more probable stays.
    pub fn scored_anchors(&self, words: &Words<'_>, threshold: f32) -> Result<Vec<(usize, usize, f32)>> {
        let mut probs = self.anchors.logits(&words.anchor_rows())?;
        let mut out: Vec<(usize, usize, f32)> = Vec::new();
        for (i, p) in probs.chunks_mut(ANCHOR_CLASSES).enumerate() {
            softmax_in_place(p);
            let class = if p[CUE_ANCHOR] >= p[MESSAGE_ANCHOR] { CUE_ANCHOR } else { MESSAGE_ANCHOR };
            if p[class] < threshold {
                continue;
            }
            match out.last_mut() {
                Some(last) if last.0 + 1 == i && last.1 == class && words.words[last.0].sentence == words.words[i].sentence => {
                    if p[class] > last.2 {
                        *last = (i, class, p[class]);
                    }
                }
                _ => out.push((i, class, p[class])),
            }
        }
        Ok(out)
    }
}

/// Role probabilities for the anchors of one document. The role network's first layer is
/// summed by part: each word's own part (vectors and signals) is the same for every anchor and
/// is computed once, for all words in one matrix product; the anchor's once per anchor; and only
/// the few relation signals once per pair, instead of the whole row for every pair.
pub struct RoleScorer<'a, 'd> {
    mlp: &'a Mlp,
    words: &'a Words<'d>,
    /// Every word's own part summed (`words × hidden`), once the first anchor asks.
    own: Option<Vec<f32>>,
}

impl RoleScorer<'_, '_> {
    /// The role probabilities of the words of `window` for the anchor word `anchor` of class
    /// `class` (what the role network gives for [`Words::role_rows`], up to rounding).
    pub fn probs(&mut self, anchor: usize, class: usize, window: std::ops::Range<usize>) -> Result<Vec<[f32; ROLES]>> {
        let (mlp, words) = (self.mlp, self.words);
        let (h, own_width) = (mlp.hidden(), words.dim + WORD_SIGNALS);
        let own = match &mut self.own {
            Some(own) => own,
            slot => {
                let mut rows = Vec::with_capacity(words.words.len() * own_width);
                (0..words.words.len()).for_each(|j| words.own_part(j, &mut rows));
                slot.insert(mlp.partial_rows(0, &rows, own_width)?)
            }
        };
        let mut anchor_vec = Vec::with_capacity(words.dim);
        words.vectors(&words.words[anchor], &mut anchor_vec);
        let anchor_sum = mlp.partial(own_width, &anchor_vec);
        let rule_claim = words.rule_claim_of(words.words[anchor].span);
        let mut out = Vec::with_capacity(window.len());
        for j in window {
            let mut sum = mlp.partial(own_width + words.dim, &words.relation(anchor, j, class, rule_claim));
            let own_j = own.get(j * h..(j + 1) * h).unwrap_or(&[]);
            for ((s, o), a) in sum.iter_mut().zip(own_j).zip(&anchor_sum) {
                *s += o + a;
            }
            let l = mlp.finish(&sum);
            out.push(std::array::from_fn(|k| sigmoid(l.get(k).copied().unwrap_or(0.0))));
        }
        Ok(out)
    }
}

/// One anchor with the role probabilities of its window's words.
pub struct Found {
    /// The anchor word.
    pub anchor: usize,
    /// Its class.
    pub class: usize,
    /// The words scored.
    pub window: std::ops::Range<usize>,
    /// Per word of the window, the probability of each role.
    pub probs: Vec<[f32; ROLES]>,
}

/// Runs of consecutive words (indices) as character spans.
fn runs(words: &Words<'_>, indices: &[usize]) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let mut last: Option<usize> = None;
    for &i in indices {
        let span = words.words[i].span;
        match (last, out.last_mut()) {
            (Some(l), Some(run)) if l + 1 == i => run.end = span.end,
            _ => out.push(span),
        }
        last = Some(i);
    }
    out
}

/// Turns anchors and role probabilities into claims, each with the sentence it belongs to:
/// the cue is the anchor and the words tagged cue in its sentence, the source the run of source
/// words holding the most probability, grown by its less certain neighbours (for a quotation
/// without a cue and without a source, the latest claim's
/// source a few sentences back), the message every run of message words. An anchor that lies
/// in an earlier claim's cue, or one that finds no message, makes no claim.
pub fn decode(words: &Words<'_>, found: &[Found], threshold: f32) -> Vec<(usize, Claim)> {
    let doc = words.doc;
    let mut out: Vec<(usize, Claim)> = Vec::new();
    for f in found {
        let a = &words.words[f.anchor];
        if out.iter().any(|(_, c)| c.cue.iter().any(|x| x.overlaps(a.span))) {
            continue;
        }
        let tagged =
            |role: usize| -> Vec<usize> { f.window.clone().zip(&f.probs).filter(|(_, p)| p[role] >= threshold).map(|(i, _)| i).collect() };
        let mut cue_words: Vec<usize> = tagged(ROLE_CUE).into_iter().filter(|&i| words.words[i].sentence == a.sentence).collect();
        if f.class == CUE_ANCHOR && !cue_words.contains(&f.anchor) {
            cue_words.push(f.anchor);
            cue_words.sort_unstable();
        }
        let message_words = tidy_message(words, tagged(ROLE_MESSAGE));
        let message: Vec<Span> =
            runs(words, &message_words).into_iter().filter(|span| doc.text_of(*span).chars().any(char::is_alphanumeric)).collect();
        if message.is_empty() {
            continue;
        }
        let prob_of = |i: usize| f.probs[i - f.window.start][ROLE_SOURCE];
        let source_words = grown(words, f.window.clone(), &tagged(ROLE_SOURCE), |i| prob_of(i) >= SOURCE_GROW);
        let mut source = best_run(words, &source_words, |i| Some(prob_of(i)).filter(|&p| p >= threshold).unwrap_or(0.0));
        if source.is_none() && f.class == MESSAGE_ANCHOR {
            source = out.iter().rev().find(|(s, c)| c.source.is_some() && a.sentence <= s + 5).and_then(|(_, c)| c.source);
        }
        let source = source.map(|s| super::claims::widen_to_entities(doc, s));
        let cue = runs(words, &cue_words);
        let form = claim_form(words, f, &message_words);
        // Two anchors of one cue (*wies … als „haltlos“ zurück*) that found the same message
        // make one claim.
        if let Some((_, same)) = out.iter_mut().find(|(s, c)| *s == a.sentence && c.message == message) {
            same.cue.extend(cue);
            same.cue.sort_by_key(|c| c.start);
            same.cue.dedup();
            same.source = same.source.or(source);
            continue;
        }
        let claim = Claim { cue, source, message, form, hedged: false, entity: None };
        let nested = nested_quotations(words, &message_words, &claim);
        out.push((a.sentence, claim));
        out.extend(nested.into_iter().map(|c| (a.sentence, c)));
    }
    out
}

/// A quotation inside a claim's message that is not the whole message is a direct claim of its
/// own, with the same cue and source (*nannte sie „reine Spekulation“*).
fn nested_quotations(words: &Words<'_>, message: &[usize], claim: &Claim) -> Vec<Claim> {
    let mut regions: Vec<usize> = message.iter().filter_map(|&i| words.words[i].quote).collect();
    regions.dedup();
    let mut out = Vec::new();
    for q in regions {
        let all = words.in_quote(q);
        let (Some(&first), Some(&last)) = (all.first(), all.last()) else { continue };
        let inside = all.iter().all(|i| message.binary_search(i).is_ok());
        if inside && all.len() < message.len() {
            let span = Span::new(words.words[first].span.start, words.words[last].span.end);
            out.push(Claim { message: vec![span], form: ClaimForm::Direct, ..claim.clone() });
        }
    }
    out
}

/// Words a message may skip inside a sentence and still be one run.
const MESSAGE_GAP: usize = 2;
/// A run of message words shorter than this beside a longer run is a stray.
const MESSAGE_STRAY: usize = 3;
/// Share of a quotation's words the message must hold to take all of it, marks included.
const QUOTE_SNAP: f32 = 0.4;

/// The message words made whole: a quotation mostly in the message is taken whole, gaps of a
/// word or two inside a sentence are filled, and short strays beside a longer run dropped.
fn tidy_message(words: &Words<'_>, mut tagged: Vec<usize>) -> Vec<usize> {
    let mut by_quote: std::collections::BTreeMap<usize, usize> = std::collections::BTreeMap::new();
    for &i in &tagged {
        if let Some(q) = words.words[i].quote {
            *by_quote.entry(q).or_default() += 1;
        }
    }
    for (q, held) in by_quote {
        let all = words.in_quote(q);
        if held as f32 >= QUOTE_SNAP * all.len() as f32 {
            tagged.extend(all);
        }
    }
    tagged.sort_unstable();
    tagged.dedup();
    let mut filled: Vec<usize> = Vec::with_capacity(tagged.len());
    for &i in &tagged {
        if let Some(&last) = filled.last() {
            if i > last + 1 && i - last <= MESSAGE_GAP + 1 && words.words[i].sentence == words.words[last].sentence {
                filled.extend(last + 1..i);
            }
        }
        filled.push(i);
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for i in filled {
        match groups.last_mut() {
            Some(g) if g.last().is_some_and(|&l| l + 1 == i) => g.push(i),
            _ => groups.push(vec![i]),
        }
    }
    let longest = groups.iter().map(Vec::len).max().unwrap_or(0);
    groups.into_iter().filter(|g| g.len() >= MESSAGE_STRAY || g.len() == longest).flatten().collect()
}

/// A source word's neighbour at this probability or above joins its run: the role network is
/// sure of a source's first words and less of its last (*Von der* [*Leyen*], *Der*
/// [*Beschluss*]). Chosen on dev: source F1 lies within 0.003 from 0.05 to 0.2, 0.018 above
/// taking the seeds alone (docs/measurements.md).
const SOURCE_GROW: f32 = 0.1;

/// `seeds` (ascending) with the neighbours in `window` that pass `near` added, run by run
/// outward from each seed, within its sentence.
fn grown(words: &Words<'_>, window: std::ops::Range<usize>, seeds: &[usize], near: impl Fn(usize) -> bool) -> Vec<usize> {
    let base = window.start;
    let mut keep: Vec<bool> = window.clone().map(|i| seeds.binary_search(&i).is_ok()).collect();
    let joins = |keep: &[bool], from: usize, to: usize| {
        window.contains(&to) && !keep[to - base] && words.words[to].sentence == words.words[from].sentence && near(to)
    };
    for &seed in seeds {
        let mut j = seed;
        while j > base && joins(&keep, j, j - 1) {
            j -= 1;
            keep[j - base] = true;
        }
        let mut j = seed;
        while joins(&keep, j, j + 1) {
            j += 1;
            keep[j - base] = true;
        }
    }
    window.filter(|&i| keep[i - base]).collect()
}

/// The run of source words with the largest summed `weight`, within one sentence.
fn best_run(words: &Words<'_>, indices: &[usize], weight: impl Fn(usize) -> f32) -> Option<Span> {
    let mut best: Option<(f32, Span)> = None;
    let mut start = 0;
    while start < indices.len() {
        let mut end = start + 1;
        while end < indices.len()
            && indices[end] == indices[end - 1] + 1
            && words.words[indices[end]].sentence == words.words[indices[start]].sentence
        {
            end += 1;
        }
        let mass: f32 = indices[start..end].iter().map(|&i| weight(i)).sum();
        let span = Span::new(words.words[indices[start]].span.start, words.words[indices[end - 1]].span.end);
        if best.is_none_or(|(m, _)| mass > m) {
            best = Some((mass, span));
        }
        start = end;
    }
    best.map(|(_, s)| s)
}

/// Direct when the message begins and ends in quotation marks, indirect for a cue or a message
/// in Konjunktiv I (*Man habe das Spiel „im Griff gehabt“*), reported otherwise.
fn claim_form(words: &Words<'_>, f: &Found, message: &[usize]) -> ClaimForm {
    let quoted = |i: Option<&usize>| i.is_some_and(|&i| words.words[i].quote.is_some());
    if quoted(message.first()) && quoted(message.last()) {
        return ClaimForm::Direct;
    }
    let konjunktiv = message.iter().any(|&i| words.words[i].signals[KONJUNKTIV_SIGNAL] > 0.0);
    if f.class == CUE_ANCHOR || konjunktiv {
        ClaimForm::Indirect
    } else {
        ClaimForm::Reported
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_mlp(inputs: usize, outputs: usize, seed: f32) -> Mlp {
        let hidden = 3;
        Mlp {
            standardizer: Standardizer { mean: vec![0.5; inputs], inv_sd: vec![2.0; inputs] },
            w1: (0..inputs * hidden).map(|i| ((i as f32 + seed) * 0.37).sin()).collect(),
            b1: vec![0.1; hidden],
            w2: (0..hidden * outputs).map(|i| ((i as f32 - seed) * 0.53).cos()).collect(),
            b2: vec![-0.2; outputs],
        }
    }

    #[test]
    fn the_model_round_trips_and_refuses_a_cut_file() {
        let dim = 4;
        let model = QuoteModel {
            dim,
            anchor_threshold: 0.4,
            role_threshold: 0.5,
            anchors: tiny_mlp(anchor_width(dim), ANCHOR_CLASSES, 1.0),
            roles: tiny_mlp(role_width(dim), ROLES, 2.0),
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(MODEL_FILE);
        model.save(&path).expect("saves");
        assert_eq!(QuoteModel::load(&path).expect("loads"), model);
        let bytes = std::fs::read(&path).expect("reads");
        std::fs::write(&path, &bytes[..bytes.len() - 3]).expect("writes");
        assert!(matches!(QuoteModel::load(&path), Err(crate::error::Error::ModelCorrupt { .. })));
    }

    /// One encoded sentence, tokens split at spaces and before final punctuation.
    fn encoded(text: &str) -> Document {
        use crate::doc::{Sentence, Token, TokenVectors};
        use crate::encoder::TokenMatrix;
        let mut doc = Document::new("t", text.to_string(), "UTF-8");
        let mut tokens = Vec::new();
        let mut start = None;
        for (i, c) in text.chars().enumerate().chain(std::iter::once((text.chars().count(), ' '))) {
            let i = i as u32;
            let punct = matches!(c, '„' | '“' | ',' | '.');
            if let Some(s) = start.filter(|_| c == ' ' || punct) {
                tokens.push(Token { span: Span::new(s, i), morph: None });
                start = None;
            }
            if punct {
                tokens.push(Token { span: Span::new(i, i + 1), morph: None });
            } else if c != ' ' && start.is_none() {
                start = Some(i);
            }
        }
        let vectors = |n: usize| TokenMatrix::from_flat(2, vec![0.0; 2 * n]).expect("matrix");
        let n = tokens.len();
        let span = Span::new(0, text.chars().count() as u32);
        doc.sentences.push(Sentence {
            span,
            tokens,
            vectors: Some(TokenVectors { last: vectors(n), side: vectors(n) }),
            ..Default::default()
        });
        doc
    }

    fn word_at(words: &Words<'_>, text: &str) -> usize {
        words.words.iter().position(|w| words.doc.text_of(w.span) == text).expect("word")
    }

    #[test]
    fn a_quotation_mostly_in_the_message_is_taken_whole_and_nested_in_a_longer_one() {
        let doc = encoded("Er nannte den Plan „reine Spekulation und Unsinn“ und ging dann schnell nach Hause.");
        let words = Words::new(&doc).expect("encoded");
        let from = word_at(&words, "den");
        // Tagged: *den Plan*, *reine Spekulation und* (three of the quotation's six words with
        // its marks) and a stray *Hause* far behind.
        let tagged = vec![from, from + 1, from + 3, from + 4, from + 5, word_at(&words, "Hause")];
        let message = tidy_message(&words, tagged);
        let text: Vec<&str> = message.iter().map(|&i| doc.text_of(words.words[i].span)).collect();
        assert_eq!(text, ["den", "Plan", "„", "reine", "Spekulation", "und", "Unsinn", "“"]);
        let claim =
            Claim { cue: vec![], source: None, message: runs(&words, &message), form: ClaimForm::Indirect, hedged: false, entity: None };
        let nested = nested_quotations(&words, &message, &claim);
        assert_eq!(nested.len(), 1);
        assert_eq!(doc.text_of(nested[0].message[0]), "„reine Spekulation und Unsinn“");
        assert_eq!(nested[0].form, ClaimForm::Direct);
    }

    #[test]
    fn a_source_grows_by_its_likely_neighbours_and_the_surest_run_wins() {
        let doc = encoded("Das sagte gestern Von der Leyen und der Sprecher dazu.");
        let words = Words::new(&doc).expect("encoded");
        let at = |t: &str| word_at(&words, t);
        let mut prob = vec![0.0f32; words.words.len()];
        for (w, p) in [("gestern", 0.05), ("Von", 0.9), ("der", 0.8), ("Leyen", 0.3), ("und", 0.05), ("Sprecher", 0.7)] {
            prob[at(w)] = p;
        }
        let seeds: Vec<usize> = (0..prob.len()).filter(|&i| prob[i] >= 0.6).collect();
        let grown = grown(&words, 0..words.words.len(), &seeds, |i| prob[i] >= SOURCE_GROW);
        let text: Vec<&str> = grown.iter().map(|&i| doc.text_of(words.words[i].span)).collect();
        // *Leyen* joins its run; *gestern*, *und* and the second *der* stay out.
        assert_eq!(text, ["Von", "der", "Leyen", "Sprecher"]);
        let source = best_run(&words, &grown, |i| if prob[i] >= 0.6 { prob[i] } else { 0.0 }).expect("a run");
        assert_eq!(doc.text_of(source), "Von der Leyen");
    }

    #[test]
    fn the_network_computes_relu_then_linear() {
        let mlp = Mlp {
            standardizer: Standardizer { mean: vec![0.0, 0.0], inv_sd: vec![1.0, 1.0] },
            w1: vec![1.0, -1.0, 2.0, 0.0],
            b1: vec![0.0, 0.5],
            w2: vec![1.0, 3.0],
            b2: vec![0.25],
        };
        // h = relu([1 + 4, -1 + 0.5]) = [5, 0]; out = 5 + 0.25.
        assert_eq!(mlp.logits(&[1.0, 2.0]).expect("runs"), vec![5.25]);
    }

    #[test]
    fn an_averaged_network_gives_the_mean_of_its_members_logits() {
        let nets = [tiny_mlp(4, 3, 1.0), tiny_mlp(4, 3, 2.0), tiny_mlp(4, 3, 5.0)];
        let rows = [0.3f32, -1.2, 0.8, 2.0, 1.1, 0.0, -0.4, 0.9];
        let averaged = Mlp::averaged(&nets).expect("averages");
        assert_eq!(averaged.hidden(), 9);
        let each: Vec<Vec<f32>> = nets.iter().map(|n| n.logits(&rows).expect("runs")).collect();
        for (i, got) in averaged.logits(&rows).expect("runs").iter().enumerate() {
            let mean = each.iter().map(|l| l[i]).sum::<f32>() / 3.0;
            assert!((got - mean).abs() < 1e-5, "logit {i}: {got} against {mean}");
        }
        let mut other = tiny_mlp(4, 3, 1.0);
        other.standardizer.mean[0] = 0.0;
        assert!(Mlp::averaged(&[nets[0].clone(), other]).is_err());
        assert!(Mlp::averaged(&[]).is_err());
    }

    /// The first layer summed part by part, then finished, gives the whole row's logits.
    #[test]
    fn partial_sums_of_a_row_give_its_logits() {
        let (inputs, hidden, outputs) = (7, 5, 3);
        let v = |n: usize, k: usize| -> Vec<f32> { (0..n).map(|i| (((i + k) * 37 % 19) as f32 - 9.0) / 6.0).collect() };
        let mlp = Mlp {
            standardizer: Standardizer { mean: v(inputs, 1), inv_sd: v(inputs, 2).iter().map(|x| x.abs() + 0.5).collect() },
            w1: v(inputs * hidden, 3),
            b1: v(hidden, 4),
            w2: v(hidden * outputs, 5),
            b2: v(outputs, 6),
        };
        let row = v(inputs, 7);
        let whole = mlp.logits(&row).expect("runs");
        let mut sum = mlp.partial(0, &row[..3]);
        for (s, p) in sum.iter_mut().zip(mlp.partial(3, &row[3..])) {
            *s += p;
        }
        for (a, b) in mlp.finish(&sum).iter().zip(&whole) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
        // Inputs past the layer's width add nothing.
        assert_eq!(mlp.partial(inputs, &[1.0, 2.0]), vec![0.0; hidden]);
        // Many rows in one product.
        let rows: Vec<f32> = [v(4, 8), v(4, 9)].concat();
        let together = mlp.partial_rows(2, &rows, 4).expect("runs");
        for (r, row) in rows.chunks(4).enumerate() {
            for (a, b) in together[r * hidden..(r + 1) * hidden].iter().zip(mlp.partial(2, row)) {
                assert!((a - b).abs() < 1e-4, "{a} vs {b}");
            }
        }
    }
}
