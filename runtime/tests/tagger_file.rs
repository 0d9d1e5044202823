//! The runtime's tagger on its own (no trainer, so these also run on ARM under qemu): a
//! tagger file with random weights held to the f64 reference, mixed word lengths in one
//! sentence (padding must not leak), state reuse, bad outputs and damaged files.

mod common;

use common::{random_model, random_tagger};
use proptest::prelude::*;
use sublex_runtime::parity::{max_abs_diff, tolerance_for};
use sublex_runtime::{
    reference, Artifact, BackendChoice, Error, FileProblem, Kind, Precision, TagId, Tagger,
};

/// Scores against the f64 reference: f32 rounding through two LSTMs and an MLP.
const TOLERANCE: f32 = 1e-4;

const BACKENDS: [BackendChoice; 2] = [BackendChoice::Kernel, BackendChoice::Tract];

fn tagger(bytes: &[u8], backend: BackendChoice) -> Tagger {
    let artifact = Artifact::from_bytes("tagger.onnx", bytes).unwrap();
    Tagger::from_artifact(&artifact, backend).unwrap()
}

fn scores(t: &mut Tagger, sentence: &[&str]) -> Vec<f32> {
    let mut out = vec![f32::NAN; sentence.len() * t.tags().len()];
    t.scores_into(sentence, &mut out).unwrap();
    out
}

fn sentences() -> Vec<Vec<String>> {
    let long = "b".repeat(200); // beyond MAX_WORD_CHARS: truncated like everywhere else
    [
        "the cat sat .",
        "x",
        "unbelievable , she said - co-operate 3.14 ZZZ 日本語",
        "a ab abc abcd abcde abcdef abcdefg abcdefgh",
    ]
    .iter()
    .map(|s| s.split(' ').map(str::to_string).collect())
    .chain([vec!["".to_string(), "é".into(), long, "".into()]])
    .collect()
}

#[test]
fn both_backends_match_the_f64_reference_at_every_precision_with_and_without_highway() {
    // Under emulation (aarch64 in CI, qemu) the f64 reference is slow: two corners only.
    let all = [Precision::F32, Precision::F16, Precision::Int8]
        .into_iter()
        .flat_map(|p| [(p, false), (p, true)]);
    let cases: Vec<(Precision, bool)> = if cfg!(target_arch = "x86_64") {
        all.collect()
    } else {
        vec![(Precision::F32, false), (Precision::Int8, true)]
    };
    for (precision, highway) in cases {
        let (bytes, manifest, _) = random_tagger(precision, highway);
        let artifact = Artifact::from_bytes("tagger.onnx", &bytes).unwrap();
        // The reference reads the weights as stored (f16/int8 widened), as tract does.
        let weights = artifact.tagger_weights().unwrap();
        let shapes = manifest.tagger_shapes().unwrap();
        for backend in BACKENDS {
            let mut t = Tagger::from_artifact(&artifact, backend).unwrap();
            for sentence in sentences() {
                let refs: Vec<&str> = sentence.iter().map(String::as_str).collect();
                let exact = reference::tag_scores(&shapes, &weights, &manifest.vocab, &refs);
                let diff = max_abs_diff(&scores(&mut t, &refs), &exact);
                // The kernel keeps int8 files int8 (runtime/src/parity.rs).
                let allowed = match (backend, precision) {
                    (BackendChoice::Kernel, Precision::Int8) => {
                        tolerance_for(precision, exact.iter().fold(0f32, |m, x| m.max(x.abs())))
                    }
                    _ => TOLERANCE,
                };
                assert!(
                    diff <= allowed,
                    "{backend:?} {precision} highway {highway} {refs:?}: {diff}"
                );
            }
        }
    }
}

#[test]
fn consecutive_calls_and_tags_agree_with_scores() {
    let (bytes, _, _) = random_tagger(Precision::F32, false);
    for backend in BACKENDS {
        consecutive_calls(&mut tagger(&bytes, backend));
    }
}

fn consecutive_calls(t: &mut Tagger) {
    let all = sentences();
    let first: Vec<Vec<f32>> = all
        .iter()
        .map(|s| scores(t, &s.iter().map(String::as_str).collect::<Vec<_>>()))
        .collect();
    for (sentence, expected) in all.iter().zip(&first).rev() {
        let refs: Vec<&str> = sentence.iter().map(String::as_str).collect();
        assert_eq!(&scores(t, &refs), expected, "{refs:?}");
        let mut tags = vec![TagId::MAX; refs.len()];
        t.tag_into(&refs, &mut tags).unwrap();
        let n = t.tags().len();
        for (tag, row) in tags.iter().zip(expected.chunks(n)) {
            let best = row.iter().cloned().fold(f32::MIN, f32::max);
            assert_eq!(row[*tag as usize], best);
            assert!(!t.tag_name(*tag).is_empty());
        }
    }
}

#[test]
fn empty_sentences_and_wrong_outputs() {
    let (bytes, _, _) = random_tagger(Precision::F32, false);
    for backend in BACKENDS {
        empty_and_wrong(&mut tagger(&bytes, backend));
    }
}

fn empty_and_wrong(t: &mut Tagger) {
    t.tag_into(&[], &mut []).unwrap();
    assert!(matches!(
        t.tag_into(&["a", "b"], &mut [0]),
        Err(Error::OutputSize {
            need: 2,
            got: 1,
            ..
        })
    ));
    assert!(matches!(
        t.scores_into(&["a"], &mut [0.0; 3]),
        Err(Error::OutputSize { need: 7, .. })
    ));
}

#[test]
fn kinds_are_checked_and_damage_is_caught() {
    let (bytes, _, _) = random_tagger(Precision::Int8, true);
    let artifact = Artifact::from_bytes("tagger.onnx", &bytes).unwrap();
    assert_eq!(artifact.manifest().kind, Kind::Tagger);
    let err = sublex_runtime::Embedder::from_artifact(&artifact, Default::default())
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .contains("of kind `tagger`, but kind `embedder`"),
        "{err}"
    );

    let embedder =
        Artifact::from_bytes("embedder.onnx", &random_model(Precision::F32, false)).unwrap();
    let err = Tagger::from_artifact(&embedder, BackendChoice::Auto)
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .contains("of kind `embedder`, but kind `tagger`"),
        "{err}"
    );
    assert!(embedder.tagger_weights().is_err());

    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x01;
    match Artifact::from_bytes("tagger.onnx", &flipped) {
        Err(Error::File {
            problem: FileProblem::Checksum { .. } | FileProblem::Decode(_),
            ..
        }) => {}
        other => panic!("a flipped bit must be caught: {other:?}"),
    }
}

proptest! {
    // Fewer cases where the tests run under emulation (aarch64 in CI, qemu: ~50x slower).
    #![proptest_config(ProptestConfig::with_cases(if cfg!(target_arch = "x86_64") { 32 } else { 6 }))]

    #[test]
    fn any_sentence_tags_without_panicking(words in prop::collection::vec("\\PC{0,80}|.{0,3}", 0..10)) {
        static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let bytes = BYTES.get_or_init(|| random_tagger(Precision::F32, false).0);
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        for backend in BACKENDS {
            let mut t = tagger(bytes, backend);
            let mut tags = vec![TagId::MAX; refs.len()];
            t.tag_into(&refs, &mut tags).unwrap();
            prop_assert!(tags.iter().all(|&id| (id as usize) < t.tags().len()));
        }
    }
}
