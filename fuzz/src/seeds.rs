//! The files mutations start from: each kind of file at each precision, written by the
//! runtime's own exporter (small shapes with odd sizes, so the kernel's vector tails run and
//! tract plans quickly), and any exported files given on the command line.

use anyhow::{Context, Result};
use std::path::Path;
use sublex_runtime::artifact::onnx::ModelProto;
use sublex_runtime::artifact::{encode_embedder, encode_hybrid, encode_tagger};
use sublex_runtime::artifact::{Artifact, FORMAT_VERSION};
use sublex_runtime::artifact::{Kind, Manifest, RowsMeta, TaggerDims, WordList};
use sublex_runtime::reference::synthetic;
use sublex_runtime::{CharVocab, Precision, RowPrecision};

/// A valid model file to mutate.
#[derive(Clone)]
pub struct Seed {
    pub name: String,
    pub kind: Kind,
    pub model: ModelProto,
}

impl Seed {
    fn new(name: String, bytes: &[u8]) -> Result<Seed> {
        let artifact = Artifact::from_bytes(&name, bytes)?;
        Ok(Seed {
            kind: artifact.manifest().kind,
            model: artifact.proto().clone(),
            name,
        })
    }

    /// An exported model file.
    pub fn read(path: &Path) -> Result<Seed> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Seed::new(path.display().to_string(), &bytes)
    }
}

/// Embedders (f32, f16, int8 with a highway layer, hybrids with int8 and int4 rows) and
/// taggers (f32, f16, int8).
pub fn builtin() -> Vec<Seed> {
    let mut seeds = Vec::new();
    for (precision, highway) in [
        (Precision::F32, false),
        (Precision::F16, false),
        (Precision::Int8, true),
    ] {
        let m = manifest(Kind::Embedder, precision, highway);
        let weights = synthetic::char_model_weights(&m.shapes(), 7);
        let name = format!(
            "embedder-{precision}{}",
            if highway { "-highway" } else { "" }
        );
        seeds.push(Seed::new(name, &encode_embedder(&m, &weights)).expect("a valid seed"));
    }
    // Hybrid embedders: int8 rows beside an f16 character model, int4 rows (odd rows: the
    // padding nibble) beside an int8 one.
    for (precision, rows_precision) in [
        (Precision::F16, RowPrecision::Int8),
        (Precision::Int8, RowPrecision::Int4),
    ] {
        let mut m = manifest(Kind::Embedder, precision, false);
        let weights = synthetic::char_model_weights(&m.shapes(), 7);
        let words = WordList::new(&["the", "of", "and", "zebra", "é"]).expect("distinct words");
        let rows = synthetic::Lcg(7).vec(words.len() * m.dim, 3.0);
        m.rows = Some(RowsMeta {
            words: words.into(),
            precision: rows_precision,
        });
        let bytes = encode_hybrid(&m, &weights, &rows);
        let name = format!("hybrid-{precision}-{rows_precision}rows");
        seeds.push(Seed::new(name, &bytes).expect("a valid seed"));
    }
    for precision in [Precision::F32, Precision::F16, Precision::Int8] {
        let m = manifest(Kind::Tagger, precision, false);
        let shapes = m.tagger_shapes().expect("a tagger manifest");
        let weights = synthetic::tagger_weights(&shapes, 7, 8);
        let name = format!("tagger-{precision}");
        seeds.push(Seed::new(name, &encode_tagger(&m, &weights)).expect("a valid seed"));
    }
    seeds
}

fn manifest(kind: Kind, precision: Precision, highway: bool) -> Manifest {
    Manifest {
        format_version: FORMAT_VERSION,
        kind,
        precision,
        vocab: CharVocab::from_chars("abcdefghijklmnopqrstuvwxyz-'.é".chars().collect()),
        char_dim: 11,
        hidden: 9,
        dim: 13,
        highway,
        loss: "cos".into(),
        teacher: "synthetic".into(),
        tagger: (kind == Kind::Tagger).then(|| TaggerDims {
            tags: ["DT", "NN", "VB", "JJ", "."].map(String::from).to_vec(),
            word_hidden: 7,
            mlp: 6,
        }),
        rows: None,
    }
}
