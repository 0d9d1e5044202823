//! How a tagger trains besides its data: the grid of learning rates and dropouts to search,
//! and the recipe every grid point follows (docs/RESULTS.md, the ablation on EWT dev).

use super::model::TaggerModel;
use serde::{Deserialize, Serialize};

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

    pub(crate) fn points(&self) -> Vec<(f64, f64)> {
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
    /// Dropout on the character model's inputs, the character vectors `e_c`, with a fresh
    /// mask at every character position (training only).
    #[serde(default)]
    pub char_dropout: f64,
    /// Character dropout draws one mask per distinct character of a batch instead of one per
    /// position ([`crate::model::CharModel::dropout_shared`]).
    #[serde(default)]
    pub char_dropout_shared: bool,
    /// The character model learns at this multiple of the learning rate (0 freezes it): a
    /// reconstructed model (CHAR(D)) may keep more of what its teacher taught.
    #[serde(default = "one")]
    pub char_lr: f64,
    /// CHAR(D): an uppercase character new to the reconstructed model starts from its
    /// lowercase's trained row instead of a random one.
    #[serde(default)]
    pub case_init: bool,
    /// CHAR(D): keep reconstructing the teacher (`--teacher`) while tagging. Each batch adds
    /// this weight times the mean distance (the one D the character model was reconstructed
    /// under) over [`RECON_WORDS`] teacher words drawn at random; 0 is off.
    #[serde(default)]
    pub recon_weight: f64,
    /// Polyak averaging: dev accuracy, the best epoch and the chosen tagger use the
    /// exponential moving average of the weights over the steps, at this decay
    /// ([`crate::average::Average`]); 0 is off.
    #[serde(default)]
    pub average: f64,
    /// With a tagger to distil from (`--distill`): each token's loss is this weight times
    /// the cross-entropy against that tagger's tag distribution, plus the rest times the
    /// gold tag's; 0 is off.
    #[serde(default)]
    pub distill_weight: f64,
}

/// Teacher words per batch under [`Recipe::recon_weight`].
pub const RECON_WORDS: usize = 64;

fn one() -> f64 {
    1.0
}

/// The recipe the ablation on EWT dev chose (docs/RESULTS.md): character dropout 0.25 with
/// shared masks, for CHAR(D) uppercase rows from their lowercase, and the weights averaged
/// over the steps at decay 0.999 (about the last 1,000 steps; EWT has 784 per epoch).
impl Default for Recipe {
    fn default() -> Self {
        Recipe {
            char_dropout: 0.25,
            char_dropout_shared: true,
            case_init: true,
            average: 0.999,
            ..Recipe::baseline()
        }
    }
}

impl Recipe {
    /// Batches of 16 sentences and nothing else: the recipe before the ablation (its base
    /// row), from which each option was tried on its own.
    pub fn baseline() -> Recipe {
        Recipe {
            batch: 16,
            lr_decay: 0.0,
            clip: None,
            word_dropout: 0.0,
            char_dropout: 0.0,
            char_dropout_shared: false,
            char_lr: 1.0,
            case_init: false,
            recon_weight: 0.0,
            average: 0.0,
            distill_weight: 0.0,
        }
    }

    /// Sets the recipe's dropouts on a tagger made or loaded (they are not in its file).
    pub(crate) fn apply(&self, model: &mut TaggerModel) {
        model.word_dropout = self.word_dropout;
        model.chars.dropout = self.char_dropout;
        model.chars.dropout_shared = self.char_dropout_shared;
    }

    pub(crate) fn lr(&self, lr: f64, epoch: usize) -> f64 {
        lr / (1.0 + self.lr_decay * (epoch.max(1) - 1) as f64)
    }
}
