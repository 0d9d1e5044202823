//! The `sublex` subcommands.

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashSet;
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;
use sublex_runtime::{tokenize, Artifact, BackendChoice, Embedder, Kind, Neighbors, TagId, Tagger};

use crate::word2vec::{self, Layout};

/// Words embedded per call when writing a file: bounds memory for any list size.
const BLOCK: usize = 4096;

pub fn info(path: &Path, backend: BackendChoice) -> Result<()> {
    let artifact = Artifact::open(path)?;
    let m = artifact.manifest();
    let chars: String = m.vocab.chars().iter().collect();
    println!("file          {}", path.display());
    println!(
        "kind          {} (format version {})",
        m.kind, m.format_version
    );
    println!("size          {} bytes", artifact.file_size());
    println!("precision     {}", m.precision);
    let params = match m.tagger_shapes() {
        Some(t) => t.num_params(),
        None => m.shapes().num_params(),
    };
    println!("parameters    {params}");
    println!(
        "dimensions    chars {} -> BiLSTM 2 x {} -> {}{}",
        m.char_dim,
        m.hidden,
        m.dim,
        if m.highway { " + highway" } else { "" }
    );
    println!(
        "vocabulary    {} ids (UNK + {} characters): {}",
        m.vocab.len(),
        m.vocab.chars().len(),
        chars.escape_debug()
    );
    println!(
        "word limit    {} characters (longer words keep their first ones)",
        sublex_runtime::MAX_WORD_CHARS
    );
    println!("trained       loss {}, teacher {}", m.loss, m.teacher);
    match &m.tagger {
        Some(t) => {
            println!(
                "tagger        word BiLSTM 2 x {} -> MLP {} -> {} tags: {}",
                t.word_hidden,
                t.mlp,
                t.tags.len(),
                t.tags.join(" ")
            );
            let tagger = Tagger::from_artifact(&artifact, backend)?;
            println!("backend       {}", tagger.backend_name());
        }
        None => {
            let embedder = Embedder::from_artifact(&artifact, backend)?;
            if let Some(rows) = &m.rows {
                // What the file spends on each part: the stored rows (values and words) and
                // the character model (the rest).
                let width = rows.precision.row_bytes(m.dim);
                let words: usize = rows.words.iter().map(|w| w.len() + 1).sum();
                let stored = rows.words.len() * width + words;
                println!(
                    "stored rows   {} teacher words ({}): about {} bytes in the file ({} of values, {} of words), {} bytes in memory; the character model the rest",
                    rows.words.len(),
                    rows.precision,
                    stored,
                    rows.words.len() * width,
                    words,
                    embedder.stored_rows_bytes()
                );
            }
            println!("backend       {}", embedder.backend_name());
        }
    }
    Ok(())
}

pub fn embed(path: &Path, backend: BackendChoice, words: Vec<String>) -> Result<()> {
    let mut embedder = Embedder::open(path, backend)?;
    let words = if words.is_empty() {
        stdin_words()?
    } else {
        words
    };
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    let mut out = vec![0.0; refs.len() * embedder.dim()];
    embedder.embed_into(&refs, &mut out)?;
    let mut stdout = BufWriter::new(std::io::stdout().lock());
    for (word, vector) in refs.iter().zip(out.chunks(embedder.dim())) {
        word2vec::text_row(&mut stdout, word, vector)?;
    }
    stdout.flush()?;
    Ok(())
}

pub fn vectors(
    path: &Path,
    backend: BackendChoice,
    words_path: &Path,
    out_path: &Path,
    layout: Layout,
) -> Result<()> {
    let mut embedder = Embedder::open(path, backend)?;
    let words = read_word_list(words_path)?;
    let dim = embedder.dim();
    let cannot_write = || format!("cannot write {}", out_path.display());
    // Written beside the target and renamed at the end: an interrupted run leaves any
    // existing file as it was.
    let dir = out_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // The mode a plain new file gets, not tempfile's private 0600 (as the trainer's exports).
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let tmp = builder
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    let mut file = word2vec::Writer::new(BufWriter::new(tmp.as_file()), layout, words.len(), dim)
        .with_context(cannot_write)?;
    let bar = ProgressBar::new(words.len() as u64).with_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} words {per_sec} eta {eta}",
    )?);
    let mut out = vec![0.0; BLOCK * dim];
    for block in words.chunks(BLOCK) {
        let refs: Vec<&str> = block.iter().map(String::as_str).collect();
        embedder.embed_into(&refs, &mut out)?;
        for (word, vector) in refs.iter().zip(out.chunks(dim)) {
            file.row(word, vector).with_context(cannot_write)?;
        }
        bar.inc(block.len() as u64);
    }
    bar.finish_and_clear();
    file.finish().with_context(cannot_write)?;
    tmp.persist(out_path).with_context(cannot_write)?;
    eprintln!(
        "wrote {} vectors of {dim} dimensions to {} ({})",
        words.len(),
        out_path.display(),
        layout.name()
    );
    Ok(())
}

