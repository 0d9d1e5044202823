//! The training loop that `reconstruct` and every tagger grid point share: epochs, a seeded
//! per-epoch RNG, shuffled batches, a progress bar, one typed `metrics.jsonl` line per epoch,
//! atomic checkpoints with Adam's state, and resume.
//!
//! A training directory holds `progress.json` ([`Progress`]) naming its latest complete
//! checkpoint `checkpoint-N/` (the model's weights and `optim.bpk`, plus whatever the task
//! adds), and `metrics.jsonl`. A checkpoint is complete before `progress.json` (written to a
//! temporary name and renamed) points at it, and the previous one is deleted only after:
//! killing the trainer at any moment leaves a consistent checkpoint to resume from.

use crate::checkpoint::{read_json, save_optimizer, write_json};
use anyhow::{Context, Result};
use burn::optim::ModuleOptimizer;
use indicatif::{ProgressBar, ProgressStyle};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Where a training run stands (`progress.json`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Progress {
    /// The last completed epoch.
    pub epoch: usize,
    /// Its checkpoint, relative to the training directory; `None` before the first epoch.
    /// (Runs written before checkpoint directories existed kept it in the directory itself
    /// and have no such entry: see [`Progress::checkpoint_dir`].)
    #[serde(default)]
    pub checkpoint: Option<PathBuf>,
    /// Early stopping on a dev score (taggers): the best epoch and its score.
    #[serde(default)]
    pub best_epoch: usize,
    #[serde(default)]
    pub best_dev: f64,
    /// Training stopped (early stopping or the epoch limit).
    #[serde(default)]
    pub done: bool,
    /// Seconds spent in all epochs so far.
    #[serde(default)]
    pub seconds: f64,
}

impl Progress {
    /// The progress of the run in `dir`, if it has completed an epoch.
    pub fn load(dir: &Path) -> Result<Option<Progress>> {
        let path = dir.join("progress.json");
        if !path.exists() {
            return Ok(None);
        }
        read_json(&path).map(Some)
    }

    /// The directory of the latest checkpoint.
    pub fn checkpoint_dir(&self, dir: &Path) -> PathBuf {
        dir.join(self.checkpoint.as_deref().unwrap_or(Path::new(".")))
    }
}

/// The loss of one epoch.
#[derive(Clone, Copy, Debug)]
pub struct EpochLoss {
    /// Loss per unit (word or token), averaged over the epoch.
    pub per_unit: f64,
    /// Seconds spent training (without evaluation).
    pub seconds: f64,
    /// Units per second of training.
    pub units_per_s: f64,
}

/// One run's loop settings and the place it writes.
pub struct Harness<'a> {
    /// The training directory.
    pub dir: &'a Path,
    pub seed: u64,
    /// Show a progress bar on stderr.
    pub show_progress: bool,
    /// What a batch's size counts: `"words"`, `"tokens"`.
    pub unit: &'static str,
    /// Shown before the bar: which run this is.
    pub label: String,
}

impl Harness<'_> {
    /// The RNG of `epoch`: everything random in an epoch derives from (seed, epoch), so a
    /// resumed run repeats the epoch it redoes exactly.
    pub fn rng(&self, epoch: usize) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(self.seed ^ (epoch as u64) << 32)
    }

    /// Trains one epoch over `batches` (indices into the task's data) in an order shuffled
    /// by the epoch's RNG. `step(model, batch, rng)` trains on one batch and returns the new
    /// model, the batch's summed loss and its size in units (`units` per epoch in all).
    pub fn epoch<M>(
        &self,
        (epoch, epochs): (usize, usize),
        mut model: M,
        batches: &[Vec<usize>],
        units: usize,
        mut step: impl FnMut(M, &[usize], &mut ChaCha8Rng) -> Result<(M, f64, usize)>,
    ) -> Result<(M, EpochLoss)> {
        let mut rng = self.rng(epoch);
        let mut order: Vec<&Vec<usize>> = batches.iter().collect();
        order.shuffle(&mut rng);
        let bar = self.bar(units, epoch, epochs);
        let start = Instant::now();
        let mut total = 0f64;
        for batch in order {
            let (next, loss, n) = step(model, batch, &mut rng)?;
            model = next;
            total += loss;
            bar.inc(n as u64);
            // Only a visible bar gets a message: no formatting per step otherwise.
            if self.show_progress {
                let per_unit = total / bar.position() as f64;
                bar.set_message(format!("loss/{} {per_unit:.4}", self.unit_singular()));
            }
        }
        bar.finish_and_clear();
        let seconds = start.elapsed().as_secs_f64();
        let loss = EpochLoss {
            per_unit: total / units.max(1) as f64,
            seconds,
            units_per_s: units as f64 / seconds,
        };
        Ok((model, loss))
    }

    /// Writes `checkpoint-N/` (`save` writes the model into it, then Adam's state is
    /// added), points `progress.json` at it and removes the previous checkpoint.
    pub fn checkpoint(
        &self,
        progress: &mut Progress,
        optim: &ModuleOptimizer,
        save: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<()> {
        let name = PathBuf::from(format!("checkpoint-{}", progress.epoch));
        let dir = self.dir.join(&name);
        save(&dir)?;
        save_optimizer(&dir, optim)?;
        let previous = progress.checkpoint.replace(name);
        write_json(&self.dir.join("progress.json"), progress)?;
        if let Some(old) = previous.filter(|old| Some(old) != progress.checkpoint.as_ref()) {
            if old != Path::new(".") {
                std::fs::remove_dir_all(self.dir.join(old)).ok();
            }
        }
        Ok(())
    }

    /// Appends one line to `metrics.jsonl`.
    pub fn metrics<T: Serialize>(&self, line: &T) -> Result<()> {
        let path = self.dir.join("metrics.jsonl");
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        writeln!(file, "{}", serde_json::to_string(line)?)
            .with_context(|| format!("cannot write {}", path.display()))
    }

    fn unit_singular(&self) -> &str {
        self.unit.strip_suffix('s').unwrap_or(self.unit)
    }

    fn bar(&self, units: usize, epoch: usize, epochs: usize) -> ProgressBar {
        if !self.show_progress {
            return ProgressBar::hidden();
        }
        let template = format!(
            "{{prefix}} [{{bar:30}}] {{pos}}/{{len}} {} {{per_sec}} eta {{eta}} {{msg}}",
            self.unit
        );
        let bar = ProgressBar::new(units as u64);
        bar.set_style(
            ProgressStyle::with_template(&template)
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(format!("{}epoch {epoch}/{epochs}", self.label));
        bar
    }
}
