//! What travels with the graph in the ONNX file's `metadata_props`: everything the runtime
//! needs besides the weights (vocabulary, dimensions, precision), plus provenance and a
//! checksum. Keys are prefixed `sublex.`; any ONNX runtime ignores them.

use super::validate::MAX_DIM;
use super::words::WordList;
use crate::error::FileProblem;
use crate::vocab::CharVocab;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// Bumped whenever the graph layout or a metadata key changes meaning.
pub const FORMAT_VERSION: u32 = 1;

/// What a model file computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Words -> vectors (the character model of the paper's section 4).
    Embedder,
    /// Sentences -> tag scores: the character model, a word-level BiLSTM and an MLP
    /// (paper 5.2).
    Tagger,
}

/// How the large weight matrices are stored in the file. Biases always stay f32.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Precision {
    #[default]
    F32,
    /// IEEE half floats, cast to f32 in the graph.
    F16,
    /// Symmetric int8 with one f32 scale per row (last axis), multiplied back in the graph.
    Int8,
}

/// The model description stored in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    pub format_version: u32,
    pub kind: Kind,
    pub precision: Precision,
    pub vocab: CharVocab,
    /// Character embedding size (the LSTM input).
    pub char_dim: usize,
    /// LSTM state size of each direction.
    pub hidden: usize,
    /// Output vector size.
    pub dim: usize,
    pub highway: bool,
    /// The distance the model was trained under (e.g. `cos`), for people.
    pub loss: String,
    /// The teacher table's file name, for people.
    pub teacher: String,
    /// Present exactly when `kind` is [`Kind::Tagger`].
    pub tagger: Option<TaggerDims>,
    /// A hybrid embedder's stored teacher rows (issue 15): their words and storage.
    pub rows: Option<RowsMeta>,
}

/// The words of a hybrid file's stored rows (row `i` is `words[i]`'s) and how the rows are
/// stored. The runtime returns a stored word's row and the character model's vector for any
/// other word.
#[derive(Clone, Debug, PartialEq)]
pub struct RowsMeta {
    /// Shared: the manifest and every engine opened from it read one list.
    pub words: Arc<WordList>,
    pub precision: RowPrecision,
}

/// How a hybrid file stores its rows: a weight precision, or int4, which only rows take
/// (no graph node reads the rows, so they need no ONNX type that can compute).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RowPrecision {
    F32,
    F16,
    /// Symmetric int8 with one f32 scale per row (the default).
    #[default]
    Int8,
    /// Symmetric 4-bit values in -7..=7, two per byte (even column in the low nibble), with
    /// one f32 scale per row: half int8's bytes, for the budgets where more rows beat finer
    /// ones.
    Int4,
}

impl RowPrecision {
    /// The weight storage that stores these rows too; `None` for int4 (rows only).
    pub fn as_weights(self) -> Option<Precision> {
        match self {
            RowPrecision::F32 => Some(Precision::F32),
            RowPrecision::F16 => Some(Precision::F16),
            RowPrecision::Int8 => Some(Precision::Int8),
            RowPrecision::Int4 => None,
        }
    }

    /// Bytes one row of `dim` values takes in a file, its scale included.
    pub fn row_bytes(self, dim: usize) -> usize {
        match self {
            RowPrecision::F32 => 4 * dim,
            RowPrecision::F16 => 2 * dim,
            RowPrecision::Int8 => dim + 4,
            RowPrecision::Int4 => dim.div_ceil(2) + 4,
        }
    }
}

/// Keys of a hybrid file. Words are joined by newlines (teacher words never hold one).
const ROWS_KEYS: [&str; 2] = ["sublex.rows.words", "sublex.rows.precision"];

/// The most rows a file may store (a teacher's 4M rows at 300 dimensions stay far from any
/// overflow).
pub const MAX_ROWS: usize = 1 << 22;

