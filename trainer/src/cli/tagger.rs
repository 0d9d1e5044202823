//! `sublex-train tagger`'s arguments: the grid, the recipe (defaults from [`Recipe::default`])
//! and the model's sizes.

use anyhow::Result;
use clap::{ArgAction, Args};
use std::path::PathBuf;
use sublex_trainer::tagger::augment::AugmentOptions;
use sublex_trainer::tagger::model::Variant;
use sublex_trainer::tagger::train::{Grid, Recipe, TaggerOptions};
use sublex_trainer::tagger::CorpusFormat;

#[derive(Args)]
pub struct TaggerArgs {
    /// How words become vectors: full (word lookup + characters), full-emb (the lookup
    /// initialised from --teacher), char (characters only; with --init: CHAR(D)).
    #[arg(long, value_enum)]
    variant: Variant,
    /// Training corpus: CoNLL-U (tag = XPOS), `word_TAG` lines or `word<TAB>tag` lines.
    #[arg(long)]
    train: PathBuf,
    /// More training sentences, e.g. `sublex-train augment`'s (trained on beside --train;
    /// "unseen" words stay those --train lacks).
    #[arg(long)]
    extra_train: Option<PathBuf>,
    #[arg(long)]
    dev: PathBuf,
    #[arg(long)]
    test: PathBuf,
    #[arg(long, value_enum, default_value_t = CorpusFormat::Auto)]
    corpus_format: CorpusFormat,
    /// A reconstructed character model directory to start from (CHAR(D)).
    #[arg(long)]
    init: Option<PathBuf>,
    /// The teacher table the word lookup starts from (full-emb), or the one CHAR(D) keeps
    /// reconstructing (--recon-weight).
    #[arg(long)]
    teacher: Option<PathBuf>,
    /// A trained tagger run (e.g. full-emb) to distil from: each token also learns that
    /// tagger's tag distribution in context, at --distill-weight.
    #[arg(long)]
    distill: Option<PathBuf>,
    /// The share of each token's loss taken from --distill's distribution (the rest: gold).
    #[arg(long, default_value_t = 0.5)]
    distill_weight: f64,
    /// full: the paper's 5x5 grid (lr 1e-4..5e-4 x dropout 0.1..0.5); small: lr {3e-4, 5e-4}
    /// x dropout {0.2, 0.4}. --lr/--dropout replace it with a custom grid.
    #[arg(long, default_value = "full")]
    grid: String,
    #[arg(long, num_args = 1..)]
    lr: Vec<f64>,
    #[arg(long, num_args = 1..)]
    dropout: Vec<f64>,
    #[arg(long, default_value_t = 100)]
    max_epochs: usize,
    /// Stop a grid point after this many epochs without a better dev accuracy (a finished
    /// run resumed with a longer patience goes on).
    #[arg(long, default_value_t = 12)]
    patience: usize,
    /// Successive halving over the grid: epochs of each rung, e.g. `4,10,20`. All points
    /// train to the first, the better half on dev to the next, and so on; the rest of the
    /// last rung trains to --max-epochs.
    #[arg(long, value_delimiter = ',')]
    halving: Vec<usize>,
    /// Sentences per batch (batches hold sentences of one length).
    #[arg(long, default_value_t = Recipe::default().batch)]
    batch: usize,
    /// Learning-rate decay: epoch e (from 1) trains at lr / (1 + DECAY * (e - 1)).
    #[arg(long, default_value_t = Recipe::default().lr_decay)]
    lr_decay: f64,
    /// Clip each parameter's gradient to this L2 norm.
    #[arg(long)]
    clip: Option<f32>,
    /// Whole-word dropout: each token's character vector is zeroed with this probability.
    #[arg(long, default_value_t = Recipe::default().word_dropout)]
    word_dropout: f64,
    /// Dropout on the character vectors (the character model's inputs).
    #[arg(long, default_value_t = Recipe::default().char_dropout)]
    char_dropout: f64,
    /// Character dropout: one mask per distinct character of a batch, not per position
    /// (keeps the fast per-character input tables). `--char-dropout-shared false` for masks
    /// per position.
    #[arg(long, default_value_t = Recipe::default().char_dropout_shared, action = ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    char_dropout_shared: bool,
    /// The character model's learning rate as a multiple of --lr (0 freezes it).
    #[arg(long, default_value_t = Recipe::default().char_lr)]
    char_lr: f64,
    /// CHAR(D): new uppercase characters start from their lowercase's reconstructed row
    /// (`--case-init false`: from random rows).
    #[arg(long, default_value_t = Recipe::default().case_init, action = ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    case_init: bool,
    /// CHAR(D): keep reconstructing --teacher while tagging, at this weight (0: off).
    #[arg(long, default_value_t = Recipe::default().recon_weight)]
    recon_weight: f64,
    /// Evaluate and keep the moving average of the weights over the steps at this decay
    /// (e.g. 0.999; 0: the last step's weights).
    #[arg(long, default_value_t = Recipe::default().average)]
    average: f64,
    /// Character model size without --init.
    #[arg(long, default_value_t = 100)]
    char_dim: usize,
    /// Word lookup size (full; full-emb takes the teacher's).
    #[arg(long, default_value_t = 100)]
    word_dim: usize,
    /// State size of each direction of the word-level LSTM.
    #[arg(long, default_value_t = 100)]
    hidden: usize,
    /// Hidden layer of the MLP.
    #[arg(long, default_value_t = 100)]
    mlp: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Continue the run in --out (finished grid points are kept).
    #[arg(long)]
    resume: bool,
    #[arg(long)]
    out: PathBuf,
}

