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
    /// First give every unseen teacher word this many places of its own (`assign_places`;
    /// 0: none, words come in only at `rate`).
    pub cover: usize,
    /// The chance that a synthetic sentence is written in capitals after it is tagged (0:
    /// none), so that the tagger learns that all-caps text (e-mail subjects, shouting) keeps
    /// the tags its lowercase would have.
    pub upper: f64,
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
    /// Sentences written in capitals (`--upper`).
    pub uppercased: usize,
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
    if !(0.0..=1.0).contains(&opts.upper) {
        bail!("--upper {}: expected a probability in [0, 1]", opts.upper);
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
    let mut seen: HashMap<String, usize> = HashMap::new();
    for word in train.iter().flat_map(|s| &s.words) {
        *seen.entry(word.to_lowercase()).or_default() += 1;
    }
    let rows = split_rows(&teacher, &seen);
    let nearest = unseen_neighbors(&teacher, &rows, opts.neighbors, &device);
    log::info!("{} training words have unseen neighbours", nearest.len());
    let mut places = assign_places(&teacher, &rows, &seen, opts, &device);
    log::info!(
        "{} places given to unseen teacher words",
        places.values().map(Vec::len).sum::<usize>()
    );

    let rng = &mut ChaCha8Rng::seed_from_u64(opts.seed);
    let (mut synthetic, mut replaced) = (Vec::new(), Vec::new());
    for _ in 0..opts.copies {
        for sentence in &train {
            let (new, at) = substitute(
                sentence,
                &nearest,
                &mut places,
                teacher.words(),
                opts.rate,
                rng,
            );
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
    let uppercased = write_in_capitals(&mut synthetic, opts.upper, opts.seed);
    let mut bytes = Vec::new();
    write_word_tab(&synthetic, &mut bytes)?;
    write_atomic(&opts.out, &bytes)?;
    Ok(AugmentReport {
        sentences: synthetic.len(),
        tokens: synthetic.iter().map(|s| s.words.len()).sum(),
        replaced: replaced.iter().map(Vec::len).sum(),
        new_words: new_words.len(),
        uppercased,
    })
}

/// Writes each sentence in capitals at `rate` (after tagging: the tags stay), and says how
/// many. The draws are a stream of their own, so that `--upper` leaves every other draw (and,
/// at 0, the file) as it was.
fn write_in_capitals(sentences: &mut [Sentence], rate: f64, seed: u64) -> usize {
    if rate == 0.0 {
        return 0;
    }
    // Any constant other than 0 would do.
    let rng = &mut ChaCha8Rng::seed_from_u64(seed ^ 0x5550_5045_5200);
    let mut written = 0;
    for sentence in sentences.iter_mut().filter(|_| rng.gen_bool(rate)) {
        sentence
            .words
            .iter_mut()
            .for_each(|w| *w = w.to_uppercase());
        written += 1;
    }
    written
}

/// An unseen teacher word's place at one occurrence of a training word. A word's second and
/// later places write it in the other case than the word it replaces (`flip`), so that the
/// tagger meets it both lowercase and capitalised: the teacher's table is lowercase, and
/// most of the places it finds are lowercase words.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Place {
    row: usize,
    flip: bool,
}

/// `sentence` with each word that has a place left in `places` replaced by the word placed
/// there (which uses the place up), and each other word of `nearest` replaced at `rate` by
/// one of its neighbours drawn uniformly (teacher row ids both), and the positions replaced.
fn substitute(
    sentence: &Sentence,
    nearest: &HashMap<String, Vec<usize>>,
    places: &mut HashMap<String, Vec<Place>>,
    words: &[String],
    rate: f64,
    rng: &mut ChaCha8Rng,
) -> (Sentence, Vec<usize>) {
    let mut new = sentence.clone();
    let mut at = Vec::new();
    for (i, word) in new.words.iter_mut().enumerate() {
        let key = word.to_lowercase();
        let pick = match places.get_mut(&key).and_then(Vec::pop) {
            Some(place) => place,
            None => {
                let Some(candidates) = nearest.get(&key) else {
                    continue;
                };
                if !rng.gen_bool(rate) {
                    continue;
                }
                let row = candidates[rng.gen_range(0..candidates.len())];
                Place { row, flip: false }
            }
        };
        *word = match pick.flip {
            false => cased_like(word, &words[pick.row]),
            true => cased_unlike(word, &words[pick.row]),
        };
        at.push(i);
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
    capitalised(word)
}

/// `word` (lowercase) capitalised where `original` starts lowercase, else lowercase.
fn cased_unlike(original: &str, word: &str) -> String {
    match original.chars().next().is_some_and(char::is_uppercase) {
        true => word.to_owned(),
        false => capitalised(word),
    }
}

/// `word` with its first letter a capital.
fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().chain(chars).collect::<String>()
    })
}

