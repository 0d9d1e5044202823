//! Writes a character model as one ONNX file: the graph, its weights at the chosen
//! precision, and the manifest in `metadata_props`.
//!
//! Graph (inputs `chars` int64 `[batch, time]`, words of equal length; output `vectors`
//! float `[batch, dim]`):
//! `Gather(chars table) -> Transpose to [time, batch, dc] -> LSTM (bidirectional, no
//! sequence_lens) -> Y_h[0] · W_f + Y_h[1] · W_b + b -> Relu [-> highway]`.
//! Batch and time stay symbolic, so the initial states are built from the input's shape;
//! `initial_c` takes a different route (`[batch, 2, H]` then Transpose) than `initial_h`
//! because tract 0.23.9 mis-optimises one wire feeding both (DESIGN.md).

use super::manifest::{Manifest, CHECKSUM_KEY};
use super::proto::*;
use super::weights::{CharModelWeights, Shapes};
use super::Precision;
use prost::Message;
use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::{self, NodeProto, TensorProto};

const INPUT: &str = "chars";
const OUTPUT: &str = "vectors";
const OPSET: i64 = 17;
const IR_VERSION: i64 = 8;

/// The ONNX bytes of `weights` described by `manifest` (its precision picks the storage).
/// Panics only on a programming error: call [`CharModelWeights::check`] first.
pub fn encode_embedder(manifest: &Manifest, weights: &CharModelWeights) -> Vec<u8> {
    let shapes = manifest.shapes();
    let mut g = GraphBuilder {
        nodes: Vec::new(),
        initializers: Vec::new(),
        precision: manifest.precision,
    };
    g.embedder(&shapes, weights);
    let graph = pb::GraphProto {
        name: "sublex_char_bilstm".into(),
        node: g.nodes,
        initializer: g.initializers,
        input: vec![value_info(
            INPUT,
            DataType::Int64,
            &[Err("batch"), Err("time")],
        )],
        output: vec![value_info(
            OUTPUT,
            DataType::Float,
            &[Err("batch"), Ok(shapes.dim)],
        )],
        ..Default::default()
    };
    let mut metadata: Vec<pb::StringStringEntryProto> = manifest
        .entries()
        .into_iter()
        .map(|(key, value)| pb::StringStringEntryProto {
            key: key.into(),
            value,
        })
        .collect();
    let checksum = super::checksum(&graph, &metadata);
    metadata.push(pb::StringStringEntryProto {
        key: CHECKSUM_KEY.into(),
        value: format!("{checksum:08x}"),
    });
    pb::ModelProto {
        ir_version: IR_VERSION,
        opset_import: vec![pb::OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
        producer_name: "sublex".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        graph: Some(graph),
        metadata_props: metadata,
        ..Default::default()
    }
    .encode_to_vec()
}

struct GraphBuilder {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    precision: Precision,
}

impl GraphBuilder {
    fn add(&mut self, op: &str, inputs: &[&str], output: &str, attrs: Vec<pb::AttributeProto>) {
        self.nodes.push(node(op, inputs, &[output], attrs));
    }

    /// A large weight, stored at the model's precision and turned back into f32 in-graph.
    fn weight(&mut self, name: &str, dims: &[usize], data: &[f32]) {
        match self.precision {
            Precision::F32 => self.initializers.push(f32_tensor(name, dims, data)),
            Precision::F16 => {
                let stored = format!("{name}.f16");
                let bits = data
                    .iter()
                    .flat_map(|&x| half::f16::from_f32(x).to_le_bytes())
                    .collect();
                self.initializers
                    .push(raw_tensor(&stored, dims, DataType::Float16, bits));
                self.add(
                    "Cast",
                    &[&stored],
                    name,
                    vec![attr_int("to", DataType::Float as i64)],
                );
            }
            Precision::Int8 => {
                let (stored, scale) = (format!("{name}.q"), format!("{name}.scale"));
                let (q, scales) = super::quantize_rows(data, *dims.last().unwrap_or(&1));
                let mut scale_dims = dims.to_vec();
                *scale_dims.last_mut().expect("weights have dimensions") = 1;
                let bytes = q.iter().map(|&v| v as u8).collect();
                self.initializers
                    .push(raw_tensor(&stored, dims, DataType::Int8, bytes));
                self.initializers
                    .push(f32_tensor(&scale, &scale_dims, &scales));
                let widened = format!("{name}.widened");
                self.add(
                    "Cast",
                    &[&stored],
                    &widened,
                    vec![attr_int("to", DataType::Float as i64)],
                );
                self.add("Mul", &[&widened, &scale], name, vec![]);
            }
        }
    }

    fn embedder(&mut self, s: &Shapes, w: &CharModelWeights) {
        let h = s.hidden;
        self.weight("chars_table", &s.chars(), &w.chars);
        self.weight("W", &s.w(), &w.w);
        self.weight("R", &s.r(), &w.r);
        self.initializers.push(f32_tensor("B", &s.b(), &w.b));
        self.weight("proj_forward", &s.proj(), &w.proj_forward);
        self.weight("proj_backward", &s.proj(), &w.proj_backward);
        self.initializers
            .push(f32_tensor("proj_bias", &[s.dim], &w.proj_bias));
        self.initializers.extend([
            i64_tensor("index0_1d", &[1], &[0]),
            i64_tensor("two_1d", &[1], &[2]),
            i64_tensor("hidden_1d", &[1], &[h as i64]),
            i64_tensor("index0", &[], &[0]),
            i64_tensor("index1", &[], &[1]),
        ]);
        let zero = || attr_tensor("value", f32_tensor("", &[1], &[0.0]));
        self.add(
            "Gather",
            &["chars_table", INPUT],
            "embedded",
            vec![attr_int("axis", 0)],
        );
        self.add(
            "Transpose",
            &["embedded"],
            "x",
            vec![attr_ints("perm", &[1, 0, 2])],
        );
        self.add("Shape", &[INPUT], "input_shape", vec![]);
        self.add(
            "Gather",
            &["input_shape", "index0_1d"],
            "batch",
            vec![attr_int("axis", 0)],
        );
        self.add(
            "Concat",
            &["two_1d", "batch", "hidden_1d"],
            "h0_shape",
            vec![attr_int("axis", 0)],
        );
        self.add("ConstantOfShape", &["h0_shape"], "h0", vec![zero()]);
        self.add(
            "Concat",
            &["batch", "two_1d", "hidden_1d"],
            "c0_shape",
            vec![attr_int("axis", 0)],
        );
        self.add(
            "ConstantOfShape",
            &["c0_shape"],
            "c0_batch_first",
            vec![zero()],
        );
        self.add(
            "Transpose",
            &["c0_batch_first"],
            "c0",
            vec![attr_ints("perm", &[1, 0, 2])],
        );
        // burn-onnx takes W, R and B as one group: all stored or all computed. At f16/int8,
        // W and R are computed (Cast), so B passes through an Identity too.
        let bias = if self.precision == Precision::F32 {
            "B"
        } else {
            self.add("Identity", &["B"], "B.lstm", vec![]);
            "B.lstm"
        };
        self.nodes.push(node(
            "LSTM",
            &["x", "W", "R", bias, "", "h0", "c0"],
            &["", "Y_h"],
            vec![
                attr_int("hidden_size", h as i64),
                attr_string("direction", "bidirectional"),
            ],
        ));
        self.add("Gather", &["Y_h", "index0"], "f", vec![attr_int("axis", 0)]);
        self.add("Gather", &["Y_h", "index1"], "b", vec![attr_int("axis", 0)]);
        self.add("MatMul", &["f", "proj_forward"], "zf", vec![]);
        self.add("MatMul", &["b", "proj_backward"], "zb", vec![]);
        self.add("Add", &["zf", "zb"], "zfb", vec![]);
        self.add("Add", &["zfb", "proj_bias"], "z", vec![]);
        match &w.highway {
            None => self.add("Relu", &["z"], OUTPUT, vec![]),
            Some((hw, hb)) => {
                self.add("Relu", &["z"], "relu", vec![]);
                self.highway(s, hw, hb);
            }
        }
    }

    /// Eq. 3: `t = σ(h · W_h + b_h)`, output `t ⊙ h + (1 - t) ⊙ z`.
    fn highway(&mut self, s: &Shapes, weight: &[f32], bias: &[f32]) {
        self.weight("highway_weight", &s.highway(), weight);
        self.initializers
            .push(f32_tensor("highway_bias", &[s.dim], bias));
        self.initializers.push(f32_tensor("one", &[1], &[1.0]));
        self.add("MatMul", &["relu", "highway_weight"], "gate_in", vec![]);
        self.add("Add", &["gate_in", "highway_bias"], "gate_pre", vec![]);
        self.add("Sigmoid", &["gate_pre"], "gate", vec![]);
        self.add("Mul", &["gate", "relu"], "carried", vec![]);
        self.add("Sub", &["one", "gate"], "gate_rest", vec![]);
        self.add("Mul", &["gate_rest", "z"], "passed", vec![]);
        self.add("Add", &["carried", "passed"], OUTPUT, vec![]);
    }
}
