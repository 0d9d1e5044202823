//! Character vocabulary: Unicode scalar values -> dense ids, with one UNK id.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Id of every character the vocabulary does not hold (rare or unseen characters).
/// Batches hold words of one length, so no id is needed for padding.
pub const UNK: u32 = 0;

/// Words longer than this many characters keep their first `MAX_WORD_CHARS` characters.
/// It bounds the work per word (the LSTM runs once per character) and the scratch the
/// runtime needs; the longest word in the 100k GloVe teacher has 47 characters.
pub const MAX_WORD_CHARS: usize = 64;

/// A character vocabulary. Id 0 is [`UNK`]; known characters get ids 1.. in code-point order,
/// so the same training words always give the same ids.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub struct CharVocab {
    chars: Vec<char>,
    ids: HashMap<char, u32>,
}

impl CharVocab {
    /// Keeps the characters seen at least `min_count` times over `words`.
    pub fn build<'a>(words: impl IntoIterator<Item = &'a str>, min_count: usize) -> Self {
        let mut counts = BTreeMap::<char, usize>::new();
        for word in words {
            for c in word.chars() {
                *counts.entry(c).or_default() += 1;
            }
        }
        let chars = counts
            .into_iter()
            .filter(|&(_, n)| n >= min_count.max(1))
            .map(|(c, _)| c)
            .collect();
        Self::from_chars(chars)
    }

    /// The vocabulary whose id `i + 1` is `chars[i]` (duplicates keep their first id).
    pub fn from_chars(chars: Vec<char>) -> Self {
        let mut ids = HashMap::with_capacity(chars.len());
        for (i, &c) in chars.iter().enumerate() {
            ids.entry(c).or_insert(i as u32 + 1);
        }
        CharVocab { chars, ids }
    }

    /// Number of ids, UNK included.
    pub fn len(&self) -> usize {
        self.chars.len() + 1
    }

    /// True when only UNK exists.
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// The known characters in id order (id 1 first).
    pub fn chars(&self) -> &[char] {
        &self.chars
    }

    /// The id of one character.
    pub fn id(&self, c: char) -> u32 {
        self.ids.get(&c).copied().unwrap_or(UNK)
    }

    /// Number of characters of `word` the model reads (truncated to [`MAX_WORD_CHARS`]).
    pub fn encoded_len(word: &str) -> usize {
        word.chars().take(MAX_WORD_CHARS).count()
    }

    /// Appends the ids of `word`'s first [`MAX_WORD_CHARS`] characters to `out`.
    pub fn encode_into(&self, word: &str, out: &mut Vec<u32>) {
        out.extend(word.chars().take(MAX_WORD_CHARS).map(|c| self.id(c)));
    }

    /// The ids of `word` (see [`CharVocab::encode_into`]).
    pub fn encode(&self, word: &str) -> Vec<u32> {
        let mut out = Vec::with_capacity(word.len().min(MAX_WORD_CHARS));
        self.encode_into(word, &mut out);
        out
    }
}

// Stored as the string of known characters in id order: compact, readable in JSON.
impl From<String> for CharVocab {
    fn from(s: String) -> Self {
        CharVocab::from_chars(s.chars().collect())
    }
}

impl From<CharVocab> for String {
    fn from(v: CharVocab) -> Self {
        v.chars.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rare_characters_map_to_unk() {
        let v = CharVocab::build(["abc", "abd", "ab"], 2);
        assert_eq!(v.chars(), &['a', 'b']);
        assert_eq!(v.encode("abz"), vec![1, 2, UNK]);
        assert_eq!(v.len(), 3);
    }

    #[test]
    fn long_words_are_truncated() {
        let v = CharVocab::build(["a"], 1);
        let long = "a".repeat(MAX_WORD_CHARS * 3);
        assert_eq!(v.encode(&long).len(), MAX_WORD_CHARS);
        assert_eq!(CharVocab::encoded_len(&long), MAX_WORD_CHARS);
        assert!(v.encode("").is_empty());
    }

    #[test]
    fn string_round_trip_keeps_ids() {
        let v = CharVocab::build(["héllo", "wörld", "🙂"], 1);
        let s: String = v.clone().into();
        let back = CharVocab::from(s);
        assert_eq!(back, v);
        assert_eq!(back.encode("hö🙂"), v.encode("hö🙂"));
    }

    proptest! {
        #[test]
        fn any_string_encodes(s in "\\PC*") {
            let v = CharVocab::build(["abc"], 1);
            let ids = v.encode(&s);
            prop_assert_eq!(ids.len(), CharVocab::encoded_len(&s));
            prop_assert!(ids.iter().all(|&i| (i as usize) < v.len()));
        }
    }
}
