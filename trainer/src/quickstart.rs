//! `sublex-train quickstart`: the default pipeline on the best data at hand.

use crate::checkpoint::{self, ModelInfo};
use crate::distance::Distance;
use crate::eval::similarity::{self, SimilaritySet};
use crate::eval::{self, EvalRequest, Student, Vectors, WordMatrix};
use crate::export::{self, Keep};
use crate::model::CharModel;
use crate::run_dir::RunDir;
use crate::teacher::{LoadOptions, Teacher};
use crate::train::{self, ReconstructOptions};
use anyhow::Result;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use sublex_runtime::{
    tokenize, Artifact, BackendChoice, Embedder, Neighbors, Precision, RowPrecision, Tagger,
};

/// The data a quickstart uses: the shared data set when it is beside the project, else the
/// small sample shipped in `data/`.
pub struct DefaultData {
    pub teacher: PathBuf,
    pub max_words: usize,
    pub epochs: usize,
    pub similarity: Vec<PathBuf>,
    pub analogy: Vec<PathBuf>,
    /// Teacher rows the hybrid file stores beside the character model.
    pub keep_top: usize,
    /// `data/models/`, when it holds the trained models the repository ships.
    pub models: Option<PathBuf>,
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

    /// The shared data set: the 100k GloVe teacher, the paper's three similarity sets.
    pub fn shared(root: &Path) -> Option<Self> {
        let shared = root.join("../shared/data");
        if shared.join("teacher/glove-6b-100d.top100k.txt").is_file() {
            let sim = shared.join("similarity");
            return Some(DefaultData {
                teacher: shared.join("teacher/glove-6b-100d.top100k.txt"),
                max_words: 100_000,
                epochs: 10,
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
                keep_top: 10_000,
                models: shipped_models(root),
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
                epochs: 60,
                similarity: vec![data.join("wordsim353.tsv"), data.join("simlex999.txt")],
                analogy: vec![data.join("questions-words.txt")],
                keep_top: 500,
                models: shipped_models(root),
            })
    }
}

/// Trains (or resumes) the default model in `out`, evaluates it beside its own untrained
/// initialisation, exports it alone and as a hybrid file, and returns the summary for people.
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
    // The objective chosen on held-out teacher words (docs/RESULTS.md, "The objectives").
    let opts = ReconstructOptions {
        loss: Distance::Contrastive,
        epochs: data.epochs,
        out: out.to_path_buf(),
        resume: true,
        keep_every: 0,
        progress,
        ..ReconstructOptions::default()
    };
    train::reconstruct(&teacher, &opts)?;
    let device = burn::tensor::Device::flex();
    let (model, info) = checkpoint::load_model(out, &device)?;
    let (untrained, _) = train::fresh_model(&teacher, &opts, &device);
    let request = EvalRequest {
        similarity: data.similarity.clone(),
        analogy: data.analogy.clone(),
        neighbors: ["beautiful", "amazing", "springfield"]
            .map(String::from)
            .to_vec(),
        analogy_vocab: 30_000,
        k: 7,
        held_out: 0.0,
    };
    let trained = student(&out.display().to_string(), &model, &info, info.epochs);
    let report = eval::evaluate(&trained, Some(&teacher), &request)?;
    RunDir::Embedder(out.to_path_buf()).write_eval_report(&report)?;
    let similarity_only = EvalRequest {
        similarity: data.similarity.clone(),
        ..EvalRequest::default()
    };
    let baseline = eval::evaluate(
        &student("untrained", &untrained, &info, 0),
        None,
        &similarity_only,
    )?;
    let mut summary = eval::render_text(&report) + "\n";
    let average = |r: &eval::EvalReport| r.similarity_average.unwrap_or(f64::NAN);
    writeln!(
        summary,
        "similarity average: {:.3} trained, {:.3} untrained (the same model before training)",
        average(&report),
        average(&baseline)
    )?;
    deploy(out, &teacher, &data.teacher, &mut summary)?;
    hybrid(out, &teacher, &data, &mut summary)?;
    writeln!(
        summary,
        "files: {}/ (model.json, model.bpk, metrics.jsonl, eval.json, model.onnx, model-hybrid.onnx)",
        out.display()
    )?;
    if let Some(dir) = &data.models {
        shipped(dir, &mut summary)?;
    }
    Ok(summary)
}

const SHIPPED_TAGGER: &str = "tagger-ewt-char.int8.onnx";
const SHIPPED_EMBEDDER: &str = "embedder-glove-hybrid.onnx";

