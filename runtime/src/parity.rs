//! When two computations of the same model agree: the export parity rule that every engine
//! (the kernel, tract, burn, onnxruntime) is held to against the f64 reference and each other.

/// Largest difference allowed between an implementation (each runtime backend, burn) and
/// the f64 reference computation of the same weights, for outputs of magnitude up to 1; it
/// scales with the largest output component above that. f32 rounding grows with the vectors
/// and through the LSTM recurrence: on a 50-epoch model with components up to 10, long
/// made-up words reached 1.5e-5 (kernel), 1.8e-5 (burn) and 3.9e-5 (tract)
/// (docs/RESULTS.md).
pub const PARITY_TOLERANCE: f32 = 1e-5;

/// [`PARITY_TOLERANCE`] for vectors whose largest component is `max_abs_value`.
pub fn tolerance(max_abs_value: f32) -> f32 {
    PARITY_TOLERANCE * max_abs_value.max(1.0)
}

/// The largest `|a[i] - b[i]|`. Slices of different lengths are a caller's bug.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "comparing outputs of different lengths");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}
