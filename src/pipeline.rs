//! The pipeline: runs the stages in order over documents, in parallel, with the same result
//! for any number of jobs.

use crate::doc::Document;
use crate::error::{Error, Result};
use crate::ingest::{Ingest, Input, Inputs, Skipped};
use crate::modality::Modality;
use crate::morphology::Morphology;
use crate::ner::{EntityGroup, Ner, NerModel};
use crate::segment::Segmenter;
use crate::stage::{DocumentStage, SentenceStage};
use crate::stance::StanceStage;
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Where models live and how to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The `models/` directory. Defaults to `$LESART_MODELS`, else `./models`, else the
    /// directory the crate was built from.
    pub models_dir: PathBuf,
    /// Worker threads; 0 means one per core.
    pub jobs: usize,
    /// Forces an input encoding instead of detecting it.
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// Files larger than this are skipped.
    pub max_file_bytes: u64,
    /// Stance targets to look for in every sentence besides its entities (`--target`).
    pub targets: Vec<String>,
    /// Which NER model tags (`--ner fast|accurate`).
    pub ner: NerModel,
    /// Let the stance stage's learned head decide where it can (`false`: the rules alone, as
    /// `eval stance --rules-only` measures them).
    pub stance_head: bool,
    /// Keep the contextual token vectors on the sentences after the run (to train the stance
    /// head on them); by default they are dropped once the stance stage has read them.
    pub keep_vectors: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            models_dir: default_models_dir(),
            jobs: 0,
            encoding: None,
            max_file_bytes: crate::ingest::DEFAULT_MAX_BYTES,
            targets: Vec::new(),
            ner: NerModel::default(),
            stance_head: true,
            keep_vectors: false,
        }
    }
}

/// The models directory used when none is given: `$LESART_MODELS`, `./models` when it holds
/// lesart's models, else the one next to the sources the binary was built from.
pub fn default_models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LESART_MODELS") {
        return PathBuf::from(dir);
    }
    let local = PathBuf::from("models");
    if local.join("morphology").is_dir() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")
}

/// Counts and timings of one run.
#[derive(Debug, Default, Clone)]
pub struct RunSummary {
    /// Documents analysed.
    pub documents: usize,
    /// Sentences found.
    pub sentences: usize,
    /// Word tokens.
    pub words: usize,
    /// Inputs skipped, with reasons.
    pub skipped: Vec<Skipped>,
    /// Files of other types in walked directories.
    pub ignored: usize,
    /// Wall-clock time.
    pub elapsed: Duration,
}

