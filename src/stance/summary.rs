//! Stance per actor over a document: mean score, label counts and the strongest sentences.

use crate::doc::{Document, Span, Stance, StanceLabel};
use crate::ner::EntityGroup;
use serde::Serialize;

/// A sentence that carries a strong stance.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StrongSentence {
    /// The sentence.
    pub sentence: Span,
    /// Its stance score toward the actor.
    pub score: f32,
    /// Its text.
    pub text: String,
}

/// Stance toward one actor.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ActorStance {
    /// The actor's canonical name.
    pub actor: String,
    /// Mean score over its sentences.
    pub mean_score: f32,
    /// Sentences labelled favor.
    pub favor: usize,
    /// Sentences labelled against.
    pub against: usize,
    /// Sentences labelled neutral.
    pub neutral: usize,
    /// Up to three sentences with the largest |score|, strongest first.
    pub strongest: Vec<StrongSentence>,
}

/// Stance toward every actor of a document, most mentioned first (the order of the groups).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StanceSummary {
    /// One entry per actor with at least one stance.
    pub actors: Vec<ActorStance>,
}

/// Aggregates the sentence stances of a document per entity group (a stance belongs to the
/// group one of whose mentions overlaps its span); stances on targets no group holds (those
/// named with `--target`) are aggregated by their name.
pub fn summarize(doc: &Document, groups: &[EntityGroup]) -> StanceSummary {
    let mut actors = Vec::new();
    for g in groups {
        let of_group = |st: &Stance| g.mentions.iter().any(|m| m.overlaps(st.span));
        if let Some(a) = actor_stance(doc, &g.canonical, of_group) {
            actors.push(a);
        }
    }
    let in_group = |st: &Stance| groups.iter().any(|g| g.mentions.iter().any(|m| m.overlaps(st.span)));
    let mut others: Vec<&str> = Vec::new();
    for st in doc.sentences.iter().flat_map(|s| &s.stance) {
        if !in_group(st) && !others.contains(&&*st.target) {
            others.push(&st.target);
        }
    }
    for name in others {
        if let Some(a) = actor_stance(doc, name, |st| !in_group(st) && &*st.target == name) {
            actors.push(a);
        }
    }
    StanceSummary { actors }
}

/// The stance toward one actor whose stances `belongs` picks out; `None` where it has none.
fn actor_stance(doc: &Document, name: &str, belongs: impl Fn(&Stance) -> bool) -> Option<ActorStance> {
    let mut a = ActorStance { actor: name.to_string(), ..Default::default() };
    let mut sum = 0.0;
    let mut strong: Vec<StrongSentence> = Vec::new();
    for s in doc.sentences.iter().filter(|s| !s.boilerplate) {
        // One stance per sentence and actor: the first mention's.
        let Some(st) = s.stance.iter().find(|st| belongs(st)) else { continue };
        sum += st.score;
        match st.label {
            StanceLabel::Favor => a.favor += 1,
            StanceLabel::Against => a.against += 1,
            StanceLabel::Neutral => a.neutral += 1,
        }
        strong.push(StrongSentence { sentence: s.span, score: st.score, text: doc.text_of(s.span).to_string() });
    }
    let n = a.favor + a.against + a.neutral;
    if n == 0 {
        return None;
    }
    a.mean_score = sum / n as f32;
    strong.retain(|s| s.score != 0.0);
    strong.sort_by(|x, y| y.score.abs().total_cmp(&x.score.abs()).then(x.sentence.cmp(&y.sentence)));
    strong.truncate(3);
    a.strongest = strong;
    Some(a)
}
