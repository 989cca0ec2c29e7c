//! The stance stage: for every target in a sentence (its entities and the targets the user
//! names) whether the sentence leans toward it (favor), against it, or neither, who holds that
//! stance (the author or the source of a reported claim), and the words that carried it.
//!
//! How a sentence is scored:
//! - every word gets a polarity from the lexicon (by lemma, then form, then the head of a
//!   compound noun); intensifiers scale the next polar word, shifters (*Ende der Kritik*) and
//!   negators reverse it: a clause negator (*nicht, nie*) reaches to the clause end and, as the
//!   verb comes second, back to the finite verb; *kein, ohne* reach the next noun phrase;
//! - a frame (*Kritik an X*, *Sanktionen gegen X*, *X scheiterte*, *… kritisierte X*) decides
//!   for the target it names, and the subject of an evaluative verb gets nothing from it: the
//!   critic is not criticised;
//! - other targets collect the remaining polar words of the sentence, weighted by distance and
//!   by whether they share the clause; a target that is the source of a claim gets nothing from
//!   what the claim says;
//! - the sum is squashed with `tanh` to [-1, 1] and labelled by a threshold.
//!
//! The holder is the source of the claim whose message holds the evidence (or, without
//! evidence, the target), else the author.

pub mod actors;
pub mod eval;
pub mod frames;
pub mod head;
pub mod lexicon;
pub mod summary;
pub mod train;

pub use eval::{eval_stance, StanceReport};
pub use frames::{Frame, Frames, Role};
pub use head::{feature_count, pair_features, train_stance_head, RuleSignals, StanceHead, StanceHeadConfig, HEAD_FILE};
pub use lexicon::{verb_candidates, Lexicon, Scope};
pub use summary::{summarize, ActorStance, StanceSummary, StrongSentence};
pub use train::{
    calibrate, collect_training_pairs, fit_head, newsmtsc_pairs, read_training_pairs, score_pairs, train_from_dumps, train_stance,
    training_pairs, write_training_pairs, DumpTrainConfig, DumpTrainReport, PairScores, StanceTrainConfig, StanceTrainReport, TrainingPair,
};

use crate::doc::{Claim, Document, Pos, Sentence, Span, Stance, StanceHolder, StanceLabel, Text};
use crate::error::{Error, Result};
use crate::stage::DocumentStage;
use std::path::{Path, PathBuf};

/// Subdirectory of the models directory holding the stance files.
pub const MODEL_SUBDIR: &str = "stance";

/// Tunable weights of the scorer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Distance (in tokens) at which a polar word counts half.
    pub decay: f32,
    /// Weight of polar words outside the target's clause.
    pub other_clause: f32,
    /// Gain before squashing.
    pub gain: f32,
    /// |score| at or above which a stance is favor or against.
    pub threshold: f32,
}

impl Default for Params {
    fn default() -> Self {
        Params { decay: 5.0, other_clause: 1.0, gain: 1.0, threshold: 0.2 }
    }
}

/// What the rules made of one target.
#[derive(Debug, Clone)]
pub struct RuleStance {
    /// The rules' stance.
    pub stance: Stance,
    /// What they found.
    pub signals: RuleSignals,
    /// The head's input, when asked for and the sentence has contextual vectors.
    pub features: Option<Vec<f32>>,
    /// Which of the sentence's tokens that input reads.
    pub tokens: PairTokens,
}

/// The sentence tokens a target's input is pooled over (indices into the sentence's tokens):
/// what a tool that fine-tunes the encoder needs to pool its own vectors the same way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PairTokens {
    /// The target's first token.
    pub ts: usize,
    /// One past its last token.
    pub te: usize,
    /// The tokens the rules took as evidence.
    pub evidence: Vec<usize>,
}

/// The stance stage.
#[derive(Debug, Clone)]
pub struct StanceStage {
    lexicon: Lexicon,
    frames: Frames,
    /// User targets: the name as given and its lower-cased words.
    targets: Vec<(Box<str>, Vec<String>)>,
    params: Params,
    /// The learned head, when `models/stance/head.bin` exists.
    head: Option<StanceHead>,
    head_path: PathBuf,
    /// Only entities that are actors become targets ([`actors::is_actor`]).
    actors_only: bool,
}

impl StanceStage {
    /// Reads the word lists and frames from `models_dir/stance/`; `targets` are names to look
    /// for in every sentence besides its entities (matched as whole words, case-insensitive).
    pub fn load(models_dir: &Path, targets: &[String]) -> Result<StanceStage> {
        let dir = models_dir.join(MODEL_SUBDIR);
        let lexicon = Lexicon::load(&dir)?;
        let frames = Frames::load(&dir.join("frames.tsv"))?;
        let mut users = Vec::new();
        for t in targets {
            let words: Vec<String> = t.split_whitespace().map(str::to_lowercase).collect();
            if words.is_empty() {
                return Err(Error::Usage(format!("empty stance target {t:?}")));
            }
            users.push((Box::from(t.trim()), words));
        }
        let head_path = dir.join(HEAD_FILE);
        let head = if head_path.exists() { Some(StanceHead::load(&head_path)?) } else { None };
        Ok(StanceStage { lexicon, frames, targets: users, params: Params::default(), head, head_path, actors_only: true })
    }

