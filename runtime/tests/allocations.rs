//! Heap allocations per `embed_into` call, counted by a wrapping global allocator (this
//! test binary only). The kernel backend must make none once its scratch has grown; tract's
//! own allocations are reported, not hidden.

mod common;

use sublex_runtime::alloc_count::{allocations, CountingAllocator};
use sublex_runtime::{Artifact, BackendChoice, Embedder, Precision, Tagger};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn allocations_per_call(e: &mut Embedder, words: &[&str], out: &mut [f32]) -> usize {
    e.embed_into(words, out).unwrap(); // warm-up: scratch grows, tract builds its plans
    let before = allocations();
    e.embed_into(words, out).unwrap();
    allocations() - before
}

// One test in this binary: no other test thread allocates while it counts.
#[test]
fn kernel_calls_allocate_nothing_and_tract_calls_are_counted() {
    let bytes = common::random_model(Precision::F32, false);
    let artifact = Artifact::from_bytes("model.onnx", &bytes).unwrap();
    let words = [
        "the",
        "quick",
        "brown",
        "fox",
        "jumps",
        "over",
        "the",
        "lazy",
        "dog",
        "",
        "unbelievably",
    ];
    let mut kernel = Embedder::from_artifact(&artifact, BackendChoice::Kernel).unwrap();
    let mut out = vec![0.0; words.len() * kernel.dim()];
    assert_eq!(allocations_per_call(&mut kernel, &words, &mut out), 0);
    assert_eq!(allocations_per_call(&mut kernel, &words[..1], &mut out), 0);

    let mut tract = Embedder::from_artifact(&artifact, BackendChoice::Tract).unwrap();
    let n = allocations_per_call(&mut tract, &words, &mut out);
    eprintln!("tract: {n} heap allocations for {} words", words.len());
    assert!(
        n > 0,
        "tract allocates while executing its graph; a zero here means the counter is broken"
    );

    // The kernel tagger (one test: the counter is global, tests run in parallel threads).
    let (bytes, _, _) = common::random_tagger(Precision::F32, false);
    let artifact = Artifact::from_bytes("tagger.onnx", &bytes).unwrap();
    let mut tagger = Tagger::from_artifact(&artifact, BackendChoice::Kernel).unwrap();
    let mut tags = vec![0; words.len()];
    tagger.tag_into(&words, &mut tags).unwrap(); // warm-up: scratch grows
    for sentence in [&words[..], &words[2..5]] {
        let before = allocations();
        tagger
            .tag_into(sentence, &mut tags[..sentence.len()])
            .unwrap();
        assert_eq!(allocations() - before, 0, "{sentence:?}");
    }
}
