//! Every bad input is an error, never a panic, and leaves the output untouched.

mod common;

use common::{available_isas, dims, embed, kernel, Model, Rng};
use sublex_kernel::{pack, Dims, Isa, Kernel, KernelError};

fn model(highway: bool) -> Model {
    Model::random(&mut Rng::new(11), dims(12, 5, 7, 9, highway))
}

fn length_error(e: KernelError) -> &'static str {
    match e {
        KernelError::LengthMismatch { what, .. } => what,
        other => panic!("expected LengthMismatch, got {other:?}"),
    }
}

#[test]
fn pack_rejects_every_wrong_length() {
    let m = model(true);
    let d = m.dims;
    let mut out = vec![0.0; d.packed_len()];
    let short = |v: &Vec<f32>| v[..v.len() - 1].to_vec();
    let (hw_w, hw_b) = m.hw.clone().unwrap();
    let bad = [
        short(&m.chars),
        short(&m.w),
        short(&m.r),
        short(&m.b),
        short(&m.pf),
        short(&m.pb),
        short(&m.bias),
        short(&hw_w),
        short(&hw_b),
    ];
    let names = [
        "chars",
        "w",
        "r",
        "b",
        "proj_forward",
        "proj_backward",
        "proj_bias",
        "highway weight",
        "highway bias",
    ];
    for (i, (bad, name)) in bad.iter().zip(names).enumerate() {
        let mut w = m.onnx();
        match i {
            0 => w.chars = bad,
            1 => w.w = bad,
            2 => w.r = bad,
            3 => w.b = bad,
            4 => w.proj_forward = bad,
            5 => w.proj_backward = bad,
            6 => w.proj_bias = bad,
            7 => w.highway = Some((bad, &hw_b)),
            _ => w.highway = Some((&hw_w, bad)),
        }
        let err = pack(&d, &w, &mut out).unwrap_err();
        assert_eq!(length_error(err), name);
        assert!(!err.to_string().is_empty());
    }
    let err = pack(&d, &m.onnx(), &mut out[1..]).unwrap_err();
    assert_eq!(length_error(err), "packed");
    assert!(pack(&d, &m.onnx(), &mut out).is_ok());
}

#[test]
fn highway_must_match_dims() {
    let with = model(true);
    let without = model(false);
    let mut out = vec![0.0; with.dims.packed_len().max(without.dims.packed_len())];
    let n = with.dims.packed_len();
    assert_eq!(
        pack(&with.dims, &without.onnx(), &mut out[..n]),
        Err(KernelError::HighwayMismatch)
    );
    let n = without.dims.packed_len();
    let mut w = without.onnx();
    w.highway = with.onnx().highway;
    assert_eq!(
        pack(&without.dims, &w, &mut out[..n]),
        Err(KernelError::HighwayMismatch)
    );
}

#[test]
fn invalid_dims_are_rejected() {
    let base = dims(12, 5, 7, 9, false);
    for d in [
        Dims { hidden: 0, ..base },
        Dims { dim: 0, ..base },
        Dims {
            char_dim: 0,
            ..base
        },
        Dims {
            hidden: usize::MAX / 2,
            ..base
        },
        Dims {
            vocab: usize::MAX / 3,
            ..base
        },
        Dims {
            dim: usize::MAX,
            ..base
        },
    ] {
        assert!(
            matches!(d.validate(), Err(KernelError::InvalidDims(_))),
            "{d:?}"
        );
        assert_eq!(d.packed_len(), usize::MAX);
        assert_eq!(d.scratch_len(), usize::MAX);
        let m = model(false);
        let mut out = [0.0; 16];
        assert!(matches!(
            pack(&d, &m.onnx(), &mut out),
            Err(KernelError::InvalidDims(_))
        ));
        assert!(matches!(
            Kernel::new(d, &out, Isa::Scalar),
            Err(KernelError::InvalidDims(_))
        ));
    }
    // vocab = 0 is a valid (if useless) model: only empty words can be embedded.
    let d = Dims { vocab: 0, ..base };
    let m = Model::random(&mut Rng::new(1), d);
    let packed = m.packed();
    let k = Kernel::new(d, &packed, Isa::Scalar).unwrap();
    assert_eq!(embed(&k, &[], 2, 0).len(), 18);
}

