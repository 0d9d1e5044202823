//! Nearest neighbours by cosine (the paper's Table 4).

use super::stats::normalize_rows;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Neighbors {
    pub word: String,
    pub neighbors: Vec<String>,
}

/// The `k` rows of `matrix` most cosine-similar to `query`, skipping `exclude` (the word
/// itself).
pub fn nearest(
    query: &[f32],
    words: &[String],
    matrix: &[f32],
    dim: usize,
    k: usize,
    exclude: &str,
) -> Vec<String> {
    let mut q = query.to_vec();
    normalize_rows(&mut q, dim);
    let mut scored: Vec<(f32, usize)> = matrix
        .chunks_exact(dim)
        .enumerate()
        .filter(|(i, _)| words[*i] != exclude)
        .map(|(i, row)| {
            let norm = row
                .iter()
                .map(|v| v * v)
                .sum::<f32>()
                .sqrt()
                .max(f32::MIN_POSITIVE);
            (
                row.iter().zip(&q).map(|(a, b)| a * b).sum::<f32>() / norm,
                i,
            )
        })
        .collect();
    let k = k.min(scored.len());
    if k == 0 {
        return Vec::new();
    }
    scored.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0));
    scored.truncate(k);
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().map(|(_, i)| words[i].clone()).collect()
}
