//! Encoder throughput in words per second: multilingual-e5-small on candle alone (one core; and
//! on rust-bert with `--features torch`), and the accurate NER model (encoder, head and
//! perceptron) on one core and on two.
//!
//! Uses the first 256 sentences of GermEval 2014 dev (`../shared/data`; the sample corpus's
//! sentences when absent), encoded as the pipeline does: runs of `SENTENCE_RUN` sentences, sorted by length
//! in batches of 16, tokenization and word alignment included.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lesart::doc::Pos;
use lesart::encoder::WordEncoder;
use lesart::ner::{Ner, NerModel};
use lesart::pipeline::SENTENCE_RUN;
use lesart::{Config, Pipeline};
use rayon::prelude::*;
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
    let pipeline = Pipeline::new(&Config { ner: NerModel::Fast, ..Config::default() }).expect("models/ present");
    let text = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/politik-haushaltsstreit.txt"))
        .expect("sample corpus present");
    let doc = pipeline.analyze_text("bench", &text);
    doc.sentences.iter().map(|s| s.tokens.iter().map(|t| doc.text_of(t.span).to_string()).collect()).collect()
}

fn encoder(c: &mut Criterion) {
    // candle's own threads would share the cores; each worker runs one.
    std::env::set_var("RAYON_NUM_THREADS", "1");
    let models = Config::default().models_dir;
    let words = WordEncoder::load(&models).expect("encoder present");
    let (ner, encode) = Ner::load_with_encoder(&models, NerModel::Accurate).expect("models/ present");
    let sents = sentences();
    let forms: Vec<Vec<&str>> = sents.iter().map(|s| s.iter().map(String::as_str).collect()).collect();
    let pos: Vec<Vec<Option<Pos>>> = forms.iter().map(|f| vec![None; f.len()]).collect();
    let inputs: Vec<(&[&str], &[Option<Pos>])> = forms.iter().zip(&pos).map(|(f, p)| (f.as_slice(), p.as_slice())).collect();
    let n_words: usize = sents.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("encoder, words");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n_words as u64));
    group.bench_function("e5-small word vectors, one core", |b| {
        b.iter(|| {
            for run in forms.chunks(SENTENCE_RUN) {
                let run: Vec<&[&str]> = run.iter().map(Vec::as_slice).collect();
                std::hint::black_box(words.encode(&run).expect("encoded"));
            }
        })
    });
    #[cfg(feature = "torch")]
    {
        tch::set_num_threads(1);
        let dir = models.join("encoder");
        let torch = lesart::encoder::TorchEncoder::load(dir.join("e5-small-q4_0.gguf")).expect("encoder weights present");
        let tokenizer = lesart::encoder::SubwordTokenizer::from_file(dir.join("tokenizer.json")).expect("tokenizer present");
        let torch_words = WordEncoder::new(Box::new(torch), tokenizer);
        group.bench_function("e5-small word vectors (last layer), rust-bert, one core", |b| {
            b.iter(|| {
                for run in forms.chunks(SENTENCE_RUN) {
                    let run: Vec<&[&str]> = run.iter().map(Vec::as_slice).collect();
                    std::hint::black_box(torch_words.encode(&run).expect("encoded"));
                }
            })
        });
    }
    group.bench_function("ner accurate, one core", |b| {
        b.iter(|| {
            for run in inputs.chunks(SENTENCE_RUN) {
                std::hint::black_box(ner.tag_sentences(encode.as_ref(), run));
            }
        })
    });
    let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("two threads");
    group.bench_function("ner accurate, two cores", |b| {
        b.iter(|| {
            two.install(|| {
                inputs.par_chunks(SENTENCE_RUN).for_each(|run| {
                    std::hint::black_box(ner.tag_sentences(encode.as_ref(), run));
                })
            })
        })
    });
    group.finish();
}

criterion_group!(benches, encoder);
criterion_main!(benches);
