//! `sublex-train eval`: word similarity, analogy and nearest neighbours for a student model,
//! with the teacher's own scores beside it.

pub mod analogy;
pub mod held_out;
pub mod neighbors;
pub mod similarity;
pub mod stats;

use crate::embed::embed_words;
use crate::model::CharModel;
use crate::teacher::Teacher;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use sublex_runtime::CharVocab;

/// Word -> vector.
pub trait Vectors {
    fn vector(&self, word: &str) -> Option<&[f32]>;
}

/// Vectors of a list of words, row-major.
pub struct WordMatrix {
    pub words: Vec<String>,
    pub values: Vec<f32>,
    pub dim: usize,
    index: HashMap<String, usize>,
}

impl WordMatrix {
    pub fn new(words: Vec<String>, values: Vec<f32>, dim: usize) -> Self {
        let index = words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.clone(), i))
            .collect();
        WordMatrix {
            words,
            values,
            dim,
            index,
        }
    }
}

impl Vectors for WordMatrix {
    fn vector(&self, word: &str) -> Option<&[f32]> {
        self.index
            .get(word)
            .map(|&i| &self.values[i * self.dim..(i + 1) * self.dim])
    }
}

struct TeacherVectors<'a> {
    teacher: &'a Teacher,
    index: HashMap<&'a str, usize>,
}

impl Vectors for TeacherVectors<'_> {
    fn vector(&self, word: &str) -> Option<&[f32]> {
        self.index.get(word).map(|&i| self.teacher.vector(i))
    }
}

/// What to evaluate.
#[derive(Clone, Debug, Default)]
pub struct EvalRequest {
    pub similarity: Vec<PathBuf>,
    pub analogy: Vec<PathBuf>,
    pub neighbors: Vec<String>,
    /// Analogy search space: the teacher's first rows.
    pub analogy_vocab: usize,
    /// Neighbours listed per word.
    pub k: usize,
    /// Score the held-out share of the teacher's words this model left out of training
    /// (its `holdout`; 0: none).
    pub held_out: f64,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct NeighborRow {
    pub word: String,
    pub teacher: Option<Vec<String>>,
    pub student: Vec<String>,
}

/// Everything `eval` measured, as written to `eval.json`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct EvalReport {
    pub model: String,
    pub teacher: Option<String>,
    pub epochs: usize,
    pub loss: String,
    pub similarity: Vec<similarity::SimilarityScore>,
    /// Mean student Spearman over the similarity sets given.
    pub similarity_average: Option<f64>,
    /// Mean teacher Spearman over the same sets (on the pairs it covers).
    pub teacher_similarity_average: Option<f64>,
    pub analogy: Vec<analogy::AnalogyScore>,
    pub teacher_analogy: Vec<analogy::AnalogyScore>,
    pub neighbors: Vec<NeighborRow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_out: Option<held_out::HeldOutScore>,
}

/// A student model ready to embed.
pub struct Student<'a> {
    pub name: String,
    pub model: &'a CharModel,
    pub vocab: &'a CharVocab,
    pub dim: usize,
    pub epochs: usize,
    pub loss: String,
}

