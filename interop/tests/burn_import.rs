//! burn-onnx imports the exported file back into burn with the same outputs: each committed
//! fixture, imported at build time by `ModelGen` (build.rs), run by burn's flex backend, gives
//! the vectors the runtime's `Embedder` gives on the same file with tract and with the kernel.

use burn::tensor::{Device, Int, Tensor, TensorData};
use std::collections::BTreeMap;
use sublex_interop::{Fixture, FIXTURES};
use sublex_runtime::parity::tolerance_for;
use sublex_runtime::{Artifact, BackendChoice, Embedder};

mod imported {
    include!(concat!(env!("OUT_DIR"), "/models.rs"));
}

const BACKENDS: [BackendChoice; 2] = [BackendChoice::Tract, BackendChoice::Kernel];
const TOLERANCE: f32 = 1e-5;

/// Real words (some with characters outside the fixtures' vocabulary: capitals, digits,
/// `ö`, `ß`, `ï`, CJK, emoji) and made-up ones, so every length 1..=20 occurs.
fn words() -> Vec<String> {
    let real = [
        "a",
        "I",
        "of",
        "to",
        "the",
        "and",
        "cat",
        "word",
        "über",
        "hello",
        "house",
        "wörld",
        "straße",
        "people",
        "don't",
        "café",
        "naïve",
        "résumé",
        "e.g.",
        "3.14",
        "2024",
        "ZEBRA",
        "日本語",
        "🙂",
        "qwxz",
        "between",
        "o'clock",
        "language",
        "character",
        "government",
        "co-operation",
        "information",
        "international",
        "unbelievable",
        "characteristic",
        "responsibility",
        "mother-in-law's",
        "incomprehensible",
        "internationalism",
        "counterrevolution",
        "incomprehensibility",
        "uncharacteristically",
    ];
    let mut words: Vec<String> = real.iter().map(|s| s.to_string()).collect();
    let letters = "etaoinshrdlucmfwypvbgkjqxz";
    for len in 1..=20 {
        words.push(letters.chars().cycle().skip(len * 3).take(len).collect());
        // One unknown character in the middle.
        let mut w: Vec<char> = letters.chars().cycle().skip(len).take(len).collect();
        w[len / 2] = 'Ä';
        words.push(w.into_iter().collect());
    }
    words
}

/// The runtime's vectors for `words` (`[words.len(), dim]`).
fn runtime_vectors(artifact: &Artifact, backend: BackendChoice, words: &[&str]) -> Vec<f32> {
    let mut embedder = Embedder::from_artifact(artifact, backend).unwrap();
    let mut out = vec![f32::NAN; words.len() * embedder.dim()];
    embedder.embed_into(words, &mut out).unwrap();
    out
}

/// burn's vectors for `words`, run in one batch per word length, with the ids the runtime
/// gives (the file's vocabulary).
fn burn_vectors(fixture: &Fixture, artifact: &Artifact, words: &[&str]) -> Vec<f32> {
    let device = Device::flex();
    let model = imported::load(fixture.name, &device).unwrap_or_else(|| {
        panic!(
            "fixtures/{}.onnx was not imported: it was missing when this crate was built \
             (tests/fixtures.rs writes it); rebuild and rerun",
            fixture.name
        )
    });
    let vocab = &artifact.manifest().vocab;
    let dim = artifact.manifest().dim;
    let mut by_len = BTreeMap::<usize, Vec<usize>>::new();
    for (i, word) in words.iter().enumerate() {
        by_len.entry(vocab.encode(word).len()).or_default().push(i);
    }
    let mut out = vec![f32::NAN; words.len() * dim];
    for (len, group) in by_len {
        let ids: Vec<i64> = group
            .iter()
            .flat_map(|&i| vocab.encode(words[i]))
            .map(i64::from)
            .collect();
        let chars = Tensor::<2, Int>::from_data(TensorData::new(ids, [group.len(), len]), &device);
        let vectors = model(chars);
        assert_eq!(
            vectors.dims(),
            [group.len(), dim],
            "{}: length {len}",
            fixture.name
        );
        let vectors = vectors.into_data().try_into_vec::<f32>().unwrap();
        for (row, &i) in group.iter().enumerate() {
            out[i * dim..][..dim].copy_from_slice(&vectors[row * dim..][..dim]);
        }
    }
    out
}

#[test]
fn burn_onnx_import_gives_the_runtime_vectors() {
    let words = words();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let lengths: Vec<usize> = words.iter().map(|w| w.chars().count()).collect();
    assert!(words.len() >= 50);
    assert!((1..=20).all(|len| lengths.contains(&len)));
    assert!(lengths.iter().all(|len| (1..=20).contains(len)));

    let mut failures = Vec::new();
    let mut compared = 0;
    for fixture in FIXTURES {
        let import_error = imported::IMPORT_FAILED
            .iter()
            .find(|(name, _)| *name == fixture.name)
            .map(|(_, message)| *message);
        if let Some(message) = import_error {
            failures.push(format!(
                "{}: burn-onnx could not import it: {message}",
                fixture.name
            ));
            continue;
        }
        compared += 1;
        let artifact = Artifact::open(fixture.path()).unwrap();
        let dim = artifact.manifest().dim;
        let burn = burn_vectors(&fixture, &artifact, &words);
        assert!(burn.iter().all(|x| x.is_finite()), "{}", fixture.name);
        // Not a trivial match: the vectors are far from zero and differ between words.
        let largest = burn.iter().fold(0f32, |m, x| m.max(x.abs()));
        assert!(largest > 0.1, "{}: largest |x| {largest}", fixture.name);
        assert_ne!(burn[..dim], burn[dim..2 * dim], "{}", fixture.name);
        for backend in BACKENDS {
            let runtime = runtime_vectors(&artifact, backend, &words);
            let (mut worst, mut worst_word) = (0f32, "");
            for (i, word) in words.iter().enumerate() {
                let diff = burn[i * dim..][..dim]
                    .iter()
                    .zip(&runtime[i * dim..][..dim])
                    .map(|(a, b)| (a - b).abs())
                    .fold(0f32, f32::max);
                if i == 0 || diff > worst {
                    (worst, worst_word) = (diff, word);
                }
            }
            println!(
                "{:22} burn vs {backend:?}: max |diff| = {worst:.3e} over {} words (worst {worst_word:?})",
                fixture.name,
                words.len()
            );
            // The kernel keeps an int8 file int8 (runtime/src/parity.rs); burn-onnx, like
            // tract, computes the file's weights in f32.
            let precision = artifact.manifest().precision;
            let allowed = match backend {
                BackendChoice::Kernel => tolerance_for(precision, largest).max(TOLERANCE),
                _ => TOLERANCE,
            };
            if worst > allowed {
                failures.push(format!(
                    "{} vs {backend:?}: {worst:e} on {worst_word:?}",
                    fixture.name
                ));
            }
        }
    }
    assert!(compared > 0, "no fixture was compared");
    assert!(
        failures.is_empty(),
        "burn (imported by burn-onnx) and the runtime disagree (tolerance {TOLERANCE}):\n  {}",
        failures.join("\n  ")
    );
}
