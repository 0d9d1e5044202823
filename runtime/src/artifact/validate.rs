//! The format's gate: everything a model file declares is checked here, at open, before any
//! engine sees it. A file is accepted only when it is exactly what this format version's
//! writer produces for its manifest and weights: its bytes are the canonical encoding of what
//! they decode to, and its model (graph, nodes, attributes, initializer names, types and
//! shapes, metadata) equals the writer's for the same manifest and weights. Only the weight
//! values are free, and they must be finite and within [`WEIGHT_BOUND`].
//!
//! The checksum is no signature (anyone can recompute it), so this is what stands between a
//! hostile file and the kernel's `unsafe` SIMD code and tract. The fuzzer (`fuzz/`) holds it
//! to that; a change of the format extends both.

use super::onnx::{GraphProto, ModelProto, TensorProto};
use super::Manifest;
use crate::error::{FileProblem, WeightProblem};
use prost::Message;

/// No weight of a trained model comes near this magnitude: the largest in the 50-epoch
/// reconstructions of docs/RESULTS.md is 4.1 and in the EWT tagger 4.3 (character vectors
/// both). The bound is what makes the engines' agreement well defined: their f32 LSTM
/// states differ by about 1e-6, which a projection weight multiplies into the output, and
/// at 64 the fuzzer found files whose engines drifted past the parity rule.
pub const WEIGHT_BOUND: f32 = 16.0;

/// The largest dimension a manifest may declare (character, state, output and MLP sizes);
/// it keeps every size computed from a manifest far from overflow.
pub const MAX_DIM: usize = 1 << 14;

/// Each metadata key once (which of two entries a reader takes is an accident).
pub(super) fn unique_metadata(proto: &ModelProto) -> Result<(), FileProblem> {
    let mut seen = std::collections::HashSet::new();
    for entry in &proto.metadata_props {
        if !seen.insert(entry.key.as_str()) {
            return Err(FileProblem::DuplicateMetadata(entry.key.clone()));
        }
    }
    Ok(())
}

/// The bytes are the canonical encoding of what they decode to: no fields this format never
/// writes (which another ONNX reader would honour and this one skips), no field twice.
pub(super) fn canonical_encoding(proto: &ModelProto, bytes: &[u8]) -> Result<(), FileProblem> {
    if proto.encoded_len() == bytes.len() && proto.encode_to_vec() == bytes {
        Ok(())
    } else {
        Err(FileProblem::Encoding)
    }
}

/// The weights the manifest declares fit in the file (at least a byte each, a stored row its
/// stored bytes): checked before anything is sized from the manifest, so a hostile manifest
/// cannot ask for a huge buffer.
pub(super) fn declared_size(manifest: &Manifest, file_len: usize) -> Result<(), FileProblem> {
    let rows = (manifest.rows.as_ref()).map_or(0, |r| {
        (r.words.len() as u64).saturating_mul(r.precision.row_bytes(manifest.dim) as u64)
    });
    let declared = match manifest.tagger_shapes() {
        Some(t) => t.declared_params(),
        None => manifest.shapes().declared_params(),
    }
    .saturating_add(rows);
    if declared > file_len as u64 {
        return Err(FileProblem::TooSmall {
            declared,
            bytes: file_len,
        });
    }
    Ok(())
}

/// Finite and within [`WEIGHT_BOUND`].
pub(super) fn check_values(values: &[f32]) -> Result<(), WeightProblem> {
    match (values.iter()).position(|x| !x.is_finite() || x.abs() > WEIGHT_BOUND) {
        None => Ok(()),
        Some(index) => Err(WeightProblem::Value {
            index,
            value: values[index],
            bound: WEIGHT_BOUND,
        }),
    }
}

