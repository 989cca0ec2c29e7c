//! The `lesart` command line: parses arguments and calls the library.

use anyhow::{bail, Context, Result};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use lesart::ingest::{collect_inputs, Input};
use lesart::modality::eval::{QuoteMetric, QuoteSplit};
use lesart::ner::{GoldFormat, NerModel};
use lesart::report::{self, aggregate::DocumentSummary, terminal};
use lesart::{Config, Pipeline};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Reads German news and shows how an article makes its case: entities, claims, hedges, stance.
#[derive(Parser)]
#[command(name = "lesart", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse files and directories; writes annotations.jsonl, report.json, report.md and report.html.
    Analyze(AnalyzeArgs),
    /// Analyse JSON Lines documents from standard input: one annotation line per input line on
    /// standard output, in order, flushed as it goes.
    ///
    /// Each line is a record {"id": …, "text": …, …}; its other fields go into the annotation's
    /// "metadata". A line that gives no document becomes {"id", "line", "input", "error"} in its
    /// place, a blank line stays blank, and the stream goes on (exit status 0: every line is
    /// answered). Models are loaded once; lines are analysed in parallel and written in order.
    #[command(after_help = "Examples:\n  lesart stream < docs.jsonl > annotations.jsonl\n  \
        cat -n docs.jsonl | parallel --pipe -k lesart stream --numbered --name docs.jsonl > annotations.jsonl\n  \
        lesart report annotations.jsonl --out report/")]
    Stream(StreamArgs),
    /// Build report.json, report.md and report.html from annotation files.
    ///
    /// Takes annotations.jsonl files (gzip-compressed or not) and folders of them (*.jsonl,
    /// *.jsonl.gz and part-* files), in any split and any order: the report equals the one
    /// `analyze` writes for the same documents.
    #[command(after_help = "Examples:\n  lesart report lesart-out/annotations.jsonl --out again/\n  \
        lesart report spark-run/annotations/ more.jsonl.gz --out report/")]
    Report(ReportArgs),
    /// Print each sentence of a file with its annotations.
    Inspect(InspectArgs),
    /// Put articles side by side.
    Compare(CompareArgs),
    /// Measure against gold data.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Rebuild a model in models/ from the shared data.
    #[command(subcommand)]
    Train(TrainCommand),
    /// Print a shell completion script: lesart completions bash > /etc/bash_completion.d/lesart
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Compile a form<TAB>lemma<TAB>tag lexicon into models/morphology (see models/README.md).
    BuildLexicon {
        /// The TSV source.
        #[arg(long)]
        tsv: PathBuf,
        /// Output directory.
        #[arg(long, default_value = "models/morphology")]
        out: PathBuf,
    },
}

/// When `inspect` colours its output.
#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    /// When stdout is a terminal and NO_COLOR is not set.
    Auto,
    /// Always (ANSI codes even into a pipe).
    Always,
    /// Never (marks as brackets).
    Never,
}

/// Which NER model `train ner` rebuilds.
#[derive(Clone, Copy, ValueEnum)]
enum NerPart {
    /// The feature perceptron with its word clusters.
    Perceptron,
    /// The linear head over the encoder's frozen vectors.
    Head,
    /// Both.
    All,
}

#[derive(Args)]
struct Common {
    /// Directory with lesart's models [default: $LESART_MODELS, ./models, or the build's models/].
    #[arg(long, value_name = "DIR")]
    models: Option<PathBuf>,
    /// Worker threads (0 = one per core).
    #[arg(long, short = 'j', default_value_t = 0)]
    jobs: usize,
    /// Decode inputs with this encoding instead of detecting it (e.g. utf-8, windows-1252, latin1).
    #[arg(long, value_name = "LABEL")]
    encoding: Option<String>,
    /// Skip files larger than this many MiB.
    #[arg(long, value_name = "MIB", default_value_t = 512)]
    max_file_size: u64,
    /// A stance target to look for besides the named entities (repeatable): --target NATO --target "Olaf Scholz".
    #[arg(long = "target", value_name = "NAME")]
    targets: Vec<String>,
    /// NER model: accurate (perceptron + encoder head, ~1,000 words/s) or fast (perceptron alone).
    #[arg(long, value_enum, default_value_t = NerModel::Accurate)]
    ner: NerModel,
    /// Who said what: the rules, or the learned quotation model on the accurate NER model's
    /// encoder pass (docs/measurements.md compares them).
    #[arg(long, value_enum, default_value_t = Quotes::Rules)]
    quotes: Quotes,
    /// Skip a document that takes longer than this many seconds, with the reason (0 = no limit).
    #[arg(long, value_name = "SECS", default_value_t = lesart::pipeline::DEFAULT_DOC_TIMEOUT.as_secs_f64())]
    doc_timeout: f64,
}

