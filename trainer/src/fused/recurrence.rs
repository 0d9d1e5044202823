//! One LSTM direction over a batch of sequences, forward and backward (backpropagation
//! through time), on plain slices: the arithmetic behind [`super::bilstm`].
//!
//! Gates are in ONNX order (i, o, f, c), the layout of [`crate::lstm::Lstm`]. Each step does
//! one sgemm (`h_prev · R`, added onto the step's input rows) and one fused pass of gate
//! math; backward does one sgemm per step (`da · Rᵀ`) and one more for all of `dR` at the
//! end. Sequences of different lengths share a call without padding: rows are sorted by
//! length (longest first), so the rows still running at step `t` are a prefix of the batch
//! and each row's arithmetic is exactly what it would be alone.

use super::gates;
use super::pool::{self, Buffer};

/// Which rows run at each step.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Rows still running at step `t` (non-increasing).
    active: Vec<usize>,
    /// Where step `t`'s rows start in the packed per-step arrays (`active` summed).
    offsets: Vec<usize>,
}

impl Schedule {
    /// `lengths` sorted longest first.
    pub fn new(lengths: &[usize]) -> Schedule {
        debug_assert!(
            lengths.windows(2).all(|w| w[0] >= w[1]),
            "rows must be sorted"
        );
        let time = lengths.first().copied().unwrap_or(0);
        let active: Vec<usize> = (0..time)
            .map(|t| lengths.iter().take_while(|&&len| len > t).count())
            .collect();
        let mut offsets = vec![0; time + 1];
        for t in 0..time {
            offsets[t + 1] = offsets[t] + active[t];
        }
        Schedule { active, offsets }
    }

    pub fn time(&self) -> usize {
        self.active.len()
    }

    /// Rows summed over steps (the packed arrays' height).
    pub fn total(&self) -> usize {
        self.offsets[self.time()]
    }

    /// Rows running at step `t`; 0 past the end.
    fn rows(&self, t: usize) -> usize {
        self.active.get(t).copied().unwrap_or(0)
    }
}

/// Where a direction's input gate rows (`x W + b`, `4 * hidden` wide) come from.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// Per-character rows `[chars, 4H]`; row `r` reads characters
    /// `ids[starts[r] .. starts[r] + lengths[r]]`.
    Table {
        table: &'a [f32],
        ids: &'a [u32],
        starts: &'a [usize],
        lengths: &'a [usize],
    },
    /// Dense rows `[rows, time, 4H]`, every row `time` long.
    Dense { gates: &'a [f32], time: usize },
}

impl Source<'_> {
    /// The position row `r` reads at step `t`.
    fn position(&self, r: usize, t: usize, reverse: bool) -> usize {
        let len = match self {
            Source::Table { lengths, .. } => lengths[r],
            Source::Dense { time, .. } => *time,
        };
        if reverse {
            len - 1 - t
        } else {
            t
        }
    }

    /// Offset (in floats) of the input row that row `r` reads at step `t`.
    fn offset(&self, r: usize, t: usize, reverse: bool, width: usize) -> usize {
        let p = self.position(r, t, reverse);
        match self {
            Source::Table { ids, starts, .. } => ids[starts[r] + p] as usize * width,
            Source::Dense { time, .. } => (r * time + p) * width,
        }
    }

    fn data(&self) -> &[f32] {
        match self {
            Source::Table { table, .. } => table,
            Source::Dense { gates, .. } => gates,
        }
    }
}

/// What a direction returns for each row: its final state, or its state at every position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// `[rows, H]`: the state after the row's last step (for the backward direction, after
    /// reading the first position).
    Final,
    /// `[rows, time, H]`: position `p` holds the state after reading it.
    States,
}

/// One direction of one call.
#[derive(Debug, Clone, Copy)]
pub struct Direction<'a> {
    pub source: Source<'a>,
    /// `[H, 4H]`.
    pub recurrent: &'a [f32],
    pub reverse: bool,
}

/// What the forward pass keeps for the backward pass, packed step by step.
#[derive(Debug)]
pub struct Trace {
    /// Gate activations `[total, 4H]` (i, o, f after the sigmoid, c after tanh).
    acts: Buffer,
    /// Cell states `[total, H]`.
    c: Buffer,
    /// `tanh(c)`, `[total, H]`.
    tc: Buffer,
    /// Hidden states `[total, H]`.
    h: Buffer,
}

/// Whether the forward pass keeps every step for a backward pass, or only what the next
/// step reads (inference: memory for two steps instead of the whole call).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    Trace,
    StatesOnly,
}

