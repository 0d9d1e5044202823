//! The bidirectional LSTM as ONE node of burn's autodiff graph, with a hand-written
//! backward pass (DESIGN.md, "Facts measured here": burn's per-step ops spend their time in
//! scalar activation calls and graph bookkeeping; one fused op trains several times faster).
//! burn keeps the parameters, Adam, the input projection, the output layers and the loss;
//! this op takes each direction's input gate rows (`x W + b`, gates i, o, f, c) and
//! recurrent weights `R` (`[H, 4H]`) and returns the states. The two directions run on two
//! threads. Its gradients are tested against burn's autodiff of [`crate::lstm::Lstm`].
//!
//! Two input layouts:
//! - [`char_final_states`]: per-character tables (`E W + b`, one row per distinct
//!   character of the call: an exact reparametrisation that turns the input matmul into a
//!   gather), for words of any lengths, each word's final states;
//! - [`dense_states`]: gate rows for every position of equal-length sequences (the
//!   tagger's sentences, or characters under dropout), every position's states or the
//!   final ones.

mod gates;
mod pool;
pub mod recurrence;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, NodeGuard, Ops, OpsKind};
use burn::backend::autodiff::Autodiff;
use burn::backend::flex::FlexTensor;
use burn::backend::Flex;
use burn::tensor::{Tensor, TensorData};
use recurrence::{Direction, Keep, Output, Schedule, Source, Trace};
use std::sync::{Arc, Mutex, OnceLock};

/// Words as rows of character-table ids, longest first (see [`CharRows::new`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CharRows {
    /// Row ids into the call's tables, word after word.
    pub ids: Vec<u32>,
    /// Where each word starts in `ids`.
    pub starts: Vec<usize>,
    /// Each word's length (non-increasing).
    pub lengths: Vec<usize>,
}

impl CharRows {
    /// Rows for `words` (each a list of table row ids) in the order given, which must be
    /// longest first.
    pub fn new<'a>(words: impl IntoIterator<Item = &'a [u32]>) -> CharRows {
        let mut rows = CharRows::default();
        for word in words {
            rows.starts.push(rows.ids.len());
            rows.lengths.push(word.len());
            rows.ids.extend_from_slice(word);
        }
        assert!(
            rows.lengths.windows(2).all(|w| w[0] >= w[1]),
            "CharRows: words must come longest first"
        );
        rows
    }

    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }
}

/// How the inputs are laid out.
#[derive(Debug, Clone)]
enum Layout {
    Table(Arc<CharRows>),
    Dense { rows: usize, time: usize },
}

/// Final states `[words, 2H]` (forward ⊕ backward) of `rows` (longest first), reading
/// input gate rows from the per-character `tables` (`[chars, 4H]` for each direction).
/// A word of length 0 gets zero states.
pub fn char_final_states(
    tables: [Tensor<2>; 2],
    recurrent: [Tensor<2>; 2],
    rows: Arc<CharRows>,
) -> Tensor<2> {
    apply(tables, recurrent, Layout::Table(rows), Output::Final)
}

/// States of equal-length sequences from dense input gate rows (`[rows, time, 4H]` for each
/// direction, `time` at least 1): `[rows, time, 2H]` for [`Output::States`]; for
/// [`Output::Final`] `[rows, 1, 2H]`, each direction's state after its last step.
pub fn dense_states(gates: [Tensor<3>; 2], recurrent: [Tensor<2>; 2], output: Output) -> Tensor<3> {
    let [rows, time, width] = gates[0].dims();
    let hidden = recurrent[0].dims()[0];
    let flat = gates.map(|g| g.reshape([rows * time, width]));
    let out = apply(flat, recurrent, Layout::Dense { rows, time }, output);
    let steps = if output == Output::States { time } else { 1 };
    out.reshape([rows, steps, 2 * hidden])
}

/// A float tensor's backend primitive: tracked by autodiff (training) or plain (inference).
enum Primitive {
    Tracked(NodeGuard, FlexTensor),
    Plain(FlexTensor),
}

fn primitive(tensor: Tensor<2>) -> Primitive {
    match tensor.clone().try_into_primitive::<Autodiff<Flex>>() {
        Ok(tracked) => {
            let (flex, node) = tracked.into_parts();
            Primitive::Tracked(node, contiguous(flex))
        }
        Err(_) => Primitive::Plain(contiguous(
            tensor
                .try_into_primitive::<Flex>()
                .expect("the fused LSTM runs on burn's Flex backend"),
        )),
    }
}

fn contiguous(tensor: FlexTensor) -> FlexTensor {
    if tensor.as_slice::<f32>().is_some() {
        tensor
    } else {
        tensor.to_contiguous()
    }
}

fn floats(tensor: &FlexTensor) -> &[f32] {
    tensor.as_slice::<f32>().expect("contiguous f32 tensor")
}

