//! The word2vec layouts `sublex` writes: one writer per format.
//!
//! Both start with the header line `<count> <dim>\n`. Text rows are `word v1 .. vd\n` with
//! each value printed so that it parses back to the same f32. Binary rows are the word's
//! UTF-8 bytes, one space, `dim` little-endian f32 values and `\n`, as the original word2vec
//! tool writes them and as gensim's `KeyedVectors.load_word2vec_format(path, binary=True)`
//! reads them (it drops the newline before each word).

use std::io::Write;

/// How vectors are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// word2vec text (what fastText calls `.vec`).
    Text,
    /// word2vec binary (`.bin`).
    Binary,
}

impl Layout {
    pub fn name(self) -> &'static str {
        match self {
            Layout::Text => "word2vec text",
            Layout::Binary => "word2vec binary",
        }
    }
}

/// Writes the header, then one row per [`Writer::row`] call.
pub struct Writer<W: Write> {
    out: W,
    layout: Layout,
    dim: usize,
}

impl<W: Write> Writer<W> {
    /// Starts a table of `count` vectors of `dim` values.
    pub fn new(mut out: W, layout: Layout, count: usize, dim: usize) -> std::io::Result<Self> {
        writeln!(out, "{count} {dim}")?;
        Ok(Writer { out, layout, dim })
    }

    /// Writes one row. A word that the format cannot store (see [`check_word`]) is refused
    /// before anything of it is written.
    pub fn row(&mut self, word: &str, vector: &[f32]) -> Result<(), RowError> {
        check_word(word)?;
        if vector.len() != self.dim {
            return Err(RowError::Dimension {
                expected: self.dim,
                found: vector.len(),
            });
        }
        match self.layout {
            Layout::Text => text_row(&mut self.out, word, vector)?,
            Layout::Binary => binary_row(&mut self.out, word, vector)?,
        }
        Ok(())
    }

    /// Flushes and returns the output.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Why a row was not written.
#[derive(Debug)]
pub enum RowError {
    /// The word is empty or holds a space or a line break: in either layout the reader
    /// would cut it there.
    Word(String),
    Dimension {
        expected: usize,
        found: usize,
    },
    Io(std::io::Error),
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RowError::Word(word) if word.is_empty() => {
                write!(f, "an empty word cannot be stored in a word2vec file")
            }
            RowError::Word(word) => write!(
                f,
                "the word {word:?} holds a space or a line break: word2vec files cannot store it"
            ),
            RowError::Dimension { expected, found } => {
                write!(f, "a vector of {found} values in a table of {expected}")
            }
            RowError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for RowError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RowError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for RowError {
    fn from(e: std::io::Error) -> Self {
        RowError::Io(e)
    }
}

/// A word both layouts can store: not empty, and no space or line break (a reader ends the
/// word at the first space, and skips line breaks before it).
pub fn check_word(word: &str) -> Result<(), RowError> {
    if word.is_empty() || word.contains([' ', '\n', '\r']) {
        return Err(RowError::Word(word.to_string()));
    }
    Ok(())
}

/// `word v1 .. vd\n`; `{}` prints the shortest text that parses back to the same f32.
pub fn text_row(out: &mut impl Write, word: &str, vector: &[f32]) -> std::io::Result<()> {
    write!(out, "{word}")?;
    for x in vector {
        write!(out, " {x}")?;
    }
    writeln!(out)
}

/// The word's bytes, a space, the values as little-endian f32, `\n`.
pub fn binary_row(out: &mut impl Write, word: &str, vector: &[f32]) -> std::io::Result<()> {
    let mut row = Vec::with_capacity(word.len() + 2 + 4 * vector.len());
    row.extend_from_slice(word.as_bytes());
    row.push(b' ');
    for x in vector {
        row.extend_from_slice(&x.to_le_bytes());
    }
    row.push(b'\n');
    out.write_all(&row)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(layout: Layout, rows: &[(&str, &[f32])]) -> Vec<u8> {
        let mut w = Writer::new(Vec::new(), layout, rows.len(), 2).unwrap();
        for (word, v) in rows {
            w.row(word, v).unwrap();
        }
        w.finish().unwrap()
    }

    #[test]
    fn binary_rows_are_word_space_little_endian_newline() {
        let bytes = table(Layout::Binary, &[("a", &[1.0, -2.5]), ("çà", &[0.1, 3e-9])]);
        let mut expected = b"2 2\na ".to_vec();
        expected.extend(1f32.to_le_bytes());
        expected.extend((-2.5f32).to_le_bytes());
        expected.extend(b"\n\xc3\xa7\xc3\xa0 ");
        expected.extend(0.1f32.to_le_bytes());
        expected.extend(3e-9f32.to_le_bytes());
        expected.push(b'\n');
        assert_eq!(bytes, expected);
    }

    #[test]
    fn text_values_parse_back_exactly() {
        let v = [0.1f32, -1.234_567_9e-20];
        let text = String::from_utf8(table(Layout::Text, &[("a", &v)])).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("1 2"));
        let row: Vec<&str> = lines.next().unwrap().split(' ').collect();
        assert_eq!(row[0], "a");
        let back: Vec<f32> = row[1..].iter().map(|x| x.parse().unwrap()).collect();
        assert_eq!(back, v);
    }

    #[test]
    fn words_the_format_cannot_store_are_refused() {
        for layout in [Layout::Text, Layout::Binary] {
            let mut w = Writer::new(Vec::new(), layout, 1, 1).unwrap();
            for word in ["a b", "a\nb", "\rb", ""] {
                let err = w.row(word, &[1.0]).unwrap_err().to_string();
                assert!(err.contains("word"), "{err}");
            }
            assert!(matches!(
                w.row("ok", &[1.0, 2.0]),
                Err(RowError::Dimension { .. })
            ));
            // Nothing of a refused row was written.
            assert_eq!(w.finish().unwrap(), b"1 1\n");
        }
    }

    #[test]
    fn write_failures_come_back() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::new(
                    std::io::ErrorKind::StorageFull,
                    "disk full",
                ))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        assert!(Writer::new(Full, Layout::Binary, 1, 1).is_err());
    }
}
