//! f16 storage: [`pack_f16`] keeps the matrices the kernel multiplies by (recurrent,
//! projection, highway) as IEEE 754 binary16 values, half the memory of f32, and the float
//! products widen them as they load them (F16C and AVX-512 in hardware, elsewhere in
//! software). Widening is exact, so an f16 file computes exactly what it computed when its
//! weights were widened at load. The per-character tables stay f32: they are
//! `E[c]·W^T + b` computed in f64, not weights of the file, and rounding them to f16 would
//! change the results.

use crate::dims::INT8_TAG;
use crate::isa_ops::{Gemm, IsaOps, Weight};
use crate::pack::{check_lengths, pack_float, PackedFloat, RegionsMut};
use crate::{Dims, KernelError, OnnxWeights};

/// Added to the header of an f16 packed buffer, as `INT8_TAG` is for int8.
pub(crate) const F16_TAG: usize = 2 * INT8_TAG;

/// An IEEE 754 binary16 weight, as its bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(transparent)]
pub(crate) struct F16(pub u16);

impl Weight for F16 {
    const F16: bool = true;
    fn to_f32(self) -> f32 {
        f16_to_f32(self.0)
    }
    fn matmul<B: IsaOps>(ops: &B, m: Gemm<'_, Self>) {
        ops.matmul_f16(m);
    }
}

/// Read-only views of an f16 packed buffer.
pub(crate) type PackedF16<'a> = PackedFloat<'a, F16>;

/// Writes the f16 layout of `weights` into `out` (`out.len() == dims.packed_len_f16()`):
/// [`crate::pack`]'s layout with each matrix value rounded to f16 (exact for the weights of
/// an f16 file) and stored two to a float. `out[0]` records where the data starts, tagged
/// as f16.
pub fn pack_f16(
    dims: &Dims,
    weights: &OnnxWeights<'_>,
    out: &mut [f32],
) -> Result<(), KernelError> {
    let l = dims.layout()?;
    check_lengths(&l, weights, l.f16.packed_len, out.len())?;
    let regions = RegionsMut::after_header(out, F16_TAG)?;
    pack_float(&l, &l.f16, weights, regions, as_f16_mut, |x| {
        F16(f32_to_f16(x))
    })
}

/// A region's floats as f16 values (two per float, in memory order).
pub(crate) fn as_f16(s: &[f32]) -> &[F16] {
    // SAFETY: `F16` is a transparent u16, which needs less alignment than f32 and has no
    // invalid values; the view covers exactly the bytes of `s` for its lifetime.
    unsafe { core::slice::from_raw_parts(s.as_ptr().cast(), 2 * s.len()) }
}

fn as_f16_mut(s: &mut [f32]) -> &mut [F16] {
    // SAFETY: as `as_f16`; every u16 written leaves valid (if meaningless) f32 bits.
    unsafe { core::slice::from_raw_parts_mut(s.as_mut_ptr().cast(), 2 * s.len()) }
}

/// The f32 value of binary16 bits `h`, exactly (as F16C's `vcvtph2ps`).
#[inline(always)]
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h & 0x8000) << 16;
    let exp = u32::from(h >> 10) & 0x1f;
    let man = u32::from(h & 0x3ff);
    let magnitude = match exp {
        // Zero and subnormals: man · 2^-24, exact in f32.
        0 => (man as f32 * (1.0 / 16_777_216.0)).to_bits(),
        0x1f => 0x7f80_0000 | (man << 13),
        _ => ((exp + 112) << 23) | (man << 13),
    };
    f32::from_bits(sign | magnitude)
}

/// `x` rounded to the nearest binary16 value, ties to even (as `vcvtps2ph` with
/// round-to-nearest); overflow gives infinity, NaN stays NaN.
pub(crate) fn f32_to_f16(x: f32) -> u16 {
    let b = x.to_bits();
    let sign = ((b >> 16) & 0x8000) as u16;
    let exp = ((b >> 23) & 0xff) as i32;
    let man = b & 0x7f_ffff;
    if exp == 0xff {
        let nan = if man != 0 {
            0x200 | (man >> 13) as u16
        } else {
            0
        };
        return sign | 0x7c00 | nan;
    }
    let e = exp - 127 + 15;
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    if e <= 0 {
        // A subnormal (or zero) result: man · 2^-24 with the implicit bit, shifted down.
        if e < -10 {
            return sign;
        }
        let m = man | 0x80_0000;
        let shift = (14 - e) as u32;
        let half = 1u32 << (shift - 1);
        return sign | ((m + half - 1 + ((m >> shift) & 1)) >> shift) as u16;
    }
    let rest = man & 0x1fff;
    let mut h = ((e as u32) << 10) | (man >> 13);
    // Round to nearest, ties to even; a carry into the exponent is the correct result.
    if rest > 0x1000 || (rest == 0x1000 && h & 1 == 1) {
        h += 1;
    }
    sign | h as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_f16_widens_exactly_and_rounds_back_to_itself() {
        for h in 0..=u16::MAX {
            let x = f16_to_f32(h);
            if x.is_nan() {
                assert!(f32_to_f16(x) & 0x7c00 == 0x7c00 && f32_to_f16(x) & 0x3ff != 0);
                continue;
            }
            assert_eq!(f32_to_f16(x), h, "{h:#06x} -> {x}");
            // The value itself, computed another way: sign · (1 + m/1024) · 2^(e-15).
            let (e, m) = (i32::from(h >> 10 & 0x1f), f64::from(h & 0x3ff));
            let v = match e {
                0 => m * 2f64.powi(-24),
                0x1f => f64::INFINITY,
                _ => (1.0 + m / 1024.0) * 2f64.powi(e - 15),
            };
            let v = if h & 0x8000 != 0 { -v } else { v };
            assert_eq!(f64::from(x), v, "{h:#06x}");
        }
    }

    #[test]
    fn rounding_is_to_nearest_even() {
        // 1 + 2^-11 lies halfway between 1 and the next f16 (1 + 2^-10): ties go to even (1).
        assert_eq!(f32_to_f16(1.0 + 2f32.powi(-11)), 0x3c00);
        // 1 + 3·2^-11 lies halfway between 1 + 2^-10 (odd) and 1 + 2^-9: up to even.
        assert_eq!(f32_to_f16(1.0 + 3.0 * 2f32.powi(-11)), 0x3c02);
        // Just above halfway rounds up.
        assert_eq!(f32_to_f16(1.0 + 2f32.powi(-11) + 2f32.powi(-20)), 0x3c01);
        assert_eq!(
            f32_to_f16(65520.0),
            0x7c00,
            "rounds past the largest f16 to infinity"
        );
        assert_eq!(f32_to_f16(65519.0), 0x7bff);
        assert_eq!(
            f32_to_f16(2f32.powi(-25)),
            0,
            "half the smallest subnormal, a tie: even"
        );
        assert_eq!(f32_to_f16(1.5 * 2f32.powi(-25)), 1);
        assert_eq!(f32_to_f16(-0.0), 0x8000);
    }
}
