//! The tagger's sentence part in plain f32 Rust: word vectors -> bidirectional LSTM over the
//! sentence -> `W2 relu(W1 h + b1) + b2`. It computes what the exported graph's second half
//! computes (the kernel backend of [`crate::Tagger`] feeds it the kernel's word vectors);
//! every loop runs over contiguous rows so the compiler vectorises it.

use crate::artifact::{TaggerShapes, TaggerWeights};

/// One direction of the word-level LSTM, ONNX layout (gates i, o, f, c).
struct Direction {
    /// `[4H, dim]`.
    w: Vec<f32>,
    /// `[4H, H]`.
    r: Vec<f32>,
    /// `Wb + Rb`, `[4H]`.
    b: Vec<f32>,
}

pub(crate) struct SentenceModel {
    dim: usize,
    hidden: usize,
    mlp: usize,
    tags: usize,
    directions: [Direction; 2],
    mlp_weight: Vec<f32>,
    mlp_bias: Vec<f32>,
    out_weight: Vec<f32>,
    out_bias: Vec<f32>,
    /// Reused per call: gate pre-activations `[words, 4H]`, the states `[words, 2H]`, the
    /// cell, one MLP row.
    gates: Vec<f32>,
    states: Vec<f32>,
    cell: Vec<f32>,
    mlp_row: Vec<f32>,
}

impl SentenceModel {
    pub(crate) fn new(s: &TaggerShapes, w: &TaggerWeights) -> Self {
        let (h, dim) = (s.word_hidden, s.chars.dim);
        let direction = |d: usize| {
            let b = &w.b[d * 8 * h..][..8 * h];
            Direction {
                w: w.w[d * 4 * h * dim..][..4 * h * dim].to_vec(),
                r: w.r[d * 4 * h * h..][..4 * h * h].to_vec(),
                b: (0..4 * h).map(|k| b[k] + b[4 * h + k]).collect(),
            }
        };
        SentenceModel {
            dim,
            hidden: h,
            mlp: s.mlp,
            tags: s.tags,
            directions: [direction(0), direction(1)],
            mlp_weight: w.mlp_weight.clone(),
            mlp_bias: w.mlp_bias.clone(),
            out_weight: w.out_weight.clone(),
            out_bias: w.out_bias.clone(),
            gates: Vec::new(),
            states: Vec::new(),
            cell: Vec::new(),
            mlp_row: Vec::new(),
        }
    }

    /// Scores `[words, tags]` into `out` from the word vectors `[words, dim]`.
    pub(crate) fn scores(&mut self, vectors: &[f32], words: usize, out: &mut [f32]) {
        let h = self.hidden;
        self.states.clear();
        self.states.resize(words * 2 * h, 0.0);
        for d in 0..2 {
            self.direction(d, vectors, words);
        }
        self.mlp_row.resize(self.mlp, 0.0);
        for (t, row) in out.chunks_exact_mut(self.tags).enumerate().take(words) {
            let state = &self.states[t * 2 * h..][..2 * h];
            dense(state, &self.mlp_weight, &self.mlp_bias, &mut self.mlp_row);
            self.mlp_row.iter_mut().for_each(|x| *x = x.max(0.0));
            dense(&self.mlp_row, &self.out_weight, &self.out_bias, row);
        }
    }

    /// Runs direction `d` (0 forward, 1 backward) and writes its states into
    /// `self.states[t][d * H..]`.
    fn direction(&mut self, d: usize, vectors: &[f32], words: usize) {
        let (h, dim) = (self.hidden, self.dim);
        let dir = &self.directions[d];
        // Input projection for every word at once: gates[t] = W x_t + b.
        self.gates.resize(words * 4 * h, 0.0);
        for (x, gates) in vectors
            .chunks_exact(dim)
            .zip(self.gates.chunks_exact_mut(4 * h))
        {
            for (g, (row, b)) in gates.iter_mut().zip(dir.w.chunks_exact(dim).zip(&dir.b)) {
                *g = b + dot(row, x);
            }
        }
        self.cell.clear();
        self.cell.resize(h, 0.0);
        for step in 0..words {
            let t = if d == 0 { step } else { words - 1 - step };
            let gates = &mut self.gates[t * 4 * h..][..4 * h];
            if step > 0 {
                let previous = if d == 0 { t - 1 } else { t + 1 };
                let state = &self.states[previous * 2 * h + d * h..][..h];
                for (g, row) in gates.iter_mut().zip(dir.r.chunks_exact(h)) {
                    *g += dot(row, state);
                }
            }
            let out = &mut self.states[t * 2 * h + d * h..][..h];
            for u in 0..h {
                let (i, o) = (sigmoid(gates[u]), sigmoid(gates[h + u]));
                let (f, c) = (sigmoid(gates[2 * h + u]), gates[3 * h + u].tanh());
                self.cell[u] = f * self.cell[u] + i * c;
                out[u] = o * self.cell[u].tanh();
            }
        }
    }
}

/// `out = bias + input · weight` with `weight` `[input.len(), out.len()]`.
fn dense(input: &[f32], weight: &[f32], bias: &[f32], out: &mut [f32]) {
    out.copy_from_slice(bias);
    for (x, row) in input.iter().zip(weight.chunks_exact(out.len())) {
        for (o, w) in out.iter_mut().zip(row) {
            *o += x * w;
        }
    }
}

/// A dot product in 8 independent lanes (vectorisable; the order is fixed, so results do not
/// depend on anything but the two slices).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (a8.remainder(), b8.remainder());
    for (x, y) in a8.zip(b8) {
        for k in 0..8 {
            lanes[k] += x[k] * y[k];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    lanes.iter().sum::<f32>() + tail
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}