/// `root/data/models` when it holds both shipped models.
fn shipped_models(root: &Path) -> Option<PathBuf> {
    let dir = root.join("data/models");
    let both = [SHIPPED_TAGGER, SHIPPED_EMBEDDER]
        .iter()
        .all(|m| dir.join(m).is_file());
    both.then_some(dir)
}

/// What the trained models shipped in `data/models/` make of the demo's words (their
/// neighbours among the embedder's stored words) and of two raw sentences.
fn shipped(dir: &Path, summary: &mut String) -> Result<()> {
    let artifact = Artifact::open(dir.join(SHIPPED_EMBEDDER))?;
    let stored = (artifact.manifest().rows.as_ref())
        .map_or_else(Vec::new, |r| r.words.iter().map(String::from).collect());
    let mut embedder = Embedder::from_artifact(&artifact, BackendChoice::Auto)?;
    let neighbors = Neighbors::new(&mut embedder, stored)?;
    writeln!(
        summary,
        "\nthe shipped models (data/models/, no training needed):\n{}:",
        SHIPPED_EMBEDDER
    )?;
    for word in ["unfriendliest", "kitten", "wrld"] {
        let found = neighbors.similar(&mut embedder, word, 5)?;
        let names: Vec<&str> = found
            .iter()
            .map(|&(i, _)| neighbors.words()[i].as_str())
            .collect();
        writeln!(summary, "  {word} -> {}", names.join(" "))?;
    }
    let mut tagger = Tagger::open(dir.join(SHIPPED_TAGGER), BackendChoice::Auto)?;
    writeln!(summary, "{SHIPPED_TAGGER}:")?;
    for text in [
        "I can't believe it's not butter.",
        "The cat sat on the mat.",
    ] {
        let words: Vec<&str> = tokenize::words(text).map(|r| &text[r]).collect();
        let mut ids = vec![0; words.len()];
        tagger.tag_into(&words, &mut ids)?;
        let tagged: Vec<String> = (words.iter().zip(&ids))
            .map(|(w, &t)| format!("{w}/{}", tagger.tag_name(t)))
            .collect();
        writeln!(summary, "  {}", tagged.join(" "))?;
    }
    Ok(())
}

fn student<'a>(
    name: &str,
    model: &'a CharModel,
    info: &'a ModelInfo,
    epochs: usize,
) -> Student<'a> {
    Student {
        name: name.to_string(),
        model,
        vocab: &info.model.vocab,
        dim: info.model.dim,
        epochs,
        loss: info.loss.cli_name().to_string(),
    }
}

/// Exports the hybrid file (the character model and the teacher's most frequent rows) and
/// scores it beside the character model alone and the teacher table, every similarity pair
/// counted (a word a file cannot embed at cosine 0).
fn hybrid(out: &Path, teacher: &Teacher, data: &DefaultData, summary: &mut String) -> Result<()> {
    let path = out.join("model-hybrid.onnx");
    let keep = Keep {
        teacher,
        rows: data.keep_top.min(teacher.len()),
        precision: RowPrecision::Int8,
    };
    let report = export::export(out, &path, Precision::F32, &[], Some(keep))?;
    let sets = (data.similarity.iter())
        .map(|p| SimilaritySet::read(p))
        .collect::<Result<Vec<_>>>()?;
    let mut words: Vec<String> = sets.iter().flat_map(SimilaritySet::words).collect();
    words.sort();
    words.dedup();
    let score = |vectors: &dyn Vectors| {
        let scores: Vec<f64> = sets
            .iter()
            .map(|s| similarity::all_pairs(s, vectors))
            .collect();
        scores.iter().sum::<f64>() / scores.len().max(1) as f64
    };
    let file_score = |file: &Path| -> Result<f64> {
        let artifact = sublex_runtime::Artifact::open(file)?;
        let values = export::runtime_vectors(&artifact, BackendChoice::Auto, &words)?;
        Ok(score(&WordMatrix::new(
            words.clone(),
            values,
            teacher.dim(),
        )))
    };
    let table = WordMatrix::new(
        teacher.words().to_vec(),
        teacher.vectors().to_vec(),
        teacher.dim(),
    );
    writeln!(
        summary,
        "hybrid file {} ({} bytes: the character model and the teacher's {} most frequent rows at int8)\n\
         similarity average over every pair, a word a file cannot embed at cosine 0: \
         model.onnx {:.3}, hybrid {:.3}, the teacher table {:.3}",
        path.display(),
        report.bytes,
        report.stored_rows,
        file_score(&out.join("model.onnx"))?,
        file_score(&path)?,
        score(&table)
    )?;
    Ok(())
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
