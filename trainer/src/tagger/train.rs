//! `sublex-train tagger`: train one tagger variant over a grid of learning rates and dropout
//! probabilities, keep the point with the best dev accuracy, evaluate it on dev and test.
//!
//! Layout of `--out`:
//! - `config.json`: the tagger's description (vocabularies, tags, sizes), fixed by the data
//!   and the options; a resumed run must rebuild the same one.
//! - `grid/<lr>-<dropout>/`: one training directory per grid point: `progress.json`,
//!   `checkpoint-N/` (weights + Adam's state, the same atomic protocol as reconstruction),
//!   `best/model.bpk` (the best dev epoch so far), `metrics.jsonl`.
//! - `tagger.json` + `model.bpk`: the chosen tagger (what `export --tagger` reads);
//!   `report.json` and `report.md`: the grid, and dev/test accuracy of the chosen point.

use super::eval::{evaluate, predict};
use super::model::{Lexicon, TaggerConfig, TaggerModel, Variant};
pub use super::report::{render, PointResult, TaggerInfo, TaggerReport};
pub use super::setup::build_config;
use super::setup::{fresh_tagger, frozen_rows, load_teacher, prepare_out};
use super::{read_corpus, CorpusFormat, Sentence};
use crate::adam::FusedAdam;
use crate::batches::length_batches;
use crate::checkpoint::{self, read_json, write_json};
use crate::harness::{Harness, Progress};
use crate::teacher::{LoadOptions, Teacher};
use crate::train::train_device;
use anyhow::{Context, Result};
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Learning rates and dropout probabilities to try.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Grid {
    /// `full`, `small` or `custom`: how the grid was chosen, for the report.
    pub name: String,
    pub lrs: Vec<f64>,
    pub dropouts: Vec<f64>,
}

impl Grid {
    /// The paper's 5x5 grid: learning rate 1e-4..5e-4, dropout 0.1..0.5.
    pub fn full() -> Grid {
        Grid {
            name: "full".into(),
            lrs: vec![1e-4, 2e-4, 3e-4, 4e-4, 5e-4],
            dropouts: vec![0.1, 0.2, 0.3, 0.4, 0.5],
        }
    }

    /// A 2x2 corner of it, for machines that cannot afford 25 runs per variant.
    pub fn small() -> Grid {
        Grid {
            name: "small".into(),
            lrs: vec![3e-4, 5e-4],
            dropouts: vec![0.2, 0.4],
        }
    }

    fn points(&self) -> Vec<(f64, f64)> {
        self.lrs
            .iter()
            .flat_map(|&lr| self.dropouts.iter().map(move |&d| (lr, d)))
            .collect()
    }
}

/// How a grid point trains, besides its learning rate and dropout (docs/RESULTS.md, the
/// ablation on EWT dev).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    /// Sentences per batch (all of one length).
    pub batch: usize,
    /// The learning rate of epoch `e` (from 1) is `lr / (1 + lr_decay * (e - 1))`.
    pub lr_decay: f64,
    /// Clip each parameter's gradient to this L2 norm.
    pub clip: Option<f32>,
    /// Whole-word dropout on the character vectors ([`TaggerModel::word_dropout`]).
    #[serde(default)]
    pub word_dropout: f64,
}

impl Default for Recipe {
    fn default() -> Self {
        Recipe {
            batch: 16,
            lr_decay: 0.0,
            clip: None,
            word_dropout: 0.0,
        }
    }
}

impl Recipe {
    fn lr(&self, lr: f64, epoch: usize) -> f64 {
        lr / (1.0 + self.lr_decay * (epoch.max(1) - 1) as f64)
    }
}

/// Settings of `sublex-train tagger`.
#[derive(Clone, Debug)]
pub struct TaggerOptions {
    pub variant: Variant,
    pub train: PathBuf,
    pub dev: PathBuf,
    pub test: PathBuf,
    pub format: CorpusFormat,
    /// A reconstructed character model to start from (CHAR(D)).
    pub init: Option<PathBuf>,
    /// FULL+EMB: the teacher table the word lookup starts from.
    pub teacher: Option<PathBuf>,
    pub grid: Grid,
    pub max_epochs: usize,
    /// Stop a grid point after this many epochs without a better dev accuracy.
    pub patience: usize,
    pub recipe: Recipe,
    /// Character model size when it does not come from `--init` (`dc = d`).
    pub char_dim: usize,
    pub word_dim: usize,
    pub hidden: usize,
    pub mlp: usize,
    pub seed: u64,
    pub out: PathBuf,
    pub resume: bool,
    pub progress: bool,
}

