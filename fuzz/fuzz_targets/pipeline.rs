//! The whole pipeline (fast NER, every rule stage) on arbitrary text: no panic, every span
//! inside the text and on its sentence, sentences in order without overlap, and the annotation
//! line reads back.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn pipeline() -> &'static lesart::Pipeline {
    static PIPELINE: OnceLock<lesart::Pipeline> = OnceLock::new();
    PIPELINE.get_or_init(|| {
        let config = lesart::Config { ner: lesart::ner::NerModel::Fast, jobs: 1, ..lesart::Config::default() };
        lesart::Pipeline::new(&config).expect("models/ beside fuzz/ (or $LESART_MODELS)")
    })
}

fuzz_target!(|text: &str| {
    let doc = pipeline().analyze_text("fuzz", text);
    doc.check().unwrap_or_else(|e| panic!("{e}"));
    let mut line = Vec::new();
    lesart::report::json::write_document_line(&mut line, &doc).expect("serializes");
    let line = std::str::from_utf8(&line).expect("UTF-8");
    lesart::report::json::read_document_line(line.trim_end()).expect("reads back");
});
