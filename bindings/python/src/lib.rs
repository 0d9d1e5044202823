//! `sublex._sublex`: the runtime's [`Embedder`] and [`Tagger`] for Python. Words go in as a
//! list of `str`, vectors and scores come out as float32 numpy arrays; the GIL is released
//! while the kernel runs; the runtime's errors become `OSError` (a file that cannot be read)
//! or `ValueError` (anything else), with the runtime's message naming the file.

use numpy::{IntoPyArray, PyArray2, PyArrayMethods};
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyPermissionError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use sublex_runtime::{BackendChoice, Error, FileProblem, Manifest, Neighbors};

/// The runtime's error as the Python exception people expect: a file that cannot be read
/// raises `OSError` (`FileNotFoundError`, `PermissionError`), anything else `ValueError`; the
/// message is the runtime's (it names the file) followed by its causes.
fn py_err(e: Error) -> PyErr {
    let mut message = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        message = format!("{message}: {c}");
        cause = c.source();
    }
    match &e {
        Error::File {
            problem: FileProblem::Io(io),
            ..
        } => match io.kind() {
            std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
            std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(message),
            _ => PyOSError::new_err(message),
        },
        _ => PyValueError::new_err(message),
    }
}

/// Runs `f` on `words` as `&str`s with the GIL released (the kernel's work needs no Python).
fn detached<T: Send>(
    py: Python<'_>,
    words: &[String],
    f: impl FnOnce(&[&str]) -> sublex_runtime::Result<T> + Send,
) -> PyResult<T> {
    py.detach(|| {
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        f(&refs)
    })
    .map_err(py_err)
}

fn backend(name: &str) -> PyResult<BackendChoice> {
    name.parse().map_err(PyValueError::new_err)
}

/// `rows x cols` row-major values as a 2-D array, without a copy.
fn matrix(py: Python<'_>, values: Vec<f32>, cols: usize) -> PyResult<Bound<'_, PyArray2<f32>>> {
    let rows = values.len() / cols.max(1);
    values.into_pyarray(py).reshape([rows, cols])
}

/// The manifest as a dict: what `sublex info` prints.
fn info<'py>(py: Python<'py>, m: &Manifest) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("format_version", m.format_version)?;
    d.set_item("kind", m.kind.to_string())?;
    d.set_item("precision", m.precision.to_string())?;
    d.set_item("vocab", m.vocab.chars().iter().collect::<String>())?;
    d.set_item("char_dim", m.char_dim)?;
    d.set_item("hidden", m.hidden)?;
    d.set_item("dim", m.dim)?;
    d.set_item("highway", m.highway)?;
    d.set_item("loss", &m.loss)?;
    d.set_item("teacher", &m.teacher)?;
    if let Some(t) = &m.tagger {
        d.set_item("tags", &t.tags)?;
        d.set_item("word_hidden", t.word_hidden)?;
        d.set_item("mlp", t.mlp)?;
    }
    if let Some(r) = &m.rows {
        d.set_item("stored_rows", r.words.len())?;
        d.set_item("rows_precision", r.precision.to_string())?;
    }
    Ok(d)
}

/// A character model that embeds any word (and, for a hybrid file, returns the stored
/// teacher row of the words it keeps).
#[pyclass(module = "sublex")]
struct Embedder {
    inner: sublex_runtime::Embedder,
}

#[pymethods]
impl Embedder {
    #[new]
    #[pyo3(signature = (path, backend = "auto"))]
    fn new(py: Python<'_>, path: PathBuf, backend: &str) -> PyResult<Self> {
        let choice = self::backend(backend)?;
        let inner = py
            .detach(|| sublex_runtime::Embedder::open(&path, choice))
            .map_err(py_err)?;
        Ok(Embedder { inner })
    }

