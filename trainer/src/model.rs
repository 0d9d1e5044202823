//! The character model of the paper's section 4: character embeddings, a forward and a
//! backward LSTM over them, `z = W_f f + W_b b + b`, `h = relu(z)` (eq. 2), and the optional
//! highway layer (eq. 3).

use crate::lstm::Lstm;
use burn::module::{Module, Param};
use burn::nn::{Dropout, DropoutConfig, Initializer, Linear, LinearConfig};
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::module::embedding;
use burn::tensor::{Device, Int, Tensor, TensorData};
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
    pub dropout: Dropout,
}

impl CharModelConfig {
    pub fn init(&self, device: &Device) -> CharModel {
        let (dc, d) = (self.char_dim, self.dim);
        let normal = Initializer::Normal { mean: 0.0, std: 1.0 };
        CharModel {
            chars: normal.init_with([self.vocab.len(), dc], None, None, device),
            forward_lstm: Lstm::new(dc, dc, device),
            backward_lstm: Lstm::new(dc, dc, device),
            project_forward: LinearConfig::new(dc, d).init(device),
            project_backward: LinearConfig::new(dc, d).with_bias(false).init(device),
            highway: self.highway.then(|| LinearConfig::new(d, d).init(device)),
            dropout: DropoutConfig::new(self.dropout).init(),
        }
    }
}

impl CharModel {
    /// Embeds a batch of words that all have the same number of characters: `ids` is
    /// `[batch, len]`. Equal lengths mean no padding, so a word's vector cannot depend on the
    /// rest of its batch (DESIGN.md, exactness rules).
    pub fn forward(&self, ids: Tensor<2, Int>) -> Tensor<2> {
        let [batch, len] = ids.dims();
        let (f, b) = if len == 0 {
            // The empty word: both LSTMs stay in their zero initial state.
            let zeros = Tensor::zeros([batch, self.forward_lstm.hidden()], &ids.device());
            (zeros.clone(), zeros)
        } else {
            let x = self.dropout.forward(embedding(self.chars.val(), ids));
            (self.forward_lstm.final_state(x.clone(), false), self.backward_lstm.final_state(x, true))
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
