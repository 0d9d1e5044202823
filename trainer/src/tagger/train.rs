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

use super::eval::{evaluate, predict, Evaluation};
use super::model::{Lexicon, TaggerModel, TaggerConfig, Variant, WordLookup};
use super::{read_corpus, CorpusFormat, Sentence, TagSet};
use crate::adam::FusedAdam;
use crate::batches::length_batches;
use crate::checkpoint::{self, read_json, write_json};
use crate::init::normal;
use crate::model::CharModelConfig;
use crate::teacher::{LoadOptions, Teacher};
use crate::train::train_device;
use anyhow::{bail, Context, Result};
use burn::module::{Module, Param};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use crate::harness::{Harness, Progress};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;
use sublex_runtime::CharVocab;

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
    /// Sentences per batch (all of one length).
    pub batch: usize,
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

/// One grid point's outcome, in the report.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PointResult {
    pub lr: f64,
    pub dropout: f64,
    pub epochs: usize,
    pub best_epoch: usize,
    pub dev_accuracy: f64,
    pub seconds: f64,
}

/// What `tagger` reports (`report.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TaggerReport {
    pub model: String,
    pub train: String,
    pub dev: String,
    pub test: String,
    pub grid: String,
    pub points: Vec<PointResult>,
    pub chosen_lr: f64,
    pub chosen_dropout: f64,
    /// Rows of every lookup table: characters, word rows, frozen teacher rows.
    pub lookup_rows: usize,
    pub parameters: usize,
    pub train_sentences: usize,
    pub train_tokens: usize,
    pub seconds: f64,
    pub dev_eval: Evaluation,
    pub test_eval: Evaluation,
}

/// The chosen tagger's description (`tagger.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TaggerInfo {
    pub config: TaggerConfig,
    pub lr: f64,
    pub dropout: f64,
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
    eprintln!(
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
        let progress = train_point(&shared, &Point { lr, dropout, dir: &dir })?;
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
        let predicted = predict(&model, &lexicon, sentences, &device);
        evaluate(
            sentences,
            &predicted,
            &config.tags,
            &data.training_words,
            10,
        )
    };
    let teacher_rows = frozen.as_ref().map_or(0, HashMap::len);
    let report = TaggerReport {
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
    };
    write_json(&opts.out.join("report.json"), &report)?;
    checkpoint::write_atomic(&opts.out.join("report.md"), render(&report).as_bytes())?;
    Ok(report)
}

fn point_name(lr: f64, dropout: f64) -> String {
    format!("lr{lr:e}-dropout{dropout}")
}

fn load_teacher(opts: &TaggerOptions) -> Result<Option<Teacher>> {
    match (opts.variant, &opts.teacher) {
        (Variant::FullEmb, Some(path)) => Ok(Some(Teacher::load(path, &LoadOptions::default())?)),
        (Variant::FullEmb, None) => {
            bail!("--variant full-emb needs --teacher (the table the word lookup starts from)")
        }
        (_, Some(_)) => bail!("--teacher is only for --variant full-emb"),
        (_, None) => Ok(None),
    }
}

/// The tagger's description: vocabularies from the training corpus (and `--init`'s
/// characters first, so its trained rows keep their ids), tags from the training corpus.
pub fn build_config(
    opts: &TaggerOptions,
    data: &Data,
    teacher: Option<&Teacher>,
) -> Result<TaggerConfig> {
    let words = || {
        data.train
            .iter()
            .flat_map(|s| s.words.iter().map(String::as_str))
    };
    let (chars, init_loss) = match &opts.init {
        Some(dir) => {
            let info = checkpoint::load_info(dir)?;
            let mut known: Vec<char> = info.model.vocab.chars().to_vec();
            let old: HashSet<char> = known.iter().copied().collect();
            let new: BTreeSet<char> = words()
                .flat_map(str::chars)
                .filter(|c| !old.contains(c))
                .collect();
            known.extend(new);
            let config = CharModelConfig {
                vocab: CharVocab::from_chars(known),
                dropout: 0.0,
                ..info.model
            };
            (config, Some(info.loss))
        }
        None => (
            CharModelConfig {
                vocab: CharVocab::build(words(), 1),
                char_dim: opts.char_dim,
                dim: opts.char_dim,
                highway: false,
                dropout: 0.0,
            },
            None,
        ),
    };
    let lookup = match opts.variant {
        Variant::Char => None,
        Variant::Full | Variant::FullEmb => {
            let keys: BTreeSet<String> = words().map(Lexicon::key).collect();
            Some(WordLookup {
                words: keys.into_iter().collect(),
                dim: teacher.map_or(opts.word_dim, Teacher::dim),
                teacher: opts.teacher.clone(),
            })
        }
    };
    Ok(TaggerConfig {
        variant: opts.variant,
        chars,
        words: lookup,
        hidden: opts.hidden,
        mlp: opts.mlp,
        tags: TagSet::build(&data.train),
        init_loss,
        seed: opts.seed,
    })
}

