//! `sublex-train reconstruct`: fit the character model to a teacher table (paper eq. 1).

use crate::adam::FusedAdam;
use crate::batches::{length_batches, length_batches_by, HardNegatives};
use crate::checkpoint::{self, save_model, ModelInfo, FORMAT_VERSION};
use crate::distance::{info_nce, relational, Distance, DEFAULT_TEMPERATURE};
use crate::harness::{EpochLoss, Harness, Progress};
use crate::model::{CharModel, CharModelConfig};
use crate::relation_queue::RelationQueue;
use crate::teacher::{held_out, Teacher};
use anyhow::{bail, Context, Result};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use sublex_runtime::CharVocab;

/// Settings of a reconstruction run.
#[derive(Clone, Debug)]
pub struct ReconstructOptions {
    pub loss: Distance,
    /// The contrastive loss's temperature (the distances ignore it).
    pub temperature: f32,
    /// The share of the teacher's words kept out of training ([`crate::teacher::held_out`]).
    pub holdout: f64,
    /// Weights each word's loss by `(rank + 1)^-a`, the teacher's rows being in frequency
    /// order, normalised to a mean of 1 over the training rows (0: every word alike).
    pub frequency_weight: f64,
    /// Orders each length's words by spelling before batching, so the contrastive loss's
    /// in-batch negatives are words spelled alike (none: teacher row order, the paper's).
    pub hard_negatives: Option<HardNegatives>,
    /// Random teacher rows (training words outside the batch) added to each batch's
    /// negatives for the contrastive loss (0: the batch's own words only).
    pub negatives: usize,
    /// Adds this multiple of Dcos to each word's loss (0: the loss alone), so that a
    /// contrastive student also reconstructs its teacher vector's direction.
    pub cos_weight: f64,
    /// Adds this multiple of [`relational`] to each word's loss (0: none), so that the
    /// student's vectors stand to one another as the teacher's do.
    pub relation_weight: f64,
    /// The relational loss's neighbours also take in the last this many words of earlier
    /// batches (0: the batch's own words only, which all have one length).
    pub relation_queue: usize,
    /// Decays the learning rate to zero over `epochs` along a half cosine, one value per
    /// epoch (false: constant, the paper's).
    pub cosine_decay: bool,
    /// AdamW's decoupled weight decay (0: Adam, the paper's). It keeps the recurrent weights
    /// small, which keeps a long-trained student's int8 file close to its f32 one.
    pub weight_decay: f64,
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
            temperature: DEFAULT_TEMPERATURE,
            holdout: 0.0,
            frequency_weight: 0.0,
            hard_negatives: None,
            negatives: 0,
            cos_weight: 0.0,
            relation_weight: 0.0,
            relation_queue: 0,
            cosine_decay: false,
            weight_decay: 0.0,
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

/// One line of a reconstruction run's `metrics.jsonl`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EpochMetrics {
    pub epoch: usize,
    /// The distance trained on (its command-line name).
    pub loss: String,
    pub loss_per_word: f64,
    pub words: usize,
    pub seconds: f64,
    pub words_per_s: f64,
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
    (model, recorded_info(teacher, opts, config))
}

/// What `model.json` records of a run started with `opts` (before its first epoch).
fn recorded_info(
    teacher: &Teacher,
    opts: &ReconstructOptions,
    config: CharModelConfig,
) -> ModelInfo {
    ModelInfo {
        format_version: FORMAT_VERSION,
        model: config,
        teacher: teacher.name().to_string(),
        teacher_words: teacher.len(),
        loss: opts.loss,
        temperature: fresh_temperature(opts),
        holdout: opts.holdout,
        frequency_weight: opts.frequency_weight,
        hard_negatives: opts.hard_negatives,
        negatives: fresh_negatives(opts),
        cos_weight: opts.cos_weight,
        relation_weight: opts.relation_weight,
        relation_queue: fresh_relation_queue(opts),
        cosine_decay_epochs: fresh_decay_epochs(opts),
        weight_decay: opts.weight_decay,
        epochs: 0,
        seed: opts.seed,
    }
}

