//! The deployable model file, and its one owner: a standard ONNX model (any ONNX runtime can
//! run it) whose `metadata_props` carry the [`Manifest`] (vocabulary, dimensions, precision,
//! format version) and a CRC-32 over the graph and the manifest. One file is all a device needs.

mod manifest;
pub mod onnx;
mod proto;
pub(crate) mod read;
pub mod validate;
mod weights;
mod words;
mod write;

pub use manifest::{
    Kind, Manifest, Precision, RowPrecision, RowsMeta, TaggerDims, FORMAT_VERSION, MAX_ROWS,
};
pub use read::Artifact;
pub use weights::{CharModelWeights, Shapes, TaggerShapes, TaggerWeights};
pub use words::{WordList, WordListError};
pub use write::{check_rows, encode_embedder, encode_hybrid, encode_tagger};

use prost::Message;

/// CRC-32 of the encoded graph followed by each metadata key and value. Covering the graph
/// (weights included) and the manifest catches corruption anywhere that matters.
fn checksum(graph: &onnx::GraphProto, metadata: &[onnx::StringStringEntryProto]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&graph.encode_to_vec());
    for entry in metadata.iter().filter(|e| e.key != manifest::CHECKSUM_KEY) {
        hasher.update(entry.key.as_bytes());
        hasher.update(&[0]);
        hasher.update(entry.value.as_bytes());
        hasher.update(&[0]);
    }
    hasher.finalize()
}

/// Stores the checksum `model`'s graph and manifest give (replacing the stored one). The
/// CRC catches accidents, not intent: anyone can sign a changed file, which is why opening
/// validates everything else too. For tools that edit files and for the fuzzer.
pub fn sign(model: &mut onnx::ModelProto) {
    let Some(graph) = model.graph.as_ref() else {
        return;
    };
    let value = format!("{:08x}", checksum(graph, &model.metadata_props));
    match (model.metadata_props.iter_mut()).find(|e| e.key == manifest::CHECKSUM_KEY) {
        Some(entry) => entry.value = value,
        None => model.metadata_props.push(onnx::StringStringEntryProto {
            key: manifest::CHECKSUM_KEY.into(),
            value,
        }),
    }
}

/// What int8 storage gives back for `data`: each row of `row_len` values quantised as a file
/// stores it, then multiplied by its scale as the reader does (tools measure the error of
/// storing one tensor at int8 with it).
pub fn int8_round_trip(data: &[f32], row_len: usize) -> Vec<f32> {
    let (q, scales) = quantize_rows(data, row_len);
    let row = row_len.max(1);
    q.iter()
        .enumerate()
        .map(|(i, &v)| v as f32 * scales[i / row])
        .collect()
}

