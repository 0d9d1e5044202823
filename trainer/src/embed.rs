//! Inference: a vector for every word, computed length bucket by length bucket.

use crate::batches::length_batches;
use crate::model::{ids_tensor, CharModel};
use burn::tensor::Device;
use sublex_runtime::CharVocab;

/// Words per forward pass at inference.
const BATCH: usize = 512;

/// The student's vectors for `words`, row-major `[words.len(), dim]`.
pub fn embed_words<S: AsRef<str>>(
    model: &CharModel,
    vocab: &CharVocab,
    words: &[S],
    dim: usize,
    device: &Device,
) -> Vec<f32> {
    let encoded: Vec<Vec<u32>> = words.iter().map(|w| vocab.encode(w.as_ref())).collect();
    let lengths: Vec<usize> = encoded.iter().map(Vec::len).collect();
    let mut out = vec![0f32; words.len() * dim];
    for batch in length_batches(&lengths, BATCH) {
        let ids: Vec<u32> = batch
            .iter()
            .flat_map(|&i| encoded[i].iter().copied())
            .collect();
        let vectors = model
            .forward(ids_tensor(&ids, batch.len(), device))
            .into_data();
        let vectors = vectors.as_slice::<f32>().expect("f32 model output");
        for (row, &i) in batch.iter().enumerate() {
            out[i * dim..(i + 1) * dim].copy_from_slice(&vectors[row * dim..(row + 1) * dim]);
        }
    }
    out
}