    /// Checks that the head reads what the NER model leaves: token vectors of `vector_dim`
    /// (`None`: the fast model leaves none, and the rules decide alone).
    pub fn for_vectors(self, vector_dim: Option<usize>) -> Result<StanceStage> {
        match (&self.head, vector_dim) {
            (Some(h), Some(dim)) if h.features() != feature_count(dim) => Err(Error::ModelCorrupt {
                path: self.head_path.clone(),
                reason: format!(
                    "reads {} features, the NER model's {dim}-dimensional vectors make {}: retrain it with `lesart train stance`",
                    h.features(),
                    feature_count(dim)
                ),
            }),
            _ => Ok(self),
        }
    }

    /// The same stage with the rules alone deciding (no learned head).
    pub fn without_head(mut self) -> StanceStage {
        self.head = None;
        self
    }

    /// The learned head, when loaded.
    pub fn head(&self) -> Option<&StanceHead> {
        self.head.as_ref()
    }

    /// The same stage with every named entity a target, actor or not (as before the actor
    /// filter; for measuring it).
    pub fn with_every_entity(mut self) -> StanceStage {
        self.actors_only = false;
        self
    }

    /// True when the learned head is loaded.
    pub fn has_head(&self) -> bool {
        self.head.is_some()
    }

    /// Replaces the scorer weights.
    pub fn with_params(mut self, params: Params) -> StanceStage {
        self.params = params;
        self
    }

    /// The scorer weights in use.
    pub fn params(&self) -> Params {
        self.params
    }

    /// Stances of one sentence; `claims` are the document's claims whose message or source
    /// touches the sentence.
    ///
    /// Where a frame names the target (*Kritik an X*, *X scheiterte*), the rules decide. For
    /// the other targets, with the learned head loaded and the sentence's contextual vectors at
    /// hand, the head gives the label and the score (favor minus against probability); without
    /// them the rules decide these too. A target the head calls neutral and whose actor
    /// probability is low is dropped ([`StanceHead::drops_target`]).
    pub fn sentence_stance(&self, text: &Text, sentence: &Sentence, claims: &[&Claim]) -> Vec<Stance> {
        let head = self.head.as_ref();
        self.rule_stances(text, sentence, claims, head.is_some())
            .into_iter()
            .filter_map(|RuleStance { mut stance, signals, features, .. }| {
                let (Some(h), Some(x)) = (head, features) else { return Some(stance) };
                if let Some((label, score, probability)) = h.predict(&x).filter(|_| !signals.framed) {
                    if h.drops_target(&x, label) {
                        return None;
                    }
                    stance.label = label;
                    stance.score = score;
                    stance.probability = Some(probability);
                }
                match h.holder_is_source(&x, stance.holder == StanceHolder::Source) {
                    Some(false) => (stance.holder, stance.holder_span) = (StanceHolder::Author, None),
                    Some(true) if stance.holder == StanceHolder::Author => stance.holder = StanceHolder::Source,
                    _ => {}
                }
                Some(stance)
            })
            .collect()
    }

    /// The rules' stance on each target of a sentence, what they found, and, when `features`
    /// is asked for and the sentence has contextual vectors, the head's input.
    pub fn rule_stances(&self, text: &Text, sentence: &Sentence, claims: &[&Claim], features: bool) -> Vec<RuleStance> {
        let mut toks = views(text, sentence);
        self.mark_past_tense_verbs(&mut toks);
        if toks.is_empty() {
            return Vec::new();
        }
        let targets = self.find_targets(text, sentence, &toks);
        self.stances_of(sentence, claims, &toks, &targets, features)
    }

    /// The rules' stance on given spans of a sentence (gold targets, as training and the
    /// evaluation on NewsMTSC read them) with the head's input; spans outside the sentence's
    /// tokens are left out.
    pub fn rule_stances_on(&self, text: &Text, sentence: &Sentence, claims: &[&Claim], spans: &[Span]) -> Vec<RuleStance> {
        let mut toks = views(text, sentence);
        self.mark_past_tense_verbs(&mut toks);
        let targets: Vec<Target> = spans
            .iter()
            .filter_map(|&span| {
                let ts = toks.partition_point(|t| t.span.end <= span.start);
                let te = toks.partition_point(|t| t.span.start < span.end);
                (ts < te).then(|| Target { name: text.slice(span).into(), span, ts, te })
            })
            .collect();
        self.stances_of(sentence, claims, &toks, &targets, true)
    }

