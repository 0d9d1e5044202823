//! Heap allocations per `embed_into` call, counted by a wrapping global allocator (this
//! test binary only). The kernel backend must make none once its scratch has grown; tract's
//! own allocations are reported, not hidden.

mod common;

use sublex_runtime::alloc_count::{allocations, live_bytes, CountingAllocator};
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

    // Every precision is allocation-free, and each holds what its storage needs: int8
    // weights at int8, an f16 file's matrices at f16 where the CPU widens f16 in hardware.
    let mut held = Vec::new();
    for precision in [Precision::F32, Precision::F16, Precision::Int8] {
        let bytes = common::random_model(precision, true);
        let artifact = Artifact::from_bytes("model.onnx", &bytes).unwrap();
        let before = live_bytes();
        let mut e = Embedder::from_artifact(&artifact, BackendChoice::Kernel).unwrap();
        held.push(live_bytes() - before);
        assert_eq!(
            allocations_per_call(&mut e, &words, &mut out),
            0,
            "{precision}"
        );
        assert_eq!(
            allocations_per_call(&mut e, &words[..1], &mut out),
            0,
            "{precision}"
        );
    }
    eprintln!("held once loaded, f32 / f16 / int8: {held:?} bytes");
    // 100-d characters, 2 x 100 states, 100-d output with highway: the recurrent, projection
    // and highway matrices are 2 x 100 x 416 + 208 x 112 + 100 x 112 values.
    let matrices = 4 * (2 * 100 * 416 + 208 * 112 + 100 * 112);
    if sublex_kernel::Isa::detect().converts_f16() {
        assert_eq!(
            held[0] - held[1],
            matrices / 2,
            "f16 matrices take half their f32 bytes"
        );
    } else {
        assert_eq!(held[0], held[1]);
    }
    assert!(
        held[2] < held[0] * 3 / 10,
        "int8 holds {} of f32's {}",
        held[2],
        held[0]
    );

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
