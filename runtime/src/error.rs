//! The runtime's errors. Everything about a model file names the file; errors from the
//! engines below (tract, the kernel) stay attached as sources.

use std::path::PathBuf;

/// An error from an engine the runtime drives (tract's are `anyhow` errors).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug)]
pub enum Error {
    /// A model file is unusable. Displays as `path: problem`; the problem's own cause (an
    /// I/O or decoding error, tract's message) is this error's source.
    File {
        path: PathBuf,
        problem: FileProblem,
    },
    OutputSize {
        words: usize,
        dim: usize,
        need: usize,
        got: usize,
    },
    Backend {
        backend: &'static str,
        source: BoxError,
    },
    Unavailable {
        backend: &'static str,
    },
}

impl Error {
    /// Choosing a kernel instruction set of a model tract runs (`set_isa`).
    #[cfg(feature = "tract")]
    pub(crate) fn no_isa_in_tract() -> Self {
        Error::Backend {
            backend: "tract",
            source: "tract has no kernel instruction set to choose".into(),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::File { path, problem } => write!(f, "{}: {problem}", path.display()),
            Error::OutputSize {
                words,
                dim,
                need,
                got,
            } => write!(
                f,
                "output holds {got} floats; {words} words x {dim} dimensions need {need}"
            ),
            Error::Backend { backend, .. } => write!(f, "the {backend} backend failed"),
            Error::Unavailable { backend } => write!(
                f,
                "the {backend} backend is not in this build (sublex-runtime's `{backend}` feature)"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // The problem is already in this error's message: its cause comes next.
            Error::File { problem, .. } => problem.source(),
            Error::Backend { source, .. } => Some(source.as_ref()),
            Error::OutputSize { .. } | Error::Unavailable { .. } => None,
        }
    }
}

/// What is wrong with a model file.
#[derive(Debug, thiserror::Error)]
pub enum FileProblem {
    #[error("cannot read")]
    Io(#[from] std::io::Error),
    #[error("not an ONNX file (protobuf decoding failed); truncated or not a model")]
    Decode(#[from] prost::DecodeError),
    #[error("not a sublex model: no `{0}` entry in the ONNX metadata")]
    MissingMetadata(&'static str),
    #[error("metadata `{key}` has an invalid value {value:?}")]
    BadMetadata { key: &'static str, value: String },
    #[error("sublex format version {found}; this runtime reads version {supported}")]
    Version { found: u32, supported: u32 },
    #[error("this is a model of kind `{found}`, but kind `{expected}` was asked for")]
    Kind { found: String, expected: String },
    #[error("checksum mismatch (file says {stored:08x}, contents give {actual:08x}): the file is corrupt")]
    Checksum { stored: u32, actual: u32 },
    #[error("metadata key `{0}` appears more than once")]
    DuplicateMetadata(String),
    #[error("holds fields or encodings no sublex writer produces (its bytes are not the canonical encoding of its contents)")]
    Encoding,
    #[error("the manifest declares {declared} weights; a file of {bytes} bytes cannot hold them")]
    TooSmall { declared: u64, bytes: usize },
    #[error("not the model this format version writes for its manifest: {0}")]
    Graph(String),
    #[error(transparent)]
    Weight(#[from] WeightError),
    #[error("tract cannot load the graph")]
    Tract(#[source] BoxError),
    #[error("the kernel backend cannot use this model")]
    Kernel(#[source] sublex_kernel::KernelError),
}

/// One weight that is not what the manifest describes.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("weight `{name}`: {problem}")]
pub struct WeightError {
    pub name: String,
    pub problem: WeightProblem,
}

/// What is wrong with one weight.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WeightProblem {
    #[error("missing from the graph's initializers")]
    Missing,
    #[error("`{tensor}` has data type {found}, expected {expected:?}")]
    DataType {
        tensor: String,
        found: i32,
        expected: crate::artifact::onnx::DataType,
    },
    #[error("`{tensor}` has shape {found:?}, the manifest says {expected:?}")]
    Shape {
        tensor: String,
        found: Vec<i64>,
        expected: Vec<usize>,
    },
    #[error("`{tensor}` holds {found} bytes, its shape needs {need}")]
    Bytes {
        tensor: String,
        found: usize,
        need: usize,
    },
    #[error("value {value} at index {index} is not finite or beyond ±{bound}, which no trained model reaches")]
    Value {
        index: usize,
        value: f32,
        bound: f32,
    },
    #[error("`{tensor}` row {row}: the unused nibble after an odd row's last value is not 0")]
    Padding { tensor: String, row: usize },
    #[error("highway layer present: {found}, expected: {expected}")]
    Highway { found: bool, expected: bool },
    #[error("{found} values, shape {dims:?} needs {need}")]
    Length {
        found: usize,
        dims: Vec<usize>,
        need: usize,
    },
}

impl Error {
    pub(crate) fn file(path: impl Into<PathBuf>, problem: impl Into<FileProblem>) -> Self {
        Error::File {
            path: path.into(),
            problem: problem.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
