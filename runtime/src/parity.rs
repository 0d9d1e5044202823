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

/// Largest difference allowed between a word's vector computed alone and in a batch by tract,
/// which picks its matrix kernels by shape (one word is a matrix-vector product); on
/// AVX-512 they differ in the 7th digit. The kernel's are bit-identical (`hybrid_file.rs`
/// asserts it).
pub const TRACT_BATCH_TOLERANCE: f32 = 1e-6;

/// Largest difference allowed at int8 storage between the kernel (which computes from int8
/// weights and int16 activations, with one scale per output column) and an engine that
/// computes the file's weights in f32 (tract, onnxruntime, the f64 reference), for outputs of
/// magnitude up to 1; it scales with the largest component above that. It bounds the int8
/// error itself, not rounding: on the 50-epoch Dcos model of docs/RESULTS.md the export
/// check's 200 words (made-up ones among them) reached 0.53 with components up to 8.6
/// (0.061 x the largest), random test models 0.02 x. Quality at int8 is measured by cosine
/// (`sublex-report int8`); this only catches a broken int8 path.
pub const INT8_TOLERANCE: f32 = 0.1;

/// The tolerance between the kernel and an f32 computation of a file stored at `precision`.
pub fn tolerance_for(precision: crate::Precision, max_abs_value: f32) -> f32 {
    match precision {
        crate::Precision::Int8 => INT8_TOLERANCE * max_abs_value.max(1.0),
        _ => tolerance(max_abs_value),
    }
}

/// The export check's rule for the kernel at int8 on a trained model: per word, the relative
/// error `|kernel - exact| / |exact|` (L2, see [`relative_errors`]) at most
/// [`INT8_MAX_RELATIVE`], and on average at most [`INT8_MEAN_RELATIVE`]. A per-component
/// bound ([`INT8_TOLERANCE`]) does not fit trained models: on strings of punctuation and
/// unknown characters a trained LSTM amplifies the tables' int8 rounding step by step (the
/// highway student's export check reached 0.21 x its largest component on one such string,
/// docs/RESULTS.md), while a broken path (a wrong scale, layout or sum) moves every word.
pub const INT8_MAX_RELATIVE: f32 = 0.75;
/// See [`INT8_MAX_RELATIVE`].
pub const INT8_MEAN_RELATIVE: f32 = 0.05;

/// Per word of `dim` values: `|a - b| / |b|` in L2 norm (0 when both are zero, 1 when only
/// `b` is).
pub fn relative_errors(a: &[f32], b: &[f32], dim: usize) -> Vec<f32> {
    assert_eq!(a.len(), b.len(), "comparing outputs of different lengths");
    (a.chunks(dim.max(1)).zip(b.chunks(dim.max(1))))
        .map(|(a, b)| {
            let diff: f32 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
            let base: f32 = b.iter().map(|y| y * y).sum();
            match (diff, base) {
                (d, _) if d == 0.0 => 0.0,
                (_, b) if b == 0.0 => 1.0,
                (d, b) => (d / b).sqrt(),
            }
        })
        .collect()
}

/// Between two instruction sets of the kernel at int8 storage (AVX2 and the portable path,
/// wasm and x86, a Cortex-M4 and x86), for outputs of magnitude up to 1: the gate math
/// differs in its last bits (fused multiply-add or not), and a hidden state that lands on
/// the other side of an int16 rounding step moves a product by a weight's scale / 32767,
/// which the recurrence carries on (`kernel/tests/reference.rs` measures 2.4e-4).
pub const INT8_ISA_TOLERANCE: f32 = 1e-3;

/// The tolerance between two instruction sets of the kernel on a file stored at `precision`.
pub fn isa_tolerance(precision: crate::Precision, max_abs_value: f32) -> f32 {
    match precision {
        crate::Precision::Int8 => INT8_ISA_TOLERANCE * max_abs_value.max(1.0),
        _ => tolerance(max_abs_value),
    }
}

/// The largest `|a[i] - b[i]|`. Slices of different lengths are a caller's bug.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "comparing outputs of different lengths");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_errors_are_per_word_l2_ratios() {
        let exact = [3.0, 4.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0];
        let got = [3.0, 4.0, 0.0, 0.0, 0.5, 0.0, 2.0, 0.0];
        // Equal; both zero; only the exact one zero; |(1, 0)| / |(1, 0)|.
        assert_eq!(relative_errors(&got, &exact, 2), vec![0.0, 0.0, 1.0, 1.0]);
        let scaled: Vec<f32> = exact.iter().map(|x| 2.0 * x).collect();
        let r = relative_errors(&scaled, &exact, 2);
        assert!(r.iter().all(|&e| e == 0.0 || e == 1.0), "{r:?}");
        assert!(
            r[0] == 1.0,
            "a doubled vector is a relative error of 1, beyond the int8 rule"
        );
    }
}
