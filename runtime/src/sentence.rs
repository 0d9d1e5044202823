//! The tagger's sentence part in plain f32 Rust: word vectors -> bidirectional LSTM over the
//! sentence -> `W2 relu(W1 h + b1) + b2`. It computes what the exported graph's second half
//! computes (the kernel engine of [`crate::Tagger`] feeds it the kernel's word vectors).
//!
//! Every product is a run of `out += x * row` over contiguous rows (weights stored
//! transposed), and the activations are the kernel's branch-free tanh and sigmoid, so the
//! loops vectorise; on x86_64 with AVX2 the same code is compiled a second time for it and
//! picked at run time.

use crate::artifact::{TaggerShapes, TaggerWeights};
use sublex_kernel::layout::{transpose_into, LstmDirection};
use sublex_kernel::{sigmoid, tanh};

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
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    avx2: bool,
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
            avx2: has_avx2(),
        }
    }

    /// Scores `[words, tags]` into `out` from the word vectors `[words, dim]`.
    pub(crate) fn scores(&mut self, vectors: &[f32], words: usize, out: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: `avx2` is true only when the CPU reports AVX2 (`has_avx2`).
            return unsafe { self.scores_avx2(vectors, words, out) };
        }
        self.scores_any(vectors, words, out)
    }

    /// [`Self::scores_any`] compiled for AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn scores_avx2(&mut self, vectors: &[f32], words: usize, out: &mut [f32]) {
        self.scores_any(vectors, words, out)
    }

    #[inline(always)]
    fn scores_any(&mut self, vectors: &[f32], words: usize, out: &mut [f32]) {
        let h = self.hidden;
        self.states.clear();
        self.states.resize(words * 2 * h, 0.0);
        self.gates.resize(words * 4 * h, 0.0);
        for d in 0..2 {
            self.direction(d, vectors, words);
        }
        for (t, row) in out.chunks_exact_mut(self.tags).enumerate().take(words) {
            let state = &self.states[t * 2 * h..][..2 * h];
            dense(state, &self.mlp_weight, &self.mlp_bias, &mut self.mlp_row);
            for x in self.mlp_row.iter_mut() {
                *x = if *x > 0.0 { *x } else { 0.0 };
            }
            dense(&self.mlp_row, &self.out_weight, &self.out_bias, row);
        }
    }

    /// Runs direction `d` (0 forward, 1 backward), writing its states into
    /// `self.states[t][d * H..]`.
    #[inline(always)]
    fn direction(&mut self, d: usize, vectors: &[f32], words: usize) {
        let (h, dim) = (self.hidden, self.dim);
        // The input projection of every word at once: gates[t] = b + x_t W^T.
        for (x, gates) in vectors
            .chunks_exact(dim)
            .zip(self.gates.chunks_exact_mut(4 * h))
            .take(words)
        {
            dense(x, &self.w_t[d], &self.bias[d], gates);
        }
        self.cell.fill(0.0);
        for step in 0..words {
            let t = if d == 0 { step } else { words - 1 - step };
            let gates = &mut self.gates[t * 4 * h..][..4 * h];
            if step > 0 {
                let before = if d == 0 { t - 1 } else { t + 1 };
                self.previous
                    .copy_from_slice(&self.states[before * 2 * h + d * h..][..h]);
                for (x, row) in self.previous.iter().zip(self.r_t[d].chunks_exact(4 * h)) {
                    axpy(*x, row, gates);
                }
            }
            let (sigmoids, candidate) = gates.split_at_mut(3 * h);
            for g in sigmoids.iter_mut() {
                *g = sigmoid(*g);
            }
            for g in candidate.iter_mut() {
                *g = tanh(*g);
            }
            let (i, rest) = sigmoids.split_at(h);
            let (o, f) = rest.split_at(h);
            let state = &mut self.states[t * 2 * h + d * h..][..h];
            for u in 0..h {
                self.cell[u] = f[u] * self.cell[u] + i[u] * candidate[u];
                state[u] = o[u] * tanh(self.cell[u]);
            }
        }
    }
}

/// `out = bias + input · weight` with `weight` `[input.len(), out.len()]`.
#[inline(always)]
fn dense(input: &[f32], weight: &[f32], bias: &[f32], out: &mut [f32]) {
    out.copy_from_slice(bias);
    for (x, row) in input.iter().zip(weight.chunks_exact(out.len())) {
        axpy(*x, row, out);
    }
}

/// `out += x * row`.
#[inline(always)]
fn axpy(x: f32, row: &[f32], out: &mut [f32]) {
    for (o, w) in out.iter_mut().zip(row) {
        *o += x * w;
    }
}

fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}
