//! What travels with the graph in the ONNX file's `metadata_props`: everything the runtime
//! needs besides the weights (vocabulary, dimensions, precision), plus provenance and a
//! checksum. Keys are prefixed `sublex.`; any ONNX runtime ignores them.

use crate::error::FileProblem;
use crate::vocab::CharVocab;
use std::fmt;
use std::str::FromStr;

/// Bumped whenever the graph layout or a metadata key changes meaning.
pub const FORMAT_VERSION: u32 = 1;

/// What a model file computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Words -> vectors (the character model of the paper's section 4).
    Embedder,
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
}

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
        KEYS.iter().copied().zip(values).collect()
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
        Ok(Manifest {
            format_version,
            kind: parse_value(KEYS[1], field(1)?)?,
            precision: parse_value(KEYS[2], field(2)?)?,
            vocab: CharVocab::from(field(3)?.to_string()),
            char_dim: parse_value(KEYS[4], field(4)?)?,
            hidden: parse_value(KEYS[5], field(5)?)?,
            dim: parse_value(KEYS[6], field(6)?)?,
            highway: parse_value(KEYS[7], field(7)?)?,
            loss: field(8)?.to_string(),
            teacher: field(9)?.to_string(),
        })
    }
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
        })
    }
}

impl FromStr for Kind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "embedder" => Ok(Kind::Embedder),
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