impl Common {
    fn pipeline(&self) -> Result<Pipeline> {
        self.pipeline_with(|_| {})
    }

    /// The pipeline of these options, with `adjust` applied to its configuration.
    fn pipeline_with(&self, adjust: impl FnOnce(&mut Config)) -> Result<Pipeline> {
        Ok(Pipeline::new(&self.config_with(adjust)?)?)
    }

    /// The pipeline configuration of these options, with `adjust` applied.
    fn config_with(&self, adjust: impl FnOnce(&mut Config)) -> Result<Config> {
        let mut config = Config {
            jobs: self.jobs,
            max_file_bytes: self.max_file_size << 20,
            targets: self.targets.clone(),
            ner: self.ner,
            quote_model: self.quotes == Quotes::Model,
            doc_timeout: doc_timeout(self.doc_timeout)?,
            ..Config::default()
        };
        if let Some(dir) = &self.models {
            config.models_dir = dir.clone();
        }
        if let Some(label) = &self.encoding {
            config.encoding = Some(
                lesart::ingest::decode::encoding_for_label(label)
                    .with_context(|| format!("unknown encoding {label:?}: try utf-8, windows-1252 or latin1"))?,
            );
        }
        adjust(&mut config);
        Ok(config)
    }
}

/// The time limit per document of `--doc-timeout SECS`: none for 0.
fn doc_timeout(secs: f64) -> Result<Option<std::time::Duration>> {
    if secs == 0.0 {
        return Ok(None);
    }
    std::time::Duration::try_from_secs_f64(secs).map(Some).map_err(|_| anyhow::anyhow!("--doc-timeout {secs}: give seconds, 0 or more"))
}

#[derive(Args)]
struct AnalyzeArgs {
    /// Files, directories (walked for .txt, .md, .html, .htm, .jsonl) or - for standard input.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output directory.
    #[arg(long, short, default_value = "lesart-out")]
    out: PathBuf,
    /// No progress bar and no summary line.
    #[arg(long, short)]
    quiet: bool,
    /// Go on with an interrupted run into the same --out folder (same inputs and options):
    /// inputs it finished are kept, the others analysed; the outputs equal an uninterrupted run's.
    #[arg(long)]
    resume: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct StreamArgs {
    /// The file the lines come from: ids become NAME#id and error records name NAME:LINE, as
    /// `analyze NAME` gives them.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Each line starts with its line number and a tab (as `cat -n` writes it): ids and error
    /// records use that number, so a part of a file gives the lines the whole file would.
    #[arg(long)]
    numbered: bool,
    /// No summary line on standard error.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct ReportArgs {
    /// Annotation files (.jsonl, .jsonl.gz) and folders of them.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output directory for report.json, report.md and report.html.
    #[arg(long, short, default_value = "lesart-out")]
    out: PathBuf,
    /// Directory with lesart's models (the gazetteers that group entities) [default: $LESART_MODELS, ./models, or the build's models/].
    #[arg(long, value_name = "DIR")]
    models: Option<PathBuf>,
    /// Worker threads (0 = one per core).
    #[arg(long, short = 'j', default_value_t = 0)]
    jobs: usize,
    /// No summary line.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args)]
struct InspectArgs {
    /// The file to inspect (- for standard input).
    file: PathBuf,
    /// Show only sentence N (counting from 1).
    #[arg(long, short)]
    sentence: Option<usize>,
    /// Print JSON (the annotations.jsonl format) instead of text.
    #[arg(long, conflicts_with = "html")]
    json: bool,
    /// Write the document as a page to read in a browser (its text with every mark) to this file.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Colour: auto (when stdout is a terminal and NO_COLOR is not set), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct CompareArgs {
    /// Two or more articles.
    #[arg(required = true, num_args = 2..)]
    files: Vec<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long, conflicts_with = "markdown")]
    json: bool,
    /// Print Markdown tables instead of plain text.
    #[arg(long)]
    markdown: bool,
    /// Also write the comparison as a page (tables, stance side by side, the articles with their marks) to this file.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
}

