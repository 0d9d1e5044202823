//! [`Embedder`]: words in, vectors out, into caller-owned memory.
//!
//! A call groups its words by character count (counting sort, no allocation once the scratch
//! buffers have grown to the call's size), runs each group in chunks of equal-length words
//! (no padding, so a word's vector never depends on its neighbours) and scatters the rows
//! back into the caller's order.

use crate::artifact::{Artifact, CharModelWeights, Kind, Manifest, Shapes};
use crate::error::{Error, Result};
use crate::kernel_backend::KernelBackend;
use crate::rows::StoredRows;
#[cfg(feature = "tract")]
use crate::tract_backend::TractBackend;
use crate::vocab::MAX_WORD_CHARS;
use std::path::Path;
use std::str::FromStr;
use sublex_kernel::Isa;

/// Largest number of words run at once; bounds scratch memory and tract's plan shapes.
const CHUNK: usize = 256;

/// Which engine computes the vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BackendChoice {
    /// The kernel when the model is an architecture it implements, tract otherwise.
    #[default]
    Auto,
    Tract,
    Kernel,
}

impl FromStr for BackendChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(BackendChoice::Auto),
            "tract" => Ok(BackendChoice::Tract),
            "kernel" => Ok(BackendChoice::Kernel),
            _ => Err(format!(
                "unknown backend {s:?} (expected auto, tract or kernel)"
            )),
        }
    }
}

enum Backend {
    #[cfg(feature = "tract")]
    Tract(TractBackend),
    Kernel(KernelBackend),
}

/// The "length" of a word whose row the file stores (hybrid files): it sorts after every
/// real length and is served from the rows, not by the character model.
const STORED: usize = MAX_WORD_CHARS + 1;

/// Scratch reused across calls; it grows to the largest call seen and stays.
struct Scratch {
    /// Characters per word (after truncation to [`MAX_WORD_CHARS`]), or [`STORED`].
    lens: Vec<u8>,
    /// Each word's stored row (hybrid files; `u32::MAX`: none).
    rows: Vec<u32>,
    /// Word indices sorted by length.
    order: Vec<u32>,
    /// Start of each length's run in `order`.
    starts: [usize; STORED + 2],
    ids: Vec<u32>,
    vectors: Vec<f32>,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch {
            lens: Vec::new(),
            rows: Vec::new(),
            order: Vec::new(),
            starts: [0; STORED + 2],
            ids: Vec::new(),
            vectors: Vec::new(),
        }
    }
}

/// Embeds words with an exported character model.
pub struct Embedder {
    manifest: Manifest,
    backend: Backend,
    /// The empty word's vector: both LSTMs stay in their zero state, so only the bias and
    /// the highway layer act. Computed once; no engine runs zero-length sequences.
    empty: Vec<f32>,
    /// A hybrid file's stored rows.
    rows: Option<StoredRows>,
    scratch: Scratch,
}

impl Embedder {
    /// Opens an embedder file (memory-mapped, validated).
    pub fn open(path: impl AsRef<Path>, choice: BackendChoice) -> Result<Self> {
        Self::from_artifact(&Artifact::open(path)?, choice)
    }

    pub fn from_artifact(artifact: &Artifact, choice: BackendChoice) -> Result<Self> {
        artifact.expect_kind(Kind::Embedder)?;
        let weights = artifact.weights()?;
        let kernel = || KernelBackend::new(artifact, &weights).map(Backend::Kernel);
        let backend = match choice {
            BackendChoice::Kernel => kernel()?,
            // Every embedder sublex writes is the kernel's architecture; `Auto` only falls
            // back to tract when the kernel rejects the file (and tract is built in).
            #[cfg(feature = "tract")]
            BackendChoice::Auto => {
                kernel().or_else(|_| TractBackend::new(artifact).map(Backend::Tract))?
            }
            #[cfg(not(feature = "tract"))]
            BackendChoice::Auto => kernel()?,
            #[cfg(feature = "tract")]
            BackendChoice::Tract => Backend::Tract(TractBackend::new(artifact)?),
            #[cfg(not(feature = "tract"))]
            BackendChoice::Tract => return Err(Error::Unavailable { backend: "tract" }),
        };
        let mut embedder = Self::with_backend(artifact, backend, &weights);
        embedder.rows = StoredRows::from_artifact(artifact)?;
        Ok(embedder)
    }

    /// The kernel over the character model of any kind of file (a tagger's first half).
    pub(crate) fn kernel_for(artifact: &Artifact, weights: &CharModelWeights) -> Result<Self> {
        let backend = Backend::Kernel(KernelBackend::new(artifact, weights)?);
        Ok(Self::with_backend(artifact, backend, weights))
    }

