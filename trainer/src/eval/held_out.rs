//! How well a student reconstructs the teacher words it never trained on (the held-out
//! share of [`crate::teacher::held_out`]): mean cosine to the teacher's vector, and how many
//! of the teacher's nearest neighbours the student finds.

use super::neighbors::nearest;
use super::stats::{cosine, normalize_rows};
use super::WordMatrix;
use crate::teacher::{held_out, Teacher};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Neighbours compared per held-out word.
pub const OVERLAP_K: usize = 10;
/// Held-out words whose neighbours are compared (the first, in the teacher's order): each
/// search scans the whole teacher twice.
pub const OVERLAP_WORDS: usize = 500;

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct HeldOutScore {
    pub fraction: f64,
    pub words: usize,
    /// Mean cosine between the student's and the teacher's vector of a held-out word.
    pub mean_cosine: f64,
    /// Mean share of the teacher's [`OVERLAP_K`] nearest neighbours (among all its words) that
    /// the student's [`OVERLAP_K`] nearest (among its vectors of the same words) also hold.
    pub neighbor_overlap: f64,
    pub overlap_words: usize,
    /// Retrieval among the held-out words: the share whose student vector has its own
    /// teacher vector as the nearest (by cosine) of all held-out teacher vectors, and among
    /// the 10 nearest. Finer than the neighbour overlap, which is near 0 for every student.
    #[serde(default)]
    pub own_top1: f64,
    #[serde(default)]
    pub own_top10: f64,
}

/// Scores `student`, which holds the student's vectors of every teacher word in the
/// teacher's order (its first rows).
pub fn evaluate(student: &WordMatrix, teacher: &Teacher, fraction: f64) -> HeldOutScore {
    let dim = teacher.dim();
    let rows: Vec<usize> = (0..teacher.len())
        .filter(|&i| held_out(&teacher.words()[i], fraction))
        .collect();
    let own = |i: usize| &student.values[i * dim..(i + 1) * dim];
    let mean_cosine = rows
        .iter()
        .map(|&i| cosine(own(i), teacher.vector(i)))
        .sum::<f64>()
        / rows.len().max(1) as f64;
    let all = &student.values[..teacher.len() * dim];
    let sample = &rows[..rows.len().min(OVERLAP_WORDS)];
    let overlap: f64 = sample
        .iter()
        .map(|&i| {
            let word = &teacher.words()[i];
            let want: HashSet<String> = nearest(
                teacher.vector(i),
                teacher.words(),
                teacher.vectors(),
                dim,
                OVERLAP_K,
                word,
            )
            .into_iter()
            .collect();
            let got = nearest(own(i), teacher.words(), all, dim, OVERLAP_K, word);
            got.iter().filter(|w| want.contains(*w)).count() as f64 / OVERLAP_K as f64
        })
        .sum();
    let (own_top1, own_top10) = own_retrieval(student, teacher, &rows);
    HeldOutScore {
        fraction,
        words: rows.len(),
        mean_cosine,
        neighbor_overlap: overlap / sample.len().max(1) as f64,
        overlap_words: sample.len(),
        own_top1,
        own_top10,
    }
}

/// For each of `rows`, the rank of its own teacher vector among all `rows`' teacher vectors
/// by cosine to its student vector; the shares ranked first and in the first 10.
fn own_retrieval(student: &WordMatrix, teacher: &Teacher, rows: &[usize]) -> (f64, f64) {
    let dim = teacher.dim();
    let unit = |values: &[f32], i: usize| {
        let mut v = values[i * dim..(i + 1) * dim].to_vec();
        normalize_rows(&mut v, dim);
        v
    };
    let t: Vec<Vec<f32>> = rows.iter().map(|&i| unit(teacher.vectors(), i)).collect();
    let (mut top1, mut top10) = (0usize, 0usize);
    for (k, &i) in rows.iter().enumerate() {
        let s = unit(&student.values, i);
        let dot = |v: &[f32]| v.iter().zip(&s).map(|(a, b)| a * b).sum::<f32>();
        let own = dot(&t[k]);
        let above = t.iter().filter(|v| dot(v) > own).count();
        top1 += (above == 0) as usize;
        top10 += (above < 10) as usize;
    }
    let n = rows.len().max(1) as f64;
    (top1 as f64 / n, top10 as f64 / n)
}