/// The teacher's rows with a letter, split into the training words' (queries) and the
/// others (candidates, the words the treebank never shows).
struct Rows {
    queries: Vec<usize>,
    candidates: Vec<usize>,
}

fn split_rows(teacher: &Teacher, seen: &HashMap<String, usize>) -> Rows {
    let has_letter = |w: &str| w.chars().any(char::is_alphabetic);
    let (queries, candidates) = (0..teacher.len())
        .filter(|&i| has_letter(&teacher.words()[i]))
        .partition(|&i| seen.contains_key(&teacher.words()[i]));
    Rows {
        queries,
        candidates,
    }
}

/// For each training word the teacher holds (with a letter): the teacher rows of its `k`
/// nearest words by cosine among the candidates.
fn unseen_neighbors(
    teacher: &Teacher,
    rows: &Rows,
    k: usize,
    device: &Device,
) -> HashMap<String, Vec<usize>> {
    let nearest = nearest_rows(teacher, &rows.queries, &rows.candidates, k, device);
    rows.queries
        .iter()
        .zip(nearest)
        .map(|(&q, best)| {
            let best = best.into_iter().map(|(row, _)| row).collect();
            (teacher.words()[q].clone(), best)
        })
        .collect()
}

/// Gives each candidate up to `opts.cover` places: a place is one occurrence of a training
/// word in one copy (`seen` counts them), and a candidate may take one place at each of its
/// `opts.neighbors` nearest training words. Pairs are served nearest first, so each word
/// lands beside the closest training words with room left. Returns the places given at
/// each training word.
fn assign_places(
    teacher: &Teacher,
    rows: &Rows,
    seen: &HashMap<String, usize>,
    opts: &AugmentOptions,
    device: &Device,
) -> HashMap<String, Vec<Place>> {
    if opts.cover == 0 {
        return HashMap::new();
    }
    let k = opts.neighbors;
    let nearest = nearest_rows(teacher, &rows.candidates, &rows.queries, k, device);
    let mut pairs: Vec<(f32, usize, usize)> = rows
        .candidates
        .iter()
        .zip(nearest)
        .flat_map(|(&c, best)| best.into_iter().map(move |(q, score)| (score, q, c)))
        .collect();
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    // Round r gives each candidate its r-th place, so that every word's first place comes
    // before any word's second.
    let mut given = vec![0; teacher.len()];
    let mut used = vec![false; pairs.len()];
    let mut places: HashMap<usize, Vec<Place>> = HashMap::new();
    for round in 0..opts.cover {
        for (&(_, q, c), used) in pairs.iter().zip(&mut used) {
            let at = places.entry(q).or_default();
            let room = opts.copies * seen[&teacher.words()[q]];
            if !*used && given[c] == round && at.len() < room {
                at.push(Place {
                    row: c,
                    flip: round > 0,
                });
                given[c] += 1;
                *used = true;
            }
        }
    }
    places
        .into_iter()
        .map(|(q, at)| (teacher.words()[q].clone(), at))
        .collect()
}

/// Teacher rows scored per matrix product (rows x candidates floats at once).
const QUERY_BLOCK: usize = 256;