/// What the backward pass needs: the inputs' layout, the weights and the forward traces.
#[derive(Debug)]
struct Saved {
    layout: Layout,
    output: Output,
    schedule: Schedule,
    hidden: usize,
    inputs: [FlexTensor; 2],
    recurrent: [FlexTensor; 2],
    traces: Mutex<Option<[Trace; 2]>>,
}

impl Saved {
    fn direction(&self, d: usize) -> Direction<'_> {
        direction(&self.layout, &self.inputs[d], &self.recurrent[d], d)
    }
}

fn direction<'a>(
    layout: &'a Layout,
    input: &'a FlexTensor,
    recurrent: &'a FlexTensor,
    d: usize,
) -> Direction<'a> {
    let source = match layout {
        Layout::Table(rows) => Source::Table {
            table: floats(input),
            ids: &rows.ids,
            starts: &rows.starts,
            lengths: &rows.lengths,
        },
        Layout::Dense { time, .. } => Source::Dense {
            gates: floats(input),
            time: *time,
        },
    };
    Direction {
        source,
        recurrent: floats(recurrent),
        reverse: d == 1,
    }
}

fn schedule(layout: &Layout) -> Schedule {
    match layout {
        Layout::Table(rows) => Schedule::new(&rows.lengths),
        Layout::Dense { rows, time } => Schedule::new(&vec![*time; *rows]),
    }
}

/// Output rows: one per sequence, or one per sequence and position.
fn output_rows(layout: &Layout, output: Output) -> usize {
    let (rows, time) = match layout {
        Layout::Table(rows) => (rows.len(), 1),
        Layout::Dense { rows, time } => (*rows, *time),
    };
    match output {
        Output::Final => rows,
        Output::States => rows * time,
    }
}

/// Runs both directions (one per thread); returns `[output rows, 2H]` and, when asked to
/// keep them, the traces.
fn run(
    (layout, inputs, recurrent): (&Layout, &[FlexTensor; 2], &[FlexTensor; 2]),
    schedule: &Schedule,
    output: Output,
    keep: Keep,
) -> (Vec<f32>, Option<[Trace; 2]>) {
    let hidden = recurrent[0].layout().shape()[0];
    let rows = output_rows(layout, output);
    let one = |d: usize| {
        let mut out = vec![0f32; rows * hidden];
        let dir = direction(layout, &inputs[d], &recurrent[d], d);
        let trace = recurrence::forward(&dir, schedule, hidden, output, &mut out, keep);
        (out, trace)
    };
    let ((fwd, trace_f), (bwd, trace_b)) = both(|| one(0), || one(1));
    let traces = trace_f.zip(trace_b).map(|(f, b)| [f, b]);
    (interleave(&fwd, &bwd, hidden), traces)
}

/// Runs `a` on this thread and `b` on a helper thread at the same time. The helper is one
/// thread of its own: `rayon::join` called from outside a pool hands both halves to the
/// pool, which often ran them one after the other on one worker while this thread waited
/// (measured: half the speed), and a second idle worker only holds memory (each thread
/// keeps its own sgemm packing buffers).
fn both<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B) {
    static HELPER: OnceLock<rayon::ThreadPool> = OnceLock::new();
    let helper = HELPER.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .thread_name(|_| "sublex-lstm".into())
            .build()
            .expect("cannot start the LSTM's helper thread")
    });
    let mut out_b = None;
    let out_a = helper.in_place_scope(|scope| {
        scope.spawn(|_| out_b = Some(b()));
        a()
    });
    (out_a, out_b.expect("the helper's half ran"))
}

/// `[rows, H]` twice -> `[rows, 2H]`.
fn interleave(a: &[f32], b: &[f32], hidden: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(2 * a.len());
    for (x, y) in a.chunks_exact(hidden).zip(b.chunks_exact(hidden)) {
        out.extend_from_slice(x);
        out.extend_from_slice(y);
    }
    out
}

/// `[rows, 2H]` -> its `d`-th half `[rows, H]`.
fn half(grad: &[f32], hidden: usize, d: usize) -> Vec<f32> {
    grad.chunks_exact(2 * hidden)
        .flat_map(|row| &row[d * hidden..(d + 1) * hidden])
        .copied()
        .collect()
}

fn check_shapes(layout: &Layout, inputs: &[FlexTensor; 2], recurrent: &[FlexTensor; 2]) {
    let hidden = recurrent[0].layout().shape()[0];
    for d in 0..2 {
        assert_eq!(
            recurrent[d].layout().shape().to_vec(),
            vec![hidden, 4 * hidden],
            "R must be [H, 4H]"
        );
        let shape = inputs[d].layout().shape().to_vec();
        assert_eq!(shape[1], 4 * hidden, "input gate rows must be 4H wide");
        match layout {
            Layout::Table(rows) => assert!(
                rows.ids.iter().all(|&i| (i as usize) < shape[0]),
                "character id out of the table"
            ),
            Layout::Dense { rows, time } => assert_eq!(
                shape[0],
                rows * time,
                "dense gates must be [rows * time, 4H]"
            ),
        }
    }
}

