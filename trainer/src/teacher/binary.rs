//! word2vec binary tables: a text header `rows dim\n`, then per row the word, one space and
//! `dim` little-endian f32 values. Writers differ after the values: the original word2vec
//! tool (and `sublex vectors --binary`) writes a newline, gensim's `save_word2vec_format`
//! writes nothing; both read alike because line breaks before a word are skipped.

use super::builder::RowBuilder;
use super::error::{ErrorKind, Location, TeacherError};
use super::Table;
use std::io::BufRead;
use std::path::Path;

/// Longest word accepted: a corrupt file must not make us buffer gigabytes looking for a space.
const MAX_WORD_BYTES: usize = 4096;

pub(crate) fn read(path: &Path, max_words: usize) -> Result<Table, TeacherError> {
    let file = std::fs::File::open(path).map_err(|e| TeacherError::new(path, Location::File, e))?;
    parse(
        std::io::BufReader::with_capacity(1 << 20, file),
        path,
        max_words,
    )
}

/// Reads the table from `reader`; `path` names it in errors.
fn parse(mut reader: impl BufRead, path: &Path, max_words: usize) -> Result<Table, TeacherError> {
    let mut header = String::new();
    let mut offset = reader
        .read_line(&mut header)
        .map_err(|e| TeacherError::new(path, Location::Line(1), e))? as u64;
    if offset == 0 {
        return Err(TeacherError::new(path, Location::File, ErrorKind::Empty));
    }
    let (count, dim) = parse_header(header.trim()).ok_or_else(|| {
        TeacherError::new(
            path,
            Location::Line(1),
            ErrorKind::BadHeader(header.trim().to_string()),
        )
    })?;
    let wanted = count.min(max_words);
    let mut table = RowBuilder::new(dim, wanted);
    let mut word = Vec::new();
    let mut bytes = vec![0u8; dim * 4];
    while table.rows() < wanted {
        let location = Location::Row {
            row: table.rows() + 1,
            offset,
        };
        let fail = |kind: ErrorKind| TeacherError::new(path, location.clone(), kind);
        offset += read_word(&mut reader, &mut word).map_err(fail)?;
        reader.read_exact(&mut bytes).map_err(|e| {
            fail(match e.kind() {
                std::io::ErrorKind::UnexpectedEof => ErrorKind::Truncated("missing vector values"),
                _ => e.into(),
            })
        })?;
        offset += bytes.len() as u64;
        let text = std::str::from_utf8(&word).map_err(|_| fail(ErrorKind::InvalidUtf8Word))?;
        table.values.extend(
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        );
        table.finish_row(text).map_err(|k| {
            table.drop_partial();
            fail(k)
        })?;
    }
    if table.rows() == 0 {
        return Err(TeacherError::new(path, Location::File, ErrorKind::Empty));
    }
    Ok(Table::from(table))
}

fn parse_header(line: &str) -> Option<(usize, usize)> {
    let mut it = line.split_ascii_whitespace();
    let rows = it.next()?.parse::<usize>().ok()?;
    let dim = it.next()?.parse::<usize>().ok()?;
    (it.next().is_none() && rows > 0 && dim > 0).then_some((rows, dim))
}

/// Reads one word up to the first space, skipping the line break (`\n`, `\r\n`) that
/// writers which end rows with one leave before it. Returns the bytes consumed.
fn read_word(reader: &mut impl BufRead, word: &mut Vec<u8>) -> Result<u64, ErrorKind> {
    word.clear();
    let mut consumed = 0u64;
    let mut byte = [0u8; 1];
    loop {
        match reader.read(&mut byte)? {
            0 => return Err(ErrorKind::Truncated("missing word")),
            _ => consumed += 1,
        }
        match byte[0] {
            b' ' if !word.is_empty() => return Ok(consumed),
            b'\n' | b'\r' | b' ' if word.is_empty() => continue,
            b => word.push(b),
        }
        if word.len() > MAX_WORD_BYTES {
            return Err(ErrorKind::WordTooLong(MAX_WORD_BYTES));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values whose bytes hold spaces and line breaks: only their count may end them.
    fn awkward() -> [f32; 3] {
        [
            f32::from_le_bytes([b'\n', b' ', b'\n', b' ']),
            f32::from_le_bytes([b' ', b'\n', b' ', 0x3f]),
            -0.5,
        ]
    }

    /// A table of `rows` with `after` written after each vector.
    fn bytes(rows: &[(&str, [f32; 3])], after: &[u8]) -> Vec<u8> {
        let mut out = format!("{} 3\n", rows.len()).into_bytes();
        for (word, values) in rows {
            out.extend_from_slice(word.as_bytes());
            out.push(b' ');
            values.iter().for_each(|v| out.extend(v.to_le_bytes()));
            out.extend_from_slice(after);
        }
        out
    }

    fn read_bytes(bytes: &[u8], max_words: usize) -> Result<Table, TeacherError> {
        parse(bytes, Path::new("made.bin"), max_words)
    }

    #[test]
    fn reads_rows_with_and_without_a_newline_after_each_vector() {
        let rows = [
            ("the", awkward()),
            ("çà", [1.0, f32::MIN_POSITIVE, 3.4e38]),
            ("x\ty", [0.0, -0.0, 1e-45]),
        ];
        // The word2vec tool and `sublex vectors --binary`; gensim; a CRLF writer.
        for after in [&b"\n"[..], b"", b"\r\n"] {
            let table = read_bytes(&bytes(&rows, after), usize::MAX).unwrap();
            assert_eq!(table.words, ["the", "çà", "x\ty"], "after {after:?}");
            assert_eq!(table.dim, 3);
            let expected: Vec<u32> = rows.iter().flat_map(|r| r.1).map(f32::to_bits).collect();
            let read: Vec<u32> = table.values.iter().map(|v| v.to_bits()).collect();
            assert_eq!(read, expected, "after {after:?}: every bit of every value");
            // The first rows alone.
            let first = read_bytes(&bytes(&rows, after), 2).unwrap();
            assert_eq!(first.words, ["the", "çà"]);
            assert_eq!(first.values.len(), 6);
        }
    }

    #[test]
    fn the_word_ends_at_the_first_space() {
        // Values that look like text: the word is `b`, `c d ` are the value's bytes.
        let text = f32::from_le_bytes(*b"c d ");
        let mut b = b"2 1\na ".to_vec();
        b.extend(1f32.to_le_bytes());
        b.extend(b"b c d ");
        let table = read_bytes(&b, usize::MAX).unwrap();
        assert_eq!(table.words, ["a", "b"]);
        assert_eq!(table.values[1].to_bits(), text.to_bits());
        // One byte short: the error names the file and the row.
        let err = read_bytes(&b[..b.len() - 1], usize::MAX).err().unwrap();
        assert!(matches!(err.kind, ErrorKind::Truncated(_)), "{err}");
        let message = err.to_string();
        assert!(message.contains("made.bin: row 2"), "{message}");
    }

    #[test]
    fn a_missing_row_is_truncation() {
        let b = bytes(&[("a", [1.0, 2.0, 3.0])], b"");
        let mut two = b"2".to_vec();
        two.extend_from_slice(&b[1..]);
        let err = read_bytes(&two, usize::MAX).err().unwrap();
        assert!(matches!(err.kind, ErrorKind::Truncated(_)), "{err}");
    }
}
