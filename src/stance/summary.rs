//! Stance per actor over a document: mean score, label counts and the strongest sentences.

use crate::doc::{Document, Span, Stance, StanceLabel};
use crate::ner::EntityGroup;
use serde::Serialize;
use std::collections::HashMap;

/// A sentence that carries a strong stance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct StrongSentence {
    /// The sentence.
    pub sentence: Span,
    /// Its stance score toward the actor.
    pub score: f32,
    /// Its text.
    pub text: String,
}

/// Stance toward one actor.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
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

impl ActorStance {
    /// Which way the actor's sentences lean: `favor` or `against` when there are more of that
    /// label than of the other, else `neutral`.
    pub fn leaning(&self) -> &'static str {
        match self.favor.cmp(&self.against) {
            std::cmp::Ordering::Greater => "favor",
            std::cmp::Ordering::Less => "against",
            std::cmp::Ordering::Equal => "neutral",
        }
    }
}

/// Stance toward every actor of a document, most mentioned first (the order of the groups).
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct StanceSummary {
    /// One entry per actor with at least one stance.
    pub actors: Vec<ActorStance>,
}

/// Aggregates the sentence stances of a document per entity group (a stance belongs to the
/// group one of whose mentions overlaps its span); stances on targets no group holds (those
/// named with `--target`) are aggregated by their name.
pub fn summarize(doc: &Document, groups: &[EntityGroup]) -> StanceSummary {
    // Every mention with its group, by position: a stance belongs to the groups whose mentions
    // its target overlaps.
    let mut mentions: Vec<(Span, usize)> =
        groups.iter().enumerate().flat_map(|(g, group)| group.mentions.iter().map(move |&m| (m, g))).collect();
    mentions.sort();
    let mut actors: Vec<Tally> = groups.iter().map(|g| Tally::new(&g.canonical)).collect();
    let mut others: HashMap<&str, usize> = HashMap::new();
    let mut seen: Vec<usize> = Vec::new();
    let mut of_stance: Vec<usize> = Vec::new();
    for s in &doc.sentences {
        seen.clear();
        for st in &s.stance {
            of_stance.clear();
            let first = mentions.partition_point(|(m, _)| m.end <= st.span.start);
            of_stance.extend(
                mentions[first..].iter().take_while(|(m, _)| m.start < st.span.end).filter(|(m, _)| m.overlaps(st.span)).map(|&(_, g)| g),
            );
            if of_stance.is_empty() {
                let next = actors.len();
                let other = *others.entry(&st.target).or_insert_with(|| {
                    actors.push(Tally::new(&st.target));
                    next
                });
                of_stance.push(other);
            }
            // One stance per sentence and actor: the first mention's.
            for &a in &of_stance {
                if !s.boilerplate && !seen.contains(&a) {
                    seen.push(a);
                    actors[a].add(s.span, st);
                }
            }
        }
    }
    StanceSummary { actors: actors.into_iter().filter_map(|t| t.finish(doc)).collect() }
}

/// An actor's stances as they are found.
struct Tally {
    actor: String,
    sum: f32,
    counts: [usize; 3],
    /// Sentences with a stance other than 0, and the score.
    polar: Vec<(Span, f32)>,
}

impl Tally {
    fn new(actor: &str) -> Tally {
        Tally { actor: actor.to_string(), sum: 0.0, counts: [0; 3], polar: Vec::new() }
    }

    fn add(&mut self, sentence: Span, st: &Stance) {
        self.sum += st.score;
        self.counts[match st.label {
            StanceLabel::Favor => 0,
            StanceLabel::Against => 1,
            StanceLabel::Neutral => 2,
        }] += 1;
        if st.score != 0.0 {
            self.polar.push((sentence, st.score));
        }
    }

    /// The actor's stance, with its three strongest sentences; `None` without any.
    fn finish(mut self, doc: &Document) -> Option<ActorStance> {
        let n: usize = self.counts.iter().sum();
        if n == 0 {
            return None;
        }
        self.polar.sort_by(|x, y| y.1.abs().total_cmp(&x.1.abs()).then(x.0.cmp(&y.0)));
        self.polar.truncate(3);
        Some(ActorStance {
            actor: self.actor,
            mean_score: self.sum / n as f32,
            favor: self.counts[0],
            against: self.counts[1],
            neutral: self.counts[2],
            strongest: self
                .polar
                .into_iter()
                .map(|(sentence, score)| StrongSentence { sentence, score, text: doc.text_of(sentence).to_string() })
                .collect(),
        })
    }
}