/// Runs one direction and writes its states to `out` (laid out as `output` says); returns
/// the trace for [`backward`] when asked to keep it.
pub fn forward(
    dir: &Direction,
    schedule: &Schedule,
    hidden: usize,
    output: Output,
    out: &mut [f32],
    keep: Keep,
) -> Option<Trace> {
    let h4 = 4 * hidden;
    // Where step `t`'s rows start: packed step after step, or two alternating blocks.
    let block = |t: usize| match keep {
        Keep::Trace => schedule.offsets[t],
        Keep::StatesOnly => (t % 2) * schedule.rows(0),
    };
    let height = match keep {
        Keep::Trace => schedule.total(),
        Keep::StatesOnly => 2 * schedule.rows(0),
    };
    let mut trace = Trace {
        acts: pool::take(height * h4),
        c: pool::take(height * hidden),
        tc: pool::take(height * hidden),
        h: pool::take(height * hidden),
    };
    let input = dir.source.data();
    for t in 0..schedule.time() {
        let (n, at) = (schedule.rows(t), block(t));
        let pre = &mut trace.acts[at * h4..(at + n) * h4];
        for (r, row) in pre.chunks_exact_mut(h4).enumerate() {
            let from = dir.source.offset(r, t, dir.reverse, h4);
            row.copy_from_slice(&input[from..from + h4]);
        }
        let prev = (t > 0).then(|| block(t - 1) * hidden);
        if let Some(prev) = prev {
            // pre += h_prev · R over the rows still running.
            sgemm(
                n,
                h4,
                hidden,
                pre.as_mut_ptr(),
                h4,
                true,
                trace.h[prev..].as_ptr(),
                hidden,
                1,
                dir.recurrent.as_ptr(),
                h4,
                1,
            );
        }
        let (c_now, c_prev) = step_and_previous(&mut trace.c, at * hidden, prev, n * hidden);
        gates::forward(
            pre,
            c_prev,
            c_now,
            &mut trace.tc[at * hidden..(at + n) * hidden],
            &mut trace.h[at * hidden..(at + n) * hidden],
            hidden,
        );
        write_output(
            dir,
            schedule,
            t,
            &trace.h[at * hidden..(at + n) * hidden],
            hidden,
            output,
            out,
        );
    }
    match keep {
        Keep::Trace => Some(trace),
        Keep::StatesOnly => {
            trace.recycle();
            None
        }
    }
}

/// The `len` values at `at` (mutable) and, if any, the `len` values at `prev` (a disjoint
/// block before or after it).
fn step_and_previous(
    buf: &mut [f32],
    at: usize,
    prev: Option<usize>,
    len: usize,
) -> (&mut [f32], Option<&[f32]>) {
    match prev {
        None => (&mut buf[at..at + len], None),
        Some(p) if p < at => {
            let (before, now) = buf.split_at_mut(at);
            (&mut now[..len], Some(&before[p..p + len]))
        }
        Some(p) => {
            let (now, after) = buf.split_at_mut(p);
            (&mut now[at..at + len], Some(&after[..len]))
        }
    }
}

/// Copies step `t`'s states into the output rows.
fn write_output(
    dir: &Direction,
    schedule: &Schedule,
    t: usize,
    h: &[f32],
    hidden: usize,
    output: Output,
    out: &mut [f32],
) {
    for r in output_rows_at(schedule, t, output) {
        let at = out_offset(dir, schedule, r, t, hidden, output);
        out[at..at + hidden].copy_from_slice(&h[r * hidden..(r + 1) * hidden]);
    }
}

/// The rows with an output at step `t`: for final states, the rows whose last step is `t`
/// (running now but not at `t + 1`); for all states, every running row.
fn output_rows_at(schedule: &Schedule, t: usize, output: Output) -> std::ops::Range<usize> {
    match output {
        Output::Final => schedule.rows(t + 1)..schedule.rows(t),
        Output::States => 0..schedule.rows(t),
    }
}

/// Offset of row `r`'s step-`t` state in the output.
fn out_offset(
    dir: &Direction,
    schedule: &Schedule,
    r: usize,
    t: usize,
    hidden: usize,
    output: Output,
) -> usize {
    match output {
        Output::Final => r * hidden,
        Output::States => (r * schedule.time() + dir.source.position(r, t, dir.reverse)) * hidden,
    }
}

/// Gradients of one direction: with respect to its input rows (the table `[chars, 4H]`, or
/// the dense gates `[rows, time, 4H]`) and to `R`.
pub struct Grads {
    pub input: Vec<f32>,
    pub recurrent: Vec<f32>,
}

