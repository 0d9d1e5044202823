//! Teacher embedding tables: reading word2vec (text and binary), GloVe and fastText `.vec`
//! files, and a memory-mapped binary cache so a large text table is parsed once.

mod binary;
mod builder;
mod cache;
mod error;
mod holdout;
mod shape;
mod text;

pub use error::{ErrorKind, Location, TeacherError};
pub use holdout::held_out;
pub use shape::TableShape;

use memmap2::Mmap;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Layout of a teacher file.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
pub enum Format {
    /// `.bin` files are word2vec binary, everything else text with the header detected.
    Auto,
    /// GloVe text: `word v1 .. vd`, no header.
    Glove,
    /// word2vec text or fastText `.vec`: a `rows dim` header, then GloVe-like rows.
    Text,
    /// word2vec binary.
    Binary,
}

impl Format {
    fn resolve(self, path: &Path) -> Format {
        match self {
            Format::Auto if path.extension().is_some_and(|e| e == "bin") => Format::Binary,
            Format::Auto | Format::Glove => Format::Text,
            other => other,
        }
    }
}

/// How to load a teacher table.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    pub format: Format,
    /// Keep only the first rows (teacher files are frequency ordered).
    pub max_words: Option<usize>,
    /// Where the binary cache lives; `None` reads the source every time.
    pub cache_dir: Option<PathBuf>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            format: Format::Auto,
            max_words: None,
            cache_dir: default_cache_dir(),
        }
    }
}

/// `$SUBLEX_CACHE_DIR`, else `$XDG_CACHE_HOME/sublex`, else `~/.cache/sublex`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SUBLEX_CACHE_DIR") {
        return (!dir.is_empty()).then(|| PathBuf::from(dir));
    }
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|d| d.join("sublex"))
}

/// Rows as a reader produced them, before they become a [`Teacher`].
pub(crate) struct Table {
    pub words: Vec<String>,
    pub dim: usize,
    pub values: Vec<f32>,
}

impl From<builder::RowBuilder> for Table {
    fn from(b: builder::RowBuilder) -> Self {
        Table {
            words: b.words,
            dim: b.dim,
            values: b.values,
        }
    }
}

enum Storage {
    Owned(Vec<f32>),
    Mapped { map: Mmap, offset: usize },
}

/// A teacher table: words in file order and one `dim`-vector per word.
pub struct Teacher {
    name: String,
    // The cache builds mapped teachers directly.
    words: Vec<String>,
    dim: usize,
    storage: Storage,
}

impl Teacher {
    /// Reads `path` (through the cache when one is configured).
    pub fn load(path: &Path, options: &LoadOptions) -> Result<Teacher, TeacherError> {
        let format = options.format.resolve(path);
        let max_words = options.max_words.unwrap_or(usize::MAX);
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let cache = options
            .cache_dir
            .as_deref()
            .and_then(|dir| cache::CacheKey::new(dir, path, format, max_words).ok());
        if let Some(teacher) = cache.as_ref().and_then(|key| key.load(&name)) {
            return Ok(teacher);
        }
        let table = match format {
            Format::Binary => binary::read(path, max_words)?,
            _ => text::read(path, max_words)?,
        };
        if let Some(key) = &cache {
            if let Err(e) = key.store(&table) {
                log::warn!(
                    "could not write the teacher cache {}: {e}",
                    key.path().display()
                );
            }
        }
        Ok(Teacher::from_parts(
            name,
            table.words,
            table.dim,
            table.values,
        ))
    }

    /// A teacher from memory (tests, made-up tables).
    pub fn from_parts(
        name: impl Into<String>,
        words: Vec<String>,
        dim: usize,
        values: Vec<f32>,
    ) -> Teacher {
        assert_eq!(words.len() * dim, values.len(), "one {dim}-vector per word");
        Teacher {
            name: name.into(),
            words,
            dim,
            storage: Storage::Owned(values),
        }
    }

    /// The file name the table came from.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn words(&self) -> &[String] {
        &self.words
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// All vectors, row-major `[len, dim]`.
    pub fn vectors(&self) -> &[f32] {
        match &self.storage {
            Storage::Owned(v) => v,
            Storage::Mapped { map, offset } => {
                let bytes = &map[*offset..*offset + self.words.len() * self.dim * 4];
                // SAFETY: every bit pattern is a valid f32, and `cache::CacheKey::load` only
                // accepts a map whose data starts 4-byte aligned on a little-endian target.
                let (head, floats, _) = unsafe { bytes.align_to::<f32>() };
                debug_assert!(head.is_empty());
                floats
            }
        }
    }

    /// The vector of row `i`.
    pub fn vector(&self, i: usize) -> &[f32] {
        &self.vectors()[i * self.dim..(i + 1) * self.dim]
    }

    /// Word -> row.
    pub fn index(&self) -> HashMap<&str, usize> {
        self.words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.as_str(), i))
            .collect()
    }
}
