//! Train -> export -> runtime: numeric parity between burn, tract and the kernel on a real
//! trained model, and what f16/int8 storage costs. (The runtime's own tests, which also run
//! on ARM, cover state reuse, batch independence and damaged files.)

mod common;

use common::fixture;
use sublex_runtime::parity::{max_abs_diff, tolerance_for, PARITY_TOLERANCE};
use sublex_runtime::{Artifact, BackendChoice, Precision};
use sublex_trainer::checkpoint::load_model;
use sublex_trainer::embed::embed_words;
use sublex_trainer::export::runtime_vectors;

const BACKENDS: [BackendChoice; 2] = [BackendChoice::Tract, BackendChoice::Kernel];

fn burn_vectors(model_dir: &std::path::Path, words: &[String]) -> Vec<f32> {
    let device = burn::tensor::Device::flex();
    let (model, info) = load_model(model_dir, &device).unwrap();
    embed_words(&model, &info.model.vocab, words, info.model.dim)
}

#[test]
fn f32_export_matches_burn_on_both_backends() {
    let f = fixture();
    let words = f.words();
    for (model_dir, onnx) in [
        (&f.model_dir, f.onnx(Precision::F32)),
        (&f.highway_dir, f.highway_onnx.as_path()),
    ] {
        let want = burn_vectors(model_dir, &words);
        let artifact = Artifact::open(onnx).unwrap();
        for backend in BACKENDS {
            let got = runtime_vectors(&artifact, backend, &words).unwrap();
            let diff = max_abs_diff(&got, &want);
            assert!(
                diff <= PARITY_TOLERANCE,
                "{backend:?} on {}: max |diff| {diff:e}",
                onnx.display()
            );
        }
    }
}

/// Quantised files: tract computes the file's own weights exactly (checked by export against
/// burn), the kernel within its int8 tolerance, and both stay close to the f32 model. Bounds from measured runs, with headroom.
#[test]
fn f16_and_int8_stay_within_their_measured_tolerances() {
    let f = fixture();
    for (precision, max_diff, min_cosine) in [
        (Precision::F16, 2e-3, 0.99999),
        (Precision::Int8, 3e-2, 0.999),
    ] {
        let (_, _, report) = f.exports.iter().find(|(p, _, _)| *p == precision).unwrap();
        // tract computes the file's weights in f32; the kernel keeps int8 files int8.
        assert!(report.max_diff_tract <= PARITY_TOLERANCE, "{report:?}");
        assert!(
            report.max_diff_kernel <= tolerance_for(precision, report.max_abs_value),
            "{report:?}"
        );
        assert!(
            report.precision_max_diff <= max_diff,
            "{precision}: {report:?}"
        );
        assert!(
            report.precision_min_cosine >= min_cosine,
            "{precision}: {report:?}"
        );
        assert!(
            report.precision_max_diff > 0.0,
            "{precision} storage must actually round: {report:?}"
        );
    }
    let size = |p| std::fs::metadata(f.onnx(p)).unwrap().len() as f64;
    assert!(size(Precision::F16) < 0.55 * size(Precision::F32));
    assert!(size(Precision::Int8) < 0.35 * size(Precision::F32));
}
