#[path = "../tests/common/mod.rs"]
mod common;
use common::{dims, kernel, Model, Rng};
use sublex_kernel::Isa;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let isa = match args[1].as_str() { "scalar" => Isa::Scalar, _ => Isa::Avx2Fma };
    let batch: usize = args[2].parse().unwrap();
    let iters: usize = args[3].parse().unwrap();
    let highway = args.get(4).is_some();
    let mut rng = Rng::new(42);
    let d = dims(100, 100, 100, 100, highway);
    let model = Model::random(&mut rng, d);
    let packed = model.packed();
    let k = kernel(d, &packed, isa);
    let len = 8;
    let ids = rng.ids(batch * len, 100);
    let mut scratch = vec![0.0; d.scratch_len()];
    let mut out = vec![0.0; batch * 100];
    let t = std::time::Instant::now();
    let mut best = f64::MAX;
    for _ in 0..iters {
        let t0 = std::time::Instant::now();
        k.embed(&ids, batch, len, &mut scratch, &mut out).unwrap();
        best = best.min(t0.elapsed().as_secs_f64());
    }
    let el = t.elapsed().as_secs_f64();
    eprintln!("{} words total {:.3}s; best call {:.1} us = {:.0} words/s", batch * iters, el, best * 1e6, batch as f64 / best);
    std::hint::black_box(&out);
}
