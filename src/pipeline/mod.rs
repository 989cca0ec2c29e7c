//! The pipeline: runs the stages in order over documents, in parallel, with the same result
//! for any number of jobs.

pub mod train;

use crate::doc::Document;
use crate::encode::Encode;
use crate::error::{Error, Result};
use crate::guard::{Budget, Failure};
use crate::ingest::{Ingest, Input, Skipped};
use crate::modality::Modality;
use crate::morphology::Morphology;
use crate::ner::{EntityGroup, Ner, NerModel};
use crate::segment::Segmenter;
use crate::stage::{DocumentStage, SentenceStage};
use crate::stance::StanceStage;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
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
    /// Let the learned quotation model decide the claims where the sentences are encoded
    /// (`--quotes model`); by default the rules alone decide, as the model is trained on them.
    pub quote_model: bool,
    /// Keep the contextual token vectors on the sentences after the run (to train the stance
    /// head on them); by default they are dropped once the stance stage has read them.
    pub keep_vectors: bool,
    /// A document that takes longer than this is skipped with the reason (`None`: no limit).
    pub doc_timeout: Option<Duration>,
}

/// The default time limit per document: ten minutes, some 500,000 words with the accurate
/// NER model on two cores, so only a runaway document reaches it.
pub const DEFAULT_DOC_TIMEOUT: Duration = Duration::from_secs(600);

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
            quote_model: false,
            keep_vectors: false,
            doc_timeout: Some(DEFAULT_DOC_TIMEOUT),
        }
    }
}

impl Config {
    /// The options that change the output, in words.
    pub fn describe(&self) -> String {
        format!(
            "models {}, ner {:?}, stance head {}, targets {:?}, encoding {}, max file {} bytes, doc timeout {}",
            self.models_dir.display(),
            self.ner,
            self.stance_head,
            self.targets,
            self.encoding.map_or("detected", |e| e.name()),
            self.max_file_bytes,
            self.doc_timeout.map_or("none".to_string(), |t| format!("{} s", t.as_secs_f64())),
        )
    }
}

/// The sentence stages in order: morphology, the encoder pass where a head reads it, NER.
fn sentence_stages(morphology: Arc<Morphology>, encode: Option<Encode>, ner: Ner) -> Vec<Box<dyn SentenceStage>> {
    let mut stages: Vec<Box<dyn SentenceStage>> = vec![Box::new(morphology)];
    if let Some(encode) = encode {
        stages.push(Box::new(encode));
    }
    stages.push(Box::new(ner));
    stages
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
    /// Inputs finished (analysed or skipped), counted from the first: a stopped run finished
    /// these and none after them.
    pub inputs_done: usize,
    /// True when the run was stopped before every input was done.
    pub stopped: bool,
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
    doc_timeout: Option<Duration>,
    /// Set to stop a run: no input is started after it, documents underway end at their next
    /// step.
    stop: Arc<AtomicBool>,
    /// The options that change the output, in words.
    options: String,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let stages: Vec<&str> =
            self.sentence_stages.iter().map(|s| s.name()).chain(self.document_stages.iter().map(|s| s.name())).collect();
        f.debug_struct("Pipeline").field("stages", &stages).finish()
    }
}

pub use crate::io::SENTENCE_RUN;

pub use crate::ner::link::SECTION_SENTENCES;

/// How far (in inputs) the workers may run ahead of the first input not yet handed on. Results
/// are handed on in input order, so this bounds what waits in memory behind a slow document,
/// while the other workers go on with the inputs after it.
const WINDOW_PER_THREAD: usize = 16;

impl Pipeline {
    /// Loads every stage's models.
    pub fn new(config: &Config) -> Result<Pipeline> {
        let morphology = Arc::new(Morphology::load(&config.models_dir)?);
        let ner = Ner::load_model(&config.models_dir, config.ner, Arc::clone(&morphology))?;
        // The encoder runs when a head reads it: the accurate NER model's (the stance head
        // reads the same pass, and without it leaves the decision to the rules).
        let encode = match config.ner {
            NerModel::Accurate => Some(Encode::load(&config.models_dir)?),
            NerModel::Fast => None,
        };
        let ner = ner.for_vectors(encode.as_ref().map(Encode::last_dim), &config.models_dir)?;
        let gazetteers = ner.gazetteers_shared();
        let mut stance = StanceStage::load(&config.models_dir, &config.targets)?.for_vectors(encode.as_ref().map(Encode::side_dim))?;
        if !config.stance_head {
            stance = stance.without_head();
        }
        let mut modality = Modality::with_morphology(&config.models_dir, Arc::clone(&morphology))?.with_gazetteers(Arc::clone(&gazetteers));
        if config.quote_model {
            modality = modality.for_vectors(&config.models_dir, encode.as_ref().map(|e| e.last_dim() + e.side_dim()))?;
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(config.jobs)
            .build()
            .map_err(|e| Error::Usage(format!("cannot start {} worker threads: {e}", config.jobs)))?;
        Ok(Pipeline {
            ingest: Ingest::default().with_encoding(config.encoding).with_max_bytes(config.max_file_bytes),
            segmenter: Segmenter::default(),
            sentence_stages: sentence_stages(Arc::clone(&morphology), encode, ner),
            // Stance reads the claims, so it runs after modality.
            document_stages: vec![Box::new(modality), Box::new(stance)],
            gazetteers,
            pool,
            keep_vectors: config.keep_vectors,
            doc_timeout: config.doc_timeout,
            stop: Arc::new(AtomicBool::new(false)),
            options: config.describe(),
        })
    }

    /// Runs `f` on the pipeline's worker threads (where its parallel work goes).
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        self.pool.install(f)
    }

