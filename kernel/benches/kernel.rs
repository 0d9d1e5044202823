//! `embed` throughput at the paper's size (H = char_dim = dim = 100, vocab 100), per ISA and
//! storage (f32, int8): a batch of 256 eight-character words and a single eight-character
//! word, without and with the highway layer. Run with
//! `nice cargo bench -p sublex-kernel --bench kernel -- --warm-up-time 1 --measurement-time 3`.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{available_isas, dims, kernel, Model, Rng};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

fn bench_embed(c: &mut Criterion) {
    let mut rng = Rng::new(42);
    for highway in [false, true] {
        let d = dims(100, 100, 100, 100, highway);
        let model = Model::random(&mut rng, d);
        let mut scratch = vec![0.0f32; d.scratch_len()];
        let name = if highway { "embed_highway" } else { "embed" };
        let mut group = c.benchmark_group(name);
        let storages = model.storages();
        for ((storage, packed), isa) in storages
            .iter()
            .flat_map(|s| available_isas().into_iter().map(move |isa| (s, isa)))
        {
            let k = kernel(d, packed, isa);
            for (batch, len) in [(256usize, 8usize), (1, 8)] {
                let ids = rng.ids(batch * len, d.vocab);
                let mut out = vec![0.0f32; batch * d.dim];
                group.throughput(Throughput::Elements(batch as u64));
                let id = BenchmarkId::new(
                    format!("{}-{storage}", isa.name()),
                    format!("{batch}x{len}"),
                );
                group.bench_function(id, |b| {
                    b.iter(|| {
                        k.embed(black_box(&ids), batch, len, &mut scratch, &mut out)
                            .expect("embed");
                        black_box(&out);
                    })
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, bench_embed);
criterion_main!(benches);
