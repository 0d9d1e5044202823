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
use super::onnx::DataType;
use super::onnx::{self as pb, NodeProto, TensorProto};
use super::proto::*;
use super::weights::{CharModelWeights, Shapes, TaggerShapes, TaggerWeights};
use super::Precision;
use prost::Message;

mod tagger;

const INPUT: &str = "chars";
const OUTPUT: &str = "vectors";
const OPSET: i64 = 17;
const IR_VERSION: i64 = 8;

/// The ONNX bytes of `weights` described by `manifest` (its precision picks the storage).
/// Panics only on a programming error: call [`CharModelWeights::check`] first.
pub fn encode_embedder(manifest: &Manifest, weights: &CharModelWeights) -> Vec<u8> {
    embedder_model(manifest, weights, &[], Int8Data::Quantize).encode_to_vec()
}

/// What quantised tensors (`.q`, `.q4`, `.scale`) hold: the quantised values (a file), or nothing (the
/// validator's model, which leaves them out of its comparison and checks them when it reads
/// them: quantising a large table again only to discard it made up a fifth of opening a
/// hybrid file).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Int8Data {
    Quantize,
    Skip,
}

/// A hybrid embedder (issue 15): [`encode_embedder`] plus the teacher rows `rows`
/// (`[words, dim]` row-major, row `i` that of `manifest.rows`' word `i`), stored at the rows'
/// precision as initializers named `rows` (f32), `rows.f16`, `rows.q` + `rows.scale` (int8,
/// one scale per row) or `rows.q4` + `rows.scale` (int4) that no graph node reads: any ONNX runtime runs the character
/// model and leaves them alone. Call [`check_rows`] first.
pub fn encode_hybrid(manifest: &Manifest, weights: &CharModelWeights, rows: &[f32]) -> Vec<u8> {
    embedder_model(manifest, weights, rows, Int8Data::Quantize).encode_to_vec()
}

/// The stored rows fit the manifest: one row of `dim` values per stored word.
pub fn check_rows(manifest: &Manifest, rows: &[f32]) -> Result<(), String> {
    let words = manifest.rows.as_ref().map_or(0, |r| r.words.len());
    if rows.len() != words * manifest.dim {
        return Err(format!(
            "{} stored values for {words} words of {} dimensions",
            rows.len(),
            manifest.dim
        ));
    }
    Ok(())
}

/// The model [`encode_embedder`] and [`encode_hybrid`] encode; the validator compares files
/// with it.
pub(crate) fn embedder_model(
    manifest: &Manifest,
    weights: &CharModelWeights,
    rows: &[f32],
    int8: Int8Data,
) -> pb::ModelProto {
    let shapes = manifest.shapes();
    let mut g = GraphBuilder::new(manifest.precision, int8);
    g.embedder(&shapes, weights);
    if let Some(meta) = &manifest.rows {
        let dims = [meta.words.len(), shapes.dim];
        match meta.precision.as_weights() {
            Some(precision) => g.store(ROWS, &dims, rows, precision),
            None => g.store_int4(ROWS, dims, rows),
        }
    }
    let inputs = vec![value_info(
        INPUT,
        DataType::Int64,
        &[Err("batch"), Err("time")],
    )];
    let output = value_info(OUTPUT, DataType::Float, &[Err("batch"), Ok(shapes.dim)]);
    g.into_model("sublex_char_bilstm", inputs, output, manifest)
}

/// The ONNX bytes of a tagger (`manifest.tagger` must be set; call
/// [`TaggerWeights::check`] first).
///
/// Inputs, for the `words` words of one sentence padded to `time` characters:
/// `chars` int64 `[words, time]` (each word's character ids, then 0s), `chars_reversed`
/// (each word's ids in reverse order, then 0s) and `last` float `[words, time]` (1 at each
/// word's last character, 0 elsewhere; all 0 for an empty word). Output `scores` float
/// `[words, tags]`.
///
/// Two forward-direction LSTMs read `chars` and `chars_reversed`; `last` picks each word's
/// final states (Mul + ReduceSum over time), so padding never reaches a word's vector
/// (DESIGN.md). Then the character model's projection, the word-level bidirectional LSTM over
/// the sentence (batch 1) and the MLP.
pub fn encode_tagger(manifest: &Manifest, weights: &TaggerWeights) -> Vec<u8> {
    tagger_model(manifest, weights, Int8Data::Quantize).encode_to_vec()
}

