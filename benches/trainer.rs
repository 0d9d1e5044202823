//! Trainer throughput: reconstruction training steps and inference, in words per second, on
//! real GloVe words (the shipped sample). Compare with ../shared/bench (DyNet, PyTorch) run
//! in the same sitting; docs/RESULTS.md has the figures and the commands.

use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use std::path::Path;
use std::sync::Arc;
use sublex_trainer::adam::FusedAdam;
use sublex_trainer::distance::Distance;
use sublex_trainer::embed::embed_words;
use sublex_trainer::fused::{self, recurrence::Output, CharRows};
use sublex_trainer::teacher::{LoadOptions, Teacher};
use sublex_trainer::train::{self, ReconstructOptions};

fn teacher() -> Teacher {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/glove-6b-100d.top2k.txt");
    Teacher::load(
        &path,
        &LoadOptions {
            cache_dir: None,
            ..LoadOptions::default()
        },
    )
    .unwrap()
}

fn options() -> ReconstructOptions {
    ReconstructOptions {
        loss: Distance::L1,
        ..ReconstructOptions::default()
    }
}

fn training_step(c: &mut Criterion) {
    let t = teacher();
    let device = train::train_device();
    let (mut model, info) = train::fresh_model(&t, &options(), &device);
    // 64 words of 8 characters: the reference scripts' batch size, a typical word length.
    let rows: Vec<usize> = (0..t.len())
        .filter(|&i| t.words()[i].chars().count() == 8)
        .take(64)
        .collect();
    let encoded: Vec<Vec<u32>> = rows
        .iter()
        .map(|&i| info.model.vocab.encode(&t.words()[i]))
        .collect();
    let words: Vec<&[u32]> = encoded.iter().map(Vec::as_slice).collect();
    let target: Vec<f32> = rows.iter().flat_map(|&i| t.vector(i).to_vec()).collect();
    let mut optim = FusedAdam::init();
    let mut group = c.benchmark_group("reconstruct");
    group.throughput(Throughput::Elements(rows.len() as u64));
    group.bench_function("train_step_l1_b64_len8", |b| {
        b.iter(|| {
            let target =
                Tensor::<2>::from_data(TensorData::new(target.clone(), [rows.len(), 100]), &device);
            let output = model.forward(&words);
            let loss = Distance::L1.per_word(target, output, 0.0).sum();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(1e-3, model.clone(), grads);
        })
    });
    group.finish();
}

/// The fused BiLSTM op alone, forward and backward, in both of its modes: 64 words of 8
/// characters through per-character tables (a reconstruction batch), and 16 sentences of
/// 20 tokens through dense gates (a tagger batch); dimensions 100 as in the paper.
fn fused_op(c: &mut Criterion) {
    let device = train::train_device();
    let rng = &mut rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let mut random = |shape: Vec<usize>| {
        let n: usize = shape.iter().product();
        let values: Vec<f32> = (0..n).map(|_| rng.gen_range(-0.1..0.1)).collect();
        Tensor::<2>::from_data(TensorData::new(values, [shape[0], shape[1]]), &device)
            .require_grad()
    };
    let (hidden, chars) = (100, 40);
    let tables = [
        random(vec![chars, 4 * hidden]),
        random(vec![chars, 4 * hidden]),
    ];
    let recurrent = [
        random(vec![hidden, 4 * hidden]),
        random(vec![hidden, 4 * hidden]),
    ];
    let words: Vec<Vec<u32>> = (0..64)
        .map(|w| (0..8).map(|i| ((w * 7 + i * 3) % chars) as u32).collect())
        .collect();
    let rows = Arc::new(CharRows::new(words.iter().map(Vec::as_slice)));
    let gates = [
        random(vec![16 * 20, 4 * hidden]),
        random(vec![16 * 20, 4 * hidden]),
    ];
    let mut group = c.benchmark_group("fused_bilstm");
    group.throughput(Throughput::Elements(64));
    group.bench_function("chars_b64_len8_forward_backward", |b| {
        b.iter(|| {
            let out = fused::char_final_states(tables.clone(), recurrent.clone(), rows.clone());
            out.sum().backward()
        })
    });
    group.throughput(Throughput::Elements(16 * 20));
    group.bench_function("dense_16x20_states_forward_backward", |b| {
        b.iter(|| {
            let g = gates.clone().map(|g| g.reshape([16, 20, 4 * hidden]));
            let out = fused::dense_states(g, recurrent.clone(), Output::States);
            out.sum().backward()
        })
    });
    group.finish();
}

fn inference(c: &mut Criterion) {
    let t = teacher();
    let device = Device::flex();
    let (model, info) = train::fresh_model(&t, &options(), &device);
    let words: Vec<&str> = t.words()[..512].iter().map(String::as_str).collect();
    let mut group = c.benchmark_group("embed");
    group.throughput(Throughput::Elements(words.len() as u64));
    group.bench_function("burn_512_mixed_lengths", |b| {
        b.iter(|| embed_words(&model, &info.model.vocab, &words, 100))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = fused_op, training_step, inference
}
criterion_main!(benches);
