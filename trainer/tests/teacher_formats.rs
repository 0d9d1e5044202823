//! Teacher reading: every supported format, the cache, and every malformed input named in
//! the issue gives an error naming the file and line (never a panic).

use std::io::Write;
use std::path::{Path, PathBuf};
use sublex_trainer::teacher::{ErrorKind, Format, LoadOptions, Location, Teacher, TeacherError};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
    path
}

fn no_cache() -> LoadOptions {
    LoadOptions {
        cache_dir: None,
        ..LoadOptions::default()
    }
}

fn load_err(bytes: &[u8], name: &str) -> TeacherError {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), name, bytes);
    match Teacher::load(&path, &no_cache()) {
        Ok(_) => panic!("{name} should be rejected"),
        Err(e) => {
            let message = e.to_string();
            assert!(message.contains(name), "error names the file: {message}");
            e
        }
    }
}

fn word2vec_binary(rows: &[(&str, &[f32])], header_rows: usize) -> Vec<u8> {
    let dim = rows[0].1.len();
    let mut out = format!("{header_rows} {dim}\n").into_bytes();
    for (word, values) in rows {
        out.extend_from_slice(word.as_bytes());
        out.push(b' ');
        for v in *values {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.push(b'\n');
    }
    out
}

#[test]
fn reads_glove_word2vec_text_fasttext_and_binary_alike() {
    let dir = tempfile::tempdir().unwrap();
    let glove = write(dir.path(), "t.txt", b"the 0.5 -1\nof 2 3e-1\n");
    let w2v = write(dir.path(), "t.w2v.txt", b"2 2\nthe 0.5 -1\nof 2 3e-1\n");
    // fastText .vec: a header, trailing spaces, CRLF line ends.
    let vec = write(dir.path(), "t.vec", b"2 2\r\nthe 0.5 -1 \r\nof 2 3e-1 \r\n");
    let bin = write(
        dir.path(),
        "t.bin",
        &word2vec_binary(&[("the", &[0.5, -1.0]), ("of", &[2.0, 0.3])], 2),
    );
    for path in [glove, w2v, vec, bin] {
        let t = Teacher::load(&path, &no_cache()).unwrap();
        assert_eq!(t.words(), &["the", "of"], "{}", path.display());
        assert_eq!(t.dim(), 2);
        assert_eq!(t.vectors(), &[0.5, -1.0, 2.0, 0.3]);
    }
}

#[test]
fn max_words_keeps_the_first_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "t.txt", b"3 1\na 1\nb 2\nc 3\n");
    let opts = LoadOptions {
        max_words: Some(2),
        ..no_cache()
    };
    let t = Teacher::load(&path, &opts).unwrap();
    assert_eq!(t.words(), &["a", "b"]);
    let bin = write(
        dir.path(),
        "t.bin",
        &word2vec_binary(&[("a", &[1.0]), ("b", &[2.0]), ("c", &[3.0])], 3),
    );
    assert_eq!(Teacher::load(&bin, &opts).unwrap().words(), &["a", "b"]);
}

#[test]
fn cache_gives_the_same_table_and_survives_damage() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let path = write(
        dir.path(),
        "t.txt",
        b"the 0.5 -1\nof 2 3e-1\n\xc3\xa9t\xc3\xa9 1 1\n",
    );
    let opts = LoadOptions {
        cache_dir: Some(cache.clone()),
        ..LoadOptions::default()
    };
    let first = Teacher::load(&path, &opts).unwrap();
    let files: Vec<_> = std::fs::read_dir(&cache).unwrap().collect();
    assert_eq!(files.len(), 1, "one cache file written");
    let second = Teacher::load(&path, &opts).unwrap();
    assert_eq!(first.words(), second.words());
    assert_eq!(first.vectors(), second.vectors());
    assert_eq!(second.words()[2], "été");

    // A truncated cache is ignored and rewritten, never trusted.
    let cache_file = files.into_iter().next().unwrap().unwrap().path();
    let len = std::fs::metadata(&cache_file).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&cache_file)
        .unwrap()
        .set_len(len - 3)
        .unwrap();
    let third = Teacher::load(&path, &opts).unwrap();
    assert_eq!(third.vectors(), first.vectors());
    assert_eq!(std::fs::metadata(&cache_file).unwrap().len(), len);
}

