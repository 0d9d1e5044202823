//! One grid point's training: epochs of batches to early stopping or a rung's end, each
//! scored on dev, checkpointed (with Adam's state and the weight average) and resumable.

use super::distill::Distill;
use super::eval::{evaluate, predict};
use super::model::{Lexicon, TaggerConfig, TaggerModel};
use super::recipe::Recipe;
use super::recon::Recon;
use super::setup::fresh_tagger;
use super::train::{Data, TaggerOptions};
use super::Sentence;
use crate::adam::FusedAdam;
use crate::average::Average;
use crate::batches::length_batches;
use crate::checkpoint::{self, write_json};
use crate::harness::{Harness, Progress};
use crate::teacher::Teacher;
use crate::train::train_device;
use anyhow::{Context, Result};
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

/// One grid point: its hyperparameters and its training directory.
pub(super) struct Point<'a> {
    pub lr: f64,
    pub dropout: f64,
    pub dir: &'a Path,
}

/// What every grid point shares: the options, the data and the tagger's description.
pub(super) struct Shared<'a> {
    pub opts: &'a TaggerOptions,
    pub config: &'a TaggerConfig,
    pub lexicon: &'a Lexicon,
    pub teacher: Option<&'a Teacher>,
    pub recon: Option<&'a Recon<'a>>,
    pub distill: Option<&'a Distill>,
    pub data: &'a Data,
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
pub(super) fn train_point(
    shared: &Shared<'_>,
    point: &Point<'_>,
    until: usize,
) -> Result<Progress> {
    let (opts, data) = (shared.opts, shared.data);
    let (lr, dropout, dir) = (point.lr, point.dropout, point.dir);
    let device = train_device();
    let mut progress = Progress::load(dir)?.unwrap_or_default();
    let patient = |p: &Progress| p.epoch - p.best_epoch < opts.patience.max(1);
    // Whether a point has ended is asked of the options it runs under now, so a finished
    // run resumed with a longer patience or epoch limit goes on from its last checkpoint.
    let ended = |p: &Progress| p.epoch >= opts.max_epochs || !patient(p);
    if progress.done && ended(&progress) {
        log::info!(
            "lr {lr:e}, dropout {dropout}: done (best dev {:.4} at epoch {})",
            progress.best_dev,
            progress.best_epoch
        );
        return Ok(progress);
    }
    progress.done = false;
    let (mut model, mut optim, mut average) = start_point(shared, point, &progress, &device)?;
    let singletons = singletons(&data.train);
    let lengths: Vec<usize> = data.train.iter().map(|s| s.words.len()).collect();
    let batches = length_batches(&lengths, opts.recipe.batch);
    let tokens = data.tokens();
    let harness = Harness {
        dir,
        seed: opts.seed,
        show_progress: opts.progress,
        unit: "tokens",
        label: format!("lr {lr:e} dropout {dropout} "),
    };
    if progress.epoch >= until && patient(&progress) {
        return Ok(progress);
    }
    while progress.epoch < until.min(opts.max_epochs) && patient(&progress) {
        let epoch = progress.epoch + 1;
        let lr = opts.recipe.lr(lr, epoch);
        let step = |model: TaggerModel, batch: &[usize], rng: &mut ChaCha8Rng| {
            let (loss, total, n) = batch_loss(shared, &model, batch, &singletons, rng, &device);
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
    if ended(&progress) {
        progress.done = true;
        write_json(&dir.join("progress.json"), &progress)?;
    }
    Ok(progress)
}

/// A batch's loss: the mean negative log-likelihood of its gold tags (mixed with the
/// distilled distributions' cross-entropy, plus the reconstruction term, where the recipe has
/// them); the gold term's sum alone, and the token count.
fn batch_loss(
    shared: &Shared<'_>,
    model: &TaggerModel,
    batch: &[usize],
    singletons: &HashSet<String>,
    rng: &mut ChaCha8Rng,
    device: &Device,
) -> (Tensor<1>, f64, usize) {
    let (config, data) = (shared.config, shared.data);
    let words: Vec<&[String]> = batch.iter().map(|&i| &data.train[i].words[..]).collect();
    let gold: Vec<i64> = batch
        .iter()
        .flat_map(|&i| data.train[i].tags.iter())
        .map(|t| config.tags.id(t).expect("training tags are in the tag set") as i64)
        .collect();
    let n = gold.len();
    let with_words = config.words.is_some();
    let input = shared
        .lexicon
        .batch(&words, Some((singletons, &mut *rng)), with_words, device);
    let log_probs = log_softmax(model.scores(&input, Some(rng)), 1);
    let gold = Tensor::<2, Int>::from_data(TensorData::new(gold, [n, 1]), device);
    let loss = log_probs.clone().gather(1, gold).sum().neg() / n as f32;
    let total = loss.clone().into_scalar::<f32>() as f64 * n as f64;
    let loss = match shared.distill {
        Some(distill) => distill.mix(batch, loss, log_probs),
        None => loss,
    };
    let loss = match shared.recon {
        Some(recon) => loss + recon.loss(&model.chars, rng, device),
        None => loss,
    };
    (loss, total, n)
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