    /// The rules' stance on each of `targets`, with the head's input when asked for.
    fn stances_of(&self, sentence: &Sentence, claims: &[&Claim], toks: &[Tok], targets: &[Target], features: bool) -> Vec<RuleStance> {
        if targets.is_empty() {
            return Vec::new();
        }
        let a = self.analyse(toks, targets);
        let vectors = sentence.vectors.as_ref().filter(|_| features);
        let words: Vec<bool> = toks.iter().map(|t| t.word).collect();
        targets
            .iter()
            .enumerate()
            .map(|(k, t)| {
                let (stance, signals) = self.stance_for(k, t, toks, &a, claims);
                let evidence: Vec<usize> = stance.evidence.iter().map(|e| toks.partition_point(|t| t.span.start < e.start)).collect();
                let features = vectors.and_then(|v| pair_features(&v.side, &words, t.ts, t.te, &evidence, &signals, self.params.threshold));
                RuleStance { stance, signals, features, tokens: PairTokens { ts: t.ts, te: t.te, evidence } }
            })
            .collect()
    }

    /// Past-tense forms of trigger verbs that the morphology read as adjectives (*Bloomberg
    /// kritisierte Gillibrand*) become finite verbs, unless a noun or adjective follows
    /// (*die kritisierte Reform*) or the clause already has its finite verb.
    fn mark_past_tense_verbs(&self, toks: &mut [Tok]) {
        for i in 0..toks.len() {
            let t = &toks[i];
            if t.pos != Some(Pos::ADJ) || !(t.lower.ends_with("te") || t.lower.ends_with("ten")) {
                continue;
            }
            let attributive = toks.get(i + 1).is_some_and(|n| matches!(n.pos, Some(Pos::NOUN | Pos::ADJ)));
            let has_finite = toks[..i].iter().rev().take_while(|p| !p.brk).any(|p| p.finite);
            let trigger = verb_candidates(&t.lower).iter().any(|v| self.frames.lookup(v, Some(v)).is_some());
            if trigger && !attributive && !has_finite {
                toks[i].finite = true;
                toks[i].pos = Some(Pos::VERB);
            }
        }
    }

    fn find_targets(&self, text: &Text, sentence: &Sentence, toks: &[Tok]) -> Vec<Target> {
        let mut out: Vec<Target> = Vec::new();
        for (name, words) in &self.targets {
            let n = words.len();
            for i in 0..toks.len().saturating_sub(n - 1) {
                if (0..n).all(|k| toks[i + k].lower == words[k]) {
                    let span = Span::new(toks[i].span.start, toks[i + n - 1].span.end);
                    out.push(Target { name: name.clone(), span, ts: i, te: i + n });
                }
            }
        }
        for e in &sentence.entities {
            if out.iter().any(|t| t.span.overlaps(e.span)) {
                continue;
            }
            let ts = toks.partition_point(|t| t.span.end <= e.span.start);
            let te = toks.partition_point(|t| t.span.start < e.span.end).max(ts + 1).min(toks.len());
            if ts >= toks.len() {
                continue;
            }
            let previous = ts.checked_sub(1).map_or("", |i| toks[i].lower.as_str());
            if self.actors_only && !actors::is_actor(&actors::Mention::of(text, e, previous)) {
                continue;
            }
            out.push(Target { name: text.slice(e.span).into(), span: e.span, ts, te });
        }
        out.sort_by_key(|t| t.span);
        out
    }

    /// The sentence read for stance: clauses, each word's polarity after shifters and
    /// negation, and which targets the frames' triggers are about.
    fn analyse(&self, toks: &[Tok], targets: &[Target]) -> Analysis {
        let in_target = |i: usize| targets.iter().any(|t| t.ts <= i && i < t.te);
        let clause = clauses(toks);
        let mut base = self.prior_polarity(toks, &in_target);
        let separable = self.separable_verbs(toks, &clause, &mut base);
        let mut factor = vec![1f32; toks.len()];
        for i in 0..toks.len() {
            self.intensify(toks, &clause, i, &mut base, &mut factor);
            self.shift(toks, &clause, i, &mut base, &mut factor);
            self.negate(toks, &clause, i, &mut factor);
        }
        let pol: Vec<f32> = base.iter().zip(&factor).map(|(b, f)| b * f).collect();
        let subjects = subject_regions(toks, &clause);
        let mut found = FrameHits {
            hits: vec![Vec::new(); targets.len()],
            agent_of: passive_agents(toks, &clause, targets),
            consumed: vec![false; toks.len()],
            speaker: vec![None; targets.len()],
            said: vec![None; targets.len()],
        };
        let reading = Reading { toks, clause: &clause, subjects: &subjects };
        for (i, t) in toks.iter().enumerate() {
            if !t.word || in_target(i) {
                continue;
            }
            let sep = separable[i].as_deref();
            let Some(frames) = sep.and_then(|l| self.frames.lookup(l, Some(l))).or_else(|| self.frames.lookup(t.form, t.lemma)) else {
                continue;
            };
            // Whether the trigger is passive is the trigger's, not its frames': asked once.
            let passive = is_passive(toks, &clause, i);
            for f in frames {
                reading.apply_frame(f, i, passive, factor[i], targets, &mut found);
            }
        }
        let FrameHits { hits, agent_of, consumed, speaker, said } = found;
        Analysis { clause, pol, hits, agent_of, consumed, speaker, said }
    }