/// Backpropagation through time for one direction, given the gradient of the whole output
/// (`d_out`, laid out as the forward pass wrote it). Consumes the trace.
pub fn backward(
    dir: &Direction,
    schedule: &Schedule,
    hidden: usize,
    output: Output,
    mut trace: Trace,
    d_out: &[f32],
) -> Grads {
    let (h4, rows) = (4 * hidden, schedule.rows(0));
    let mut d_input = vec![0f32; dir.source.data().len()];
    let mut dh = pool::take(rows * hidden);
    let mut dc = pool::take(rows * hidden);
    for t in (0..schedule.time()).rev() {
        let (n, at) = (schedule.rows(t), schedule.offsets[t]);
        // Rows that end at this step start with no gradient from later steps.
        let joining = schedule.rows(t + 1) * hidden..n * hidden;
        dh[joining.clone()].fill(0.0);
        dc[joining].fill(0.0);
        add_output_grads(
            dir,
            schedule,
            t,
            hidden,
            output,
            d_out,
            &mut dh[..n * hidden],
        );
        let c_prev = (t > 0).then(|| {
            let prev = schedule.offsets[t - 1] * hidden;
            &trace.c[prev..prev + n * hidden]
        });
        let da = &mut trace.acts[at * h4..(at + n) * h4];
        gates::backward(
            da,
            &trace.tc[at * hidden..(at + n) * hidden],
            c_prev,
            &dh[..n * hidden],
            &mut dc[..n * hidden],
            hidden,
        );
        scatter_input_grads(dir, t, da, h4, &mut d_input);
        if t > 0 {
            // dh_prev = da · Rᵀ.
            sgemm(
                n,
                hidden,
                h4,
                dh.as_mut_ptr(),
                hidden,
                false,
                da.as_ptr(),
                h4,
                1,
                dir.recurrent.as_ptr(),
                1,
                h4,
            );
        }
    }
    let recurrent = recurrent_grad(schedule, hidden, &trace);
    pool::give(dh);
    pool::give(dc);
    trace.recycle();
    Grads {
        input: d_input,
        recurrent,
    }
}

/// Adds the output's gradient at step `t` to `dh` (rows running at `t`).
fn add_output_grads(
    dir: &Direction,
    schedule: &Schedule,
    t: usize,
    hidden: usize,
    output: Output,
    d_out: &[f32],
    dh: &mut [f32],
) {
    for r in output_rows_at(schedule, t, output) {
        let at = out_offset(dir, schedule, r, t, hidden, output);
        for (d, g) in dh[r * hidden..(r + 1) * hidden]
            .iter_mut()
            .zip(&d_out[at..at + hidden])
        {
            *d += g;
        }
    }
}

/// The input rows' gradients: added into the table's rows (one row serves many
/// characters), or written to each dense position.
fn scatter_input_grads(dir: &Direction, t: usize, da: &[f32], h4: usize, d_input: &mut [f32]) {
    for (r, row) in da.chunks_exact(h4).enumerate() {
        let at = dir.source.offset(r, t, dir.reverse, h4);
        let target = &mut d_input[at..at + h4];
        match dir.source {
            Source::Table { .. } => target.iter_mut().zip(row).for_each(|(d, g)| *d += g),
            Source::Dense { .. } => target.copy_from_slice(row),
        }
    }
}

/// `dR = Σ_t h_{t-1}ᵀ · da_t` as one sgemm: the previous states of every step after the
/// first are packed in step order, the same order as the `da` rows they pair with.
fn recurrent_grad(schedule: &Schedule, hidden: usize, trace: &Trace) -> Vec<f32> {
    let h4 = 4 * hidden;
    let mut grad = vec![0f32; hidden * h4];
    let first = schedule.rows(0);
    let k = schedule.total() - first;
    if k == 0 {
        return grad;
    }
    let mut h_prev = pool::take(k * hidden);
    for t in 1..schedule.time() {
        let (n, prev) = (schedule.rows(t), schedule.offsets[t - 1] * hidden);
        let at = (schedule.offsets[t] - first) * hidden;
        h_prev[at..at + n * hidden].copy_from_slice(&trace.h[prev..prev + n * hidden]);
    }
    sgemm(
        hidden,
        h4,
        k,
        grad.as_mut_ptr(),
        h4,
        false,
        h_prev.as_ptr(),
        1,
        hidden,
        trace.acts[first * h4..].as_ptr(),
        h4,
        1,
    );
    pool::give(h_prev);
    grad
}

impl Trace {
    /// Hands the buffers back to the pool for the next batch.
    pub fn recycle(self) {
        for buffer in [self.acts, self.c, self.tc, self.h] {
            pool::give(buffer);
        }
    }
}

/// `dst[m, n] (+)= lhs[m, k] · rhs[k, n]`, each operand given by its row and column
/// strides (in floats), single-threaded: the two directions already use both cores.
#[allow(clippy::too_many_arguments)]
fn sgemm(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut f32,
    dst_rs: usize,
    accumulate: bool,
    lhs: *const f32,
    lhs_rs: usize,
    lhs_cs: usize,
    rhs: *const f32,
    rhs_rs: usize,
    rhs_cs: usize,
) {
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: every caller passes pointers into slices that hold the whole strided
    // operand (checked by the tests' shapes, including length 1 and batch 1).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            dst_rs as isize,
            accumulate,
            lhs,
            lhs_cs as isize,
            lhs_rs as isize,
            rhs,
            rhs_cs as isize,
            rhs_rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}