impl TaggerArgs {
    /// The trainer's options; `progress` shows progress bars.
    pub fn options(self, progress: bool) -> Result<TaggerOptions> {
        if !(0.0..1.0).contains(&self.average) {
            anyhow::bail!("--average {}: expected a decay in [0, 1)", self.average);
        }
        Ok(TaggerOptions {
            variant: self.variant,
            grid: self.grid()?,
            train: self.train,
            extra_train: self.extra_train,
            dev: self.dev,
            test: self.test,
            format: self.corpus_format,
            init: self.init,
            teacher: self.teacher,
            max_epochs: self.max_epochs,
            patience: self.patience,
            halving: self.halving,
            recipe: Recipe {
                batch: self.batch,
                lr_decay: self.lr_decay,
                clip: self.clip,
                word_dropout: self.word_dropout,
                char_dropout: self.char_dropout,
                char_dropout_shared: self.char_dropout_shared,
                char_lr: self.char_lr,
                case_init: self.case_init,
                recon_weight: self.recon_weight,
                average: self.average,
                distill_weight: match self.distill {
                    Some(_) => self.distill_weight,
                    None => 0.0,
                },
            },
            distill: self.distill,
            char_dim: self.char_dim,
            word_dim: self.word_dim,
            hidden: self.hidden,
            mlp: self.mlp,
            seed: self.seed,
            out: self.out,
            resume: self.resume,
            progress,
        })
    }

    fn grid(&self) -> Result<Grid> {
        let mut grid = match self.grid.as_str() {
            "full" => Grid::full(),
            "small" => Grid::small(),
            other => anyhow::bail!("--grid {other:?}: expected full or small"),
        };
        if !self.lr.is_empty() || !self.dropout.is_empty() {
            grid.name = "custom".into();
            if !self.lr.is_empty() {
                grid.lrs = self.lr.clone();
            }
            if !self.dropout.is_empty() {
                grid.dropouts = self.dropout.clone();
            }
        }
        Ok(grid)
    }
}

#[derive(Args)]
pub struct AugmentArgs {
    /// A trained tagger run (`sublex-train tagger --out`) that tags the new words in
    /// context: one that reads the teacher's table (full-emb).
    #[arg(long)]
    tagger: PathBuf,
    /// The table whose unseen words replace the corpus's (each by a nearest neighbour).
    #[arg(long)]
    teacher: PathBuf,
    /// The training corpus the sentences come from.
    #[arg(long)]
    train: PathBuf,
    #[arg(long, value_enum, default_value_t = CorpusFormat::Auto)]
    corpus_format: CorpusFormat,
    /// Synthetic sentences per training sentence.
    #[arg(long, default_value_t = 1)]
    copies: usize,
    /// The chance that a word with unseen neighbours is replaced.
    #[arg(long, default_value_t = 0.2)]
    rate: f64,
    /// A replacement is drawn from this many nearest unseen teacher words.
    #[arg(long, default_value_t = 10)]
    neighbors: usize,
    /// Place as many unseen teacher words as there is room for: each takes up to N places
    /// (alone: 1), one at each of its `--neighbors` nearest training words (every
    /// occurrence in every copy is a place, the nearest pairs served first), its second and
    /// later ones written in the other case than the word replaced; other places are
    /// replaced at `--rate` as without it.
    #[arg(long, value_name = "N", num_args = 0..=1, default_value_t = 0, default_missing_value = "1")]
    cover: usize,
    /// Write this share of the sentences in capitals, tags unchanged (the `--tagger` run
    /// tags them first, as they were written).
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    upper: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where the sentences go (`word<TAB>tag` lines).
    #[arg(long)]
    out: PathBuf,
}

impl AugmentArgs {
    pub fn options(self) -> AugmentOptions {
        AugmentOptions {
            tagger: self.tagger,
            teacher: self.teacher,
            train: self.train,
            format: self.corpus_format,
            out: self.out,
            copies: self.copies,
            rate: self.rate,
            neighbors: self.neighbors,
            cover: self.cover,
            upper: self.upper,
            seed: self.seed,
        }
    }
}
