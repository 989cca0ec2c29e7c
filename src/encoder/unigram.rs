//! The unigram subword model of `tokenizer.json` with its vocabulary in a finite-state map.
//!
//! The `tokenizers` crate builds its unigram model as a hash map from each of XLM-R's 250,002
//! subwords to its id plus a trie with a hash map in every node: 214 MB of hash tables, half of
//! the default pipeline's memory. [`FstUnigram`] keeps the subwords in an [`fst::Map`] (a few
//! MB), their strings in one buffer and their scores in one array, and segments with the same
//! Viterbi search as `tokenizers` (SentencePiece's optimised unigram decoding: the best-scoring
//! path over the vocabulary's prefixes at each character, an unknown character scored the lowest
//! score minus 10, runs of unknown characters fused into one token). The normaliser,
//! pre-tokeniser and added tokens stay those of `tokenizers`, read from the same file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use fst::raw::Output;
use serde::Deserialize;
use tokenizers::decoders::DecoderWrapper;
use tokenizers::models::unigram::UnigramTrainer;
use tokenizers::normalizers::NormalizerWrapper;
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::processors::PostProcessorWrapper;
use tokenizers::{AddedToken, Model, Token, TokenizerImpl};

/// Score below the vocabulary's lowest that an unknown character gets (as in `tokenizers`).
const UNKNOWN_PENALTY: f64 = 10.0;

/// A tokenizer with the unigram model of this module.
pub type CompactTokenizer = TokenizerImpl<FstUnigram, NormalizerWrapper, PreTokenizerWrapper, PostProcessorWrapper, DecoderWrapper>;

/// A unigram subword model over an `fst` vocabulary.
#[derive(Debug, Clone)]
pub struct FstUnigram {
    /// Subword → id (for duplicated subwords, the last id, as `tokenizers` keeps).
    ids: fst::Map<Vec<u8>>,
    /// All subwords, concatenated; `bounds[id]..bounds[id + 1]` is subword `id`.
    text: String,
    bounds: Vec<usize>,
    scores: Vec<f64>,
    unknown_id: usize,
    unknown_score: f64,
}

/// The parts of `tokenizer.json` a [`CompactTokenizer`] is built from.
#[derive(Deserialize)]
struct TokenizerFile {
    #[serde(default)]
    added_tokens: Vec<AddedEntry>,
    normalizer: Option<NormalizerWrapper>,
    pre_tokenizer: Option<PreTokenizerWrapper>,
    post_processor: Option<PostProcessorWrapper>,
    decoder: Option<DecoderWrapper>,
    model: ModelEntry,
}

#[derive(Deserialize)]
struct AddedEntry {
    #[serde(flatten)]
    token: AddedToken,
}

#[derive(Deserialize)]
struct ModelEntry {
    #[serde(rename = "type")]
    kind: String,
    unk_id: Option<usize>,
    vocab: Vec<(String, f64)>,
    #[serde(default)]
    byte_fallback: bool,
}

/// Reads a unigram `tokenizer.json` into a [`CompactTokenizer`]; the reason when the file is
/// not JSON, not a unigram model, has no unknown token or falls back to bytes (which this model
/// does not do).
pub fn read_tokenizer(bytes: &[u8]) -> Result<CompactTokenizer, String> {
    let file: TokenizerFile = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let model = &file.model;
    if model.kind != "Unigram" {
        return Err(format!("model type {:?}, not Unigram", model.kind));
    }
    if model.byte_fallback {
        return Err("a unigram model with byte fallback".into());
    }
    let unknown_id = model.unk_id.filter(|&id| id < model.vocab.len()).ok_or("no unknown token in the vocabulary")?;
    let unigram = FstUnigram::new(&file.model.vocab, unknown_id)?;
    let mut tokenizer = TokenizerImpl::new(unigram);
    tokenizer.with_normalizer(file.normalizer).map_err(|e| e.to_string())?;
    tokenizer.with_pre_tokenizer(file.pre_tokenizer).with_post_processor(file.post_processor).with_decoder(file.decoder);
    for entry in file.added_tokens {
        let added = if entry.token.special { tokenizer.add_special_tokens([entry.token]) } else { tokenizer.add_tokens([entry.token]) };
        added.map_err(|e| e.to_string())?;
    }
    Ok(tokenizer)
}

impl FstUnigram {
    /// The model over `vocab` (subword and log-probability, in id order).
    pub fn new(vocab: &[(String, f64)], unknown_id: usize) -> Result<FstUnigram, String> {
        let mut sorted: Vec<(&str, u64)> = vocab.iter().enumerate().map(|(id, (s, _))| (s.as_str(), id as u64)).collect();
        // Sorted by subword, the last id of a duplicated subword last; keep that one.
        sorted.sort();
        sorted.dedup_by(|later, earlier| {
            if later.0 == earlier.0 {
                earlier.1 = later.1;
                true
            } else {
                false
            }
        });
        let ids = fst::Map::from_iter(sorted).map_err(|e| e.to_string())?;
        let mut text = String::with_capacity(vocab.iter().map(|(s, _)| s.len()).sum());
        let mut bounds = Vec::with_capacity(vocab.len() + 1);
        bounds.push(0);
        for (s, _) in vocab {
            text.push_str(s);
            bounds.push(text.len());
        }
        let scores: Vec<f64> = vocab.iter().map(|(_, score)| *score).collect();
        let lowest = scores.iter().copied().fold(f64::INFINITY, f64::min);
        Ok(FstUnigram { ids, text, bounds, scores, unknown_id, unknown_score: lowest - UNKNOWN_PENALTY })
    }