/// `file` is the model the writer produces (`canon`, from the file's manifest and weights).
/// Free in the comparison: the producer (informational), the checksum's value (checked
/// before) and, at int8 and int4, the stored values and scales (the writer would quantise the widened
/// values again, not always to the same bytes; their types, shapes and values are checked
/// when they are read).
pub(super) fn same_structure(
    file: &mut ModelProto,
    mut canon: ModelProto,
) -> Result<(), FileProblem> {
    canon.producer_name.clone_from(&file.producer_name);
    canon.producer_version.clone_from(&file.producer_version);
    for (c, f) in canon.metadata_props.iter_mut().zip(&file.metadata_props) {
        if c.key == super::manifest::CHECKSUM_KEY && f.key == c.key {
            c.value.clone_from(&f.value);
        }
    }
    let quantized = |t: &TensorProto| {
        t.name.ends_with(".q") || t.name.ends_with(".q4") || t.name.ends_with(".scale")
    };
    if let Some(g) = canon.graph.as_mut() {
        g.initializer
            .iter_mut()
            .filter(|t| quantized(t))
            .for_each(|t| t.raw_data.clear());
    }
    // The file's quantised data steps aside for the comparison and comes back after it.
    let mut set_aside = Vec::new();
    if let Some(g) = file.graph.as_mut() {
        for t in g.initializer.iter_mut().filter(|t| quantized(t)) {
            set_aside.push(std::mem::take(&mut t.raw_data));
        }
    }
    // Described while the quantised data is aside, so that it points at the real difference.
    let verdict = if *file == canon {
        Ok(())
    } else {
        Err(FileProblem::Graph(first_difference(file, &canon)))
    };
    if let Some(g) = file.graph.as_mut() {
        for (t, data) in g
            .initializer
            .iter_mut()
            .filter(|t| quantized(t))
            .zip(set_aside)
        {
            t.raw_data = data;
        }
    }
    verdict
}

/// Where `file` first departs from `canon`, for people.
fn first_difference(file: &ModelProto, canon: &ModelProto) -> String {
    if file.ir_version != canon.ir_version || file.opset_import != canon.opset_import {
        return format!(
            "IR version {} with opsets {:?}; this format writes IR version {} with opset {:?}",
            file.ir_version,
            opsets(file),
            canon.ir_version,
            opsets(canon)
        );
    }
    if file.metadata_props != canon.metadata_props {
        let keys = |m: &ModelProto| -> Vec<String> {
            m.metadata_props.iter().map(|e| e.key.clone()).collect()
        };
        return format!(
            "its metadata entries {:?} are not the ones this format writes for its manifest ({:?}, values in canonical form)",
            keys(file),
            keys(canon)
        );
    }
    let empty = GraphProto::default();
    let (f, c) = (
        file.graph.as_ref().unwrap_or(&empty),
        canon.graph.as_ref().unwrap_or(&empty),
    );
    graph_difference(f, c)
}

fn opsets(m: &ModelProto) -> Vec<(String, i64)> {
    m.opset_import
        .iter()
        .map(|o| (o.domain.clone(), o.version))
        .collect()
}

fn graph_difference(f: &GraphProto, c: &GraphProto) -> String {
    let node = |n: Option<&super::onnx::NodeProto>| {
        n.map_or("nothing".into(), |n| {
            format!("{} {:?} -> {:?}", n.op_type, n.input, n.output)
        })
    };
    if let Some(i) = (0..f.node.len().max(c.node.len())).find(|&i| f.node.get(i) != c.node.get(i)) {
        return format!(
            "graph node {i} is {} (of {} nodes); this format writes {} (of {})",
            node(f.node.get(i)),
            f.node.len(),
            node(c.node.get(i)),
            c.node.len()
        );
    }
    let tensor = |t: Option<&TensorProto>| {
        t.map_or("nothing".into(), |t| {
            format!("`{}` (type {}, shape {:?})", t.name, t.data_type, t.dims)
        })
    };
    let (fi, ci) = (&f.initializer, &c.initializer);
    if let Some(i) = (0..fi.len().max(ci.len())).find(|&i| fi.get(i) != ci.get(i)) {
        return format!(
            "initializer {i} is {} (of {}); this format writes {} (of {}) there",
            tensor(fi.get(i)),
            fi.len(),
            tensor(ci.get(i)),
            ci.len()
        );
    }
    format!(
        "graph `{}` with inputs {:?} and outputs {:?} is not the one this format writes for its manifest",
        f.name,
        f.input.iter().map(|v| &v.name).collect::<Vec<_>>(),
        f.output.iter().map(|v| &v.name).collect::<Vec<_>>()
    )
}
