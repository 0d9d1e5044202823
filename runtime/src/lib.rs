//! sublex-runtime: run exported sublex character models on CPUs.
//!
//! The runtime owns every format a deployed model depends on: the character vocabulary
//! ([`CharVocab`]) and the model file ([`artifact`]). The trainer writes models through this
//! crate and checks its own exports by loading them here.
//!
//! [`Tagger`] tags sentences with an exported tagger (the kernel plus a plain-Rust sentence
//! BiLSTM, or tract running the whole graph).
//!
//! [`Embedder`] turns words into vectors with one of two backends: a hand-written BiLSTM
//! kernel (`sublex-kernel`; the default) or tract running the ONNX graph.

pub mod artifact;
mod embedder;
mod error;
mod kernel_backend;
pub mod reference;
mod sentence;
mod tagger;
mod tract_backend;
pub mod vocab;

pub use artifact::{Artifact, CharModelWeights, Kind, Manifest, Precision};
pub use embedder::{BackendChoice, Embedder};
pub use error::{Error, FileProblem, Result};
pub use tagger::{best_tag, TagId, Tagger};
pub use vocab::{CharVocab, MAX_WORD_CHARS, UNK};
