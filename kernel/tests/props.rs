//! Property test: random shapes, slice lengths and ids never panic; valid inputs succeed
//! with finite outputs.

mod common;

use common::{available_isas, Model, Rng};
use proptest::prelude::*;
use sublex_kernel::{pack, Dims, Kernel, OnnxWeights};

/// Shortens or lengthens `v` by `delta` (clamped at empty).
fn resize(v: &[f32], delta: i8) -> Vec<f32> {
    let n = (v.len() as isize + delta as isize).max(0) as usize;
    let mut out = v.to_vec();
    out.resize(n, 0.25);
    out
}

#[derive(Debug, Clone)]
struct Case {
    dims: Dims,
    /// Which weight slice (0..10) gets `delta` extra elements; 10 = none.
    bad_field: usize,
    delta: i8,
    batch: usize,
    len: usize,
    ids: Vec<u32>,
    ids_delta: i8,
    out_delta: i8,
    scratch_delta: i8,
    packed_delta: i8,
    seed: u64,
}

/// Mostly `1..hi`, sometimes 0.
fn size(hi: usize) -> impl Strategy<Value = usize> {
    prop_oneof![9 => 1..hi, 1 => Just(0usize)]
}

/// Mostly 0, sometimes one element too few or too many.
fn delta() -> impl Strategy<Value = i8> {
    prop_oneof![8 => Just(0i8), 1 => Just(-1i8), 1 => Just(1i8)]
}

fn case() -> impl Strategy<Value = Case> {
    (
        (0usize..6, size(5), size(11), size(11), any::<bool>()),
        (0usize..30, -2i8..3),
        (0usize..9, 0usize..7),
        (
            prop::collection::vec(0u32..8, 0..64),
            prop::bool::weighted(0.1),
        ),
        (delta(), delta(), delta(), delta()),
        any::<u64>(),
    )
        .prop_map(
            |(
                (vocab, char_dim, hidden, dim, highway),
                (bad_field, delta),
                (batch, len),
                (ids, bad_ids),
                d,
                seed,
            )| Case {
                dims: Dims {
                    vocab,
                    char_dim,
                    hidden,
                    dim,
                    highway,
                },
                bad_field: bad_field.min(10),
                delta,
                batch,
                len,
                // Mostly valid ids; sometimes leave them raw (possibly >= vocab).
                ids: if bad_ids {
                    ids
                } else {
                    ids.into_iter().map(|id| id % vocab.max(1) as u32).collect()
                },
                ids_delta: d.0,
                out_delta: d.1,
                scratch_delta: d.2,
                packed_delta: d.3,
                seed,
            },
        )
}

fn run(c: &Case) {
    let d = c.dims;
    let valid_dims = d.validate().is_ok();
    // Weights sized for the dims (or arbitrary small ones when the dims are invalid).
    let model = if valid_dims {
        Model::random(&mut Rng::new(c.seed), d)
    } else {
        Model::random(
            &mut Rng::new(c.seed),
            Dims {
                vocab: 1,
                char_dim: 1,
                hidden: 1,
                dim: 1,
                highway: d.highway,
            },
        )
    };
    let mut fields: Vec<Vec<f32>> = vec![
        model.chars.clone(),
        model.w.clone(),
        model.r.clone(),
        model.b.clone(),
        model.pf.clone(),
        model.pb.clone(),
        model.bias.clone(),
    ];
    let (hw_w, hw_b) = model.hw.clone().unwrap_or_default();
    fields.push(hw_w);
    fields.push(hw_b);
    let mut delta_applied = false;
    if c.bad_field < fields.len() && c.delta != 0 {
        fields[c.bad_field] = resize(&fields[c.bad_field], c.delta);
        delta_applied = true;
    }
    let weights = OnnxWeights {
        chars: &fields[0],
        w: &fields[1],
        r: &fields[2],
        b: &fields[3],
        proj_forward: &fields[4],
        proj_backward: &fields[5],
        proj_bias: &fields[6],
        highway: d.highway.then(|| (&fields[7][..], &fields[8][..])),
    };
    let packed_len = if valid_dims { d.packed_len() } else { 40 };
    let mut packed = vec![0.0f32; (packed_len as isize + c.packed_delta as isize).max(0) as usize];
    let packed_ok = pack(&d, &weights, &mut packed).is_ok();
    let lengths_ok =
        valid_dims && c.packed_delta == 0 && (!delta_applied || (c.bad_field >= 7 && !d.highway));
    if lengths_ok {
        assert!(packed_ok, "pack refused valid input {c:?}");
    }

    let ids: Vec<u32> = {
        let n = (c.batch * c.len) as isize + c.ids_delta as isize;
        (0..n.max(0) as usize)
            .map(|i| c.ids.get(i).copied().unwrap_or(0))
            .collect()
    };
    let dim = if valid_dims { d.dim } else { 1 };
    let mut out = vec![0.0f32; ((c.batch * dim) as isize + c.out_delta as isize).max(0) as usize];
    let scratch_len = if valid_dims { d.scratch_len() } else { 8 };
    let mut scratch =
        vec![f32::NAN; (scratch_len as isize + c.scratch_delta as isize).max(0) as usize];
    for isa in available_isas() {
        // SAFETY: `available_isas` only lists ISAs detected on this CPU.
        let Ok(k) = (unsafe { Kernel::new_unchecked(d, &packed, isa) }) else {
            assert!(
                !packed_ok || !lengths_ok,
                "new refused a packed buffer {c:?}"
            );
            continue;
        };
        let result = k.embed(&ids, c.batch, c.len, &mut scratch, &mut out);
        let ids_ok = ids.len() == c.batch * c.len && ids.iter().all(|&id| (id as usize) < d.vocab);
        let args_ok = ids_ok && out.len() == c.batch * d.dim && scratch.len() >= d.scratch_len();
        if packed_ok && args_ok {
            assert!(result.is_ok(), "{isa}: {result:?} for {c:?}");
            assert!(
                out.iter().all(|x| x.is_finite()),
                "{isa}: non-finite output"
            );
        } else if !args_ok {
            assert!(result.is_err(), "{isa}: accepted bad arguments {c:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_inputs_never_panic(c in case()) {
        run(&c);
    }
}
