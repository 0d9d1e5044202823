//! The model computed in f64, straight from the ONNX-layout weights, one word at a time: the
//! independent oracle every engine (each ISA here, the runtime's backends, burn, tract,
//! onnxruntime) is measured against. Slow and allocating; for checks (feature `reference`).

extern crate std;

use crate::layout::LstmDirection;
use crate::{Dims, OnnxWeights};
use std::vec;
use std::vec::Vec;

/// The character model's output for the character ids `ids` (paper eq. 2/3), in f64.
/// Panics if the weights do not have the shapes `dims` gives (a caller's bug in a check).
pub fn embed_word(dims: &Dims, w: &OnnxWeights<'_>, ids: &[u32]) -> Vec<f64> {
    let (e, h, d) = (dims.char_dim, dims.hidden, dims.dim);
    let direction = |dir| LstmDirection::of((w.w, w.r, w.b), dir, e, h).expect("LSTM shapes");
    let row = |&id: &u32| -> Vec<f64> {
        w.chars[id as usize * e..][..e]
            .iter()
            .map(|&x| f64::from(x))
            .collect()
    };
    let last = |states: Vec<Vec<f64>>| states.into_iter().last().unwrap_or(vec![0.0; h]);
    let f = last(states(&direction(0), ids.iter().map(row)));
    let b = last(states(&direction(1), ids.iter().rev().map(row)));
    let from = |p: &[f32], state: &[f64], j: usize| -> f64 {
        (0..h).map(|k| state[k] * f64::from(p[k * d + j])).sum()
    };
    let z: Vec<f64> = (0..d)
        .map(|j| {
            f64::from(w.proj_bias[j]) + from(w.proj_forward, &f, j) + from(w.proj_backward, &b, j)
        })
        .collect();
    let relu: Vec<f64> = z.iter().map(|x| x.max(0.0)).collect();
    match w.highway {
        None => relu,
        Some((hw, hb)) => (0..d)
            .map(|j| {
                let pre = f64::from(hb[j])
                    + (0..d)
                        .map(|k| relu[k] * f64::from(hw[k * d + j]))
                        .sum::<f64>();
                let t = sigmoid(pre);
                t * relu[j] + (1.0 - t) * z[j]
            })
            .collect(),
    }
}

/// Every hidden state of one LSTM direction over `inputs`, in reading order, from zero
/// initial states.
pub fn states(dir: &LstmDirection<'_>, inputs: impl Iterator<Item = Vec<f64>>) -> Vec<Vec<f64>> {
    let h = dir.hidden;
    let (mut state, mut cell) = (vec![0f64; h], vec![0f64; h]);
    let mut all = Vec::new();
    for x in inputs {
        let e = x.len();
        let gate = |g: usize| {
            let input: f64 = (0..e).map(|j| f64::from(dir.w[g * e + j]) * x[j]).sum();
            let recurrent: f64 = (0..h).map(|j| f64::from(dir.r[g * h + j]) * state[j]).sum();
            input + recurrent + f64::from(dir.wb[g]) + f64::from(dir.rb[g])
        };
        let gates: Vec<f64> = (0..4 * h).map(gate).collect();
        for u in 0..h {
            let (i, o, f, c) = (
                sigmoid(gates[u]),
                sigmoid(gates[h + u]),
                sigmoid(gates[2 * h + u]),
                gates[3 * h + u].tanh(),
            );
            cell[u] = f * cell[u] + i * c;
            state[u] = o * cell[u].tanh();
        }
        all.push(state.clone());
    }
    all
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The test generator every crate's tests and fixtures share: a 64-bit LCG (Knuth's MMIX
/// constants), dependency-free and the same on every platform, so synthetic weights and
/// committed fixtures never change. Its high bits are used (an LCG's low bits are weak).
pub struct Lcg(pub u64);

impl Lcg {
    fn step(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0
    }

    /// Uniform in `[-bound, bound)`, on a 2^-24 grid.
    pub fn uniform(&mut self, bound: f32) -> f32 {
        ((self.step() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * bound
    }

    /// `n` draws of [`Lcg::uniform`].
    pub fn vec(&mut self, n: usize, bound: f32) -> Vec<f32> {
        (0..n).map(|_| self.uniform(bound)).collect()
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.step() >> 32) * n as u64) >> 32) as usize
    }
}
