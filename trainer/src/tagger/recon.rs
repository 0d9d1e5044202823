//! Reconstruction kept up while tagging (the recipe's `recon_weight`): CHAR(D) fine-tunes a
//! character model that was trained to reproduce a teacher, and tagging alone lets it drift
//! from what the teacher knew about the many words the treebank never shows.

use super::model::TaggerConfig;
use super::recipe::{Recipe, RECON_WORDS};
use crate::distance::Distance;
use crate::model::CharModel;
use crate::teacher::Teacher;
use anyhow::{bail, Result};
use burn::tensor::{Device, Tensor, TensorData};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

pub(crate) struct Recon<'a> {
    teacher: &'a Teacher,
    /// Every teacher word as the tagger's character ids.
    words: Vec<Vec<u32>>,
    distance: Distance,
    weight: f32,
}

impl<'a> Recon<'a> {
    /// `None` unless the recipe asks for it; then the teacher must fit the character model.
    pub fn new(
        recipe: &Recipe,
        config: &TaggerConfig,
        teacher: Option<&'a Teacher>,
    ) -> Result<Option<Recon<'a>>> {
        let (Some(teacher), Some(distance)) = (teacher, config.init_loss) else {
            return Ok(None);
        };
        if recipe.recon_weight <= 0.0 {
            return Ok(None);
        }
        if distance == Distance::Contrastive {
            bail!("--recon-weight needs a character model reconstructed under one of the paper's distances, not the contrastive loss");
        }
        if teacher.dim() != config.chars.dim {
            bail!(
                "--recon-weight: the teacher has {} dimensions but the character model makes {}",
                teacher.dim(),
                config.chars.dim
            );
        }
        let words = teacher
            .words()
            .iter()
            .map(|w| config.chars.vocab.encode(w))
            .collect();
        Ok(Some(Recon {
            teacher,
            words,
            distance,
            weight: recipe.recon_weight as f32,
        }))
    }

    /// The weighted mean distance between the teacher and `chars` over [`RECON_WORDS`]
    /// teacher words drawn from `rng`.
    pub fn loss(&self, chars: &CharModel, rng: &mut ChaCha8Rng, device: &Device) -> Tensor<1> {
        let picks: Vec<usize> = (0..RECON_WORDS)
            .map(|_| rng.gen_range(0..self.words.len()))
            .collect();
        let words: Vec<&[u32]> = picks.iter().map(|&i| self.words[i].as_slice()).collect();
        let student = chars.forward_train(&words, rng);
        let dim = self.teacher.dim();
        let target: Vec<f32> = picks
            .iter()
            .flat_map(|&i| self.teacher.vector(i).iter().copied())
            .collect();
        let target = Tensor::from_data(TensorData::new(target, [picks.len(), dim]), device);
        // (The paper's distances ignore the temperature.)
        self.distance.per_word(target, student, 0.0).mean() * self.weight
    }
}
