//! The tagger of the paper's section 5.2: word vectors `v_w` -> word-level BiLSTM -> `h_i`
//! -> `W2 relu(W1 h_i + b1) + b2` -> scores over tags, trained by log-likelihood.
//!
//! `v_w` is, by variant: FULL `e_w ⊕ h_w` (a word lookup row and the character model's
//! vector), FULL+EMB the same with the lookup initialised from a teacher, CHAR `h_w` alone;
//! CHAR(D) is CHAR whose character model starts from one reconstructed under D.
//!
//! Exactness (DESIGN.md): a batch holds sentences of one length, and its distinct words are
//! embedded in one call of the fused LSTM, which runs mixed lengths without padding, so no
//! score depends on the rest of the batch.

use super::TagSet;
use crate::distance::Distance;
use crate::fused::{self, recurrence::Output};
use crate::init::{dropout_mask, uniform};
use crate::lstm::Lstm;
use crate::model::{CharModel, CharModelConfig};
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;

/// How words become vectors (paper 5.2). CHAR(D) is [`Variant::Char`] started from a
/// reconstructed character model (`--init`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// `v = e_w ⊕ h_w`, the word lookup initialised at random.
    Full,
    /// `v = e_w ⊕ h_w`, the word lookup initialised from a teacher table.
    FullEmb,
    /// `v = h_w`: characters only.
    Char,
}

/// The word lookup of the FULL variants.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct WordLookup {
    /// Lowercased training words, each with a trainable row (`words[i]` is row `i + 1`;
    /// row 0 is UNK).
    pub words: Vec<String>,
    pub dim: usize,
    /// FULL+EMB: the teacher whose vectors serve, frozen, every word without a trainable row
    /// that the teacher has. Those rows never see a gradient, so keeping them out of the
    /// trained parameters changes nothing but the memory Adam needs.
    pub teacher: Option<PathBuf>,
}

/// Everything needed to rebuild a tagger besides its weights (`tagger.json`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TaggerConfig {
    pub variant: Variant,
    pub chars: CharModelConfig,
    pub words: Option<WordLookup>,
    /// State size of each direction of the word-level LSTM.
    pub hidden: usize,
    /// Size of the MLP's hidden layer (`W1`).
    pub mlp: usize,
    pub tags: TagSet,
    /// The distance the character model was reconstructed under before tagging (CHAR(D)).
    pub init_loss: Option<Distance>,
    pub seed: u64,
}

#[derive(Module, Debug)]
pub struct TaggerModel {
    pub chars: CharModel,
    /// FULL variants: the trainable lookup rows `[words + 1, dim]`.
    pub words: Option<Param<Tensor<2>>>,
    pub forward_lstm: Lstm,
    pub backward_lstm: Lstm,
    /// `W1`, `b1`.
    pub hidden_layer: Linear,
    /// `W2`, `b2`.
    pub output_layer: Linear,
    /// Dropout on the word LSTM's inputs and on its outputs (training only).
    pub dropout: f64,
    /// Whole-word dropout on the character vectors: each token's `h_w` is zeroed with this
    /// probability (training only; inverted, so evaluation needs no change). Part of the
    /// training recipe, set after the model is made or loaded.
    pub word_dropout: f64,
}

impl TaggerConfig {
    /// The paper's name of this model: FULL, FULL+EMB, CHAR or CHAR(D…).
    pub fn name(&self) -> String {
        match (self.variant, self.init_loss) {
            (Variant::Full, _) => "FULL".into(),
            (Variant::FullEmb, _) => "FULL+EMB".into(),
            (Variant::Char, None) => "CHAR".into(),
            (Variant::Char, Some(d)) => format!("CHAR({})", d.paper_name()),
        }
    }

    /// Size of `v_w`.
    pub fn input_dim(&self) -> usize {
        self.chars.dim + self.words.as_ref().map_or(0, |w| w.dim)
    }

