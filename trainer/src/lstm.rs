//! One LSTM direction's parameters, and its recurrence written from burn ops.
//!
//! Weights are stored in ONNX's layout and gate order (i, o, f, c) so the exporter copies them
//! as they are. Training and inference run the recurrence through [`crate::fused`]; the
//! burn-ops recurrence here ([`Lstm::final_state`], [`Lstm::states`]: one input matmul, then
//! per step one recurrent matmul, one sigmoid over three gates and two tanh) is the
//! independent reference the fused op's outputs and gradients are tested against.

use crate::init::uniform;
use burn::module::{Module, Param};
use burn::tensor::activation::{sigmoid, tanh};
use burn::tensor::{Device, Tensor};
use rand::Rng;

#[derive(Module, Debug)]
pub struct Lstm {
    /// Input weights `[input, 4 * hidden]`, gates i, o, f, c.
    pub w_input: Param<Tensor<2>>,
    /// Recurrent weights `[hidden, 4 * hidden]`, gates i, o, f, c.
    pub w_recurrent: Param<Tensor<2>>,
    /// Gate bias `[4 * hidden]` (ONNX's `Wb`; its `Rb` is zero).
    pub bias: Param<Tensor<1>>,
}

impl Lstm {
    /// PyTorch's and DyNet's default: every weight uniform in ±1/sqrt(hidden).
    pub fn new(input: usize, hidden: usize, rng: &mut impl Rng, device: &Device) -> Self {
        let k = 1.0 / (hidden as f32).sqrt();
        Lstm {
            w_input: uniform(rng, [input, 4 * hidden], k, device),
            w_recurrent: uniform(rng, [hidden, 4 * hidden], k, device),
            bias: uniform(rng, [4 * hidden], k, device),
        }
    }

    pub fn hidden(&self) -> usize {
        self.w_recurrent.dims()[0]
    }

    /// Input gate rows `x W + b` for `x` `[rows, input]`: `[rows, 4H]`.
    pub fn input_gates(&self, x: Tensor<2>) -> Tensor<2> {
        x.matmul(self.w_input.val()) + self.bias.val().unsqueeze::<2>()
    }

    /// Runs over `inputs` `[batch, time, input]` in time order (or reversed) and returns the
    /// final hidden state `[batch, hidden]`. `time` must be at least 1.
    pub fn final_state(&self, inputs: Tensor<3>, reverse: bool) -> Tensor<2> {
        let mut last = None;
        self.run(inputs, reverse, |h| last = Some(h));
        last.expect("time > 0")
    }

    /// Every hidden state `[batch, time, hidden]`, position `t` holding the state after
    /// reading position `t` (for `reverse`, after reading positions `time-1 ..= t`).
    pub fn states(&self, inputs: Tensor<3>, reverse: bool) -> Tensor<3> {
        let mut all = Vec::new();
        self.run(inputs, reverse, |h| all.push(h));
        if reverse {
            all.reverse();
        }
        Tensor::stack(all, 1)
    }

    /// The recurrence; `emit` receives each step's hidden state in reading order.
    fn run(&self, inputs: Tensor<3>, reverse: bool, mut emit: impl FnMut(Tensor<2>)) {
        let [batch, time, input] = inputs.dims();
        let h_size = self.hidden();
        let gates_in = inputs
            .reshape([batch * time, input])
            .matmul(self.w_input.val())
            .add(self.bias.val().unsqueeze::<2>())
            .reshape([batch, time, 4 * h_size]);
        let w_rec = self.w_recurrent.val();
        let mut state: Option<(Tensor<2>, Tensor<2>)> = None;
        for step in 0..time {
            let t = if reverse { time - 1 - step } else { step };
            let mut gates = gates_in
                .clone()
                .narrow(1, t, 1)
                .reshape([batch, 4 * h_size]);
            if let Some((h, _)) = &state {
                gates = gates + h.clone().matmul(w_rec.clone());
            }
            let sig = sigmoid(gates.clone().narrow(1, 0, 3 * h_size));
            let g = tanh(gates.narrow(1, 3 * h_size, h_size));
            let i = sig.clone().narrow(1, 0, h_size);
            let o = sig.clone().narrow(1, h_size, h_size);
            let f = sig.narrow(1, 2 * h_size, h_size);
            let c = match state {
                Some((_, c)) => f * c + i * g,
                None => i * g,
            };
            let h = o * tanh(c.clone());
            emit(h.clone());
            state = Some((h, c));
        }
    }
}
