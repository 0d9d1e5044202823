//! The tagger's sentence part: the weights and buffers of word vectors -> bidirectional
//! LSTM over the sentence -> `W2 relu(W1 h + b1) + b2`, computed by
//! [`sublex_kernel::sentence::scores`]. It computes what the exported graph's second half
//! computes (the kernel engine of [`crate::Tagger`] feeds it the kernel's word vectors).

use crate::artifact::{TaggerShapes, TaggerWeights};
use sublex_kernel::layout::{transpose_into, LstmDirection};
use sublex_kernel::sentence::{self, SentenceScratch, SentenceWeights};

pub(crate) struct SentenceModel {
    dim: usize,
    hidden: usize,
    tags: usize,
    /// Per direction (0 forward, 1 backward): `W^T` `[dim, 4H]`, `R^T` `[H, 4H]` and
    /// `Wb + Rb` `[4H]`, gates i, o, f, c.
    w_t: [Vec<f32>; 2],
    r_t: [Vec<f32>; 2],
    bias: [Vec<f32>; 2],
    /// `W1` `[2H, mlp]`, `W2` `[mlp, tags]`.
    mlp_weight: Vec<f32>,
    mlp_bias: Vec<f32>,
    out_weight: Vec<f32>,
    out_bias: Vec<f32>,
    /// Reused per call: gate pre-activations `[words, 4H]`, the states `[words, 2H]`, the
    /// cell and the previous state `[H]`, one MLP row.
    gates: Vec<f32>,
    states: Vec<f32>,
    cell: Vec<f32>,
    previous: Vec<f32>,
    mlp_row: Vec<f32>,
}

/// `[rows, cols]` -> `[cols, rows]`.
fn transpose(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; rows * cols];
    transpose_into(m, rows, cols, &mut out);
    out
}

impl SentenceModel {
    pub(crate) fn new(s: &TaggerShapes, w: &TaggerWeights) -> Self {
        let (h, dim) = (s.word_hidden, s.chars.dim);
        // Shapes were checked when the file was read.
        let dirs = [0, 1].map(|d| {
            LstmDirection::of((&w.w, &w.r, &w.b), d, dim, h).expect("checked tagger shapes")
        });
        let w_t = |d: usize| transpose(dirs[d].w, 4 * h, dim);
        let r_t = |d: usize| transpose(dirs[d].r, 4 * h, h);
        let bias = |d: usize| (0..4 * h).map(|g| dirs[d].bias(g)).collect();
        SentenceModel {
            dim,
            hidden: h,
            tags: s.tags,
            w_t: [w_t(0), w_t(1)],
            r_t: [r_t(0), r_t(1)],
            bias: [bias(0), bias(1)],
            mlp_weight: w.mlp_weight.clone(),
            mlp_bias: w.mlp_bias.clone(),
            out_weight: w.out_weight.clone(),
            out_bias: w.out_bias.clone(),
            gates: Vec::new(),
            states: Vec::new(),
            cell: vec![0.0; h],
            previous: vec![0.0; h],
            mlp_row: vec![0.0; s.mlp],
        }
    }

    /// Scores `[words, tags]` into `out` from the word vectors `[words, dim]`.
    pub(crate) fn scores(&mut self, vectors: &[f32], words: usize, out: &mut [f32]) {
        let h = self.hidden;
        self.states.resize(words * 2 * h, 0.0);
        self.gates.resize(words * 4 * h, 0.0);
        let weights = SentenceWeights {
            dim: self.dim,
            hidden: h,
            tags: self.tags,
            w_t: [&self.w_t[0], &self.w_t[1]],
            r_t: [&self.r_t[0], &self.r_t[1]],
            bias: [&self.bias[0], &self.bias[1]],
            mlp_weight: &self.mlp_weight,
            mlp_bias: &self.mlp_bias,
            out_weight: &self.out_weight,
            out_bias: &self.out_bias,
        };
        let mut scratch = SentenceScratch {
            gates: &mut self.gates[..words * 4 * h],
            states: &mut self.states[..words * 2 * h],
            cell: &mut self.cell,
            previous: &mut self.previous,
            mlp_row: &mut self.mlp_row,
        };
        sentence::scores(&weights, &mut scratch, vectors, words, out);
    }
}
