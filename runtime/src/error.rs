//! The runtime's errors. Everything about a model file names the file.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {problem}", path.display())]
    File { path: PathBuf, problem: FileProblem },
    #[error("output holds {got} floats; {words} words x {dim} dimensions need {need}")]
    OutputSize {
        words: usize,
        dim: usize,
        need: usize,
        got: usize,
    },
    #[error("{backend} backend failed: {message}")]
    Backend {
        backend: &'static str,
        message: String,
    },
}

/// What is wrong with a model file.
#[derive(Debug, thiserror::Error)]
pub enum FileProblem {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("not an ONNX file (protobuf decoding failed: {0}); truncated or not a model")]
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
    #[error("weight `{name}`: {message}")]
    Weight { name: String, message: String },
    #[error("tract cannot load the graph: {0}")]
    Tract(String),
    #[error("the kernel backend cannot use this model: {0}")]
    Kernel(sublex_kernel::KernelError),
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
