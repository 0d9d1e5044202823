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

use super::distill::Distill;
use super::eval::{evaluate, predict};
use super::model::{Lexicon, TaggerModel, Variant};
use super::point::{train_point, Point, Shared};
pub use super::recipe::{Grid, Recipe};
use super::recon::Recon;
pub use super::report::{render, PointResult, TaggerInfo, TaggerReport};
pub use super::setup::build_config;
use super::setup::{frozen_rows, load_teacher, prepare_out};
use super::{read_corpus, CorpusFormat, Sentence};
use crate::checkpoint::{self, read_json, write_json};
use crate::harness::Progress;
use crate::teacher::{LoadOptions, Teacher};
use anyhow::{Context, Result};
use burn::module::Module;
use burn::tensor::Device;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Settings of `sublex-train tagger`.
#[derive(Clone, Debug)]
pub struct TaggerOptions {
    pub variant: Variant,
    pub train: PathBuf,
    /// More training sentences (e.g. `sublex-train augment`'s), trained on beside `train`
    /// but not counted as its words ("unseen" stays relative to `train`).
    pub extra_train: Option<PathBuf>,
    pub dev: PathBuf,
    pub test: PathBuf,
    pub format: CorpusFormat,
    /// A reconstructed character model to start from (CHAR(D)).
    pub init: Option<PathBuf>,
    /// FULL+EMB: the teacher table the word lookup starts from; CHAR(D) with the recipe's
    /// `recon_weight`: the table it keeps reconstructing.
    pub teacher: Option<PathBuf>,
    /// A trained tagger run to distil from (the recipe's `distill_weight`).
    pub distill: Option<PathBuf>,
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
    /// The training corpus, then the extra training sentences.
    pub train: Vec<Sentence>,
    /// How many of `train` come from the extra file (its last ones).
    pub extra: usize,
    pub dev: Vec<Sentence>,
    pub test: Vec<Sentence>,
    /// Word forms of the training corpus (for "unseen" accuracy).
    pub training_words: HashSet<String>,
}

impl Data {
    pub fn read(opts: &TaggerOptions) -> Result<Data> {
        let format = opts.format;
        let mut train = read_corpus(&opts.train, format)?;
        let training_words = train.iter().flat_map(|s| s.words.iter().cloned()).collect();
        let extra = match &opts.extra_train {
            Some(path) => read_corpus(path, format)?,
            None => Vec::new(),
        };
        let extra_len = extra.len();
        train.extend(extra);
        Ok(Data {
            dev: read_corpus(&opts.dev, format)?,
            test: read_corpus(&opts.test, format)?,
            train,
            extra: extra_len,
            training_words,
        })
    }

    pub(super) fn tokens(&self) -> usize {
        self.train.iter().map(|s| s.words.len()).sum()
    }
}

/// Trains every grid point (resuming where asked), picks the best on dev, and writes the
/// chosen tagger and its report.
pub fn train_tagger(opts: &TaggerOptions) -> Result<TaggerReport> {
    let started = Instant::now();
    let data = Data::read(opts)?;
    let teacher = load_teacher(opts)?;
    let config = build_config(opts, &data, teacher.as_ref())?;
    prepare_out(opts, &config)?;
    let frozen = teacher
        .as_ref()
        .filter(|_| opts.variant == Variant::FullEmb)
        .map(|t| frozen_rows(t, &config));
    let recon = Recon::new(&opts.recipe, &config, teacher.as_ref())?;
    let distill = match &opts.distill {
        Some(dir) => Some(Distill::new(
            dir,
            opts.recipe.distill_weight,
            &config,
            &data,
        )?),
        None => None,
    };
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
        distill: distill.as_ref(),
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
        extra_train: opts.extra_train.as_ref().map(|p| p.display().to_string()),
        extra_sentences: data.extra,
        distill: opts.distill.as_ref().map(|p| p.display().to_string()),
        dev: opts.dev.display().to_string(),
        test: opts.test.display().to_string(),
        grid: opts.grid.name.clone(),
        halving: opts.halving.clone(),
        points,
        chosen_lr: best.lr,
        chosen_dropout: best.dropout,
        lookup_rows: config.lookup_rows(teacher_rows),
        parameters: model.num_params() + teacher_rows * config.words.as_ref().map_or(0, |w| w.dim),
        train_sentences: data.train.len() - data.extra,
        train_tokens: data.train[..data.train.len() - data.extra]
            .iter()
            .map(|s| s.words.len())
            .sum(),
        seconds: started.elapsed().as_secs_f64(),
        dev_eval: eval(&data.dev),
        test_eval: eval(&data.test),
    })
}

fn point_name(lr: f64, dropout: f64) -> String {
    format!("lr{lr:e}-dropout{dropout}")
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
