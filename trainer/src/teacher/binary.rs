//! word2vec binary tables: a text header `rows dim\n`, then per row the word, one space and
//! `dim` little-endian f32 values (optionally followed by a newline).

use super::builder::RowBuilder;
use super::error::{ErrorKind, Location, TeacherError};
use super::Table;
use std::io::{BufRead, Read};
use std::path::Path;

/// Longest word accepted: a corrupt file must not make us buffer gigabytes looking for a space.
const MAX_WORD_BYTES: usize = 4096;

pub(crate) fn read(path: &Path, max_words: usize) -> Result<Table, TeacherError> {
    let file = std::fs::File::open(path).map_err(|e| TeacherError::new(path, Location::File, e))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
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

/// Reads one word up to its separating space, skipping the newline some writers put before
/// it. Returns the bytes consumed.
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