#[test]
fn wrong_column_count_names_the_line() {
    let e = load_err(b"a 1 2\nb 1 2 3\n", "cols.txt");
    assert_eq!(e.location, Location::Line(2));
    assert!(
        matches!(
            e.kind,
            ErrorKind::WrongDimension {
                expected: 2,
                found: 3
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("cols.txt:2"), "{e}");
}

#[test]
fn non_numeric_value() {
    let e = load_err(b"a 1 2\nb 1 x2\n", "nan.txt");
    assert_eq!(e.location, Location::Line(2));
    assert!(
        matches!(e.kind, ErrorKind::NotANumber { column: 2, .. }),
        "{e}"
    );
}

#[test]
fn nan_and_infinity_are_rejected() {
    for (bytes, line) in [(&b"a 1 NaN\n"[..], 1), (&b"a 1 2\nb inf 2\n"[..], 2)] {
        let e = load_err(bytes, "finite.txt");
        assert_eq!(e.location, Location::Line(line));
        assert!(matches!(e.kind, ErrorKind::NotFinite { .. }), "{e}");
    }
    let bin = word2vec_binary(&[("a", &[1.0]), ("b", &[f32::NAN])], 2);
    let e = load_err(&bin, "finite.bin");
    assert!(matches!(e.location, Location::Row { row: 2, .. }), "{e}");
}

#[test]
fn inconsistent_dimension_against_the_header() {
    let e = load_err(b"2 3\na 1 2 3\nb 1 2\n", "dims.vec");
    assert_eq!(e.location, Location::Line(3));
    assert!(
        matches!(
            e.kind,
            ErrorKind::WrongDimension {
                expected: 3,
                found: 2
            }
        ),
        "{e}"
    );
}

#[test]
fn duplicate_word() {
    let e = load_err(b"a 1\nb 2\na 3\n", "dup.txt");
    assert_eq!(e.location, Location::Line(3));
    assert!(
        matches!(e.kind, ErrorKind::DuplicateWord { first_row: 1, .. }),
        "{e}"
    );
}

#[test]
fn invalid_utf8() {
    let e = load_err(b"a 1\n\xff\xfe 2\n", "utf8.txt");
    assert_eq!(e.location, Location::Line(2));
    assert!(matches!(e.kind, ErrorKind::InvalidUtf8(0)), "{e}");
    let mut bin = word2vec_binary(&[("a", &[1.0]), ("bb", &[2.0])], 2);
    let pos = bin.iter().position(|&b| b == b'b').unwrap();
    bin[pos] = 0xff;
    let e = load_err(&bin, "utf8.bin");
    assert!(matches!(e.kind, ErrorKind::InvalidUtf8Word), "{e}");
}

#[test]
fn empty_file_and_empty_lines() {
    let e = load_err(b"", "empty.txt");
    assert!(matches!(e.kind, ErrorKind::Empty), "{e}");
    let e = load_err(b"", "empty.bin");
    assert!(matches!(e.kind, ErrorKind::Empty), "{e}");
    let e = load_err(b"a 1\n\nb 2\n", "blank.txt");
    assert_eq!(e.location, Location::Line(2));
    assert!(matches!(e.kind, ErrorKind::EmptyLine), "{e}");
}

#[test]
fn header_disagreeing_with_the_body() {
    let e = load_err(b"3 1\na 1\nb 2\n", "short.vec");
    assert_eq!(e.location, Location::Line(1));
    assert!(
        matches!(
            e.kind,
            ErrorKind::RowCountMismatch {
                header: 3,
                found: 2
            }
        ),
        "{e}"
    );
    let e = load_err(b"1 1\na 1\nb 2\n", "long.vec");
    assert_eq!(e.location, Location::Line(3));
    assert!(
        matches!(
            e.kind,
            ErrorKind::RowCountMismatch {
                header: 1,
                found: 2
            }
        ),
        "{e}"
    );
    let e = load_err(b"0 100\n", "zero.vec");
    assert!(matches!(e.kind, ErrorKind::BadHeader(_)), "{e}");
}

#[test]
fn truncated_binary_file() {
    let bin = word2vec_binary(&[("a", &[1.0, 2.0]), ("b", &[3.0, 4.0])], 2);
    for cut in [bin.len() - 3, bin.len() - 9] {
        let e = load_err(&bin[..cut], "cut.bin");
        assert!(matches!(e.location, Location::Row { row: 2, .. }), "{e}");
        assert!(matches!(e.kind, ErrorKind::Truncated(_)), "{e}");
    }
    // Only the final newline missing: a complete file.
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "ok.bin", &bin[..bin.len() - 1]);
    assert_eq!(
        Teacher::load(&path, &no_cache()).unwrap().vectors(),
        &[1.0, 2.0, 3.0, 4.0]
    );
}

#[test]
fn a_binary_file_without_separators_is_not_read_forever() {
    let mut bin = b"1 2\n".to_vec();
    bin.extend(std::iter::repeat_n(b'x', 10_000));
    let e = load_err(&bin, "huge.bin");
    assert!(matches!(e.kind, ErrorKind::WordTooLong(_)), "{e}");
}

#[test]
fn explicit_format_overrides_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "vectors.bin", b"a 1 2\n");
    let opts = LoadOptions {
        format: Format::Glove,
        ..no_cache()
    };
    assert_eq!(Teacher::load(&path, &opts).unwrap().dim(), 2);
}