    /// Each word's polarity from the lexicon; targets and negators have none.
    fn prior_polarity(&self, toks: &[Tok], in_target: &dyn Fn(usize) -> bool) -> Vec<f32> {
        let mut base = vec![0f32; toks.len()];
        for (i, t) in toks.iter().enumerate() {
            if !t.word || in_target(i) || self.lexicon.negator(&t.lower).is_some() {
                continue;
            }
            if let Some(v) = self.lexicon.polarity(t.form, t.lemma, t.pos == Some(Pos::NOUN)) {
                base[i] = v;
            }
        }
        base
    }

    /// Separable verbs: *warf … vor → vorwerfen*, the particle closing the clause. Returns the
    /// joined lemma at each finite verb that has a frame, and gives the verb its polarity.
    fn separable_verbs(&self, toks: &[Tok], clause: &[usize], base: &mut [f32]) -> Vec<Option<String>> {
        let n = toks.len();
        let mut separable: Vec<Option<String>> = vec![None; n];
        for (i, t) in toks.iter().enumerate() {
            if !t.finite {
                continue;
            }
            let last = (i + 1..n).take_while(|&j| clause[j] == clause[i]).filter(|&j| toks[j].word).last();
            if let (Some(j), Some(lemma)) = (last, t.lemma) {
                if matches!(toks[j].lower.as_str(), "vor" | "an" | "ab" | "aus" | "zu" | "zurück" | "fest" | "los" | "auf" | "ein" | "bei")
                {
                    let full = format!("{}{}", toks[j].lower, lemma);
                    if self.frames.lookup(&full, Some(&full)).is_some() {
                        base[i] = self.lexicon.polarity(&full, Some(&full), false).unwrap_or(base[i]);
                        separable[i] = Some(full);
                    }
                }
            }
        }
        separable
    }

    /// An intensifier at `i` (*sehr*) scales the next polar word of its clause within two
    /// words, and has no polarity of its own.
    fn intensify(&self, toks: &[Tok], clause: &[usize], i: usize, base: &mut [f32], factor: &mut [f32]) {
        let n = toks.len();
        if let Some(f) = self.lexicon.intensifier(&toks[i].lower) {
            if let Some(j) = (i + 1..n.min(i + 3)).find(|&j| base[j] != 0.0 && clause[j] == clause[i]) {
                factor[j] *= f;
                base[i] = 0.0;
            }
        }
    }

    /// A shifter at `i` (*Ende, Mangel an*) turns the next polar word of its clause within three
    /// words around; a noun shifts only what it governs: *Ende der Kritik*, not *am Ende
    /// gewann*.
    fn shift(&self, toks: &[Tok], clause: &[usize], i: usize, base: &mut [f32], factor: &mut [f32]) {
        let (n, t) = (toks.len(), &toks[i]);
        let lemma_lower = t.lemma.map(str::to_lowercase);
        if !(self.lexicon.is_shifter(&t.lower) || lemma_lower.as_deref().is_some_and(|l| self.lexicon.is_shifter(l))) {
            return;
        }
        let governs = t.pos != Some(Pos::NOUN)
            || toks.get(i + 1).is_some_and(|n| matches!(n.lower.as_str(), "der" | "des" | "von" | "vom" | "eines" | "einer" | "an"));
        if let Some(j) = (i + 1..n.min(i + 4)).find(|&j| governs && base[j] != 0.0 && clause[j] == clause[i]) {
            factor[j] *= -1.0;
            base[i] = 0.0;
        }
    }

    /// A negator at `i` scales what it scopes over: the rest of its clause and the finite verb
    /// before it (*Er gewann nicht.*), or the noun phrase after it (*kein Erfolg*); *nicht nur …
    /// sondern auch* does not negate.
    fn negate(&self, toks: &[Tok], clause: &[usize], i: usize, factor: &mut [f32]) {
        let n = toks.len();
        let Some((scope, f)) = self.lexicon.negator(&toks[i].lower) else { return };
        if toks.get(i + 1).is_some_and(|n| n.lower == "nur") {
            return;
        }
        match scope {
            Scope::Clause => {
                for j in (i + 1..n).take_while(|&j| clause[j] == clause[i]) {
                    factor[j] *= f;
                }
                if let Some(v) = (0..i).rev().take_while(|&j| clause[j] == clause[i]).find(|&j| toks[j].finite) {
                    factor[v] *= f;
                }
            }
            Scope::NounPhrase => {
                for j in (i + 1..n.min(i + 5)).take_while(|&j| clause[j] == clause[i]) {
                    factor[j] *= f;
                    if matches!(toks[j].pos, Some(Pos::NOUN | Pos::PROPN)) {
                        break;
                    }
                }
            }
        }
    }

