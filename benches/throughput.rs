//! Throughput on one core: ingest + segment + morphology in words per second, and the NER,
//! modality and stance stages alone in tokens per second (stance also with its learned head).
//!
//! Reads the 1,028 derStandard articles of `../shared/data/gnad10k/articles.csv` when present,
//! else the sample corpus. Run with `cargo bench`; criterion prints elements/s, which are words.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lesart::doc::Document;
use lesart::ingest::Ingest;
use lesart::segment::Segmenter;
use lesart::stage::{DocumentStage, SentenceStage};
use lesart::{Config, Pipeline};
use std::path::PathBuf;

fn articles() -> (String, Vec<String>) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let gnad = root.join("../shared/data/gnad10k/articles.csv");
    if let Ok(mut reader) = csv::ReaderBuilder::new().delimiter(b';').quote(b'\'').has_headers(false).from_path(&gnad) {
        let texts: Vec<String> = reader.records().filter_map(|r| r.ok()).filter_map(|r| r.get(1).map(str::to_string)).collect();
        if !texts.is_empty() {
            return (format!("gnad10k ({} articles)", texts.len()), texts);
        }
    }
    eprintln!("{} not present: measuring on corpus/ instead", gnad.display());
    let mut texts = Vec::new();
    for entry in std::fs::read_dir(root.join("corpus")).expect("corpus/ exists").flatten() {
        if let Ok(text) = std::fs::read_to_string(entry.path()) {
            texts.push(text);
        }
    }
    ("corpus".into(), texts)
}

fn throughput(c: &mut Criterion) {
    let (name, texts) = articles();
    let ingest = Ingest::default();
    let segmenter = Segmenter::default();
    let pipeline = Pipeline::new(&Config { jobs: 1, ..Config::default() }).expect("models/ present");
    let morphology = lesart::morphology::Morphology::load(&Config::default().models_dir).expect("models/ present");
    let words: u64 = texts.iter().map(|t| pipeline.analyze_text("w", t).word_count() as u64).sum();
    eprintln!("{name}: {words} words");

    let mut group = c.benchmark_group(format!("one core, {name}"));
    group.sample_size(10);
    group.throughput(Throughput::Elements(words));
    group.bench_function("ingest+segment", |b| {
        b.iter(|| {
            for t in &texts {
                let mut doc = ingest.finish(Document::new("b", t.clone(), "UTF-8"));
                segmenter.process(&mut doc);
                std::hint::black_box(&doc);
            }
        })
    });
    group.bench_function("ingest+segment+morphology", |b| {
        b.iter(|| {
            for t in &texts {
                let mut doc = ingest.finish(Document::new("b", t.clone(), "UTF-8"));
                segmenter.process(&mut doc);
                for s in &mut doc.sentences {
                    morphology.annotate(&doc.text, s);
                }
                std::hint::black_box(&doc);
            }
        })
    });
    group.finish();

    // The fast NER model alone, on sentences already segmented and analysed, in tokens per
    // second (the accurate model is measured in benches/encoder.rs).
    let (ner, _) =
        lesart::ner::Ner::load_with_encoder(&Config::default().models_dir, lesart::ner::NerModel::Fast).expect("models/ present");
    let mut docs: Vec<Document> = texts
        .iter()
        .map(|t| {
            let mut doc = ingest.finish(Document::new("b", t.clone(), "UTF-8"));
            segmenter.process(&mut doc);
            for s in &mut doc.sentences {
                morphology.annotate(&doc.text, s);
            }
            doc
        })
        .collect();
    let tokens: u64 = docs.iter().flat_map(|d| &d.sentences).filter(|s| !s.boilerplate).map(|s| s.tokens.len() as u64).sum();
    let mut group = c.benchmark_group(format!("one core, tokens, {name}"));
    group.sample_size(10);
    group.throughput(Throughput::Elements(tokens));
    group.bench_function("ner fast", |b| {
        b.iter(|| {
            for doc in &mut docs {
                let text = &doc.text;
                for s in &mut doc.sentences {
                    ner.annotate(text, s);
                }
            }
        })
    });
    // The modality stage alone, on documents already through the sentence stages.
    let modality = lesart::modality::Modality::load(&Config::default().models_dir).expect("models/ present");
    group.bench_function("modality", |b| {
        b.iter(|| {
            for doc in &mut docs {
                modality.process(doc);
            }
        })
    });
    // The stance stage alone, on documents already through every stage before it.
    let stance = lesart::stance::StanceStage::load(&Config::default().models_dir, &[]).expect("models/ present");
    group.bench_function("stance", |b| {
        b.iter(|| {
            for doc in &mut docs {
                stance.process(doc);
            }
        })
    });
    group.finish();

    // The stance stage with its learned head, on documents the accurate NER model tagged (it
    // leaves the token vectors the head reads); the first 100 articles, as encoding them all
    // on one core would take minutes.
    let accurate = Pipeline::new(&Config { jobs: 1, keep_vectors: true, ..Config::default() }).expect("models/ present");
    let mut tagged: Vec<Document> = texts.iter().take(100).map(|t| accurate.analyze_text("b", t)).collect();
    let tokens: u64 = tagged.iter().flat_map(|d| &d.sentences).filter(|s| !s.boilerplate).map(|s| s.tokens.len() as u64).sum();
    let mut group = c.benchmark_group(format!("one core, tokens, {name}, first 100"));
    group.sample_size(10);
    group.throughput(Throughput::Elements(tokens));
    group.bench_function("stance with head", |b| {
        b.iter(|| {
            for doc in &mut tagged {
                stance.process(doc);
            }
        })
    });
    group.bench_function("stance rules only", |b| {
        let rules = stance.clone().without_head();
        b.iter(|| {
            for doc in &mut tagged {
                rules.process(doc);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);