    /// Worker threads.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads().max(1)
    }

    /// One JSON Lines record as a document to analyse, as [`Ingest::read_record`] reads it.
    pub fn read_record(
        &self,
        line: &str,
        name: Option<&str>,
        number: usize,
    ) -> std::result::Result<(Document, Option<serde_json::Value>), crate::ingest::BadRecord> {
        self.ingest.read_record(line, name, number, "UTF-8")
    }

    /// The options that change the output, in words: a resumed run must use the same.
    pub fn options(&self) -> &str {
        &self.options
    }

    /// The flag that stops a run when set (from a Ctrl-C handler, say): no input is started
    /// after it, and documents underway end at their next step without output.
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop)
    }

    /// Runs every stage on a document whose text is read. A panic in a stage is a bug and is
    /// raised again here; [`Pipeline::run`] and [`Pipeline::analyze_input`] turn it into a
    /// skipped document instead.
    pub fn annotate(&self, doc: &mut Document) {
        if let Err(failure) = self.pool.install(|| self.annotate_within(doc, Budget::unlimited())) {
            panic!("{}: {failure}", doc.id);
        }
    }

    /// Runs every stage on a document within `budget`, each step guarded: the first failure
    /// (a panic, the time limit, a stop) ends the work and is returned.
    fn annotate_within(&self, doc: &mut Document, budget: Budget<'_>) -> Result<(), Failure> {
        budget.run(self.segmenter.name(), || self.segmenter.process(doc))?;
        let text = &doc.text;
        let stages = &self.sentence_stages;
        // Runs of a fixed size, so the batches a stage sees never depend on the thread count.
        doc.sentences
            .par_chunks_mut(SENTENCE_RUN)
            .try_for_each(|run| stages.iter().try_for_each(|stage| budget.run(stage.name(), || stage.annotate_batch(text, run))))?;
        self.run_document_stages(doc, budget)?;
        if !self.keep_vectors {
            doc.sentences.iter_mut().for_each(|s| s.vectors = None);
        }
        Ok(())
    }

    /// Runs the document-level stages on the whole document, or section by section when it is
    /// longer than [`SECTION_SENTENCES`].
    fn run_document_stages(&self, doc: &mut Document, budget: Budget<'_>) -> Result<(), Failure> {
        if doc.sentences.len() <= SECTION_SENTENCES {
            return self.document_stages.iter().try_for_each(|stage| budget.run(stage.name(), || stage.process(doc)));
        }
        let mut rest = std::mem::take(&mut doc.sentences).into_iter();
        let mut done = Vec::with_capacity(rest.len());
        loop {
            let sentences: Vec<_> = rest.by_ref().take(SECTION_SENTENCES).collect();
            if sentences.is_empty() {
                break;
            }
            let (mut section, start) = doc.section(sentences);
            for stage in &self.document_stages {
                budget.run(stage.name(), || stage.process(&mut section))?;
            }
            done.extend(Document::sentences_from_section(section, start));
        }
        doc.sentences = done;
        Ok(())
    }

    /// Groups a document's entity mentions into entities (*Wladimir Putin … Putin*), with the
    /// gazetteers of the loaded NER model; in sections of [`SECTION_SENTENCES`], whose groups
    /// of the same name and type are then joined, for longer documents.
    pub fn entity_groups(&self, doc: &Document) -> Vec<EntityGroup> {
        crate::ner::link::group_entities(doc, Some(&self.gazetteers), SECTION_SENTENCES)
    }

    /// Analyses a string as one document.
    pub fn analyze_text(&self, id: &str, text: &str) -> Document {
        let mut doc = self.ingest.finish(Document::new(id, text.to_string(), "UTF-8"));
        self.annotate(&mut doc);
        doc
    }

    /// Reads and analyses one input (a JSONL file gives several documents). A document that
    /// makes a stage fail or runs past the time limit comes back as skipped, with the reason.
    pub fn analyze_input(&self, input: &Input) -> Vec<Result<Document, Skipped>> {
        self.pool.install(|| self.read_and_annotate(input)).unwrap_or_default()
    }

    /// Reads one input and analyses its documents in parallel, each under its own budget;
    /// `None` when the run was stopped before all of them were done.
    fn read_and_annotate(&self, input: &Input) -> Option<Vec<Result<Document, Skipped>>> {
        let name = input.name();
        let mut out = match crate::guard::catch(|| self.ingest.read(input)) {
            Ok(out) => out,
            Err(message) => vec![Err(Skipped::new(name, Failure::Panic { stage: "ingest", message }))],
        };
        self.annotate_all(&mut out).then_some(out)
    }

    /// Analyses the documents among `results` in parallel, each under its own budget; one that
    /// makes a stage fail or runs past the time limit becomes skipped, with the reason. False
    /// when the run was stopped before all of them were done.
    pub fn annotate_all(&self, results: &mut [Result<Document, Skipped>]) -> bool {
        let stopped = AtomicBool::new(false);
        self.pool.install(|| {
            results.par_iter_mut().for_each(|result| {
                let Ok(doc) = result else { return };
                match self.annotate_within(doc, Budget::starting_now(self.doc_timeout, &self.stop)) {
                    Ok(()) => {}
                    Err(Failure::Stopped) => stopped.store(true, Ordering::Relaxed),
                    Err(failure) => *result = Err(Skipped::new(doc.id.clone(), failure)),
                }
            })
        });
        !stopped.load(Ordering::Relaxed)
    }

    /// Analyses `inputs`, handing each input's documents and skips to `sink` in input order,
    /// as soon as it and all inputs before it are done. Workers go on past a slow document by
    /// up to a window of inputs, so one document that takes long stalls no one. When the stop
    /// flag is set, the run ends after the last input that was finished in order; the summary
    /// says how far it got.
    pub fn run(&self, inputs: &[Input], mut sink: impl FnMut(usize, Vec<Result<Document, Skipped>>) -> Result<()>) -> Result<RunSummary> {
        let started = Instant::now();
        let threads = self.pool.current_num_threads().max(1);
        let window = WINDOW_PER_THREAD * threads;
        let next = AtomicUsize::new(0);
        // The first input not yet handed on, and a signal for workers waiting on the window.
        let handed_on = (Mutex::new(0usize), Condvar::new());
        let (tx, rx) = mpsc::channel::<(usize, Option<Vec<Result<Document, Skipped>>>)>();
        let mut summary = RunSummary::default();
        let mut sink_error = None;
        std::thread::scope(|scope| {
            scope.spawn(|| {
                self.pool.install(|| {
                    rayon::scope(|workers| {
                        for _ in 0..threads {
                            let tx = tx.clone();
                            let (next, handed_on) = (&next, &handed_on);
                            workers.spawn(move |_| self.work(inputs, next, handed_on, window, tx));
                        }
                    })
                });
                drop(tx);
            });
            let mut waiting: BTreeMap<usize, Option<Vec<Result<Document, Skipped>>>> = BTreeMap::new();
            let mut expected = 0;
            for (index, result) in rx.iter() {
                waiting.insert(index, result);
                while let Some(result) = waiting.remove(&expected) {
                    let Some(results) = result.filter(|_| sink_error.is_none() && !summary.stopped) else {
                        summary.stopped = true;
                        self.stop.store(true, Ordering::Relaxed);
                        break;
                    };
                    summary.count(&results);
                    if let Err(e) = sink(expected, results) {
                        sink_error = Some(e);
                        self.stop.store(true, Ordering::Relaxed);
                    }
                    expected += 1;
                    *handed_on.0.lock().unwrap_or_else(|p| p.into_inner()) = expected;
                    handed_on.1.notify_all();
                }
                if summary.stopped {
                    handed_on.1.notify_all();
                }
            }
            summary.inputs_done = expected;
        });
        if let Some(e) = sink_error {
            return Err(e);
        }
        summary.stopped = summary.inputs_done < inputs.len();
        summary.elapsed = started.elapsed();
        Ok(summary)
    }

    /// One worker of [`Pipeline::run`]: takes the next input while it lies within the window
    /// and the run is not stopped, analyses it and sends the result.
    #[allow(clippy::type_complexity)]
    fn work(
        &self,
        inputs: &[Input],
        next: &AtomicUsize,
        handed_on: &(Mutex<usize>, Condvar),
        window: usize,
        tx: mpsc::Sender<(usize, Option<Vec<Result<Document, Skipped>>>)>,
    ) {
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            if index >= inputs.len() {
                return;
            }
            let mut first_open = handed_on.0.lock().unwrap_or_else(|p| p.into_inner());
            while index >= *first_open + window && !self.stop.load(Ordering::Relaxed) {
                first_open = handed_on.1.wait(first_open).unwrap_or_else(|p| p.into_inner());
            }
            drop(first_open);
            let result = if self.stop.load(Ordering::Relaxed) { None } else { self.read_and_annotate(&inputs[index]) };
            if tx.send((index, result)).is_err() {
                return;
            }
        }
    }
}

impl RunSummary {
    /// Adds one input's documents and skips.
    fn count(&mut self, results: &[Result<Document, Skipped>]) {
        for result in results {
            match result {
                Ok(doc) => {
                    self.documents += 1;
                    self.sentences += doc.sentences.len();
                    self.words += doc.word_count();
                }
                Err(skipped) => self.skipped.push(skipped.clone()),
            }
        }
    }
}

/// Peak resident memory of this process in bytes, where the system tells (Linux).
pub fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
