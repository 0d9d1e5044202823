//! How well a student reconstructs the teacher words it never trained on (the held-out
//! share of [`crate::teacher::held_out`]): mean cosine to the teacher's vector, and how many
//! of the teacher's nearest neighbours the student finds.

use super::neighbors::nearest;
use super::stats::cosine;
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
    HeldOutScore {
        fraction,
        words: rows.len(),
        mean_cosine,
        neighbor_overlap: overlap / sample.len().max(1) as f64,
        overlap_words: sample.len(),
    }
}