#[derive(Subcommand)]
enum TrainCommand {
    /// Train the NER models (GermEval 2014 train) into models/ner/: the perceptron (with word
    /// clusters), and on request a linear head over the fine-tuned encoder's frozen vectors in
    /// place of the fine-tuned classifier that tools/finetune-ner.py writes; deterministic.
    Ner {
        /// The shared data folder holding germeval2014/, ler/ ….
        #[arg(long, default_value = "../shared/data")]
        data: PathBuf,
        /// Directory with lesart's models; the models are written to its ner/.
        #[arg(long, value_name = "DIR")]
        models: Option<PathBuf>,
        /// Which part to train: perceptron, head (replaces head.bin, the fine-tuned
        /// classifier, with a head on frozen vectors: 0.859 instead of 0.868 on GermEval dev)
        /// or all.
        #[arg(long, value_enum, default_value_t = NerPart::Perceptron)]
        part: NerPart,
        /// Perceptron epochs.
        #[arg(long, default_value_t = 15)]
        epochs: usize,
        /// Seed for the training order.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Encoder-head epochs.
        #[arg(long, default_value_t = 8)]
        head_epochs: usize,
        /// Weight of the head's log-probabilities when added to the perceptron's scores.
        #[arg(long, default_value_t = 16.0)]
        fusion_weight: f32,
        /// Keep the encoded training words in FILE and reuse them (saves the encoding, ~20 min).
        #[arg(long, value_name = "FILE")]
        vectors_cache: Option<PathBuf>,
    },
    /// Train the stance head (models/stance/head.bin) on labelled (sentence, target) pairs:
    /// a softmax regression over the rules' findings and the accurate NER model's vectors,
    /// calibrated on dev (temperature and polar threshold).
    Stance {
        /// German gold pairs to train on (repeatable; by default the article pairs, the
        /// news-sentence pairs and the candidates labelled no target, whose lines carry no
        /// label and teach the actor part).
        #[arg(
            long,
            default_values = ["tests/data/stance-train.jsonl", "tests/data/stance-train-sentences.jsonl", "tests/data/stance-nontargets.jsonl"]
        )]
        gold: Vec<PathBuf>,
        /// NewsMTSC files (English targets) to train on besides (repeatable).
        #[arg(long, value_name = "FILE")]
        newsmtsc: Vec<PathBuf>,
        /// Gold pairs the temperature and the polar threshold are fitted on.
        #[arg(long, value_name = "FILE", default_value = "tests/data/stance-dev.jsonl")]
        calibrate: PathBuf,
        /// Do not calibrate (temperature 1, the most probable class wins).
        #[arg(long)]
        no_calibrate: bool,
        /// The shared data folder the pairs' texts are read from.
        #[arg(long, default_value = "../shared/data")]
        data: PathBuf,
        /// Directory with lesart's models; the head is written to its stance/.
        #[arg(long, value_name = "DIR")]
        models: Option<PathBuf>,
        /// L2 penalty on the weights.
        #[arg(long, default_value_t = 0.1)]
        l2: f64,
        /// Full-batch optimisation steps.
        #[arg(long, default_value_t = 400)]
        steps: usize,
        /// Fit a holder part as well (a logistic regression naming author or source; not in the
        /// shipped head: it helped dev, not held-out).
        #[arg(long)]
        learned_holder: bool,
        /// A target the head calls neutral is dropped when its actor probability is below this
        /// (the actor part, fitted when the gold pairs include non-targets; 0: none).
        #[arg(long, default_value_t = 0.5, value_name = "P")]
        actor_threshold: f32,
        /// Write the training pairs' labels and head inputs to FILE (JSONL) instead of training.
        #[arg(long, value_name = "FILE")]
        dump: Option<PathBuf>,
        /// Fit on pairs read from dumps (repeatable) instead of analysing the articles;
        /// --calibrate and --score then name dumps too, and the head is written only with --out.
        #[arg(long, value_name = "DUMP")]
        from: Vec<PathBuf>,
        /// With --from: train on the first N German pairs (shuffled with --seed).
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// With --from: leave the NewsMTSC pairs of the dumps out.
        #[arg(long)]
        without_newsmtsc: bool,
        /// With --from: the head without the rules' signals and evidence, frames not deciding.
        #[arg(long)]
        without_rules: bool,
        /// With --from: score the head on these dumps (repeatable).
        #[arg(long, value_name = "DUMP")]
        score: Vec<PathBuf>,
        /// With --from: write the head to FILE.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// With --from and --limit: the shuffle's seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Train the quotation model (models/modality/quotes.bin) on wikinews-quotes: anchor and
    /// role networks over the encoder's vectors and the rules' findings, fitted on train.jsonl
    /// without its held-out seventh, thresholds chosen on dev.jsonl; deterministic.
    Quotes {
        /// Training articles (the held-out seventh, `eval quotes --split heldout`, is left out).
        #[arg(long, default_value = "../shared/data/wikinews-quotes/train.jsonl")]
        train: PathBuf,
        /// Articles the thresholds are chosen on.
        #[arg(long, default_value = "../shared/data/wikinews-quotes/dev.jsonl")]
        dev: PathBuf,
        /// Where to write the model [default: MODELS/modality/quotes.bin].
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Train on the first N training articles only (learning curves).
        #[arg(long, value_name = "N")]
        max_articles: Option<usize>,
        /// More training articles in the same format, every one of them trained on (repeatable).
        #[arg(long, value_name = "FILE")]
        extra: Vec<PathBuf>,
        /// Added to the fixed seeds (0: the shipped model; others show the spread of a figure).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Networks fitted per part from successive seeds, their logits averaged.
        #[arg(long, default_value_t = 3)]
        members: usize,
        /// Fit one network per part to the averaged networks' probabilities (as fast as one).
        #[arg(long)]
        distil: bool,
        /// Passes over the training rows.
        #[arg(long, default_value_t = 6)]
        epochs: usize,
        /// Hidden units of each network.
        #[arg(long, default_value_t = 256)]
        hidden: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: Common,
    },
}