    /// The paper's "lookup parameters": rows of every lookup table (characters, words).
    pub fn lookup_rows(&self, teacher_rows: usize) -> usize {
        let words = self.words.as_ref().map_or(0, |w| w.words.len() + 1);
        self.chars.vocab.len() + words + teacher_rows
    }

    /// A tagger with fresh weights drawn from `self.seed` (uniform ±1/sqrt(fan-in)); the
    /// character model and word rows are replaced afterwards where the variant says so.
    pub fn init(&self, dropout: f64, device: &Device) -> TaggerModel {
        let rng = &mut ChaCha8Rng::seed_from_u64(self.seed ^ 0x7a66);
        let linear = |rng: &mut ChaCha8Rng, input: usize, output: usize| {
            let k = 1.0 / (input as f32).sqrt();
            Linear {
                weight: uniform(rng, [input, output], k, device),
                bias: Some(uniform(rng, [output], k, device)),
            }
        };
        let input = self.input_dim();
        let words = self.words.as_ref().map(|w| {
            uniform(
                rng,
                [w.words.len() + 1, w.dim],
                (3.0 / w.dim as f32).sqrt(),
                device,
            )
        });
        TaggerModel {
            chars: self.chars.init(self.seed, device),
            words,
            forward_lstm: Lstm::new(input, self.hidden, rng, device),
            backward_lstm: Lstm::new(input, self.hidden, rng, device),
            hidden_layer: linear(rng, 2 * self.hidden, self.mlp),
            output_layer: linear(rng, self.mlp, self.tags.len()),
            dropout,
            word_dropout: 0.0,
        }
    }
}

/// One batch: `sentences` sentences of `len` words each, as tensors.
pub struct Batch {
    pub sentences: usize,
    pub len: usize,
    /// The batch's distinct words as character ids, longest first.
    chars: Vec<Vec<u32>>,
    /// For every token (sentence-major), its row among the groups' vectors.
    token_rows: Tensor<1, Int>,
    /// FULL variants: every token's lookup row.
    word_rows: Option<Tensor<1, Int>>,
    /// FULL+EMB: frozen teacher vectors of tokens without a trainable row, and a `[tokens, 1]`
    /// mask that is 0 for those tokens and 1 for the others.
    frozen: Option<(Tensor<2>, Tensor<2>)>,
}

/// Host-side word -> id maps of a tagger.
pub struct Lexicon {
    chars: sublex_runtime::CharVocab,
    words: HashMap<String, u32>,
    /// FULL+EMB: the teacher's vectors by word, `dim` wide.
    frozen: Option<(HashMap<String, Vec<f32>>, usize)>,
}

impl Lexicon {
    /// `frozen` holds the teacher vectors of words without a row (FULL+EMB).
    pub fn new(config: &TaggerConfig, frozen: Option<HashMap<String, Vec<f32>>>) -> Lexicon {
        let words = config.words.as_ref().map_or_else(HashMap::new, |w| {
            w.words
                .iter()
                .enumerate()
                .map(|(i, word)| (word.clone(), i as u32 + 1))
                .collect()
        });
        let dim = config.words.as_ref().map_or(0, |w| w.dim);
        Lexicon {
            chars: config.chars.vocab.clone(),
            words,
            frozen: frozen.map(|f| (f, dim)),
        }
    }

    /// The word lookup key: the lowercased word (the teachers are lowercase).
    pub fn key(word: &str) -> String {
        word.to_lowercase()
    }

