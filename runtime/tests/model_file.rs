//! The runtime on its own (no trainer, so these also run on ARM under qemu): a model file
//! with random weights at the real size (100-d), both backends held to the same vectors,
//! state reuse, batch independence, and damaged files.

mod common;

use common::random_model;
use proptest::prelude::*;
use std::sync::OnceLock;
use sublex_runtime::parity::{max_abs_diff, tolerance_for, TRACT_BATCH_TOLERANCE};
use sublex_runtime::{Artifact, BackendChoice, Embedder, Error, FileProblem, Precision};

const BACKENDS: [BackendChoice; 2] = [BackendChoice::Tract, BackendChoice::Kernel];
const TOLERANCE: f32 = 1e-5;

fn model_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| random_model(Precision::F32, false))
}

fn embedder(bytes: &[u8], backend: BackendChoice) -> Embedder {
    Embedder::from_artifact(&Artifact::from_bytes("model.onnx", bytes).unwrap(), backend).unwrap()
}

fn words() -> Vec<String> {
    let base = [
        "the",
        "of",
        "hello",
        "wörld",
        "x",
        "",
        "unbelievable",
        "co-operate",
        "don't",
        "3.14",
        "ZZZ",
        "日本語",
    ];
    let mut words: Vec<String> = base.iter().map(|s| s.to_string()).collect();
    words.extend((0..60).map(|i| {
        "abcdefghij"
            .chars()
            .cycle()
            .skip(i % 7)
            .take(1 + i % 23)
            .collect::<String>()
    }));
    words.push("a".repeat(300));
    words
}

fn embed(e: &mut Embedder, words: &[String]) -> Vec<f32> {
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    let mut out = vec![f32::NAN; refs.len() * e.dim()];
    e.embed_into(&refs, &mut out).unwrap();
    out
}

#[test]
fn kernel_and_tract_agree_at_every_precision_with_and_without_highway() {
    let words = words();
    for precision in [Precision::F32, Precision::F16, Precision::Int8] {
        for highway in [false, true] {
            let bytes = random_model(precision, highway);
            let tract = embed(&mut embedder(&bytes, BackendChoice::Tract), &words);
            let kernel = embed(&mut embedder(&bytes, BackendChoice::Kernel), &words);
            let diff = max_abs_diff(&tract, &kernel);
            let largest = tract.iter().fold(0f32, |m, x| m.max(x.abs()));
            let allowed = match precision {
                Precision::Int8 => tolerance_for(precision, largest),
                _ => TOLERANCE,
            };
            println!("{precision} highway={highway}: max |diff| {diff:e} (allowed {allowed:e})");
            assert!(
                diff <= allowed,
                "{precision} highway={highway}: max |diff| {diff:e} > {allowed:e}"
            );
            assert!(tract.iter().all(|x| x.is_finite()));
        }
    }
}

#[test]
fn int8_round_trip_gives_what_an_int8_file_reads_back() {
    // sublex-report int8 measures one tensor at int8 with int8_round_trip: it must be what
    // a file stores, bit for bit.
    let (mut manifest, weights) = common::random_char_model(Precision::F32, true);
    manifest.precision = Precision::Int8;
    let bytes = sublex_runtime::artifact::encode_embedder(&manifest, &weights);
    let read = Artifact::from_bytes("int8.onnx", &bytes)
        .unwrap()
        .weights()
        .unwrap();
    let s = manifest.shapes();
    let (hw, hb) = weights.highway.as_ref().unwrap();
    let (read_hw, read_hb) = read.highway.as_ref().unwrap();
    let int8: [(&[f32], &[f32], usize); 6] = [
        (&weights.chars, &read.chars, s.char_dim),
        (&weights.w, &read.w, s.char_dim),
        (&weights.r, &read.r, s.hidden),
        (&weights.proj_forward, &read.proj_forward, s.dim),
        (&weights.proj_backward, &read.proj_backward, s.dim),
        (hw, read_hw, s.dim),
    ];
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for (i, (f32s, stored, row)) in int8.into_iter().enumerate() {
        let round_trip = sublex_runtime::artifact::int8_round_trip(f32s, row);
        assert_eq!(bits(&round_trip), bits(stored), "tensor {i}");
    }
    // The biases stay f32.
    for (f32s, stored) in [
        (&weights.b, &read.b),
        (&weights.proj_bias, &read.proj_bias),
        (hb, read_hb),
    ] {
        assert_eq!(bits(f32s), bits(stored));
    }
}

#[test]
fn auto_picks_the_kernel() {
    let e = embedder(model_bytes(), BackendChoice::Auto);
    assert!(
        e.backend_name().starts_with("kernel"),
        "{}",
        e.backend_name()
    );
}

/// tract keeps LSTM state in a reused plan state unless told not to: two consecutive calls
/// (and a call after a different one) must give identical vectors.
#[test]
fn consecutive_calls_give_identical_vectors() {
    let words = words();
    for backend in BACKENDS {
        let mut e = embedder(model_bytes(), backend);
        let first = embed(&mut e, &words);
        assert_eq!(first, embed(&mut e, &words), "{backend:?}");
        embed(&mut e, &["other".into(), "words".into(), "again".into()]);
        assert_eq!(
            first,
            embed(&mut e, &words),
            "{backend:?} after another call"
        );
    }
}

