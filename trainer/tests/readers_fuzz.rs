//! The teacher and corpus readers under mutation: real files from `data/` in every format,
//! with bytes flipped, inserted, removed, lines doubled or cut, and plain random bytes. No
//! input may panic; every error names the file, and the line (or binary row) when the
//! problem is in one.

use proptest::prelude::*;
use std::path::{Path, PathBuf};
use sublex_trainer::tagger::{read_corpus, CorpusFormat};
use sublex_trainer::teacher::{Format, LoadOptions, Location, Teacher};

fn shipped(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The first `n` lines of a shipped file.
fn head(name: &str, n: usize) -> String {
    shipped(name)
        .lines()
        .take(n)
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Real teacher files in each format: GloVe text, word2vec text (a header), word2vec binary.
fn teachers() -> Vec<(&'static str, Format, Vec<u8>)> {
    let glove = head("glove-6b-100d.top2k.txt", 12);
    let text = format!("12 100\n{glove}");
    let mut binary = b"12 100\n".to_vec();
    for line in glove.lines() {
        let mut fields = line.split(' ');
        binary.extend(fields.next().unwrap().as_bytes());
        binary.push(b' ');
        for v in fields {
            binary.extend(v.parse::<f32>().unwrap().to_le_bytes());
        }
        binary.push(b'\n');
    }
    vec![
        ("teacher.txt", Format::Glove, glove.into_bytes()),
        ("teacher.vec", Format::Text, text.into_bytes()),
        ("teacher.bin", Format::Binary, binary),
    ]
}

/// Real corpus slices in each format: CoNLL-U, `word_TAG` lines, `word<TAB>tag` lines.
fn corpora() -> Vec<(&'static str, CorpusFormat, Vec<u8>)> {
    let conllu = head("en_ewt-ud-dev.first200.conllu", 60);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "slice.conllu", conllu.as_bytes());
    let sentences = read_corpus(&path, CorpusFormat::Conllu).unwrap();
    let (mut tagged, mut tabbed) = (String::new(), String::new());
    for s in &sentences {
        for (w, t) in s.words.iter().zip(&s.tags) {
            tagged += &format!("{w}_{t} ");
            tabbed += &format!("{w}\t{t}\n");
        }
        tagged += "\n";
        tabbed += "\n";
    }
    vec![
        ("corpus.conllu", CorpusFormat::Conllu, conllu.into_bytes()),
        ("corpus.txt", CorpusFormat::WordTag, tagged.into_bytes()),
        ("corpus.tab", CorpusFormat::WordTab, tabbed.into_bytes()),
    ]
}

#[derive(Clone, Debug)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Remove(usize, usize),
    DoubleLine(usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let byte = prop::sample::select(b"\0\t\n\r -.0123456789eE_#\xff\xc3\xa9az".to_vec());
    prop_oneof![
        (any::<usize>(), 0..8u8).prop_map(|(at, bit)| Edit::Flip(at, bit)),
        (any::<usize>(), byte).prop_map(|(at, b)| Edit::Insert(at, b)),
        (any::<usize>(), 1..40usize).prop_map(|(at, n)| Edit::Remove(at, n)),
        any::<usize>().prop_map(Edit::DoubleLine),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let n = bytes.len().max(1);
        match *e {
            Edit::Flip(at, bit) if !bytes.is_empty() => bytes[at % n] ^= 1 << bit,
            Edit::Insert(at, b) => bytes.insert(at % (bytes.len() + 1), b),
            Edit::Remove(at, k) if !bytes.is_empty() => {
                let at = at % n;
                bytes.drain(at..(at + k).min(bytes.len()));
            }
            Edit::DoubleLine(at) => {
                let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
                let i = at % lines.len().max(1);
                let mut out = Vec::with_capacity(bytes.len() * 2);
                for (j, l) in lines.iter().enumerate() {
                    out.extend_from_slice(l);
                    if j == i {
                        out.extend_from_slice(l);
                    }
                }
                bytes = out;
            }
            Edit::Truncate(at) => bytes.truncate(at % n),
            _ => {}
        }
    }
    bytes
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Every teacher format on `bytes`: a table, or an error naming the file (and its line or
/// row when it points into the file).
fn check_teacher(dir: &Path, name: &str, format: Format, bytes: &[u8]) {
    let path = write(dir, name, bytes);
    let options = LoadOptions {
        format,
        cache_dir: None,
        ..LoadOptions::default()
    };
    match Teacher::load(&path, &options) {
        Ok(t) => assert_eq!(t.words().len(), t.len()),
        Err(e) => {
            let (message, file) = (e.to_string(), path.display().to_string());
            let named = match e.location {
                // Compiler style: `path:line: problem`.
                Location::Line(n) => format!("{file}:{n}: "),
                Location::Row { row, .. } => format!("{file}: row {row} "),
                Location::File => file,
            };
            assert!(message.starts_with(&named), "{message}");
        }
    }
}

fn check_corpus(dir: &Path, name: &str, format: CorpusFormat, bytes: &[u8]) {
    let path = write(dir, name, bytes);
    for format in [format, CorpusFormat::Auto] {
        match read_corpus(&path, format) {
            Ok(sentences) => assert!(sentences.iter().all(|s| s.words.len() == s.tags.len())),
            Err(e) => {
                let message = e.to_string();
                assert!(message.contains(&path.display().to_string()), "{message}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn mutated_teacher_files_never_panic(which in 0..3usize, edits in prop::collection::vec(edit(), 1..6)) {
        let dir = tempfile::tempdir().unwrap();
        let (name, format, bytes) = teachers().swap_remove(which);
        check_teacher(dir.path(), name, format, &apply(bytes.clone(), &edits));
        check_teacher(dir.path(), name, Format::Auto, &apply(bytes, &edits));
    }

    #[test]
    fn random_bytes_never_panic_a_teacher_reader(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let dir = tempfile::tempdir().unwrap();
        for (name, format, _) in teachers() {
            check_teacher(dir.path(), name, format, &bytes);
        }
    }

    #[test]
    fn mutated_corpora_never_panic(which in 0..3usize, edits in prop::collection::vec(edit(), 1..6)) {
        let dir = tempfile::tempdir().unwrap();
        let (name, format, bytes) = corpora().swap_remove(which);
        check_corpus(dir.path(), name, format, &apply(bytes, &edits));
    }
}
