//! Opening a model file: memory-map, decode, validate (format version, checksum, the whole
//! model against the writer's, weight values) and read the weights back as f32.

use super::manifest::{Manifest, CHECKSUM_KEY};
use super::onnx::DataType;
use super::onnx::{ModelProto, TensorProto};
use super::weights::{CharModelWeights, Shapes, TaggerWeights};
use super::write::Int8Data;
use super::{validate, Kind, RowPrecision};
use crate::error::{Error, FileProblem, Result, WeightError, WeightProblem};
use prost::Message;
use std::path::{Path, PathBuf};

/// A validated model file.
#[derive(Debug)]
pub struct Artifact {
    path: PathBuf,
    file_size: u64,
    manifest: Manifest,
    proto: ModelProto,
}

impl Artifact {
    /// Memory-maps `path` and validates it.
    #[cfg(not(target_family = "wasm"))]
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|e| Error::file(path, e))?;
        // SAFETY: the map is read once, here, while decoding; a file changed underneath us
        // at that moment gives a decode or checksum error, not undefined behaviour in our code.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::file(path, e))?;
        Self::from_bytes(path, &map)
    }

    /// Reads `path` and validates it. WebAssembly has no memory maps; in a browser
    /// (`wasm32-unknown-unknown`) there are no files either and this fails with the
    /// platform's "unsupported" error: load the bytes yourself and use [`Self::from_bytes`].
    #[cfg(target_family = "wasm")]
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::file(path, e))?;
        Self::from_bytes(path, &bytes)
    }

    /// Validates `bytes`, the contents of `path` (used in messages): see [`super::validate`].
    pub fn from_bytes(path: impl Into<PathBuf>, bytes: &[u8]) -> Result<Self> {
        let path = path.into();
        let fail = |problem: FileProblem| Error::file(path.clone(), problem);
        let proto = ModelProto::decode(bytes).map_err(|e| fail(e.into()))?;
        validate::unique_metadata(&proto).map_err(fail)?;
        let manifest = Manifest::parse(|key: &str| {
            proto
                .metadata_props
                .iter()
                .find(|e| e.key == key)
                .map(|e| e.value.as_str())
        })
        .map_err(fail)?;
        verify_checksum(&proto).map_err(fail)?;
        validate::canonical_encoding(&proto, bytes).map_err(fail)?;
        validate::declared_size(&manifest, bytes.len()).map_err(fail)?;
        let mut artifact = Artifact {
            path,
            file_size: bytes.len() as u64,
            manifest,
            proto,
        };
        // The file must be the writer's model for its manifest and the weights it holds.
        let canon = match artifact.manifest.kind {
            Kind::Embedder => {
                let rows = artifact.rows_for_validation()?;
                let weights = artifact.weights()?;
                super::write::embedder_model(&artifact.manifest, &weights, &rows, Int8Data::Skip)
            }
            Kind::Tagger => {
                let weights = artifact.tagger_weights()?;
                super::write::tagger_model(&artifact.manifest, &weights, Int8Data::Skip)
            }
        };
        validate::same_structure(&mut artifact.proto, canon)
            .map_err(|problem| Error::file(&artifact.path, problem))?;
        Ok(artifact)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn file_size(&self) -> u64 {
        self.file_size
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The decoded ONNX model (graph, initializers, metadata).
    pub fn proto(&self) -> &ModelProto {
        &self.proto
    }

    /// Fails unless this file is a `kind` model.
    pub fn expect_kind(&self, kind: Kind) -> Result<()> {
        if self.manifest.kind == kind {
            return Ok(());
        }
        let problem = FileProblem::Kind {
            found: self.manifest.kind.to_string(),
            expected: kind.to_string(),
        };
        Err(Error::file(&self.path, problem))
    }

    /// The weights as f32, as the graph computes them (f16 widened, int8 times its scale).
    pub fn weights(&self) -> Result<CharModelWeights> {
        let s: Shapes = self.manifest.shapes();
        let read = |name: &str, dims: &[usize]| self.weight(name, dims);
        let highway = if s.highway {
            Some((
                read("highway_weight", &s.highway())?,
                read("highway_bias", &[s.dim])?,
            ))
        } else {
            None
        };
        Ok(CharModelWeights {
            chars: read("chars_table", &s.chars())?,
            w: read("W", &s.w())?,
            r: read("R", &s.r())?,
            b: read("B", &s.b())?,
            proj_forward: read("proj_forward", &s.proj())?,
            proj_backward: read("proj_backward", &s.proj())?,
            proj_bias: read("proj_bias", &[s.dim])?,
            highway,
        })
    }

    /// A hybrid file's stored rows as f32 (`[words, dim]`, int8 times its row's scale, f16
    /// widened); `None` for a file without them.
    pub fn rows(&self) -> Result<Option<Vec<f32>>> {
        let Some(meta) = &self.manifest.rows else {
            return Ok(None);
        };
        let dims = [meta.words.len(), self.manifest.dim];
        self.weight(super::write::ROWS, &dims).map(Some)
    }

    /// What the validator needs of the stored rows: f32 and f16 rows as f32 (the writer's
    /// model is rebuilt from them); int8 and int4 rows only checked (the writer's model
    /// leaves quantised data out), through their scales without widening every value: the
    /// largest |q| of a row times its scale is its largest |value|.
    fn rows_for_validation(&self) -> Result<Vec<f32>> {
        let Some(meta) = self.manifest.rows.as_ref() else {
            return Ok(Vec::new());
        };
        let (k, dim) = (meta.words.len(), self.manifest.dim);
        let checked = match meta.precision {
            RowPrecision::F32 | RowPrecision::F16 => return Ok(self.rows()?.unwrap_or_default()),
            RowPrecision::Int8 => {
                let q = self.stored("rows.q", &[k, dim], DataType::Int8)?;
                let scale = self.stored("rows.scale", &[k, 1], DataType::Float)?;
                bound_rows(q.chunks_exact(dim), scale, dim, |q, i| q[i] as i8)
            }
            RowPrecision::Int4 => {
                let q = self.stored("rows.q4", &[k, dim.div_ceil(2)], DataType::Uint8)?;
                let scale = self.stored("rows.scale", &[k, 1], DataType::Float)?;
                let rows = q.chunks_exact(dim.div_ceil(2));
                int4_padding(rows.clone(), dim)
                    .and_then(|()| bound_rows(rows, scale, dim, super::int4_at))
            }
        };
        checked.map_err(|problem| {
            let name = super::write::ROWS.into();
            Error::file(&self.path, WeightError { name, problem })
        })?;
        Ok(Vec::new())
    }

    /// The raw bytes of the initializer `name`, checked to be of `dtype` and shape `dims`
    /// (little-endian, as the format stores them).
    pub(crate) fn stored(&self, name: &str, dims: &[usize], dtype: DataType) -> Result<&[u8]> {
        let width = match dtype {
            DataType::Float => 4,
            DataType::Float16 => 2,
            _ => 1,
        };
        let tensor = self.initializers().find(|t| t.name == name);
        let raw = tensor.map_or(Err(WeightProblem::Missing), |t| {
            decode(t, dims, dtype, width)
        });
        raw.map_err(|problem| {
            let name = name.into();
            Error::file(&self.path, WeightError { name, problem })
        })
    }

    /// A tagger's weights, f32 whatever the storage; an error for an embedder file.
    pub fn tagger_weights(&self) -> Result<TaggerWeights> {
        self.expect_kind(Kind::Tagger)?;
        let s = self
            .manifest
            .tagger_shapes()
            .expect("a tagger manifest has tagger dimensions");
        let read = |name: &str, dims: &[usize]| self.weight(name, dims);
        Ok(TaggerWeights {
            chars: self.weights()?,
            w: read("word_W", &s.w())?,
            r: read("word_R", &s.r())?,
            b: read("word_B", &s.b())?,
            mlp_weight: read("mlp_weight", &s.mlp_weight())?,
            mlp_bias: read("mlp_bias", &[s.mlp])?,
            out_weight: read("out_weight", &s.out_weight())?,
            out_bias: read("out_bias", &[s.tags])?,
        })
    }

    fn weight(&self, name: &str, dims: &[usize]) -> Result<Vec<f32>> {
        let values = self.stored_weight(name, dims).and_then(|values| {
            validate::check_values(&values)?;
            Ok(values)
        });
        values.map_err(|problem| {
            let name = name.into();
            Error::file(&self.path, WeightError { name, problem })
        })
    }

    fn stored_weight(&self, name: &str, dims: &[usize]) -> Result<Vec<f32>, WeightProblem> {
        let find = |n: &str| self.initializers().find(|t| t.name == n);
        if let Some(t) = find(name) {
            let raw = decode(t, dims, DataType::Float, 4)?;
            return Ok(raw.chunks_exact(4).map(le_f32).collect());
        }
        if let Some(t) = find(&format!("{name}.f16")) {
            let raw = decode(t, dims, DataType::Float16, 2)?;
            return Ok(raw
                .chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect());
        }
        if let (Some(q), Some(scale)) =
            (find(&format!("{name}.q4")), find(&format!("{name}.scale")))
        {
            // Stored rows only: `[rows, cols]`, two values per byte.
            let [rows, cols] = *dims else {
                return Err(WeightProblem::Missing);
            };
            let q = decode(q, &[rows, cols.div_ceil(2)], DataType::Uint8, 1)?;
            let scales = decode(scale, &[rows, 1], DataType::Float, 4)?;
            let rows = q.chunks_exact(cols.div_ceil(2)).zip(scales.chunks_exact(4));
            return Ok(rows
                .flat_map(|(q, s)| {
                    (0..cols).map(move |i| f32::from(super::int4_at(q, i)) * le_f32(s))
                })
                .collect());
        }
        if let (Some(q), Some(scale)) = (find(&format!("{name}.q")), find(&format!("{name}.scale")))
        {
            let row = dims.last().copied().unwrap_or(1).max(1);
            let mut scale_dims = dims.to_vec();
            if let Some(last) = scale_dims.last_mut() {
                *last = 1;
            }
            let q = decode(q, dims, DataType::Int8, 1)?;
            let scales: Vec<f32> = decode(scale, &scale_dims, DataType::Float, 4)?
                .chunks_exact(4)
                .map(le_f32)
                .collect();
            // Same expression as the graph's Cast + Mul, so both give identical f32 values.
            return Ok(q
                .iter()
                .enumerate()
                .map(|(i, &v)| v as i8 as f32 * scales[i / row])
                .collect());
        }
        Err(WeightProblem::Missing)
    }

    fn initializers(&self) -> impl Iterator<Item = &TensorProto> {
        self.proto.graph.iter().flat_map(|g| g.initializer.iter())
    }
}

/// Every quantised row's largest |value| (its largest |q| times its scale) is finite and
/// within the weight bound; `value(row, i)` is a row's `i`-th stored integer.
fn bound_rows<'a>(
    rows: impl Iterator<Item = &'a [u8]>,
    scales: &[u8],
    dim: usize,
    value: impl Fn(&[u8], usize) -> i8,
) -> Result<(), WeightProblem> {
    for (row, (q, scale)) in rows.zip(scales.chunks_exact(4)).enumerate() {
        let scale = le_f32(scale);
        let (at, largest) = (0..dim)
            .map(|i| (i, f32::from(value(q, i)).abs()))
            .fold((0, 0.0), |m, x| if x.1 > m.1 { x } else { m });
        let largest = largest * scale.abs();
        if !scale.is_finite() || !largest.is_finite() || largest > validate::WEIGHT_BOUND {
            return Err(WeightProblem::Value {
                index: row * dim + at,
                value: f32::from(value(q, at)) * scale,
                bound: validate::WEIGHT_BOUND,
            });
        }
    }
    Ok(())
}

