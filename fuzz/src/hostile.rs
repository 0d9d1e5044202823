//! The hostile files of issue 13 and those the fuzzer found, made from the built-in f32
//! embedder the way the issue found them (one change, checksum signed again); `sublex-fuzz hostile` writes them to
//! `tests/hostile/`, where `tests/regressions.rs` holds the runtime to rejecting them.

use sublex_runtime::artifact::onnx::{GraphProto, ModelProto, TensorProto};
use sublex_runtime::artifact::sign;

fn graph(m: &mut ModelProto) -> &mut GraphProto {
    m.graph.as_mut().expect("a graph")
}

fn tensor<'m>(m: &'m mut ModelProto, name: &str) -> &'m mut TensorProto {
    let found = graph(m).initializer.iter_mut().find(|t| t.name == name);
    found.unwrap_or_else(|| panic!("no initializer `{name}`"))
}

/// Stores `value` as the f32 at `index` of the initializer `name`.
fn set_f32(m: &mut ModelProto, name: &str, index: usize, value: f32) {
    tensor(m, name).raw_data[4 * index..][..4].copy_from_slice(&value.to_le_bytes());
}

/// `(file name, bytes)` of each hostile file.
pub fn files() -> Vec<(&'static str, Vec<u8>)> {
    let seeds = crate::builtin();
    let embedder = &seeds
        .iter()
        .find(|s| s.name == "embedder-f32")
        .expect("a built-in f32 embedder")
        .model;
    let edit = |f: &dyn Fn(&mut ModelProto)| {
        let mut m = embedder.clone();
        f(&mut m);
        sign(&mut m);
        prost::Message::encode_to_vec(&m)
    };
    vec![
        ("no-nodes.onnx", edit(&|m| graph(m).node.clear())),
        ("nan-weight.onnx", edit(&|m| set_f32(m, "W", 0, f32::NAN))),
        (
            "infinite-weight.onnx",
            edit(&|m| set_f32(m, "chars_table", 2, f32::INFINITY)),
        ),
        (
            "int8-manifest-over-f32.onnx",
            edit(&|m| {
                let p = (m.metadata_props.iter_mut()).find(|e| e.key == "sublex.precision");
                p.expect("a precision").value = "int8".into();
            }),
        ),
        // Found by the fuzzer when the bound was 64: projection weights that large multiply
        // the engines' 1e-6 state differences past the parity rule.
        (
            "large-projection-weights.onnx",
            edit(&|m| {
                for i in [0, 10, 20] {
                    set_f32(m, "proj_forward", i, 64.0);
                }
            }),
        ),
        (
            "duplicate-initializer.onnx",
            edit(&|m| {
                let w = tensor(m, "W").clone();
                graph(m).initializer.push(w);
            }),
        ),
    ]
}
