//! What a directory made by `sublex-train` holds, decided in one place: an embedder run
//! (`reconstruct`: `model.json`, `model.bpk`, maybe `eval.json`) or a tagger run (`tagger`:
//! `tagger.json`, `model.bpk`, `report.json`). `export`, `eval` and `sublex-report` open
//! directories through [`RunDir`], and read their reports as the typed structs the trainer
//! wrote.

use crate::checkpoint::{read_json, write_json};
use crate::eval::EvalReport;
use crate::tagger::train::{TaggerInfo, TaggerReport};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// A run directory, by what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunDir {
    /// A reconstructed character model.
    Embedder(PathBuf),
    /// A trained tagger.
    Tagger(PathBuf),
}

const EVAL: &str = "eval.json";
const TAGGER_INFO: &str = "tagger.json";
const TAGGER_REPORT: &str = "report.json";

impl RunDir {
    /// Recognises `dir`; an error names what was looked for.
    pub fn open(dir: &Path) -> Result<RunDir> {
        if dir.join(TAGGER_INFO).exists() {
            Ok(RunDir::Tagger(dir.to_path_buf()))
        } else if dir.join("model.json").exists() {
            Ok(RunDir::Embedder(dir.to_path_buf()))
        } else {
            bail!(
                "{}: not a run directory (no {TAGGER_INFO} from `sublex-train tagger`, no \
                 model.json from `sublex-train reconstruct`)",
                dir.display()
            )
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            RunDir::Embedder(dir) | RunDir::Tagger(dir) => dir,
        }
    }

    /// An embedder's `eval.json`, if `eval` has written one.
    pub fn eval_report(&self) -> Result<Option<EvalReport>> {
        let path = self.path().join(EVAL);
        match self {
            RunDir::Embedder(_) if path.exists() => read_json(&path).map(Some),
            _ => Ok(None),
        }
    }

    /// Writes an embedder's `eval.json`.
    pub fn write_eval_report(&self, report: &EvalReport) -> Result<()> {
        write_json(&self.path().join(EVAL), report)
    }

    /// A tagger's description and report.
    pub fn tagger(&self) -> Result<(TaggerInfo, TaggerReport)> {
        let dir = self.path();
        if !matches!(self, RunDir::Tagger(_)) {
            bail!("{}: not a tagger run", dir.display());
        }
        let info = read_json(&dir.join(TAGGER_INFO))?;
        let report = read_json(&dir.join(TAGGER_REPORT))
            .with_context(|| format!("{}: a tagger run without its report", dir.display()))?;
        Ok((info, report))
    }
}