    /// Vectors of `words`, one row each: a float32 array of shape `(len(words), dim)`.
    fn embed<'py>(
        &mut self,
        py: Python<'py>,
        words: Vec<String>,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let dim = self.inner.dim();
        let mut out = vec![0.0f32; words.len() * dim];
        let inner = &mut self.inner;
        detached(py, &words, |refs| inner.embed_into(refs, &mut out))?;
        matrix(py, out, dim)
    }

    /// The `k` words of `among` nearest to `word` by cosine, best first, with their cosines
    /// (`word` itself left out, as gensim's `most_similar` does).
    #[pyo3(signature = (word, among, k = 10))]
    fn similar(
        &mut self,
        py: Python<'_>,
        word: String,
        among: Vec<String>,
        k: usize,
    ) -> PyResult<Vec<(String, f32)>> {
        let inner = &mut self.inner;
        py.detach(|| {
            let neighbors = Neighbors::new(inner, among)?;
            let best = neighbors.similar(inner, &word, k)?.into_iter();
            Ok(best
                .map(|(i, cos)| (neighbors.words()[i].clone(), cos))
                .collect())
        })
        .map_err(py_err)
    }

    /// Seconds of `calls` back-to-back `embed_into` calls on `words` in Rust alone (the
    /// benchmark's baseline: the same work without Python's part, in the same process).
    fn _rust_seconds(&mut self, py: Python<'_>, words: Vec<String>, calls: usize) -> PyResult<f64> {
        let mut out = vec![0.0f32; words.len() * self.inner.dim()];
        let inner = &mut self.inner;
        detached(py, &words, |refs| {
            let start = std::time::Instant::now();
            for _ in 0..calls {
                inner.embed_into(refs, &mut out)?;
            }
            Ok(start.elapsed().as_secs_f64())
        })
    }

    #[getter]
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    /// Rows the file stores (a hybrid file; 0 for a character model alone).
    #[getter]
    fn stored_rows(&self) -> usize {
        self.inner.stored_rows()
    }

    #[getter]
    fn backend(&self) -> String {
        self.inner.backend_name()
    }

    #[getter]
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        info(py, self.inner.manifest())
    }
}

/// A part-of-speech tagger: one tag per token of a sentence.
#[pyclass(module = "sublex")]
struct Tagger {
    inner: sublex_runtime::Tagger,
}

#[pymethods]
impl Tagger {
    #[new]
    #[pyo3(signature = (path, backend = "auto"))]
    fn new(py: Python<'_>, path: PathBuf, backend: &str) -> PyResult<Self> {
        let choice = self::backend(backend)?;
        let inner = py
            .detach(|| sublex_runtime::Tagger::open(&path, choice))
            .map_err(py_err)?;
        Ok(Tagger { inner })
    }

    /// The best tag of every token.
    fn tag(&mut self, py: Python<'_>, tokens: Vec<String>) -> PyResult<Vec<String>> {
        let mut ids = vec![0; tokens.len()];
        let inner = &mut self.inner;
        detached(py, &tokens, |refs| inner.tag_into(refs, &mut ids))?;
        Ok(ids
            .into_iter()
            .map(|id| self.inner.tag_name(id).to_string())
            .collect())
    }

    /// Tags one sentence of raw text, cut into words as the treebank does (see
    /// `tokenize`): `(word, tag)` pairs.
    fn tag_text(&mut self, py: Python<'_>, text: &str) -> PyResult<Vec<(String, String)>> {
        let words = tokenize(text);
        let tags = self.tag(py, words.clone())?;
        Ok(words.into_iter().zip(tags).collect())
    }

    /// Every tag's score for every token: a float32 array `(len(tokens), len(tags))`.
    fn scores<'py>(
        &mut self,
        py: Python<'py>,
        tokens: Vec<String>,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let tags = self.inner.tags().len();
        let mut out = vec![0.0f32; tokens.len() * tags];
        let inner = &mut self.inner;
        detached(py, &tokens, |refs| inner.scores_into(refs, &mut out))?;
        matrix(py, out, tags)
    }

    /// Tag names; column `i` of `scores` is `tags[i]`.
    #[getter]
    fn tags(&self) -> Vec<String> {
        self.inner.tags().to_vec()
    }

    #[getter]
    fn backend(&self) -> String {
        self.inner.backend_name()
    }

    #[getter]
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        info(py, self.inner.manifest())
    }
}

/// The words of raw text as the taggers' treebank (UD English EWT) cuts them: punctuation
/// apart, `can't` -> `ca` `n't`, URLs and abbreviations whole.
#[pyfunction]
fn tokenize(text: &str) -> Vec<String> {
    sublex_runtime::tokenize::words(text)
        .map(|r| text[r].to_string())
        .collect()
}

#[pymodule]
fn _sublex(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Embedder>()?;
    m.add_class::<Tagger>()?;
    m.add_function(wrap_pyfunction!(tokenize, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
