//! Synthetic training sentences for a character tagger (`sublex-train augment`): training
//! sentences with some words swapped for teacher words the treebank never shows (each a
//! nearest neighbour, in the teacher's space, of the word it replaces), tagged in context by
//! a tagger that reads the teacher's table (FULL+EMB). A character-only tagger trained on
//! them beside the treebank (`tagger --extra-train`) learns what the table knows about
//! words it would otherwise meet first at test time, where it has only their spelling.

use super::eval::predict;
use super::train::load_tagger;
use super::{read_corpus, write_word_tab, CorpusFormat, Sentence};
use crate::checkpoint::write_atomic;
use crate::eval::stats::normalize_rows;
use crate::teacher::{LoadOptions, Teacher};
use anyhow::{bail, Result};
use burn::tensor::{Device, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// Settings of `sublex-train augment`.
#[derive(Clone, Debug)]
pub struct AugmentOptions {
    /// A trained tagger run (`tagger.json` + `model.bpk`) that tags the new words in context.
    pub tagger: PathBuf,
    /// The table whose words replace the treebank's (and whose neighbours choose them).
    pub teacher: PathBuf,
    pub train: PathBuf,
    pub format: CorpusFormat,
    /// Where the synthetic sentences go (`word<TAB>tag` lines).
    pub out: PathBuf,
    /// Synthetic sentences made from each training sentence (one draw each).
    pub copies: usize,
    /// The chance that a replaceable word is replaced.
    pub rate: f64,
    /// A word's replacement is drawn from its this many nearest unseen teacher words.
    pub neighbors: usize,
    pub seed: u64,
}

/// What `augment` wrote.
#[derive(Clone, Debug, Serialize)]
pub struct AugmentReport {
    pub sentences: usize,
    pub tokens: usize,
    pub replaced: usize,
    /// Distinct replacement words (none of them in the training corpus).
    pub new_words: usize,
}

/// Writes the synthetic corpus: every training sentence `copies` times, each replaceable
/// word (its lowercase in the teacher, with a letter) replaced at `rate` by one of its
/// nearest unseen teacher words, cased like it. A replaced word takes the tagger's tag in
/// the new sentence; every other word keeps its gold tag. Sentences with no replacement are
/// left out.
pub fn augment(opts: &AugmentOptions) -> Result<AugmentReport> {
    if !(opts.rate > 0.0 && opts.rate <= 1.0) {
        bail!("--rate {}: expected a probability in (0, 1]", opts.rate);
    }
    if opts.copies == 0 || opts.neighbors == 0 {
        bail!("--copies and --neighbors must be at least 1");
    }
    let train = read_corpus(&opts.train, opts.format)?;
    let device = Device::flex();
    let (model, info, lexicon) = load_tagger(&opts.tagger, &device)?;
    let tags = &info.config.tags;
    if let Some(tag) = train
        .iter()
        .flat_map(|s| &s.tags)
        .find(|t| tags.id(t).is_none())
    {
        bail!(
            "{}: tag `{tag}` is not among the tagger's ({}): it was trained on another tag set",
            opts.train.display(),
            opts.tagger.display()
        );
    }
    let teacher = Teacher::load(&opts.teacher, &LoadOptions::default())?;
    let seen: HashSet<String> = train
        .iter()
        .flat_map(|s| s.words.iter().map(|w| w.to_lowercase()))
        .collect();
    let nearest = unseen_neighbors(&teacher, &seen, opts.neighbors, &device);
    log::info!("{} training words have unseen neighbours", nearest.len());

    let rng = &mut ChaCha8Rng::seed_from_u64(opts.seed);
    let (mut synthetic, mut replaced) = (Vec::new(), Vec::new());
    for _ in 0..opts.copies {
        for sentence in &train {
            let (new, at) = substitute(sentence, &nearest, teacher.words(), opts.rate, rng);
            if !at.is_empty() {
                synthetic.push(new);
                replaced.push(at);
            }
        }
    }
    let predicted = predict(&model, &lexicon, &synthetic, &device);
    let mut new_words = HashSet::new();
    for ((sentence, at), predicted) in synthetic.iter_mut().zip(&replaced).zip(&predicted) {
        for &i in at {
            sentence.tags[i] = tags.tag(predicted[i]).to_owned();
            new_words.insert(sentence.words[i].to_lowercase());
        }
    }
    let mut bytes = Vec::new();
    write_word_tab(&synthetic, &mut bytes)?;
    write_atomic(&opts.out, &bytes)?;
    Ok(AugmentReport {
        sentences: synthetic.len(),
        tokens: synthetic.iter().map(|s| s.words.len()).sum(),
        replaced: replaced.iter().map(Vec::len).sum(),
        new_words: new_words.len(),
    })
}

/// `sentence` with each word of `nearest` replaced at `rate` by one of its neighbours
/// (teacher row ids) drawn uniformly, and the positions replaced.
fn substitute(
    sentence: &Sentence,
    nearest: &HashMap<String, Vec<usize>>,
    words: &[String],
    rate: f64,
    rng: &mut ChaCha8Rng,
) -> (Sentence, Vec<usize>) {
    let mut new = sentence.clone();
    let mut at = Vec::new();
    for (i, word) in new.words.iter_mut().enumerate() {
        let Some(candidates) = nearest.get(&word.to_lowercase()) else {
            continue;
        };
        if rng.gen_bool(rate) {
            let pick = &words[candidates[rng.gen_range(0..candidates.len())]];
            *word = cased_like(word, pick);
            at.push(i);
        }
    }
    (new, at)
}

/// `word` (lowercase, from the teacher) in the case pattern of `original`: all capitals
/// (two letters or more), a capital first letter, or lowercase.
fn cased_like(original: &str, word: &str) -> String {
    let mut letters = original.chars().filter(|c| c.is_alphabetic());
    let first_upper = original.chars().next().is_some_and(char::is_uppercase);
    let all_upper = letters.clone().count() > 1 && letters.all(char::is_uppercase);
    if all_upper {
        return word.to_uppercase();
    }
    if !first_upper {
        return word.to_owned();
    }
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().chain(chars).collect::<String>()
    })
}

