//! The character model computed in f64, straight from the ONNX-layout weights, one word at
//! a time: the ground truth both backends and burn are measured against. Slow; for checks.

use crate::artifact::{CharModelWeights, Shapes};
use crate::vocab::CharVocab;

/// The vector of every word in `words`, `[words.len(), dim]`, computed in f64 and rounded once.
pub fn embed(
    shapes: &Shapes,
    weights: &CharModelWeights,
    vocab: &CharVocab,
    words: &[&str],
) -> Vec<f32> {
    words
        .iter()
        .flat_map(|w| embed_word(shapes, weights, &vocab.encode(w)))
        .collect()
}

fn embed_word(s: &Shapes, w: &CharModelWeights, ids: &[u32]) -> Vec<f32> {
    let f = lstm(s, w, 0, ids.iter());
    let b = lstm(s, w, 1, ids.iter().rev());
    let (h, d) = (s.hidden, s.dim);
    let z: Vec<f64> = (0..d)
        .map(|j| {
            let from = |p: &[f32], state: &[f64]| {
                (0..h).map(|k| state[k] * p[k * d + j] as f64).sum::<f64>()
            };
            w.proj_bias[j] as f64 + from(&w.proj_forward, &f) + from(&w.proj_backward, &b)
        })
        .collect();
    let relu: Vec<f64> = z.iter().map(|x| x.max(0.0)).collect();
    let out = match &w.highway {
        None => relu,
        Some((hw, hb)) => (0..d)
            .map(|j| {
                let pre =
                    hb[j] as f64 + (0..d).map(|k| relu[k] * hw[k * d + j] as f64).sum::<f64>();
                let t = sigmoid(pre);
                t * relu[j] + (1.0 - t) * z[j]
            })
            .collect(),
    };
    out.into_iter().map(|x| x as f32).collect()
}

/// Final hidden state of direction `dir` (ONNX gate order i, o, f, c) over `ids`.
fn lstm<'a>(
    s: &Shapes,
    w: &CharModelWeights,
    dir: usize,
    ids: impl Iterator<Item = &'a u32>,
) -> Vec<f64> {
    let (h, e) = (s.hidden, s.char_dim);
    let wd = &w.w[dir * 4 * h * e..][..4 * h * e];
    let rd = &w.r[dir * 4 * h * h..][..4 * h * h];
    let bd = &w.b[dir * 8 * h..][..8 * h];
    let (mut state, mut cell) = (vec![0f64; h], vec![0f64; h]);
    for &id in ids {
        let x = &w.chars[id as usize * e..][..e];
        let gate = |g: usize| {
            let input: f64 = (0..e).map(|j| wd[g * e + j] as f64 * x[j] as f64).sum();
            let recurrent: f64 = (0..h).map(|j| rd[g * h + j] as f64 * state[j]).sum();
            input + recurrent + bd[g] as f64 + bd[4 * h + g] as f64
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
    }
    state
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}
