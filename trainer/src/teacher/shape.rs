//! The size of a teacher table without reading its vectors.

use super::error::{ErrorKind, Location, TeacherError};
use super::Format;
use std::io::{BufRead, Read};
use std::path::Path;

/// Rows and dimension of a table, and its size on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TableShape {
    pub rows: usize,
    pub dim: usize,
    pub file_bytes: u64,
}

impl TableShape {
    /// Reads the header (word2vec, fastText) or counts lines (GloVe): no vector is parsed.
    pub fn peek(path: &Path, format: Format) -> Result<TableShape, TeacherError> {
        let fail = |location, kind: ErrorKind| TeacherError::new(path, location, kind);
        let file = std::fs::File::open(path).map_err(|e| fail(Location::File, e.into()))?;
        let file_bytes = file
            .metadata()
            .map_err(|e| fail(Location::File, e.into()))?
            .len();
        let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
        let mut first = Vec::new();
        reader
            .read_until(b'\n', &mut first)
            .map_err(|e| fail(Location::Line(1), e.into()))?;
        let text = String::from_utf8_lossy(&first);
        let fields: Vec<&str> = text.split_ascii_whitespace().collect();
        if fields.is_empty() {
            return Err(fail(Location::File, ErrorKind::Empty));
        }
        let header = match fields.as_slice() {
            [rows, dim] if format != Format::Glove => {
                rows.parse::<usize>().ok().zip(dim.parse::<usize>().ok())
            }
            _ => None,
        };
        if let Some((rows, dim)) = header {
            return Ok(TableShape {
                rows,
                dim,
                file_bytes,
            });
        }
        if format.resolve(path) == Format::Binary {
            return Err(fail(
                Location::Line(1),
                ErrorKind::BadHeader(text.trim().to_string()),
            ));
        }
        // GloVe: the first row fixes the dimension; every further line is a row.
        let mut rows = 1;
        let mut buf = vec![0u8; 1 << 20];
        let mut last = b'\n';
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(|e| fail(Location::File, e.into()))?;
            if n == 0 {
                break;
            }
            rows += buf[..n].iter().filter(|&&b| b == b'\n').count();
            last = buf[n - 1];
        }
        if last != b'\n' {
            rows += 1; // a last line without its newline
        }
        Ok(TableShape {
            rows,
            dim: fields.len() - 1,
            file_bytes,
        })
    }
}
