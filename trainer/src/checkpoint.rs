//! Model directories and training checkpoints.
//!
//! A model directory holds `model.json` ([`ModelInfo`]) and `model.bpk` (burnpack weights);
//! it is what `eval` and `export` read. A reconstruction run's directory is a model directory
//! (the latest model) plus the training harness's files (`crate::harness`: `progress.json`,
//! `checkpoint-N/` holding a model directory and Adam's state, `metrics.jsonl`) and snapshots
//! `epochs/N/`.

use crate::batches::HardNegatives;
use crate::distance::Distance;
use crate::model::{CharModel, CharModelConfig};
use anyhow::{bail, Context, Result};
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::{Bytes, Device};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// Bumped when the directory layout or `model.json` changes incompatibly.
pub const FORMAT_VERSION: u32 = 1;

/// What a trained character model is.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModelInfo {
    pub format_version: u32,
    pub model: CharModelConfig,
    /// File name of the teacher table it reconstructs.
    pub teacher: String,
    /// Rows of the teacher it trained on.
    pub teacher_words: usize,
    pub loss: Distance,
    /// The contrastive loss's temperature (none for the paper's distances).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// The share of the teacher's words held out of training ([`crate::teacher::held_out`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub holdout: f64,
    /// `--frequency-weight`: each word's loss weighted by `(rank + 1)^-a` (0: unweighted).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub frequency_weight: f64,
    /// `--hard-negatives`: each length's words batched in spelling order (none: row order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hard_negatives: Option<HardNegatives>,
    /// `--negatives`: random teacher rows added to each batch's negatives (none: the batch's
    /// own words only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negatives: Option<usize>,
    /// `--cos-weight`: the multiple of Dcos added to each word's loss (0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cos_weight: f64,
    /// `--relation-weight`: the multiple of the relational loss added to each word's (0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub relation_weight: f64,
    /// `--relation-queue`: earlier batches' words among the relational loss's neighbours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation_queue: Option<usize>,
    /// `--cosine-decay`: the epochs the learning rate decays over (none: constant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cosine_decay_epochs: Option<usize>,
    /// `--weight-decay`: AdamW's decoupled weight decay (0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub weight_decay: f64,
    pub epochs: usize,
    pub seed: u64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = temp_file_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// A temporary file in `dir`, to be renamed over its target, created with the mode a plain
/// new file gets (0666 less the umask) rather than tempfile's private 0600: an exported model
/// is meant to be read by others, e.g. a web server serving it.
pub fn temp_file_in(dir: &Path) -> Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    builder
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))
}

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    write_atomic(path, serde_json::to_string_pretty(value)?.as_bytes())
}

pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
}

/// Saves a model directory (`model.bpk`, then `model.json`).
pub fn save_model(dir: &Path, model: &CharModel, info: &ModelInfo) -> Result<()> {
    save_module(&dir.join("model.bpk"), model)?;
    write_json(&dir.join("model.json"), info)
}

/// Writes `module`'s weights (burnpack) to `path` atomically; creates its directory.
pub fn save_module<M: Module>(path: &Path, module: &M) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let bytes = module
        .clone()
        .into_record()
        .into_bytes()
        .context("cannot serialise the model")?;
    write_atomic(path, &bytes)
}

/// Loads weights saved by [`save_module`] into `template` (same structure).
pub fn load_module<M: Module>(path: &Path, template: M) -> Result<M> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let record = burn::store::ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes))
        .map_err(|e| anyhow::anyhow!("{}: not a model file: {e:?}", path.display()))?;
    template
        .try_load_record(record)
        .map_err(|e| anyhow::anyhow!("{}: does not match its description: {e:?}", path.display()))
}

/// Reads `model.json` alone.
pub fn load_info(dir: &Path) -> Result<ModelInfo> {
    let info: ModelInfo = read_json(&dir.join("model.json"))?;
    if info.format_version != FORMAT_VERSION {
        bail!(
            "{}: format version {} (this sublex reads {FORMAT_VERSION})",
            dir.display(),
            info.format_version
        );
    }
    Ok(info)
}

