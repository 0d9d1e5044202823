//! `sublex-train reconstruct`: fit the character model to a teacher table (paper eq. 1).

use crate::adam::FusedAdam;
use crate::batches::length_batches;
use crate::checkpoint::{self, ModelInfo, FORMAT_VERSION};
use crate::distance::Distance;
use crate::model::{CharModel, CharModelConfig};
use crate::teacher::Teacher;
use anyhow::{bail, Context, Result};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use indicatif::{ProgressBar, ProgressStyle};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;
use sublex_runtime::CharVocab;

/// Settings of a reconstruction run.
#[derive(Clone, Debug)]
pub struct ReconstructOptions {
    pub loss: Distance,
    pub highway: bool,
    pub epochs: usize,
    pub batch: usize,
    pub lr: f64,
    pub dropout: f64,
    pub seed: u64,
    pub min_char_count: usize,
    pub out: PathBuf,
    pub resume: bool,
    /// Keep a model snapshot in `out/epochs/N` every this many epochs (0: none).
    pub keep_every: usize,
    pub progress: bool,
}

impl Default for ReconstructOptions {
    /// The command line's defaults: Dcos, 10 epochs, batch 64, Adam lr 1e-3, no dropout.
    fn default() -> Self {
        ReconstructOptions {
            loss: Distance::Cos,
            highway: false,
            epochs: 10,
            batch: 64,
            lr: 1e-3,
            dropout: 0.0,
            seed: 1,
            min_char_count: 1,
            out: PathBuf::new(),
            resume: false,
            keep_every: 10,
            progress: false,
        }
    }
}

/// One line of `metrics.jsonl`.
#[derive(Serialize)]
struct EpochMetrics {
    epoch: usize,
    loss: &'static str,
    loss_per_word: f64,
    words: usize,
    seconds: f64,
    words_per_s: f64,
}

/// The training device: Flex (burn's fastest CPU backend here) with autodiff.
pub fn train_device() -> Device {
    Device::flex().autodiff()
}

/// A fresh, untrained model for `teacher` (also the `--model random` baseline).
pub fn fresh_model(
    teacher: &Teacher,
    opts: &ReconstructOptions,
    device: &Device,
) -> (CharModel, ModelInfo) {
    let config = CharModelConfig {
        vocab: CharVocab::build(
            teacher.words().iter().map(String::as_str),
            opts.min_char_count,
        ),
        char_dim: teacher.dim(),
        dim: teacher.dim(),
        highway: opts.highway,
        dropout: opts.dropout,
    };
    let model = config.init(opts.seed, device);
    let info = ModelInfo {
        format_version: FORMAT_VERSION,
        model: config,
        teacher: teacher.name().to_string(),
        teacher_words: teacher.len(),
        loss: opts.loss,
        epochs: 0,
        seed: opts.seed,
    };
    (model, info)
}

