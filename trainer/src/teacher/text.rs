//! Text tables: GloVe (no header), word2vec text and fastText `.vec` (header `rows dim`).

use super::builder::RowBuilder;
use super::error::{ErrorKind, Location, TeacherError};
use super::Table;
use std::io::BufRead;
use std::path::Path;

/// Reads a text table, keeping at most `max_words` rows. A first line of exactly two
/// integers is a word2vec/fastText header; otherwise the file is GloVe and the first row
/// fixes the dimension.
pub(crate) fn read(path: &Path, max_words: usize) -> Result<Table, TeacherError> {
    let fail = |line: usize, kind: ErrorKind| TeacherError::new(path, Location::Line(line), kind);
    let file = std::fs::File::open(path).map_err(|e| TeacherError::new(path, Location::File, e))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut buf = Vec::new();
    let mut line_no = 0;
    let mut header: Option<usize> = None;
    let mut rows: Option<RowBuilder> = None;

    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| fail(line_no + 1, e.into()))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let line = std::str::from_utf8(trim_newline(&buf))
            .map_err(|e| fail(line_no, ErrorKind::InvalidUtf8(e.valid_up_to())))?;
        if line.trim().is_empty() {
            return Err(fail(line_no, ErrorKind::EmptyLine));
        }
        if line_no == 1 {
            if let Some((count, dim)) = parse_header(line).map_err(|k| fail(1, k))? {
                header = Some(count);
                rows = Some(RowBuilder::new(dim, count.min(max_words)));
                continue;
            }
        }
        let table = rows.get_or_insert_with(|| {
            let dim = line
                .split_ascii_whitespace()
                .count()
                .saturating_sub(1)
                .max(1);
            RowBuilder::new(dim, 1024)
        });
        if table.rows() >= max_words {
            break;
        }
        if header.is_some_and(|count| table.rows() >= count) {
            let found = table.rows() + 1;
            return Err(fail(
                line_no,
                ErrorKind::RowCountMismatch {
                    header: header.unwrap_or(0),
                    found,
                },
            ));
        }
        parse_row(line, table).map_err(|k| {
            table.drop_partial();
            fail(line_no, k)
        })?;
    }

    let table = rows
        .filter(|t| t.rows() > 0)
        .ok_or_else(|| TeacherError::new(path, Location::File, ErrorKind::Empty))?;
    if let Some(count) = header {
        if table.rows() < count.min(max_words) {
            return Err(fail(
                1,
                ErrorKind::RowCountMismatch {
                    header: count,
                    found: table.rows(),
                },
            ));
        }
    }
    Ok(Table::from(table))
}

fn trim_newline(mut line: &[u8]) -> &[u8] {
    while let [rest @ .., b'\n' | b'\r'] = line {
        line = rest;
    }
    line
}

/// `Some((rows, dim))` for a word2vec header line, `None` for a data row.
fn parse_header(line: &str) -> Result<Option<(usize, usize)>, ErrorKind> {
    let fields: Vec<&str> = line.split_ascii_whitespace().collect();
    if fields.len() != 2 {
        return Ok(None);
    }
    match (fields[0].parse::<usize>(), fields[1].parse::<usize>()) {
        (Ok(rows), Ok(dim)) if rows > 0 && dim > 0 => Ok(Some((rows, dim))),
        (Ok(_), Ok(_)) => Err(ErrorKind::BadHeader(line.to_string())),
        // A one-dimensional GloVe row such as `the 0.5` is data, not a header.
        _ => Ok(None),
    }
}

fn parse_row(line: &str, table: &mut RowBuilder) -> Result<(), ErrorKind> {
    let mut fields = line.split_ascii_whitespace();
    let word = fields.next().ok_or(ErrorKind::EmptyLine)?;
    let mut found = 0;
    for text in fields {
        found += 1;
        if found > table.dim {
            continue; // keep counting for the error message
        }
        let value = text.parse::<f32>().map_err(|_| ErrorKind::NotANumber {
            column: found,
            text: text.chars().take(40).collect(),
        })?;
        table.values.push(value);
    }
    if found != table.dim {
        return Err(ErrorKind::WrongDimension {
            expected: table.dim,
            found,
        });
    }
    table.finish_row(word)
}
