//! Distillation from a stronger tagger (the recipe's `distill_weight`, `tagger --distill
//! RUN`): each training token's loss mixes its gold tag with the whole tag distribution a
//! trained tagger (FULL+EMB, which reads the teacher's table) gives it in context. The
//! distribution says which tags were close calls, which one gold tag cannot.

use super::eval::probabilities;
use super::model::TaggerConfig;
use super::train::{load_tagger, Data};
use anyhow::{bail, Result};
use burn::tensor::{Device, Tensor, TensorData};
use std::path::Path;

/// The distilling tagger's tag distributions over the training sentences.
pub(crate) struct Distill {
    /// Per training sentence, `tags` probabilities per token.
    probabilities: Vec<Vec<f32>>,
    tags: usize,
    weight: f32,
}

impl Distill {
    /// Tags every training sentence with the tagger run in `dir`, which must use the same
    /// tag set as the tagger being trained.
    pub fn new(dir: &Path, weight: f64, config: &TaggerConfig, data: &Data) -> Result<Distill> {
        if !(weight > 0.0 && weight <= 1.0) {
            bail!("--distill-weight {weight}: expected a weight in (0, 1]");
        }
        let device = Device::flex();
        let (model, info, lexicon) = load_tagger(dir, &device)?;
        if info.config.tags != config.tags {
            bail!(
                "--distill {}: its tags differ from the training corpus's (trained on another corpus?)",
                dir.display()
            );
        }
        log::info!(
            "distilling from {} ({}): tagging {} training sentences",
            dir.display(),
            info.config.name(),
            data.train.len()
        );
        Ok(Distill {
            probabilities: probabilities(&model, &lexicon, &data.train, &device),
            tags: config.tags.len(),
            weight: weight as f32,
        })
    }

    /// The batch's loss from its gold log-likelihood `gold_nll` (mean per token) and the
    /// student's log-probabilities `log_probs` `[tokens, tags]` of the sentences `batch`
    /// (in the same order): `(1 - w) gold_nll + w` times the mean cross-entropy against the
    /// distilling tagger's distributions.
    pub fn mix(&self, batch: &[usize], gold_nll: Tensor<1>, log_probs: Tensor<2>) -> Tensor<1> {
        let target: Vec<f32> = batch
            .iter()
            .flat_map(|&i| self.probabilities[i].iter().copied())
            .collect();
        let tokens = target.len() / self.tags;
        let target = Tensor::<2>::from_data(
            TensorData::new(target, [tokens, self.tags]),
            &log_probs.device(),
        );
        let soft = (target * log_probs).sum().neg() / tokens as f32;
        gold_nll * (1.0 - self.weight) + soft * self.weight
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::activation::log_softmax;

    /// Weight 1/2 over two tokens: half the gold NLL plus half the mean cross-entropy.
    #[test]
    fn mixes_gold_and_soft_cross_entropy() {
        let device = Device::flex();
        let distill = Distill {
            probabilities: vec![vec![0.5, 0.5], vec![1.0, 0.0, 0.2, 0.8]],
            tags: 2,
            weight: 0.5,
        };
        let scores = [0.0f32, 0.0, 1.0, 0.0];
        let log_probs = log_softmax(
            Tensor::<2>::from_data(TensorData::new(scores.to_vec(), [2, 2]), &device),
            1,
        );
        // Sentence 1 is two tokens: [1, 0] and [0.2, 0.8].
        let loss = distill.mix(&[1], Tensor::from_data([2.0f32], &device), log_probs);
        let l = |a: f32, b: f32| (a.exp() / (a.exp() + b.exp())).ln();
        let cross = -(l(0.0, 0.0) + 0.2 * l(1.0, 0.0) + 0.8 * l(0.0, 1.0)) / 2.0;
        let want = 0.5 * 2.0 + 0.5 * cross;
        let got = loss.into_scalar::<f32>();
        assert!((got - want).abs() < 1e-6, "{got} against {want}");
    }
}