/// Gold formats of `eval stance`.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum StanceFormat {
    /// lesart's (sentence, target) pairs: offsets into the articles of ../shared/data.
    Pairs,
    /// NewsMTSC JSONL: English sentences with the sentiment toward each target.
    Newsmtsc,
    /// Candidate targets labelled actor or not (tests/data/stance-targets-dev.jsonl,
    /// tests/data/stance-targets-heldout.jsonl): the precision and recall of the targets the
    /// stance stage proposes.
    Targets,
}

/// How claims are found.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Quotes {
    /// The rules (cue lexicon, clause structure, quotation marks).
    Rules,
    /// The learned quotation model (needs `--ner accurate`; falls back to the rules without it).
    Model,
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Quotation message, source and cue P/R/F1 on wikinews-quotes JSONL (one to one, SpkAtt or lenient).
    Quotes {
        /// Gold file in the wikinews-quotes format.
        #[arg(long)]
        gold: PathBuf,
        /// Which figures to print (JSON holds all).
        #[arg(long, value_enum, default_value_t = QuoteMetric::OneToOne)]
        metric: QuoteMetric,
        /// Which articles of the file to score: all, the training part, or the held-out
        /// seventh (articles 3, 10, 17, …).
        #[arg(long, value_enum, default_value_t = QuoteSplit::All)]
        split: QuoteSplit,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Stance per-class precision, recall, F1 and macro-F1 on (sentence, target) pairs.
    Stance {
        /// Gold pairs (JSONL of offsets and labels, e.g. tests/data/stance-dev.jsonl), or a
        /// NewsMTSC file with --format newsmtsc.
        #[arg(long)]
        gold: PathBuf,
        /// Gold format: pairs (lesart's offsets into ../shared/data articles) or newsmtsc
        /// (sentences with their targets; each target's label from the head, as trained).
        #[arg(long, value_enum, default_value_t = StanceFormat::Pairs)]
        format: StanceFormat,
        /// The shared data folder the pairs' texts are read from.
        #[arg(long, default_value = "../shared/data")]
        data: PathBuf,
        /// List up to N wrongly labelled pairs with their sentence and evidence.
        #[arg(long, value_name = "N", default_value_t = 0)]
        show_errors: usize,
        /// Let the rules decide every target (no learned head).
        #[arg(long)]
        rules_only: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Strict outer-span NER precision, recall and F1 per type and micro-averaged.
    Ner {
        /// Gold file.
        #[arg(long)]
        gold: PathBuf,
        /// Gold format: germeval (idx token outer inner), conll (token TAG), conllu (idx token TAG).
        #[arg(long, value_enum, default_value_t = GoldFormat::Germeval)]
        format: GoldFormat,
        /// Score derived forms (russische, EU-weit) as types of their own.
        #[arg(long)]
        with_derived: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Directory with lesart's models.
        #[arg(long, value_name = "DIR")]
        models: Option<PathBuf>,
        /// NER model: accurate (perceptron + encoder head) or fast (perceptron alone).
        #[arg(long, value_enum, default_value_t = NerModel::Accurate)]
        ner: NerModel,
    },
    /// Sentence-boundary and token F1 against CoNLL-U or wikinews-quotes JSONL.
    Segment {
        /// Gold file (.conllu or .jsonl).
        #[arg(long)]
        gold: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// List up to N boundary errors with their context.
        #[arg(long, value_name = "N", default_value_t = 0)]
        show_errors: usize,
    },
    /// Part of speech, lemma and Konjunktiv I/II against CoNLL-U.
    Morph {
        /// Gold file (.conllu).
        #[arg(long)]
        gold: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Directory with lesart's models.
        #[arg(long, value_name = "DIR")]
        models: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("lesart: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Analyze(args) => analyze(args),
        Command::Stream(args) => stream(args),
        Command::Report(args) => report_command(args),
        Command::Inspect(args) => inspect(args),
        Command::Compare(args) => compare(args),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "lesart", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval(EvalCommand::Segment { gold, json, show_errors }) => {
            let report = lesart::segment::eval::evaluate(&lesart::segment::Segmenter::default(), &gold, show_errors)?;
            print_report(&report, json)
        }
        Command::Eval(EvalCommand::Morph { gold, json, models }) => {
            let dir = models.unwrap_or_else(lesart::pipeline::default_models_dir);
            let morphology = lesart::morphology::Morphology::load(&dir)?;
            let report = lesart::morphology::eval::eval_conllu(&morphology, &gold)?;
            print_report(&report, json)
        }
        Command::Eval(EvalCommand::Quotes { gold, metric, split, json, common }) => {
            let pipeline = common.pipeline()?;
            let mut report = lesart::modality::eval::eval_quotes(&|text: &str| pipeline.analyze_text("gold", text), &gold, split)?;
            report.shown = metric;
            print_report(&report, json)
        }
        Command::Eval(EvalCommand::Stance { gold, format: StanceFormat::Newsmtsc, json, common, .. }) => {
            let config = common.config_with(|c| c.keep_vectors = true)?;
            let report = lesart::pipeline::train::eval_stance_newsmtsc(&config, &gold)?;
            print_report(&report, json)
        }
        Command::Eval(EvalCommand::Stance { gold, format: StanceFormat::Targets, data, json, common, .. }) => {
            let pipeline = common.pipeline()?;
            let report = lesart::stance::eval::eval_targets(&|text: &str| pipeline.analyze_text("gold", text), &gold, &data)?;
            print_report(&report, json)
        }
        Command::Eval(EvalCommand::Stance { gold, format: StanceFormat::Pairs, data, show_errors, rules_only, json, common }) => {
            let pipeline = common.pipeline_with(|c| c.stance_head = !rules_only)?;
            let report = lesart::stance::eval_stance(&|text: &str| pipeline.analyze_text("gold", text), &gold, &data, show_errors)?;
            print_report(&report, json)
        }
        Command::Eval(EvalCommand::Ner { gold, format, with_derived, json, models, ner }) => {
            let dir = models.unwrap_or_else(lesart::pipeline::default_models_dir);
            let (ner, encode) = lesart::ner::Ner::load_with_encoder(&dir, ner)?;
            let report = lesart::ner::eval_file(&ner, encode.as_ref(), &gold, format, with_derived)?;
            print_report(&report, json)
        }
        Command::Train(TrainCommand::Quotes {
            train,
            dev,
            out,
            max_articles,
            extra,
            seed,
            members,
            distil,
            epochs,
            hidden,
            json,
            common,
        }) => {
            let config = common.config_with(|c| {
                c.quote_model = false;
                c.keep_vectors = true;
            })?;
            let out = out.unwrap_or_else(|| config.models_dir.join("modality").join(lesart::modality::model::MODEL_FILE));
            let pipeline = Pipeline::new(&config)?;
            let mut settings = lesart::modality::train::QuoteTrainConfig::new(train, dev, out);
            settings.max_articles = max_articles;
            settings.extra = extra;
            settings.seed = seed;
            settings.members = members;
            settings.distil = distil;
            settings.epochs = epochs;
            settings.hidden = hidden;
            let report = lesart::modality::train::train_quotes(&|text: &str| pipeline.analyze_text("gold", text), &settings)?;
            print_report(&report, json)
        }
        Command::Train(TrainCommand::Stance {
            gold,
            newsmtsc,
            calibrate,
            no_calibrate,
            data,
            models,
            l2,
            steps,
            learned_holder,
            actor_threshold,
            dump,
            from,
            limit,
            without_newsmtsc,
            without_rules,
            score,
            out,
            seed,
        }) => {
            let head = lesart::stance::StanceHeadConfig { l2, steps, holder: learned_holder, actor_threshold, ..Default::default() };
            let calibrate = (!no_calibrate).then_some(calibrate);
            if !from.is_empty() {
                let config = lesart::stance::DumpTrainConfig {
                    from,
                    german_limit: limit,
                    newsmtsc: !without_newsmtsc,
                    rules: !without_rules,
                    calibrate,
                    score,
                    head_out: out,
                    seed,
                    head,
                };
                let report = lesart::stance::train_from_dumps(&config)?;
                return print_json(&report);
            }
            let config = lesart::stance::StanceTrainConfig {
                gold,
                newsmtsc,
                calibrate: if dump.is_some() { None } else { calibrate },
                data_dir: data,
                models_dir: models.unwrap_or_else(|| PathBuf::from("models")),
                head,
            };
            if let Some(path) = dump {
                let (pairs, training, _) = lesart::pipeline::train::collect_stance_pairs(&config)?;
                lesart::stance::write_training_pairs(&path, &training)?;
                eprintln!("{} of {pairs} pairs written to {}", training.len(), path.display());
                return Ok(ExitCode::SUCCESS);
            }
            let report = lesart::pipeline::train::train_stance(&config)?;
            print_json(&report)
        }
        Command::Train(TrainCommand::Ner { data, models, part, epochs, seed, head_epochs, fusion_weight, vectors_cache }) => {
            let dir = models.unwrap_or_else(|| PathBuf::from("models"));
            let (perceptron, head) = match part {
                NerPart::All => (true, true),
                NerPart::Perceptron => (true, false),
                NerPart::Head => (false, true),
            };
            if perceptron {
                let config = lesart::ner::TrainConfig { epochs, seed, ..lesart::ner::TrainConfig::standard(&data, &dir) };
                let report = lesart::ner::train(&config)?;
                print_json(&report)?;
            }
            if head {
                let config = lesart::ner::HeadTrainConfig::standard(
                    &data,
                    &dir,
                    vectors_cache,
                    lesart::ner::HeadConfig { epochs: head_epochs, seed, fusion_weight, ..Default::default() },
                );
                let report = lesart::ner::train_contextual(&config)?;
                print_json(&report)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::BuildLexicon { tsv, out } => {
            let stats = lesart::morphology::lexicon::build(&tsv, &out)?;
            writeln!(std::io::stdout().lock(), "{stats}")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Prints a training report as pretty JSON; a closed pipe ends the run quietly, as for the
/// other reports.
fn print_json<R: serde::Serialize>(report: &R) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, report)?;
    writeln!(out)?;
    Ok(ExitCode::SUCCESS)
}

fn print_report<R: std::fmt::Display + serde::Serialize>(report: &R, json: bool) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, report)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{report}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit code of a run stopped by Ctrl-C or SIGTERM (128 + SIGINT), as shells expect.
const STOPPED: u8 = 130;

fn analyze(args: AnalyzeArgs) -> Result<ExitCode> {
    let pipeline = args.common.pipeline()?;
    stop_on_signal(&pipeline)?;
    let inputs = collect_inputs(&args.paths);
    let bar = if args.quiet || !std::io::stderr().is_terminal() {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::new(inputs.inputs.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} files {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    };
    let run = report::analyze_to_dir(&pipeline, &inputs, &args.out, args.resume, |done| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    for skipped in &run.report.skipped {
        eprintln!("lesart: {}: {}", skipped.path, skipped.reason);
    }
    let summary = &run.summary;
    if summary.stopped {
        eprintln!(
            "lesart: stopped after {} of {} inputs; the finished ones are kept in {}. To go on: lesart {} --resume",
            run.resumed + summary.inputs_done,
            inputs.inputs.len(),
            args.out.display(),
            std::env::args().skip(1).filter(|a| a != "--resume").collect::<Vec<_>>().join(" ")
        );
        return Ok(ExitCode::from(STOPPED));
    }
    if !args.quiet {
        let memory = peak_memory_note();
        let resumed = if run.resumed > 0 { format!("resumed after {} inputs; ", run.resumed) } else { String::new() };
        eprintln!(
            "lesart: {resumed}{} documents, {} sentences, {} words in {:.2} s ({:.0} words/s{memory}); {} skipped → {}",
            summary.documents,
            summary.sentences,
            summary.words,
            summary.elapsed.as_secs_f64(),
            summary.words_per_second(),
            run.report.skipped.len(),
            args.out.display()
        );
    }
    Ok(if run.report.skipped.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn stream(args: StreamArgs) -> Result<ExitCode> {
    let pipeline = args.common.pipeline()?;
    stop_on_signal(&pipeline)?;
    let options =
        report::stream::StreamOptions { name: args.name, numbered: args.numbered, max_line_bytes: args.common.max_file_size << 20 };
    let stdout = std::io::stdout().lock();
    let summary = report::stream::stream(&pipeline, std::io::stdin(), std::io::BufWriter::with_capacity(1 << 16, stdout), &options)?;
    if summary.stopped {
        eprintln!("lesart: stream stopped after {} lines", summary.lines);
        return Ok(ExitCode::from(STOPPED));
    }
    if !args.quiet {
        let memory = peak_memory_note();
        eprintln!(
            "lesart: {} lines: {} documents, {} error records; {} words in {:.2} s ({:.0} words/s{memory})",
            summary.lines,
            summary.documents,
            summary.errors,
            summary.words,
            summary.elapsed.as_secs_f64(),
            summary.words as f64 / summary.elapsed.as_secs_f64().max(1e-9),
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn report_command(args: ReportArgs) -> Result<ExitCode> {
    let models = args.models.unwrap_or_else(lesart::pipeline::default_models_dir);
    let reduced = report::report_from_annotations(&args.paths, &models, args.jobs, &args.out)?;
    if !args.quiet {
        eprintln!(
            "lesart: {} annotation files: {} documents, {} skipped inputs → {}",
            reduced.files,
            reduced.report.documents_analysed,
            reduced.report.skipped.len(),
            args.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `, peak memory N MiB` for the summary lines, where the system tells.
fn peak_memory_note() -> String {
    lesart::pipeline::peak_memory_bytes().map(|b| format!(", peak memory {} MiB", b >> 20)).unwrap_or_default()
}

/// Ctrl-C (or SIGTERM) stops the run after the inputs underway: what is finished stays and
/// `--resume` goes on from there. A second one ends the process at once; the journal still
/// holds only finished inputs.
fn stop_on_signal(pipeline: &Pipeline) -> Result<()> {
    let stop = pipeline.stop_flag();
    ctrlc::set_handler(move || {
        if stop.swap(true, std::sync::atomic::Ordering::Relaxed) {
            std::process::exit(STOPPED.into());
        }
        eprintln!("lesart: stopping after the documents underway (Ctrl-C again to end at once)");
    })
    .context("cannot install the Ctrl-C handler")
}

/// Reads the named files (no directory walking) into annotated documents; skipped inputs are
/// reported and make the call fail.
fn read_named(pipeline: &Pipeline, paths: &[PathBuf]) -> Result<Vec<lesart::Document>> {
    let inputs: Vec<Input> = paths
        .iter()
        .map(|p| if p.as_os_str() == "-" { Input::Stdin } else { Input::File { path: p.clone(), name: p.display().to_string() } })
        .collect();
    let mut docs = Vec::new();
    for input in &inputs {
        for result in pipeline.analyze_input(input) {
            match result {
                Ok(doc) => docs.push(doc),
                Err(skipped) => bail!("{}: {}", skipped.path, skipped.reason),
            }
        }
    }
    Ok(docs)
}

fn inspect(args: InspectArgs) -> Result<ExitCode> {
    let pipeline = args.common.pipeline()?;
    let docs = read_named(&pipeline, std::slice::from_ref(&args.file))?;
    if let Some(path) = &args.html {
        let sections: Vec<String> = docs
            .iter()
            .map(|doc| {
                let groups = pipeline.entity_groups(doc);
                report::html::document_section(&DocumentSummary::of(doc, &groups), &report::view::document_view(doc, &groups))
            })
            .collect();
        let page = report::html::page(&format!("lesart: {}", args.file.display()), &sections.concat());
        lesart::io::write_atomically_with(path, |w| w.write_all(page.as_bytes()))?;
        return Ok(ExitCode::SUCCESS);
    }
    let choice = match args.color {
        ColorChoice::Auto => anstream::ColorChoice::Auto,
        ColorChoice::Always => anstream::ColorChoice::Always,
        ColorChoice::Never => anstream::ColorChoice::Never,
    };
    let mut out = anstream::AutoStream::new(std::io::stdout().lock(), choice);
    let style = terminal::InspectStyle { color: out.current_choice() != anstream::ColorChoice::Never };
    for doc in &docs {
        let chosen: Vec<(usize, &lesart::doc::Sentence)> = match args.sentence {
            Some(n) => match doc.sentences.get(n.wrapping_sub(1)) {
                Some(s) => vec![(n - 1, s)],
                None => bail!("{}: no sentence {n}; it has {} sentences (counting from 1)", doc.id, doc.sentences.len()),
            },
            None => doc.sentences.iter().enumerate().collect(),
        };
        if args.json {
            if args.sentence.is_some() {
                for (_, s) in chosen {
                    serde_json::to_writer(&mut out, &report::json::SentenceJson::new(doc, s))?;
                    writeln!(out)?;
                }
            } else {
                report::json::write_document_line(&mut out, doc)?;
            }
            continue;
        }
        writeln!(out, "# {} ({}, {} sentences)", doc.id, doc.encoding, doc.sentences.len())?;
        for (i, s) in chosen {
            write!(out, "{}", terminal::render_sentence(doc, i, s, style))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn compare(args: CompareArgs) -> Result<ExitCode> {
    let pipeline = args.common.pipeline()?;
    let docs = read_named(&pipeline, &args.files)?;
    let groups: Vec<_> = docs.iter().map(|d| pipeline.entity_groups(d)).collect();
    let summaries: Vec<DocumentSummary> = docs.iter().zip(&groups).map(|(d, g)| DocumentSummary::of(d, g)).collect();
    if let Some(path) = &args.html {
        let views: Vec<String> = docs.iter().zip(&groups).map(|(d, g)| report::view::document_view(d, g)).collect();
        let page = report::compare::render_html(&summaries, &views);
        lesart::io::write_atomically_with(path, |w| w.write_all(page.as_bytes()))?;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report::compare::Comparison::new(&summaries))?;
        writeln!(out)?;
    } else if args.markdown {
        write!(out, "{}", report::compare::render_markdown(&summaries))?;
    } else {
        write!(out, "{}", report::compare::render(&summaries))?;
    }
    Ok(ExitCode::SUCCESS)
}
