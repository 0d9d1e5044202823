//! sublex-tools: what deploying a character model saves against the word table it replaces,
//! and the quality each byte buys (`sublex-report`).
//!
//! Sizes come from three places, and every row says which ([`report::Basis`]): model files
//! are measured (bytes on disk, heap held once loaded); other precisions of an f32 file are
//! encoded in memory by the runtime's own writer and measured the same way; word tables are
//! counted (parameters times bytes per parameter), never loaded.

pub mod curve;
pub mod deployed;
pub mod int8;
pub mod plot;
pub mod render;
pub mod report;
pub mod resident;
pub mod runs;
pub mod table;
pub mod tokenize;