    fn stance_for(&self, k: usize, t: &Target, toks: &[Tok], a: &Analysis, claims: &[&Claim]) -> (Stance, RuleSignals) {
        let p = self.params;
        let own: Vec<&&Claim> = claims.iter().filter(|c| c.source.is_some_and(|s| s.overlaps(t.span))).collect();
        let tc = a.clause[t.ts];
        let (mut loose, mut loose_evidence) = (0.0, Vec::new());
        let (mut positive, mut negative) = (0.0, 0.0);
        for (j, &v) in a.pol.iter().enumerate() {
            if v == 0.0 || a.consumed[j] {
                continue;
            }
            // The critic gets nothing from what it criticises.
            if a.agent_of[k] && a.clause[j] == tc {
                continue;
            }
            if own.iter().any(|c| c.message.iter().any(|m| m.contains(toks[j].span))) {
                continue;
            }
            let d = if j < t.ts { t.ts - j } else { j.saturating_sub(t.te - 1) } as f32;
            let w = 1.0 / (1.0 + d / p.decay) * if a.clause[j] == tc { 1.0 } else { p.other_clause };
            loose += v * w;
            loose_evidence.push(j);
            if a.clause[j] == tc {
                if v > 0.0 {
                    positive += 1.0;
                } else {
                    negative += 1.0;
                }
            }
        }
        let frames: f32 = a.hits[k].iter().map(|h| h.0).sum();
        let (sum, evidence) =
            if a.hits[k].is_empty() { (loose, loose_evidence) } else { (frames * 1.5, a.hits[k].iter().map(|h| h.1).collect()) };
        let score = (sum * p.gain).tanh();
        let label = StanceLabel::from_score(score, p.threshold);
        let evidence: Vec<Span> = evidence.iter().map(|&j| toks[j].span).collect();
        let (holder, holder_span) = match (a.said[k], a.speaker[k]) {
            (Some(s), _) if !a.hits[k].is_empty() => (StanceHolder::Source, Some(s)),
            (_, Some(s)) => (StanceHolder::Source, Some(s)),
            _ => holder(t.span, &evidence, claims),
        };
        let signals = RuleSignals {
            score,
            frames,
            loose,
            positive,
            negative,
            agent: a.agent_of[k],
            speaker: a.speaker[k].is_some(),
            spoken_of: a.said[k].is_some(),
            source: !own.is_empty(),
            framed: !a.hits[k].is_empty(),
        };
        (Stance { target: t.name.clone(), span: t.span, label, score, probability: None, evidence, holder, holder_span }, signals)
    }
}

/// True when the verb at `i` is a participle of a passive: a form of *werden* in its clause,
/// or, when a relative clause comes between (*wurden 17 Teilnehmer, die …, von den Taliban
/// enthauptet*), earlier in the sentence with no finite verb of the participle's own clause
/// before it. A participle the morphology also reads as finite (*enthauptet*) counts when
/// it closes its clause.
fn is_passive(toks: &[Tok], clause: &[usize], i: usize) -> bool {
    let is_werden = |t: &Tok| t.lemma == Some("werden") || matches!(t.lower.as_str(), "wurde" | "wurden" | "worden" | "wird");
    let closes_clause = (i + 1..toks.len()).take_while(|&j| clause[j] == clause[i]).all(|j| !toks[j].word);
    if toks[i].finite && !closes_clause {
        return false;
    }
    let same_clause = (0..toks.len()).any(|j| j != i && clause[j] == clause[i] && is_werden(&toks[j]));
    let own_finite = (0..i).any(|j| clause[j] == clause[i] && toks[j].finite);
    // A clause of its own (*…, weil X Y tötet*) has an active verb.
    let subordinate =
        (0..i).find(|&j| clause[j] == clause[i] && toks[j].word).is_some_and(|j| matches!(toks[j].pos, Some(Pos::SCONJ | Pos::PRON)));
    same_clause || (!own_finite && !subordinate && (0..i).any(|j| is_werden(&toks[j])))
}

/// True when the target starting at `start` is in the agent phrase of a passive (*von X*,
/// *vom Präsidenten X*, *durch Verbände der X*).
fn passive_agent(toks: &[Tok], start: usize) -> bool {
    let np_start = (start.saturating_sub(6)..start)
        .rev()
        .take_while(|&j| matches!(toks[j].pos, Some(Pos::DET | Pos::ADJ | Pos::NOUN | Pos::PROPN | Pos::NUM)))
        .last()
        .unwrap_or(start);
    np_start > 0 && matches!(toks[np_start - 1].lower.as_str(), "von" | "durch" | "vom")
}

