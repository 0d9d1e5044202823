//! The model files that `tests/burn_import.rs` imports into burn with burn-onnx, written by
//! the runtime's own exporter ([`encode_embedder`]) from deterministic weights.
//!
//! The files are committed in `fixtures/` because the build script (burn-onnx's `ModelGen`)
//! needs them before anything of this crate runs, and it cannot call the exporter itself
//! without building tract a second time for the build script. `tests/fixtures.rs` keeps them
//! honest: it compares each file with [`fixture`]'s bytes (and rewrites them when asked to).

use std::path::PathBuf;
use sublex_runtime::artifact::{encode_embedder, Kind, Manifest, FORMAT_VERSION};
use sublex_runtime::reference::synthetic;
use sublex_runtime::{CharVocab, Precision};

/// One committed model file.
#[derive(Clone, Copy, Debug)]
pub struct Fixture {
    /// File stem in `fixtures/`.
    pub name: &'static str,
    pub precision: Precision,
    pub highway: bool,
}

/// Every fixture: each storage precision once, and the highway layer once.
pub const FIXTURES: [Fixture; 3] = [
    Fixture {
        name: "embedder-f32",
        precision: Precision::F32,
        highway: false,
    },
    Fixture {
        name: "embedder-int8-highway",
        precision: Precision::Int8,
        highway: true,
    },
    Fixture {
        name: "embedder-f16",
        precision: Precision::F16,
        highway: false,
    },
];

/// Characters of the fixtures' vocabulary (ids 1.. in this order; 0 is UNK).
pub const VOCAB: &str = "abcdefghijklmnopqrstuvwxyz-'.é";
/// Character embedding size, LSTM state size (each direction) and output size.
pub const CHAR_DIM: usize = 16;
pub const HIDDEN: usize = 16;
pub const DIM: usize = 16;

impl Fixture {
    /// The committed file.
    pub fn path(&self) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(format!("{}.onnx", self.name))
    }

    /// What the exporter writes for this fixture today.
    pub fn bytes(&self) -> Vec<u8> {
        model(self.precision, self.highway)
    }
}

/// The bytes of the fixture named `name` (e.g. `"embedder-f32"`), as the exporter writes them
/// today. Panics on an unknown name.
pub fn fixture(name: &str) -> Vec<u8> {
    FIXTURES
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no fixture named {name:?}"))
        .bytes()
}

fn model(precision: Precision, highway: bool) -> Vec<u8> {
    let vocab = CharVocab::from_chars(VOCAB.chars().collect());
    let (dc, h, d) = (CHAR_DIM, HIDDEN, DIM);
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        kind: Kind::Embedder,
        precision,
        vocab,
        char_dim: dc,
        hidden: h,
        dim: d,
        highway,
        loss: "cos".into(),
        teacher: "random".into(),
        tagger: None,
        rows: None,
    };
    // Same weights for every fixture (the highway layer's are drawn last).
    let weights = synthetic::char_model_weights(&manifest.shapes(), 42);
    weights
        .check(&manifest.shapes())
        .expect("weights match the manifest");
    encode_embedder(&manifest, &weights)
}
