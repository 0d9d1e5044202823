//! One change to a model file, as a hostile user would make it, and the checksum signed
//! again afterwards (except for raw byte changes, which also test the checksum). Value
//! changes inside the validator's bounds leave a valid file that must reach both engines;
//! they are about half of all mutations.

use sublex_runtime::artifact::onnx::{AttributeProto, ModelProto, NodeProto, TensorProto};
use sublex_runtime::artifact::{sign, validate::WEIGHT_BOUND};
use sublex_runtime::reference::synthetic::Lcg;

/// What a mutation changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Class {
    /// Weight values within the bounds (a valid file).
    Value,
    /// Weight values out of bounds: NaN, infinities, huge.
    BadValue,
    Manifest,
    /// Tensor names, dims, data types, byte lengths; initializers added or removed.
    Tensor,
    Node,
    Attribute,
    /// IR version, opsets, graph name, inputs and outputs.
    Model,
    /// Raw file bytes, checksum not signed again.
    Bytes,
}

/// A mutated file.
pub struct Mutant {
    pub bytes: Vec<u8>,
    pub class: Class,
    pub what: String,
}

/// One mutation of `seed`, drawn from `rng`.
pub fn mutate(seed: &ModelProto, rng: &mut Lcg) -> Mutant {
    let mut model = seed.clone();
    let roll = rng.below(100);
    let (class, what) = match roll {
        0..=49 => (Class::Value, values(&mut model, rng, false)),
        50..=56 => (Class::BadValue, values(&mut model, rng, true)),
        57..=69 => (Class::Manifest, manifest(&mut model, rng)),
        70..=78 => (Class::Tensor, tensor(&mut model, rng)),
        79..=87 => (Class::Node, node(&mut model, rng)),
        88..=92 => (Class::Attribute, attribute(&mut model, rng)),
        93..=95 => (Class::Model, model_level(&mut model, rng)),
        _ => return bytes(&model, rng),
    };
    sign(&mut model);
    Mutant {
        bytes: prost::Message::encode_to_vec(&model),
        class,
        what,
    }
}

fn pick<'a, T>(rng: &mut Lcg, items: &'a [T]) -> &'a T {
    &items[rng.below(items.len())]
}

fn initializers(model: &mut ModelProto) -> &mut Vec<TensorProto> {
    &mut model.graph.as_mut().expect("seeds have graphs").initializer
}

fn nodes(model: &mut ModelProto) -> &mut Vec<NodeProto> {
    &mut model.graph.as_mut().expect("seeds have graphs").node
}

/// Changes one to four values of one stored weight (f32, f16 or int8 rows and scales).
fn values(model: &mut ModelProto, rng: &mut Lcg, out_of_bounds: bool) -> String {
    let tensors = initializers(model);
    let stored: Vec<usize> = (0..tensors.len())
        .filter(|&i| matches!(tensors[i].data_type, 1 | 3 | 10) && !tensors[i].raw_data.is_empty())
        .collect();
    let t = &mut tensors[*pick(rng, &stored)];
    let width = match t.data_type {
        1 => 4,
        10 => 2,
        _ => 1,
    };
    let count = 1 + rng.below(4);
    for _ in 0..count {
        let at = rng.below(t.raw_data.len() / width) * width;
        let slot = &mut t.raw_data[at..at + width];
        let old = read(slot);
        let new = if out_of_bounds {
            *pick(
                rng,
                &[
                    f32::NAN,
                    f32::INFINITY,
                    f32::NEG_INFINITY,
                    1e6,
                    2.0 * WEIGHT_BOUND,
                    -1e30,
                ],
            )
        } else if t.name.ends_with(".scale") {
            // Dequantised values stay within the bound: 127 x scale <= WEIGHT_BOUND.
            let scale = *pick(rng, &[0.01, 0.1, 1.0]);
            rng.uniform(WEIGHT_BOUND / 127.0).abs() * scale
        } else {
            match rng.below(5) {
                0 => 0.0,
                1 => -old,
                2 => (old * 1.5).clamp(-WEIGHT_BOUND, WEIGHT_BOUND),
                _ => {
                    let scale = *pick(rng, &[1.0, 4.0, WEIGHT_BOUND]);
                    rng.uniform(scale)
                }
            }
        };
        write(slot, new);
    }
    format!("{count} value(s) of `{}`", t.name)
}

/// The f32 value in `slot` (f32, f16 or int8 bytes).
fn read(slot: &[u8]) -> f32 {
    match slot.len() {
        4 => f32::from_le_bytes(slot.try_into().unwrap()),
        2 => half::f16::from_le_bytes([slot[0], slot[1]]).to_f32(),
        _ => slot[0] as i8 as f32,
    }
}