/// Trains (or resumes) and returns the final model's description.
pub fn reconstruct(teacher: &Teacher, opts: &ReconstructOptions) -> Result<ModelInfo> {
    check_weights(opts)?;
    let device = train_device();
    let (mut model, mut info, mut optim, mut progress) = start(teacher, opts, &device)?;
    let encoded: Vec<Vec<u32>> = teacher
        .words()
        .iter()
        .map(|w| info.model.vocab.encode(w))
        .collect();
    let (rows, batches) = training_batches(teacher, &encoded, opts);
    let weight = frequency_weights(teacher.len(), &rows, opts.frequency_weight);
    if opts.negatives > 0 && rows.len() <= opts.batch {
        bail!(
            "--negatives: {} training words leave none to draw outside a batch of {}",
            rows.len(),
            opts.batch
        );
    }
    let harness = Harness {
        dir: &opts.out,
        seed: opts.seed,
        show_progress: opts.progress,
        unit: "words",
        label: String::new(),
    };
    // Not checkpointed: a resumed run refills it within its first batches.
    let mut queue = RelationQueue::new(opts.relation_queue);
    for epoch in info.epochs + 1..=opts.epochs {
        let lr = epoch_lr(opts, epoch);
        let step = |model: CharModel, batch: &[usize], rng: &mut ChaCha8Rng| {
            let words: Vec<&[u32]> = batch.iter().map(|&i| &encoded[i][..]).collect();
            let target = teacher_rows(teacher, batch, &device);
            let negatives = (opts.negatives > 0).then(|| {
                let drawn = draw_negatives(&rows, batch, opts.negatives, rng);
                teacher_rows(teacher, &drawn, &device)
            });
            let output = model.forward_train(&words, rng);
            let neighbours = queue.tensors(teacher, &device);
            queue.push(batch, &output);
            let per_word = word_losses(opts, target, output, negatives, neighbours);
            let loss = weighted_sum(per_word, weight.as_deref(), batch, &device);
            let total = loss.clone().into_scalar::<f32>() as f64;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            Ok((optim.step(lr, model, grads), total, batch.len()))
        };
        let (trained, loss) =
            harness.epoch((epoch, opts.epochs), model, &batches, rows.len(), step)?;
        model = trained;
        info.epochs = epoch;
        progress.epoch = epoch;
        progress.seconds += loss.seconds;
        // The latest model is saved beside the checkpoint before progress.json points at
        // it: a kill never leaves model.json behind the checkpoint.
        harness.checkpoint(&mut progress, &optim, |checkpoint| {
            save_model(checkpoint, &model, &info)?;
            save_model(&opts.out, &model, &info)
        })?;
        if opts.keep_every > 0 && epoch % opts.keep_every == 0 {
            save_model(
                &opts.out.join("epochs").join(epoch.to_string()),
                &model,
                &info,
            )?;
        }
        record_epoch(&harness, opts, epoch, rows.len(), &loss)?;
    }
    Ok(info)
}

/// Appends `epoch`'s line to `metrics.jsonl` and logs it.
fn record_epoch(
    harness: &Harness,
    opts: &ReconstructOptions,
    epoch: usize,
    words: usize,
    loss: &EpochLoss,
) -> Result<()> {
    let line = EpochMetrics {
        epoch,
        loss: opts.loss.cli_name().into(),
        loss_per_word: loss.per_unit,
        words,
        seconds: loss.seconds,
        words_per_s: loss.units_per_s,
    };
    harness.metrics(&line)?;
    log::info!(
        "epoch {epoch}/{}: loss/word {:.4}, {:.0} words/s, {:.1} s",
        opts.epochs,
        line.loss_per_word,
        line.words_per_s,
        line.seconds
    );
    Ok(())
}

/// `--cos-weight`, `--relation-weight` and `--weight-decay` are finite and at least 0;
/// `--negatives` goes with the contrastive loss and `--relation-queue` with the relational.
fn check_weights(opts: &ReconstructOptions) -> Result<()> {
    if opts.relation_queue > 0 && opts.relation_weight == 0.0 {
        bail!(
            "--relation-queue {} needs --relation-weight",
            opts.relation_queue
        );
    }
    if opts.negatives > 0 && opts.loss != Distance::Contrastive {
        bail!(
            "--negatives {} needs --loss contrastive (not {})",
            opts.negatives,
            opts.loss.cli_name()
        );
    }
    let weights = [
        ("--cos-weight", opts.cos_weight),
        ("--relation-weight", opts.relation_weight),
        ("--weight-decay", opts.weight_decay),
    ];
    for (name, value) in weights {
        if !(value.is_finite() && value >= 0.0) {
            bail!("{name} must be a finite number >= 0, not {value}");
        }
    }
    Ok(())
}

