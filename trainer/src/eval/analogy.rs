//! Word analogy `a : b :: c : ?` answered with 3CosMul (Levy & Goldberg 2014):
//! `argmax_x cos'(x, b) cos'(x, c) / (cos'(x, a) + 0.001)` with `cos' = (cos + 1) / 2`,
//! over a search space of the teacher's most frequent words, excluding a, b and c.

use super::read_lines;
use super::stats::normalize_rows;
use anyhow::{bail, Result};
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

const EPSILON: f32 = 0.001;
/// Questions scored per matrix product (bounds memory: 3 x chunk x search-space floats).
const CHUNK: usize = 128;

/// An analogy set in sections: the Google set's `: name` lines open sections, a file without
/// them (MSR) is one section named after the file.
pub struct AnalogySet {
    pub name: String,
    pub sections: Vec<(String, Vec<[String; 4]>)>,
}

impl AnalogySet {
    pub fn read(path: &Path) -> Result<Self> {
        let name = super::set_name(path);
        let mut sections: Vec<(String, Vec<[String; 4]>)> = Vec::new();
        for (line_no, line) in read_lines(path)? {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if let Some(section) = line.strip_prefix(':') {
                sections.push((section.trim().to_string(), Vec::new()));
                continue;
            }
            let words: Vec<String> = line.split_whitespace().map(str::to_lowercase).collect();
            let Ok(question) = <[String; 4]>::try_from(words) else {
                bail!(
                    "{}:{line_no}: expected four words `a b c d`, found `{line}`",
                    path.display()
                );
            };
            if sections.is_empty() {
                sections.push((name.clone(), Vec::new()));
            }
            sections.last_mut().expect("a section").1.push(question);
        }
        if sections.iter().all(|(_, q)| q.is_empty()) {
            bail!("{}: no questions", path.display());
        }
        Ok(AnalogySet { name, sections })
    }

    /// The Google set's convention: `gram*` sections are syntactic, the rest semantic; a set
    /// without sections (MSR) is syntactic.
    fn category(&self, section: &str) -> &'static str {
        if section.starts_with("gram") || self.sections.len() == 1 {
            "syntactic"
        } else {
            "semantic"
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct CategoryScore {
    pub category: String,
    pub questions: usize,
    /// Questions whose four words are all in the search space (the ones scored).
    pub covered: usize,
    pub correct: usize,
    pub accuracy: f64,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct AnalogyScore {
    pub set: String,
    pub search_space: usize,
    pub categories: Vec<CategoryScore>,
}

impl AnalogyScore {
    /// Correct answers over every question, a question with a word outside the search space
    /// counted wrong: how artifacts that cover different words are compared (issue 15).
    pub fn of_all_questions(&self) -> f64 {
        let (correct, questions) =
            (self.categories.iter()).fold((0, 0), |(c, q), s| (c + s.correct, q + s.questions));
        correct as f64 / questions.max(1) as f64
    }
}

/// Scores `set` with the vectors `matrix` (`[words.len(), dim]`) of the search-space `words`.
pub fn evaluate(set: &AnalogySet, words: &[String], matrix: &[f32], dim: usize) -> AnalogyScore {
    let mut unit = matrix.to_vec();
    normalize_rows(&mut unit, dim);
    let index: HashMap<&str, usize> = words
        .iter()
        .enumerate()
        .map(|(i, w)| (w.as_str(), i))
        .collect();
    let device = Device::flex();
    let space = Tensor::<2>::from_data(TensorData::new(unit.clone(), [words.len(), dim]), &device)
        .transpose();

    let mut categories: Vec<CategoryScore> = Vec::new();
    for (section, questions) in &set.sections {
        let name = set.category(section);
        let pos = categories
            .iter()
            .position(|c| c.category == name)
            .unwrap_or_else(|| {
                categories.push(CategoryScore {
                    category: name.to_string(),
                    ..Default::default()
                });
                categories.len() - 1
            });
        let ids: Vec<[usize; 4]> = questions
            .iter()
            .filter_map(|q| {
                let ids: Option<Vec<usize>> =
                    q.iter().map(|w| index.get(w.as_str()).copied()).collect();
                ids.map(|v| [v[0], v[1], v[2], v[3]])
            })
            .collect();
        let correct = ids
            .chunks(CHUNK)
            .map(|chunk| count_correct(chunk, &unit, &space, dim, &device))
            .sum::<usize>();
        let c = &mut categories[pos];
        c.questions += questions.len();
        c.covered += ids.len();
        c.correct += correct;
    }
    for c in &mut categories {
        c.accuracy = if c.covered == 0 {
            0.0
        } else {
            c.correct as f64 / c.covered as f64
        };
    }
    AnalogyScore {
        set: set.name.clone(),
        search_space: words.len(),
        categories,
    }
}

fn count_correct(
    chunk: &[[usize; 4]],
    unit: &[f32],
    space: &Tensor<2>,
    dim: usize,
    device: &Device,
) -> usize {
    let n = space.dims()[1];
    // Rows a_1..a_k, b_1..b_k, c_1..c_k: one product gives every cosine we need.
    let mut queries = Vec::with_capacity(3 * chunk.len() * dim);
    for role in 0..3 {
        for q in chunk {
            queries.extend_from_slice(&unit[q[role] * dim..(q[role] + 1) * dim]);
        }
    }
    let queries = Tensor::<2>::from_data(TensorData::new(queries, [3 * chunk.len(), dim]), device);
    let cosines = queries.matmul(space.clone()).into_data();
    let cosines = cosines.as_slice::<f32>().expect("f32 cosines");
    let k = chunk.len();
    chunk
        .iter()
        .enumerate()
        .filter(|&(j, q)| {
            let (ca, cb, cc) = (
                &cosines[j * n..][..n],
                &cosines[(k + j) * n..][..n],
                &cosines[(2 * k + j) * n..][..n],
            );
            let mut best = (f32::NEG_INFINITY, usize::MAX);
            for x in 0..n {
                if x == q[0] || x == q[1] || x == q[2] {
                    continue;
                }
                let shift = |c: f32| (c + 1.0) / 2.0;
                let score = shift(cb[x]) * shift(cc[x]) / (shift(ca[x]) + EPSILON);
                if score > best.0 {
                    best = (score, x);
                }
            }
            best.1 == q[3]
        })
        .count()
}
