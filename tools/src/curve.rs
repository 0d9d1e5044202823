//! Quality per byte (issue 15): the hybrid file (a character model plus the teacher's K most
//! frequent rows) at several K, against what a user would otherwise ship at the same bytes
//! (the teacher truncated to its first K' rows at int8) and the whole f32 table.
//!
//! Every artifact is scored the same way: every pair of each similarity set, a pair with a
//! word the artifact cannot embed scored as cosine 0; every analogy question, one with a word
//! outside the artifact's search space counted wrong.

use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::PathBuf;
use sublex_runtime::{Artifact, BackendChoice, Embedder, RowPrecision};
use sublex_trainer::eval::analogy::{self, AnalogySet};
use sublex_trainer::eval::similarity::{self, SimilaritySet};
use sublex_trainer::eval::WordMatrix;
use sublex_trainer::export::{self, Keep};
use sublex_trainer::teacher::{LoadOptions, Teacher};

/// What to draw (the `curve` command's options).
#[derive(Clone, Debug, clap::Args)]
pub struct CurveInputs {
    /// The teacher table (read whole).
    #[arg(long)]
    pub teacher: PathBuf,
    /// A character-only embedder of that teacher (`sublex-train export`).
    #[arg(long)]
    pub student: PathBuf,
    /// Stored rows of each hybrid file.
    #[arg(long, num_args = 1.., default_values_t = [0, 1_000, 3_000, 10_000, 30_000, 100_000])]
    pub keep: Vec<usize>,
    /// Storage of the hybrid file's rows, and of the truncated table's.
    #[arg(long, default_value_t = RowPrecision::Int8)]
    pub rows_precision: RowPrecision,
    #[arg(long, num_args = 1.., required = true)]
    pub similarity: Vec<PathBuf>,
    #[arg(long, num_args = 1..)]
    pub analogy: Vec<PathBuf>,
    /// Analogy search space: the teacher's first N words (fewer for a shorter table).
    #[arg(long, default_value_t = 30_000)]
    pub analogy_vocab: usize,
}

/// Which curve a point is on.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Series {
    /// The hybrid file: character model plus the first K rows.
    Hybrid,
    /// The teacher's first K' rows at the hybrid's row precision and their words.
    Truncated,
    /// The whole teacher at f32.
    Full,
}

/// One artifact, its bytes and its scores.
#[derive(Serialize, Clone, Debug)]
pub struct Point {
    pub series: Series,
    /// Teacher rows it stores.
    pub rows: usize,
    /// Hybrid: the file's length; tables: values, row scales and words (one byte each plus a
    /// separator), what the smallest file holding them needs.
    pub bytes: u64,
    /// Spearman on every pair of each set, in the order given.
    pub similarity: Vec<f64>,
    pub similarity_average: f64,
    /// Correct over every question of every analogy set; `None` without analogy sets.
    pub analogy: Option<f64>,
}

#[derive(Serialize, Clone, Debug)]
pub struct Curve {
    pub teacher: String,
    pub student: String,
    pub rows_precision: String,
    pub similarity_sets: Vec<String>,
    pub points: Vec<Point>,
}

/// The sets every artifact is scored on, and the words any of them asks about.
struct Benchmarks {
    similarity: Vec<SimilaritySet>,
    analogy: Vec<AnalogySet>,
    /// The analogy search space (the teacher's first words), then every similarity word.
    words: Vec<String>,
    space: usize,
}

impl Benchmarks {
    fn read(inputs: &CurveInputs, teacher: &Teacher) -> Result<Benchmarks> {
        let similarity = (inputs.similarity.iter())
            .map(|p| SimilaritySet::read(p))
            .collect::<Result<Vec<_>>>()?;
        let analogy = (inputs.analogy.iter())
            .map(|p| AnalogySet::read(p))
            .collect::<Result<Vec<_>>>()?;
        let space = if analogy.is_empty() {
            0
        } else {
            inputs.analogy_vocab.min(teacher.len())
        };
        let mut words = teacher.words()[..space].to_vec();
        let mut extra: Vec<String> = similarity.iter().flat_map(|s| s.words()).collect();
        extra.sort();
        extra.dedup();
        let first: std::collections::HashSet<&String> = words.iter().collect();
        extra.retain(|w| !first.contains(w));
        words.extend(extra);
        Ok(Benchmarks {
            similarity,
            analogy,
            words,
            space,
        })
    }

