//! The hostile files of issue 13 and those the fuzzer found, made from the built-in f32 embedder the way the issue found
//! them (one change, checksum signed again); `sublex-fuzz hostile` writes them to
//! `tests/hostile/`, where `tests/regressions.rs` holds the runtime to rejecting them.

use sublex_runtime::artifact::onnx::ModelProto;
use sublex_runtime::artifact::sign;

fn graph(m: &mut ModelProto) -> &mut sublex_runtime::artifact::onnx::GraphProto {
    m.graph.as_mut().expect("a graph")
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
        (
            "nan-weight.onnx",
            edit(&|m| {
                let w = graph(m).initializer.iter_mut().find(|t| t.name == "W");
                w.expect("W").raw_data[..4].copy_from_slice(&f32::NAN.to_le_bytes());
            }),
        ),
        (
            "infinite-weight.onnx",
            edit(&|m| {
                let t = graph(m)
                    .initializer
                    .iter_mut()
                    .find(|t| t.name == "chars_table");
                t.expect("chars_table").raw_data[8..12]
                    .copy_from_slice(&f32::INFINITY.to_le_bytes());
            }),
        ),
        (
            "int8-manifest-over-f32.onnx",
            edit(&|m| {
                let p = m
                    .metadata_props
                    .iter_mut()
                    .find(|e| e.key == "sublex.precision");
                p.expect("a precision").value = "int8".into();
            }),
        ),
        // Found by the fuzzer when the bound was 64: projection weights that large multiply
        // the engines' 1e-6 state differences past the parity rule.
        (
            "large-projection-weights.onnx",
            edit(&|m| {
                let t = graph(m)
                    .initializer
                    .iter_mut()
                    .find(|t| t.name == "proj_forward");
                let data = &mut t.expect("proj_forward").raw_data;
                for at in [0, 40, 80] {
                    data[at..at + 4].copy_from_slice(&64f32.to_le_bytes());
                }
            }),
        ),
        (
            "duplicate-initializer.onnx",
            edit(&|m| {
                let g = graph(m);
                let w = g
                    .initializer
                    .iter()
                    .find(|t| t.name == "W")
                    .expect("W")
                    .clone();
                g.initializer.push(w);
            }),
        ),
    ]
}
