//! The browser tests' fixtures (`tests/fixtures/`), written and checked natively: two small
//! model files with synthetic weights and what the native runtime computes from them.
//!
//! The files are committed so that the wasm tests need no generator; this test proves they
//! are still what the runtime writes and computes. `SUBLEX_BLESS=1` (or a missing file)
//! rewrites them.
#![cfg(not(target_family = "wasm"))]

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use sublex_runtime::artifact::{
    encode_embedder, encode_tagger, Kind, Manifest, TaggerDims, FORMAT_VERSION,
};
use sublex_runtime::parity::{isa_tolerance, max_abs_diff};
use sublex_runtime::reference::synthetic;
use sublex_runtime::{CharVocab, Precision};
use sublex_wasm::{Embedder, Tagger};

/// Words of every kind the kernel treats differently: empty, unknown characters, one
/// character, long (beyond 64 characters: truncated), mixed lengths in one call.
fn words() -> Vec<String> {
    let long = "pneumono".repeat(10);
    [
        "hello",
        "wrld",
        "",
        "a",
        "co-operate",
        "日本語",
        "Zürich",
        "x7",
        "sublexical",
    ]
    .iter()
    .map(|w| w.to_string())
    .chain([long])
    .collect()
}

fn sentence() -> Vec<String> {
    "the quick brown fox jumps over the lazy dog ."
        .split(' ')
        .map(String::from)
        .collect()
}

/// Deliberately odd sizes, none a multiple of a SIMD width, so that every path's tail
/// code runs; small enough to commit (a few tens of KB).
fn manifest(kind: Kind, precision: Precision) -> Manifest {
    Manifest {
        format_version: FORMAT_VERSION,
        kind,
        precision,
        vocab: CharVocab::build(["abcdefghijklmnopqrstuvwxyz-'.0123456789"], 1),
        char_dim: 13,
        hidden: 22,
        dim: 19,
        highway: true,
        loss: "cos".into(),
        teacher: "synthetic".into(),
        tagger: None,
        rows: None,
    }
}

fn embedder_file() -> Vec<u8> {
    embedder_file_at(Precision::F32)
}

/// The embedder's weights stored at `precision` (int8: the Cortex-M4 firmware's check,
/// `scripts/firmware-test.sh`, runs the kernel's int8 path on it).
fn embedder_file_at(precision: Precision) -> Vec<u8> {
    let m = manifest(Kind::Embedder, precision);
    encode_embedder(&m, &synthetic::char_model_weights(&m.shapes(), 42))
}

/// A seed whose random tagger gives the sentence several different tags (most give one).
const TAGGER_SEED: u64 = 39;

fn tagger_file() -> Vec<u8> {
    tagger_file_seeded(TAGGER_SEED)
}

fn tagger_file_seeded(seed: u64) -> Vec<u8> {
    let mut m = manifest(Kind::Tagger, Precision::Int8);
    let tags = ["DT", "JJ", "NN", "VBZ", "IN", "."];
    m.tagger = Some(TaggerDims {
        tags: tags.iter().map(|t| t.to_string()).collect(),
        word_hidden: 11,
        mlp: 9,
    });
    let weights = synthetic::tagger_weights(&m.tagger_shapes().unwrap(), 42, seed);
    encode_tagger(&m, &weights)
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn bless() -> bool {
    std::env::var_os("SUBLEX_BLESS").is_some_and(|v| v == "1")
}

/// Writes `bytes` to `name` when blessing or missing; else asserts the file holds them.
fn check_file(name: &str, bytes: &[u8]) {
    let path = dir().join(name);
    if bless() || !path.exists() {
        std::fs::create_dir_all(dir()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        return;
    }
    let stored = std::fs::read(&path).unwrap();
    assert!(
        stored == bytes,
        "{}: stale; rerun with SUBLEX_BLESS=1",
        path.display()
    );
}

/// The query of the neighbour fixture: one of the candidates (so it must be left out).
const QUERY: &str = "sublexical";

fn expected() -> Value {
    let mut embedder = Embedder::load(&embedder_file()).unwrap();
    let mut tagger = Tagger::load(&tagger_file()).unwrap();
    let among = embedder.neighbors_among(words()).unwrap();
    let nearest = embedder.nearest_words(&among, QUERY, 4).unwrap();
    let (nearest, cosines): (Vec<String>, Vec<f32>) = nearest.into_iter().unzip();
    json!({
        "computed_by": embedder.backend(),
        "dim": embedder.dim(),
        "words": words(),
        "vectors": embedder.embed_words(&words()).unwrap(),
        "sentence": sentence(),
        "tags": tagger.tag_tokens(&sentence()).unwrap(),
        "scores": tagger.score_tokens(&sentence()).unwrap(),
        "query": QUERY,
        "nearest": nearest,
        "cosines": cosines,
    })
}

#[test]
fn fixtures_are_what_the_native_runtime_writes_and_computes() {
    check_file("embedder.onnx", &embedder_file());
    check_file("embedder-int8.onnx", &embedder_file_at(Precision::Int8));
    check_file("tagger.onnx", &tagger_file());
    let now = expected();
    let path = dir().join("expected.json");
    if bless() || !path.exists() {
        let text = serde_json::to_string_pretty(&now).unwrap();
        std::fs::write(&path, text + "\n").unwrap();
        return;
    }
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let nearest = now["nearest"].as_array().unwrap();
    assert_eq!(nearest.len(), 4);
    assert!(
        !nearest.contains(&json!(QUERY)),
        "the query word is left out"
    );
    for key in ["dim", "words", "sentence", "tags", "query", "nearest"] {
        assert_eq!(stored[key], now[key], "{key}: rerun with SUBLEX_BLESS=1");
    }
    // Another ISA than the one that wrote the file may differ in the last bits (the tagger
    // fixture is int8: more than the last bits).
    for (key, precision) in [
        ("vectors", Precision::F32),
        ("scores", Precision::Int8),
        ("cosines", Precision::F32),
    ] {
        let floats = |v: &Value| -> Vec<f32> { serde_json::from_value(v[key].clone()).unwrap() };
        let (a, b) = (floats(&stored), floats(&now));
        let largest = a.iter().fold(0f32, |m, x| m.max(x.abs()));
        assert!(
            max_abs_diff(&a, &b) <= isa_tolerance(precision, largest),
            "{key}"
        );
    }
}

#[test]
fn errors_carry_the_runtimes_message() {
    let bytes = embedder_file();
    let Err(e) = Embedder::load(&bytes[..bytes.len() / 2]) else {
        panic!("a truncated file loaded");
    };
    assert!(e.to_string().starts_with("model: "), "{e}");
    let Err(e) = Tagger::load(&bytes) else {
        panic!("an embedder loaded as a tagger");
    };
    assert!(e.to_string().contains("embedder"), "{e}");
}
