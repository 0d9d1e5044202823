//! Inference: a vector for every word, computed in calls of the fused BiLSTM over words
//! sorted by length (mixed lengths share a call without padding).

use crate::model::{longest_first, CharModel};
use sublex_runtime::CharVocab;

/// Words per forward pass at inference.
const BATCH: usize = 512;

/// The student's vectors for `words`, row-major `[words.len(), dim]`.
pub fn embed_words<S: AsRef<str>>(
    model: &CharModel,
    vocab: &CharVocab,
    words: &[S],
    dim: usize,
) -> Vec<f32> {
    let encoded: Vec<Vec<u32>> = words.iter().map(|w| vocab.encode(w.as_ref())).collect();
    let slices: Vec<&[u32]> = encoded.iter().map(Vec::as_slice).collect();
    let mut out = vec![0f32; words.len() * dim];
    for batch in longest_first(&slices).chunks(BATCH) {
        let chunk: Vec<&[u32]> = batch.iter().map(|&i| slices[i]).collect();
        let vectors = model.forward(&chunk).into_data();
        let vectors = vectors.as_slice::<f32>().expect("f32 model output");
        for (row, &i) in batch.iter().enumerate() {
            out[i * dim..(i + 1) * dim].copy_from_slice(&vectors[row * dim..(row + 1) * dim]);
        }
    }
    out
}
