//! f16 storage (feature `f16`): the matrices stay f16 in memory and are widened exactly as
//! they are loaded, so on weights an f16 file can hold it computes bit for bit what f32
//! storage computes, on every ISA.

mod common;

use common::{available_isas, dims, embed, kernel, Model, Rng};

#[test]
fn f16_storage_equals_f32_storage_on_f16_weights_on_every_isa() {
    let mut rng = Rng::new(16);
    for d in [
        dims(30, 10, 13, 11, true),
        dims(100, 100, 100, 100, true),
        dims(20, 9, 16, 24, false),
    ] {
        let model = Model::random(&mut rng, d).rounded_to_f16();
        let (f32_packed, f16_packed) = (model.packed(), model.packed_f16());
        for isa in available_isas() {
            for (batch, len) in [(1, 8), (13, 5), (7, 1), (6, 0)] {
                let ids = rng.ids(batch * len, d.vocab);
                let want = embed(&kernel(d, &f32_packed, isa), &ids, batch, len);
                let got = embed(&kernel(d, &f16_packed, isa), &ids, batch, len);
                let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(&got),
                    bits(&want),
                    "{isa}, {d:?}, batch {batch} x {len}"
                );
            }
        }
    }
}

#[test]
fn f16_storage_halves_the_matrices_and_keeps_the_tables() {
    // The paper's size: tables 2 x 100 x 416, recurrent 2 x 100 x 416, projection 208 x 112,
    // bias 112 (padded), highway 100 x 112 and its bias 104, the header's 16 floats of slack.
    let d = dims(100, 100, 100, 100, true);
    let tables = 2 * 100 * 416;
    let matrices = 2 * 100 * 416 + 208 * 112 + 100 * 112;
    assert_eq!(d.packed_len(), tables + matrices + 112 + 104 + 16);
    assert_eq!(d.packed_len_f16(), tables + matrices / 2 + 112 + 104 + 16);
}

#[test]
fn a_kernel_tells_the_storages_apart_by_the_header() {
    let mut rng = Rng::new(17);
    let d = dims(30, 10, 13, 11, false);
    let model = Model::random(&mut rng, d);
    let mut f16 = model.packed_f16();
    // An f16 buffer has its own length: taken for f32 storage it is refused, not misread.
    assert_ne!(f16.len(), d.packed_len());
    let header = f16[0];
    for bad in [header - 64.0, header + 1.0e6, 0.0, -1.0, 0.5] {
        f16[0] = bad;
        let isa = available_isas()[0];
        assert!(
            sublex_kernel::Kernel::new(d, &f16, isa).is_err(),
            "header {bad}"
        );
    }
}