pub fn evaluate(
    student: &Student,
    teacher: Option<&Teacher>,
    request: &EvalRequest,
) -> Result<EvalReport> {
    let sim_sets = request
        .similarity
        .iter()
        .map(|p| similarity::SimilaritySet::read(p))
        .collect::<Result<Vec<_>>>()?;
    let analogy_sets = request
        .analogy
        .iter()
        .map(|p| analogy::AnalogySet::read(p))
        .collect::<Result<Vec<_>>>()?;
    let needs_teacher =
        !analogy_sets.is_empty() || !request.neighbors.is_empty() || request.held_out > 0.0;
    if needs_teacher && teacher.is_none() {
        anyhow::bail!(
            "analogy, neighbours and held-out words search the teacher's vocabulary: pass --teacher"
        );
    }

    let student_vectors = embed_needed(student, teacher, request, &sim_sets, &analogy_sets);
    let teacher_vectors = teacher.map(|t| TeacherVectors {
        teacher: t,
        index: t.index(),
    });
    let similarity: Vec<_> = sim_sets
        .iter()
        .map(|set| {
            similarity::evaluate(
                set,
                &student_vectors,
                teacher_vectors.as_ref().map(|t| t as &dyn Vectors),
            )
        })
        .collect();
    let mean = |xs: Vec<f64>| (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64);
    let (analogy, teacher_analogy) = analogies(&student_vectors, teacher, request, &analogy_sets);
    Ok(EvalReport {
        model: student.name.clone(),
        teacher: teacher.map(|t| t.name().to_string()),
        epochs: student.epochs,
        loss: student.loss.clone(),
        similarity_average: mean(similarity.iter().map(|s| s.student).collect()),
        teacher_similarity_average: mean(similarity.iter().filter_map(|s| s.teacher).collect()),
        similarity,
        analogy,
        teacher_analogy,
        neighbors: neighbor_rows(&student_vectors, teacher_vectors.as_ref(), request),
        held_out: teacher
            .filter(|_| request.held_out > 0.0)
            .map(|t| held_out::evaluate(&student_vectors, t, request.held_out)),
    })
}

/// The student's vectors of every word any measure needs, embedded once: the teacher's
/// first rows (the analogy and neighbour search space), then the other words asked about.
fn embed_needed(
    student: &Student,
    teacher: Option<&Teacher>,
    request: &EvalRequest,
    sim_sets: &[similarity::SimilaritySet],
    analogy_sets: &[analogy::AnalogySet],
) -> WordMatrix {
    let vocab_rows = match teacher {
        Some(t) if !request.neighbors.is_empty() || request.held_out > 0.0 => t.len(),
        Some(t) if !analogy_sets.is_empty() => request.analogy_vocab.min(t.len()),
        _ => 0,
    };
    let mut words: Vec<String> =
        teacher.map_or_else(Vec::new, |t| t.words()[..vocab_rows].to_vec());
    let mut extra: Vec<String> = sim_sets.iter().flat_map(|s| s.words()).collect();
    extra.extend(request.neighbors.iter().map(|w| w.to_lowercase()));
    let known: std::collections::HashSet<&String> = words.iter().collect();
    let mut extra: Vec<String> = extra.into_iter().filter(|w| !known.contains(w)).collect();
    extra.sort();
    extra.dedup();
    words.extend(extra);
    let values = embed_words(student.model, student.vocab, &words, student.dim);
    WordMatrix::new(words, values, student.dim)
}

/// The student's and the teacher's scores on every analogy set.
fn analogies(
    student_vectors: &WordMatrix,
    teacher: Option<&Teacher>,
    request: &EvalRequest,
    analogy_sets: &[analogy::AnalogySet],
) -> (Vec<analogy::AnalogyScore>, Vec<analogy::AnalogyScore>) {
    let (mut analogy, mut teacher_analogy) = (Vec::new(), Vec::new());
    if let Some(t) = teacher {
        let n = request.analogy_vocab.min(t.len());
        let space = &t.words()[..n];
        for set in analogy_sets {
            analogy.push(analogy::evaluate(
                set,
                space,
                &student_vectors.values[..n * t.dim()],
                t.dim(),
            ));
            teacher_analogy.push(analogy::evaluate(
                set,
                space,
                &t.vectors()[..n * t.dim()],
                t.dim(),
            ));
        }
    }
    (analogy, teacher_analogy)
}

/// Nearest neighbours of the requested words, by the student and by the teacher.
fn neighbor_rows(
    student_vectors: &WordMatrix,
    teacher_vectors: Option<&TeacherVectors<'_>>,
    request: &EvalRequest,
) -> Vec<NeighborRow> {
    let mut neighbors = Vec::new();
    if let (Some(tv), false) = (teacher_vectors, request.neighbors.is_empty()) {
        let t = tv.teacher;
        let all = &student_vectors.values[..t.len() * t.dim()];
        for word in &request.neighbors {
            let word = word.to_lowercase();
            let query = student_vectors.vector(&word).expect("embedded above");
            neighbors.push(NeighborRow {
                teacher: tv.vector(&word).map(|v| {
                    neighbors::nearest(v, t.words(), t.vectors(), t.dim(), request.k, &word)
                }),
                student: neighbors::nearest(query, t.words(), all, t.dim(), request.k, &word),
                word,
            });
        }
    }
    neighbors
}

