//! int8 storage against the f64 reference of the f32 weights it was packed from: every shape
//! stays within the int8 tolerance, the error the quantised weights explain.

mod common;

use common::{available_isas, dims, embed, kernel, Model, Rng};
use sublex_kernel::Dims;

/// Worst `(cosine, abs diff / max(1, |largest|))` of int8 against the reference.
fn int8_error(model: &Model, packed: &[f32], isa: sublex_kernel::Isa, rng: &mut Rng) -> (f64, f64) {
    let d = model.dims;
    let (mut worst_cos, mut worst_abs) = (1.0f64, 0.0f64);
    for len in [1, 3, 8, 15] {
        let batch = 9;
        let ids = rng.ids(batch * len, d.vocab);
        let out = embed(&kernel(d, packed, isa), &ids, batch, len);
        for (w, got) in out.chunks_exact(d.dim).enumerate() {
            let want = model.reference(&ids[w * len..(w + 1) * len]);
            let largest = want.iter().fold(1.0f64, |m, x| m.max(x.abs()));
            let dot: f64 = got.iter().zip(&want).map(|(&a, b)| f64::from(a) * b).sum();
            let norm = |v: &mut dyn Iterator<Item = f64>| v.map(|x| x * x).sum::<f64>().sqrt();
            let cos = dot
                / (norm(&mut got.iter().map(|&x| f64::from(x))) * norm(&mut want.iter().copied()));
            let abs = got
                .iter()
                .zip(&want)
                .map(|(&a, b)| (f64::from(a) - b).abs())
                .fold(0.0, f64::max);
            worst_cos = worst_cos.min(cos);
            worst_abs = worst_abs.max(abs / largest);
        }
    }
    (worst_cos, worst_abs)
}

/// The int8 tolerance on these random models (weights mostly within ±0.3, one in ten within
/// ±1.5, as `common::Rng::weight` draws them).
const MIN_COS: f64 = 0.995;
const MAX_REL: f64 = 0.08;

fn check(d: Dims, seed: u64) {
    let mut rng = Rng::new(seed);
    let model = Model::random(&mut rng, d);
    let packed = model.packed_int8();
    for isa in available_isas() {
        let (cos, rel) = int8_error(&model, &packed, isa, &mut rng);
        println!("{isa:>8} int8 {d:?}: worst cosine {cos:.5}, worst abs diff {rel:.2e} x max(1, |largest|)");
        assert!(
            cos >= MIN_COS && rel <= MAX_REL,
            "{isa} {d:?}: cosine {cos}, diff {rel}"
        );
    }
}

#[test]
fn int8_is_close_to_the_f32_model() {
    check(dims(100, 100, 100, 100, true), 21);
    check(dims(100, 100, 100, 100, false), 22);
    // Depths that are not multiples of 4 (the quad padding), odd widths.
    check(dims(30, 10, 13, 11, true), 23);
    check(dims(20, 9, 5, 7, false), 24);
}

/// The int8 buffer holds a quarter of the f32 one's weights, give or take scales and biases.
#[test]
fn int8_is_a_quarter_of_f32() {
    let d = dims(77, 100, 100, 100, false);
    let (f32_len, int8_len) = (d.packed_len(), d.packed_len_int8());
    println!("packed floats: f32 {f32_len}, int8 {int8_len}");
    assert!(int8_len * 100 <= f32_len * 27, "{int8_len} vs {f32_len}");
}

/// The AVX-512 int8 product sums exactly what AVX2's does and shares its epilogue and gate
/// math, so the two paths give the same bits, whatever the batch (one word, a partial tile,
/// several tiles) and also for widths that end in a half panel.
#[cfg(target_arch = "x86_64")]
#[test]
fn avx512_int8_equals_avx2_bit_for_bit() {
    use sublex_kernel::Isa;
    let isas = available_isas();
    if !isas.contains(&Isa::Avx512) {
        println!("no AVX-512 on this CPU: nothing to compare");
        return;
    }
    for (d, seed) in [
        (dims(100, 100, 100, 100, true), 31),
        (dims(30, 10, 13, 11, false), 32),
        (dims(20, 9, 6, 7, true), 33),
    ] {
        let mut rng = Rng::new(seed);
        let packed = Model::random(&mut rng, d).packed_int8();
        for (batch, len) in [(1, 8), (3, 5), (9, 1), (17, 12)] {
            let ids = rng.ids(batch * len, d.vocab);
            let avx2 = embed(&kernel(d, &packed, Isa::Avx2Fma), &ids, batch, len);
            let avx512 = embed(&kernel(d, &packed, Isa::Avx512), &ids, batch, len);
            assert_eq!(avx2, avx512, "{d:?}, {batch} words of {len}");
        }
    }
}