/// An odd-length int4 row ends in a zero nibble, as the writer leaves it: a file is the
/// writer's bytes or it is rejected.
fn int4_padding<'a>(
    mut rows: impl Iterator<Item = &'a [u8]>,
    dim: usize,
) -> Result<(), WeightProblem> {
    let unused = |q: &[u8]| dim % 2 == 1 && q.last().is_some_and(|b| b >> 4 != 0);
    match rows.position(unused) {
        Some(row) => Err(WeightProblem::Padding {
            tensor: "rows.q4".into(),
            row,
        }),
        None => Ok(()),
    }
}

/// The stored checksum is the one the graph and the manifest give.
fn verify_checksum(proto: &ModelProto) -> Result<(), FileProblem> {
    let stored = proto
        .metadata_props
        .iter()
        .find(|e| e.key == CHECKSUM_KEY)
        .ok_or(FileProblem::MissingMetadata(CHECKSUM_KEY))?;
    let bad = || FileProblem::BadMetadata {
        key: CHECKSUM_KEY,
        value: stored.value.clone(),
    };
    // The writer's form: exactly eight lowercase hex digits.
    if stored.value.len() != 8
        || stored
            .value
            .bytes()
            .any(|b| !matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(bad());
    }
    let stored = u32::from_str_radix(&stored.value, 16).map_err(|_| bad())?;
    let graph = proto
        .graph
        .as_ref()
        .ok_or(FileProblem::MissingMetadata("graph"))?;
    let actual = super::checksum(graph, &proto.metadata_props);
    if actual != stored {
        return Err(FileProblem::Checksum { stored, actual });
    }
    Ok(())
}