pub fn similar(
    path: &Path,
    backend: BackendChoice,
    word: &str,
    among: Option<&Path>,
    k: usize,
) -> Result<()> {
    let artifact = Artifact::open(path)?;
    artifact.expect_kind(Kind::Embedder)?;
    let candidates = match (among, &artifact.manifest().rows) {
        (Some(list), _) => read_word_list(list)?,
        (None, Some(rows)) => rows.words.iter().map(String::from).collect(),
        (None, None) => bail!(
            "{}: stores no words to search; give the candidates with --among FILE",
            path.display()
        ),
    };
    let mut embedder = Embedder::from_artifact(&artifact, backend)?;
    let neighbors = Neighbors::new(&mut embedder, candidates)?;
    for (i, cosine) in neighbors.similar(&mut embedder, word, k)? {
        println!("{}\t{cosine:.4}", neighbors.words()[i]);
    }
    Ok(())
}

fn stdin_words() -> Result<Vec<String>> {
    let mut words = Vec::new();
    for (i, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line.with_context(|| format!("stdin line {}: not UTF-8 text", i + 1))?;
        words.extend(line.split_whitespace().map(str::to_string));
    }
    Ok(words)
}

/// The first field of every non-empty line, duplicates dropped (first one kept). A word2vec
/// header line (`count dim`) is skipped, so a `.vec` file works as a list.
fn read_word_list(path: &Path) -> Result<Vec<String>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut seen = HashSet::new();
    let mut words = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("{}:{}: not UTF-8 text", path.display(), i + 1))?;
        let mut fields = line.split_whitespace();
        let Some(word) = fields.next() else { continue };
        let is_header = i == 0
            && word.parse::<u64>().is_ok()
            && fields.next().is_some_and(|d| d.parse::<u64>().is_ok())
            && fields.next().is_none();
        if !is_header && seen.insert(word.to_string()) {
            words.push(word.to_string());
        }
    }
    if words.is_empty() {
        bail!("{}: no words in the file", path.display());
    }
    Ok(words)
}

/// Tags one sentence per stdin line, printing `word/TAG` tokens (an empty line stays
/// empty): raw text cut into the treebank's words by `sublex_runtime::tokenize`, or with
/// `pretokenized` words separated by whitespace; or, with `conllu`, fills the XPOS column of
/// a CoNLL-U file.
pub fn tag(
    path: &Path,
    backend: BackendChoice,
    conllu: Option<&Path>,
    pretokenized: bool,
) -> Result<()> {
    let mut tagger = Tagger::open(path, backend)?;
    let mut stdout = BufWriter::new(std::io::stdout().lock());
    match conllu {
        Some(file) => tag_conllu(&mut tagger, file, &mut stdout)?,
        None => {
            let mut tags: Vec<TagId> = Vec::new();
            for (i, line) in std::io::stdin().lock().lines().enumerate() {
                let line = line.with_context(|| format!("stdin line {}: not UTF-8 text", i + 1))?;
                let words: Vec<&str> = if pretokenized {
                    line.split_whitespace().collect()
                } else {
                    tokenize::words(&line).map(|r| &line[r]).collect()
                };
                tags.resize(words.len(), 0);
                tagger
                    .tag_into(&words, &mut tags)
                    .with_context(|| format!("stdin line {}", i + 1))?;
                for (k, (word, &t)) in words.iter().zip(&tags).enumerate() {
                    let sep = if k == 0 { "" } else { " " };
                    write!(stdout, "{sep}{word}/{}", tagger.tag_name(t))?;
                }
                writeln!(stdout)?;
            }
        }
    }
    stdout.flush()?;
    Ok(())
}

/// Copies a CoNLL-U file with column 5 (XPOS) of every word line replaced by the tagger's
/// tag; comments, multiword ranges (`1-2`) and empty nodes (`1.1`) pass through unchanged.
fn tag_conllu(tagger: &mut Tagger, path: &Path, out: &mut impl Write) -> Result<()> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut block: Vec<String> = Vec::new();
    let mut first_line = 1;
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("{}:{}: not UTF-8 text", path.display(), i + 1))?;
        if line.trim().is_empty() {
            write_tagged_block(tagger, &block, path, first_line, out)?;
            writeln!(out)?;
            block.clear();
            first_line = i + 2;
        } else {
            block.push(line);
        }
    }
    write_tagged_block(tagger, &block, path, first_line, out)
}

/// One CoNLL-U sentence (its lines; the first is line `first_line` of `path`), tagged.
fn write_tagged_block(
    tagger: &mut Tagger,
    block: &[String],
    path: &Path,
    first_line: usize,
    out: &mut impl Write,
) -> Result<()> {
    let is_word = |line: &str| {
        let id = line.split('\t').next().unwrap_or("");
        !line.starts_with('#') && !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())
    };
    let mut words = Vec::new();
    for (k, line) in block.iter().enumerate() {
        if !is_word(line) {
            continue;
        }
        let columns = line.split('\t').count();
        if columns != 10 {
            bail!(
                "{}:{}: expected 10 tab-separated CoNLL-U columns, found {columns}",
                path.display(),
                first_line + k
            );
        }
        words.push(line.split('\t').nth(1).unwrap_or(""));
    }
    let mut tags = vec![0; words.len()];
    tagger
        .tag_into(&words, &mut tags)
        .with_context(|| format!("{}:{first_line}", path.display()))?;
    let mut tags = tags.into_iter();
    for line in block {
        if !is_word(line) {
            writeln!(out, "{line}")?;
            continue;
        }
        let tag = tagger.tag_name(tags.next().expect("one tag per word line"));
        let fields: Vec<&str> = line.split('\t').collect();
        writeln!(
            out,
            "{}\t{tag}\t{}",
            fields[..4].join("\t"),
            fields[5..].join("\t")
        )?;
    }
    Ok(())
}