/// The corpora and what is derived from them.
pub struct Data {
    pub train: Vec<Sentence>,
    pub dev: Vec<Sentence>,
    pub test: Vec<Sentence>,
    /// Word forms of the training corpus (for "unseen" accuracy).
    pub training_words: HashSet<String>,
}

impl Data {
    pub fn read(train: &Path, dev: &Path, test: &Path, format: CorpusFormat) -> Result<Data> {
        let train = read_corpus(train, format)?;
        let training_words = train.iter().flat_map(|s| s.words.iter().cloned()).collect();
        Ok(Data {
            dev: read_corpus(dev, format)?,
            test: read_corpus(test, format)?,
            train,
            training_words,
        })
    }

    fn tokens(&self) -> usize {
        self.train.iter().map(|s| s.words.len()).sum()
    }
}

/// Trains every grid point (resuming where asked), picks the best on dev, and writes the
/// chosen tagger and its report.
pub fn train_tagger(opts: &TaggerOptions) -> Result<TaggerReport> {
    let started = Instant::now();
    let data = Data::read(&opts.train, &opts.dev, &opts.test, opts.format)?;
    let teacher = load_teacher(opts)?;
    let config = build_config(opts, &data, teacher.as_ref())?;
    prepare_out(opts, &config)?;
    let frozen = teacher.as_ref().map(|t| frozen_rows(t, &config));
    let lexicon = Lexicon::new(&config, frozen.clone());
    log::info!(
        "{}: {} training sentences ({} tokens), {} tags, {} characters{}",
        config.name(),
        data.train.len(),
        data.tokens(),
        config.tags.len(),
        config.chars.vocab.len(),
        config
            .words
            .as_ref()
            .map(|w| format!(", {} word rows", w.words.len() + 1))
            .unwrap_or_default()
    );

    let shared = Shared {
        opts,
        config: &config,
        lexicon: &lexicon,
        teacher: teacher.as_ref(),
        data: &data,
    };
    let mut points = Vec::new();
    for (lr, dropout) in opts.grid.points() {
        let dir = opts.out.join("grid").join(point_name(lr, dropout));
        let progress = train_point(
            &shared,
            &Point {
                lr,
                dropout,
                dir: &dir,
            },
        )?;
        points.push(PointResult {
            lr,
            dropout,
            epochs: progress.epoch,
            best_epoch: progress.best_epoch,
            dev_accuracy: progress.best_dev,
            seconds: progress.seconds,
        });
    }
    let best = points
        .iter()
        .max_by(|a, b| a.dev_accuracy.total_cmp(&b.dev_accuracy))
        .context("the grid is empty")?
        .clone();
    let frozen_rows = frozen.as_ref().map_or(0, HashMap::len);
    let report = choose(&shared, points, &best, frozen_rows, started)?;
    write_json(&opts.out.join("report.json"), &report)?;
    checkpoint::write_atomic(&opts.out.join("report.md"), render(&report).as_bytes())?;
    Ok(report)
}

/// Makes the best point's best epoch the run's tagger (`model.bpk`, `tagger.json`) and
/// reports it on dev and test.
fn choose(
    shared: &Shared<'_>,
    points: Vec<PointResult>,
    best: &PointResult,
    teacher_rows: usize,
    started: Instant,
) -> Result<TaggerReport> {
    let (opts, config, data) = (shared.opts, shared.config, shared.data);

    // The chosen tagger: the best point's best epoch.
    let device = Device::flex();
    let dir = opts
        .out
        .join("grid")
        .join(point_name(best.lr, best.dropout));
    let model = checkpoint::load_module(
        &dir.join("best").join("model.bpk"),
        config.init(best.dropout, &device),
    )?;
    checkpoint::save_module(&opts.out.join("model.bpk"), &model)?;
    let info = TaggerInfo {
        config: config.clone(),
        lr: best.lr,
        dropout: best.dropout,
    };
    write_json(&opts.out.join("tagger.json"), &info)?;

    let eval = |sentences: &[Sentence]| {
        let predicted = predict(&model, shared.lexicon, sentences, &device);
        evaluate(
            sentences,
            &predicted,
            &config.tags,
            &data.training_words,
            10,
        )
    };
    Ok(TaggerReport {
        model: config.name(),
        train: opts.train.display().to_string(),
        dev: opts.dev.display().to_string(),
        test: opts.test.display().to_string(),
        grid: opts.grid.name.clone(),
        points,
        chosen_lr: best.lr,
        chosen_dropout: best.dropout,
        lookup_rows: config.lookup_rows(teacher_rows),
        parameters: model.num_params() + teacher_rows * config.words.as_ref().map_or(0, |w| w.dim),
        train_sentences: data.train.len(),
        train_tokens: data.tokens(),
        seconds: started.elapsed().as_secs_f64(),
        dev_eval: eval(&data.dev),
        test_eval: eval(&data.test),
    })
}

