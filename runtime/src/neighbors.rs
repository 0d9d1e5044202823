//! Nearest neighbours by cosine among a fixed list of candidate words: the candidates'
//! vectors are computed once and kept unit-length, so a query costs one embedding and one
//! dot product per candidate. `sublex similar`, the Python `similar` and the browser demo
//! all rank with it.

use crate::{Embedder, Result};

/// Candidate words and their unit-length vectors, row-major `[words.len(), dim]`.
pub struct Neighbors {
    words: Vec<String>,
    unit: Vec<f32>,
    dim: usize,
}

impl Neighbors {
    /// Embeds `words` with `embedder` and keeps them as the candidates.
    pub fn new(embedder: &mut Embedder, words: Vec<String>) -> Result<Self> {
        let dim = embedder.dim();
        let mut unit = vec![0.0; words.len() * dim];
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        embedder.embed_into(&refs, &mut unit)?;
        unit.chunks_exact_mut(dim.max(1)).for_each(normalise);
        Ok(Neighbors { words, unit, dim })
    }

    /// The candidate words, in the order their indices count.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// The `k` candidates closest to `word` by cosine, best first, as (index into
    /// [`Neighbors::words`], cosine). `word` itself is left out when it is a candidate (as
    /// in gensim's `most_similar`); equal cosines keep the list's order. `embedder` must be
    /// the one that made the candidates.
    pub fn similar(
        &self,
        embedder: &mut Embedder,
        word: &str,
        k: usize,
    ) -> Result<Vec<(usize, f32)>> {
        let mut query = vec![0.0; self.dim];
        embedder.embed_into(&[word], &mut query)?;
        let mut ranked = self.ranked(&query);
        ranked.retain(|&(i, _)| self.words[i] != word);
        ranked.truncate(k);
        Ok(ranked)
    }

    /// Every candidate by its cosine with `query`, best first.
    fn ranked(&self, query: &[f32]) -> Vec<(usize, f32)> {
        let mut q = query.to_vec();
        normalise(&mut q);
        let mut scored: Vec<(usize, f32)> = self
            .unit
            .chunks_exact(self.dim.max(1))
            .map(|row| q.iter().zip(row).map(|(a, b)| a * b).sum())
            .enumerate()
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
    }
}

/// Scales `v` to unit length; a zero vector stays zero (its cosine with anything is 0).
fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(rows: &[[f32; 2]]) -> Neighbors {
        let mut unit: Vec<f32> = rows.iter().flatten().copied().collect();
        unit.chunks_exact_mut(2).for_each(normalise);
        let words = (0..rows.len()).map(|i| format!("w{i}")).collect();
        Neighbors {
            words,
            unit,
            dim: 2,
        }
    }

    #[test]
    fn ranks_by_cosine_whatever_the_lengths() {
        let n = fixed(&[[0.0, 3.0], [2.0, 0.0], [1.0, 1.0], [-5.0, 0.0]]);
        let got = n.ranked(&[10.0, 0.0]);
        let order: Vec<usize> = got.iter().map(|&(i, _)| i).collect();
        assert_eq!(order, [1, 2, 0, 3]);
        assert!((got[0].1 - 1.0).abs() < 1e-6);
        assert!((got[1].1 - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
        assert_eq!(got[2].1, 0.0);
    }

    #[test]
    fn ties_keep_the_list_order_and_zero_vectors_score_zero() {
        let n = fixed(&[[0.0, 0.0], [1.0, 0.0], [4.0, 0.0]]);
        assert_eq!(n.ranked(&[1.0, 0.0]), [(1, 1.0), (2, 1.0), (0, 0.0)]);
        assert_eq!(n.ranked(&[0.0, 0.0])[0], (0, 0.0));
    }
}
