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
pub use super::recipe::{Grid, Recipe};
use super::recon::Recon;
pub use super::report::{render, PointResult, TaggerInfo, TaggerReport};
pub use super::setup::build_config;
use super::setup::{fresh_tagger, frozen_rows, load_teacher, prepare_out};
use super::{read_corpus, CorpusFormat, Sentence};
use crate::adam::FusedAdam;
use crate::average::Average;
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
    /// FULL+EMB: the teacher table the word lookup starts from; CHAR(D) with the recipe's
    /// `recon_weight`: the table it keeps reconstructing.
    pub teacher: Option<PathBuf>,
    pub grid: Grid,
    pub max_epochs: usize,
    /// Stop a grid point after this many epochs without a better dev accuracy.
    pub patience: usize,
    /// Successive halving: the epochs of each rung. Every grid point trains to the first
    /// rung's epoch, the better half on dev goes on to the next, and so on; the points left
    /// after the last rung train to `max_epochs`. Empty: every point trains to the end.
    pub halving: Vec<usize>,
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
    let frozen = teacher
        .as_ref()
        .filter(|_| opts.variant == Variant::FullEmb)
        .map(|t| frozen_rows(t, &config));
    let recon = Recon::new(&opts.recipe, &config, teacher.as_ref())?;
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
        recon: recon.as_ref(),
        data: &data,
    };
    let points = train_grid(&shared)?;
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

/// Trains the grid's points, rung by rung under successive halving (`opts.halving`), and
/// reports each as far as it went.
fn train_grid(shared: &Shared<'_>) -> Result<Vec<PointResult>> {
    let opts = shared.opts;
    let grid = opts.grid.points();
    let dirs: Vec<PathBuf> = grid
        .iter()
        .map(|&(lr, dropout)| opts.out.join("grid").join(point_name(lr, dropout)))
        .collect();
    let mut progress: Vec<Progress> = vec![Progress::default(); grid.len()];
    let mut alive: Vec<usize> = (0..grid.len()).collect();
    let rungs: Vec<usize> = opts
        .halving
        .iter()
        .copied()
        .filter(|&e| e < opts.max_epochs)
        .collect();
    for (rung, &epochs) in rungs.iter().chain([&opts.max_epochs]).enumerate() {
        if rung > 0 {
            // The better half on dev goes on (ties: grid order).
            alive.sort_by(|&a, &b| progress[b].best_dev.total_cmp(&progress[a].best_dev));
            alive.truncate(alive.len().div_ceil(2));
            alive.sort_unstable();
        }
        for &i in &alive {
            let (lr, dropout) = grid[i];
            let point = Point {
                lr,
                dropout,
                dir: &dirs[i],
            };
            progress[i] = train_point(shared, &point, epochs)?;
        }
    }
    Ok(grid
        .iter()
        .zip(&progress)
        .map(|(&(lr, dropout), p)| PointResult {
            lr,
            dropout,
            epochs: p.epoch,
            best_epoch: p.best_epoch,
            dev_accuracy: p.best_dev,
            seconds: p.seconds,
        })
        .collect())
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
        halving: opts.halving.clone(),
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
    recon: Option<&'a Recon<'a>>,
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

/// Trains one grid point up to epoch `until` or its end (early stopping or `max_epochs`),
/// resuming from its last checkpoint; returns its progress.
fn train_point(shared: &Shared<'_>, point: &Point<'_>, until: usize) -> Result<Progress> {
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
    let (mut model, mut optim, mut average) = start_point(shared, point, &progress, &device)?;
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
    let patient = |p: &Progress| p.epoch - p.best_epoch < opts.patience.max(1);
    if progress.epoch >= until && patient(&progress) {
        return Ok(progress);
    }
    while progress.epoch < until.min(opts.max_epochs) && patient(&progress) {
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
            let loss = match shared.recon {
                Some(recon) => loss + recon.loss(&model.chars, rng, &device),
                None => loss,
            };
            let model = update(&mut optim, &opts.recipe, lr, model, loss);
            if let Some(average) = average.as_mut() {
                average.update(&model);
            }
            Ok((model, total, n))
        };
        let started = Instant::now();
        let (trained, loss) =
            harness.epoch((epoch, opts.max_epochs), model, &batches, tokens, step)?;
        model = trained;
        let scored = scored(&model, average.as_ref());
        let dev = dev_accuracy(&scored, shared);
        let line = TaggerEpochMetrics {
            epoch,
            loss_per_token: loss.per_unit,
            dev_accuracy: dev,
            seconds: started.elapsed().as_secs_f64(),
            train_seconds: loss.seconds,
            tokens_per_s: loss.units_per_s,
        };
        let models = EpochModels {
            model: &model,
            scored: &scored,
            average: average.is_some(),
        };
        end_epoch(&harness, &mut progress, models, &optim, &line)?;
    }
    // A rung's end is a pause; the epoch limit or early stopping ends the point.
    if progress.epoch >= opts.max_epochs || !patient(&progress) {
        progress.done = true;
        write_json(&dir.join("progress.json"), &progress)?;
    }
    Ok(progress)
}

