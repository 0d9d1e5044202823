//! What the benchmarks share: the shipped GloVe sample and the model they time.

use std::path::{Path, PathBuf};
use sublex_trainer::teacher::{LoadOptions, Teacher};
use sublex_trainer::train::{self, ReconstructOptions};

/// The shipped 2,000-row GloVe sample.
pub fn sample_teacher(root: &Path) -> Teacher {
    let options = LoadOptions {
        cache_dir: None,
        ..LoadOptions::default()
    };
    Teacher::load(&root.join("data/glove-6b-100d.top2k.txt"), &options).unwrap()
}

/// SUBLEX_BENCH_MODEL (a trained model directory) or, by default, one epoch on `sample` in
/// `dir/model` (speed does not depend on how long a model trained).
pub fn model(sample: &Teacher, dir: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("SUBLEX_BENCH_MODEL") {
        return PathBuf::from(dir);
    }
    let out = dir.join("model");
    let opts = ReconstructOptions {
        epochs: 1,
        out: out.clone(),
        resume: true,
        keep_every: 0,
        ..ReconstructOptions::default()
    };
    train::reconstruct(sample, &opts).unwrap();
    out
}