pub(crate) fn le_f32(b: &[u8]) -> f32 {
    f32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// The raw bytes of `t`, after checking its type, shape and byte length.
fn decode<'t>(
    t: &'t TensorProto,
    dims: &[usize],
    dtype: DataType,
    width: usize,
) -> Result<&'t [u8], WeightProblem> {
    let tensor = || t.name.clone();
    if t.data_type != dtype as i32 {
        return Err(WeightProblem::DataType {
            tensor: tensor(),
            found: t.data_type,
            expected: dtype,
        });
    }
    if !t
        .dims
        .iter()
        .map(|&d| usize::try_from(d).ok())
        .eq(dims.iter().map(|&d| Some(d)))
    {
        return Err(WeightProblem::Shape {
            tensor: tensor(),
            found: t.dims.clone(),
            expected: dims.to_vec(),
        });
    }
    let need = dims.iter().product::<usize>() * width;
    if t.raw_data.len() != need {
        return Err(WeightProblem::Bytes {
            tensor: tensor(),
            found: t.raw_data.len(),
            need,
        });
    }
    Ok(&t.raw_data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_odd_int4_row_must_end_in_a_zero_nibble() {
        let rows = [[0x71u8, 0x09], [0x12, 0x0f]];
        assert!(int4_padding(rows.iter().map(|r| &r[..]), 3).is_ok());
        let bad = [[0x71u8, 0x09], [0x12, 0x1f]];
        let err = int4_padding(bad.iter().map(|r| &r[..]), 3).unwrap_err();
        assert!(err.to_string().contains("row 1"), "{err}");
        // Even rows use every nibble.
        assert!(int4_padding(bad.iter().map(|r| &r[..]), 4).is_ok());
    }

    #[test]
    fn a_row_beyond_the_bound_names_its_value() {
        let q = [0x07u8, 0x00];
        let scale = (validate::WEIGHT_BOUND).to_le_bytes();
        let err = bound_rows(std::iter::once(&q[..]), &scale, 3, super::super::int4_at);
        assert!(
            matches!(err, Err(WeightProblem::Value { index: 0, .. })),
            "{err:?}"
        );
    }
}