/// Stores `x` in `slot`; int8 slots take it clamped to a byte (so out-of-bound values there
/// become the extremes, which are valid).
fn write(slot: &mut [u8], x: f32) {
    match slot.len() {
        4 => slot.copy_from_slice(&x.to_le_bytes()),
        2 => slot.copy_from_slice(&half::f16::from_f32(x).to_le_bytes()),
        _ => slot[0] = (x.clamp(-128.0, 127.0) as i8) as u8,
    }
}

/// Edits one metadata entry: numbers, names, the vocabulary, the tags; or adds or removes one.
fn manifest(model: &mut ModelProto, rng: &mut Lcg) -> String {
    let entries = &mut model.metadata_props;
    let i = rng.below(entries.len());
    match rng.below(10) {
        0 => {
            let e = entries.remove(i);
            return format!("removed metadata `{}`", e.key);
        }
        1 => {
            let e = entries[i].clone();
            entries.push(e);
            return format!("metadata `{}` twice", entries[i].key);
        }
        _ => {}
    }
    let e = &mut entries[i];
    let old = e.value.clone();
    e.value = match e.key.as_str() {
        "sublex.vocab" | "sublex.tags" => edit_list(&old, rng, e.key == "sublex.tags"),
        "sublex.precision" => pick(rng, &["f32", "f16", "int8", "int4", ""]).to_string(),
        "sublex.kind" => pick(rng, &["embedder", "tagger", "parser"]).to_string(),
        "sublex.highway" => pick(rng, &["true", "false", "yes"]).to_string(),
        _ => match old.parse::<i64>() {
            Ok(v) => pick(
                rng,
                &[
                    (v + 1).to_string(),
                    (v - 1).to_string(),
                    (v * 2).to_string(),
                    "0".into(),
                    "-3".into(),
                    "99999999999999999999".into(),
                    format!("0{v}"),
                    format!(" {v}"),
                ],
            )
            .clone(),
            Err(_) => format!("{old}x"),
        },
    };
    format!("metadata `{}`: {old:?} -> {:?}", e.key, e.value)
}

/// The vocabulary (characters) or the tags (lines) with one item removed, doubled, swapped
/// with another, renamed, or the whole list emptied.
fn edit_list(old: &str, rng: &mut Lcg, lines: bool) -> String {
    let mut items: Vec<String> = if lines {
        old.split('\n').map(String::from).collect()
    } else {
        old.chars().map(String::from).collect()
    };
    let i = rng.below(items.len());
    let j = rng.below(items.len());
    match rng.below(5) {
        0 => drop(items.remove(i)),
        1 => items.insert(j, items[i].clone()),
        2 => items.swap(i, j),
        3 => {
            items[i] = if lines {
                format!("{}X", items[i])
            } else {
                "ß".into()
            }
        }
        _ => items.clear(),
    }
    items.join(if lines { "\n" } else { "" })
}

/// Changes one initializer's name, dims, data type or byte length; or duplicates or removes it.
fn tensor(model: &mut ModelProto, rng: &mut Lcg) -> String {
    let tensors = initializers(model);
    let i = rng.below(tensors.len());
    let name = tensors[i].name.clone();
    match rng.below(8) {
        0 => {
            let t = tensors[i].clone();
            tensors.push(t);
            format!("initializer `{name}` twice")
        }
        1 => {
            tensors.remove(i);
            format!("initializer `{name}` removed")
        }
        2 => {
            tensors[i].name = format!("{name}.x");
            format!("initializer `{name}` renamed")
        }
        3 => {
            let t = &mut tensors[i];
            t.data_type = *pick(rng, &[0, 1, 3, 6, 7, 10, 11]);
            format!("initializer `{name}` data type {}", t.data_type)
        }
        4 => {
            let t = &mut tensors[i];
            let cut = 1 + rng.below(4);
            let keep = t.raw_data.len().saturating_sub(cut);
            t.raw_data.truncate(keep);
            format!("initializer `{name}` cut to {keep} bytes")
        }
        5 => {
            tensors[i].dims.push(1);
            format!("initializer `{name}` has one more dimension")
        }
        _ => {
            let t = &mut tensors[i];
            if t.dims.is_empty() {
                t.dims.push(2);
            } else {
                let d = rng.below(t.dims.len());
                let old = t.dims[d];
                t.dims[d] = *pick(rng, &[old + 1, old - 1, 0, -1, 2 * old, i64::MAX]);
            }
            format!("initializer `{name}` dims {:?}", t.dims)
        }
    }
}