/// Trains (or resumes) and returns the final model's description.
pub fn reconstruct(teacher: &Teacher, opts: &ReconstructOptions) -> Result<ModelInfo> {
    let device = train_device();
    let (mut model, mut info, mut optim) = start(teacher, opts, &device)?;
    let encoded: Vec<Vec<u32>> = teacher
        .words()
        .iter()
        .map(|w| info.model.vocab.encode(w))
        .collect();
    let lengths: Vec<usize> = encoded.iter().map(Vec::len).collect();
    let batches = length_batches(&lengths, opts.batch);
    let mut metrics = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(opts.out.join("metrics.jsonl"))
        .context("cannot open metrics.jsonl")?;

    for epoch in info.epochs + 1..=opts.epochs {
        // Everything random in an epoch derives from (seed, epoch): a resumed run repeats it.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(opts.seed ^ (epoch as u64) << 32);
        let mut order: Vec<&Vec<usize>> = batches.iter().collect();
        order.shuffle(&mut rng);
        let bar = progress_bar(opts.progress, teacher.len(), epoch, opts.epochs);
        let start = Instant::now();
        let mut total = 0f64;
        for batch in order {
            let words: Vec<&[u32]> = batch.iter().map(|&i| &encoded[i][..]).collect();
            let target: Vec<f32> = batch
                .iter()
                .flat_map(|&i| teacher.vector(i).iter().copied())
                .collect();
            let target = Tensor::<2>::from_data(
                TensorData::new(target, [batch.len(), teacher.dim()]),
                &device,
            );
            let output = model.forward_train(&words, &mut rng);
            let loss = opts.loss.per_word(target, output).sum();
            total += loss.clone().into_scalar::<f32>() as f64;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(opts.lr, model, grads);
            bar.inc(batch.len() as u64);
            bar.set_message(format!("loss/word {:.4}", total / bar.position() as f64));
        }
        bar.finish_and_clear();
        let seconds = start.elapsed().as_secs_f64();
        let line = EpochMetrics {
            epoch,
            loss: opts.loss.cli_name(),
            loss_per_word: total / teacher.len() as f64,
            words: teacher.len(),
            seconds,
            words_per_s: teacher.len() as f64 / seconds,
        };
        info.epochs = epoch;
        checkpoint::save_checkpoint(&opts.out, &model, &optim, &info)?;
        if opts.keep_every > 0 && epoch % opts.keep_every == 0 {
            checkpoint::save_model(
                &opts.out.join("epochs").join(epoch.to_string()),
                &model,
                &info,
            )?;
        }
        writeln!(metrics, "{}", serde_json::to_string(&line)?)?;
        eprintln!(
            "epoch {epoch}/{}: loss/word {:.4}, {:.0} words/s, {seconds:.1} s",
            opts.epochs, line.loss_per_word, line.words_per_s
        );
    }
    Ok(info)
}

/// A fresh run, or the checkpoint in `opts.out` when resuming.
fn start(
    teacher: &Teacher,
    opts: &ReconstructOptions,
    device: &Device,
) -> Result<(CharModel, ModelInfo, ModuleOptimizer)> {
    let optim = FusedAdam::init();
    let existing = checkpoint::load_progress(&opts.out)?;
    match (existing, opts.resume) {
        (Some(progress), true) => {
            let dir = opts.out.join(&progress.checkpoint);
            let (model, info) = checkpoint::load_model(&dir, device)?;
            check_same_run(&info, teacher, opts)?;
            let optim = checkpoint::load_optimizer(&dir, optim)?;
            eprintln!("resuming {} after epoch {}", opts.out.display(), info.epochs);
            Ok((model, info, optim))
        }
        (Some(p), false) => bail!(
            "{} already holds a run (epoch {}): pass --resume to continue it, or choose another --out",
            opts.out.display(),
            p.epoch
        ),
        (None, _) => {
            std::fs::create_dir_all(&opts.out).with_context(|| format!("cannot create {}", opts.out.display()))?;
            let (model, info) = fresh_model(teacher, opts, device);
            if opts.keep_every > 0 {
                checkpoint::save_model(&opts.out.join("epochs").join("0"), &model, &info)?;
            }
            Ok((model, info, optim))
        }
    }
}

fn check_same_run(info: &ModelInfo, teacher: &Teacher, opts: &ReconstructOptions) -> Result<()> {
    let same = info.teacher == teacher.name()
        && info.teacher_words == teacher.len()
        && info.loss == opts.loss
        && info.model.highway == opts.highway
        && info.seed == opts.seed;
    if !same {
        bail!(
            "--resume: the run in {} used teacher {} ({} words), loss {}, highway {}, seed {}; \
             this command asks for {} ({} words), {}, {}, {}",
            opts.out.display(),
            info.teacher,
            info.teacher_words,
            info.loss.cli_name(),
            info.model.highway,
            info.seed,
            teacher.name(),
            teacher.len(),
            opts.loss.cli_name(),
            opts.highway,
            opts.seed
        );
    }
    Ok(())
}

fn progress_bar(visible: bool, words: usize, epoch: usize, epochs: usize) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(words as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "epoch {prefix} [{bar:30}] {pos}/{len} words {per_sec} eta {eta} {msg}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(format!("{epoch}/{epochs}"));
    bar
}