/// Loads a model directory onto `device`.
pub fn load_model(dir: &Path, device: &Device) -> Result<(CharModel, ModelInfo)> {
    let info = load_info(dir)?;
    let model = load_module(&dir.join("model.bpk"), info.model.init(info.seed, device))?;
    Ok((model, info))
}

/// Saves Adam's state in a checkpoint directory.
pub fn save_optimizer(checkpoint: &Path, optim: &ModuleOptimizer) -> Result<()> {
    let bytes = optim
        .into_bytes()
        .map_err(|e| anyhow::anyhow!("cannot serialise Adam's state: {e:?}"))?;
    write_atomic(&checkpoint.join("optim.bpk"), &bytes)
}

/// Restores Adam's state saved in a checkpoint directory.
pub fn load_optimizer(checkpoint: &Path, optim: ModuleOptimizer) -> Result<ModuleOptimizer> {
    let path = checkpoint.join("optim.bpk");
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    optim
        .from_bytes(Bytes::from_bytes_vec(bytes))
        .map_err(|e| anyhow::anyhow!("{}: cannot restore Adam's state: {e:?}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn written_files_get_a_plain_new_files_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        write_atomic(&dir.path().join("model.onnx"), b"bytes").unwrap();
        std::fs::File::create(dir.path().join("plain")).unwrap();
        let mode = |name: &str| {
            let meta = std::fs::metadata(dir.path().join(name)).unwrap();
            meta.permissions().mode() & 0o777
        };
        assert_eq!(mode("model.onnx"), mode("plain"));
    }

    /// The options added after the format (`hard_negatives`, `cos_weight`,
    /// `cosine_decay_epochs`) are written only when set, so a `model.json` from before them
    /// reads as unset, and set values round-trip.
    #[test]
    fn model_json_without_later_options_still_reads() {
        let info = ModelInfo {
            format_version: FORMAT_VERSION,
            model: CharModelConfig {
                vocab: sublex_runtime::CharVocab::from("ab".to_string()),
                char_dim: 2,
                dim: 3,
                highway: false,
                dropout: 0.0,
            },
            teacher: "tiny.txt".into(),
            teacher_words: 5,
            loss: Distance::Contrastive,
            temperature: Some(0.2),
            holdout: 0.05,
            frequency_weight: 0.25,
            hard_negatives: None,
            negatives: None,
            cos_weight: 0.0,
            relation_weight: 0.0,
            relation_queue: None,
            cosine_decay_epochs: None,
            weight_decay: 0.0,
            epochs: 1,
            seed: 1,
        };
        let old = serde_json::to_string(&info).unwrap();
        for later in [
            "hard_negatives",
            "negatives",
            "cos_weight",
            "relation_weight",
            "relation_queue",
            "cosine_decay_epochs",
            "weight_decay",
        ] {
            assert!(!old.contains(later), "{old}");
        }
        let read: ModelInfo = serde_json::from_str(&old).unwrap();
        assert_eq!(read.hard_negatives, None);
        let hard = ModelInfo {
            hard_negatives: Some(HardNegatives::Suffix),
            negatives: Some(256),
            cos_weight: 0.5,
            relation_weight: 1.0,
            cosine_decay_epochs: Some(50),
            ..info
        };
        let text = serde_json::to_string(&hard).unwrap();
        assert!(text.contains(r#""hard_negatives":"suffix""#), "{text}");
        let read: ModelInfo = serde_json::from_str(&text).unwrap();
        assert_eq!(read.hard_negatives, Some(HardNegatives::Suffix));
        assert_eq!(read.negatives, Some(256));
        assert_eq!((read.cos_weight, read.cosine_decay_epochs), (0.5, Some(50)));
        assert_eq!(read.relation_weight, 1.0);
    }
}
