//! Tagging speed in the runtime, both backends (kernel + plain-Rust sentence BiLSTM; tract on
//! the whole graph): latency for one 20-word sentence and tokens/s over the whole
//! UD English EWT test set (2,077 sentences, 25,094 tokens), one sentence per call, as a
//! deployed tagger sees them. scripts/onnxruntime_tagger_bench.py measures onnxruntime on the
//! same file and sentences; docs/RESULTS.md has both, from one sitting.
//!
//! The tagger: SUBLEX_BENCH_TAGGER (an exported `.onnx`) or, by default, a CHAR tagger at the
//! real size (100-d characters, word BiLSTM 2 x 100, MLP 100) trained one epoch on 300 EWT
//! sentences (speed does not depend on how long it trained).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::path::{Path, PathBuf};
use sublex_runtime::{BackendChoice, Precision, TagId, Tagger};
use sublex_trainer::tagger::export::export_tagger;
use sublex_trainer::tagger::model::Variant;
use sublex_trainer::tagger::train::{train_tagger, Grid, Recipe, TaggerOptions};
use sublex_trainer::tagger::{read_corpus, write_word_tab, CorpusFormat, Sentence};

fn ewt(split: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../shared/data/pos/en_ewt-ud-{split}.conllu"))
}

fn tagger_file(test: &[Sentence]) -> PathBuf {
    if let Some(path) = std::env::var_os("SUBLEX_BENCH_TAGGER") {
        return PathBuf::from(path);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/sublex-bench/tagger");
    let out = dir.join("char");
    let onnx = dir.join("char.onnx");
    if !onnx.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let train: Vec<Sentence> =
            read_corpus(&ewt("train"), CorpusFormat::Conllu).unwrap()[..300].to_vec();
        let train_path = dir.join("train.tsv");
        write_word_tab(&train, &mut std::fs::File::create(&train_path).unwrap()).unwrap();
        let opts = TaggerOptions {
            variant: Variant::Char,
            train: train_path.clone(),
            extra_train: None,
            dev: train_path.clone(),
            test: train_path,
            format: CorpusFormat::WordTab,
            init: None,
            teacher: None,
            distill: None,
            grid: Grid {
                name: "custom".into(),
                lrs: vec![1e-3],
                dropouts: vec![0.2],
            },
            max_epochs: 1,
            patience: 1,
            halving: Vec::new(),
            recipe: Recipe::default(),
            char_dim: 100,
            word_dim: 100,
            hidden: 100,
            mlp: 100,
            seed: 1,
            out: out.clone(),
            resume: true,
            progress: false,
        };
        train_tagger(&opts).unwrap();
        export_tagger(&out, &onnx, Precision::F32, &test[..50]).unwrap();
    }
    onnx
}

fn bench(c: &mut Criterion) {
    let test = read_corpus(&ewt("test"), CorpusFormat::Conllu).unwrap();
    let path = tagger_file(&test);
    let twenty: Vec<&str> = test
        .iter()
        .find(|s| s.words.len() == 20)
        .expect("a 20-word sentence")
        .words
        .iter()
        .map(String::as_str)
        .collect();
    let sentences: Vec<Vec<&str>> = test
        .iter()
        .map(|s| s.words.iter().map(String::as_str).collect())
        .collect();
    let tokens: usize = sentences.iter().map(Vec::len).sum();
    let mut tags: Vec<TagId> = vec![0; 1024];

    for backend in [BackendChoice::Kernel, BackendChoice::Tract] {
        let mut tagger = Tagger::open(&path, backend).unwrap();
        let name = format!("{backend:?}").to_lowercase();
        let mut group = c.benchmark_group(format!("tagger/{name}"));
        group.throughput(Throughput::Elements(20));
        group.bench_function("sentence-20-words", |b| {
            b.iter(|| tagger.tag_into(&twenty, &mut tags[..20]).unwrap())
        });
        group.throughput(Throughput::Elements(tokens as u64));
        group.sample_size(10);
        group.bench_function("ewt-test", |b| {
            b.iter(|| {
                for s in &sentences {
                    tagger.tag_into(s, &mut tags[..s.len()]).unwrap();
                }
            })
        });
        group.finish();
    }
    eprintln!(
        "tagger file: {} ({} bytes)",
        path.display(),
        std::fs::metadata(&path).unwrap().len()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