    /// Tensors for `sentences`, all of one length. While training, `unk` replaces words
    /// seen once in training by UNK with probability 1/2, so UNK's row learns something
    /// (Lample et al. 2016).
    pub fn batch(
        &self,
        sentences: &[&[String]],
        unk: Option<(&std::collections::HashSet<String>, &mut ChaCha8Rng)>,
        with_words: bool,
        device: &Device,
    ) -> Batch {
        let len = sentences.first().map_or(0, |s| s.len());
        debug_assert!(sentences.iter().all(|s| s.len() == len));
        // Distinct words, longest first: one call of the character model embeds them all.
        let mut distinct: HashMap<&str, usize> = HashMap::new();
        let mut words: Vec<&str> = Vec::new();
        for word in sentences.iter().flat_map(|s| s.iter()) {
            if !distinct.contains_key(word.as_str()) {
                distinct.insert(word, 0);
                words.push(word);
            }
        }
        let mut chars: Vec<Vec<u32>> = words.iter().map(|w| self.chars.encode(w)).collect();
        let order = {
            let slices: Vec<&[u32]> = chars.iter().map(Vec::as_slice).collect();
            crate::model::longest_first(&slices)
        };
        for (row, &i) in order.iter().enumerate() {
            distinct.insert(words[i], row);
        }
        let mut sorted: Vec<Vec<u32>> = Vec::with_capacity(chars.len());
        for &i in &order {
            sorted.push(std::mem::take(&mut chars[i]));
        }
        let tokens = || sentences.iter().flat_map(|s| s.iter());
        let token_rows: Vec<i64> = tokens().map(|w| distinct[w.as_str()] as i64).collect();
        let n = token_rows.len();
        let int1 = |v: Vec<i64>| Tensor::<1, Int>::from_data(TensorData::new(v, [n]), device);

        let mut unk = unk;
        let (mut word_rows, mut frozen_values, mut frozen_mask) =
            (Vec::new(), Vec::new(), Vec::new());
        if with_words {
            for word in tokens() {
                let key = Self::key(word);
                let mut id = self.words.get(&key).copied().unwrap_or(0);
                if let Some((singletons, rng)) = unk.as_mut() {
                    if id != 0 && singletons.contains(&key) && rng.gen_bool(0.5) {
                        id = 0;
                    }
                }
                word_rows.push(id as i64);
                if let Some((table, dim)) = &self.frozen {
                    match table.get(&key).filter(|_| id == 0) {
                        Some(v) => {
                            frozen_values.extend_from_slice(v);
                            frozen_mask.push(0.0);
                        }
                        None => {
                            frozen_values.extend(std::iter::repeat_n(0.0, *dim));
                            frozen_mask.push(1.0);
                        }
                    }
                }
            }
        }
        let frozen = self.frozen.as_ref().filter(|_| with_words).map(|(_, dim)| {
            (
                Tensor::from_data(TensorData::new(frozen_values, [n, *dim]), device),
                Tensor::from_data(TensorData::new(frozen_mask, [n, 1]), device),
            )
        });
        Batch {
            sentences: sentences.len(),
            len,
            chars: sorted,
            token_rows: int1(token_rows),
            word_rows: with_words.then(|| int1(word_rows)),
            frozen,
        }
    }
}

impl TaggerModel {
    /// Tag scores `[tokens, tags]` for a batch (sentence-major). With `rng`, dropout is on.
    pub fn scores(&self, batch: &Batch, mut rng: Option<&mut ChaCha8Rng>) -> Tensor<2> {
        let words: Vec<&[u32]> = batch.chars.iter().map(Vec::as_slice).collect();
        let v = match rng.as_deref_mut() {
            Some(rng) => self.chars.forward_train(&words, rng),
            None => self.chars.forward(&words),
        };
        let mut v = v.select(0, batch.token_rows.clone());
        if let Some(rng) = rng.as_deref_mut().filter(|_| self.word_dropout > 0.0) {
            let [tokens, dim] = v.dims();
            let mask = dropout_mask(rng, [tokens, 1], self.word_dropout, &v.device());
            v = v * mask.expand([tokens, dim]);
        }
        if let (Some(table), Some(rows)) = (&self.words, &batch.word_rows) {
            let mut e = table.val().select(0, rows.clone());
            if let Some((values, mask)) = &batch.frozen {
                e = e * mask.clone() + values.clone();
            }
            v = Tensor::cat(vec![e, v], 1);
        }
        let v = self.drop(v, rng.as_deref_mut());
        let [tokens, _] = v.dims();
        let hidden = self.forward_lstm.hidden();
        let gates = [&self.forward_lstm, &self.backward_lstm].map(|lstm| {
            lstm.input_gates(v.clone())
                .reshape([batch.sentences, batch.len, 4 * hidden])
        });
        let recurrent = [
            self.forward_lstm.w_recurrent.val(),
            self.backward_lstm.w_recurrent.val(),
        ];
        let h = fused::dense_states(gates, recurrent, Output::States).reshape([tokens, 2 * hidden]);
        let h = self.drop(h, rng);
        self.output_layer
            .forward(relu(self.hidden_layer.forward(h)))
    }