    fn with_backend(artifact: &Artifact, backend: Backend, weights: &CharModelWeights) -> Self {
        Embedder {
            manifest: artifact.manifest().clone(),
            backend,
            empty: empty_word_vector(&artifact.manifest().shapes(), weights),
            rows: None,
            scratch: Scratch::default(),
        }
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Output dimension.
    pub fn dim(&self) -> usize {
        self.manifest.dim
    }

    /// `"kernel (avx2+fma)"`, `"tract"`: what computes the vectors.
    pub fn backend_name(&self) -> String {
        match &self.backend {
            #[cfg(feature = "tract")]
            Backend::Tract(_) => "tract".into(),
            Backend::Kernel(k) => format!("kernel ({})", k.isa().name()),
        }
    }

    /// Runs the kernel on `isa` from now on, e.g. to time each of a CPU's paths (`sublex
    /// bench`); an ISA this CPU lacks, or the tract backend, is an error.
    pub fn set_isa(&mut self, isa: Isa) -> Result<()> {
        match &mut self.backend {
            #[cfg(feature = "tract")]
            Backend::Tract(_) => Err(Error::no_isa_in_tract()),
            Backend::Kernel(k) => k.set_isa(isa),
        }
    }

    /// Rows a hybrid file stores (0 for a character model alone).
    pub fn stored_rows(&self) -> usize {
        self.rows.as_ref().map_or(0, StoredRows::len)
    }

    /// Heap bytes of the stored rows, their words and index.
    pub fn stored_rows_bytes(&self) -> usize {
        self.rows.as_ref().map_or(0, StoredRows::heap_bytes)
    }

    /// Writes the vector of `words[i]` to `out[i * dim..(i + 1) * dim]`: a hybrid file's
    /// stored row for a word it stores (exact match), the character model's vector for any
    /// other. Unknown characters read as UNK; words longer than [`MAX_WORD_CHARS`]
    /// characters keep their first ones.
    pub fn embed_into(&mut self, words: &[&str], out: &mut [f32]) -> Result<()> {
        let dim = self.dim();
        let need = words.len() * dim;
        if out.len() < need {
            return Err(Error::OutputSize {
                words: words.len(),
                dim,
                need,
                got: out.len(),
            });
        }
        self.sort_by_length(words);
        for len in 0..=MAX_WORD_CHARS {
            let (start, end) = (self.scratch.starts[len], self.scratch.starts[len + 1]);
            for chunk_start in (start..end).step_by(CHUNK) {
                let chunk_end = (chunk_start + CHUNK).min(end);
                self.embed_group(words, chunk_start..chunk_end, len, out)?;
            }
        }
        if let Some(rows) = &self.rows {
            let s = &self.scratch;
            for &i in &s.order[s.starts[STORED]..s.starts[STORED + 1]] {
                rows.write(s.rows[i as usize] as usize, &mut out[i as usize * dim..]);
            }
        }
        Ok(())
    }

    /// Counting sort of word indices by encoded length into `scratch.order`.
    fn sort_by_length(&mut self, words: &[&str]) {
        let s = &mut self.scratch;
        s.lens.clear();
        s.rows.clear();
        for w in words {
            let row = self.rows.as_ref().and_then(|r| r.find(w));
            s.rows.push(row.map_or(u32::MAX, |r| r as u32));
            let len = match row {
                Some(_) => STORED,
                None => w.chars().take(MAX_WORD_CHARS).count(),
            };
            s.lens.push(len as u8);
        }
        s.starts = [0; STORED + 2];
        for &len in &s.lens {
            s.starts[len as usize + 1] += 1;
        }
        for len in 1..s.starts.len() {
            s.starts[len] += s.starts[len - 1];
        }
        let mut next = s.starts;
        s.order.clear();
        s.order.resize(words.len(), 0);
        for (i, &len) in s.lens.iter().enumerate() {
            s.order[next[len as usize]] = i as u32;
            next[len as usize] += 1;
        }
    }

    /// Embeds the words `scratch.order[range]`, all `len` characters long.
    fn embed_group(
        &mut self,
        words: &[&str],
        range: std::ops::Range<usize>,
        len: usize,
        out: &mut [f32],
    ) -> Result<()> {
        let dim = self.dim();
        let s = &mut self.scratch;
        let batch = range.len();
        if len == 0 {
            for &i in &s.order[range] {
                out[i as usize * dim..][..dim].copy_from_slice(&self.empty);
            }
            return Ok(());
        }
        s.ids.clear();
        for &i in &s.order[range.clone()] {
            self.manifest
                .vocab
                .encode_into(words[i as usize], &mut s.ids);
        }
        s.vectors.resize(batch * dim, 0.0);
        match &mut self.backend {
            #[cfg(feature = "tract")]
            Backend::Tract(t) => t.run(&s.ids, batch, len, &mut s.vectors)?,
            Backend::Kernel(k) => k.run(&s.ids, batch, len, &mut s.vectors)?,
        }
        for (row, &i) in s.order[range].iter().enumerate() {
            out[i as usize * dim..][..dim].copy_from_slice(&s.vectors[row * dim..][..dim]);
        }
        Ok(())
    }
}

/// `relu(b)`, then the highway layer (eq. 3) with `z = b`.
fn empty_word_vector(shapes: &Shapes, w: &CharModelWeights) -> Vec<f32> {
    let z = &w.proj_bias;
    let h: Vec<f32> = z.iter().map(|x| x.max(0.0)).collect();
    let Some((weight, bias)) = &w.highway else {
        return h;
    };
    (0..shapes.dim)
        .map(|j| {
            let pre = bias[j]
                + (0..shapes.dim)
                    .map(|k| h[k] * weight[k * shapes.dim + j])
                    .sum::<f32>();
            let t = 1.0 / (1.0 + (-pre).exp());
            t * h[j] + (1.0 - t) * z[j]
        })
        .collect()
}