/// The training rows (every teacher word outside the held-out share) and their
/// length-sorted batches, as teacher row numbers: inside a length in row order, or by
/// spelling with `--hard-negatives`.
fn training_batches(
    teacher: &Teacher,
    encoded: &[Vec<u32>],
    opts: &ReconstructOptions,
) -> (Vec<usize>, Vec<Vec<usize>>) {
    let rows: Vec<usize> = (0..teacher.len())
        .filter(|&i| !held_out(&teacher.words()[i], opts.holdout))
        .collect();
    let lengths: Vec<usize> = rows.iter().map(|&i| encoded[i].len()).collect();
    let batches = match opts.hard_negatives {
        None => length_batches(&lengths, opts.batch),
        Some(hard) => length_batches_by(&lengths, opts.batch, |j| {
            hard.key(&teacher.words()[rows[j]])
        }),
    };
    let batches = batches
        .into_iter()
        .map(|batch| batch.into_iter().map(|i| rows[i]).collect())
        .collect();
    (rows, batches)
}

/// The batch's loss: the per-word losses summed, each scaled by its word's frequency
/// weight when the run has one.
fn weighted_sum(
    per_word: Tensor<1>,
    weight: Option<&[f32]>,
    batch: &[usize],
    device: &Device,
) -> Tensor<1> {
    match weight {
        Some(weight) => {
            let w: Vec<f32> = batch.iter().map(|&i| weight[i]).collect();
            (per_word * Tensor::<1>::from_data(TensorData::new(w, [batch.len()]), device)).sum()
        }
        None => per_word.sum(),
    }
}

/// A fresh run, or the checkpoint in `opts.out` when resuming.
fn start(
    teacher: &Teacher,
    opts: &ReconstructOptions,
    device: &Device,
) -> Result<(CharModel, ModelInfo, ModuleOptimizer, Progress)> {
    let optim = FusedAdam::decayed(opts.weight_decay as f32);
    match (Progress::load(&opts.out)?, opts.resume) {
        (Some(progress), true) => {
            let dir = progress.checkpoint_dir(&opts.out);
            let (model, info) = checkpoint::load_model(&dir, device)?;
            check_same_run(&info, teacher, opts)?;
            let optim = checkpoint::load_optimizer(&dir, optim)?;
            log::info!("resuming {} after epoch {}", opts.out.display(), info.epochs);
            Ok((model, info, optim, progress))
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
                save_model(&opts.out.join("epochs").join("0"), &model, &info)?;
            }
            Ok((model, info, optim, Progress::default()))
        }
    }
}

/// Each of the teacher's `len` rows' loss weight, `(i + 1)^-a` over the mean of the
/// training `rows`' weights, computed once per run; `None` for `a = 0` (every word alike,
/// the paper's objective).
fn frequency_weights(len: usize, rows: &[usize], a: f64) -> Option<Vec<f32>> {
    if a == 0.0 {
        return None;
    }
    let raw = |i: usize| ((i + 1) as f64).powf(-a);
    let mean = rows.iter().map(|&i| raw(i)).sum::<f64>() / rows.len().max(1) as f64;
    Some((0..len).map(|i| (raw(i) / mean) as f32).collect())
}

/// Each word's loss: `--loss` (the contrastive one also against `negatives` when drawn),
/// plus `--cos-weight` times Dcos and `--relation-weight` times [`relational`] (over the
/// batch and `queue`) when set.
fn word_losses(
    opts: &ReconstructOptions,
    target: Tensor<2>,
    output: Tensor<2>,
    negatives: Option<Tensor<2>>,
    queue: Option<(Tensor<2>, Tensor<2>)>,
) -> Tensor<1> {
    let mut loss = match negatives {
        Some(_) => info_nce(target.clone(), output.clone(), opts.temperature, negatives),
        None => opts
            .loss
            .per_word(target.clone(), output.clone(), opts.temperature),
    };
    if opts.cos_weight != 0.0 {
        let cos = Distance::Cos.per_word(target.clone(), output.clone(), 0.0);
        loss = loss + cos * opts.cos_weight as f32;
    }
    if opts.relation_weight != 0.0 {
        let relation = relational(target, output, opts.temperature, queue);
        loss = loss + relation * opts.relation_weight as f32;
    }
    loss
}

