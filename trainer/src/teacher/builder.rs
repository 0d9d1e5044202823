//! Collects rows while checking what every format shares: dimension, finiteness, duplicates.

use super::error::ErrorKind;
use std::collections::HashMap;

/// Rows read so far. Readers push one row at a time and get back the problem, if any; they
/// attach the location themselves because only they know lines and byte offsets.
pub(crate) struct RowBuilder {
    pub dim: usize,
    pub words: Vec<String>,
    pub values: Vec<f32>,
    seen: HashMap<String, usize>,
}

impl RowBuilder {
    pub fn new(dim: usize, capacity: usize) -> Self {
        RowBuilder {
            dim,
            words: Vec::with_capacity(capacity),
            values: Vec::with_capacity(capacity.saturating_mul(dim)),
            seen: HashMap::with_capacity(capacity),
        }
    }

    pub fn rows(&self) -> usize {
        self.words.len()
    }

    /// Adds a word whose values the caller already appended to `self.values`.
    pub fn finish_row(&mut self, word: &str) -> Result<(), ErrorKind> {
        let start = self.words.len() * self.dim;
        if let Some((column, &value)) = self.values[start..]
            .iter()
            .enumerate()
            .find(|(_, v)| !v.is_finite())
        {
            return Err(ErrorKind::NotFinite {
                column: column + 1,
                value,
            });
        }
        let row = self.words.len() + 1;
        if let Some(&first_row) = self.seen.get(word) {
            return Err(ErrorKind::DuplicateWord {
                word: word.to_string(),
                first_row,
            });
        }
        self.seen.insert(word.to_string(), row);
        self.words.push(word.to_string());
        Ok(())
    }

    /// Undoes a row whose values were appended but which failed.
    pub fn drop_partial(&mut self) {
        self.values.truncate(self.words.len() * self.dim);
    }
}
