//! The report: one row per artifact, sized and scored, set against the full word table.

use crate::{deployed, runs, table};
use anyhow::Result;
use serde::Serialize;
use std::path::PathBuf;
use sublex_runtime::Kind;

/// What the user asked to compare.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    pub teacher: PathBuf,
    /// Exported embedder files.
    pub models: Vec<PathBuf>,
    /// Exported tagger files.
    pub taggers: Vec<PathBuf>,
    /// Training and tagging run directories (their scores, and their models when no file
    /// stands for them), or tagger runs' `report.json` files alone.
    pub runs: Vec<PathBuf>,
}

/// Where a row's sizes come from.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// A model file: its length, and the heap its loaded model holds.
    Measured,
    /// Another precision of a measured f32 file, encoded in memory by the runtime's writer
    /// (the exact bytes `export --precision` writes), then loaded and measured.
    Encoded,
    /// Parameters times bytes per parameter (plus int8 row scales); nothing loaded. Word
    /// strings are not counted, so a word table really costs more.
    Counted,
}

impl Basis {
    pub fn name(self) -> &'static str {
        match self {
            Basis::Measured => "measured",
            Basis::Encoded => "encoded",
            Basis::Counted => "counted",
        }
    }
}

/// The quality an artifact buys, as its run measured it.
#[derive(Serialize, Clone, Copy, Debug, Default, PartialEq)]
pub struct Quality {
    /// Mean Spearman correlation over the word-similarity sets evaluated.
    pub similarity: Option<f64>,
    /// Analogy accuracy over every covered question.
    pub analogy: Option<f64>,
    /// Tagging accuracy on the test set, all tokens and tokens unseen in training.
    pub tagging: Option<f64>,
    pub tagging_unseen: Option<f64>,
}

impl Quality {
    pub fn is_empty(&self) -> bool {
        *self == Quality::default()
    }
}

/// One artifact's cost and what it buys.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Row {
    pub artifact: String,
    /// A short name for the plot.
    pub label: String,
    pub precision: String,
    pub basis: Basis,
    /// Rows of its lookup tables (words for a word table, characters for a character model;
    /// both for a word-table tagger).
    pub lookup_rows: usize,
    /// Parameters in lookup tables (the paper's Table 3 "lookup" column); `None` for a run
    /// known only by its report, which does not record the tables' widths.
    pub lookup_params: Option<usize>,
    pub total_params: usize,
    pub disk_bytes: u64,
    /// Heap held after loading (measured rows: the runtime's default engine); `None` when
    /// the report ran without its counting allocator.
    pub resident_bytes: Option<u64>,
    pub quality: Quality,
}

#[derive(Serialize, Clone, Debug)]
pub struct Report {
    pub teacher: String,
    /// The teacher file's own length (text tables are far larger than their numbers).
    pub teacher_file_bytes: u64,
    /// The f32 word table's bytes: what every ratio divides.
    pub table_bytes: u64,
    pub rows: Vec<Row>,
}

impl Report {
    /// How many times smaller than the f32 word table `bytes` are.
    pub fn ratio(&self, bytes: u64) -> f64 {
        self.table_bytes as f64 / bytes.max(1) as f64
    }
}

/// Sizes every artifact in `inputs` and attaches each run's scores to the file it made.
pub fn build(inputs: &Inputs) -> Result<Report> {
    let shape = table::shape(&inputs.teacher)?;
    let teacher = table::file_name(&inputs.teacher);
    let mut rows = table::rows(&teacher, shape);
    let table_bytes = rows[0].disk_bytes;
    let mut runs = inputs
        .runs
        .iter()
        .map(|dir| runs::Run::read(dir))
        .collect::<Result<Vec<_>>>()?;
    let files = (inputs.models.iter().map(|p| (p, Kind::Embedder)))
        .chain(inputs.taggers.iter().map(|p| (p, Kind::Tagger)));
    for (path, kind) in files {
        rows.extend(deployed::rows(path, kind, &mut runs)?);
    }
    // Runs no file stands for: counted from their checkpoints.
    rows.extend(runs.iter().filter(|r| !r.matched).map(runs::Run::row));
    // The teacher's own scores, from the evaluations in the run directories.
    rows[0].quality = runs
        .iter()
        .find_map(|r| r.teacher_quality)
        .unwrap_or_default();
    Ok(Report {
        teacher,
        teacher_file_bytes: shape.file_bytes,
        table_bytes,
        rows,
    })
}
