//! The wasm build against the native runtime, in a browser: the committed fixtures
//! (`tests/fixtures.rs` writes and checks them natively) embedded with `include_bytes!`.
//!
//! Run with wasm-bindgen-test-runner and Debian's chromium-driver (see scripts/wasm-test.sh).
#![cfg(target_family = "wasm")]

use serde_json::Value;
use sublex_runtime::parity::{isa_tolerance, max_abs_diff, tolerance};
use sublex_runtime::Precision;
use sublex_wasm::{tokenize, Embedder, Tagger};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const EMBEDDER: &[u8] = include_bytes!("fixtures/embedder.onnx");
const TAGGER: &[u8] = include_bytes!("fixtures/tagger.onnx");
const EXPECTED: &str = include_str!("fixtures/expected.json");

fn expected() -> Value {
    serde_json::from_str(EXPECTED).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    serde_json::from_value(v.clone()).unwrap()
}

#[wasm_bindgen_test]
fn vectors_equal_the_native_runtimes_within_the_parity_rule() {
    let want = expected();
    let native: Vec<f32> = serde_json::from_value(want["vectors"].clone()).unwrap();
    let mut embedder = Embedder::from_bytes(EMBEDDER).unwrap();
    assert_eq!(embedder.dim() as u64, want["dim"].as_u64().unwrap());
    let got = embedder.embed(strings(&want["words"])).unwrap();
    let largest = native.iter().fold(0f32, |m, x| m.max(x.abs()));
    let diff = max_abs_diff(&got, &native);
    // The build decides the path (wasm has no run-time feature detection).
    let isa = if cfg!(target_feature = "relaxed-simd") {
        "simd128-relaxed"
    } else if cfg!(target_feature = "simd128") {
        "simd128"
    } else {
        "scalar"
    };
    assert_eq!(embedder.backend(), format!("kernel ({isa})"));
    console_log!("{isa}: max diff {diff} to {}", want["computed_by"]);
    assert!(
        diff <= tolerance(largest),
        "max diff {diff} (largest component {largest}) on {}",
        embedder.backend()
    );
}

#[wasm_bindgen_test]
fn one_word_at_a_time_gives_the_batchs_vectors() {
    let want = expected();
    let words = strings(&want["words"]);
    let mut embedder = Embedder::from_bytes(EMBEDDER).unwrap();
    let all = embedder.embed(words.clone()).unwrap();
    for (word, row) in words.iter().zip(all.chunks(embedder.dim())) {
        assert_eq!(embedder.embed(vec![word.clone()]).unwrap(), row, "{word:?}");
    }
}

#[wasm_bindgen_test]
fn nearest_neighbours_equal_the_native_runtimes() {
    let want = expected();
    let mut embedder = Embedder::from_bytes(EMBEDDER).unwrap();
    let among = embedder.neighbors(strings(&want["words"])).unwrap();
    let query = want["query"].as_str().unwrap();
    let got = embedder.nearest(&among, query, 4).unwrap();
    assert_eq!(got.words, strings(&want["nearest"]));
    let native: Vec<f32> = serde_json::from_value(want["cosines"].clone()).unwrap();
    assert!(max_abs_diff(&got.cosines, &native) <= tolerance(1.0));
}

#[wasm_bindgen_test]
fn tags_equal_the_native_runtimes() {
    let want = expected();
    let mut tagger = Tagger::from_bytes(TAGGER).unwrap();
    let got = tagger.tag(strings(&want["sentence"])).unwrap();
    assert_eq!(got, strings(&want["tags"]));
    let native: Vec<f32> = serde_json::from_value(want["scores"].clone()).unwrap();
    let got = tagger.scores(strings(&want["sentence"])).unwrap();
    let largest = native.iter().fold(0f32, |m, x| m.max(x.abs()));
    // The tagger fixture is int8, which the kernel computes at int8 on every ISA.
    assert!(max_abs_diff(&got, &native) <= isa_tolerance(Precision::Int8, largest));
}

#[wasm_bindgen_test]
fn raw_text_is_cut_and_tagged_as_natively() {
    let words = tokenize("The fox doesn't jump.");
    assert_eq!(words, ["The", "fox", "does", "n't", "jump", "."]);
    let mut tagger = Tagger::from_bytes(TAGGER).unwrap();
    assert_eq!(
        tagger.tag_text("The fox doesn't jump.").unwrap(),
        tagger.tag(words).unwrap()
    );
}

#[wasm_bindgen_test]
fn a_damaged_file_is_an_error_with_the_runtimes_message() {
    let Err(e) = Embedder::load(&EMBEDDER[..EMBEDDER.len() - 7]) else {
        panic!("a truncated file loaded");
    };
    assert!(e.to_string().starts_with("model: "), "{e}");
    assert!(Embedder::from_bytes(TAGGER).is_err());
}
