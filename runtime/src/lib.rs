//! sublex-runtime: run exported sublex character models on CPUs.
//!
//! The runtime owns every format a deployed model depends on. Today that is the character
//! vocabulary ([`CharVocab`]): the trainer builds it, the runtime encodes words with it, so a
//! word maps to the same character ids at training time and on the device.

pub mod vocab;

pub use vocab::{CharVocab, MAX_WORD_CHARS, UNK};