/// One optimizer step on `loss`; the character model's step is scaled by the recipe's
/// `char_lr` (0: it stays as it is).
fn update(
    optim: &mut ModuleOptimizer,
    recipe: &Recipe,
    lr: f64,
    model: TaggerModel,
    loss: Tensor<1>,
) -> TaggerModel {
    let mut grads = loss.backward();
    if recipe.char_lr == 1.0 {
        let grads = GradientsParams::from_grads(grads, &model);
        return optim.step(lr, model, grads);
    }
    let chars = GradientsParams::from_module(&mut grads, &model.chars);
    let rest = GradientsParams::from_grads(grads, &model);
    let model = optim.step(lr, model, rest);
    match recipe.char_lr > 0.0 {
        true => optim.step(lr * recipe.char_lr, model, chars),
        false => model,
    }
}

/// The weights an epoch is scored and kept by: the recipe's average of the steps when it
/// has one, else the last step's (dropout off either way).
fn scored(model: &TaggerModel, average: Option<&Average>) -> TaggerModel {
    match average {
        Some(average) => average.apply(model.valid()),
        None => model.valid(),
    }
}

/// An epoch's end state: the trained weights, and the ones it was scored by.
struct EpochModels<'a> {
    model: &'a TaggerModel,
    scored: &'a TaggerModel,
    /// `scored` is an average ([`Recipe::average`]) the checkpoint must keep.
    average: bool,
}

/// After an epoch: the best model so far kept in `best/`, the checkpoint, the metrics line.
fn end_epoch(
    harness: &Harness<'_>,
    progress: &mut Progress,
    models: EpochModels<'_>,
    optim: &ModuleOptimizer,
    line: &TaggerEpochMetrics,
) -> Result<()> {
    progress.seconds += line.seconds;
    progress.epoch = line.epoch;
    if line.dev_accuracy > progress.best_dev {
        progress.best_dev = line.dev_accuracy;
        progress.best_epoch = line.epoch;
        checkpoint::save_module(&harness.dir.join("best").join("model.bpk"), models.scored)?;
    }
    harness.checkpoint(progress, optim, |checkpoint| {
        if models.average {
            checkpoint::save_module(&checkpoint.join(AVERAGE_FILE), models.scored)?;
        }
        checkpoint::save_module(&checkpoint.join("model.bpk"), models.model)
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

/// A checkpoint's averaged weights ([`Recipe::average`]).
const AVERAGE_FILE: &str = "average.bpk";

/// A grid point's model, optimizer and weight average: from its checkpoint, or fresh.
fn start_point(
    shared: &Shared<'_>,
    point: &Point<'_>,
    progress: &Progress,
    device: &Device,
) -> Result<(TaggerModel, ModuleOptimizer, Option<Average>)> {
    let (config, dir, dropout) = (shared.config, point.dir, point.dropout);
    let recipe = &shared.opts.recipe;
    let mut average = (recipe.average > 0.0).then(|| Average::new(recipe.average as f32));
    if progress.checkpoint.is_none() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut model = fresh_tagger(shared.opts, config, shared.teacher, dropout, device)?;
        recipe.apply(&mut model);
        return Ok((model, FusedAdam::clipped(recipe.clip), average));
    }
    let checkpoint = progress.checkpoint_dir(dir);
    log::info!(
        "lr {:e}, dropout {dropout}: resuming after epoch {}",
        point.lr,
        progress.epoch
    );
    let mut model =
        checkpoint::load_module(&checkpoint.join("model.bpk"), config.init(dropout, device))?;
    recipe.apply(&mut model);
    let optim = checkpoint::load_optimizer(&checkpoint, FusedAdam::clipped(recipe.clip))?;
    if let Some(average) = average.as_mut() {
        let path = checkpoint.join(AVERAGE_FILE);
        average.update(&checkpoint::load_module(
            &path,
            config.init(dropout, device),
        )?);
    }
    Ok((model, optim, average))
}

/// Accuracy on the dev corpus of a model without dropout ([`scored`]).
fn dev_accuracy(model: &TaggerModel, shared: &Shared<'_>) -> f64 {
    let data = shared.data;
    let device = model.chars.chars.val().device();
    let predicted = predict(model, shared.lexicon, &data.dev, &device);
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