/// For each of `queries` (teacher rows): its `k` nearest `candidates` by cosine, with the
/// cosines, in no particular order.
fn nearest_rows(
    teacher: &Teacher,
    queries: &[usize],
    candidates: &[usize],
    k: usize,
    device: &Device,
) -> Vec<Vec<(usize, f32)>> {
    if candidates.is_empty() {
        return vec![Vec::new(); queries.len()];
    }
    let dim = teacher.dim();
    let unit = |rows: &[usize]| {
        let mut values: Vec<f32> = rows
            .iter()
            .flat_map(|&i| teacher.vector(i).to_vec())
            .collect();
        normalize_rows(&mut values, dim);
        Tensor::<2>::from_data(TensorData::new(values, [rows.len(), dim]), device)
    };
    let table = unit(candidates).transpose();
    let k = k.min(candidates.len());
    let mut nearest = Vec::with_capacity(queries.len());
    let mut order: Vec<usize> = Vec::with_capacity(candidates.len());
    for block in queries.chunks(QUERY_BLOCK) {
        let scores = unit(block)
            .matmul(table.clone())
            .into_data()
            .try_into_vec::<f32>()
            .expect("f32 scores");
        for row in scores.chunks_exact(candidates.len()) {
            order.clear();
            order.extend(0..candidates.len());
            order.select_nth_unstable_by(k - 1, |&a, &b| row[b].total_cmp(&row[a]));
            nearest.push(
                order[..k]
                    .iter()
                    .map(|&c| (candidates[c], row[c]))
                    .collect(),
            );
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

    /// cat, dog and a word without a letter, with their unseen neighbours.
    fn pets() -> Teacher {
        let words = ["cat", "dog", "kitten", "puppy", "car", "42"].map(String::from);
        let vectors = vec![
            1.0, 0.0, 0.0, // cat
            0.0, 1.0, 0.0, // dog
            0.9, 0.1, 0.0, // kitten
            0.1, 0.9, 0.0, // puppy
            0.0, 0.0, 1.0, // car
            1.0, 0.0, 0.0, // 42: no letter, never offered
        ];
        Teacher::from_parts("t", words.to_vec(), 3, vectors)
    }

    fn counts(words: &[(&str, usize)]) -> HashMap<String, usize> {
        words.iter().map(|&(w, n)| (w.to_owned(), n)).collect()
    }

    /// Each neighbour list holds the k nearest unseen words; seen words are never offered.
    #[test]
    fn neighbours_are_the_nearest_unseen_teacher_words() {
        let teacher = pets();
        let rows = split_rows(&teacher, &counts(&[("cat", 1), ("dog", 1), ("the", 1)]));
        let nearest = unseen_neighbors(&teacher, &rows, 1, &Device::flex());
        assert_eq!(nearest.len(), 2);
        assert_eq!(nearest["cat"], vec![2]);
        assert_eq!(nearest["dog"], vec![3]);
        let two = unseen_neighbors(&teacher, &rows, 2, &Device::flex());
        let mut cat = two["cat"].clone();
        cat.sort();
        assert_eq!(cat, vec![2, 3]);
    }

    /// `augment`'s settings for `assign_places`: `copies`, `neighbors`, `cover`.
    fn cover(copies: usize, neighbors: usize, cover: usize) -> AugmentOptions {
        AugmentOptions {
            tagger: PathBuf::new(),
            teacher: PathBuf::new(),
            train: PathBuf::new(),
            format: CorpusFormat::Auto,
            out: PathBuf::new(),
            copies,
            rate: 0.2,
            neighbors,
            cover,
            upper: 0.0,
            seed: 1,
        }
    }

    fn at(places: &[(usize, bool)]) -> Vec<Place> {
        places
            .iter()
            .map(|&(row, flip)| Place { row, flip })
            .collect()
    }

    /// Each unseen word takes one place, beside its nearest training word while that has
    /// room; with room for one word only, the nearest pair wins and the next word moves on.
    #[test]
    fn places_go_to_the_nearest_training_word_with_room() {
        let teacher = pets();
        let seen = counts(&[("cat", 1), ("dog", 1)]);
        let rows = split_rows(&teacher, &seen);
        let device = Device::flex();
        let places = assign_places(&teacher, &rows, &seen, &cover(1, 2, 1), &device);
        // kitten (0.99 to cat) and puppy (0.99 to dog); car is orthogonal to both but still
        // among its two nearest: it finds no room left.
        assert_eq!(places["cat"], at(&[(2, false)]));
        assert_eq!(places["dog"], at(&[(3, false)]));
        // Two copies: two places each, so car lands too, at whichever it was nearest
        // (a tie at cosine 0, broken by row order: cat).
        let places = assign_places(&teacher, &rows, &seen, &cover(2, 2, 1), &device);
        assert_eq!(places["cat"], at(&[(2, false), (4, false)]));
        assert_eq!(places["dog"], at(&[(3, false)]));
        // Two places per word, in rounds: first places first (kitten-cat and puppy-dog at
        // 0.99, then car-cat at 0), then second places, flipped, at each word's other
        // training word (puppy-cat and kitten-dog at 0.11; car-dog at 0 finds no room).
        let places = assign_places(&teacher, &rows, &seen, &cover(2, 2, 2), &device);
        assert_eq!(places["cat"], at(&[(2, false), (4, false)]));
        assert_eq!(places["dog"], at(&[(3, false), (2, true)]));
        // Only cat seen, one place: kitten takes it; puppy, farther, is not placed.
        let seen = counts(&[("cat", 1)]);
        let rows = split_rows(&teacher, &seen);
        let places = assign_places(&teacher, &rows, &seen, &cover(1, 1, 1), &device);
        assert_eq!(places["cat"], at(&[(2, false)]));
        // --cover 0: no places at all.
        assert!(assign_places(&teacher, &rows, &seen, &cover(1, 1, 0), &device).is_empty());
    }

    fn the_cat_sat() -> Sentence {
        Sentence {
            words: ["The", "Cat", "sat", "."].map(String::from).to_vec(),
            tags: ["DT", "NN", "VBD", "."].map(String::from).to_vec(),
            text: None,
        }
    }

    #[test]
    fn substitution_replaces_only_words_with_neighbours_and_keeps_gold_elsewhere() {
        let sentence = the_cat_sat();
        let words = ["kitten"].map(String::from);
        let nearest = HashMap::from([("cat".to_string(), vec![0])]);
        let rng = &mut ChaCha8Rng::seed_from_u64(1);
        let (new, at) = substitute(&sentence, &nearest, &mut HashMap::new(), &words, 1.0, rng);
        assert_eq!(at, vec![1]);
        assert_eq!(new.words, ["The", "Kitten", "sat", "."]);
        assert_eq!(new.tags, sentence.tags);
    }

    /// A placed word replaces whatever the rate says, once; then the rate rules again.
    #[test]
    fn a_placed_word_is_used_once_whatever_the_rate() {
        let sentence = the_cat_sat();
        let words = ["kitten", "tabby"].map(String::from);
        let nearest = HashMap::from([("cat".to_string(), vec![0])]);
        let mut places = HashMap::from([("cat".to_string(), at(&[(0, true), (1, false)]))]);
        let rng = &mut ChaCha8Rng::seed_from_u64(1);
        let (new, replaced) = substitute(&sentence, &nearest, &mut places, &words, 1e-9, rng);
        assert_eq!((new.words[1].as_str(), replaced), ("Tabby", vec![1]));
        // A flipped place writes the word in the other case than the one it replaces.
        let (new, replaced) = substitute(&sentence, &nearest, &mut places, &words, 1e-9, rng);
        assert_eq!((new.words[1].as_str(), replaced), ("kitten", vec![1]));
        assert!(places["cat"].is_empty());
        let (new, replaced) = substitute(&sentence, &nearest, &mut places, &words, 1e-9, rng);
        assert_eq!((new.words, replaced), (sentence.words.clone(), vec![]));
        assert_eq!(cased_unlike("cat", "kitten"), "Kitten");
    }
}