    /// Scores `vectors`, whose first `space` rows (at most this benchmark's) are the analogy
    /// search space.
    fn score(&self, series: Series, rows: usize, bytes: u64, vectors: &WordMatrix) -> Point {
        let similarity: Vec<f64> = (self.similarity.iter())
            .map(|set| similarity::all_pairs(set, vectors))
            .collect();
        let space = self.space.min(vectors.words.len());
        let analogy = (!self.analogy.is_empty()).then(|| {
            let (words, values) = (
                &vectors.words[..space],
                &vectors.values[..space * vectors.dim],
            );
            let scores: Vec<f64> = (self.analogy.iter())
                .map(|set| analogy::evaluate(set, words, values, vectors.dim).of_all_questions())
                .collect();
            scores.iter().sum::<f64>() / scores.len() as f64
        });
        Point {
            series,
            rows,
            bytes,
            similarity_average: similarity.iter().sum::<f64>() / similarity.len().max(1) as f64,
            similarity,
            analogy,
        }
    }
}

/// Scores the hybrid file at every K, the truncated table at the same bytes, and the full
/// table.
pub fn build(inputs: &CurveInputs) -> Result<Curve> {
    if inputs.similarity.is_empty() {
        bail!("the curve needs at least one similarity set (--similarity)");
    }
    let teacher = Teacher::load(&inputs.teacher, &LoadOptions::default())?;
    let student = Artifact::open(&inputs.student)?;
    check_student(&student, &teacher)?;
    let bench = Benchmarks::read(inputs, &teacher)?;
    // The rows as the runtime returns them (each row quantised alone, so the first K' of the
    // whole table are the truncated table's).
    let precision = inputs.rows_precision;
    let all = hybrid(&student, &teacher, teacher.len(), precision)?;
    let stored_rows = all.rows()?.expect("a hybrid file stores rows");
    let mut points = Vec::new();
    for &k in &inputs.keep {
        let file = hybrid(&student, &teacher, k, precision)?;
        let vectors = embed(&file, &bench.words)?;
        let bytes = file.file_size();
        points.push(bench.score(Series::Hybrid, k, bytes, &vectors));
        let rows = truncated_rows(&teacher, bytes, precision);
        let dim = teacher.dim();
        let table = WordMatrix::new(
            teacher.words()[..rows].to_vec(),
            stored_rows[..rows * dim].to_vec(),
            dim,
        );
        let size = table_bytes(&teacher, rows, precision);
        points.push(bench.score(Series::Truncated, rows, size, &table));
        eprintln!("K = {k}: {bytes} bytes; the truncated table at those bytes keeps {rows} rows");
    }
    let full = WordMatrix::new(
        teacher.words().to_vec(),
        teacher.vectors().to_vec(),
        teacher.dim(),
    );
    let size = table_bytes(&teacher, teacher.len(), RowPrecision::F32);
    points.push(bench.score(Series::Full, teacher.len(), size, &full));
    Ok(Curve {
        teacher: crate::table::file_name(&inputs.teacher),
        student: crate::table::file_name(&inputs.student),
        rows_precision: inputs.rows_precision.to_string(),
        similarity_sets: bench.similarity.iter().map(|s| s.name.clone()).collect(),
        points,
    })
}

/// The student must be a character-only embedder of the teacher's dimension.
fn check_student(student: &Artifact, teacher: &Teacher) -> Result<()> {
    let path = student.path().display();
    student.expect_kind(sublex_runtime::Kind::Embedder)?;
    if student.manifest().rows.is_some() {
        bail!("{path}: already stores teacher rows; give the character-only export");
    }
    if student.manifest().dim != teacher.dim() {
        bail!(
            "{path}: makes {}-dimensional vectors, the teacher {} has {}",
            student.manifest().dim,
            teacher.name(),
            teacher.dim()
        );
    }
    Ok(())
}

/// The hybrid file of `student` and the teacher's first `k` rows, encoded in memory as
/// `export --keep-top` encodes it, and read back.
fn hybrid(
    student: &Artifact,
    teacher: &Teacher,
    k: usize,
    precision: RowPrecision,
) -> Result<Artifact> {
    let mut manifest = student.manifest().clone();
    let keep = (k > 0).then_some(Keep {
        teacher,
        rows: k,
        precision,
    });
    let bytes = export::encode(&mut manifest, &student.weights()?, keep.as_ref())?;
    let name = format!("{} + {k} rows", student.path().display());
    Ok(Artifact::from_bytes(name, &bytes)?)
}

/// Every word's vector from `file`, as the runtime embeds it.
fn embed(file: &Artifact, words: &[String]) -> Result<WordMatrix> {
    let mut embedder = Embedder::from_artifact(file, BackendChoice::Kernel)?;
    let dim = embedder.dim();
    let mut values = vec![0.0; words.len() * dim];
    for (chunk, out) in words.chunks(256).zip(values.chunks_mut(256 * dim)) {
        let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
        embedder
            .embed_into(&refs, out)
            .with_context(|| format!("{}: embedding", file.path().display()))?;
    }
    Ok(WordMatrix::new(words.to_vec(), values, dim))
}