fn apply(
    inputs: [Tensor<2>; 2],
    recurrent: [Tensor<2>; 2],
    layout: Layout,
    output: Output,
) -> Tensor<2> {
    let [i0, i1] = inputs.map(primitive);
    let [r0, r1] = recurrent.map(primitive);
    match (i0, i1, r0, r1) {
        (
            Primitive::Plain(i0),
            Primitive::Plain(i1),
            Primitive::Plain(r0),
            Primitive::Plain(r1),
        ) => {
            let (inputs, recurrent) = ([i0, i1], [r0, r1]);
            check_shapes(&layout, &inputs, &recurrent);
            let schedule = schedule(&layout);
            let (out, _) = run(
                (&layout, &inputs, &recurrent),
                &schedule,
                output,
                Keep::StatesOnly,
            );
            let hidden = recurrent[0].layout().shape()[0];
            Tensor::from_primitive::<Flex>(to_flex(out, [output_rows(&layout, output), 2 * hidden]))
        }
        (i0, i1, r0, r1) => tracked(
            [i0, i1, r0, r1].map(Primitive::into_tracked),
            layout,
            output,
        ),
    }
}

impl Primitive {
    fn into_tracked(self) -> (Option<NodeGuard>, FlexTensor) {
        match self {
            Primitive::Tracked(node, t) => (Some(node), t),
            Primitive::Plain(_) => {
                panic!("the fused LSTM's inputs must all be on one device (all autodiff or none)")
            }
        }
    }
}

fn to_flex(values: Vec<f32>, shape: [usize; 2]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

/// The op's node in burn's autodiff graph: parents are the two inputs and the two `R`s.
#[derive(Debug)]
struct BiLstmBackward;

impl Backward<Flex, 4> for BiLstmBackward {
    type State = Arc<Saved>;

    fn backward(self, ops: Ops<Self::State, 4>, grads: &mut Gradients, _: &mut Checkpointer) {
        let d_out = grads.consume::<Flex>(&ops.node);
        let d_out = contiguous(d_out);
        let saved = ops.state;
        let traces = saved
            .traces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .expect("the fused LSTM's backward runs once");
        let hidden = saved.hidden;
        let [trace_f, trace_b] = traces;
        let one = |d: usize, trace: Trace| {
            let d_half = half(floats(&d_out), hidden, d);
            recurrence::backward(
                &saved.direction(d),
                &saved.schedule,
                hidden,
                saved.output,
                trace,
                &d_half,
            )
        };
        let (gf, gb) = both(|| one(0, trace_f), || one(1, trace_b));
        let [p_in_f, p_in_b, p_r_f, p_r_b] = ops.parents;
        let width = 4 * hidden;
        for (parent, grad) in [(p_in_f, gf.input), (p_in_b, gb.input)] {
            if let Some(node) = parent {
                let rows = grad.len() / width;
                grads.register::<Flex>(node.id, to_flex(grad, [rows, width]));
            }
        }
        for (parent, grad) in [(p_r_f, gf.recurrent), (p_r_b, gb.recurrent)] {
            if let Some(node) = parent {
                grads.register::<Flex>(node.id, to_flex(grad, [hidden, width]));
            }
        }
    }
}

fn tracked(
    parts: [(Option<NodeGuard>, FlexTensor); 4],
    layout: Layout,
    output: Output,
) -> Tensor<2> {
    let [(n0, i0), (n1, i1), (n2, r0), (n3, r1)] = parts;
    let (inputs, recurrent) = ([i0, i1], [r0, r1]);
    check_shapes(&layout, &inputs, &recurrent);
    let hidden = recurrent[0].layout().shape()[0];
    let schedule = schedule(&layout);
    let shape = [output_rows(&layout, output), 2 * hidden];
    let nodes = [n0, n1, n2, n3].map(|n| n.expect("tracked inputs have nodes"));
    let parts = (&layout, &inputs, &recurrent);
    let result = match BiLstmBackward
        .prepare::<NoCheckpointing>(nodes)
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => {
            let (out, traces) = run(parts, &schedule, output, Keep::Trace);
            let saved = Saved {
                layout,
                output,
                schedule,
                hidden,
                inputs,
                recurrent,
                traces: Mutex::new(traces),
            };
            prep.finish(Arc::new(saved), to_flex(out, shape))
        }
        OpsKind::UnTracked(prep) => {
            let (out, _) = run(parts, &schedule, output, Keep::StatesOnly);
            prep.finish(to_flex(out, shape))
        }
    };
    Tensor::from_primitive::<Autodiff<Flex>>(result)
}

#[cfg(test)]
mod tests;
