//! The tract backend: runs the exported ONNX graph itself, so it works for any graph the
//! file holds. Speed: one plan per (batch, length) shape with concrete dimensions (10-30%
//! faster than the symbolic plan), each with a state that is reused across calls.
//!
//! tract imports ONNX `LSTM` as a `Scan` whose state survives between runs of one
//! `SimpleState` (`reset_every_turn = false`), which would carry one call's LSTM state into
//! the next. Every plan here sets `reset_every_turn`, so reusing a state is exact; a test
//! holds two consecutive calls to identical results.
//!
//! Both the embedder's ([`TractBackend`]) and the tagger's ([`TractTagger`]) tract paths live
//! here, behind the `tract` feature.

use crate::artifact::Artifact;
use crate::error::{Error, FileProblem, Result};
use crate::vocab::{CharVocab, MAX_WORD_CHARS};
use prost::Message;
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
        let model = load(artifact)?;
        let symbolic = plan(model.clone()).map_err(|e| load_failed(artifact, e))?;
        Ok(TractBackend {
            model,
            symbolic,
            fixed: HashMap::new(),
            dim: artifact.manifest().dim,
        })
    }

    /// Embeds `batch` words of `len` characters (`ids` is `[batch, len]`) into `out`.
    pub fn run(&mut self, ids: &[u32], batch: usize, len: usize, out: &mut [f32]) -> Result<()> {
        let fail = run_failed;
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
        let outputs = guarded(|| state.run(tvec!(input.into_tvalue()))).map_err(fail)?;
        let vectors = outputs[0].to_plain_array_view::<f32>().map_err(fail)?;
        let need = batch * self.dim;
        if vectors.len() != need {
            return Err(fail(TractError::msg(format!(
                "graph gave {} values, expected {need}",
                vectors.len()
            ))));
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
            let model = guarded(|| self.model.clone().with_input_fact(0, fact))?;
            let state = plan(model)?;
            self.fixed.insert(key, state);
        }
        Ok(self.fixed.get_mut(&key).expect("inserted above"))
    }
}

/// The file's graph as a tract model. tract reads the file's bytes (encoded again from the
/// validated message: the runtime's ONNX types are its own, not tract's).
fn load(artifact: &Artifact) -> Result<InferenceModel> {
    let bytes = artifact.proto().encode_to_vec();
    guarded(|| tract_onnx::onnx().model_for_read(&mut &bytes[..]))
        .map_err(|e| load_failed(artifact, e))
}

/// Runs `f`, a call into tract, turning a panic into an error: no model file may crash the
/// program that loads it. The validator admits only the graphs sublex writes, so a panic
/// here is a tract bug to report upstream.
fn guarded<T>(f: impl FnOnce() -> TractResult<T>) -> TractResult<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(TractError::msg(format!("tract panicked: {message}")))
    })
}

fn load_failed(artifact: &Artifact, e: TractError) -> Error {
    Error::file(artifact.path(), FileProblem::Tract(e.into()))
}

fn run_failed(e: TractError) -> Error {
    Error::Backend {
        backend: "tract",
        source: e.into(),
    }
}

/// An optimised plan of `model` with every LSTM resetting its state at each run.
fn plan(model: InferenceModel) -> TractResult<State> {
    guarded(|| {
        let mut typed = model.into_typed()?;
        for node in typed.nodes_mut() {
            if let Some(scan) = node.op_as_mut::<Scan>() {
                scan.reset_every_turn = true;
            }
        }
        typed.into_optimized()?.into_runnable()?.spawn()
    })
}

/// The tagger's tract path: its plan and its reused inputs.
pub(crate) struct TractTagger {
    state: State,
    /// Character ids per word, forward and reversed, `[words, time]`.
    chars: Vec<i64>,
    reversed: Vec<i64>,
    /// One-hot of each word's last character, `[words, time]`.
    last: Vec<f32>,
}

impl TractTagger {
    pub(crate) fn new(artifact: &Artifact) -> Result<Self> {
        let state = plan(load(artifact)?).map_err(|e| load_failed(artifact, e))?;
        Ok(TractTagger {
            state,
            chars: Vec::new(),
            reversed: Vec::new(),
            last: Vec::new(),
        })
    }

    /// Runs the graph on a non-empty sentence; `out` holds exactly its scores.
    pub(crate) fn run(
        &mut self,
        vocab: &CharVocab,
        sentence: &[&str],
        out: &mut [f32],
    ) -> Result<()> {
        let fail = run_failed;
        // At least one time step: a sentence of empty words still runs (all masked out).
        let time = sentence
            .iter()
            .map(|w| CharVocab::encoded_len(w))
            .max()
            .unwrap_or(0)
            .clamp(1, MAX_WORD_CHARS);
        let cells = sentence.len() * time;
        for buffer in [&mut self.chars, &mut self.reversed] {
            buffer.clear();
            buffer.resize(cells, 0);
        }
        self.last.clear();
        self.last.resize(cells, 0.0);
        for (row, word) in sentence.iter().enumerate() {
            let len = CharVocab::encoded_len(word);
            let at = row * time;
            for (i, c) in word.chars().take(len).enumerate() {
                let id = vocab.id(c) as i64;
                self.chars[at + i] = id;
                self.reversed[at + len - 1 - i] = id;
            }
            if len > 0 {
                self.last[at + len - 1] = 1.0;
            }
        }
        let shape = [sentence.len(), time];
        let inputs = tvec!(
            tensor_from(&shape, &self.chars)
                .map_err(fail)?
                .into_tvalue(),
            tensor_from(&shape, &self.reversed)
                .map_err(fail)?
                .into_tvalue(),
            tensor_from(&shape, &self.last).map_err(fail)?.into_tvalue(),
        );
        let outputs = guarded(|| self.state.run(inputs)).map_err(fail)?;
        let scores = outputs[0].to_plain_array_view::<f32>().map_err(fail)?;
        if scores.len() != out.len() {
            return Err(fail(TractError::msg(format!(
                "graph gave {} scores, expected {}",
                scores.len(),
                out.len()
            ))));
        }
        for (o, s) in out.iter_mut().zip(scores.iter()) {
            *o = *s;
        }
        Ok(())
    }
}

fn tensor_from<T: Datum + Copy + tract_num_traits::Zero>(
    shape: &[usize],
    data: &[T],
) -> TractResult<Tensor> {
    let mut tensor = Tensor::zero::<T>(shape)?;
    let mut view = tensor.try_as_plain_ram_mut()?;
    view.as_slice_mut::<T>()?.copy_from_slice(data);
    Ok(tensor)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tract panics on a graph without nodes (`no entry found for key`); the validator keeps
    /// such files from it, and were one to reach it, the boundary turns the panic into an error.
    #[test]
    fn a_panic_inside_tract_becomes_an_error() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/hostile/no-nodes.onnx"
        );
        let bytes = std::fs::read(path).unwrap();
        let result = guarded(|| plan(tract_onnx::onnx().model_for_read(&mut &bytes[..])?));
        let error = result
            .err()
            .expect("tract cannot plan a graph without nodes");
        assert!(error.to_string().contains("tract panicked"), "{error}");
    }
}
