//! `sublex-train quickstart`: the default pipeline on the best data at hand.

use crate::checkpoint;
use crate::eval::{self, EvalRequest, Student};
use crate::export;
use crate::run_dir::RunDir;
use crate::teacher::{LoadOptions, Teacher};
use crate::train::{self, ReconstructOptions};
use anyhow::Result;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use sublex_runtime::{BackendChoice, Embedder, Precision};

/// The data a quickstart uses: the shared data set when it is beside the project, else the
/// small sample shipped in `data/`.
pub struct DefaultData {
    pub teacher: PathBuf,
    pub max_words: usize,
    pub epochs: usize,
    pub similarity: Vec<PathBuf>,
    pub analogy: Vec<PathBuf>,
}

impl DefaultData {
    pub fn find(root: &Path) -> Result<Self> {
        Self::shared(root)
            .or_else(|| Self::shipped(root))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "no data: neither {}/../shared/data nor {}/data holds a teacher",
                    root.display(),
                    root.display()
                )
            })
    }

    /// The shared data set: the first 20k GloVe words, the paper's three similarity sets.
    pub fn shared(root: &Path) -> Option<Self> {
        let shared = root.join("../shared/data");
        if shared.join("teacher/glove-6b-100d.top100k.txt").is_file() {
            let sim = shared.join("similarity");
            return Some(DefaultData {
                teacher: shared.join("teacher/glove-6b-100d.top100k.txt"),
                max_words: 20_000,
                epochs: 5,
                similarity: [
                    "EN-WS-353-ALL.txt",
                    "EN-MEN-TR-3k.txt",
                    "EN-RW-STANFORD.txt",
                ]
                .map(|f| sim.join(f))
                .to_vec(),
                analogy: vec![
                    shared.join("analogy/questions-words.txt"),
                    shared.join("analogy/msr.txt"),
                ],
            });
        }
        None
    }

    /// The sample shipped in `data/`.
    pub fn shipped(root: &Path) -> Option<Self> {
        let data = root.join("data");
        data.join("glove-6b-100d.top2k.txt")
            .is_file()
            .then(|| DefaultData {
                teacher: data.join("glove-6b-100d.top2k.txt"),
                max_words: 2_000,
                epochs: 10,
                similarity: vec![data.join("wordsim353.tsv"), data.join("simlex999.txt")],
                analogy: vec![data.join("questions-words.txt")],
            })
    }
}

/// Trains (or resumes) the default model in `out`, evaluates and exports it, and returns
/// the summary for people (its evaluation, the exported file, a few embedded words).
pub fn run(data: DefaultData, out: &Path, progress: bool) -> Result<String> {
    log::info!(
        "teacher: {} (first {} words)",
        data.teacher.display(),
        data.max_words
    );
    let load = LoadOptions {
        max_words: Some(data.max_words),
        ..LoadOptions::default()
    };
    let teacher = Teacher::load(&data.teacher, &load)?;
    let opts = ReconstructOptions {
        epochs: data.epochs,
        out: out.to_path_buf(),
        resume: true,
        keep_every: 0,
        progress,
        ..ReconstructOptions::default()
    };
    train::reconstruct(&teacher, &opts)?;
    let (model, info) = checkpoint::load_model(out, &burn::tensor::Device::flex())?;
    let student = Student {
        name: out.display().to_string(),
        model: &model,
        vocab: &info.model.vocab,
        dim: info.model.dim,
        epochs: info.epochs,
        loss: info.loss.cli_name().to_string(),
    };
    let request = EvalRequest {
        similarity: data.similarity,
        analogy: data.analogy,
        neighbors: ["beautiful", "amazing", "springfield"]
            .map(String::from)
            .to_vec(),
        analogy_vocab: 30_000,
        k: 7,
        held_out: 0.0,
    };
    let report = eval::evaluate(&student, Some(&teacher), &request)?;
    RunDir::Embedder(out.to_path_buf()).write_eval_report(&report)?;
    let mut summary = eval::render_text(&report) + "\n";
    deploy(out, &teacher, &data.teacher, &mut summary)?;
    writeln!(
        summary,
        "files: {}/ (model.json, model.bpk, metrics.jsonl, eval.json, model.onnx)",
        out.display()
    )?;
    Ok(summary)
}

/// Exports the model as one ONNX file, checks it with the runtime, embeds a few words no
/// teacher has, and compares the file with the teacher table (in `summary`).
fn deploy(out: &Path, teacher: &Teacher, teacher_path: &Path, summary: &mut String) -> Result<()> {
    let onnx = out.join("model.onnx");
    let check = &teacher.words()[..teacher.len().min(1000)];
    let report = export::export(out, &onnx, Precision::F32, check, None)?;
    let mut embedder = Embedder::open(&onnx, BackendChoice::Auto)?;
    let words = ["hello", "wrld", "unfriendliest", "zyxt"];
    let mut vectors = vec![0.0; words.len() * embedder.dim()];
    embedder.embed_into(&words, &mut vectors)?;
    writeln!(
        summary,
        "\nexported {} ({} bytes; runtime = f64 reference within {:.1e} on {} words); backend {}",
        onnx.display(),
        report.bytes,
        report.max_diff_kernel.max(report.max_diff_tract),
        report.words_checked,
        embedder.backend_name()
    )?;
    for (word, v) in words.iter().zip(vectors.chunks(embedder.dim())) {
        writeln!(
            summary,
            "  {word:<14} [{:.3}, {:.3}, {:.3}, ...]",
            v[0], v[1], v[2]
        )?;
    }
    let table_bytes = teacher.len() * teacher.dim() * 4;
    writeln!(
        summary,
        "teacher table: {} words x {} dims = {} bytes as f32 (text file {} bytes); the model file is {:.1}x smaller and embeds any word",
        teacher.len(),
        teacher.dim(),
        table_bytes,
        std::fs::metadata(teacher_path).map(|m| m.len()).unwrap_or(0),
        table_bytes as f64 / report.bytes as f64
    )?;
    Ok(())
}
