//! Hybrid files (issue 15): what the stored rows cost and buy at run time, against the same
//! character model alone. Load time (char-only vs hybrid), one-word latency of a stored word
//! (the row lookup) and of a word the file does not store (the kernel), heap allocations per
//! call and the rows' bytes in memory, printed and written to target/sublex-bench/hybrid.json.
//!
//! The teacher: SUBLEX_BENCH_TEACHER (default: ../shared/data/teacher/glove-6b-100d.top100k.txt
//! when present, else the shipped 2,000-row sample) keeps its first SUBLEX_BENCH_KEEP rows
//! (default 30,000, at most the teacher's); the model: one epoch on the shipped sample, or
//! SUBLEX_BENCH_MODEL (a model directory of the teacher's dimension).

mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::path::{Path, PathBuf};
use sublex_runtime::alloc_count::{self, CountingAllocator};
use sublex_runtime::{BackendChoice, Embedder, Precision};
use sublex_trainer::export::{export, Keep};
use sublex_trainer::teacher::{LoadOptions, Teacher};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn teacher(root: &Path, keep: usize) -> Teacher {
    let shared = root.join("../shared/data/teacher/glove-6b-100d.top100k.txt");
    let path = std::env::var_os("SUBLEX_BENCH_TEACHER")
        .map(PathBuf::from)
        .unwrap_or_else(|| match shared.exists() {
            true => shared,
            false => root.join("data/glove-6b-100d.top2k.txt"),
        });
    let options = LoadOptions {
        max_words: Some(keep + 1000),
        ..LoadOptions::default()
    };
    Teacher::load(&path, &options).unwrap()
}

fn hybrid(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("target/sublex-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let keep: usize = std::env::var("SUBLEX_BENCH_KEEP").map_or(30_000, |k| k.parse().unwrap());
    let teacher = teacher(root, keep);
    let keep = keep.min(teacher.len() - 1);
    let model_dir = common::model(&common::sample_teacher(root), &dir);
    let (plain, hybrid) = (
        dir.join("plain.onnx"),
        dir.join(format!("hybrid-{keep}.onnx")),
    );
    export(&model_dir, &plain, Precision::F32, &[], None).unwrap();
    let rows = Keep {
        teacher: &teacher,
        rows: keep,
        precision: sublex_runtime::RowPrecision::Int8,
    };
    export(&model_dir, &hybrid, Precision::F32, &[], Some(rows)).unwrap();

    let mut group = c.benchmark_group("hybrid_load");
    for (label, path) in [("char_only", &plain), ("hybrid", &hybrid)] {
        group.bench_function(BenchmarkId::from_parameter(label), |b| {
            b.iter(|| Embedder::open(path, BackendChoice::Kernel).unwrap())
        });
    }
    group.finish();

    let mut e = Embedder::open(&hybrid, BackendChoice::Kernel).unwrap();
    let mut out = vec![0.0; e.dim()];
    let (stored, other) = (
        teacher.words()[keep / 2].as_str(),
        teacher.words()[keep].as_str(),
    );
    let mut counts = serde_json::Map::new();
    let mut group = c.benchmark_group("hybrid_one_word");
    for (label, word) in [("stored_row", stored), ("character_model", other)] {
        e.embed_into(&[word], &mut out).unwrap();
        let before = alloc_count::allocations();
        e.embed_into(&[word], &mut out).unwrap();
        let allocations = alloc_count::allocations() - before;
        counts.insert(format!("allocations/{label}"), allocations.into());
        group.bench_function(BenchmarkId::from_parameter(label), |b| {
            b.iter(|| e.embed_into(&[word], &mut out).unwrap())
        });
    }
    group.finish();
    counts.insert("rows".into(), keep.into());
    counts.insert("rows_heap_bytes".into(), e.stored_rows_bytes().into());
    let size = |p: &Path| std::fs::metadata(p).unwrap().len();
    counts.insert("file_bytes/char_only".into(), size(&plain).into());
    counts.insert("file_bytes/hybrid".into(), size(&hybrid).into());
    let json = serde_json::to_string_pretty(&counts).unwrap();
    std::fs::write(dir.join("hybrid.json"), &json).unwrap();
    println!("{json}");
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = hybrid
}
criterion_main!(benches);
