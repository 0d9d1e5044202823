//! `export` of a tagger: a trained tagger directory -> one ONNX file for the runtime
//! ([`sublex_runtime::TaggerModel`]), checked sentence by sentence against burn before returning.
//!
//! Only character-only taggers (CHAR, CHAR(D)) export: the FULL variants' word table is the
//! very thing the paper replaces, and would make the file tens of megabytes.

use super::model::{Lexicon, TaggerConfig, TaggerModel};
use super::train::load_tagger;
use super::Sentence;
use crate::checkpoint;
use crate::export::{data, data1, lstm_from_onnx, model_from_weights, onnx_lstm, weights_of};
use crate::init::param;
use anyhow::{bail, Context, Result};
use burn::nn::Linear;
use burn::tensor::Device;
use std::path::Path;
use sublex_runtime::artifact::{
    encode_tagger, Kind, Manifest, Precision, TaggerDims, TaggerWeights, FORMAT_VERSION,
};
use sublex_runtime::parity::{max_abs_diff, tolerance, tolerance_for};
use sublex_runtime::{best_tag, Artifact, BackendChoice, TagId};

/// Largest difference allowed between burn's and the runtime's tag scores while the scores
/// stay under magnitude 10; above that the parity rule's relative bound takes over, since
/// f32 rounding grows with the values (a converged EWT tagger, largest |score| 130, reached
/// 1.5e-4 in the kernel with every tag the same; docs/RESULTS.md).
pub const SCORE_TOLERANCE: f32 = 1e-4;

/// The tolerance for tag scores whose largest magnitude is `max_abs_score`: the larger of
/// [`SCORE_TOLERANCE`] and the parity rule's [`tolerance`] (1e-5 of the largest value).
pub fn score_tolerance(max_abs_score: f32) -> f32 {
    SCORE_TOLERANCE.max(tolerance(max_abs_score))
}

/// What a tagger export wrote and measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TaggerExportReport {
    pub bytes: u64,
    pub precision: String,
    pub sentences_checked: usize,
    pub tokens_checked: usize,
    /// burn (on the file's weights) against each runtime backend.
    pub max_score_diff_kernel: f32,
    pub max_score_diff_tract: f32,
    /// The largest |score| burn gave (the scale of the int8 tolerance).
    pub max_abs_score: f32,
    /// Tokens where a backend that computes the file's weights exactly (tract; the kernel
    /// too, except at int8) tags differently from burn.
    pub tags_differing: usize,
    /// At int8, tokens where the kernel, which computes from int8 in memory, tags
    /// differently from burn on the file's weights (0 at other precisions).
    pub kernel_int8_tags_changed: usize,
    /// Tokens whose tag under the file's precision differs from the f32 tagger's (burn).
    pub precision_tags_changed: usize,
}

/// burn's tagger in ONNX layout.
pub fn tagger_weights_of(model: &TaggerModel) -> TaggerWeights {
    let (w, r, b) = onnx_lstm(&model.forward_lstm, &model.backward_lstm);
    let bias = |l: &Linear| data1(l.bias.as_ref().expect("MLP layers have biases").val());
    TaggerWeights {
        chars: weights_of(&model.chars),
        w,
        r,
        b,
        mlp_weight: data(model.hidden_layer.weight.val()),
        mlp_bias: bias(&model.hidden_layer),
        out_weight: data(model.output_layer.weight.val()),
        out_bias: bias(&model.output_layer),
    }
}

/// A burn tagger computing exactly what `w` computes.
pub fn tagger_from_weights(
    template: &TaggerModel,
    w: &TaggerWeights,
    device: &Device,
) -> TaggerModel {
    let input = template.forward_lstm.w_input.dims()[0];
    let hidden = template.forward_lstm.hidden();
    let lstm = |dir| lstm_from_onnx((&w.w, &w.r, &w.b), dir, input, hidden, device);
    let linear = |weight: &[f32], bias: &[f32], template: &Linear| {
        let dims = template.weight.dims();
        Linear {
            weight: param(weight.to_vec(), dims, device),
            bias: Some(param(bias.to_vec(), [dims[1]], device)),
        }
    };
    TaggerModel {
        chars: model_from_weights(&template.chars, &w.chars, device),
        words: None,
        forward_lstm: lstm(0),
        backward_lstm: lstm(1),
        hidden_layer: linear(&w.mlp_weight, &w.mlp_bias, &template.hidden_layer),
        output_layer: linear(&w.out_weight, &w.out_bias, &template.output_layer),
        dropout: 0.0,
        word_dropout: 0.0,
    }
}