/// FULL+EMB: teacher vectors of the words that have no trainable row.
fn frozen_rows(teacher: &Teacher, config: &TaggerConfig) -> HashMap<String, Vec<f32>> {
    let rows: HashSet<&str> = config
        .words
        .iter()
        .flat_map(|w| w.words.iter().map(String::as_str))
        .collect();
    teacher
        .words()
        .iter()
        .enumerate()
        .filter(|(_, w)| !rows.contains(w.as_str()))
        .map(|(i, w)| (w.clone(), teacher.vector(i).to_vec()))
        .collect()
}

/// Creates `out` with `config.json`, or checks a resumed run describes the same tagger.
fn prepare_out(opts: &TaggerOptions, config: &TaggerConfig) -> Result<()> {
    let path = opts.out.join("config.json");
    if path.exists() {
        if !opts.resume {
            bail!(
                "{} already holds a tagger run: pass --resume to continue it, or choose another --out",
                opts.out.display()
            );
        }
        let saved: TaggerConfig = read_json(&path)?;
        if &saved != config {
            bail!(
                "--resume: {} was started with other data or options (its config.json describes a different tagger)",
                opts.out.display()
            );
        }
        return Ok(());
    }
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("cannot create {}", opts.out.display()))?;
    write_json(&path, config)
}

/// A fresh tagger: random weights, then the character model from `--init` (rows for new
/// characters drawn N(0, 1)) and the word rows from the teacher (FULL+EMB).
fn fresh_tagger(
    opts: &TaggerOptions,
    config: &TaggerConfig,
    teacher: Option<&Teacher>,
    dropout: f64,
    device: &Device,
) -> Result<TaggerModel> {
    let mut model = config.init(dropout, device);
    if let Some(dir) = &opts.init {
        let (chars, info) = checkpoint::load_model(dir, device)?;
        let added = config.chars.vocab.len() - info.model.vocab.len();
        let rng = &mut rand_chacha::ChaCha8Rng::seed_from_u64(config.seed ^ 0xc4a5);
        // Built from plain values: a parameter must be a leaf of the autodiff graph.
        let mut table = chars
            .chars
            .val()
            .into_data()
            .try_into_vec::<f32>()
            .expect("f32 rows");
        table.extend(
            normal(rng, [added, config.chars.char_dim], device)
                .val()
                .into_data()
                .try_into_vec::<f32>()
                .expect("f32 rows"),
        );
        let shape = [config.chars.vocab.len(), config.chars.char_dim];
        model.chars = crate::model::CharModel {
            chars: Param::from_tensor(Tensor::from_data(TensorData::new(table, shape), device)),
            ..chars
        };
    }
    if let (Some(teacher), Some(lookup), Some(table)) = (teacher, &config.words, &model.words) {
        let index = teacher.index();
        let mut rows = table
            .val()
            .into_data()
            .try_into_vec::<f32>()
            .expect("f32 rows");
        for (i, word) in lookup.words.iter().enumerate() {
            if let Some(&t) = index.get(word.as_str()) {
                rows[(i + 1) * lookup.dim..(i + 2) * lookup.dim].copy_from_slice(teacher.vector(t));
            }
        }
        let rows = Tensor::from_data(
            TensorData::new(rows, [lookup.words.len() + 1, lookup.dim]),
            device,
        );
        model.words = Some(Param::from_tensor(rows));
    }
    Ok(model)
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
        eprintln!(
            "lr {lr:e}, dropout {dropout}: done (best dev {:.4} at epoch {})",
            progress.best_dev, progress.best_epoch
        );
        return Ok(progress);
    }
    let (mut model, mut optim) = start_point(shared, point, &progress, &device)?;
    let singletons = singletons(&data.train);
    let lengths: Vec<usize> = data.train.iter().map(|s| s.words.len()).collect();
    let batches = length_batches(&lengths, opts.batch);
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
        let step = |model: TaggerModel, batch: &[usize], rng: &mut ChaCha8Rng| {
            let words: Vec<&[String]> = batch.iter().map(|&i| &data.train[i].words[..]).collect();
            let gold: Vec<i64> = batch
                .iter()
                .flat_map(|&i| data.train[i].tags.iter())
                .map(|t| config.tags.id(t).expect("training tags are in the tag set") as i64)
                .collect();
            let n = gold.len();
            let input = shared.lexicon.batch(&words, Some((&singletons, &mut *rng)), with_words, &device);
            let scores = model.scores(&input, Some(rng));
            let gold = Tensor::<2, Int>::from_data(TensorData::new(gold, [n, 1]), &device);
            let loss = log_softmax(scores, 1).gather(1, gold).sum().neg() / n as f32;
            let total = loss.clone().into_scalar::<f32>() as f64 * n as f64;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            Ok((optim.step(lr, model, grads), total, n))
        };
        let started = Instant::now();
        let (trained, loss) = harness.epoch((epoch, opts.max_epochs), model, &batches, tokens, step)?;
        model = trained;
        let dev = dev_accuracy(&model, shared);
        let seconds = started.elapsed().as_secs_f64();
        progress.seconds += seconds;
        progress.epoch = epoch;
        if dev > progress.best_dev {
            progress.best_dev = dev;
            progress.best_epoch = epoch;
            checkpoint::save_module(&dir.join("best").join("model.bpk"), &model)?;
        }
        harness.checkpoint(&mut progress, &optim, |checkpoint| {
            checkpoint::save_module(&checkpoint.join("model.bpk"), &model)
        })?;
        harness.metrics(&TaggerEpochMetrics {
            epoch,
            loss_per_token: loss.per_unit,
            dev_accuracy: dev,
            seconds,
            train_seconds: loss.seconds,
            tokens_per_s: loss.units_per_s,
        })?;
        eprintln!(
            "lr {lr:e}, dropout {dropout}, epoch {epoch}: loss/token {:.4}, dev {:.2}%, {seconds:.0} s",
            loss.per_unit,
            100.0 * dev
        );
    }
    progress.done = true;
    write_json(&dir.join("progress.json"), &progress)?;
    Ok(progress)
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
        let model = fresh_tagger(shared.opts, config, shared.teacher, dropout, device)?;
        return Ok((model, FusedAdam::init()));
    }
    let checkpoint = progress.checkpoint_dir(dir);
    eprintln!(
        "lr {:e}, dropout {dropout}: resuming after epoch {}",
        point.lr, progress.epoch
    );
    let model =
        checkpoint::load_module(&checkpoint.join("model.bpk"), config.init(dropout, device))?;
    let optim = checkpoint::load_optimizer(&checkpoint, FusedAdam::init())?;
    Ok((model, optim))
}

