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
use crate::error::{Error, Result};
use crate::sentence::SentenceModel;
#[cfg(feature = "tract")]
use crate::tract_backend::TractTagger;
use std::path::Path;
use sublex_kernel::Isa;

/// A tag's index in [`Tagger::tags`].
pub type TagId = u32;

/// Tags sentences with an exported tagger.
pub struct Tagger {
    manifest: Manifest,
    backend: Backend,
    tags: usize,
    scores: Vec<f32>,
}

enum Backend {
    Kernel {
        chars: Box<Embedder>,
        sentence: Box<SentenceModel>,
        /// The sentence's word vectors, `[words, dim]`.
        vectors: Vec<f32>,
    },
    #[cfg(feature = "tract")]
    Tract(Box<TractTagger>),
}

impl Tagger {
    /// Memory-maps and checks `path`, which must hold a tagger. `Auto` is the kernel.
    pub fn open(path: impl AsRef<Path>, choice: BackendChoice) -> Result<Self> {
        Self::from_artifact(&Artifact::open(path)?, choice)
    }

    pub fn from_artifact(artifact: &Artifact, choice: BackendChoice) -> Result<Self> {
        artifact.expect_kind(Kind::Tagger)?;
        let manifest = artifact.manifest().clone();
        let backend = match choice {
            #[cfg(feature = "tract")]
            BackendChoice::Tract => Backend::Tract(Box::new(TractTagger::new(artifact)?)),
            #[cfg(not(feature = "tract"))]
            BackendChoice::Tract => return Err(Error::Unavailable { backend: "tract" }),
            BackendChoice::Kernel | BackendChoice::Auto => {
                let weights = artifact.tagger_weights()?;
                let shapes = manifest.tagger_shapes().expect("a tagger manifest");
                Backend::Kernel {
                    chars: Box::new(Embedder::kernel_for(artifact, &weights.chars)?),
                    sentence: Box::new(SentenceModel::new(&shapes, &weights)),
                    vectors: Vec::new(),
                }
            }
        };
        let tags = manifest.tagger.as_ref().map_or(0, |t| t.tags.len());
        Ok(Tagger {
            manifest,
            backend,
            tags,
            scores: Vec::new(),
        })
    }

    /// Runs the character kernel on `isa` from now on: see [`Embedder::set_isa`].
    pub fn set_isa(&mut self, isa: Isa) -> Result<()> {
        match &mut self.backend {
            Backend::Kernel { chars, .. } => chars.set_isa(isa),
            #[cfg(feature = "tract")]
            Backend::Tract(_) => Err(Error::no_isa_in_tract()),
        }
    }

    /// `"kernel (avx512)"`, `"tract"`: what computes the scores.
    pub fn backend_name(&self) -> String {
        match &self.backend {
            Backend::Kernel { chars, .. } => chars.backend_name(),
            #[cfg(feature = "tract")]
            Backend::Tract(_) => "tract".into(),
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
        match &mut self.backend {
            Backend::Kernel {
                chars,
                sentence: model,
                vectors,
            } => {
                vectors.resize(sentence.len() * chars.dim(), 0.0);
                chars.embed_into(sentence, vectors)?;
                model.scores(vectors, sentence.len(), &mut self.scores);
                Ok(())
            }
            #[cfg(feature = "tract")]
            Backend::Tract(t) => t.run(&self.manifest.vocab, sentence, &mut self.scores),
        }
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