/// The model [`encode_tagger`] encodes; the validator compares files with it.
pub(crate) fn tagger_model(
    manifest: &Manifest,
    weights: &TaggerWeights,
    int8: Int8Data,
) -> pb::ModelProto {
    let shapes = manifest.tagger_shapes().expect("a tagger manifest");
    let mut g = GraphBuilder::new(manifest.precision, int8);
    g.tagger(&shapes, weights);
    let padded = [Err("words"), Err("time")];
    let inputs = vec![
        value_info(TAGGER_CHARS, DataType::Int64, &padded),
        value_info(TAGGER_REVERSED, DataType::Int64, &padded),
        value_info(TAGGER_LAST, DataType::Float, &padded),
    ];
    let output = value_info(
        TAGGER_OUTPUT,
        DataType::Float,
        &[Err("words"), Ok(shapes.tags)],
    );
    g.into_model("sublex_tagger", inputs, output, manifest)
}

/// The stored rows' initializer name (before the storage's suffix).
pub(crate) const ROWS: &str = "rows";
pub(crate) const TAGGER_CHARS: &str = "chars";
pub(crate) const TAGGER_REVERSED: &str = "chars_reversed";
pub(crate) const TAGGER_LAST: &str = "last";
pub(crate) const TAGGER_OUTPUT: &str = "scores";

struct GraphBuilder {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    precision: Precision,
    int8: Int8Data,
}

impl GraphBuilder {
    fn new(precision: Precision, int8: Int8Data) -> Self {
        GraphBuilder {
            nodes: Vec::new(),
            initializers: Vec::new(),
            precision,
            int8,
        }
    }