/// True when the noun phrase holding the token at `start` follows a preposition (*in der
/// Zeitung X*, *gegenüber dem Sender X*): there it is no object of the clause's verb.
fn in_prepositional_phrase(toks: &[Tok], start: usize) -> bool {
    let mut j = start;
    loop {
        while j > 0 && matches!(toks[j - 1].pos, Some(Pos::ADJ | Pos::NOUN | Pos::PROPN | Pos::NUM)) {
            j -= 1;
        }
        // The article opens the noun phrase: *in Moskau die Schweiz* has two. A genitive
        // article after a noun (*am Campus der Uni X*) opens an attribute: go on to its head.
        if j > 0 && toks[j - 1].pos == Some(Pos::DET) {
            j -= 1;
            let genitive = matches!(toks[j].lower.as_str(), "der" | "des" | "eines" | "einer");
            if genitive && j > 0 && matches!(toks[j - 1].pos, Some(Pos::NOUN | Pos::PROPN)) {
                continue;
            }
        }
        return j > 0 && toks[j - 1].pos == Some(Pos::ADP);
    }
}

/// How far after a trigger its preposition may come: right after a noun (*Kritik an*), anywhere
/// in the clause after a verb (*siegte am Samstag gegen*).
fn reach(verb: bool) -> usize {
    if verb {
        20
    } else {
        3
    }
}

/// Whose stance it is: the source of the claim whose message holds most of the evidence, or
/// the target itself when there is none; else the author.
fn holder(target: Span, evidence: &[Span], claims: &[&Claim]) -> (StanceHolder, Option<Span>) {
    let inside = |c: &Claim, s: Span| c.message.iter().any(|m| m.contains(s));
    let best = claims
        .iter()
        .filter(|c| !c.source.is_some_and(|s| s.overlaps(target)))
        .map(|c| (c, if evidence.is_empty() { usize::from(inside(c, target)) } else { evidence.iter().filter(|&&e| inside(c, e)).count() }))
        .filter(|(_, n)| *n > 0)
        .max_by_key(|(_, n)| *n);
    match best {
        Some((c, n)) if evidence.is_empty() || 2 * n >= evidence.len() => (StanceHolder::Source, c.source),
        // Reported speech carries its source's stance even where the evidence lies outside
        // the message (*X kritisierte Y*: the verb is the cue).
        _ => match claims.iter().find(|c| !c.message.is_empty()) {
            Some(c) => (StanceHolder::Source, c.source.filter(|s| !s.overlaps(target)).or(c.source)),
            None => (StanceHolder::Author, None),
        },
    }
}

struct Target {
    name: Box<str>,
    span: Span,
    /// First token.
    ts: usize,
    /// One past the last token.
    te: usize,
}

struct Analysis {
    clause: Vec<usize>,
    pol: Vec<f32>,
    /// Frame hits per target: polarity and trigger token.
    hits: Vec<Vec<(f32, usize)>>,
    /// Targets that are the subject of an evaluative verb.
    agent_of: Vec<bool>,
    /// Trigger tokens a frame already used.
    consumed: Vec<bool>,
    /// Targets that are the subject of a verb of speaking: their own span.
    speaker: Vec<Option<Span>>,
    /// Targets that are the object of a verb of speaking: the subject's span.
    said: Vec<Option<Span>>,
}

struct Tok<'a> {
    span: Span,
    form: &'a str,
    lower: String,
    lemma: Option<&'a str>,
    pos: Option<Pos>,
    finite: bool,
    word: bool,
    brk: bool,
}

/// What the frames found, per target ([`Analysis`] has the meaning of each).
struct FrameHits {
    hits: Vec<Vec<(f32, usize)>>,
    agent_of: Vec<bool>,
    consumed: Vec<bool>,
    speaker: Vec<Option<Span>>,
    said: Vec<Option<Span>>,
}

/// The agent of a passive (*wurde von X abgesagt*) gets nothing from its clause: true for
/// each target that follows *von, vom, durch* in a clause with a form of *werden*.
fn passive_agents(toks: &[Tok], clause: &[usize], targets: &[Target]) -> Vec<bool> {
    targets
        .iter()
        .map(|tg| {
            let by = tg.ts > 0 && matches!(toks[tg.ts - 1].lower.as_str(), "von" | "vom" | "durch");
            let c = clause[tg.ts];
            by && (0..toks.len())
                .any(|j| clause[j] == c && matches!(toks[j].lower.as_str(), "wurde" | "wurden" | "worden" | "wird" | "werden"))
        })
        .collect()
}

/// What a target is to an object frame's verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ObjectRole {
    /// The one who acts: the active subject or the passive's *von/durch* phrase.
    Agent,
    /// What the verb is done to: another target of the clause, outside a prepositional phrase.
    Patient,
    /// Neither (another clause, or inside a prepositional phrase).
    Neither,
}

/// A sentence as the frames read it: tokens, their clauses and each clause's subject region.
struct Reading<'r, 'a> {
    toks: &'r [Tok<'a>],
    clause: &'r [usize],
    subjects: &'r [Option<(usize, usize)>],
}

