//! lesart reads German news text and shows how it makes its case: who and what it names, which
//! statements it asserts, which it attributes to others, where it hedges, and how it leans.
//!
//! The library is a pipeline of stages over one document model ([`doc`]): every annotation is
//! a span of character offsets into the decoded text, which is never changed.
//!
//! ```no_run
//! use lesart::{Config, Pipeline};
//! let pipeline = Pipeline::new(&Config::default()).expect("models/ present");
//! let doc = pipeline.analyze_text("beispiel", "Der Minister sagte, die Lage sei ernst.");
//! for sentence in &doc.sentences {
//!     println!("{}", doc.text_of(sentence.span));
//! }
//! ```
#![deny(missing_docs)]

pub mod doc;
pub mod encode;
pub mod encoder;
pub mod error;
pub mod guard;
pub mod ingest;
pub mod io;
pub mod modality;
pub mod morphology;
pub mod ner;
pub mod pipeline;
pub mod report;
pub mod segment;
pub mod stage;
pub mod stance;

pub use doc::{Document, Span};
pub use error::{Error, Result};
pub use pipeline::{Config, Pipeline, RunSummary};
pub use report::Report;