/// Bytes of the teacher's first `rows` rows stored at `precision` (scales included), with
/// their words (a byte per UTF-8 byte plus a separator).
fn table_bytes(teacher: &Teacher, rows: usize, precision: RowPrecision) -> u64 {
    let words: usize = teacher.words()[..rows].iter().map(|w| w.len() + 1).sum();
    (rows * precision.row_bytes(teacher.dim()) + words) as u64
}

/// The most rows at `precision` (with their words) that fit in `budget` bytes.
fn truncated_rows(teacher: &Teacher, budget: u64, precision: RowPrecision) -> usize {
    let row = precision.row_bytes(teacher.dim()) as u64;
    let mut used = 0u64;
    for (i, word) in teacher.words().iter().enumerate() {
        used += row + word.len() as u64 + 1;
        if used > budget {
            return i;
        }
    }
    teacher.len()
}

/// The curve as a Markdown table.
pub fn markdown(curve: &Curve) -> String {
    use std::fmt::Write;
    let mut s = format!(
        "Quality per byte: {} (hybrid and truncated table rows at {}) against {}, every pair and question scored\n\n",
        curve.student, curve.rows_precision, curve.teacher
    );
    let sets = curve.similarity_sets.join(" | ");
    let _ = writeln!(
        s,
        "| artifact | rows | bytes | {sets} | average | analogy |"
    );
    let rule = "|---".repeat(curve.similarity_sets.len() + 5);
    let _ = writeln!(s, "{rule}|");
    for p in &curve.points {
        let scores: Vec<String> = p.similarity.iter().map(|x| format!("{x:.3}")).collect();
        let analogy = p
            .analogy
            .map_or("-".into(), |a| format!("{:.1}%", 100.0 * a));
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {:.3} | {analogy} |",
            series_name(p.series),
            p.rows,
            p.bytes,
            scores.join(" | "),
            p.similarity_average
        );
    }
    s
}

pub fn series_name(series: Series) -> &'static str {
    match series {
        Series::Hybrid => "hybrid",
        Series::Truncated => "truncated table",
        Series::Full => "full f32 table",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axes() -> Teacher {
        let words = ["the", "of", "and", "to", "a"].map(String::from).to_vec();
        let values = [1., 0., 0., 1., 1., 0., 1., 2., 0., 0., 1., 0., 0., 0., 1.];
        Teacher::from_parts("axes", words, 3, values.to_vec())
    }

    #[test]
    fn a_truncated_table_keeps_the_rows_that_fit_with_their_words() {
        let t = axes();
        // A row: 3 int8 values and a 4-byte scale; its word and a separator.
        let (the, of) = (7 + 4, 7 + 3);
        let int8 = RowPrecision::Int8;
        assert_eq!(truncated_rows(&t, 0, int8), 0);
        assert_eq!(truncated_rows(&t, the - 1, int8), 0);
        assert_eq!(truncated_rows(&t, the + of, int8), 2);
        assert_eq!(table_bytes(&t, 2, int8), the + of);
        assert_eq!(truncated_rows(&t, 1 << 20, int8), 5);
        // int4: two values per byte, so 3 values take 2 bytes.
        assert_eq!(table_bytes(&t, 2, RowPrecision::Int4), the + of - 2);
        assert_eq!(table_bytes(&t, 1, RowPrecision::F32), 12 + 4);
    }

    #[test]
    fn a_pair_with_a_word_the_table_lacks_scores_as_cosine_zero() {
        let t = axes();
        let set = SimilaritySet {
            name: "pairs".into(),
            pairs: vec![
                ("the".into(), "of".into(), 3.0),
                ("the".into(), "and".into(), 2.0),
                ("the".into(), "to".into(), 1.0),
            ],
        };
        let bench = Benchmarks {
            similarity: vec![set],
            analogy: vec![],
            words: vec![],
            space: 0,
        };
        let two = WordMatrix::new(t.words()[..2].to_vec(), t.vectors()[..6].to_vec(), 3);
        // Cosines (.71, 0, 0) against scores (3, 2, 1): ranks (3, 1.5, 1.5) and (3, 2, 1).
        let point = bench.score(Series::Truncated, 2, 0, &two);
        assert!(
            (point.similarity[0] - 0.75f64.sqrt()).abs() < 1e-12,
            "{point:?}"
        );
    }
}
