//! `sublex-report int8`: where int8 storage loses accuracy. Each weight tensor of an f32
//! embedder is stored at int8 alone (quantised and read back as a file would give it), the
//! rest kept at f32, and the vectors are compared with the f32 model's on held-out words:
//! the teacher's words 10,001-20,000 and 1,000 made-up words (seed 18). `--group` and
//! `--chars-f16` ask what finer scales or an f16 character table would give.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use sublex_runtime::artifact::{encode_embedder, int8_round_trip, Shapes};
use sublex_runtime::{Artifact, BackendChoice, CharModelWeights, Precision};
use sublex_trainer::export::{made_up_words, runtime_vectors};
use sublex_trainer::teacher::{LoadOptions, Teacher};

/// The teacher's words the comparison uses: ranks 10,001 to 20,000 (1-based), past the
/// words a hybrid file stores and those any calibration would see.
const HELD_OUT: std::ops::Range<usize> = 10_000..20_000;
const MADE_UP: usize = 1_000;
const MADE_UP_SEED: u64 = 18;

#[derive(clap::Args)]
pub struct Int8Inputs {
    /// An embedder exported at f32 (`sublex-train export --precision f32`).
    #[arg(long)]
    pub model: PathBuf,
    /// The teacher table the model reconstructs (its words 10,001-20,000 are compared).
    #[arg(long)]
    pub teacher: PathBuf,
    /// What-if: one scale per group of this many values within a row (rows it does not
    /// divide keep one scale), instead of one per row as files store today.
    #[arg(long)]
    pub group: Option<usize>,
    /// What-if: the character table at f16 instead of int8.
    #[arg(long)]
    pub chars_f16: bool,
}

/// `data` as it would be read back: int8 with one scale per `group` values of each row of
/// `row` (per row when `group` does not divide it), or f16.
fn stored(inputs: &Int8Inputs, data: &[f32], row: usize, f16: bool) -> Vec<f32> {
    if f16 {
        return data
            .iter()
            .map(|&x| half::f16::from_f32(x).to_f32())
            .collect();
    }
    match inputs.group {
        Some(g) if g > 0 && row % g == 0 => int8_round_trip(data, g),
        _ => int8_round_trip(data, row),
    }
}

/// The tensors a file stores at its precision, with the row length their int8 scales span
/// (the biases stay f32 in every file).
fn tensors<'a>(
    w: &'a mut CharModelWeights,
    s: &Shapes,
) -> Vec<(&'static str, &'a mut Vec<f32>, usize)> {
    let mut list = vec![
        ("chars_table", &mut w.chars, s.char_dim),
        ("W (input weights)", &mut w.w, s.char_dim),
        ("R (recurrent weights)", &mut w.r, s.hidden),
        ("proj_forward", &mut w.proj_forward, s.dim),
        ("proj_backward", &mut w.proj_backward, s.dim),
    ];
    if let Some((weight, _)) = w.highway.as_mut() {
        list.push(("highway weights", weight, s.dim));
    }
    list
}

/// Worst and mean cosine of `got` against `want` (rows of `dim`), and the worst row.
fn cosines(want: &[f32], got: &[f32], dim: usize) -> (f64, f64, usize) {
    // Equal vectors agree fully, zero ones included (an empty word's vector is relu(bias),
    // all zero in some models, where the cosine itself is undefined).
    let cos = |a: &[f32], b: &[f32]| {
        if a == b {
            1.0
        } else {
            sublex_trainer::eval::stats::cosine(a, b)
        }
    };
    let all: Vec<f64> = want
        .chunks(dim)
        .zip(got.chunks(dim))
        .map(|(a, b)| cos(a, b))
        .collect();
    let (worst_at, worst) =
        all.iter().enumerate().fold(
            (0, f64::INFINITY),
            |m, (i, &c)| if c < m.1 { (i, c) } else { m },
        );
    (
        worst,
        all.iter().sum::<f64>() / all.len().max(1) as f64,
        worst_at,
    )
}

/// The kernel's vectors of `words` from a file holding `weights` at `precision` (at int8 the
/// kernel computes from int8 in memory).
fn vectors(
    artifact: &Artifact,
    weights: &CharModelWeights,
    precision: Precision,
    words: &[String],
) -> Result<Vec<f32>> {
    let mut manifest = artifact.manifest().clone();
    manifest.precision = precision;
    let bytes = encode_embedder(&manifest, weights);
    let file = Artifact::from_bytes(artifact.path(), &bytes)?;
    runtime_vectors(&file, BackendChoice::Kernel, words)
}

/// The held-out words: the teacher's ranks 10,001-20,000 and the made-up ones.
fn held_out_words(artifact: &Artifact, teacher: &Path) -> Result<Vec<String>> {
    let teacher = Teacher::load(teacher, &LoadOptions::default())?;
    let words = teacher.words();
    let mut held = words
        .get(HELD_OUT)
        .with_context(|| format!("the teacher has {} words, fewer than 20,000", words.len()))?
        .to_vec();
    held.extend(made_up_words(
        &artifact.manifest().vocab,
        MADE_UP,
        MADE_UP_SEED,
    ));
    Ok(held)
}

/// The table: every tensor at int8 alone, then all of them (what `export --precision int8`
/// stores), as worst and mean cosine against the f32 model.
pub fn report(inputs: &Int8Inputs) -> Result<String> {
    let artifact = Artifact::open(&inputs.model)?;
    anyhow::ensure!(
        artifact.manifest().precision == Precision::F32,
        "{}: an f32 export is needed (this one is {})",
        inputs.model.display(),
        artifact.manifest().precision
    );
    let shapes = artifact.manifest().shapes();
    let f32_weights = artifact.weights()?;
    let words = held_out_words(&artifact, &inputs.teacher)?;
    let want = vectors(&artifact, &f32_weights, Precision::F32, &words)?;
    let mut out = format!(
        "{} against itself at f32 on {} held-out words (teacher ranks 10,001-20,000 and {} \
         made-up words):\n\n| stored at int8 | worst cosine | mean cosine | worst word | \
         worst on teacher words | worst teacher word |\n|---|---|---|---|---|---|\n",
        inputs.model.display(),
        words.len(),
        MADE_UP
    );
    let count = tensors(&mut f32_weights.clone(), &shapes).len();
    let row = |name: &str, got: &[f32]| {
        let (worst, mean, at) = cosines(&want, got, shapes.dim);
        // The teacher's words come first: the same comparison on them alone.
        let n = HELD_OUT.len() * shapes.dim;
        let (teacher_worst, _, teacher_at) = cosines(&want[..n], &got[..n], shapes.dim);
        format!(
            "| {name} | {worst:.6} | {mean:.6} | {:?} | {teacher_worst:.6} | {:?} |\n",
            words[at], words[teacher_at]
        )
    };
    for only in (0..count).map(Some).chain([None]) {
        let mut weights = f32_weights.clone();
        let mut name = "all (as export stores int8)";
        for (i, (tensor, data, row)) in tensors(&mut weights, &shapes).into_iter().enumerate() {
            if only.is_none_or(|o| o == i) {
                *data = stored(inputs, data, row, inputs.chars_f16 && i == 0);
                name = if only.is_some() { tensor } else { name };
            }
        }
        out += &row(name, &vectors(&artifact, &weights, Precision::F32, &words)?);
    }
    // End to end: the int8 file, which the kernel keeps and computes at int8.
    let int8 = vectors(&artifact, &f32_weights, Precision::Int8, &words)?;
    out += &row("the int8 file, computed at int8 by the kernel", &int8);
    Ok(out)
}