/// `n` training rows drawn uniformly with replacement, none of them in `batch` (so a word's
/// own teacher vector is never also one of its negatives).
fn draw_negatives(rows: &[usize], batch: &[usize], n: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut drawn = Vec::with_capacity(n);
    while drawn.len() < n {
        let row = rows[rng.gen_range(0..rows.len())];
        if !batch.contains(&row) {
            drawn.push(row);
        }
    }
    drawn
}

/// The teacher's `rows` as one `[rows, dim]` tensor.
pub(crate) fn teacher_rows(teacher: &Teacher, rows: &[usize], device: &Device) -> Tensor<2> {
    let values: Vec<f32> = rows
        .iter()
        .flat_map(|&i| teacher.vector(i).iter().copied())
        .collect();
    Tensor::from_data(TensorData::new(values, [rows.len(), teacher.dim()]), device)
}

/// The learning rate of `epoch` (1-based): `--lr`, or with `--cosine-decay` `--lr` times
/// `(1 + cos(pi (epoch - 1/2) / epochs)) / 2`, the half cosine sampled at the epoch's middle
/// so that the last epoch still learns.
fn epoch_lr(opts: &ReconstructOptions, epoch: usize) -> f64 {
    if !opts.cosine_decay {
        return opts.lr;
    }
    let t = (epoch as f64 - 0.5) / opts.epochs as f64;
    opts.lr * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
}

/// What a run started with `opts` records as its decay's span: `--epochs` with
/// `--cosine-decay`, else none.
fn fresh_decay_epochs(opts: &ReconstructOptions) -> Option<usize> {
    opts.cosine_decay.then_some(opts.epochs)
}

/// What a run started with `opts` records as its relational queue's length.
fn fresh_relation_queue(opts: &ReconstructOptions) -> Option<usize> {
    (opts.relation_queue > 0).then_some(opts.relation_queue)
}

/// What a run started with `opts` records as its drawn negatives per batch.
fn fresh_negatives(opts: &ReconstructOptions) -> Option<usize> {
    (opts.negatives > 0).then_some(opts.negatives)
}

/// What a run started with `opts` records as its temperature (the contrastive and the
/// relational losses use it).
fn fresh_temperature(opts: &ReconstructOptions) -> Option<f32> {
    (opts.loss == Distance::Contrastive || opts.relation_weight != 0.0).then_some(opts.temperature)
}

