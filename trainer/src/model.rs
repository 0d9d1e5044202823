//! The character model of the paper's section 4: character embeddings, a forward and a
//! backward LSTM over them, `z = W_f f + W_b b + b`, `h = relu(z)` (eq. 2), and the optional
//! highway layer (eq. 3).

use crate::init::{dropout_mask, normal, uniform};
use crate::lstm::Lstm;
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::module::embedding;
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::Rng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use sublex_runtime::CharVocab;

/// Everything needed to rebuild a character model besides its weights.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CharModelConfig {
    pub vocab: CharVocab,
    /// Character embedding and LSTM state size (`dc`).
    pub char_dim: usize,
    /// Output size (`d`, the teacher's dimension).
    pub dim: usize,
    pub highway: bool,
    /// Dropout on the LSTM inputs while training.
    pub dropout: f64,
}

#[derive(Module, Debug)]
pub struct CharModel {
    /// Character embeddings `[vocab, dc]`; row 0 is UNK.
    pub chars: Param<Tensor<2>>,
    pub forward_lstm: Lstm,
    pub backward_lstm: Lstm,
    /// `W_f` and the bias `b`.
    pub project_forward: Linear,
    /// `W_b` (no bias: one `b` is enough).
    pub project_backward: Linear,
    pub highway: Option<Linear>,
    /// Dropout probability on the LSTM inputs (training only).
    pub dropout: f64,
}

impl CharModelConfig {
    /// A model with weights drawn from `seed`: character embeddings N(0, 1), every other
    /// weight uniform in ±1/sqrt(fan-in) (PyTorch's and DyNet's defaults).
    pub fn init(&self, seed: u64, device: &Device) -> CharModel {
        let (dc, d) = (self.char_dim, self.dim);
        let rng = &mut rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let linear =
            |rng: &mut rand_chacha::ChaCha8Rng, input: usize, output: usize, bias: bool| {
                let k = 1.0 / (input as f32).sqrt();
                Linear {
                    weight: uniform(rng, [input, output], k, device),
                    bias: bias.then(|| uniform(rng, [output], k, device)),
                }
            };
        CharModel {
            chars: normal(rng, [self.vocab.len(), dc], device),
            forward_lstm: Lstm::new(dc, dc, rng, device),
            backward_lstm: Lstm::new(dc, dc, rng, device),
            project_forward: linear(rng, dc, d, true),
            project_backward: linear(rng, dc, d, false),
            highway: self.highway.then(|| linear(rng, d, d, true)),
            dropout: self.dropout,
        }
    }
}

impl CharModel {
    /// Embeds a batch of words that all have the same number of characters: `ids` is
    /// `[batch, len]`. Equal lengths mean no padding, so a word's vector cannot depend on the
    /// rest of its batch (DESIGN.md, exactness rules).
    pub fn forward(&self, ids: Tensor<2, Int>) -> Tensor<2> {
        self.forward_with_dropout(ids, None::<&mut rand_chacha::ChaCha8Rng>)
    }

    /// [`CharModel::forward`] with dropout on the LSTM inputs, masks drawn from `rng`.
    pub fn forward_train(&self, ids: Tensor<2, Int>, rng: &mut impl Rng) -> Tensor<2> {
        self.forward_with_dropout(ids, Some(rng))
    }

    fn forward_with_dropout(&self, ids: Tensor<2, Int>, rng: Option<&mut impl Rng>) -> Tensor<2> {
        let [batch, len] = ids.dims();
        let (f, b) = if len == 0 {
            // The empty word: both LSTMs stay in their zero initial state.
            let zeros = Tensor::zeros([batch, self.forward_lstm.hidden()], &ids.device());
            (zeros.clone(), zeros)
        } else {
            let mut x = embedding(self.chars.val(), ids);
            if let Some(rng) = rng.filter(|_| self.dropout > 0.0) {
                x = x.clone() * dropout_mask(rng, x.dims(), self.dropout, &x.device());
            }
            (
                self.forward_lstm.final_state(x.clone(), false),
                self.backward_lstm.final_state(x, true),
            )
        };
        let z = self.project_forward.forward(f) + self.project_backward.forward(b);
        let h = relu(z.clone());
        match &self.highway {
            None => h,
            Some(layer) => {
                let t = sigmoid(layer.forward(h.clone()));
                t.clone() * h + (t.neg() + 1.0) * z
            }
        }
    }
}

/// Character ids of equal-length words as a `[batch, len]` tensor.
pub fn ids_tensor(ids: &[u32], batch: usize, device: &Device) -> Tensor<2, Int> {
    let len = if batch == 0 { 0 } else { ids.len() / batch };
    let data: Vec<i64> = ids.iter().map(|&i| i as i64).collect();
    Tensor::from_data(TensorData::new(data, [batch, len]), device)
}