impl Reading<'_, '_> {
    /// Applies frame `f` of the trigger at `i` (`passive` when the trigger is; scaled by its
    /// shift `factor`) to every target whose slot it fills.
    fn apply_frame(&self, f: &Frame, i: usize, passive: bool, factor: f32, targets: &[Target], found: &mut FrameHits) {
        let (toks, clause) = (self.toks, self.clause);
        let verb = toks[i].pos != Some(Pos::NOUN);
        // A filled slot owns the trigger even when what fills it is no target: the *Kritik an
        // der Reform* is not about whoever stands nearby.
        let owned = match f.role {
            Role::Prep => (i + 1..toks.len().min(i + reach(verb))).any(|p| f.prep.as_deref() == Some(toks[p].lower.as_str())),
            Role::Object | Role::Genitive | Role::Subject => false,
        };
        found.consumed[i] |= owned;
        let pol_f = f.polarity * factor.clamp(-1.0, 1.5);
        for (k, tg) in targets.iter().enumerate() {
            let hit = match f.role {
                Role::Prep => self.after_preposition(f, i, verb, tg.ts),
                Role::Genitive => self.genitive_of(i, tg.ts),
                // *wurden von den Taliban enthauptet*: the passive's agent did it.
                Role::Subject if passive => clause[tg.ts] == clause[i] && passive_agent(toks, tg.ts),
                Role::Subject => self.is_subject(i, tg.ts),
                Role::Object => match self.object_role(i, passive, tg.ts) {
                    ObjectRole::Agent => {
                        found.agent_of[k] = true;
                        // With its agent found, the verb is about its object, whoever that
                        // is: not about a newspaper it was said in.
                        found.consumed[i] = true;
                        if f.say {
                            found.speaker[k] = Some(tg.span);
                        }
                        false
                    }
                    ObjectRole::Patient => true,
                    ObjectRole::Neither => false,
                },
            };
            if hit {
                if f.role == Role::Object && f.say {
                    // The subject of a verb of speaking holds the stance.
                    found.said[k] = self.subjects[clause[i]]
                        .map(|(a, b)| Span::new(toks[a].span.start, toks[b.max(a + 1) - 1].span.end))
                        .or(found.said[k]);
                }
                found.hits[k].push((pol_f, i));
                found.consumed[i] = true;
            }
        }
    }

    /// The subject region lies in the verb's clause, or is the noun phrase that opens the
    /// sentence when an apposition comes between (*X, die Sprecherin der Partei, kritisierte*).
    fn is_subject(&self, i: usize, ts: usize) -> bool {
        let clause = self.clause;
        self.subjects[clause[i]].is_some_and(|(a, b)| a <= ts && ts < b && (clause[ts] == clause[i] || clause[ts] == clause[a]))
    }

    /// The target starts within four words after the frame's preposition, in the trigger's
    /// clause, with no break or finite verb between (*Kritik an der Regierung*).
    fn after_preposition(&self, f: &Frame, i: usize, verb: bool, ts: usize) -> bool {
        let (toks, clause) = (self.toks, self.clause);
        (i + 1..toks.len().min(i + reach(verb)))
            .find(|&p| clause[p] == clause[i] && f.prep.as_deref() == Some(toks[p].lower.as_str()))
            .is_some_and(|p| ts > p && ts <= p + 4 && (p + 1..ts).all(|j| !toks[j].brk && !toks[j].finite))
    }

    /// The target follows the trigger as its genitive: right after it, or after *des, der,
    /// eines, einer* within three words (*Rücktritt des Ministers*).
    fn genitive_of(&self, i: usize, ts: usize) -> bool {
        let toks = self.toks;
        ts > i
            && ts <= i + 3
            && (i + 1..ts).all(|j| !toks[j].brk && !toks[j].finite)
            && (ts == i + 1 || matches!(toks[i + 1].lower.as_str(), "des" | "der" | "eines" | "einer"))
    }

    /// Agent or patient of the verb at `i`: the agent is the active subject or the passive's
    /// *von/durch* phrase; any other target of the clause is what the verb is done to
    /// (*Gestern wurde der Vorstand X verhaftet*). A participle with *von X* is passive even
    /// without *werden* (*unterstützt von Verbänden der NATO*).
    fn object_role(&self, i: usize, passive: bool, ts: usize) -> ObjectRole {
        let same_clause = self.clause[ts] == self.clause[i];
        let agent = if !self.toks[i].finite && same_clause && passive_agent(self.toks, ts) {
            true
        } else if passive {
            false
        } else {
            self.is_subject(i, ts)
        };
        if agent {
            ObjectRole::Agent
        } else if same_clause && !in_prepositional_phrase(self.toks, ts) {
            ObjectRole::Patient
        } else {
            ObjectRole::Neither
        }
    }
}

fn views<'a>(text: &'a Text, sentence: &'a Sentence) -> Vec<Tok<'a>> {
    sentence
        .tokens
        .iter()
        .map(|t| {
            let form = text.slice(t.span);
            let m = t.morph.as_ref();
            Tok {
                span: t.span,
                form,
                lower: form.to_lowercase(),
                lemma: m.map(|m| &*m.lemma),
                pos: m.map(|m| m.pos),
                finite: m.is_some_and(|m| m.mood.is_some()),
                word: form.chars().any(char::is_alphanumeric),
                brk: matches!(form, "," | ";" | ":" | "–" | "—" | "(" | ")"),
            }
        })
        .collect()
}

