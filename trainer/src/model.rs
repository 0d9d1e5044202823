//! The character model of the paper's section 4: character embeddings, a forward and a
//! backward LSTM over them, `z = W_f f + W_b b + b`, `h = relu(z)` (eq. 2), and the optional
//! highway layer (eq. 3).

use crate::fused::{self, recurrence::Output, CharRows};
use crate::init::{dropout_mask, normal, uniform};
use crate::lstm::Lstm;
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::Rng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
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
    /// Dropout draws one mask per distinct character of a call, shared by all its positions,
    /// instead of one per position: the per-character input tables still apply, so training
    /// keeps the fused op's character mode (about twice as fast in the tagger).
    pub dropout_shared: bool,
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
            dropout_shared: false,
        }
    }
}

impl CharModel {
    /// Embeds `words` (each its character ids), in any order and of any lengths, in one
    /// call of the fused BiLSTM. Nothing is padded: a word's vector cannot depend on the
    /// rest of the call (DESIGN.md, exactness rules). Longest-first order saves a reorder.
    pub fn forward(&self, words: &[&[u32]]) -> Tensor<2> {
        self.forward_with_dropout(words, None::<&mut rand_chacha::ChaCha8Rng>)
    }

    /// [`CharModel::forward`] with dropout on the LSTM inputs, masks drawn from `rng`.
    pub fn forward_train(&self, words: &[&[u32]], rng: &mut impl Rng) -> Tensor<2> {
        self.forward_with_dropout(words, Some(rng))
    }

    fn forward_with_dropout(&self, words: &[&[u32]], rng: Option<&mut impl Rng>) -> Tensor<2> {
        let device = self.chars.val().device();
        let order = longest_first(words);
        let sorted: Vec<&[u32]> = order.iter().map(|&i| words[i]).collect();
        let states = match rng.filter(|_| self.dropout > 0.0) {
            Some(rng) if self.dropout_shared => self.states(&sorted, Some(rng)),
            Some(rng) => self.states_with_dropout(&sorted, rng),
            None => self.states(&sorted, None::<&mut rand_chacha::ChaCha8Rng>),
        };
        let hidden = self.forward_lstm.hidden();
        let f = states.clone().narrow(1, 0, hidden);
        let b = states.narrow(1, hidden, hidden);
        let z = self.project_forward.forward(f) + self.project_backward.forward(b);
        let h = relu(z.clone());
        let out = match &self.highway {
            None => h,
            Some(layer) => {
                let t = sigmoid(layer.forward(h.clone()));
                t.clone() * h + (t.neg() + 1.0) * z
            }
        };
        if order.iter().enumerate().all(|(k, &i)| k == i) {
            return out;
        }
        let mut back = vec![0i64; order.len()];
        for (k, &i) in order.iter().enumerate() {
            back[i] = k as i64;
        }
        out.select(0, int_tensor(back, &device))
    }

    /// Final states `[words, 2H]` of words sorted longest first, through per-character
    /// input tables: `E W + b` for the distinct characters of the call only (with `rng`,
    /// under dropout on those rows of `E`).
    fn states(&self, sorted: &[&[u32]], rng: Option<&mut impl Rng>) -> Tensor<2> {
        let device = self.chars.val().device();
        let mut distinct: Vec<u32> = sorted.iter().flat_map(|w| w.iter().copied()).collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.is_empty() {
            distinct.push(0); // only empty words: a one-row table nobody reads
        }
        let local = |id: &u32| distinct.binary_search(id).expect("listed") as u32;
        let rows: Vec<Vec<u32>> = sorted
            .iter()
            .map(|w| w.iter().map(local).collect())
            .collect();
        let rows = CharRows::new(rows.iter().map(Vec::as_slice));
        let ids = int_tensor(distinct.iter().map(|&i| i as i64).collect(), &device);
        let mut e = self.chars.val().select(0, ids);
        if let Some(rng) = rng {
            e = e.clone() * dropout_mask(rng, e.dims(), self.dropout, &device);
        }
        let tables =
            [&self.forward_lstm, &self.backward_lstm].map(|lstm| lstm.input_gates(e.clone()));
        fused::char_final_states(tables, self.recurrent(), Arc::new(rows))
    }

    /// Final states under dropout on the character vectors: the mask differs at every
    /// position, so the input gates are computed densely, one length group at a time.
    fn states_with_dropout(&self, sorted: &[&[u32]], rng: &mut impl Rng) -> Tensor<2> {
        let device = self.chars.val().device();
        let hidden = self.forward_lstm.hidden();
        let mut groups = Vec::new();
        for group in sorted.chunk_by(|a, b| a.len() == b.len()) {
            let (batch, len) = (group.len(), group[0].len());
            if len == 0 {
                groups.push(Tensor::zeros([batch, 2 * hidden], &device));
                continue;
            }
            let ids: Vec<i64> = group
                .iter()
                .flat_map(|w| w.iter().map(|&i| i as i64))
                .collect();
            let x = self.chars.val().select(0, int_tensor(ids, &device));
            let x = x.clone() * dropout_mask(rng, x.dims(), self.dropout, &device);
            let gates = [&self.forward_lstm, &self.backward_lstm].map(|lstm| {
                lstm.input_gates(x.clone())
                    .reshape([batch, len, 4 * hidden])
            });
            let states = fused::dense_states(gates, self.recurrent(), Output::Final);
            groups.push(states.reshape([batch, 2 * hidden]));
        }
        Tensor::cat(groups, 0)
    }

    fn recurrent(&self) -> [Tensor<2>; 2] {
        [
            self.forward_lstm.w_recurrent.val(),
            self.backward_lstm.w_recurrent.val(),
        ]
    }
}

/// Indices of `words`, longest first (stable: equal lengths keep their order).
pub fn longest_first(words: &[&[u32]]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..words.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(words[i].len()));
    order
}

fn int_tensor(values: Vec<i64>, device: &Device) -> Tensor<1, Int> {
    let n = values.len();
    Tensor::from_data(TensorData::new(values, [n]), device)
}
