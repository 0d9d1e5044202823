//! The character model and the tagger computed in f64, straight from the ONNX-layout
//! weights, one word (sentence) at a time: the ground truth the backends and burn are
//! measured against. Slow; for checks.

use crate::artifact::{CharModelWeights, Shapes, TaggerShapes, TaggerWeights};
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
        .map(|x| x as f32)
        .collect()
}

/// The tag scores of every word of `sentence`, `[sentence.len(), tags]`.
pub fn tag_scores(
    shapes: &TaggerShapes,
    weights: &TaggerWeights,
    vocab: &CharVocab,
    sentence: &[&str],
) -> Vec<f32> {
    let (c, hw) = (&shapes.chars, shapes.word_hidden);
    let vectors: Vec<Vec<f64>> = sentence
        .iter()
        .map(|word| embed_word(c, &weights.chars, &vocab.encode(word)))
        .collect();
    let direction = |dir: usize| Direction {
        w: &weights.w[dir * 4 * hw * c.dim..][..4 * hw * c.dim],
        r: &weights.r[dir * 4 * hw * hw..][..4 * hw * hw],
        b: &weights.b[dir * 8 * hw..][..8 * hw],
        hidden: hw,
    };
    let forward = direction(0).states(vectors.iter().map(|v| &v[..]));
    let mut backward = direction(1).states(vectors.iter().rev().map(|v| &v[..]));
    backward.reverse();
    let dense = |input: &[f64], weight: &[f32], bias: &[f32]| -> Vec<f64> {
        let n = bias.len();
        (0..n)
            .map(|j| {
                bias[j] as f64
                    + input
                        .iter()
                        .enumerate()
                        .map(|(k, x)| x * weight[k * n + j] as f64)
                        .sum::<f64>()
            })
            .collect()
    };
    forward
        .iter()
        .zip(&backward)
        .flat_map(|(f, b)| {
            let h = [&f[..], &b[..]].concat();
            let hidden: Vec<f64> = dense(&h, &weights.mlp_weight, &weights.mlp_bias)
                .into_iter()
                .map(|x| x.max(0.0))
                .collect();
            dense(&hidden, &weights.out_weight, &weights.out_bias)
        })
        .map(|x| x as f32)
        .collect()
}

fn embed_word(s: &Shapes, w: &CharModelWeights, ids: &[u32]) -> Vec<f64> {
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
    match &w.highway {
        None => relu,
        Some((hw, hb)) => (0..d)
            .map(|j| {
                let pre =
                    hb[j] as f64 + (0..d).map(|k| relu[k] * hw[k * d + j] as f64).sum::<f64>();
                let t = sigmoid(pre);
                t * relu[j] + (1.0 - t) * z[j]
            })
            .collect(),
    }
}

/// Final hidden state of direction `dir` of the character LSTM over `ids`.
fn lstm<'a>(
    s: &Shapes,
    w: &CharModelWeights,
    dir: usize,
    ids: impl Iterator<Item = &'a u32>,
) -> Vec<f64> {
    let (h, e) = (s.hidden, s.char_dim);
    let direction = Direction {
        w: &w.w[dir * 4 * h * e..][..4 * h * e],
        r: &w.r[dir * 4 * h * h..][..4 * h * h],
        b: &w.b[dir * 8 * h..][..8 * h],
        hidden: h,
    };
    let inputs: Vec<Vec<f64>> = ids
        .map(|&id| {
            w.chars[id as usize * e..][..e]
                .iter()
                .map(|&x| x as f64)
                .collect()
        })
        .collect();
    direction
        .states(inputs.iter().map(|v| &v[..]))
        .pop()
        .unwrap_or_else(|| vec![0.0; h])
}

/// One direction of an ONNX `LSTM` (gate order i, o, f, c; `b` holds `Wb` then `Rb`).
struct Direction<'a> {
    w: &'a [f32],
    r: &'a [f32],
    b: &'a [f32],
    hidden: usize,
}

impl Direction<'_> {
    /// Every hidden state, in reading order, from zero initial states.
    fn states<'x>(&self, inputs: impl Iterator<Item = &'x [f64]>) -> Vec<Vec<f64>> {
        let h = self.hidden;
        let (mut state, mut cell) = (vec![0f64; h], vec![0f64; h]);
        let mut all = Vec::new();
        for x in inputs {
            let e = x.len();
            let gate = |g: usize| {
                let input: f64 = (0..e).map(|j| self.w[g * e + j] as f64 * x[j]).sum();
                let recurrent: f64 = (0..h).map(|j| self.r[g * h + j] as f64 * state[j]).sum();
                input + recurrent + self.b[g] as f64 + self.b[4 * h + g] as f64
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
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}
