//! Numerical tests: every available ISA against a naive f64 reference computed from the
//! ONNX-layout weights, ISAs against each other, and bit-exact batch independence.

mod common;

use common::{available_isas, dims, embed, kernel, Model, Rng};
use sublex_kernel::{Dims, Isa};

const TOL: f64 = 1e-5;
/// ISAs at int8 storage (the runtime's `parity::INT8_ISA_TOLERANCE`): their gate math
/// differs in the last bits (FMA or not), and a
/// hidden state that lands on the other side of an int16 rounding step moves a product by
/// up to a weight's scale / 32767, which the recurrence carries on.
const TOL_INT8: f64 = 1e-3;

/// Max |kernel - reference| over `batch` random words of length `len`.
fn max_diff_vs_reference(
    model: &Model,
    packed: &[f32],
    isa: Isa,
    batch: usize,
    len: usize,
    rng: &mut Rng,
) -> f64 {
    let d = model.dims;
    let ids = rng.ids(batch * len, d.vocab);
    let out = embed(&kernel(d, packed, isa), &ids, batch, len);
    let mut worst = 0.0f64;
    for w in 0..batch {
        let expect = model.reference(&ids[w * len..(w + 1) * len]);
        for (got, want) in out[w * d.dim..(w + 1) * d.dim].iter().zip(&expect) {
            worst = worst.max((*got as f64 - want).abs());
        }
    }
    worst
}

fn check_shape(d: Dims, cases: &[(usize, usize)], seed: u64) {
    let mut rng = Rng::new(seed);
    let model = Model::random(&mut rng, d);
    let packed = model.packed();
    for isa in available_isas() {
        let mut worst = 0.0f64;
        for &(batch, len) in cases {
            let diff = max_diff_vs_reference(&model, &packed, isa, batch, len, &mut rng);
            assert!(
                diff <= TOL,
                "{isa} {d:?} batch {batch} len {len}: max abs diff {diff:e}"
            );
            worst = worst.max(diff);
        }
        println!(
            "{isa:>8} H={:<3} dim={:<3} highway={:<5} max abs diff vs f64 reference {worst:.2e}",
            d.hidden, d.dim, d.highway
        );
    }
}

/// Batch sizes with every remainder modulo the 6-row tile, lengths 0..=64.
const SMALL_CASES: &[(usize, usize)] = &[
    (1, 0),
    (3, 0),
    (1, 1),
    (2, 1),
    (7, 1),
    (1, 2),
    (5, 3),
    (6, 4),
    (8, 5),
    (11, 7),
    (12, 8),
    (13, 9),
    (17, 12),
    (19, 16),
    (20, 23),
    (4, 33),
    (3, 64),
    (9, 64),
];

#[test]
fn tiny_hidden_not_multiple_of_8() {
    for highway in [false, true] {
        check_shape(dims(11, 7, 5, 3, highway), SMALL_CASES, 1);
        check_shape(dims(30, 10, 13, 11, highway), SMALL_CASES, 2);
    }
}

#[test]
fn hidden_multiple_of_8_and_wide_output() {
    check_shape(dims(20, 9, 16, 24, true), SMALL_CASES, 3);
    check_shape(dims(20, 9, 8, 1, true), SMALL_CASES, 4);
    check_shape(dims(20, 9, 8, 2, false), SMALL_CASES, 14);
}

#[test]
fn paper_size_h100() {
    let cases: &[(usize, usize)] = &[(1, 0), (1, 1), (7, 3), (1, 8), (13, 8), (2, 20), (1, 64)];
    check_shape(dims(100, 100, 100, 100, false), cases, 5);
    check_shape(dims(100, 100, 100, 100, true), cases, 6);
}

