//! What a tagger run is built from: the teacher (FULL+EMB), the tagger's description from
//! the corpora, the frozen teacher rows, the output directory, and a fresh model.

use super::model::{Lexicon, TaggerConfig, TaggerModel, Variant, WordLookup};
use super::train::{Data, Recipe, TaggerOptions};
use super::TagSet;
use crate::checkpoint::{self, read_json, write_json};
use crate::init::normal;
use crate::model::CharModelConfig;
use crate::teacher::{LoadOptions, Teacher};
use anyhow::{bail, Context, Result};
use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use std::collections::{BTreeSet, HashMap, HashSet};
use sublex_runtime::CharVocab;

pub(crate) fn load_teacher(opts: &TaggerOptions) -> Result<Option<Teacher>> {
    let recon = opts.recipe.recon_weight > 0.0;
    if recon && (opts.variant != Variant::Char || opts.init.is_none()) {
        bail!("--recon-weight is for CHAR(D): --variant char with --init");
    }
    match (opts.variant, &opts.teacher) {
        (_, Some(path)) if opts.variant == Variant::FullEmb || recon => {
            Ok(Some(Teacher::load(path, &LoadOptions::default())?))
        }
        (Variant::FullEmb, None) => {
            bail!("--variant full-emb needs --teacher (the table the word lookup starts from)")
        }
        (_, None) if recon => bail!("--recon-weight needs --teacher (the table to reconstruct)"),
        (_, Some(_)) => {
            bail!("--teacher is for --variant full-emb, or CHAR(D) with --recon-weight")
        }
        (_, None) => Ok(None),
    }
}

/// The tagger's description: vocabularies from the training corpus (and `--init`'s
/// characters first, so its trained rows keep their ids), tags from the training corpus.
pub fn build_config(
    opts: &TaggerOptions,
    data: &Data,
    teacher: Option<&Teacher>,
) -> Result<TaggerConfig> {
    let words = || {
        data.train
            .iter()
            .flat_map(|s| s.words.iter().map(String::as_str))
    };
    let (chars, init_loss) = match &opts.init {
        Some(dir) => {
            let info = checkpoint::load_info(dir)?;
            let mut known: Vec<char> = info.model.vocab.chars().to_vec();
            let old: HashSet<char> = known.iter().copied().collect();
            let new: BTreeSet<char> = words()
                .flat_map(str::chars)
                .filter(|c| !old.contains(c))
                .collect();
            known.extend(new);
            let config = CharModelConfig {
                vocab: CharVocab::from_chars(known),
                dropout: 0.0,
                ..info.model
            };
            (config, Some(info.loss))
        }
        None => (
            CharModelConfig {
                vocab: CharVocab::build(words(), 1),
                char_dim: opts.char_dim,
                dim: opts.char_dim,
                highway: false,
                dropout: 0.0,
            },
            None,
        ),
    };
    let lookup = match opts.variant {
        Variant::Char => None,
        Variant::Full | Variant::FullEmb => {
            let keys: BTreeSet<String> = words().map(Lexicon::key).collect();
            Some(WordLookup {
                words: keys.into_iter().collect(),
                dim: teacher.map_or(opts.word_dim, Teacher::dim),
                teacher: opts.teacher.clone(),
            })
        }
    };
    Ok(TaggerConfig {
        variant: opts.variant,
        chars,
        words: lookup,
        hidden: opts.hidden,
        mlp: opts.mlp,
        tags: TagSet::build(&data.train),
        init_loss,
        seed: opts.seed,
    })
}

/// FULL+EMB: teacher vectors of the words that have no trainable row.
pub(crate) fn frozen_rows(teacher: &Teacher, config: &TaggerConfig) -> HashMap<String, Vec<f32>> {
    let rows: HashSet<&str> = config
        .words
        .iter()
        .flat_map(|w| w.words.iter().map(String::as_str))
        .collect();
    teacher
        .words()
        .iter()
        .enumerate()
        .filter(|(_, w)| !rows.contains(w.as_str()))
        .map(|(i, w)| (w.clone(), teacher.vector(i).to_vec()))
        .collect()
}