/// Teacher rows scored per matrix product (rows x candidates floats at once).
const QUERY_BLOCK: usize = 256;

/// For each word of `seen` that the teacher holds (with a letter): the teacher rows of its
/// `k` nearest words by cosine among the teacher's words with a letter that `seen` lacks.
fn unseen_neighbors(
    teacher: &Teacher,
    seen: &HashSet<String>,
    k: usize,
    device: &Device,
) -> HashMap<String, Vec<usize>> {
    let dim = teacher.dim();
    let has_letter = |w: &str| w.chars().any(char::is_alphabetic);
    let (queries, candidates): (Vec<usize>, Vec<usize>) = (0..teacher.len())
        .filter(|&i| has_letter(&teacher.words()[i]))
        .partition(|&i| seen.contains(&teacher.words()[i]));
    if candidates.is_empty() {
        return HashMap::new();
    }
    let unit = |rows: &[usize]| {
        let mut values: Vec<f32> = rows
            .iter()
            .flat_map(|&i| teacher.vector(i).to_vec())
            .collect();
        normalize_rows(&mut values, dim);
        Tensor::<2>::from_data(TensorData::new(values, [rows.len(), dim]), device)
    };
    let table = unit(&candidates).transpose();
    let k = k.min(candidates.len());
    let mut nearest = HashMap::with_capacity(queries.len());
    for block in queries.chunks(QUERY_BLOCK) {
        let scores = unit(block)
            .matmul(table.clone())
            .into_data()
            .try_into_vec::<f32>()
            .expect("f32 scores");
        for (row, &q) in scores.chunks_exact(candidates.len()).zip(block) {
            let mut order: Vec<usize> = (0..candidates.len()).collect();
            order.select_nth_unstable_by(k - 1, |&a, &b| row[b].total_cmp(&row[a]));
            let best = order[..k].iter().map(|&c| candidates[c]).collect();
            nearest.insert(teacher.words()[q].clone(), best);
        }
    }
    nearest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacements_take_the_case_of_the_word_they_replace() {
        assert_eq!(cased_like("Apple", "pear"), "Pear");
        assert_eq!(cased_like("IBM", "dell"), "DELL");
        assert_eq!(cased_like("I", "we"), "We");
        assert_eq!(cased_like("apple", "pear"), "pear");
        assert_eq!(cased_like("e-Mail", "fax"), "fax");
    }

    /// Each neighbour list holds the k nearest unseen words; seen words are never offered.
    #[test]
    fn neighbours_are_the_nearest_unseen_teacher_words() {
        let words = ["cat", "dog", "kitten", "puppy", "car", "42"].map(String::from);
        let vectors = vec![
            1.0, 0.0, 0.0, // cat
            0.0, 1.0, 0.0, // dog
            0.9, 0.1, 0.0, // kitten
            0.1, 0.9, 0.0, // puppy
            0.0, 0.0, 1.0, // car
            1.0, 0.0, 0.0, // 42: no letter, never offered
        ];
        let teacher = Teacher::from_parts("t", words.to_vec(), 3, vectors);
        let seen: HashSet<String> = ["cat", "dog", "the"].map(String::from).into();
        let nearest = unseen_neighbors(&teacher, &seen, 1, &Device::flex());
        assert_eq!(nearest.len(), 2);
        assert_eq!(nearest["cat"], vec![2]);
        assert_eq!(nearest["dog"], vec![3]);
        let two = unseen_neighbors(&teacher, &seen, 2, &Device::flex());
        let mut cat = two["cat"].clone();
        cat.sort();
        assert_eq!(cat, vec![2, 3]);
    }

    #[test]
    fn substitution_replaces_only_words_with_neighbours_and_keeps_gold_elsewhere() {
        let sentence = Sentence {
            words: ["The", "Cat", "sat", "."].map(String::from).to_vec(),
            tags: ["DT", "NN", "VBD", "."].map(String::from).to_vec(),
            text: None,
        };
        let words = ["kitten"].map(String::from);
        let nearest = HashMap::from([("cat".to_string(), vec![0])]);
        let rng = &mut ChaCha8Rng::seed_from_u64(1);
        let (new, at) = substitute(&sentence, &nearest, &words, 1.0, rng);
        assert_eq!(at, vec![1]);
        assert_eq!(new.words, ["The", "Kitten", "sat", "."]);
        assert_eq!(new.tags, sentence.tags);
    }
}