/// What a tagger adds to the character model.
#[derive(Clone, Debug, PartialEq)]
pub struct TaggerDims {
    /// Tag names; tag id `i` is `tags[i]`.
    pub tags: Vec<String>,
    /// State size of each direction of the word-level LSTM.
    pub word_hidden: usize,
    /// Size of the MLP's hidden layer.
    pub mlp: usize,
}

/// Keys a tagger adds. Tags are joined by newlines (corpus tags never hold one).
const TAGGER_KEYS: [&str; 3] = ["sublex.tags", "sublex.word_hidden", "sublex.mlp"];

const KEYS: [&str; 11] = [
    "sublex.format_version",
    "sublex.kind",
    "sublex.precision",
    "sublex.vocab",
    "sublex.char_dim",
    "sublex.hidden",
    "sublex.dim",
    "sublex.highway",
    "sublex.loss",
    "sublex.teacher",
    CHECKSUM_KEY,
];
pub(crate) const CHECKSUM_KEY: &str = "sublex.checksum";

impl Manifest {
    /// Key/value pairs, checksum excluded (it is computed over these and the graph).
    pub(crate) fn entries(&self) -> Vec<(&'static str, String)> {
        let values = [
            self.format_version.to_string(),
            self.kind.to_string(),
            self.precision.to_string(),
            String::from(self.vocab.clone()),
            self.char_dim.to_string(),
            self.hidden.to_string(),
            self.dim.to_string(),
            self.highway.to_string(),
            self.loss.clone(),
            self.teacher.clone(),
        ];
        let mut entries: Vec<_> = KEYS.iter().copied().zip(values).collect();
        if let Some(t) = &self.tagger {
            let values = [
                t.tags.join("\n"),
                t.word_hidden.to_string(),
                t.mlp.to_string(),
            ];
            entries.extend(TAGGER_KEYS.iter().copied().zip(values));
        }
        if let Some(r) = &self.rows {
            let values = [r.words.joined().to_string(), r.precision.to_string()];
            entries.extend(ROWS_KEYS.iter().copied().zip(values));
        }
        entries
    }

    /// Reads the manifest from metadata entries; `get` returns the value of a key.
    pub(crate) fn parse<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, FileProblem> {
        let field = |i: usize| get(KEYS[i]).ok_or(FileProblem::MissingMetadata(KEYS[i]));
        let format_version: u32 = parse_value(KEYS[0], field(0)?)?;
        if format_version != FORMAT_VERSION {
            return Err(FileProblem::Version {
                found: format_version,
                supported: FORMAT_VERSION,
            });
        }
        let kind = parse_value(KEYS[1], field(1)?)?;
        let tagger = match kind {
            Kind::Embedder => None,
            Kind::Tagger => {
                let field = |i: usize| {
                    get(TAGGER_KEYS[i]).ok_or(FileProblem::MissingMetadata(TAGGER_KEYS[i]))
                };
                let tags: Vec<String> = field(0)?.split('\n').map(str::to_owned).collect();
                let unique: std::collections::HashSet<&String> = tags.iter().collect();
                if tags.iter().any(String::is_empty)
                    || unique.len() != tags.len()
                    || u32::try_from(tags.len()).is_err()
                {
                    return Err(FileProblem::BadMetadata {
                        key: TAGGER_KEYS[0],
                        value: field(0)?.to_string(),
                    });
                }
                Some(TaggerDims {
                    tags,
                    word_hidden: parse_dim(TAGGER_KEYS[1], field(1)?)?,
                    mlp: parse_dim(TAGGER_KEYS[2], field(2)?)?,
                })
            }
        };
        let rows = parse_rows(&get, kind)?;
        Ok(Manifest {
            rows,
            format_version,
            kind,
            precision: parse_value(KEYS[2], field(2)?)?,
            vocab: parse_vocab(field(3)?)?,
            char_dim: parse_dim(KEYS[4], field(4)?)?,
            hidden: parse_dim(KEYS[5], field(5)?)?,
            dim: parse_dim(KEYS[6], field(6)?)?,
            highway: parse_value(KEYS[7], field(7)?)?,
            loss: field(8)?.to_string(),
            teacher: field(9)?.to_string(),
            tagger,
        })
    }
}