/// A resumed run must go on as it started: the same teacher, objective and options, highway
/// layer and seed as its `model.json` records. The error names each field that differs.
fn check_same_run(info: &ModelInfo, teacher: &Teacher, opts: &ReconstructOptions) -> Result<()> {
    let config = CharModelConfig {
        highway: opts.highway,
        ..info.model.clone()
    };
    let asked = ModelInfo {
        epochs: info.epochs,
        ..recorded_info(teacher, opts, config)
    };
    let (run, asked) = (serde_json::to_value(info)?, serde_json::to_value(&asked)?);
    let (Some(run), Some(asked)) = (run.as_object(), asked.as_object()) else {
        bail!("model.json is not an object");
    };
    // Options left at their off value are not written, so a missing key reads "none".
    let shown = |v: Option<&serde_json::Value>| match v {
        None => "none".to_string(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    };
    let differ: Vec<String> = run
        .keys()
        .chain(asked.keys().filter(|k| !run.contains_key(*k)))
        .filter(|k| run.get(*k) != asked.get(*k))
        .map(|k| {
            format!(
                "{k}: {} in the run, {} asked",
                shown(run.get(k)),
                shown(asked.get(k))
            )
        })
        .collect();
    if !differ.is_empty() {
        bail!(
            "--resume: the run in {} was started with other options ({}); resume it with its own, or choose another --out",
            opts.out.display(),
            differ.join("; ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_decay_halves_at_the_middle_and_ends_near_zero() {
        let mut opts = ReconstructOptions {
            epochs: 10,
            lr: 1e-3,
            ..ReconstructOptions::default()
        };
        assert_eq!(epoch_lr(&opts, 7), 1e-3);
        opts.cosine_decay = true;
        let lrs: Vec<f64> = (1..=10).map(|e| epoch_lr(&opts, e)).collect();
        assert!(lrs.windows(2).all(|w| w[1] < w[0]), "{lrs:?}");
        assert!(lrs[0] < 1e-3 && lrs[0] > 0.99e-3, "{lrs:?}");
        // Epochs 5 and 6 straddle the middle: their rates sum to lr.
        assert!((lrs[4] + lrs[5] - 1e-3).abs() < 1e-12, "{lrs:?}");
        assert!(lrs[9] > 0.0 && lrs[9] < 0.01e-3, "{lrs:?}");
    }

    /// `--cos-weight` adds that multiple of Dcos to each word's loss, to the value.
    #[test]
    fn cos_weight_adds_dcos() {
        let device = Device::flex();
        let rows = |v: Vec<f32>| Tensor::<2>::from_data(TensorData::new(v, [2, 2]), &device);
        let (teacher, student) = (
            rows(vec![1.0, 0.0, 0.0, 1.0]),
            rows(vec![1.0, 1.0, 0.0, 2.0]),
        );
        let mut opts = ReconstructOptions {
            loss: Distance::Contrastive,
            ..ReconstructOptions::default()
        };
        let loss = |opts: &ReconstructOptions| -> Vec<f32> {
            word_losses(opts, teacher.clone(), student.clone(), None, None)
                .into_data()
                .try_into_vec::<f32>()
                .unwrap()
        };
        let alone = loss(&opts);
        opts.cos_weight = 0.5;
        let mixed = loss(&opts);
        // Dcos: -cos((1, 0), (1, 1)) = -1/√2 and -cos((0, 1), (0, 2)) = -1.
        let expected = [alone[0] - 0.5 / 2f32.sqrt(), alone[1] - 0.5];
        for (got, want) in mixed.iter().zip(expected) {
            assert!((got - want).abs() < 1e-6, "{mixed:?} vs {expected:?}");
        }
    }

    #[test]
    fn relation_weight_adds_the_relational_loss() {
        let device = Device::flex();
        let rows = |v: Vec<f32>| Tensor::<2>::from_data(TensorData::new(v, [3, 2]), &device);
        let teacher = rows(vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
        let student = rows(vec![1.0, 1.0, 0.0, 2.0, -1.0, 0.5]);
        let values = |t: Tensor<1>| t.into_data().try_into_vec::<f32>().unwrap();
        let mut opts = ReconstructOptions::default();
        let alone = values(word_losses(
            &opts,
            teacher.clone(),
            student.clone(),
            None,
            None,
        ));
        opts.relation_weight = 0.5;
        let mixed = values(word_losses(
            &opts,
            teacher.clone(),
            student.clone(),
            None,
            None,
        ));
        let relation = values(relational(teacher, student, opts.temperature, None));
        for i in 0..3 {
            let want = alone[i] + 0.5 * relation[i];
            assert!(
                (mixed[i] - want).abs() < 1e-6,
                "{mixed:?} vs {alone:?} + {relation:?}"
            );
        }
    }

    #[test]
    fn frequency_weights_fall_with_rank_and_average_one() {
        assert!(frequency_weights(3, &[0, 1, 2], 0.0).is_none());
        let rows: Vec<usize> = (0..1000).filter(|i| i % 7 != 3).collect();
        let w = frequency_weights(1000, &rows, 0.25).unwrap();
        let mean = rows.iter().map(|&i| f64::from(w[i])).sum::<f64>() / rows.len() as f64;
        assert!((mean - 1.0).abs() < 1e-5, "{mean}");
        assert!(w[0] > w[1] && w[1] > w[999]);
        // (rank + 1)^-a: rank 15 weighs half of rank 0 at a = 0.25.
        assert!((w[15] / w[0] - 0.5).abs() < 1e-6);
    }
}