fn point_name(lr: f64, dropout: f64) -> String {
    format!("lr{lr:e}-dropout{dropout}")
}

/// One grid point: its hyperparameters and its training directory.
struct Point<'a> {
    lr: f64,
    dropout: f64,
    dir: &'a Path,
}

/// What every grid point shares: the options, the data and the tagger's description.
struct Shared<'a> {
    opts: &'a TaggerOptions,
    config: &'a TaggerConfig,
    lexicon: &'a Lexicon,
    teacher: Option<&'a Teacher>,
    data: &'a Data,
}

/// One line of a grid point's `metrics.jsonl`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TaggerEpochMetrics {
    pub epoch: usize,
    pub loss_per_token: f64,
    pub dev_accuracy: f64,
    /// Training and dev evaluation.
    pub seconds: f64,
    /// Training alone.
    pub train_seconds: f64,
    pub tokens_per_s: f64,
}

/// Trains one grid point to its end (early stopping or `max_epochs`), resuming from its
/// last checkpoint; returns its final progress.
fn train_point(shared: &Shared<'_>, point: &Point<'_>) -> Result<Progress> {
    let (opts, config, data) = (shared.opts, shared.config, shared.data);
    let (lr, dropout, dir) = (point.lr, point.dropout, point.dir);
    let device = train_device();
    let mut progress = Progress::load(dir)?.unwrap_or_default();
    if progress.done {
        log::info!(
            "lr {lr:e}, dropout {dropout}: done (best dev {:.4} at epoch {})",
            progress.best_dev,
            progress.best_epoch
        );
        return Ok(progress);
    }
    let (mut model, mut optim) = start_point(shared, point, &progress, &device)?;
    let singletons = singletons(&data.train);
    let lengths: Vec<usize> = data.train.iter().map(|s| s.words.len()).collect();
    let batches = length_batches(&lengths, opts.recipe.batch);
    let tokens = data.tokens();
    let with_words = config.words.is_some();
    let harness = Harness {
        dir,
        seed: opts.seed,
        show_progress: opts.progress,
        unit: "tokens",
        label: format!("lr {lr:e} dropout {dropout} "),
    };
    while progress.epoch < opts.max_epochs
        && progress.epoch - progress.best_epoch < opts.patience.max(1)
    {
        let epoch = progress.epoch + 1;
        let lr = opts.recipe.lr(lr, epoch);
        let step = |model: TaggerModel, batch: &[usize], rng: &mut ChaCha8Rng| {
            let words: Vec<&[String]> = batch.iter().map(|&i| &data.train[i].words[..]).collect();
            let gold: Vec<i64> = batch
                .iter()
                .flat_map(|&i| data.train[i].tags.iter())
                .map(|t| config.tags.id(t).expect("training tags are in the tag set") as i64)
                .collect();
            let n = gold.len();
            let input =
                shared
                    .lexicon
                    .batch(&words, Some((&singletons, &mut *rng)), with_words, &device);
            let scores = model.scores(&input, Some(rng));
            let gold = Tensor::<2, Int>::from_data(TensorData::new(gold, [n, 1]), &device);
            let loss = log_softmax(scores, 1).gather(1, gold).sum().neg() / n as f32;
            let total = loss.clone().into_scalar::<f32>() as f64 * n as f64;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            Ok((optim.step(lr, model, grads), total, n))
        };
        let started = Instant::now();
        let (trained, loss) =
            harness.epoch((epoch, opts.max_epochs), model, &batches, tokens, step)?;
        model = trained;
        let dev = dev_accuracy(&model, shared);
        let line = TaggerEpochMetrics {
            epoch,
            loss_per_token: loss.per_unit,
            dev_accuracy: dev,
            seconds: started.elapsed().as_secs_f64(),
            train_seconds: loss.seconds,
            tokens_per_s: loss.units_per_s,
        };
        end_epoch(&harness, &mut progress, &model, &optim, &line)?;
    }
    progress.done = true;
    write_json(&dir.join("progress.json"), &progress)?;
    Ok(progress)
}

