//! Encoder throughput: multilingual-e5-small on candle (and on rust-bert with `--features
//! torch`), words per second on one core.
//!
//! Encodes 256 sentences of GermEval 2014 dev (`../shared/data`; the sample corpus's sentences
//! when absent), sorted by length in batches of 16, tokenization and word alignment included.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lesart::encoder::{CandleEncoder, Encoder, SubwordTokenizer};
use lesart::{Config, Pipeline};
use std::ops::Range;
use std::path::PathBuf;

/// Sentences as lists of words.
fn sentences() -> Vec<Vec<String>> {
    let gold = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/germeval2014/NER-de-dev.tsv");
    if let Ok(text) = std::fs::read_to_string(&gold) {
        let mut out = Vec::new();
        let mut cur = Vec::new();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            match line.split('\t').nth(1) {
                Some(word) => cur.push(word.to_string()),
                None if !cur.is_empty() => out.push(std::mem::take(&mut cur)),
                None => {}
            }
        }
        return out.into_iter().take(256).collect();
    }
    let pipeline = Pipeline::new(&Config::default()).expect("models/ present");
    let text = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/politik-haushaltsstreit.txt"))
        .expect("sample corpus present");
    let doc = pipeline.analyze_text("bench", &text);
    doc.sentences.iter().map(|s| s.tokens.iter().map(|t| doc.text_of(t.span).to_string()).collect()).collect()
}

fn encoder(c: &mut Criterion) {
    // candle's own threads would share the one core; the figure is for one.
    std::env::set_var("RAYON_NUM_THREADS", "1");
    let dir = Config::default().models_dir.join("encoder");
    let model = CandleEncoder::load(dir.join("e5-small-q4_0.gguf")).expect("encoder weights present");
    let tokenizer = SubwordTokenizer::from_file(dir.join("tokenizer.json")).expect("tokenizer present");
    let sents = sentences();
    let words: usize = sents.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("encoder, one core, words");
    group.sample_size(10);
    group.throughput(Throughput::Elements(words as u64));
    group.bench_function("e5-small candle", |b| b.iter(|| encode_all(&model, &tokenizer, &sents)));
    #[cfg(feature = "torch")]
    {
        tch::set_num_threads(1);
        let torch = lesart::encoder::TorchEncoder::load(dir.join("e5-small-q4_0.gguf")).expect("encoder weights present");
        group.bench_function("e5-small rust-bert", |b| b.iter(|| encode_all(&torch, &tokenizer, &sents)));
    }
    group.finish();
}

/// Tokenizes and aligns every sentence, then encodes them sorted by length in batches of 16.
fn encode_all(model: &dyn Encoder, tokenizer: &SubwordTokenizer, sents: &[Vec<String>]) {
    let mut inputs: Vec<Vec<u32>> = sents
        .iter()
        .map(|s| {
            let text = s.join(" ");
            let mut spans: Vec<Range<usize>> = Vec::new();
            let mut at = 0;
            for w in s {
                let n = w.chars().count();
                spans.push(at..at + n);
                at += n + 1;
            }
            let mut ids = tokenizer.align_words(&text, &spans).expect("aligned").ids();
            ids.truncate(model.max_tokens() - 2);
            tokenizer.with_specials(&ids)
        })
        .collect();
    inputs.sort_by_key(Vec::len);
    for batch in inputs.chunks(16) {
        std::hint::black_box(model.encode(batch).expect("encoded"));
    }
}

criterion_group!(benches, encoder);
criterion_main!(benches);
