//! The character model and the tagger computed in f64, straight from the ONNX-layout
//! weights, one word (sentence) at a time: the ground truth the backends and burn are
//! measured against. Slow; for checks. The LSTM itself is the kernel crate's f64 oracle
//! (`sublex_kernel::reference`); this adds the vocabulary and the tagger's sentence part.

pub mod synthetic;

use crate::artifact::{CharModelWeights, Shapes, TaggerShapes, TaggerWeights};
use crate::vocab::CharVocab;
use sublex_kernel::layout::LstmDirection;
use sublex_kernel::reference::{embed_word as kernel_embed_word, states};

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

fn embed_word(shapes: &Shapes, weights: &CharModelWeights, ids: &[u32]) -> Vec<f64> {
    kernel_embed_word(&shapes.kernel_dims(), &weights.kernel_view(), ids)
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
    let direction = |dir: usize| {
        LstmDirection::of((&weights.w, &weights.r, &weights.b), dir, c.dim, hw)
            .expect("tagger LSTM shapes")
    };
    let forward = states(&direction(0), vectors.iter().cloned());
    let mut backward = states(&direction(1), vectors.iter().rev().cloned());
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