/// After an epoch: the best model so far kept in `best/`, the checkpoint, the metrics line.
fn end_epoch(
    harness: &Harness<'_>,
    progress: &mut Progress,
    model: &TaggerModel,
    optim: &ModuleOptimizer,
    line: &TaggerEpochMetrics,
) -> Result<()> {
    progress.seconds += line.seconds;
    progress.epoch = line.epoch;
    if line.dev_accuracy > progress.best_dev {
        progress.best_dev = line.dev_accuracy;
        progress.best_epoch = line.epoch;
        checkpoint::save_module(&harness.dir.join("best").join("model.bpk"), model)?;
    }
    harness.checkpoint(progress, optim, |checkpoint| {
        checkpoint::save_module(&checkpoint.join("model.bpk"), model)
    })?;
    harness.metrics(line)?;
    log::info!(
        "{}epoch {}: loss/token {:.4}, dev {:.2}%, {:.0} s",
        harness.label,
        line.epoch,
        line.loss_per_token,
        100.0 * line.dev_accuracy,
        line.seconds
    );
    Ok(())
}

/// A grid point's model and optimizer: from its checkpoint, or fresh.
fn start_point(
    shared: &Shared<'_>,
    point: &Point<'_>,
    progress: &Progress,
    device: &Device,
) -> Result<(TaggerModel, ModuleOptimizer)> {
    let (config, dir, dropout) = (shared.config, point.dir, point.dropout);
    if progress.checkpoint.is_none() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut model = fresh_tagger(shared.opts, config, shared.teacher, dropout, device)?;
        model.word_dropout = shared.opts.recipe.word_dropout;
        return Ok((model, FusedAdam::clipped(shared.opts.recipe.clip)));
    }
    let checkpoint = progress.checkpoint_dir(dir);
    log::info!(
        "lr {:e}, dropout {dropout}: resuming after epoch {}",
        point.lr,
        progress.epoch
    );
    let mut model =
        checkpoint::load_module(&checkpoint.join("model.bpk"), config.init(dropout, device))?;
    model.word_dropout = shared.opts.recipe.word_dropout;
    let optim =
        checkpoint::load_optimizer(&checkpoint, FusedAdam::clipped(shared.opts.recipe.clip))?;
    Ok((model, optim))
}

/// Accuracy on the dev corpus of the model as it stands (dropout off).
fn dev_accuracy(model: &TaggerModel, shared: &Shared<'_>) -> f64 {
    let data = shared.data;
    let valid = model.valid();
    let device = valid.chars.chars.val().device();
    let predicted = predict(&valid, shared.lexicon, &data.dev, &device);
    evaluate(
        &data.dev,
        &predicted,
        &shared.config.tags,
        &data.training_words,
        0,
    )
    .accuracy
}

/// Lowercased words seen exactly once in training.
fn singletons(train: &[Sentence]) -> HashSet<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for word in train.iter().flat_map(|s| s.words.iter()) {
        *counts.entry(Lexicon::key(word)).or_default() += 1;
    }
    counts
        .into_iter()
        .filter(|&(_, n)| n == 1)
        .map(|(w, _)| w)
        .collect()
}

/// Loads a chosen tagger (`tagger.json` + `model.bpk` in `dir`) with its lexicon.
pub fn load_tagger(dir: &Path, device: &Device) -> Result<(TaggerModel, TaggerInfo, Lexicon)> {
    let info: TaggerInfo = read_json(&dir.join("tagger.json"))?;
    let model = checkpoint::load_module(
        &dir.join("model.bpk"),
        info.config.init(info.dropout, device),
    )?;
    let frozen = match info.config.words.as_ref().and_then(|w| w.teacher.as_ref()) {
        Some(path) => Some(frozen_rows(
            &Teacher::load(path, &LoadOptions::default())?,
            &info.config,
        )),
        None => None,
    };
    let lexicon = Lexicon::new(&info.config, frozen);
    Ok((model, info, lexicon))
}
