//! The full word table the character model replaces: counted from the teacher's header or
//! line count, never loaded.

use crate::report::{Basis, Quality, Row};
use anyhow::Result;
use std::path::Path;
use sublex_trainer::teacher::{Format, TableShape};

/// Bytes per stored number at each precision, and whether rows carry an f32 scale (int8).
pub const PRECISIONS: [(&str, u64, bool); 3] =
    [("f32", 4, false), ("f16", 2, false), ("int8", 1, true)];

/// The teacher's rows and dimension (its header, or its line count for GloVe).
pub fn shape(path: &Path) -> Result<TableShape> {
    Ok(TableShape::peek(path, Format::Auto)?)
}

/// A path's file name (the whole path when it has none): how rows and labels name files.
pub fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Bytes to store a `rows x dim` matrix at a precision of `bytes` per number (`scaled`:
/// plus one f32 scale per row, as the runtime stores int8).
pub fn matrix_bytes(rows: usize, dim: usize, bytes: u64, scaled: bool) -> u64 {
    (rows * dim) as u64 * bytes + if scaled { rows as u64 * 4 } else { 0 }
}

/// The word table at f32, f16 and int8; the f32 row first.
pub fn rows(name: &str, shape: TableShape) -> Vec<Row> {
    let params = shape.rows * shape.dim;
    PRECISIONS
        .iter()
        .map(|&(precision, bytes, scaled)| {
            let size = matrix_bytes(shape.rows, shape.dim, bytes, scaled);
            Row {
                artifact: format!("word table {name}"),
                label: format!("word table {precision}"),
                precision: precision.into(),
                basis: Basis::Counted,
                lookup_rows: shape.rows,
                lookup_params: Some(params),
                total_params: params,
                disk_bytes: size,
                resident_bytes: Some(size),
                quality: Quality::default(),
            }
        })
        .collect()
}
