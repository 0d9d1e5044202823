//! sublex in a web page: the runtime's [`Embedder`](sublex_runtime::Embedder) and
//! [`Tagger`](sublex_runtime::Tagger) behind wasm-bindgen, loading a model from the bytes
//! the page fetched (a browser has no files to map).
//!
//! Each exported method is a thin wrapper over a plain-Rust method returning the runtime's
//! own errors: those also run in native tests, where wasm-bindgen's JS glue (`JsError`)
//! cannot be called. Errors reach JavaScript as `Error` objects carrying the runtime's
//! message (`model: what is wrong`).

use sublex_runtime as rt;
use sublex_runtime::{Artifact, BackendChoice};
use wasm_bindgen::prelude::*;

/// The name model files are given in error messages: a browser's bytes have no path.
const MODEL_NAME: &str = "model";

fn js_error(e: rt::Error) -> JsError {
    JsError::new(&e.to_string())
}

/// Turns any word into a vector with an exported sublex embedder (`.onnx`).
#[wasm_bindgen]
pub struct Embedder {
    inner: rt::Embedder,
}

impl Embedder {
    /// Validates `bytes` as an embedder file and builds the kernel over it.
    pub fn load(bytes: &[u8]) -> rt::Result<Self> {
        let artifact = Artifact::from_bytes(MODEL_NAME, bytes)?;
        let inner = rt::Embedder::from_artifact(&artifact, BackendChoice::Kernel)?;
        Ok(Embedder { inner })
    }

    /// `words` as candidates of [`Embedder::nearest_words`], embedded once.
    pub fn neighbors_among(&mut self, words: Vec<String>) -> rt::Result<Neighbors> {
        let inner = rt::Neighbors::new(&mut self.inner, words)?;
        Ok(Neighbors { inner })
    }

    /// The `k` candidates of `among` closest to `word` by cosine, best first (`word`
    /// itself left out).
    pub fn nearest_words(
        &mut self,
        among: &Neighbors,
        word: &str,
        k: usize,
    ) -> rt::Result<Vec<(String, f32)>> {
        let words = among.inner.words();
        let best = among.inner.similar(&mut self.inner, word, k)?.into_iter();
        Ok(best.map(|(i, cos)| (words[i].clone(), cos)).collect())
    }

    /// The vectors of `words`, row-major `[words.len(), dim]`.
    pub fn embed_words<S: AsRef<str>>(&mut self, words: &[S]) -> rt::Result<Vec<f32>> {
        let words: Vec<&str> = words.iter().map(AsRef::as_ref).collect();
        let mut out = vec![0.0; words.len() * self.inner.dim()];
        self.inner.embed_into(&words, &mut out)?;
        Ok(out)
    }
}

#[wasm_bindgen]
impl Embedder {
    /// `Embedder.fromBytes(new Uint8Array(await (await fetch(url)).arrayBuffer()))`.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> Result<Embedder, JsError> {
        Self::load(bytes).map_err(js_error)
    }

    /// The vectors of `words` as one `Float32Array`, row-major `[words.length, dim]`.
    pub fn embed(&mut self, words: Vec<String>) -> Result<Vec<f32>, JsError> {
        self.embed_words(&words).map_err(js_error)
    }

    /// `words` as the candidates of [`Embedder::nearest`], embedded once, here.
    pub fn neighbors(&mut self, words: Vec<String>) -> Result<Neighbors, JsError> {
        self.neighbors_among(words).map_err(js_error)
    }

    /// The `k` words of `among` nearest to `word` by cosine, best first (`word` itself
    /// left out).
    pub fn nearest(&mut self, among: &Neighbors, word: &str, k: usize) -> Result<Ranked, JsError> {
        let best = self.nearest_words(among, word, k).map_err(js_error)?;
        let (words, cosines) = best.into_iter().unzip();
        Ok(Ranked { words, cosines })
    }

    /// Length of each vector.
    pub fn dim(&self) -> usize {
        self.inner.dim()
    }

    /// What computes the vectors, e.g. `kernel (scalar)`.
    pub fn backend(&self) -> String {
        self.inner.backend_name()
    }

    /// Words whose rows the file stores (a hybrid file), 0 for a character model alone.
    #[wasm_bindgen(js_name = storedRows)]
    pub fn stored_rows(&self) -> usize {
        self.inner.stored_rows()
    }
}