#[test]
fn kernel_rejects_bad_packed_buffers() {
    let m = model(false);
    let d = m.dims;
    let packed = m.packed();
    let err = Kernel::new(d, &packed[..packed.len() - 1], Isa::Scalar).unwrap_err();
    assert_eq!(length_error(err), "packed");
    // An f32 buffer whose header says int8 has the wrong length for int8.
    let mut tagged = packed.clone();
    tagged[0] += 32.0;
    let err = Kernel::new(d, &tagged, Isa::Scalar).unwrap_err();
    assert_eq!(length_error(err), "packed");
    for header in [0.0, 17.0, 32.0, 49.0, 1.5, -1.0, f32::NAN, f32::INFINITY] {
        let mut p = packed.clone();
        p[0] = header;
        assert_eq!(
            Kernel::new(d, &p, Isa::Scalar).unwrap_err(),
            KernelError::NotPacked
        );
    }
    let other = Dims { highway: true, ..d };
    assert!(Kernel::new(other, &packed, Isa::Scalar).is_err());
}

#[test]
fn embed_rejects_bad_arguments_and_leaves_out_alone() {
    let m = model(true);
    let d = m.dims;
    let packed = m.packed();
    for isa in available_isas() {
        let k = kernel(d, &packed, isa);
        let mut scratch = vec![0.0; d.scratch_len()];
        let sentinel = 12345.0f32;
        let mut out = vec![sentinel; 3 * d.dim];
        let ids = vec![1u32; 3 * 4];
        let call = |ids: &[u32], batch, len, scratch: &mut [f32], out: &mut [f32]| {
            k.embed(ids, batch, len, scratch, out)
        };

        let e = call(&ids[1..], 3, 4, &mut scratch, &mut out).unwrap_err();
        assert_eq!(length_error(e), "ids");
        let e = call(&ids, 3, 4, &mut scratch, &mut out[1..]).unwrap_err();
        assert_eq!(length_error(e), "out");
        let e = call(&ids, 3, 4, &mut scratch[1..], &mut out).unwrap_err();
        assert_eq!(length_error(e), "scratch");
        let e = call(&ids, usize::MAX, 2, &mut scratch, &mut out).unwrap_err();
        assert!(matches!(e, KernelError::InvalidDims(_)));

        let mut bad = ids.clone();
        bad[7] = d.vocab as u32;
        let e = call(&bad, 3, 4, &mut scratch, &mut out).unwrap_err();
        assert_eq!(
            e,
            KernelError::IdOutOfRange {
                index: 7,
                id: 12,
                vocab: 12
            }
        );
        bad[7] = u32::MAX;
        assert!(call(&bad, 3, 4, &mut scratch, &mut out).is_err());
        assert!(
            out.iter().all(|&x| x == sentinel),
            "{isa}: out written on error"
        );

        // A larger scratch is fine.
        let mut big = vec![0.0; d.scratch_len() + 100];
        assert!(call(&ids, 3, 4, &mut big, &mut out).is_ok());
    }
}

#[test]
fn unavailable_isa_is_refused_by_new() {
    let m = model(false);
    let packed = m.packed();
    for &isa in Isa::ALL {
        let made = Kernel::new(m.dims, &packed, isa);
        if isa.is_available() {
            assert!(made.is_ok());
        } else {
            assert_eq!(made.unwrap_err(), KernelError::IsaUnavailable(isa));
        }
    }
    assert!(Isa::Scalar.is_available());
}

/// Scratch and packed buffers at any alignment give the same bits (alignment only affects
/// speed).
#[test]
fn alignment_does_not_change_results() {
    let m = Model::random(&mut Rng::new(12), dims(20, 9, 13, 11, true));
    let d = m.dims;
    let packed = m.packed();
    let mut rng = Rng::new(13);
    let (batch, len) = (9, 5);
    let ids = rng.ids(batch * len, d.vocab);
    for isa in available_isas() {
        let want = embed(&kernel(d, &packed, isa), &ids, batch, len);
        for shift in 0..16 {
            // Packed copied to another alignment.
            let mut moved = vec![0.0f32; packed.len() + 16];
            moved[shift..shift + packed.len()].copy_from_slice(&packed);
            let k = kernel(d, &moved[shift..shift + packed.len()], isa);
            // Scratch at another alignment.
            let mut scratch = vec![f32::NAN; d.scratch_len() + 16];
            let mut out = vec![0.0; batch * d.dim];
            k.embed(&ids, batch, len, &mut scratch[shift..], &mut out)
                .unwrap();
            assert_eq!(
                out.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                want.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                "{isa} shift {shift}"
            );
        }
    }
}

#[cfg(feature = "std")]
#[test]
fn kernel_error_is_std_error() {
    fn takes(_: &dyn std::error::Error) {}
    takes(&KernelError::NotPacked);
}
