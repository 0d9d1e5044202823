//! A hybrid file's stored teacher rows (issue 15), kept in the form the file stores them
//! (int8 or int4 with a scale per row, f16, or f32), found through the manifest's hashed word list:
//! a lookup allocates nothing and a row costs its stored bytes in memory.

use crate::artifact::onnx::DataType;
use crate::artifact::read::le_f32;
use crate::artifact::{int4_at, Artifact, RowPrecision, WordList};
use crate::error::Result;
use std::sync::Arc;

enum Values {
    F32(Vec<f32>),
    F16(Vec<u16>),
    Int8 {
        q: Vec<i8>,
        scale: Vec<f32>,
    },
    /// Two values per byte, `ceil(dim / 2)` bytes per row.
    Int4 {
        q: Vec<u8>,
        scale: Vec<f32>,
    },
}

pub(crate) struct StoredRows {
    /// The manifest's own list (shared, not copied).
    words: Arc<WordList>,
    values: Values,
    dim: usize,
}

impl StoredRows {
    /// The rows of a validated file; `None` when it stores none.
    pub fn from_artifact(artifact: &Artifact) -> Result<Option<StoredRows>> {
        let Some(meta) = &artifact.manifest().rows else {
            return Ok(None);
        };
        Ok(Some(StoredRows {
            words: Arc::clone(&meta.words),
            values: read_values(artifact, meta.precision)?,
            dim: artifact.manifest().dim,
        }))
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// The row of `word`, if the file stores it (exact match).
    pub fn find(&self, word: &str) -> Option<usize> {
        self.words.find(word)
    }

    /// Writes row `row` as f32 (the same values [`Artifact::rows`] reads) to `out[..dim]`.
    pub fn write(&self, row: usize, out: &mut [f32]) {
        let (dim, out) = (self.dim, &mut out[..self.dim]);
        let span = row * dim..(row + 1) * dim;
        match &self.values {
            Values::F32(v) => out.copy_from_slice(&v[span]),
            Values::F16(v) => {
                for (o, &b) in out.iter_mut().zip(&v[span]) {
                    *o = half::f16::from_bits(b).to_f32();
                }
            }
            Values::Int8 { q, scale } => {
                for (o, &x) in out.iter_mut().zip(&q[span]) {
                    *o = x as f32 * scale[row];
                }
            }
            Values::Int4 { q, scale } => {
                let bytes = dim.div_ceil(2);
                let q = &q[row * bytes..(row + 1) * bytes];
                for (i, o) in out.iter_mut().enumerate() {
                    *o = f32::from(int4_at(q, i)) * scale[row];
                }
            }
        }
    }

    /// Bytes held: the words, their index and the stored values.
    pub fn heap_bytes(&self) -> usize {
        let values = match &self.values {
            Values::F32(v) => 4 * v.len(),
            Values::F16(v) => 2 * v.len(),
            Values::Int8 { q, scale } => q.len() + 4 * scale.len(),
            Values::Int4 { q, scale } => q.len() + 4 * scale.len(),
        };
        self.words.heap_bytes() + values
    }
}

/// The stored values straight from the file's initializers (type and shape checked).
fn read_values(artifact: &Artifact, precision: RowPrecision) -> Result<Values> {
    let dims = [
        artifact
            .manifest()
            .rows
            .as_ref()
            .map_or(0, |r| r.words.len()),
        artifact.manifest().dim,
    ];
    let scales = || -> Result<Vec<f32>> {
        let raw = artifact.stored("rows.scale", &[dims[0], 1], DataType::Float)?;
        Ok(raw.chunks_exact(4).map(le_f32).collect())
    };
    Ok(match precision {
        RowPrecision::F32 => {
            let raw = artifact.stored("rows", &dims, DataType::Float)?;
            Values::F32(raw.chunks_exact(4).map(le_f32).collect())
        }
        RowPrecision::F16 => {
            let raw = artifact.stored("rows.f16", &dims, DataType::Float16)?;
            Values::F16(
                raw.chunks_exact(2)
                    .map(|b| u16::from_le_bytes([b[0], b[1]]))
                    .collect(),
            )
        }
        RowPrecision::Int8 => {
            let q = artifact.stored("rows.q", &dims, DataType::Int8)?;
            Values::Int8 {
                q: q.iter().map(|&b| b as i8).collect(),
                scale: scales()?,
            }
        }
        RowPrecision::Int4 => {
            let q4_dims = [dims[0], dims[1].div_ceil(2)];
            Values::Int4 {
                q: artifact
                    .stored("rows.q4", &q4_dims, DataType::Uint8)?
                    .to_vec(),
                scale: scales()?,
            }
        }
    })
}
