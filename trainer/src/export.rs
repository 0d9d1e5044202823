//! `export`: a trained model directory -> one ONNX file for the runtime, checked by loading
//! it with the runtime before returning.
//!
//! The runtime owns the file format; this module only moves burn's weights into the
//! runtime's [`CharModelWeights`] (ONNX layout) and back, and runs the parity check.

use crate::checkpoint::{self, ModelInfo};
use crate::embed::embed_words;
use crate::eval::stats::cosine;
use crate::init::param;
use crate::lstm::Lstm;
use crate::model::CharModel;
use anyhow::{bail, Context, Result};
use burn::nn::Linear;
use burn::tensor::{Device, Tensor};
use rand::{Rng, SeedableRng};
use std::path::Path;
use sublex_kernel::layout::{transpose_into, LstmDirection};
use sublex_runtime::artifact::{
    encode_embedder, encode_hybrid, CharModelWeights, Kind, Manifest, Precision, RowPrecision,
    RowsMeta, WordList, FORMAT_VERSION, MAX_ROWS,
};
use sublex_runtime::parity::{
    max_abs_diff, relative_errors, tolerance, INT8_MAX_RELATIVE, INT8_MEAN_RELATIVE,
};
use sublex_runtime::{reference, Artifact, BackendChoice, CharVocab, Embedder};

/// What `export` wrote and measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExportReport {
    pub bytes: u64,
    pub precision: String,
    pub words_checked: usize,
    /// Each backend, and burn, against the f64 reference on the file's own weights.
    pub max_diff_tract: f32,
    pub max_diff_kernel: f32,
    pub max_diff_burn: f32,
    /// The kernel against the f64 reference, per word `|diff| / |exact|`: the largest and
    /// the mean (the rule at int8, `parity::INT8_MAX_RELATIVE`).
    pub kernel_max_relative: f32,
    pub kernel_mean_relative: f32,
    /// The largest output component (the tolerance scales with it).
    pub max_abs_value: f32,
    /// The file's vectors against the f32 model's (both f64 references): what the storage
    /// precision costs.
    pub precision_max_diff: f32,
    pub precision_min_cosine: f32,
    pub precision_mean_cosine: f32,
    /// Hybrid files: rows stored, and stored words whose vector both engines return exactly
    /// as the file stores it.
    pub stored_rows: usize,
    pub stored_rows_checked: usize,
}

/// A hybrid file's stored rows: the teacher's first (most frequent) `rows` words.
pub struct Keep<'a> {
    pub teacher: &'a crate::teacher::Teacher,
    pub rows: usize,
    pub precision: RowPrecision,
}

pub(crate) fn data(t: Tensor<2>) -> Vec<f32> {
    t.into_data().try_into_vec::<f32>().expect("f32 weights")
}

pub(crate) fn data1(t: Tensor<1>) -> Vec<f32> {
    t.into_data().try_into_vec::<f32>().expect("f32 weights")
}

/// A forward and a backward [`Lstm`] in ONNX layout `(W, R, B)`: matrices transposed to
/// `[4H, in]` and stacked by direction; the recurrent bias (`Rb`) is zero because burn's
/// LSTM has one bias.
pub fn onnx_lstm(forward: &Lstm, backward: &Lstm) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let four_h = forward.bias.dims()[0];
    let parts = |l: &Lstm| {
        (
            data(l.w_input.val().transpose()),
            data(l.w_recurrent.val().transpose()),
            [data1(l.bias.val()), vec![0.0; four_h]].concat(),
        )
    };
    let (wf, rf, bf) = parts(forward);
    let (wb, rb, bb) = parts(backward);
    ([wf, wb].concat(), [rf, rb].concat(), [bf, bb].concat())
}

/// Direction `dir` of ONNX-layout LSTM weights as a burn [`Lstm`] (input size `input`,
/// state size `h`); both ONNX biases fold into burn's one.
pub fn lstm_from_onnx(
    (w, r, b): (&[f32], &[f32], &[f32]),
    dir: usize,
    input: usize,
    h: usize,
    device: &Device,
) -> Lstm {
    let d = LstmDirection::of((w, r, b), dir, input, h).expect("ONNX LSTM shapes");
    let t = |v: &[f32], rows: usize, cols: usize| {
        let mut out = vec![0.0; rows * cols];
        transpose_into(v, rows, cols, &mut out);
        out
    };
    Lstm {
        w_input: param(t(d.w, 4 * h, input), [input, 4 * h], device),
        w_recurrent: param(t(d.r, 4 * h, h), [h, 4 * h], device),
        bias: param((0..4 * h).map(|g| d.bias(g)).collect(), [4 * h], device),
    }
}

/// burn's weights in ONNX layout.
pub fn weights_of(model: &CharModel) -> CharModelWeights {
    let (w, r, b) = onnx_lstm(&model.forward_lstm, &model.backward_lstm);
    CharModelWeights {
        chars: data(model.chars.val()),
        w,
        r,
        b,
        proj_forward: data(model.project_forward.weight.val()),
        proj_backward: data(model.project_backward.weight.val()),
        proj_bias: data1(
            model
                .project_forward
                .bias
                .as_ref()
                .expect("W_f has the bias")
                .val(),
        ),
        highway: model.highway.as_ref().map(|h| {
            (
                data(h.weight.val()),
                data1(h.bias.as_ref().expect("highway bias").val()),
            )
        }),
    }
}