    fn drop(&self, x: Tensor<2>, rng: Option<&mut ChaCha8Rng>) -> Tensor<2> {
        match rng {
            Some(rng) if self.dropout > 0.0 => {
                let mask = dropout_mask(rng, x.dims(), self.dropout, &x.device());
                x * mask
            }
            _ => x,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tagger::Sentence;

    fn tiny(variant: Variant) -> (TaggerConfig, Vec<Vec<String>>) {
        let sentences: Vec<Vec<String>> = ["the cat sat down", "a dog ran off", "Zoë ate it ."]
            .iter()
            .map(|s| s.split(' ').map(str::to_string).collect())
            .collect();
        let corpus: Vec<Sentence> = sentences
            .iter()
            .map(|w| Sentence {
                words: w.clone(),
                tags: w.iter().map(|_| "X".to_string()).collect(),
                text: None,
            })
            .chain([Sentence {
                words: vec!["y".into()],
                tags: vec!["Y".into()],
                text: None,
            }])
            .collect();
        let config = TaggerConfig {
            variant,
            chars: CharModelConfig {
                vocab: sublex_runtime::CharVocab::build(["thecatsdowngrf"], 1),
                char_dim: 8,
                dim: 8,
                highway: false,
                dropout: 0.0,
            },
            words: (variant != Variant::Char).then(|| WordLookup {
                words: vec!["cat".into(), "the".into()],
                dim: 5,
                teacher: None,
            }),
            hidden: 6,
            mlp: 7,
            tags: TagSet::build(&corpus),
            init_loss: None,
            seed: 9,
        };
        (config, sentences)
    }

    /// A sentence's scores are the same alone and in a batch (same-length sentences, words of
    /// many lengths, one word repeated across sentences).
    #[test]
    fn scores_do_not_depend_on_the_batch() {
        for variant in [Variant::Char, Variant::Full] {
            let (config, sentences) = tiny(variant);
            let device = Device::flex();
            let model = config.init(0.0, &device);
            let lexicon = Lexicon::new(&config, None);
            let with_words = config.words.is_some();
            let all: Vec<&[String]> = sentences.iter().map(|s| &s[..]).collect();
            let together = model
                .scores(&lexicon.batch(&all, None, with_words, &device), None)
                .into_data()
                .try_into_vec::<f32>()
                .unwrap();
            let width = config.tags.len() * 4;
            for (i, sentence) in all.iter().enumerate() {
                let alone = model
                    .scores(&lexicon.batch(&[sentence], None, with_words, &device), None)
                    .into_data()
                    .try_into_vec::<f32>()
                    .unwrap();
                let diff = alone
                    .iter()
                    .zip(&together[i * width..(i + 1) * width])
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f32::max);
                assert!(diff <= 1e-6, "{variant:?} sentence {i}: {diff}");
            }
        }
    }

    #[test]
    fn names_and_lookup_rows() {
        let (mut config, _) = tiny(Variant::Full);
        assert_eq!(config.name(), "FULL");
        assert_eq!(config.lookup_rows(0), config.chars.vocab.len() + 3);
        config.variant = Variant::Char;
        config.words = None;
        config.init_loss = Some(Distance::L1);
        assert_eq!(config.name(), "CHAR(D1)");
        assert_eq!(config.lookup_rows(0), config.chars.vocab.len());
    }
}
