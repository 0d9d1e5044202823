//! The activation functions, shared by every code path.
//!
//! `tanh` is Eigen's rational approximation (`ptanh_float`, the 13/6 odd/even minimax
//! quotient): a clamp, two short Horner chains and one division, accurate to a few ulp
//! (about 2.4e-7 absolute; see the tests) and branch-free, so it vectorises. Sigmoid reuses
//! it as `0.5 + 0.5 * tanh(0.5 * x)`, which is exact algebra. `libm` is not needed, so the
//! crate stays `no_std`, and every ISA evaluates the same formula (the SIMD paths with
//! FMA, hence last-bit differences between ISAs but never between words of one ISA).

// The constants keep Eigen's published digits, so they can be checked against the source;
// they round to the same f32 values as the truncated forms.
#![allow(clippy::excessive_precision)]

/// Beyond ±CLAMP the quotient is within rounding of ±1; clamping also keeps the
/// polynomials from overflowing.
pub(crate) const TANH_CLAMP: f32 = 7.905_311_107_635_498;

/// Numerator coefficients in Horner order: alpha_13, alpha_11, ..., alpha_1 (odd powers).
pub(crate) const TANH_ALPHA: [f32; 7] = [
    -2.760_768_477_423_55e-16,
    2.000_187_904_824_77e-13,
    -8.604_671_522_137_35e-11,
    5.122_297_090_371_14e-8,
    1.485_722_357_179_79e-5,
    6.372_619_288_754_36e-4,
    4.893_524_558_917_86e-3,
];

/// Denominator coefficients in Horner order: beta_6, beta_4, beta_2, beta_0 (even powers).
pub(crate) const TANH_BETA: [f32; 4] = [
    1.198_258_394_667_02e-6,
    1.185_347_056_866_54e-4,
    2.268_434_632_439_00e-3,
    4.893_525_185_543_85e-3,
];

/// Rational tanh approximation (scalar form: separate multiply and add, no FMA). Branch-free:
/// loops over it vectorise.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    // Written as compares and selects (not f32::clamp, which panics on NaN bounds and is
    // not a single instruction) so that loops over it vectorise. A NaN input stays NaN.
    let x = if x > TANH_CLAMP { TANH_CLAMP } else { x };
    let x = if x < -TANH_CLAMP { -TANH_CLAMP } else { x };
    let x2 = x * x;
    let mut p = TANH_ALPHA[0];
    p = p * x2 + TANH_ALPHA[1];
    p = p * x2 + TANH_ALPHA[2];
    p = p * x2 + TANH_ALPHA[3];
    p = p * x2 + TANH_ALPHA[4];
    p = p * x2 + TANH_ALPHA[5];
    p = p * x2 + TANH_ALPHA[6];
    p *= x;
    let mut q = TANH_BETA[0];
    q = q * x2 + TANH_BETA[1];
    q = q * x2 + TANH_BETA[2];
    q = q * x2 + TANH_BETA[3];
    p / q
}

/// Logistic sigmoid via the tanh identity, so it shares tanh's accuracy.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    0.5 + 0.5 * tanh(0.5 * x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Max absolute error of `f` against `exact` on a fine grid over [-lo, lo].
    fn max_err(f: fn(f32) -> f32, exact: fn(f64) -> f64, lo: f32) -> f64 {
        let n = 200_000;
        (0..=n)
            .map(|i| -lo + 2.0 * lo * i as f32 / n as f32)
            .map(|x| (f(x) as f64 - exact(x as f64)).abs())
            .fold(0.0, f64::max)
    }

    #[test]
    fn tanh_is_accurate_to_a_few_ulp() {
        let err = max_err(tanh, f64::tanh, 12.0);
        assert!(err < 5e-7, "tanh max abs error {err}");
        assert_eq!(tanh(0.0), 0.0);
        assert_eq!(tanh(100.0), tanh(TANH_CLAMP));
        assert!((tanh(100.0) - 1.0).abs() < 3e-7);
        assert!((tanh(-100.0) + 1.0).abs() < 3e-7);
    }

    #[test]
    fn sigmoid_is_accurate() {
        let err = max_err(sigmoid, |x| 1.0 / (1.0 + (-x).exp()), 30.0);
        assert!(err < 5e-7, "sigmoid max abs error {err}");
        assert_eq!(sigmoid(0.0), 0.5);
    }

    #[test]
    fn odd_symmetry_is_exact() {
        for i in 0..1000 {
            let x = i as f32 * 0.0137;
            assert_eq!(tanh(-x), -tanh(x));
        }
    }
}