/// A word's vector does not depend on the rest of its call.
#[test]
fn a_word_gives_the_same_vector_alone_and_in_any_batch() {
    let words = words();
    for backend in BACKENDS {
        let mut e = embedder(model_bytes(), backend);
        let dim = e.dim();
        let all = embed(&mut e, &words);
        let reversed: Vec<String> = words.iter().rev().cloned().collect();
        let all_reversed = embed(&mut e, &reversed);
        for (i, word) in words.iter().enumerate() {
            let alone = embed(&mut e, std::slice::from_ref(word));
            let row = &all[i * dim..(i + 1) * dim];
            let row_reversed = &all_reversed[(words.len() - 1 - i) * dim..][..dim];
            assert!(
                max_abs_diff(&alone, row) <= TRACT_BATCH_TOLERANCE,
                "{backend:?} {word:?}"
            );
            assert!(
                max_abs_diff(row_reversed, row) <= TRACT_BATCH_TOLERANCE,
                "{backend:?} {word:?}"
            );
        }
    }
}

#[test]
fn output_too_small_is_an_error_not_a_panic() {
    let mut e = embedder(model_bytes(), BackendChoice::Auto);
    let mut out = vec![0.0; 150];
    assert!(matches!(
        e.embed_into(&["a", "b"], &mut out),
        Err(Error::OutputSize { need: 200, .. })
    ));
}

fn problem(bytes: &[u8]) -> (String, FileProblem) {
    match Artifact::from_bytes("damaged.onnx", bytes) {
        Err(e @ Error::File { .. }) => {
            let message = e.to_string();
            let Error::File { problem, .. } = e else {
                unreachable!()
            };
            assert!(message.starts_with("damaged.onnx: "), "{message}");
            (message, problem)
        }
        other => panic!("expected a file error, got {other:?}"),
    }
}

fn edit_metadata(bytes: &[u8], key: &str, value: &str) -> Vec<u8> {
    use prost::Message;
    let mut model = sublex_runtime::artifact::onnx::ModelProto::decode(bytes).unwrap();
    model
        .metadata_props
        .iter_mut()
        .find(|e| e.key == key)
        .unwrap()
        .value = value.into();
    model.encode_to_vec()
}

#[test]
fn damaged_files_are_rejected_with_clear_errors() {
    let good = model_bytes();
    assert!(Artifact::from_bytes("good.onnx", good).is_ok());

    let (_, p) = problem(&good[..good.len() / 2]);
    assert!(matches!(p, FileProblem::Decode(_)), "truncated: {p:?}");

    let mut flipped = good.to_vec();
    let middle = flipped.len() / 2; // inside the weights
    flipped[middle] ^= 0x10;
    let (_, p) = problem(&flipped);
    assert!(matches!(p, FileProblem::Checksum { .. }), "bit flip: {p:?}");

    let (_, p) = problem(b"");
    assert!(matches!(p, FileProblem::MissingMetadata(_)), "empty: {p:?}");

    let (message, _) = problem(b"word 0.1 0.2\nother 0.3 0.4\n");
    assert!(message.contains("not"), "a text file: {message}");

    for (key, value, expect) in [
        ("sublex.format_version", "2", "format version 2"),
        ("sublex.kind", "tagger", "sublex.tags"),
        ("sublex.kind", "parser", "sublex.kind"),
        ("sublex.precision", "f8", "sublex.precision"),
        ("sublex.dim", "99", "checksum"),
    ] {
        let (message, _) = problem(&edit_metadata(good, key, value));
        assert!(message.contains(expect), "{key}={value}: {message}");
    }
}

#[test]
fn opening_a_missing_file_names_it() {
    let err = Embedder::open("no/such/model.onnx", BackendChoice::Auto)
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .starts_with("no/such/model.onnx: cannot read"),
        "{err}"
    );
}

proptest! {
    // Fewer cases where the tests run under emulation (aarch64 in CI, qemu: ~50x slower).
    #![proptest_config(ProptestConfig::with_cases(if cfg!(target_arch = "x86_64") { 48 } else { 8 }))]
    /// Any text (empty, huge, unknown scripts, control characters): never a panic, and the
    /// backends agree.
    #[test]
    fn any_str_embeds_without_panicking(words in prop::collection::vec("\\PC{0,80}|.{0,3}|[a-z]{60,200}", 0..12)) {
        let mut outs = Vec::new();
        for backend in BACKENDS {
            let mut e = embedder(model_bytes(), backend);
            let out = embed(&mut e, &words);
            prop_assert!(out.iter().all(|x| x.is_finite()));
            outs.push(out);
        }
        prop_assert!(max_abs_diff(&outs[0], &outs[1]) <= TOLERANCE);
    }
}
