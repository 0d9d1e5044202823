//! Word similarity: Spearman between human scores and cosine similarity (paper eq. 4).

use super::stats::{cosine, spearman};
use super::{read_lines, Vectors};
use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A word-similarity benchmark: `word1 word2 score` per line (tabs or spaces), `#` comments.
pub struct SimilaritySet {
    pub name: String,
    pub pairs: Vec<(String, String, f64)>,
}

impl SimilaritySet {
    pub fn read(path: &Path) -> Result<Self> {
        let mut pairs = Vec::new();
        for (line_no, line) in read_lines(path)? {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.is_empty() || fields[0].starts_with('#') {
                continue;
            }
            let score = fields.get(2).and_then(|s| s.parse::<f64>().ok());
            match (fields.len(), score) {
                (3, Some(score)) if score.is_finite() => {
                    pairs.push((fields[0].to_lowercase(), fields[1].to_lowercase(), score))
                }
                _ => bail!(
                    "{}:{line_no}: expected `word1 word2 score`, found `{line}`",
                    path.display()
                ),
            }
        }
        if pairs.is_empty() {
            bail!("{}: no word pairs", path.display());
        }
        Ok(SimilaritySet {
            name: super::set_name(path),
            pairs,
        })
    }

    /// The distinct words of the set.
    pub fn words(&self) -> Vec<String> {
        let mut words: Vec<String> = self
            .pairs
            .iter()
            .flat_map(|(a, b, _)| [a.clone(), b.clone()])
            .collect();
        words.sort();
        words.dedup();
        words
    }
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct SimilarityScore {
    pub set: String,
    pub pairs: usize,
    /// Pairs whose both words the teacher table holds.
    pub teacher_pairs: usize,
    /// Student on every pair.
    pub student: f64,
    /// Student on the teacher's pairs only (like for like).
    pub student_on_teacher_pairs: f64,
    pub teacher: Option<f64>,
    /// The teacher on every pair, a pair with a word it lacks scored as cosine 0: how every
    /// artifact is compared, whatever it covers (issue 15).
    #[serde(default)]
    pub teacher_all_pairs: Option<f64>,
}

/// Spearman over the kept pairs whose words `vectors` holds, and how many there were; with
/// `missing`, a pair with a word it lacks counts too, at that cosine.
fn spearman_over(
    set: &SimilaritySet,
    vectors: &dyn Vectors,
    keep: impl Fn(&str, &str) -> bool,
    missing: Option<f64>,
) -> (f64, usize) {
    let (mut human, mut model) = (Vec::new(), Vec::new());
    for (a, b, score) in set.pairs.iter().filter(|(a, b, _)| keep(a, b)) {
        let cos = match (vectors.vector(a), vectors.vector(b)) {
            (Some(va), Some(vb)) => Some(cosine(va, vb)),
            _ => missing,
        };
        if let Some(cos) = cos {
            human.push(*score);
            model.push(cos);
        }
    }
    (spearman(&human, &model), human.len())
}

/// Spearman over every pair of `set`, a pair with a word `vectors` lacks scored as cosine 0:
/// how artifacts that cover different words are compared (issue 15).
pub fn all_pairs(set: &SimilaritySet, vectors: &dyn Vectors) -> f64 {
    spearman_over(set, vectors, |_, _| true, Some(0.0)).0
}

/// Scores the student (which embeds every word) and, if given, the teacher.
pub fn evaluate(
    set: &SimilaritySet,
    student: &dyn Vectors,
    teacher: Option<&dyn Vectors>,
) -> SimilarityScore {
    let (student_all, pairs) = spearman_over(set, student, |_, _| true, None);
    let covered =
        |a: &str, b: &str| teacher.is_some_and(|t| t.vector(a).is_some() && t.vector(b).is_some());
    let (student_on_teacher_pairs, _) = spearman_over(set, student, covered, None);
    let (teacher_score, teacher_pairs) = match teacher {
        Some(t) => {
            let (s, n) = spearman_over(set, t, |_, _| true, None);
            (Some(s), n)
        }
        None => (None, 0),
    };
    let teacher_all_pairs = teacher.map(|t| all_pairs(set, t));
    SimilarityScore {
        set: set.name.clone(),
        pairs,
        teacher_pairs,
        student: student_all,
        student_on_teacher_pairs,
        teacher: teacher_score,
        teacher_all_pairs,
    }
}
