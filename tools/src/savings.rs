//! Sizes of the word table and of character models, side by side.

use anyhow::Result;
use burn::module::Module;
use serde::Serialize;
use std::path::Path;
use sublex_trainer::checkpoint;
use sublex_trainer::teacher::{Format, TableShape};

/// Bytes per parameter at each storage precision.
const PRECISIONS: [(&str, u64); 3] = [("f32", 4), ("f16", 2), ("int8", 1)];

/// One deployable artifact and its cost.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Artifact {
    pub name: String,
    pub precision: String,
    /// Rows of its lookup table (words for the table, characters for a character model).
    pub lookup_rows: usize,
    /// Parameters in lookup tables (the paper's Table 3 "lookup" column).
    pub lookup_params: usize,
    pub total_params: usize,
    /// Parameters x bytes per parameter (an int8 artifact also stores per-row scales; not counted).
    pub bytes: u64,
    /// The f32 word table's bytes divided by this artifact's bytes.
    pub compression: f64,
    /// Mean Spearman over the similarity sets in the model's `eval.json`, if evaluated.
    pub similarity: Option<f64>,
}

/// The word table at f32, f16 and int8.
pub fn table_artifacts(name: &str, shape: TableShape) -> Vec<Artifact> {
    let params = shape.rows * shape.dim;
    PRECISIONS
        .iter()
        .map(|&(precision, b)| Artifact {
            name: name.to_string(),
            precision: precision.to_string(),
            lookup_rows: shape.rows,
            lookup_params: params,
            total_params: params,
            bytes: params as u64 * b,
            compression: 4.0 / b as f64,
            similarity: None,
        })
        .collect()
}

/// A character model directory at f32, f16 and int8, against a word table of `table_bytes`.
pub fn model_artifacts(dir: &Path, table_bytes: u64) -> Result<Vec<Artifact>> {
    let (model, info) = checkpoint::load_model(dir, &burn::tensor::Device::flex())?;
    let total = model.num_params();
    let lookup_rows = info.model.vocab.len();
    let similarity = std::fs::read_to_string(dir.join("eval.json"))
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|v| v["similarity_average"].as_f64());
    Ok(PRECISIONS
        .iter()
        .map(|&(precision, b)| {
            let bytes = total as u64 * b;
            Artifact {
                name: format!(
                    "{} ({} epochs, {})",
                    dir.display(),
                    info.epochs,
                    info.loss.cli_name()
                ),
                precision: precision.to_string(),
                lookup_rows,
                lookup_params: lookup_rows * info.model.char_dim,
                total_params: total,
                bytes,
                compression: table_bytes as f64 / bytes as f64,
                similarity,
            }
        })
        .collect())
}

/// The teacher table's shape, read from its header or line count.
pub fn teacher_shape(path: &Path) -> Result<TableShape> {
    Ok(TableShape::peek(path, Format::Auto)?)
}

/// A Markdown table.
pub fn markdown(artifacts: &[Artifact]) -> String {
    let mut s = String::from(
        "| artifact | precision | lookup rows | lookup params | total params | bytes | compression | similarity |\n|---|---|---|---|---|---|---|---|\n",
    );
    for a in artifacts {
        let sim = a.similarity.map_or("-".to_string(), |v| format!("{v:.3}"));
        s += &format!(
            "| {} | {} | {} | {} | {} | {} | {:.0}x | {} |\n",
            a.name,
            a.precision,
            a.lookup_rows,
            a.lookup_params,
            a.total_params,
            a.bytes,
            a.compression,
            sim
        );
    }
    s
}