    fn subword(&self, id: usize) -> Option<&str> {
        Some(&self.text[*self.bounds.get(id)?..*self.bounds.get(id + 1)?])
    }

    /// Calls `found(end, id)` for every subword that `sentence[start..]` begins with, shortest
    /// first.
    fn prefixes(&self, sentence: &str, start: usize, mut found: impl FnMut(usize, usize)) {
        let fst = self.ids.as_fst();
        let mut node = fst.root();
        let mut output = Output::zero();
        for (i, &byte) in sentence.as_bytes()[start..].iter().enumerate() {
            let Some(t) = node.find_input(byte) else { return };
            let transition = node.transition(t);
            output = output.cat(transition.out);
            node = fst.node(transition.addr);
            if node.is_final() {
                found(start + i + 1, output.cat(node.final_output()).value() as usize);
            }
        }
    }

    /// The best segmentation of `sentence` as byte ranges with their ids (`None`: unknown).
    fn segment(&self, sentence: &str) -> Vec<(usize, usize, Option<usize>)> {
        #[derive(Clone, Copy)]
        struct Best {
            score: f64,
            start: Option<usize>,
            id: Option<usize>,
        }
        let mut best = vec![Best { score: 0.0, start: None, id: None }; sentence.len() + 1];
        let offer = |best: &mut Vec<Best>, start: usize, end: usize, id: Option<usize>, score: f64| {
            let candidate = best[start].score + score;
            let target = &mut best[end];
            if target.start.is_none() || candidate > target.score {
                *target = Best { score: candidate, start: Some(start), id };
            }
        };
        for (start, c) in sentence.char_indices() {
            let char_end = start + c.len_utf8();
            let mut single = false;
            self.prefixes(sentence, start, |end, id| {
                offer(&mut best, start, end, Some(id), self.scores[id]);
                single |= end == char_end;
            });
            if !single {
                offer(&mut best, start, char_end, None, self.unknown_score);
            }
        }
        let mut pieces = Vec::new();
        let mut end = sentence.len();
        while end > 0 {
            let Some(start) = best[end].start else { break };
            pieces.push((start, end, best[end].id));
            end = start;
        }
        pieces.reverse();
        pieces
    }
}

impl Model for FstUnigram {
    type Trainer = UnigramTrainer;

    fn tokenize(&self, sentence: &str) -> tokenizers::Result<Vec<Token>> {
        let mut tokens: Vec<Token> = Vec::new();
        let mut unknown_from: Option<usize> = None;
        let pieces = self.segment(sentence);
        // The unknown token's own id counts as unknown, as in `tokenizers`.
        let known = |id: Option<usize>| id.filter(|&id| id != self.unknown_id);
        for (i, &(start, end, id)) in pieces.iter().enumerate() {
            match known(id) {
                // Runs of unknown characters become one token.
                None => {
                    let from = *unknown_from.get_or_insert(start);
                    if pieces.get(i + 1).is_none_or(|next| known(next.2).is_some()) {
                        let value = &sentence[from..end];
                        let id = self.token_to_id(value).unwrap_or(self.unknown_id as u32);
                        tokens.push(Token::new(id, value.to_string(), (from, end)));
                        unknown_from = None;
                    }
                }
                Some(id) => tokens.push(Token::new(id as u32, sentence[start..end].to_string(), (start, end))),
            }
        }
        Ok(tokens)
    }

    fn token_to_id(&self, token: &str) -> Option<u32> {
        self.ids.get(token).map(|id| id as u32)
    }

    fn id_to_token(&self, id: u32) -> Option<String> {
        self.subword(id as usize).map(str::to_string)
    }

    fn get_vocab(&self) -> HashMap<String, u32> {
        (0..self.scores.len()).filter_map(|id| Some((self.subword(id)?.to_string(), id as u32))).collect()
    }

    fn get_vocab_size(&self) -> usize {
        self.scores.len()
    }

    fn save(&self, _folder: &Path, _prefix: Option<&str>) -> tokenizers::Result<Vec<PathBuf>> {
        Err("the compact unigram model is read from tokenizer.json, not saved".into())
    }

    fn get_trainer(&self) -> UnigramTrainer {
        UnigramTrainer::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> FstUnigram {
        let vocab: Vec<(String, f64)> = [("<unk>", 0.0), ("a", -1.0), ("b", -2.0), ("ab", -2.5), ("abc", -9.0), ("c", -3.0), ("b", -1.5)]
            .iter()
            .map(|(s, p)| (s.to_string(), *p))
            .collect();
        FstUnigram::new(&vocab, 0).expect("model")
    }

    #[test]
    fn best_path_wins_and_duplicates_keep_the_last_id() {
        let m = model();
        let ids: Vec<u32> = m.tokenize("abc").expect("tokens").iter().map(|t| t.id).collect();
        // "ab" + "c" and "a" + "b" + "c" tie at -5.5 (the path found first stays); "abc" is -9.
        assert_eq!(ids, vec![3, 5]);
        assert_eq!(m.token_to_id("b"), Some(6));
        assert_eq!(m.id_to_token(4).as_deref(), Some("abc"));
    }

    #[test]
    fn unknown_characters_fuse_into_one_token() {
        let tokens = model().tokenize("aüöb").expect("tokens");
        let got: Vec<(u32, &str, (usize, usize))> = tokens.iter().map(|t| (t.id, t.value.as_str(), t.offsets)).collect();
        assert_eq!(got, vec![(1, "a", (0, 1)), (0, "üö", (1, 5)), (6, "b", (5, 6))]);
    }
}