/// The report as plain-text tables.
pub fn render_text(r: &EvalReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "model {} ({} epochs, loss {}), teacher {}",
        r.model,
        r.epochs,
        r.loss,
        r.teacher.as_deref().unwrap_or("-")
    );
    if !r.similarity.is_empty() {
        let _ = writeln!(
            s,
            "\nword similarity (Spearman of cosine; teacher@all: its missing words at cosine 0)\n\
             {:<28} {:>7} {:>8} {:>12} {:>12} {:>9}",
            "set", "student", "teacher", "teacher@all", "student@tchr", "coverage"
        );
        let cell = |x: Option<f64>| x.map_or("-".to_string(), |t| format!("{t:.3}"));
        for x in &r.similarity {
            let _ = writeln!(
                s,
                "{:<28} {:>7.3} {:>8} {:>12} {:>12.3} {:>5}/{}",
                x.set,
                x.student,
                cell(x.teacher),
                cell(x.teacher_all_pairs),
                x.student_on_teacher_pairs,
                x.teacher_pairs,
                x.pairs
            );
        }
        if let Some(avg) = r.similarity_average {
            let t = r
                .teacher_similarity_average
                .map_or("-".to_string(), |t| format!("{t:.3}"));
            let _ = writeln!(s, "{:<28} {:>7.3} {:>8}", "average", avg, t);
        }
    }
    for (st, te) in r.analogy.iter().zip(&r.teacher_analogy) {
        let _ = writeln!(
            s,
            "\nanalogy {} (3CosMul, search space: the teacher's first {} words)",
            st.set, st.search_space
        );
        for (a, b) in st.categories.iter().zip(&te.categories) {
            let _ = writeln!(
                s,
                "  {:<10} student {:>6.2}%  teacher {:>6.2}%  ({} of {} questions in the search space)",
                a.category,
                100.0 * a.accuracy,
                100.0 * b.accuracy,
                a.covered,
                a.questions
            );
        }
    }
    render_neighbors(&mut s, r);
    s
}

/// The neighbour lists and the held-out words' scores of [`render_text`].
fn render_neighbors(s: &mut String, r: &EvalReport) {
    use std::fmt::Write;
    if !r.neighbors.is_empty() {
        let _ = writeln!(
            *s,
            "\nnearest neighbours (cosine, among the teacher's words)"
        );
        for n in &r.neighbors {
            let teacher = n
                .teacher
                .as_ref()
                .map_or("(not in the teacher)".to_string(), |v| v.join(" "));
            let _ = writeln!(
                *s,
                "  {:<14} teacher: {}\n  {:<14} student: {}",
                n.word,
                teacher,
                "",
                n.student.join(" ")
            );
        }
    }
    if let Some(h) = &r.held_out {
        let _ = writeln!(
            *s,
            "\nheld-out teacher words ({} of them, {:.0}%): mean cosine to the teacher {:.3}; \
             {} of the teacher's {} nearest neighbours found ({} words); own teacher vector \
             nearest among the held-out ones {:.1}%, among the 10 nearest {:.1}%",
            h.words,
            100.0 * h.fraction,
            h.mean_cosine,
            format_args!("{:.1}%", 100.0 * h.neighbor_overlap),
            held_out::OVERLAP_K,
            h.overlap_words,
            100.0 * h.own_top1,
            100.0 * h.own_top10
        );
    }
}

/// The file stem: a benchmark's display name.
fn set_name(path: &Path) -> String {
    path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    )
}

/// Numbered lines of a UTF-8 text file; errors name the file and line.
fn read_lines(path: &Path) -> Result<Vec<(usize, String)>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    std::io::BufReader::new(file)
        .lines()
        .enumerate()
        .map(|(i, l)| {
            l.map(|l| (i + 1, l))
                .with_context(|| format!("{}:{}: cannot read (not UTF-8?)", path.display(), i + 1))
        })
        .collect()
}