/// Creates `out` with `config.json`, or checks a resumed run describes the same tagger.
pub(crate) fn prepare_out(opts: &TaggerOptions, config: &TaggerConfig) -> Result<()> {
    let path = opts.out.join("config.json");
    if path.exists() {
        if !opts.resume {
            bail!(
                "{} already holds a tagger run: pass --resume to continue it, or choose another --out",
                opts.out.display()
            );
        }
        let saved: TaggerConfig = read_json(&path)?;
        if &saved != config {
            bail!(
                "--resume: {} was started with other data or options (its config.json describes a different tagger)",
                opts.out.display()
            );
        }
        // (Runs from before the recipe was recorded have none to compare with.)
        let recipe = opts.out.join("recipe.json");
        if recipe.exists() {
            let saved: Recipe = read_json(&recipe)?;
            if saved != opts.recipe {
                bail!(
                    "--resume: {} was started with another training recipe ({saved:?})",
                    opts.out.display()
                );
            }
        }
        return write_json(&recipe, &opts.recipe);
    }
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("cannot create {}", opts.out.display()))?;
    write_json(&opts.out.join("recipe.json"), &opts.recipe)?;
    write_json(&path, config)
}

/// A fresh tagger: random weights, then the character model from `--init` (rows for new
/// characters drawn N(0, 1), or under the recipe's `case_init` copied from their lowercase) and the word rows from the teacher (FULL+EMB).
pub(crate) fn fresh_tagger(
    opts: &TaggerOptions,
    config: &TaggerConfig,
    teacher: Option<&Teacher>,
    dropout: f64,
    device: &Device,
) -> Result<TaggerModel> {
    let mut model = config.init(dropout, device);
    if let Some(dir) = &opts.init {
        let (chars, info) = checkpoint::load_model(dir, device)?;
        let added = config.chars.vocab.len() - info.model.vocab.len();
        let rng = &mut rand_chacha::ChaCha8Rng::seed_from_u64(config.seed ^ 0xc4a5);
        // Built from plain values: a parameter must be a leaf of the autodiff graph.
        let mut table = chars
            .chars
            .val()
            .into_data()
            .try_into_vec::<f32>()
            .expect("f32 rows");
        let drawn = normal(rng, [added, config.chars.char_dim], device)
            .val()
            .into_data()
            .try_into_vec::<f32>()
            .expect("f32 rows");
        table.extend(drawn);
        if opts.recipe.case_init {
            copy_lowercase_rows(&mut table, &config.chars.vocab, info.model.vocab.len());
        }
        let shape = [config.chars.vocab.len(), config.chars.char_dim];
        model.chars = crate::model::CharModel {
            chars: Param::from_tensor(Tensor::from_data(TensorData::new(table, shape), device)),
            ..chars
        };
    }
    if let (Some(teacher), Some(lookup), Some(table)) = (teacher, &config.words, &model.words) {
        let index = teacher.index();
        let mut rows = table
            .val()
            .into_data()
            .try_into_vec::<f32>()
            .expect("f32 rows");
        for (i, word) in lookup.words.iter().enumerate() {
            if let Some(&t) = index.get(word.as_str()) {
                rows[(i + 1) * lookup.dim..(i + 2) * lookup.dim].copy_from_slice(teacher.vector(t));
            }
        }
        let rows = Tensor::from_data(
            TensorData::new(rows, [lookup.words.len() + 1, lookup.dim]),
            device,
        );
        model.words = Some(Param::from_tensor(rows));
    }
    Ok(model)
}

/// Rows of `vocab` from `first_new` on whose character is the uppercase of one with a trained
/// row (below `first_new`) start as that row: the teachers are lowercase, so a reconstructed
/// model knows "apple" and would otherwise read "Apple" through a random first character.
fn copy_lowercase_rows(table: &mut [f32], vocab: &CharVocab, first_new: usize) {
    let dim = table.len() / vocab.len();
    for (i, &c) in vocab.chars().iter().enumerate() {
        let (row, mut lower) = (i + 1, c.to_lowercase());
        let from = match (lower.next(), lower.next()) {
            (Some(l), None) if l != c => vocab.id(l) as usize,
            _ => continue,
        };
        if row >= first_new && from != 0 && from < first_new {
            table.copy_within(from * dim..(from + 1) * dim, row * dim);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 'A' (new) starts as 'a' (trained); 'B' has no trained lowercase and 'ß' no
    /// single-character uppercase, so both keep their drawn rows.
    #[test]
    fn new_uppercase_rows_start_from_their_lowercase() {
        let vocab = CharVocab::from_chars(vec!['a', 'x', 'A', 'B', 'ß']);
        let first_new = 3; // UNK, 'a', 'x' were trained
        let mut table: Vec<f32> = (0..vocab.len() * 2).map(|i| i as f32).collect();
        let drawn = table.clone();
        copy_lowercase_rows(&mut table, &vocab, first_new);
        assert_eq!(&table[6..8], &drawn[2..4], "'A' takes 'a''s row");
        assert_eq!(&table[..6], &drawn[..6]);
        assert_eq!(&table[8..], &drawn[8..]);
    }
}
