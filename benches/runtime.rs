//! Runtime speed and memory, per backend and storage precision: one-word latency, throughput
//! on 256 words of 8 characters and on 256 real words of mixed lengths (2-14 characters), and
//! model load time. Heap allocations per call are counted by a wrapping allocator and written
//! to target/sublex-bench/allocations.json. scripts/onnxruntime_bench.py measures onnxruntime
//! on the same files and words; docs/RESULTS.md has both, from one sitting.
//!
//! The model: SUBLEX_BENCH_MODEL (a trained model directory) or, by default, one epoch on
//! the shipped GloVe sample (speed does not depend on how long a model trained).

mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::path::{Path, PathBuf};
use sublex_runtime::alloc_count::{self, CountingAllocator};
use sublex_runtime::{Artifact, BackendChoice, Embedder, Precision};
use sublex_trainer::export;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const PRECISIONS: [Precision; 3] = [Precision::F32, Precision::F16, Precision::Int8];
const BACKENDS: [BackendChoice; 2] = [BackendChoice::Kernel, BackendChoice::Tract];

struct Setup {
    dir: PathBuf,
    /// 256 words of 8 characters, 256 words of 2-14 characters (about 20 of each length).
    eight: Vec<String>,
    mixed: Vec<String>,
}

impl Setup {
    fn onnx(&self, p: Precision) -> PathBuf {
        self.dir.join(format!("model-{p}.onnx"))
    }
}

fn setup() -> Setup {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("target/sublex-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let teacher = common::sample_teacher(root);
    let model_dir = common::model(&teacher, &dir);
    let words = teacher.words();
    let of_len = |n: usize| words.iter().filter(move |w| w.chars().count() == n);
    let eight: Vec<String> = of_len(8).cycle().take(256).cloned().collect();
    let mut mixed: Vec<String> = (2..=14).flat_map(|n| of_len(n).take(20)).cloned().collect();
    mixed.truncate(256);
    let setup = Setup { dir, eight, mixed };
    for p in PRECISIONS {
        export::export(&model_dir, &setup.onnx(p), p, &[], None).unwrap();
    }
    std::fs::write(setup.dir.join("words-8.txt"), setup.eight.join("\n")).unwrap();
    std::fs::write(setup.dir.join("words-mixed.txt"), setup.mixed.join("\n")).unwrap();
    setup
}

fn name(backend: BackendChoice) -> &'static str {
    match backend {
        BackendChoice::Kernel => "kernel",
        BackendChoice::Tract => "tract",
        BackendChoice::Auto => "auto",
    }
}

fn allocations(e: &mut Embedder, words: &[&str], out: &mut [f32]) -> usize {
    e.embed_into(words, out).unwrap();
    let before = alloc_count::allocations();
    e.embed_into(words, out).unwrap();
    alloc_count::allocations() - before
}

fn runtime(c: &mut Criterion) {
    let s = setup();
    let eight: Vec<&str> = s.eight.iter().map(String::as_str).collect();
    let mixed: Vec<&str> = s.mixed.iter().map(String::as_str).collect();
    let mut counts = serde_json::Map::new();
    for p in PRECISIONS {
        let path = s.onnx(p);
        let artifact = Artifact::open(&path).unwrap();
        for backend in BACKENDS {
            let label = format!("{}/{p}", name(backend));
            let mut e = Embedder::from_artifact(&artifact, backend).unwrap();
            let mut out = vec![0.0; 256 * e.dim()];
            let inputs: [(&str, &[&str]); 3] = [
                ("one_word", &eight[..1]),
                ("batch256_len8", &eight),
                ("mixed256", &mixed),
            ];
            let mut group = c.benchmark_group("runtime");
            for (case, words) in inputs {
                let n = allocations(&mut e, words, &mut out);
                counts.insert(format!("{label}/{case}"), n.into());
                group.throughput(Throughput::Elements(words.len() as u64));
                group.bench_function(BenchmarkId::new(case, &label), |b| {
                    b.iter(|| e.embed_into(words, &mut out).unwrap())
                });
            }
            group.finish();
            let mut group = c.benchmark_group("load");
            group.bench_function(BenchmarkId::from_parameter(&label), |b| {
                b.iter(|| Embedder::open(&path, backend).unwrap())
            });
            group.finish();
        }
    }
    let json = serde_json::to_string_pretty(&counts).unwrap();
    std::fs::write(s.dir.join("allocations.json"), &json).unwrap();
    println!("heap allocations per call (after a warm-up call):\n{json}");
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = runtime
}
criterion_main!(benches);