/// Candidate words of [`Embedder::nearest`] and their unit-length vectors, made by
/// [`Embedder::neighbors`] (the same embedder must rank with them).
#[wasm_bindgen]
pub struct Neighbors {
    inner: rt::Neighbors,
}

/// What [`Embedder::nearest`] found: `words[i]` has cosine `cosines[i]`, best first.
#[wasm_bindgen(getter_with_clone)]
pub struct Ranked {
    pub words: Vec<String>,
    pub cosines: Vec<f32>,
}

/// Tags sentences with an exported sublex tagger (`.onnx`).
#[wasm_bindgen]
pub struct Tagger {
    inner: rt::Tagger,
    ids: Vec<rt::TagId>,
}

impl Tagger {
    /// Validates `bytes` as a tagger file and builds the kernel and sentence model over it.
    pub fn load(bytes: &[u8]) -> rt::Result<Self> {
        let artifact = Artifact::from_bytes(MODEL_NAME, bytes)?;
        let inner = rt::Tagger::from_artifact(&artifact, BackendChoice::Kernel)?;
        Ok(Tagger {
            inner,
            ids: Vec::new(),
        })
    }

    /// The tag of each token of `tokens` (one sentence).
    pub fn tag_tokens<S: AsRef<str>>(&mut self, tokens: &[S]) -> rt::Result<Vec<String>> {
        let tokens: Vec<&str> = tokens.iter().map(AsRef::as_ref).collect();
        self.ids.resize(tokens.len(), 0);
        self.inner.tag_into(&tokens, &mut self.ids)?;
        let names = self
            .ids
            .iter()
            .map(|&id| self.inner.tag_name(id).to_string());
        Ok(names.collect())
    }

    /// The score of every tag for every token, row-major `[tokens.len(), tags]`.
    pub fn score_tokens<S: AsRef<str>>(&mut self, tokens: &[S]) -> rt::Result<Vec<f32>> {
        let tokens: Vec<&str> = tokens.iter().map(AsRef::as_ref).collect();
        let mut out = vec![0.0; tokens.len() * self.inner.tags().len()];
        self.inner.scores_into(&tokens, &mut out)?;
        Ok(out)
    }
}

#[wasm_bindgen]
impl Tagger {
    /// `Tagger.fromBytes(bytes)`: see [`Embedder::from_bytes`].
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> Result<Tagger, JsError> {
        Self::load(bytes).map_err(js_error)
    }

    /// The tag of each token of one sentence (already split into tokens).
    pub fn tag(&mut self, tokens: Vec<String>) -> Result<Vec<String>, JsError> {
        self.tag_tokens(&tokens).map_err(js_error)
    }

    /// The tag of each word of one sentence of raw text, the words being
    /// [`tokenize`]`(text)`'s.
    #[wasm_bindgen(js_name = tagText)]
    pub fn tag_text(&mut self, text: &str) -> Result<Vec<String>, JsError> {
        self.tag_tokens(&tokenize(text)).map_err(js_error)
    }

    /// Every tag's score for every token, one `Float32Array` `[tokens.length, tags]` in
    /// the order of [`Tagger::tags`]; the tag is the highest (the first of equals).
    pub fn scores(&mut self, tokens: Vec<String>) -> Result<Vec<f32>, JsError> {
        self.score_tokens(&tokens).map_err(js_error)
    }

    /// The tag set, in the order of the model's scores.
    pub fn tags(&self) -> Vec<String> {
        self.inner.tags().to_vec()
    }
}

/// The words of raw text as the taggers' treebank (UD English EWT) cuts them: punctuation
/// apart, `can't` -> `ca` `n't`, URLs and abbreviations whole.
#[wasm_bindgen]
pub fn tokenize(text: &str) -> Vec<String> {
    rt::tokenize::words(text)
        .map(|r| text[r].to_string())
        .collect()
}
