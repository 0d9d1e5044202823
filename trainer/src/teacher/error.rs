//! Errors of teacher reading: each names the file and, where there is one, the line.

use std::path::PathBuf;

/// Where in a teacher file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The file as a whole.
    File,
    /// A 1-based line of a text file.
    Line(usize),
    /// A 1-based row of a word2vec binary file, and the byte offset it starts at.
    Row { row: usize, offset: u64 },
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::File => Ok(()),
            Location::Line(n) => write!(f, ":{n}"),
            Location::Row { row, offset } => write!(f, ": row {row} (byte {offset})"),
        }
    }
}

/// A teacher file that cannot be used, and why.
#[derive(Debug, thiserror::Error)]
#[error("{}{location}: {kind}", path.display())]
pub struct TeacherError {
    pub path: PathBuf,
    pub location: Location,
    pub kind: ErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the file holds no vectors")]
    Empty,
    #[error("empty line")]
    EmptyLine,
    #[error("the line is not valid UTF-8 (at byte {0} of the line)")]
    InvalidUtf8(usize),
    #[error("the word is not valid UTF-8")]
    InvalidUtf8Word,
    #[error("header `{0}` is not `<rows> <dimension>` with both above zero")]
    BadHeader(String),
    #[error("expected {expected} values after the word, found {found}")]
    WrongDimension { expected: usize, found: usize },
    #[error("value {column} (`{text}`) is not a number")]
    NotANumber { column: usize, text: String },
    #[error("value {column} is {value}: vectors must be finite")]
    NotFinite { column: usize, value: f32 },
    #[error("duplicate word `{word}` (first seen at row {first_row})")]
    DuplicateWord { word: String, first_row: usize },
    #[error("the header promises {header} rows but the file has {found}")]
    RowCountMismatch { header: usize, found: usize },
    #[error("the file ends inside a row ({0})")]
    Truncated(&'static str),
    #[error("a word longer than {0} bytes: not a word2vec binary file?")]
    WordTooLong(usize),
    #[error("cache file is unusable: {0}")]
    BadCache(String),
}

impl TeacherError {
    pub fn new(path: impl Into<PathBuf>, location: Location, kind: impl Into<ErrorKind>) -> Self {
        TeacherError {
            path: path.into(),
            location,
            kind: kind.into(),
        }
    }
}