/// A burn model computing exactly what `weights` (ONNX layout) compute.
pub fn model_from_weights(
    template: &CharModel,
    w: &CharModelWeights,
    device: &Device,
) -> CharModel {
    let [vocab, dc] = template.chars.dims();
    let h = template.forward_lstm.hidden();
    let d = template.project_forward.weight.dims()[1];
    let lstm = |dir| lstm_from_onnx((&w.w, &w.r, &w.b), dir, dc, h, device);
    let linear = |weight: &[f32], bias: Option<&[f32]>, input: usize| Linear {
        weight: param(weight.to_vec(), [input, d], device),
        bias: bias.map(|b| param(b.to_vec(), [d], device)),
    };
    CharModel {
        chars: param(w.chars.clone(), [vocab, dc], device),
        forward_lstm: lstm(0),
        backward_lstm: lstm(1),
        project_forward: linear(&w.proj_forward, Some(&w.proj_bias), h),
        project_backward: linear(&w.proj_backward, None, h),
        highway: w.highway.as_ref().map(|(hw, hb)| linear(hw, Some(hb), d)),
        dropout: 0.0,
        dropout_shared: false,
    }
}

/// The manifest of `info`'s model at `precision`.
pub fn manifest(info: &ModelInfo, precision: Precision) -> Manifest {
    let m = &info.model;
    Manifest {
        format_version: FORMAT_VERSION,
        kind: Kind::Embedder,
        precision,
        vocab: m.vocab.clone(),
        char_dim: m.char_dim,
        hidden: m.char_dim,
        dim: m.dim,
        highway: m.highway,
        loss: info.loss.cli_name().to_string(),
        teacher: info.teacher.clone(),
        tagger: None,
        rows: None,
    }
}

/// Writes `model_dir`'s model to `out` and checks the file before returning: both runtime
/// backends and burn must compute the file's weights as the f64 reference does (within
/// [`tolerance`]) on `check_words` plus 200 made-up words.
pub fn export(
    model_dir: &Path,
    out: &Path,
    precision: Precision,
    check_words: &[String],
    keep: Option<Keep>,
) -> Result<ExportReport> {
    let device = Device::flex();
    let (model, info) = checkpoint::load_model(model_dir, &device)?;
    let weights = weights_of(&model);
    let mut manifest = manifest(&info, precision);
    let shapes = manifest.shapes();
    weights.check(&shapes)?;
    let bytes = encode(&mut manifest, &weights, keep.as_ref())?;
    checkpoint::write_atomic(out, &bytes)?;
    let artifact = Artifact::open(out)?;
    let file_weights = artifact.weights()?;
    let stored_rows_checked = check_stored_rows(&artifact)?;

    let vocab = &info.model.vocab;
    // The character model's parity, on words the file does not store.
    let stored = |w: &String| {
        manifest
            .rows
            .as_ref()
            .is_some_and(|r| r.words.find(w).is_some())
    };
    let mut words: Vec<String> = check_words.to_vec();
    words.extend(made_up_words(vocab, 200, 1));
    words.retain(|w| !stored(w));
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    let exact = reference::embed(&shapes, &file_weights, vocab, &refs);
    let exact_f32_model = reference::embed(&shapes, &weights, vocab, &refs);
    let file_model = model_from_weights(&model, &file_weights, &device);
    let burn = embed_words(&file_model, vocab, &words, info.model.dim);
    let tract = runtime_vectors(&artifact, BackendChoice::Tract, &words)?;
    let kernel = runtime_vectors(&artifact, BackendChoice::Kernel, &words)?;
    let max_abs_value = exact.iter().fold(0f32, |m, x| m.max(x.abs()));
    let dim = info.model.dim;
    let relative = relative_errors(&kernel, &exact, dim);
    let cosines: Vec<f32> = exact
        .chunks(dim)
        .zip(exact_f32_model.chunks(dim))
        .map(|(a, b)| cosine(a, b) as f32)
        .collect();
    let report = ExportReport {
        bytes: artifact.file_size(),
        precision: precision.to_string(),
        words_checked: words.len(),
        max_diff_tract: max_abs_diff(&tract, &exact),
        max_diff_kernel: max_abs_diff(&kernel, &exact),
        kernel_max_relative: relative.iter().copied().fold(0.0, f32::max),
        kernel_mean_relative: relative.iter().sum::<f32>() / relative.len().max(1) as f32,
        max_diff_burn: max_abs_diff(&burn, &exact),
        max_abs_value,
        precision_max_diff: max_abs_diff(&exact, &exact_f32_model),
        precision_min_cosine: cosines.iter().copied().fold(1f32, f32::min),
        precision_mean_cosine: cosines.iter().sum::<f32>() / cosines.len().max(1) as f32,
        stored_rows: manifest.rows.as_ref().map_or(0, |r| r.words.len()),
        stored_rows_checked,
    };
    check_parity(out, precision, &report)?;
    Ok(report)
}

