//! A hybrid file's stored words (issue 15), held once: the file's newline-joined text as it
//! is, where each word ends, and a hash index over them. Parsing checks the words (non-empty,
//! distinct) with the same index a lookup uses, so opening a file of 30,000 words costs one
//! copy and one pass instead of 30,000 strings, a set and a sort.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;

/// Why a list of words cannot be a file's stored words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WordListError {
    /// Word `i` is empty.
    Empty(usize),
    /// Word `i` repeats an earlier one.
    Duplicate(usize),
    /// Word `i` holds a newline (the file's separator).
    Newline(usize),
    /// More words than a file may store.
    TooMany(usize),
}

impl fmt::Display for WordListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WordListError::Empty(i) => write!(f, "stored word {i} is empty"),
            WordListError::Duplicate(i) => write!(f, "stored word {i} repeats an earlier one"),
            WordListError::Newline(i) => write!(f, "stored word {i} holds a newline"),
            WordListError::TooMany(n) => {
                write!(f, "{n} stored words (at most {})", super::MAX_ROWS)
            }
        }
    }
}

impl std::error::Error for WordListError {}

/// Distinct non-empty words in row order (word `i` is row `i`'s), none holding a newline.
#[derive(Clone)]
pub struct WordList {
    /// The words joined by newlines: the file's own text.
    text: String,
    /// Word `i` ends at `ends[i]` (exclusive); the next starts one byte later.
    ends: Vec<u32>,
    /// Open addressing over row ids (`EMPTY` for a free slot), a power of two at least twice
    /// the words, probed linearly from a word's hash. The hasher is keyed per process, so a
    /// hostile file cannot choose words that all collide.
    slots: Vec<u32>,
    hasher: RandomState,
}

const EMPTY: u32 = u32::MAX;

impl WordList {
    /// The words of `joined` (split at newlines), checked.
    pub fn parse(joined: &str) -> Result<WordList, WordListError> {
        let ends: Vec<u32> = (joined.match_indices('\n').map(|(i, _)| i as u32))
            .chain([joined.len() as u32])
            .collect();
        if ends.len() > super::MAX_ROWS {
            return Err(WordListError::TooMany(ends.len()));
        }
        let mut list = WordList {
            text: joined.to_owned(),
            slots: vec![EMPTY; (2 * ends.len()).next_power_of_two()],
            ends,
            hasher: RandomState::new(),
        };
        for i in 0..list.len() {
            list.insert(i)?;
        }
        Ok(list)
    }

    /// `words` in order, checked.
    pub fn new<S: AsRef<str>>(words: &[S]) -> Result<WordList, WordListError> {
        if let Some(i) = words.iter().position(|w| w.as_ref().contains('\n')) {
            return Err(WordListError::Newline(i));
        }
        let words: Vec<&str> = words.iter().map(AsRef::as_ref).collect();
        WordList::parse(&words.join("\n"))
    }

    fn insert(&mut self, row: usize) -> Result<(), WordListError> {
        let word = self.get(row);
        if word.is_empty() {
            return Err(WordListError::Empty(row));
        }
        let mut slot = self.first_slot(word);
        while self.slots[slot] != EMPTY {
            if self.get(self.slots[slot] as usize) == word {
                return Err(WordListError::Duplicate(row));
            }
            slot = (slot + 1) & (self.slots.len() - 1);
        }
        self.slots[slot] = row as u32;
        Ok(())
    }

    fn first_slot(&self, word: &str) -> usize {
        self.hasher.hash_one(word) as usize & (self.slots.len() - 1)
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Word `i`.
    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 {
            0
        } else {
            self.ends[i - 1] as usize + 1
        };
        &self.text[start..self.ends[i] as usize]
    }

    /// The row of `word`, if stored (exact match); allocates nothing.
    pub fn find(&self, word: &str) -> Option<usize> {
        let mut slot = self.first_slot(word);
        loop {
            match self.slots[slot] {
                EMPTY => return None,
                row if self.get(row as usize) == word => return Some(row as usize),
                _ => slot = (slot + 1) & (self.slots.len() - 1),
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The words joined by newlines, as the file stores them.
    pub fn joined(&self) -> &str {
        &self.text
    }

    /// Bytes held: the text, the ends and the index.
    pub fn heap_bytes(&self) -> usize {
        self.text.len() + 4 * (self.ends.len() + self.slots.len())
    }
}

// Equal words are equal lists, whatever the per-process hash put where.
impl PartialEq for WordList {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl fmt::Debug for WordList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter().take(8)).finish()?;
        write!(f, " ({} words)", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_word_and_no_other() {
        let words: Vec<String> = (0..1000).map(|i| format!("w{i}")).collect();
        let list = WordList::new(&words).unwrap();
        for (i, w) in words.iter().enumerate() {
            assert_eq!(list.find(w), Some(i));
            assert_eq!(list.get(i), w);
        }
        for absent in ["", "w", "w1000", "w1\nw2", "W1"] {
            assert_eq!(list.find(absent), None);
        }
        assert_eq!(list.joined(), words.join("\n"));
    }

    #[test]
    fn rejects_empty_and_repeated_words() {
        assert_eq!(
            WordList::parse("a\n\nb").unwrap_err(),
            WordListError::Empty(1)
        );
        assert_eq!(WordList::parse("").unwrap_err(), WordListError::Empty(0));
        assert_eq!(
            WordList::parse("a\nb\na").unwrap_err(),
            WordListError::Duplicate(2)
        );
        assert_eq!(
            WordList::new(&["a", "b\nc"]).unwrap_err(),
            WordListError::Newline(1)
        );
        assert_eq!(WordList::parse("é\nb").unwrap().find("é"), Some(0));
    }
}