/// Symmetric int8 quantisation with one scale per row of `row_len` values:
/// `x ≈ q * scale`, `scale = max|x| / 127` (1 for an all-zero row).
fn quantize_rows(data: &[f32], row_len: usize) -> (Vec<i8>, Vec<f32>) {
    let mut q = Vec::with_capacity(data.len());
    let mut scales = Vec::with_capacity(data.len() / row_len.max(1));
    for row in data.chunks(row_len.max(1)) {
        let max = row.iter().fold(0f32, |m, x| m.max(x.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        q.extend(
            row.iter()
                .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8),
        );
        scales.push(scale);
    }
    (q, scales)
}

/// Symmetric int4 quantisation of rows of `row_len` values, two values per byte (column
/// `2i` in the low nibble of byte `i`, a zero nibble after an odd row's last value) and one
/// scale per row. Four bits leave a coarse grid, so each row's scale is the one of
/// `max|x| / 7 · r`, r in 1.0, 0.98, ..., 0.60, with the least squared error (clipping a
/// few large values buys a finer step for all the others); ties keep the larger scale.
fn quantize_rows_int4(data: &[f32], row_len: usize) -> (Vec<u8>, Vec<f32>) {
    let row_len = row_len.max(1);
    let mut packed = Vec::with_capacity(data.len().div_ceil(2));
    let mut scales = Vec::with_capacity(data.len() / row_len);
    let q = |x: f32, scale: f32| (x / scale).round().clamp(-7.0, 7.0);
    for row in data.chunks(row_len) {
        let max = row.iter().fold(0f32, |m, x| m.max(x.abs()));
        let scale = if max > 0.0 {
            let error = |s: f32| row.iter().map(|&x| (q(x, s) * s - x).powi(2)).sum::<f32>();
            (0..=20)
                .map(|i| max / 7.0 * (1.0 - 0.02 * i as f32))
                .fold((f32::INFINITY, 1.0), |best, s| {
                    let e = error(s);
                    if e < best.0 {
                        (e, s)
                    } else {
                        best
                    }
                })
                .1
        } else {
            1.0
        };
        packed.extend(row.chunks(2).map(|pair| {
            let lo = q(pair[0], scale) as i8 as u8 & 0x0f;
            let hi = pair.get(1).map_or(0, |&x| q(x, scale) as i8 as u8 & 0x0f);
            lo | hi << 4
        }));
        scales.push(scale);
    }
    (packed, scales)
}

/// Value `col` of an int4 row (`packed`, as [`quantize_rows_int4`] lays it out).
#[inline]
pub(crate) fn int4_at(packed: &[u8], col: usize) -> i8 {
    let byte = packed[col / 2];
    let nibble = if col % 2 == 0 { byte << 4 } else { byte & 0xf0 };
    // The nibble in the high half, then an arithmetic shift: its sign extended.
    nibble as i8 >> 4
}

impl Manifest {
    /// The weight shapes this manifest describes.
    pub fn shapes(&self) -> Shapes {
        Shapes {
            vocab: self.vocab.len(),
            char_dim: self.char_dim,
            hidden: self.hidden,
            dim: self.dim,
            highway: self.highway,
        }
    }

    /// A tagger's weight shapes; `None` for an embedder.
    pub fn tagger_shapes(&self) -> Option<TaggerShapes> {
        self.tagger.as_ref().map(|t| TaggerShapes {
            chars: self.shapes(),
            word_hidden: t.word_hidden,
            mlp: t.mlp,
            tags: t.tags.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int4_rows_pack_two_per_byte_and_round_trip() {
        let data = [0.7, -0.7, 0.1, 0.0, 0.35, -0.2, 0.0, 0.0, 0.0];
        let (packed, scales) = quantize_rows_int4(&data, 3);
        assert_eq!(packed.len(), 6, "two bytes per row of three");
        assert_eq!(scales[2], 1.0, "an all-zero row keeps scale 1");
        for (r, row) in data.chunks(3).enumerate() {
            let bytes = &packed[2 * r..2 * r + 2];
            assert_eq!(bytes[1] >> 4, 0, "the padding nibble is zero");
            for (c, &x) in row.iter().enumerate() {
                let v = int4_at(bytes, c);
                assert!((-7..=7).contains(&v));
                let back = v as f32 * scales[r];
                assert!((back - x).abs() <= scales[r] / 2.0 + 1e-6, "{x} -> {back}");
            }
        }
        assert_eq!(int4_at(&[0x9f], 0), -1);
        assert_eq!(int4_at(&[0x9f], 1), -7);
        assert_eq!(int4_at(&[0x70], 1), 7);
    }

    #[test]
    fn int8_rows_round_trip_within_half_a_step() {
        let data = [0.5, -1.0, 0.25, 0.0, 0.0, 0.0, 3.0, 2.9, -0.1];
        let (q, scales) = quantize_rows(&data, 3);
        assert_eq!(scales.len(), 3);
        assert_eq!(scales[1], 1.0);
        assert_eq!(q[1], -127);
        for (i, x) in data.iter().enumerate() {
            let back = q[i] as f32 * scales[i / 3];
            assert!(
                (back - x).abs() <= scales[i / 3] / 2.0 + 1e-7,
                "{x} -> {back}"
            );
        }
    }
}