    /// The model: this graph, the manifest in `metadata_props`, and the checksum over both.
    fn into_model(
        self,
        name: &str,
        input: Vec<pb::ValueInfoProto>,
        output: pb::ValueInfoProto,
        manifest: &Manifest,
    ) -> pb::ModelProto {
        let graph = pb::GraphProto {
            name: name.into(),
            node: self.nodes,
            initializer: self.initializers,
            input,
            output: vec![output],
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
    }

    fn add(&mut self, op: &str, inputs: &[&str], output: &str, attrs: Vec<pb::AttributeProto>) {
        self.nodes.push(node(op, inputs, &[output], attrs));
    }

    /// A large weight, stored at the model's precision and turned back into f32 in-graph.
    fn weight(&mut self, name: &str, dims: &[usize], data: &[f32]) {
        self.store(name, dims, data, self.precision);
        let to_f32 = || vec![attr_int("to", DataType::Float as i64)];
        match self.precision {
            Precision::F32 => {}
            Precision::F16 => self.add("Cast", &[&format!("{name}.f16")], name, to_f32()),
            Precision::Int8 => {
                let widened = format!("{name}.widened");
                self.add("Cast", &[&format!("{name}.q")], &widened, to_f32());
                self.add("Mul", &[&widened, &format!("{name}.scale")], name, vec![]);
            }
        }
    }

    /// The initializers of `data` at `precision`: `name` (f32), `name.f16`, or `name.q` with
    /// `name.scale` (int8, one scale per row of the last axis).
    fn store(&mut self, name: &str, dims: &[usize], data: &[f32], precision: Precision) {
        match precision {
            Precision::F32 => self.initializers.push(f32_tensor(name, dims, data)),
            Precision::F16 => {
                let bits = data
                    .iter()
                    .flat_map(|&x| half::f16::from_f32(x).to_le_bytes())
                    .collect();
                let stored = format!("{name}.f16");
                self.initializers
                    .push(raw_tensor(&stored, dims, DataType::Float16, bits));
            }
            Precision::Int8 => {
                let mut scale_dims = dims.to_vec();
                *scale_dims.last_mut().expect("weights have dimensions") = 1;
                let (bytes, scales) = match self.int8 {
                    Int8Data::Skip => (Vec::new(), Vec::new()),
                    Int8Data::Quantize => {
                        let (q, scales) = super::quantize_rows(data, *dims.last().unwrap_or(&1));
                        let scales = scales.iter().flat_map(|s| s.to_le_bytes()).collect();
                        (q.iter().map(|&v| v as u8).collect(), scales)
                    }
                };
                let (q, scale) = (format!("{name}.q"), format!("{name}.scale"));
                self.initializers
                    .push(raw_tensor(&q, dims, DataType::Int8, bytes));
                self.initializers
                    .push(raw_tensor(&scale, &scale_dims, DataType::Float, scales));
            }
        }
    }

    /// `name.q4` (uint8 `[rows, ceil(cols / 2)]`, two int4 values per byte) and `name.scale`
    /// (f32 `[rows, 1]`): stored rows only, which no node reads.
    fn store_int4(&mut self, name: &str, [rows, cols]: [usize; 2], data: &[f32]) {
        let (packed, scales) = match self.int8 {
            Int8Data::Skip => (Vec::new(), Vec::new()),
            Int8Data::Quantize => {
                let (packed, scales) = super::quantize_rows_int4(data, cols);
                (
                    packed,
                    scales.iter().flat_map(|s| s.to_le_bytes()).collect(),
                )
            }
        };
        let q4_dims = [rows, cols.div_ceil(2)];
        self.initializers.extend([
            raw_tensor(&format!("{name}.q4"), &q4_dims, DataType::Uint8, packed),
            raw_tensor(
                &format!("{name}.scale"),
                &[rows, 1],
                DataType::Float,
                scales,
            ),
        ]);
    }

    /// The character model's weights (the highway layer's come with its nodes), under the
    /// same names in every kind of file.
    fn char_weights(&mut self, s: &Shapes, w: &CharModelWeights) {
        self.weight("chars_table", &s.chars(), &w.chars);
        self.weight("W", &s.w(), &w.w);
        self.weight("R", &s.r(), &w.r);
        self.initializers.push(f32_tensor("B", &s.b(), &w.b));
        self.weight("proj_forward", &s.proj(), &w.proj_forward);
        self.weight("proj_backward", &s.proj(), &w.proj_backward);
        self.initializers
            .push(f32_tensor("proj_bias", &[s.dim], &w.proj_bias));
    }

    fn embedder(&mut self, s: &Shapes, w: &CharModelWeights) {
        let h = s.hidden;
        self.char_weights(s, w);
        self.initializers.extend([
            i64_tensor("index0_1d", &[1], &[0]),
            i64_tensor("two_1d", &[1], &[2]),
            i64_tensor("hidden_1d", &[1], &[h as i64]),
            i64_tensor("index0", &[], &[0]),
            i64_tensor("index1", &[], &[1]),
        ]);
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
        self.zero_states(INPUT, "index0_1d", "two_1d", "hidden_1d");
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
        self.char_vector(s, w, OUTPUT);
    }

    /// Eq. 2 (and eq. 3): from the final states `f` and `b` to the word vectors `output`.
    fn char_vector(&mut self, s: &Shapes, w: &CharModelWeights, output: &str) {
        self.add("MatMul", &["f", "proj_forward"], "zf", vec![]);
        self.add("MatMul", &["b", "proj_backward"], "zb", vec![]);
        self.add("Add", &["zf", "zb"], "zfb", vec![]);
        self.add("Add", &["zfb", "proj_bias"], "z", vec![]);
        let Some((weight, bias)) = &w.highway else {
            return self.add("Relu", &["z"], output, vec![]);
        };
        // t = σ(h · W_h + b_h), output t ⊙ h + (1 - t) ⊙ z.
        self.add("Relu", &["z"], "relu", vec![]);
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
        self.add("Add", &["carried", "passed"], output, vec![]);
    }

    /// Zero initial states `h0` and `c0` `[directions, batch, hidden]` for LSTMs over
    /// `input` `[batch, time]`, the batch read from its shape (`first`, `directions` and
    /// `hidden` name 1-element int64 constants: 0, the direction count, the state size).
    /// `c0` takes another route (`[batch, directions, hidden]`, then Transpose) than `h0`
    /// because tract 0.23.9 mis-optimises one wire feeding both (DESIGN.md).
    fn zero_states(&mut self, input: &str, first: &str, directions: &str, hidden: &str) {
        let zero = || attr_tensor("value", f32_tensor("", &[1], &[0.0]));
        let axis0 = || vec![attr_int("axis", 0)];
        self.add("Shape", &[input], "input_shape", vec![]);
        self.add("Gather", &["input_shape", first], "batch", axis0());
        self.add(
            "Concat",
            &[directions, "batch", hidden],
            "h0_shape",
            axis0(),
        );
        self.add("ConstantOfShape", &["h0_shape"], "h0", vec![zero()]);
        self.add(
            "Concat",
            &["batch", directions, hidden],
            "c0_shape",
            axis0(),
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
    }
}