/// Accuracy on the dev corpus of the model as it stands (dropout off).
fn dev_accuracy(model: &TaggerModel, shared: &Shared<'_>) -> f64 {
    let data = shared.data;
    let valid = model.valid();
    let device = valid.chars.chars.val().device();
    let predicted = predict(&valid, shared.lexicon, &data.dev, &device);
    evaluate(&data.dev, &predicted, &shared.config.tags, &data.training_words, 0).accuracy
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

/// The report as a Markdown table, for people.
pub fn render(r: &TaggerReport) -> String {
    let pct = |x: f64| format!("{:.2}", 100.0 * x);
    let mut s = format!(
        "# {} tagger\n\ntrain {} ({} sentences, {} tokens), dev {}, test {}\n\n\
         | set | accuracy | unseen-word accuracy (tokens) |\n|---|---|---|\n\
         | dev | {} | {} ({}) |\n| test | {} | {} ({}) |\n\n\
         lookup rows {}, parameters {}, grid `{}` chosen lr {:e} dropout {}, {:.0} s in all\n\n\
         | lr | dropout | epochs | best epoch | dev accuracy | seconds |\n|---|---|---|---|---|---|\n",
        r.model, r.train, r.train_sentences, r.train_tokens, r.dev, r.test,
        pct(r.dev_eval.accuracy), pct(r.dev_eval.unseen_accuracy), r.dev_eval.unseen_tokens,
        pct(r.test_eval.accuracy), pct(r.test_eval.unseen_accuracy), r.test_eval.unseen_tokens,
        r.lookup_rows, r.parameters, r.grid, r.chosen_lr, r.chosen_dropout, r.seconds,
    );
    for p in &r.points {
        s += &format!(
            "| {:e} | {} | {} | {} | {} | {:.0} |\n",
            p.lr,
            p.dropout,
            p.epochs,
            p.best_epoch,
            pct(p.dev_accuracy),
            p.seconds
        );
    }
    s += "\nMost frequent test errors (gold -> predicted):\n\n| gold | predicted | count |\n|---|---|---|\n";
    for c in &r.test_eval.confusions {
        s += &format!("| {} | {} | {} |\n", c.gold, c.predicted, c.count);
    }
    s
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