/// The clause of each token: a new clause begins at punctuation that ends one; a parenthesis
/// is a clause of its own, after which the clause around it goes on, so that *Roger Federer
/// (Schweiz) siegte* keeps its subject next to its verb.
fn clauses(toks: &[Tok]) -> Vec<usize> {
    let mut clause = Vec::with_capacity(toks.len());
    let mut next = 0;
    let mut current = 0;
    let mut outer: Vec<usize> = Vec::new();
    for t in toks {
        match t.form {
            "(" => {
                outer.push(current);
                next += 1;
                current = next;
            }
            ")" if !outer.is_empty() => {}
            _ if t.brk => {
                next += 1;
                current = next;
            }
            _ => {}
        }
        clause.push(current);
        if t.form == ")" {
            if let Some(c) = outer.pop() {
                current = c;
            }
        }
    }
    clause
}

/// Token range of each clause's subject: before the finite verb, or just after it when the
/// clause opens with an adverbial (*Gestern drohte Nordkorea …*); after the conjunction in a
/// verb-final clause.
fn subject_regions(toks: &[Tok], clause: &[usize]) -> Vec<Option<(usize, usize)>> {
    let nc = clause.iter().max().map_or(0, |c| c + 1);
    let mut out = vec![None; nc];
    let is_np = |t: &Tok| matches!(t.pos, Some(Pos::NOUN | Pos::PROPN | Pos::PRON));
    for (c, slot) in out.iter_mut().enumerate() {
        let idx: Vec<usize> = (0..toks.len()).filter(|&i| clause[i] == c && toks[i].word).collect();
        let Some(&first) = idx.first() else { continue };
        let fv = idx.iter().copied().find(|&i| toks[i].finite);
        let opener = toks[first].pos;
        let np_end = |from: usize| idx.iter().copied().filter(|&i| i >= from).find(|&i| is_np(&toks[i])).map(|i| i + 1);
        *slot = match (opener, fv) {
            (Some(Pos::SCONJ), _) | (Some(Pos::PRON), Some(_)) if fv.is_some_and(|v| v == *idx.last().unwrap_or(&first)) => {
                np_end(first + 1).map(|e| (first + 1, e))
            }
            // *Im Frühjahr erhielt X*; but *auch Präsident X verurteilte* keeps its subject.
            (Some(Pos::ADP), Some(v)) if v > first => np_end(v + 1).map(|e| (v + 1, e.min(v + 4))),
            (Some(Pos::ADV | Pos::SCONJ | Pos::CCONJ), Some(v)) if v > first && !(first..v).any(|i| is_np(&toks[i])) => {
                np_end(v + 1).map(|e| (v + 1, e.min(v + 4)))
            }
            (_, Some(v)) if v > first => Some((first, v)),
            (_, Some(v)) => fronted_subject(toks, clause, v).or_else(|| np_end(v + 1).map(|e| (v + 1, e.min(v + 4)))),
            (_, None) => np_end(first).map(|e| (first, e)),
        };
    }
    out
}

/// The subject of a clause that opens with its finite verb at `verb` after an apposition or
/// relative clause (*Sadiq Khan, einer der Abgeordneten, verurteilte …*): the noun phrase that
/// opens the sentence, when its first clause has no verb of its own.
fn fronted_subject(toks: &[Tok], clause: &[usize], verb: usize) -> Option<(usize, usize)> {
    let first = toks.iter().position(|t| t.word)?;
    if clause[first] == clause[verb] || !matches!(toks[first].pos, Some(Pos::DET | Pos::ADJ | Pos::NOUN | Pos::PROPN)) {
        return None;
    }
    let end = (first..verb).take_while(|&j| clause[j] == clause[first]).last()? + 1;
    if (first..end).any(|j| toks[j].finite) || !toks[verb - 1].brk {
        return None;
    }
    Some((first, end))
}

/// Every claim of a document, copied out of its sentences (the stage writes to the sentences
/// while it reads claims that may lie in others).
pub(crate) fn document_claims(doc: &Document) -> Vec<Claim> {
    doc.sentences.iter().flat_map(|s| s.claims.iter().cloned()).collect()
}

/// The claims whose message or source touches the sentence.
pub(crate) fn claims_near(claims: &[Claim], span: Span) -> Vec<&Claim> {
    claims.iter().filter(|c| c.message.iter().any(|m| m.overlaps(span)) || c.source.is_some_and(|s| span.contains(s))).collect()
}

impl DocumentStage for StanceStage {
    fn name(&self) -> &'static str {
        "stance"
    }

    fn process(&self, doc: &mut Document) {
        let claims = document_claims(doc);
        let text = &doc.text;
        for sentence in &mut doc.sentences {
            if sentence.boilerplate {
                continue;
            }
            let near = claims_near(&claims, sentence.span);
            sentence.stance = self.sentence_stance(text, sentence, &near);
        }
    }
}

#[cfg(test)]
mod tests;