/// A word's bits must not depend on the batch around it: full tiles, remainder tiles and
/// the one-word path all run the same per-row arithmetic.
#[test]
fn batch_independence_is_bitwise() {
    let mut rng = Rng::new(7);
    for d in [
        dims(30, 10, 13, 11, true),
        dims(100, 100, 100, 100, true),
        dims(20, 9, 16, 24, false),
    ] {
        let model = Model::random(&mut rng, d);
        for ((storage, packed), isa) in model.storages().into_iter().flat_map(|s| {
            available_isas()
                .into_iter()
                .map(move |isa| (s.clone(), isa))
        }) {
            let k = kernel(d, &packed, isa);
            let isa = format!("{isa} {storage}");
            for (batch, len) in [(20, 1), (13, 5), (7, 8), (19, 2), (6, 0)] {
                let ids = rng.ids(batch * len, d.vocab);
                let all = embed(&k, &ids, batch, len);
                // Alone.
                for w in 0..batch {
                    let alone = embed(&k, &ids[w * len..(w + 1) * len], 1, len);
                    assert_bits_eq(&alone, &all[w * d.dim..(w + 1) * d.dim], &isa, w);
                }
                // Reversed order: every word changes position and tile neighbours.
                let rev: Vec<u32> = (0..batch)
                    .rev()
                    .flat_map(|w| ids[w * len..(w + 1) * len].to_vec())
                    .collect();
                let rev_out = embed(&k, &rev, batch, len);
                for w in 0..batch {
                    let r = batch - 1 - w;
                    assert_bits_eq(
                        &rev_out[r * d.dim..(r + 1) * d.dim],
                        &all[w * d.dim..(w + 1) * d.dim],
                        &isa,
                        w,
                    );
                }
                // Every prefix batch (all remainders).
                for b in 1..batch {
                    let part = embed(&k, &ids[..b * len], b, len);
                    assert_bits_eq(&part, &all[..b * d.dim], &isa, b);
                }
            }
        }
    }
}

fn assert_bits_eq(a: &[f32], b: &[f32], isa: &str, w: usize) {
    let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(a), bits(b), "{isa}: word {w} differs with its batch");
}

#[test]
fn isas_agree() {
    let mut rng = Rng::new(8);
    let d = dims(100, 100, 100, 100, true);
    let model = Model::random(&mut rng, d);
    let (batch, len) = (14, 9);
    let ids = rng.ids(batch * len, d.vocab);
    for (storage, packed) in model.storages() {
        let outs: Vec<(Isa, Vec<f32>)> = available_isas()
            .into_iter()
            .map(|isa| (isa, embed(&kernel(d, &packed, isa), &ids, batch, len)))
            .collect();
        for (isa, out) in &outs[1..] {
            let diff = out
                .iter()
                .zip(&outs[0].1)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            println!("{isa} vs scalar, {storage}: max abs diff {diff:.2e}");
            let tol = if storage == "int8" { TOL_INT8 } else { TOL };
            assert!(
                f64::from(diff) <= tol,
                "{isa} vs scalar, {storage}: {diff:e}"
            );
        }
    }
}

/// With no characters both final states are zero: the output is `relu(bias)` (+ highway).
#[test]
fn empty_word_depends_only_on_biases() {
    let mut rng = Rng::new(9);
    let d = dims(10, 4, 5, 6, false);
    let model = Model::random(&mut rng, d);
    let packed = model.packed();
    for isa in available_isas() {
        let out = embed(&kernel(d, &packed, isa), &[], 2, 0);
        let want: Vec<f32> = model.bias.iter().map(|b| b.max(0.0)).collect();
        assert_eq!(&out[..6], &want[..]);
        assert_eq!(&out[6..], &want[..]);
    }
}

#[test]
fn empty_batch_is_ok() {
    let mut rng = Rng::new(10);
    let d = dims(10, 4, 5, 6, true);
    let model = Model::random(&mut rng, d);
    let packed = model.packed();
    for isa in available_isas() {
        assert!(embed(&kernel(d, &packed, isa), &[], 0, 5).is_empty());
    }
}

#[cfg(feature = "std")]
#[test]
fn detect_picks_an_available_isa() {
    let isa = Isa::detect();
    assert!(isa.is_available());
    assert_eq!(isa, *available_isas().last().unwrap());
}