const OPS: [&str; 12] = [
    "Gather",
    "Transpose",
    "LSTM",
    "Relu",
    "Add",
    "MatMul",
    "Mul",
    "Cast",
    "Squeeze",
    "Slice",
    "ReduceSum",
    "NoSuchOp",
];

/// Removes, doubles, swaps or rewires a node, or changes its operator; or removes them all.
fn node(model: &mut ModelProto, rng: &mut Lcg) -> String {
    let names: Vec<String> = initializers(model).iter().map(|t| t.name.clone()).collect();
    let nodes = nodes(model);
    let i = rng.below(nodes.len());
    let j = rng.below(nodes.len());
    let op = nodes[i].op_type.clone();
    match rng.below(7) {
        0 => {
            nodes.clear();
            "no nodes".into()
        }
        1 => {
            nodes.remove(i);
            format!("node {i} ({op}) removed")
        }
        2 => {
            let n = nodes[i].clone();
            nodes.insert(j, n);
            format!("node {i} ({op}) also at {j}")
        }
        3 => {
            nodes.swap(i, j);
            format!("nodes {i} and {j} swapped")
        }
        4 => {
            nodes[i].op_type = pick(rng, &OPS).to_string();
            format!("node {i} ({op}) is now {}", nodes[i].op_type)
        }
        5 if !nodes[i].input.is_empty() => {
            let k = rng.below(nodes[i].input.len());
            nodes[i].input[k] = pick(rng, &names).clone();
            format!("node {i} ({op}) input {k} is `{}`", nodes[i].input[k])
        }
        _ => {
            nodes[i].output[0] = format!("{}.x", nodes[i].output[0]);
            format!("node {i} ({op}) output renamed")
        }
    }
}

/// Changes, removes or retypes one attribute of a node that has some.
fn attribute(model: &mut ModelProto, rng: &mut Lcg) -> String {
    let nodes = nodes(model);
    let with: Vec<usize> = (0..nodes.len())
        .filter(|&i| !nodes[i].attribute.is_empty())
        .collect();
    let n = &mut nodes[*pick(rng, &with)];
    let k = rng.below(n.attribute.len());
    let a: &mut AttributeProto = &mut n.attribute[k];
    let what = format!("{} attribute `{}`", n.op_type, a.name);
    match rng.below(5) {
        0 => {
            n.attribute.remove(k);
            format!("{what} removed")
        }
        1 => {
            a.r#type = *pick(rng, &[0, 1, 2, 3, 4, 7]);
            format!("{what} type {}", a.r#type)
        }
        2 => {
            a.s = pick(rng, &[&b"forward"[..], b"reverse", b"bidirectional", b""]).to_vec();
            format!("{what} string {:?}", String::from_utf8_lossy(&a.s))
        }
        3 if !a.ints.is_empty() => {
            let e = rng.below(a.ints.len());
            a.ints[e] = *pick(rng, &[a.ints[e] + 1, -a.ints[e] - 1, 0, 7]);
            format!("{what} ints {:?}", a.ints)
        }
        _ => {
            a.i = *pick(rng, &[a.i + 1, a.i - 1, 0, -1, 1 << 40]);
            format!("{what} int {}", a.i)
        }
    }
}

/// IR version, opset, graph name, a graph input or output.
fn model_level(model: &mut ModelProto, rng: &mut Lcg) -> String {
    match rng.below(4) {
        0 => {
            model.ir_version = *pick(rng, &[3, 7, 9, 10]);
            format!("IR version {}", model.ir_version)
        }
        1 => {
            let version = *pick(rng, &[1, 9, 11, 13, 21]);
            model.opset_import[0].version = version;
            format!("opset {version}")
        }
        2 => {
            let g = model.graph.as_mut().expect("seeds have graphs");
            g.input[0].name = "input".into();
            "graph input renamed".into()
        }
        _ => {
            let g = model.graph.as_mut().expect("seeds have graphs");
            g.output.clear();
            "no graph outputs".into()
        }
    }
}

/// A byte flipped, the file cut short, or bytes appended, without signing again.
fn bytes(model: &ModelProto, rng: &mut Lcg) -> Mutant {
    let mut bytes = prost::Message::encode_to_vec(model);
    let at = rng.below(bytes.len());
    let what = match rng.below(3) {
        0 => {
            bytes[at] ^= 1 << rng.below(8);
            format!("bit flipped in byte {at}")
        }
        1 => {
            bytes.truncate(at);
            format!("cut to {at} bytes")
        }
        _ => {
            bytes.extend_from_slice(&[0x12, 0x03, b'a', b'b', b'c']);
            "field appended".into()
        }
    };
    Mutant {
        bytes,
        class: Class::Bytes,
        what,
    }
}