/// A hybrid embedder's rows: both keys or neither, distinct non-empty words.
fn parse_rows<'a>(
    get: &impl Fn(&str) -> Option<&'a str>,
    kind: Kind,
) -> Result<Option<RowsMeta>, FileProblem> {
    let (words, precision) = match (get(ROWS_KEYS[0]), get(ROWS_KEYS[1])) {
        (None, None) => return Ok(None),
        (Some(w), Some(p)) => (w, p),
        (None, Some(_)) => return Err(FileProblem::MissingMetadata(ROWS_KEYS[0])),
        (Some(_), None) => return Err(FileProblem::MissingMetadata(ROWS_KEYS[1])),
    };
    let bad = |key: &'static str, value: &str| FileProblem::BadMetadata {
        key,
        value: value.chars().take(200).collect(),
    };
    if kind != Kind::Embedder {
        return Err(bad(ROWS_KEYS[0], words));
    }
    let list = WordList::parse(words).map_err(|e| bad(ROWS_KEYS[0], &format!("{e}: {words}")))?;
    Ok(Some(RowsMeta {
        words: Arc::new(list),
        precision: parse_value(ROWS_KEYS[1], precision)?,
    }))
}

/// A size: 1 to [`MAX_DIM`].
fn parse_dim(key: &'static str, value: &str) -> Result<usize, FileProblem> {
    parse_value(key, value)
        .ok()
        .filter(|d| (1..=MAX_DIM).contains(d))
        .ok_or_else(|| FileProblem::BadMetadata {
            key,
            value: value.to_string(),
        })
}

/// The known characters in id order, each once.
fn parse_vocab(value: &str) -> Result<CharVocab, FileProblem> {
    let vocab = CharVocab::from(value.to_string());
    let each_once = (vocab.chars().iter().enumerate()).all(|(i, &c)| vocab.id(c) as usize == i + 1);
    if !each_once || u32::try_from(vocab.len()).is_err() {
        return Err(FileProblem::BadMetadata {
            key: KEYS[3],
            value: value.to_string(),
        });
    }
    Ok(vocab)
}

fn parse_value<T: FromStr>(key: &'static str, value: &str) -> Result<T, FileProblem> {
    value.parse().map_err(|_| FileProblem::BadMetadata {
        key,
        value: value.to_string(),
    })
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Kind::Embedder => "embedder",
            Kind::Tagger => "tagger",
        })
    }
}

impl FromStr for Kind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "embedder" => Ok(Kind::Embedder),
            "tagger" => Ok(Kind::Tagger),
            _ => Err(()),
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Precision::F32 => "f32",
            Precision::F16 => "f16",
            Precision::Int8 => "int8",
        })
    }
}

impl fmt::Display for RowPrecision {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.as_weights() {
            Some(p) => p.fmt(f),
            None => f.write_str("int4"),
        }
    }
}

impl From<Precision> for RowPrecision {
    fn from(p: Precision) -> Self {
        match p {
            Precision::F32 => RowPrecision::F32,
            Precision::F16 => RowPrecision::F16,
            Precision::Int8 => RowPrecision::Int8,
        }
    }
}

impl FromStr for RowPrecision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "int4" => Ok(RowPrecision::Int4),
            _ => s.parse::<Precision>().map(RowPrecision::from).map_err(|_| {
                format!("unknown row precision {s:?} (expected f32, f16, int8 or int4)")
            }),
        }
    }
}

impl FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "f32" => Ok(Precision::F32),
            "f16" => Ok(Precision::F16),
            "int8" => Ok(Precision::Int8),
            _ => Err(format!(
                "unknown precision {s:?} (expected f32, f16 or int8)"
            )),
        }
    }
}