/// Fails unless every engine computed the file as the f64 reference does: tract and burn
/// within f32 rounding, the kernel too, or at int8 (which it keeps int8) within
/// `parity::INT8_MAX_RELATIVE` and `INT8_MEAN_RELATIVE`.
fn check_parity(out: &Path, precision: Precision, report: &ExportReport) -> Result<()> {
    let allowed = tolerance(report.max_abs_value);
    let kernel_ok = match precision {
        Precision::Int8 => {
            report.kernel_max_relative <= INT8_MAX_RELATIVE
                && report.kernel_mean_relative <= INT8_MEAN_RELATIVE
        }
        _ => report.max_diff_kernel <= allowed,
    };
    if report.max_diff_tract > allowed || report.max_diff_burn > allowed || !kernel_ok {
        bail!(
            "{}: vectors differ from the f64 reference by more than {allowed:e} (max |diff| tract {:e}, kernel {:e}, burn {:e}; the kernel's relative error per word: largest {:.3}, mean {:.4}, allowed at int8 {INT8_MAX_RELATIVE} and {INT8_MEAN_RELATIVE}): the export is wrong",
            out.display(),
            report.max_diff_tract,
            report.max_diff_kernel,
            report.max_diff_burn,
            report.kernel_max_relative,
            report.kernel_mean_relative,
        );
    }
    Ok(())
}

/// The file's bytes: the character model, and with `keep` the kept rows (added to
/// `manifest`).
pub fn encode(
    manifest: &mut Manifest,
    weights: &CharModelWeights,
    keep: Option<&Keep>,
) -> Result<Vec<u8>> {
    let Some(keep) = keep else {
        return Ok(encode_embedder(manifest, weights));
    };
    let (words, rows) = kept_rows(keep, manifest.dim)?;
    manifest.rows = Some(RowsMeta {
        words: WordList::new(words)
            .map_err(|e| anyhow::anyhow!("--keep-top: the teacher's {e}"))?
            .into(),
        precision: keep.precision,
    });
    Ok(encode_hybrid(manifest, weights, rows))
}

/// The teacher's first `keep.rows` words and their rows, `dim` wide.
fn kept_rows<'t>(keep: &Keep<'t>, dim: usize) -> Result<(&'t [String], &'t [f32])> {
    let t = keep.teacher;
    if t.dim() != dim {
        bail!(
            "--keep-top: the teacher has {} dimensions, the model makes {dim}",
            t.dim()
        );
    }
    if keep.rows > t.len() || keep.rows > MAX_ROWS {
        bail!(
            "--keep-top {}: the teacher has {} rows (a file stores at most {MAX_ROWS})",
            keep.rows,
            t.len()
        );
    }
    Ok((&t.words()[..keep.rows], &t.vectors()[..keep.rows * dim]))
}

/// Both engines return exactly the stored row for a stored word (up to its first 1,000),
/// alone and in a batch with words the character model embeds; the count checked.
fn check_stored_rows(artifact: &Artifact) -> Result<usize> {
    let (Some(meta), Some(rows)) = (&artifact.manifest().rows, artifact.rows()?) else {
        return Ok(0);
    };
    let dim = artifact.manifest().dim;
    let n = meta.words.len().min(1000);
    let mut words: Vec<String> = meta.words.iter().take(n).map(String::from).collect();
    words.push("notstoredqq".into());
    for backend in [BackendChoice::Kernel, BackendChoice::Tract] {
        let got = runtime_vectors(artifact, backend, &words)?;
        let alone = runtime_vectors(artifact, backend, &words[..1])?;
        if got[..n * dim] != rows[..n * dim] || alone[..] != rows[..dim] {
            bail!(
                "{}: the runtime ({backend:?}) does not return the stored rows: the export is wrong",
                artifact.path().display()
            );
        }
    }
    Ok(n)
}

/// The vectors the runtime gives for `words` with `backend`.
pub fn runtime_vectors(
    artifact: &Artifact,
    backend: BackendChoice,
    words: &[String],
) -> Result<Vec<f32>> {
    let mut embedder = Embedder::from_artifact(artifact, backend)?;
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    let mut out = vec![0.0; refs.len() * embedder.dim()];
    embedder
        .embed_into(&refs, &mut out)
        .context("runtime embedding")?;
    Ok(out)
}

/// `n` words no teacher holds: random strings over the model's characters (plus characters it
/// has never seen, which read as UNK), 0 to 24 characters long.
pub fn made_up_words(vocab: &CharVocab, n: usize, seed: u64) -> Vec<String> {
    let rng = &mut rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut alphabet: Vec<char> = vocab.chars().to_vec();
    alphabet.extend(['☃', 'ß', '中', '\u{1F600}']);
    (0..n)
        .map(|_| {
            let len = rng.gen_range(0..=24);
            (0..len)
                .map(|_| alphabet[rng.gen_range(0..alphabet.len())])
                .collect()
        })
        .collect()
}
