//! Length buckets: words of one length per batch, so nothing is padded.

use serde::{Deserialize, Serialize};

/// `reconstruct --hard-negatives`: the order of the words inside each length before it is cut
/// into batches, so that a batch's words are spelled alike and the contrastive loss's in-batch
/// negatives are hard ones (words that share beginnings or endings but may be far apart in the
/// teacher). Without it a length's words stay in teacher row order (frequency rank).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HardNegatives {
    /// Ordered by the word itself: a batch's words share beginnings.
    Prefix,
    /// Ordered by the word's characters reversed: a batch's words share endings.
    Suffix,
}

impl HardNegatives {
    /// The sort key of `word`.
    pub fn key(self, word: &str) -> Vec<char> {
        match self {
            HardNegatives::Prefix => word.chars().collect(),
            HardNegatives::Suffix => word.chars().rev().collect(),
        }
    }

    /// The name on the command line.
    pub fn cli_name(self) -> &'static str {
        match self {
            HardNegatives::Prefix => "prefix",
            HardNegatives::Suffix => "suffix",
        }
    }
}

/// Indices of `lengths` grouped by length (ascending) and cut into batches of at most
/// `batch` words, in index order inside each length.
pub fn length_batches(lengths: &[usize], batch: usize) -> Vec<Vec<usize>> {
    length_batches_by(lengths, batch, |_| ())
}

/// As [`length_batches`], but ordered by `key(index)` inside each length (ties in index
/// order) before the cut.
pub fn length_batches_by<K: Ord>(
    lengths: &[usize],
    batch: usize,
    key: impl Fn(usize) -> K,
) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by_cached_key(|&i| (lengths[i], key(i), i));
    let mut batches = Vec::new();
    for group in order.chunk_by(|&a, &b| lengths[a] == lengths[b]) {
        batches.extend(group.chunks(batch.max(1)).map(<[usize]>::to_vec));
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_hold_one_length_and_every_index_once() {
        let lengths = [3, 1, 3, 2, 3, 1, 3];
        let batches = length_batches(&lengths, 2);
        assert_eq!(batches, vec![vec![1, 5], vec![3], vec![0, 2], vec![4, 6]]);
    }

    /// Hard negatives reorder the words inside each length, nothing else: every batch still
    /// holds one length, every index appears once, and with `suffix` a batch's words share
    /// their endings (with `prefix`, their beginnings).
    #[test]
    fn hard_negative_batches_group_words_spelled_alike() {
        let words = [
            "baking", "cat", "walked", "hat", "eating", "jumped", "cap", "go", "making", "talked",
            "cup", "at",
        ];
        let lengths: Vec<usize> = words.iter().map(|w| w.chars().count()).collect();
        let spelled = |key: HardNegatives| {
            let batches = length_batches_by(&lengths, 3, |i| key.key(words[i]));
            let mut seen: Vec<usize> = batches.concat();
            seen.sort_unstable();
            assert_eq!(seen, (0..words.len()).collect::<Vec<_>>());
            for b in &batches {
                assert!(b.iter().all(|&i| lengths[i] == lengths[b[0]]), "{b:?}");
            }
            let text = |b: &Vec<usize>| b.iter().map(|&i| words[i]).collect::<Vec<_>>();
            batches.iter().map(text).collect::<Vec<_>>()
        };
        let suffix = spelled(HardNegatives::Suffix);
        assert_eq!(
            suffix,
            vec![
                vec!["go", "at"],
                vec!["cap", "cup", "cat"],
                vec!["hat"],
                vec!["talked", "walked", "jumped"],
                vec!["baking", "making", "eating"],
            ]
        );
        assert!(suffix[4].iter().all(|w| w.ends_with("ing")));
        assert!(suffix[3][..2].iter().all(|w| w.ends_with("alked")));
        let prefix = spelled(HardNegatives::Prefix);
        assert_eq!(prefix[1], vec!["cap", "cat", "cup"]);
        assert_eq!(prefix[3], vec!["baking", "eating", "jumped"]);
        // Without a key: teacher row order inside each length, as before.
        assert_eq!(length_batches(&lengths, 3)[3], vec![0, 2, 4]);
    }
}