/// Writes the tagger in `dir` to `out` at `precision`, then tags `check` with burn (on the
/// file's weights) and with the runtime: the export fails unless every tag agrees and
/// every score is within [`score_tolerance`].
pub fn export_tagger(
    dir: &Path,
    out: &Path,
    precision: Precision,
    check: &[Sentence],
) -> Result<TaggerExportReport> {
    let device = Device::flex();
    let (model, info, lexicon) = load_tagger(dir, &device)?;
    let config = &info.config;
    if config.words.is_some() {
        bail!(
            "{}: {} uses a word lookup table; only character-only taggers (char, CHAR(D)) export",
            dir.display(),
            config.name()
        );
    }
    let manifest = tagger_manifest(config, precision);
    let weights = tagger_weights_of(&model);
    let shapes = manifest.tagger_shapes().expect("a tagger manifest");
    weights.check(&shapes)?;
    checkpoint::write_atomic(out, &encode_tagger(&manifest, &weights))?;
    let report = check_tagger_file(out, &model, &lexicon, check, precision)?;
    // At int8 the kernel computes from int8 weights: its own, looser bound.
    let allowed = score_tolerance(report.max_abs_score);
    let kernel_allowed = match precision {
        Precision::Int8 => tolerance_for(precision, report.max_abs_score),
        _ => allowed,
    };
    if report.tags_differing > 0
        || report.max_score_diff_tract > allowed
        || report.max_score_diff_kernel > kernel_allowed
    {
        bail!(
            "{}: the runtime's scores differ from burn's by up to {:e} (tract) and {:e} (kernel), and {} tags differ: the export is wrong",
            out.display(),
            report.max_score_diff_tract,
            report.max_score_diff_kernel,
            report.tags_differing
        );
    }
    Ok(report)
}

/// The manifest of a character-only tagger stored at `precision`.
fn tagger_manifest(config: &TaggerConfig, precision: Precision) -> Manifest {
    let chars = &config.chars;
    Manifest {
        format_version: FORMAT_VERSION,
        kind: Kind::Tagger,
        precision,
        vocab: chars.vocab.clone(),
        char_dim: chars.char_dim,
        hidden: chars.char_dim,
        dim: chars.dim,
        highway: chars.highway,
        loss: config
            .init_loss
            .map_or("none", |d| d.cli_name())
            .to_string(),
        teacher: config.name(),
        tagger: Some(TaggerDims {
            tags: config.tags.tags().to_vec(),
            word_hidden: config.hidden,
            mlp: config.mlp,
        }),
        rows: None,
    }
}

/// Tags `check` with burn on the weights read back from `out` and with both runtime
/// backends, and counts what differs (and what the storage precision changed).
fn check_tagger_file(
    out: &Path,
    model: &TaggerModel,
    lexicon: &Lexicon,
    check: &[Sentence],
    precision: Precision,
) -> Result<TaggerExportReport> {
    let device = Device::flex();
    let artifact = Artifact::open(out)?;
    let file_model = tagger_from_weights(model, &artifact.tagger_weights()?, &device);
    let open = |backend| sublex_runtime::Tagger::from_artifact(&artifact, backend);
    let mut runtimes = [open(BackendChoice::Kernel)?, open(BackendChoice::Tract)?];
    let mut report = TaggerExportReport {
        bytes: artifact.file_size(),
        precision: precision.to_string(),
        sentences_checked: check.len(),
        tokens_checked: 0,
        max_score_diff_kernel: 0.0,
        max_score_diff_tract: 0.0,
        max_abs_score: 0.0,
        tags_differing: 0,
        kernel_int8_tags_changed: 0,
        precision_tags_changed: 0,
    };
    let tags = artifact
        .manifest()
        .tagger
        .as_ref()
        .map_or(1, |t| t.tags.len());
    let argmax = |s: &[f32]| -> Vec<TagId> { s.chunks(tags).map(best_tag).collect() };
    for sentence in check {
        let burn = burn_scores(&file_model, lexicon, &sentence.words, &device);
        let from_burn = argmax(&burn);
        let words: Vec<&str> = sentence.words.iter().map(String::as_str).collect();
        report.tokens_checked += words.len();
        report.max_abs_score = burn
            .iter()
            .fold(report.max_abs_score, |m, x| m.max(x.abs()));
        let mut differing = vec![false; words.len()];
        for (k, runtime) in runtimes.iter_mut().enumerate() {
            let mut scores = vec![0f32; burn.len()];
            runtime
                .scores_into(&words, &mut scores)
                .context("the runtime cannot tag the check corpus")?;
            let diff = max_abs_diff(&burn, &scores);
            let max = if k == 0 {
                &mut report.max_score_diff_kernel
            } else {
                &mut report.max_score_diff_tract
            };
            *max = max.max(diff);
            let changed = from_burn.iter().zip(argmax(&scores)).map(|(a, b)| *a != b);
            if k == 0 && precision == Precision::Int8 {
                report.kernel_int8_tags_changed += changed.filter(|&c| c).count();
            } else {
                for (d, c) in differing.iter_mut().zip(changed) {
                    *d |= c;
                }
            }
        }
        report.tags_differing += differing.iter().filter(|&&d| d).count();
        if precision != Precision::F32 {
            let f32_tags = argmax(&burn_scores(model, lexicon, &sentence.words, &device));
            report.precision_tags_changed += f32_tags
                .iter()
                .zip(&from_burn)
                .filter(|(a, b)| a != b)
                .count();
        }
    }
    Ok(report)
}

/// burn's scores `[words, tags]` for one sentence.
pub fn burn_scores(
    model: &TaggerModel,
    lexicon: &Lexicon,
    words: &[String],
    device: &Device,
) -> Vec<f32> {
    let batch = lexicon.batch(&[words], None, false, device);
    model
        .scores(&batch, None)
        .into_data()
        .try_into_vec::<f32>()
        .expect("f32 scores")
}
