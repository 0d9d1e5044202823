//! sublex-trainer: read a teacher embedding table, train the character model of Stratos
//! (2017) to reconstruct it, and evaluate what it learned.

pub mod adam;
pub mod average;
pub mod batches;
pub mod checkpoint;
pub mod distance;
pub mod embed;
pub mod eval;
pub mod export;
pub mod fused;
pub mod harness;
pub mod init;
pub mod lstm;
pub mod model;
pub mod quickstart;
pub mod relation_queue;
pub mod run_dir;
pub mod tagger;
pub mod teacher;
pub mod train;
