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
//!
//! "Backend" means that choice everywhere (kernel or tract, [`BackendChoice`]); the kernel's
//! instruction-set paths (AVX2, AVX-512, NEON, scalar) are its ISAs.
//!
//! Features: `tract` (the tract backend; the `sublex` CLI turns it on), `reference` (the
//! f64 oracle `reference`, for tests and the trainer's export check) and `alloc-count` (a
//! counting global allocator, to check and measure allocation-free calls). Without them the
//! library is the kernel, the file format and the vocabulary.

#[cfg(feature = "alloc-count")]
pub mod alloc_count;
pub mod artifact;
mod embedder;
mod error;
mod kernel_backend;
mod neighbors;
pub mod parity;
#[cfg(feature = "reference")]
pub mod reference;
mod rows;
mod sentence;
mod tagger;
pub mod tokenize;
#[cfg(feature = "tract")]
mod tract_backend;
pub mod vocab;

pub use artifact::{Artifact, CharModelWeights, Kind, Manifest, Precision, RowPrecision};
pub use embedder::{BackendChoice, Embedder};
pub use error::{BoxError, Error, FileProblem, Result, WeightError, WeightProblem};
pub use neighbors::Neighbors;
pub use sublex_kernel::Isa;
pub use tagger::{best_tag, TagId, Tagger};
pub use vocab::{CharVocab, MAX_WORD_CHARS, UNK};
