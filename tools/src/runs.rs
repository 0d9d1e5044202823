//! Run directories: the scores a training or tagging run measured, and the model it made
//! (to recognise the exported file that carries it); or a tagger run's report alone.

use crate::report::{Basis, Quality, Row};
use anyhow::Result;
use burn::module::Module;
use burn::tensor::Device;
use std::path::{Path, PathBuf};
use sublex_runtime::artifact::TaggerWeights;
use sublex_runtime::{Artifact, CharModelWeights, Kind, Precision};
use sublex_trainer::checkpoint;
use sublex_trainer::eval::analogy::AnalogyScore;
use sublex_trainer::export::weights_of;
use sublex_trainer::run_dir::RunDir;
use sublex_trainer::tagger::export::tagger_weights_of;
use sublex_trainer::tagger::train::TaggerReport;

/// What a run trained, as far as matching files goes.
#[derive(Debug)]
pub enum Trained {
    /// A reconstructed character model (`model.json`, `model.bpk`, maybe `eval.json`).
    Embedder(CharModelWeights),
    /// A character-only tagger (`tagger.json`, `model.bpk`, `report.json`).
    CharTagger(TaggerWeights),
    /// FULL or FULL+EMB: a word lookup no model file can carry.
    WordTagger,
    /// A tagger known only by its `report.json` (the grid commits those, not the runs), so
    /// no file can be matched to it.
    Reported,
}

/// One run directory.
#[derive(Debug)]
pub struct Run {
    pub dir: PathBuf,
    /// "CHAR(Dcos) tagger", "embedder (50 epochs, cos)".
    pub name: String,
    pub trained: Trained,
    pub lookup_rows: usize,
    pub lookup_params: Option<usize>,
    pub total_params: usize,
    pub quality: Quality,
    /// The teacher's scores on the same evaluation, when the run has them.
    pub teacher_quality: Option<Quality>,
    /// Set once a model file given to the report turned out to carry this run's weights.
    pub matched: bool,
}

impl Run {
    /// A run directory, or a tagger run's `report.json` on its own.
    pub fn read(dir: &Path) -> Result<Run> {
        if dir.is_file() {
            return Self::reported(dir);
        }
        let run = RunDir::open(dir)?;
        match run {
            RunDir::Tagger(_) => Self::tagger(&run),
            RunDir::Embedder(_) => Self::embedder(&run),
        }
    }

    fn embedder(run: &RunDir) -> Result<Run> {
        let dir = run.path();
        let (model, info) = checkpoint::load_model(dir, &Device::flex())?;
        let eval = run.eval_report()?;
        let student = eval.as_ref().map(|e| Quality {
            similarity: e.similarity_average,
            analogy: analogy_accuracy(&e.analogy),
            ..Quality::default()
        });
        let teacher = eval.as_ref().map(|e| Quality {
            similarity: e.teacher_similarity_average,
            analogy: analogy_accuracy(&e.teacher_analogy),
            ..Quality::default()
        });
        let vocab = info.model.vocab.len();
        Ok(Run {
            dir: dir.to_path_buf(),
            name: format!(
                "embedder ({} epochs, {})",
                info.epochs,
                info.loss.cli_name()
            ),
            trained: Trained::Embedder(weights_of(&model)),
            lookup_rows: vocab,
            lookup_params: Some(vocab * info.model.char_dim),
            total_params: model.num_params(),
            quality: student.unwrap_or_default(),
            teacher_quality: teacher,
            matched: false,
        })
    }

    fn tagger(run: &RunDir) -> Result<Run> {
        let dir = run.path();
        let (info, report) = run.tagger()?;
        let config = &info.config;
        let trained = match config.words {
            Some(_) => Trained::WordTagger,
            None => {
                // A word-table tagger is never loaded: FULL+EMB would read the whole teacher.
                let template = config.init(info.dropout, &Device::flex());
                let model = checkpoint::load_module(&dir.join("model.bpk"), template)?;
                Trained::CharTagger(tagger_weights_of(&model))
            }
        };
        let chars = config.chars.vocab.len();
        let word_dim = config.words.as_ref().map_or(0, |w| w.dim);
        let lookup = chars * config.chars.char_dim + (report.lookup_rows - chars) * word_dim;
        let name = format!("{} tagger", config.name());
        Ok(Self::from_report(dir, name, trained, Some(lookup), &report))
    }

    /// A tagger run known only by its report: the sizes and scores it records.
    fn reported(path: &Path) -> Result<Run> {
        let report: TaggerReport = checkpoint::read_json(path)?;
        let name = format!("{} tagger", report.model);
        Ok(Self::from_report(
            path,
            name,
            Trained::Reported,
            None,
            &report,
        ))
    }

    fn from_report(
        path: &Path,
        name: String,
        trained: Trained,
        lookup_params: Option<usize>,
        report: &TaggerReport,
    ) -> Run {
        Run {
            dir: path.to_path_buf(),
            name,
            trained,
            lookup_rows: report.lookup_rows,
            lookup_params,
            total_params: report.parameters,
            quality: Quality {
                tagging: Some(report.test_eval.accuracy),
                tagging_unseen: Some(report.test_eval.unseen_accuracy),
                ..Quality::default()
            },
            teacher_quality: None,
            matched: false,
        }
    }

    /// Whether `file` holds exactly this run's weights. Only f32 files can: a run's scores
    /// were measured at f32, so they say nothing certain about an f16 or int8 file.
    pub fn is_carried_by(&self, file: &Artifact) -> Result<bool> {
        if file.manifest().precision != Precision::F32 {
            return Ok(false);
        }
        Ok(match (&self.trained, file.manifest().kind) {
            (Trained::Embedder(w), Kind::Embedder) => file.weights()? == *w,
            (Trained::CharTagger(w), Kind::Tagger) => file.tagger_weights()? == *w,
            _ => false,
        })
    }

    /// The run's own model at f32, counted (no file stands for it).
    pub fn row(&self) -> Row {
        let bytes = 4 * self.total_params as u64;
        Row {
            artifact: format!("{} {}", self.name, self.dir.display()),
            label: self.name.clone(),
            precision: "f32".into(),
            basis: Basis::Counted,
            lookup_rows: self.lookup_rows,
            lookup_params: self.lookup_params,
            total_params: self.total_params,
            disk_bytes: bytes,
            resident_bytes: Some(bytes),
            quality: self.quality,
        }
    }
}

/// Correct over covered questions, summed over every set and category of an analogy
/// evaluation; `None` when nothing was scored.
fn analogy_accuracy(sets: &[AnalogyScore]) -> Option<f64> {
    let categories = sets.iter().flat_map(|s| &s.categories);
    let (correct, covered) = categories.fold((0, 0), |(correct, covered), c| {
        (correct + c.correct, covered + c.covered)
    });
    (covered > 0).then(|| correct as f64 / covered as f64)
}
