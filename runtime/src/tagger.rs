//! [`Tagger`]: sentences in, one tag id per word out, into caller-owned memory.
//!
//! Two engines compute the same scores:
//! - `kernel` (the default): the kernel embeds the sentence's words (grouped by length, as
//!   the [`Embedder`] does), then [`SentenceModel`] runs the sentence BiLSTM and the MLP in
//!   plain f32. Nothing is allocated per call once the scratch buffers have grown.
//! - `tract`: tract runs the whole exported graph (see [`crate::artifact::encode_tagger`]
//!   for its inputs), one sentence per run; its inputs are built in reused buffers (tract's
//!   own allocations remain).

use crate::artifact::{Artifact, Kind, Manifest};
use crate::embedder::{BackendChoice, Embedder};
use crate::error::{Error, FileProblem, Result};
use crate::sentence::SentenceModel;
use crate::vocab::{CharVocab, MAX_WORD_CHARS};
use std::path::Path;
use tract_onnx::prelude::*;

/// A tag's index in [`Tagger::tags`].
pub type TagId = u32;

type State = TypedSimpleState;

/// Tags sentences with an exported tagger.
pub struct Tagger {
    manifest: Manifest,
    engine: Engine,
    tags: usize,
    scores: Vec<f32>,
}

enum Engine {
    Kernel {
        chars: Box<Embedder>,
        sentence: Box<SentenceModel>,
        /// The sentence's word vectors, `[words, dim]`.
        vectors: Vec<f32>,
    },
    Tract(Box<TractTagger>),
}

/// tract's plan and its reused inputs.
struct TractTagger {
    state: State,
    /// Character ids per word, forward and reversed, `[words, time]`.
    chars: Vec<i64>,
    reversed: Vec<i64>,
    /// One-hot of each word's last character, `[words, time]`.
    last: Vec<f32>,
}

impl Tagger {
    /// Memory-maps and checks `path`, which must hold a tagger. `Auto` is the kernel.
    pub fn open(path: impl AsRef<Path>, choice: BackendChoice) -> Result<Self> {
        Self::from_artifact(&Artifact::open(path)?, choice)
    }

    pub fn from_artifact(artifact: &Artifact, choice: BackendChoice) -> Result<Self> {
        artifact.expect_kind(Kind::Tagger)?;
        let manifest = artifact.manifest().clone();
        let engine = match choice {
            BackendChoice::Tract => Engine::Tract(Box::new(TractTagger::new(artifact)?)),
            BackendChoice::Kernel | BackendChoice::Auto => {
                let weights = artifact.tagger_weights()?;
                let shapes = manifest.tagger_shapes().expect("a tagger manifest");
                Engine::Kernel {
                    chars: Box::new(Embedder::kernel_for(artifact, &weights.chars)?),
                    sentence: Box::new(SentenceModel::new(&shapes, &weights)),
                    vectors: Vec::new(),
                }
            }
        };
        let tags = manifest.tagger.as_ref().map_or(0, |t| t.tags.len());
        Ok(Tagger {
            manifest,
            engine,
            tags,
            scores: Vec::new(),
        })
    }

    /// `"kernel (avx512)"`, `"tract"`: what computes the scores.
    pub fn backend_name(&self) -> String {
        match &self.engine {
            Engine::Kernel { chars, .. } => chars.backend_name(),
            Engine::Tract(_) => "tract".into(),
        }
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Tag names in id order.
    pub fn tags(&self) -> &[String] {
        self.manifest.tagger.as_ref().map_or(&[], |t| &t.tags)
    }

    /// The name of tag `id`.
    pub fn tag_name(&self, id: TagId) -> &str {
        &self.tags()[id as usize]
    }

    /// Scores `[sentence.len(), tags]` (row-major) of every word of `sentence` into `out`.
    pub fn scores_into(&mut self, sentence: &[&str], out: &mut [f32]) -> Result<()> {
        let need = sentence.len() * self.tags;
        if out.len() != need {
            return Err(Error::OutputSize {
                words: sentence.len(),
                dim: self.tags,
                need,
                got: out.len(),
            });
        }
        if sentence.is_empty() {
            return Ok(());
        }
        self.run(sentence)?;
        out.copy_from_slice(&self.scores);
        Ok(())
    }

    /// The best tag of every word of `sentence` into `out` (`out.len() == sentence.len()`).
    /// Ties go to the lower id.
    pub fn tag_into(&mut self, sentence: &[&str], out: &mut [TagId]) -> Result<()> {
        if out.len() != sentence.len() {
            return Err(Error::OutputSize {
                words: sentence.len(),
                dim: 1,
                need: sentence.len(),
                got: out.len(),
            });
        }
        if sentence.is_empty() {
            return Ok(());
        }
        self.run(sentence)?;
        for (slot, row) in out.iter_mut().zip(self.scores.chunks_exact(self.tags)) {
            *slot = best_tag(row);
        }
        Ok(())
    }

    /// Scores a non-empty sentence into `self.scores`.
    fn run(&mut self, sentence: &[&str]) -> Result<()> {
        self.scores.resize(sentence.len() * self.tags, 0.0);
        match &mut self.engine {
            Engine::Kernel {
                chars,
                sentence: model,
                vectors,
            } => {
                vectors.resize(sentence.len() * chars.dim(), 0.0);
                chars.embed_into(sentence, vectors)?;
                model.scores(vectors, sentence.len(), &mut self.scores);
                Ok(())
            }
            Engine::Tract(t) => t.run(&self.manifest.vocab, sentence, &mut self.scores),
        }
    }
}

impl TractTagger {
    fn new(artifact: &Artifact) -> Result<Self> {
        let fail =
            |e: TractError| Error::file(artifact.path(), FileProblem::Tract(format!("{e:#}")));
        let state = tract_onnx::onnx()
            .model_for_proto_model(artifact.proto())
            .and_then(crate::tract_backend::plan)
            .map_err(fail)?;
        Ok(TractTagger {
            state,
            chars: Vec::new(),
            reversed: Vec::new(),
            last: Vec::new(),
        })
    }

    /// Runs the graph on a non-empty sentence; `out` holds exactly its scores.
    fn run(&mut self, vocab: &CharVocab, sentence: &[&str], out: &mut [f32]) -> Result<()> {
        let fail = |e: TractError| Error::Backend {
            backend: "tract",
            message: format!("{e:#}"),
        };
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
        let outputs = self.state.run(inputs).map_err(fail)?;
        let scores = outputs[0].to_plain_array_view::<f32>().map_err(fail)?;
        if scores.len() != out.len() {
            return Err(fail(anyhow::anyhow!(
                "graph gave {} scores, expected {}",
                scores.len(),
                out.len()
            )));
        }
        for (o, s) in out.iter_mut().zip(scores.iter()) {
            *o = *s;
        }
        Ok(())
    }
}

/// The index of the largest score (the first of equals).
pub fn best_tag(row: &[f32]) -> TagId {
    let mut best = 0;
    for (i, &s) in row.iter().enumerate() {
        if s > row[best] {
            best = i;
        }
    }
    best as TagId
}

fn tensor_from<T: Datum + Copy + tract_onnx::prelude::tract_num_traits::Zero>(
    shape: &[usize],
    data: &[T],
) -> TractResult<Tensor> {
    let mut tensor = Tensor::zero::<T>(shape)?;
    let mut view = tensor.try_as_plain_ram_mut()?;
    view.as_slice_mut::<T>()?.copy_from_slice(data);
    Ok(tensor)
}