impl RunSummary {
    /// Words per second over the run.
    pub fn words_per_second(&self) -> f64 {
        self.words as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// The loaded stages.
pub struct Pipeline {
    ingest: Ingest,
    segmenter: Segmenter,
    sentence_stages: Vec<Box<dyn SentenceStage>>,
    /// Stages that need whole documents after the sentence stages (quotes spanning sentences).
    document_stages: Vec<Box<dyn DocumentStage>>,
    gazetteers: std::sync::Arc<crate::ner::gazetteer::Gazetteers>,
    pool: rayon::ThreadPool,
    keep_vectors: bool,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let stages: Vec<&str> =
            self.sentence_stages.iter().map(|s| s.name()).chain(self.document_stages.iter().map(|s| s.name())).collect();
        f.debug_struct("Pipeline").field("stages", &stages).finish()
    }
}

/// Sentences handed to the sentence stages together (the accurate NER model encodes them as
/// one set of batches).
pub const SENTENCE_RUN: usize = 32;

/// How many inputs are read and annotated together before their output is written; bounds
/// memory while keeping every core busy.
const BATCH: usize = 64;

impl Pipeline {
    /// Loads every stage's models.
    pub fn new(config: &Config) -> Result<Pipeline> {
        let morphology = Morphology::load(&config.models_dir)?;
        let ner = Ner::load_model(&config.models_dir, config.ner)?;
        let gazetteers = ner.gazetteers_shared();
        let mut stance = StanceStage::load(&config.models_dir, &config.targets)?.for_vectors(ner.stance_vector_dim())?;
        if !config.stance_head {
            stance = stance.without_head();
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(config.jobs)
            .build()
            .map_err(|e| Error::Usage(format!("cannot start {} worker threads: {e}", config.jobs)))?;
        Ok(Pipeline {
            ingest: Ingest::default().with_encoding(config.encoding).with_max_bytes(config.max_file_bytes),
            segmenter: Segmenter::default(),
            sentence_stages: vec![Box::new(morphology), Box::new(ner)],
            // Stance reads the claims, so it runs after modality.
            document_stages: vec![Box::new(Modality::load(&config.models_dir)?), Box::new(stance)],
            gazetteers,
            pool,
            keep_vectors: config.keep_vectors,
        })
    }

    /// Runs segmentation and every sentence stage on a document whose text is read.
    pub fn annotate(&self, doc: &mut Document) {
        self.pool.install(|| self.annotate_in_pool(doc));
    }

    fn annotate_in_pool(&self, doc: &mut Document) {
        self.segmenter.process(doc);
        let text = &doc.text;
        let stages = &self.sentence_stages;
        // Runs of a fixed size, so the batches a stage sees never depend on the thread count.
        doc.sentences.par_chunks_mut(SENTENCE_RUN).for_each(|run| {
            for stage in stages {
                stage.annotate_batch(text, run);
            }
        });
        for stage in &self.document_stages {
            stage.process(doc);
        }
        if !self.keep_vectors {
            doc.sentences.iter_mut().for_each(|s| s.vectors = None);
        }
    }

    /// Groups a document's entity mentions into entities (*Wladimir Putin … Putin*), with the
    /// gazetteers of the loaded NER model.
    pub fn entity_groups(&self, doc: &Document) -> Vec<EntityGroup> {
        crate::ner::link_entities(doc, Some(&self.gazetteers))
    }

    /// Analyses a string as one document.
    pub fn analyze_text(&self, id: &str, text: &str) -> Document {
        let mut doc = self.ingest.finish(Document::new(id, text.to_string(), "UTF-8"));
        self.annotate(&mut doc);
        doc
    }

    /// Reads and analyses one input (a JSONL file gives several documents).
    pub fn analyze_input(&self, input: &Input) -> Vec<Result<Document, Skipped>> {
        self.pool.install(|| self.read_and_annotate(input))
    }

    fn read_and_annotate(&self, input: &Input) -> Vec<Result<Document, Skipped>> {
        let mut out = self.ingest.read(input);
        out.par_iter_mut().for_each(|r| {
            if let Ok(doc) = r {
                self.annotate_in_pool(doc);
            }
        });
        out
    }

    /// Analyses all inputs, handing each document to `sink` in input order, and each skipped
    /// input to the summary. `progress` is called with the number of inputs finished so far.
    pub fn run(
        &self,
        inputs: &Inputs,
        mut sink: impl FnMut(&Document) -> Result<()>,
        mut progress: impl FnMut(usize),
    ) -> Result<RunSummary> {
        let started = Instant::now();
        let mut summary = RunSummary { skipped: inputs.skipped.clone(), ignored: inputs.ignored, ..Default::default() };
        let mut done = 0;
        for batch in inputs.inputs.chunks(BATCH) {
            let results: Vec<Vec<Result<Document, Skipped>>> =
                self.pool.install(|| batch.par_iter().map(|input| self.read_and_annotate(input)).collect());
            for result in results.into_iter().flatten() {
                match result {
                    Ok(doc) => {
                        summary.documents += 1;
                        summary.sentences += doc.sentences.len();
                        summary.words += doc.word_count();
                        sink(&doc)?;
                    }
                    Err(skipped) => summary.skipped.push(skipped),
                }
            }
            done += batch.len();
            progress(done);
        }
        summary.elapsed = started.elapsed();
        Ok(summary)
    }
}

/// Peak resident memory of this process in bytes, where the system tells (Linux).
pub fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
