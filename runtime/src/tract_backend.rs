//! The tract backend: runs the exported ONNX graph itself, so it works for any graph the
//! file holds. Speed: one plan per (batch, length) shape with concrete dimensions (10-30%
//! faster than the symbolic plan), each with a state that is reused across calls.
//!
//! tract imports ONNX `LSTM` as a `Scan` whose state survives between runs of one
//! `SimpleState` (`reset_every_turn = false`), which would carry one call's LSTM state into
//! the next. Every plan here sets `reset_every_turn`, so reusing a state is exact; a test
//! holds two consecutive calls to identical results.

use crate::artifact::Artifact;
use crate::error::{Error, FileProblem, Result};
use std::collections::HashMap;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::scan::Scan;

/// Beyond this many cached shapes, calls use the symbolic plan: memory stays bounded
/// whatever mix of batch sizes and word lengths arrives.
const MAX_FIXED_PLANS: usize = 256;

type State = TypedSimpleState;

pub struct TractBackend {
    model: InferenceModel,
    symbolic: State,
    fixed: HashMap<(usize, usize), State>,
    dim: usize,
}

impl TractBackend {
    pub fn new(artifact: &Artifact) -> Result<Self> {
        let fail =
            |e: TractError| Error::file(artifact.path(), FileProblem::Tract(format!("{e:#}")));
        let model = tract_onnx::onnx()
            .model_for_proto_model(artifact.proto())
            .map_err(fail)?;
        let symbolic = plan(model.clone()).map_err(fail)?;
        Ok(TractBackend {
            model,
            symbolic,
            fixed: HashMap::new(),
            dim: artifact.manifest().dim,
        })
    }

    /// Embeds `batch` words of `len` characters (`ids` is `[batch, len]`) into `out`.
    pub fn run(&mut self, ids: &[u32], batch: usize, len: usize, out: &mut [f32]) -> Result<()> {
        let fail = |e: TractError| Error::Backend {
            backend: "tract",
            message: format!("{e:#}"),
        };
        // tract takes its input as an owned tensor: that allocation is tract's, not ours.
        let mut input = Tensor::zero::<i64>(&[batch, len]).map_err(fail)?;
        let mut view = input.try_as_plain_ram_mut().map_err(fail)?;
        for (slot, &id) in view
            .as_slice_mut::<i64>()
            .map_err(fail)?
            .iter_mut()
            .zip(ids)
        {
            *slot = id as i64;
        }
        let state = self.state(batch, len).map_err(fail)?;
        let outputs = state.run(tvec!(input.into_tvalue())).map_err(fail)?;
        let vectors = outputs[0].to_plain_array_view::<f32>().map_err(fail)?;
        let need = batch * self.dim;
        if vectors.len() != need {
            return Err(fail(anyhow::anyhow!(
                "graph gave {} values, expected {need}",
                vectors.len()
            )));
        }
        for (o, v) in out[..need].iter_mut().zip(vectors.iter()) {
            *o = *v;
        }
        Ok(())
    }

    fn state(&mut self, batch: usize, len: usize) -> TractResult<&mut State> {
        let key = (batch, len);
        if !self.fixed.contains_key(&key) {
            if self.fixed.len() >= MAX_FIXED_PLANS {
                return Ok(&mut self.symbolic);
            }
            let fact = InferenceFact::dt_shape(i64::datum_type(), tvec!(batch, len));
            let state = plan(self.model.clone().with_input_fact(0, fact)?)?;
            self.fixed.insert(key, state);
        }
        Ok(self.fixed.get_mut(&key).expect("inserted above"))
    }
}

/// An optimised plan of `model` with every LSTM resetting its state at each run.
pub(crate) fn plan(model: InferenceModel) -> TractResult<State> {
    let mut typed = model.into_typed()?;
    for node in typed.nodes_mut() {
        if let Some(scan) = node.op_as_mut::<Scan>() {
            scan.reset_every_turn = true;
        }
    }
    typed.into_optimized()?.into_runnable()?.spawn()
}
