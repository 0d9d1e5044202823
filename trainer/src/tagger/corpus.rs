//! Tagged corpora for the tagger, in three layouts:
//!
//! - CoNLL-U treebanks (UD English EWT): the word is FORM (column 2), the tag XPOS (column 5,
//!   the Penn Treebank tag); `#` comments, multiword-token ranges `1-2` and empty nodes `1.1`
//!   are skipped; a blank line ends a sentence; `# text =` is kept as the sentence's text.
//! - `word_TAG`: one sentence per line, whitespace-separated tokens, each split at its last
//!   `_` (so words may contain `_`); blank lines are skipped.
//! - `word<TAB>tag`: one token per line, a blank line between sentences (the WSJ sample in
//!   `shared/data/pos/wsj-sample/`).
//!
//! Every error names the file and, where there is one, the 1-based line. No input panics.

use std::io::BufRead;
use std::path::{Path, PathBuf};

/// A tagged sentence: `words[i]` has tag `tags[i]`. Both have the same, non-zero length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    pub words: Vec<String>,
    pub tags: Vec<String>,
    /// The raw text the words were cut from (CoNLL-U's `# text =`), where the file has it.
    pub text: Option<String>,
}

/// Layout of a corpus file.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum CorpusFormat {
    /// `.conllu` / `.conll` files are CoNLL-U; otherwise the first line that is neither blank
    /// nor a `#` comment (a tab-free line starting `#` but not `#_`) decides: 3 or more
    /// tab-separated fields CoNLL-U, 2 fields `word<TAB>tag`, no tab `word_TAG`. A file of
    /// comments and blank lines only is CoNLL-U (and empty).
    #[default]
    Auto,
    /// CoNLL-U, tag = XPOS (column 5).
    Conllu,
    /// One sentence per line of `word_TAG` tokens.
    WordTag,
    /// One `word<TAB>tag` token per line, a blank line between sentences.
    WordTab,
}

/// Where in a corpus file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The file as a whole.
    File,
    /// A 1-based line.
    Line(usize),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::File => Ok(()),
            Location::Line(n) => write!(f, ":{n}"),
        }
    }
}

/// A corpus file that cannot be used, and why.
#[derive(Debug, thiserror::Error)]
#[error("{}{location}: {kind}", path.display())]
pub struct CorpusError {
    pub path: PathBuf,
    pub location: Location,
    pub kind: CorpusErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum CorpusErrorKind {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the file holds no sentences")]
    Empty,
    #[error("the line is not valid UTF-8 (at byte {0} of the line)")]
    InvalidUtf8(usize),
    #[error("expected 10 tab-separated CoNLL-U columns, found {0}")]
    ColumnCount(usize),
    #[error(
        "column 1 (ID) `{0}` is not a word id (`3`), a multiword range (`3-4`) \
         or an empty node (`3.1`)"
    )]
    BadId(String),
    #[error(
        "column 1 (ID) is `{found}` where word {expected} comes next \
         (ids go 1, 2, 3, ... in each sentence)"
    )]
    IdOutOfOrder { expected: usize, found: String },
    #[error("multiword range `{range}` reaches past the sentence's last word ({words})")]
    RangePastEnd { range: String, words: usize },
    #[error("column 2 (FORM) is empty")]
    EmptyForm,
    #[error("column 5 (XPOS) is `{0}`: the word has no tag")]
    MissingXpos(String),
    #[error("token `{0}` has no `_` between word and tag")]
    NoSeparator(String),
    #[error("expected `word<TAB>tag`, found {found} tab-separated fields in `{line}`")]
    FieldCount { found: usize, line: String },
    #[error("token `{0}` has an empty word")]
    EmptyWord(String),
    #[error("token `{0}` has an empty tag")]
    EmptyTag(String),
}

impl CorpusError {
    pub fn new(
        path: impl Into<PathBuf>,
        location: Location,
        kind: impl Into<CorpusErrorKind>,
    ) -> Self {
        CorpusError {
            path: path.into(),
            location,
            kind: kind.into(),
        }
    }
}

/// Reads a tagged corpus. An empty corpus (no sentence at all) is an error.
pub fn read_corpus(path: &Path, format: CorpusFormat) -> Result<Vec<Sentence>, CorpusError> {
    let at =
        |line: usize, kind: CorpusErrorKind| CorpusError::new(path, Location::Line(line), kind);
    let file = std::fs::File::open(path).map_err(|e| CorpusError::new(path, Location::File, e))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);

    let mut parser = match format {
        CorpusFormat::Auto if has_conllu_extension(path) => Some(Parser::new(CorpusFormat::Conllu)),
        CorpusFormat::Auto => None,
        other => Some(Parser::new(other)),
    };
    // Lines read while sniffing the format, replayed once it is known.
    let mut sniffed: Vec<(usize, String)> = Vec::new();
    let mut saw_comment = false;

    let mut buf = Vec::new();
    let mut line_no = 0;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| at(line_no + 1, e.into()))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let mut line = std::str::from_utf8(trim_newline(&buf))
            .map_err(|e| at(line_no, CorpusErrorKind::InvalidUtf8(e.valid_up_to())))?;
        if line_no == 1 {
            line = line.strip_prefix('\u{feff}').unwrap_or(line);
        }
        match parser.as_mut() {
            Some(p) => p.line(line_no, line).map_err(|(n, k)| at(n, k))?,
            None => {
                sniffed.push((line_no, line.to_owned()));
                if let Some(found) = sniff(line, &mut saw_comment) {
                    parser = Some(replay(found, &mut sniffed).map_err(|(n, k)| at(n, k))?);
                }
            }
        }
    }

    let mut parser = match parser {
        Some(p) => p,
        // Only blank lines and comments: CoNLL-U if there were comments.
        None => {
            let found = if saw_comment {
                CorpusFormat::Conllu
            } else {
                CorpusFormat::WordTag
            };
            replay(found, &mut sniffed).map_err(|(n, k)| at(n, k))?
        }
    };
    parser.finish().map_err(|(n, k)| at(n, k))?;
    let sentences = parser.into_sentences();
    if sentences.is_empty() {
        return Err(CorpusError::new(
            path,
            Location::File,
            CorpusErrorKind::Empty,
        ));
    }
    Ok(sentences)
}

/// Writes `sentences` in the `word<TAB>tag` layout [`read_corpus`] reads back
/// ([`CorpusFormat::WordTab`]): one token per line, a blank line after each sentence.
pub fn write_word_tab(
    sentences: &[Sentence],
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    for sentence in sentences {
        for (word, tag) in sentence.words.iter().zip(&sentence.tags) {
            writeln!(out, "{word}\t{tag}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn has_conllu_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("conllu") || e.eq_ignore_ascii_case("conll"))
}

/// The format a line shows, if it shows one: blank lines and tab-free `#` comments do not.
fn sniff(line: &str, saw_comment: &mut bool) -> Option<CorpusFormat> {
    if line.trim().is_empty() {
        return None;
    }
    let fields = line.split('\t').count();
    // `#_#` (the Penn tag `#`) starts a `word_TAG` line, not a comment.
    if fields == 1 && line.starts_with('#') && !line.starts_with("#_") {
        *saw_comment = true;
        return None;
    }
    Some(match fields {
        1 => CorpusFormat::WordTag,
        2 => CorpusFormat::WordTab,
        _ => CorpusFormat::Conllu,
    })
}

fn replay(format: CorpusFormat, lines: &mut Vec<(usize, String)>) -> Result<Parser, LineError> {
    let mut parser = Parser::new(format);
    for (n, line) in lines.drain(..) {
        parser.line(n, &line)?;
    }
    Ok(parser)
}

fn trim_newline(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    bytes.strip_suffix(b"\r").unwrap_or(bytes)
}

/// A problem and the line it is on.
type LineError = (usize, CorpusErrorKind);

/// A token or line quoted in an error, cut short if long.
fn quote(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

/// A non-empty run of ASCII digits (no sign), if it fits.
fn number(text: &str) -> Option<usize> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Sentences collected so far, and the one being read.
#[derive(Default)]
struct Collector {
    sentences: Vec<Sentence>,
    words: Vec<String>,
    tags: Vec<String>,
    text: Option<String>,
}

impl Collector {
    fn push(&mut self, word: &str, tag: &str) {
        self.words.push(word.to_owned());
        self.tags.push(tag.to_owned());
    }

    fn end_sentence(&mut self) {
        if !self.words.is_empty() {
            self.sentences.push(Sentence {
                words: std::mem::take(&mut self.words),
                tags: std::mem::take(&mut self.tags),
                text: self.text.take(),
            });
        }
        self.text = None;
    }
}

enum Parser {
    Conllu(Conllu),
    WordTag(Collector),
    WordTab(Collector),
}

impl Parser {
    fn new(format: CorpusFormat) -> Parser {
        match format {
            CorpusFormat::Auto | CorpusFormat::Conllu => Parser::Conllu(Conllu::default()),
            CorpusFormat::WordTag => Parser::WordTag(Collector::default()),
            CorpusFormat::WordTab => Parser::WordTab(Collector::default()),
        }
    }

    fn line(&mut self, n: usize, line: &str) -> Result<(), LineError> {
        match self {
            Parser::Conllu(c) => c.line(n, line),
            Parser::WordTag(c) => word_tag_line(c, line).map_err(|k| (n, k)),
            Parser::WordTab(c) => word_tab_line(c, line).map_err(|k| (n, k)),
        }
    }

    /// The end of the file.
    fn finish(&mut self) -> Result<(), LineError> {
        match self {
            Parser::Conllu(c) => c.end_sentence(),
            Parser::WordTag(c) | Parser::WordTab(c) => {
                c.end_sentence();
                Ok(())
            }
        }
    }

    fn into_sentences(self) -> Vec<Sentence> {
        match self {
            Parser::Conllu(c) => c.collector.sentences,
            Parser::WordTag(c) | Parser::WordTab(c) => c.sentences,
        }
    }
}

/// One sentence of `word_TAG` tokens.
fn word_tag_line(c: &mut Collector, line: &str) -> Result<(), CorpusErrorKind> {
    for token in line.split_whitespace() {
        let (word, tag) = token
            .rsplit_once('_')
            .ok_or_else(|| CorpusErrorKind::NoSeparator(quote(token)))?;
        check_pair(token, word, tag)?;
        c.push(word, tag);
    }
    c.end_sentence();
    Ok(())
}

/// One `word<TAB>tag` token, or a blank line ending a sentence.
fn word_tab_line(c: &mut Collector, line: &str) -> Result<(), CorpusErrorKind> {
    if line.trim().is_empty() {
        c.end_sentence();
        return Ok(());
    }
    let mut fields = line.split('\t');
    let (Some(word), Some(tag), None) = (fields.next(), fields.next(), fields.next()) else {
        return Err(CorpusErrorKind::FieldCount {
            found: line.split('\t').count(),
            line: quote(line),
        });
    };
    let (word, tag) = (word.trim(), tag.trim());
    check_pair(line, word, tag)?;
    c.push(word, tag);
    Ok(())
}

fn check_pair(token: &str, word: &str, tag: &str) -> Result<(), CorpusErrorKind> {
    if word.is_empty() {
        return Err(CorpusErrorKind::EmptyWord(quote(token)));
    }
    if tag.is_empty() {
        return Err(CorpusErrorKind::EmptyTag(quote(token)));
    }
    Ok(())
}

#[derive(Default)]
struct Conllu {
    collector: Collector,
    /// The furthest-reaching multiword range of the sentence: its line, text and last word.
    range: Option<(usize, String, usize)>,
}

impl Conllu {
    fn line(&mut self, n: usize, line: &str) -> Result<(), LineError> {
        if line.trim().is_empty() {
            return self.end_sentence();
        }
        if let Some(text) = line.strip_prefix("# text = ") {
            self.collector.text = Some(text.to_owned());
        }
        if line.starts_with('#') {
            return Ok(());
        }
        self.token(n, line).map_err(|k| (n, k))
    }

    /// A word, multiword-range or empty-node line (`n` is its number).
    fn token(&mut self, n: usize, line: &str) -> Result<(), CorpusErrorKind> {
        let mut cols = [""; 10];
        let mut count = 0;
        for field in line.split('\t') {
            if let Some(slot) = cols.get_mut(count) {
                *slot = field;
            }
            count += 1;
        }
        if count != 10 {
            return Err(CorpusErrorKind::ColumnCount(count));
        }
        let [id, form, _, _, xpos, ..] = cols;
        let next = self.collector.words.len() + 1;
        let bad_id = || CorpusErrorKind::BadId(quote(id));

        if let Some((first, last)) = id.split_once('-') {
            let (first, last) = number(first).zip(number(last)).ok_or_else(bad_id)?;
            if first >= last {
                return Err(bad_id());
            }
            if first != next {
                return Err(CorpusErrorKind::IdOutOfOrder {
                    expected: next,
                    found: quote(id),
                });
            }
            if self.range.as_ref().is_none_or(|r| last > r.2) {
                self.range = Some((n, quote(id), last));
            }
            return Ok(());
        }
        if let Some((word, sub)) = id.split_once('.') {
            number(word).zip(number(sub)).ok_or_else(bad_id)?;
            return Ok(());
        }
        let id_number = number(id).ok_or_else(bad_id)?;
        if id_number != next {
            return Err(CorpusErrorKind::IdOutOfOrder {
                expected: next,
                found: quote(id),
            });
        }
        if form.is_empty() {
            return Err(CorpusErrorKind::EmptyForm);
        }
        if xpos == "_" || xpos.trim().is_empty() {
            return Err(CorpusErrorKind::MissingXpos(quote(xpos)));
        }
        self.collector.push(form, xpos);
        Ok(())
    }

    /// A blank line or the end of the file.
    fn end_sentence(&mut self) -> Result<(), LineError> {
        let words = self.collector.words.len();
        if let Some((line, range, last)) = self.range.take() {
            if last > words {
                return Err((line, CorpusErrorKind::RangePastEnd { range, words }));
            }
        }
        self.collector.end_sentence();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Writes `contents` to a file called `name` in a fresh temporary directory.
    fn write(name: &str, contents: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(contents)
            .unwrap();
        (dir, path)
    }

    fn read(
        name: &str,
        contents: &str,
        format: CorpusFormat,
    ) -> Result<Vec<Sentence>, CorpusError> {
        let (_dir, path) = write(name, contents.as_bytes());
        read_corpus(&path, format)
    }

    fn words(s: &Sentence) -> Vec<&str> {
        s.words.iter().map(String::as_str).collect()
    }

    fn tags(s: &Sentence) -> Vec<&str> {
        s.tags.iter().map(String::as_str).collect()
    }

    /// Ten CoNLL-U columns with the given id, form and XPOS.
    fn row(id: &str, form: &str, xpos: &str) -> String {
        format!(
            "{id}\t{form}\t{}\tX\t{xpos}\t_\t0\tdep\t_\t_\n",
            form.to_lowercase()
        )
    }

    const CONLLU: &str = "# newdoc id = d1\n\
        # sent_id = s1\n\
        # text = I don't know.\n\
        1\tI\tI\tPRON\tPRP\tCase=Nom\t3\tnsubj\t3:nsubj\t_\n\
        2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n\
        2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t4:aux\t_\n\
        3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t4:advmod\t_\n\
        3.1\tknow\tknow\tVERB\tVB\t_\t_\t_\t0:root\t_\n\
        4\tknow\tknow\tVERB\tVB\t_\t0\troot\t0:root\tSpaceAfter=No\n\
        5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t4:punct\t_\n\
        \n\
        \n\
        # sent_id = s2\n\
        1\tNew_York\tNew_York\tPROPN\tNNP\t_\t0\troot\t0:root\t_\n\
        2\t_\t_\tPUNCT\tNFP\t_\t1\tpunct\t1:punct\t_";

    #[test]
    fn conllu_skips_comments_ranges_and_empty_nodes() {
        for name in ["a.conllu", "a.conll", "a.txt"] {
            for format in [CorpusFormat::Auto, CorpusFormat::Conllu] {
                let s = read(name, CONLLU, format).unwrap();
                assert_eq!(s.len(), 2, "{name} {format:?}");
                assert_eq!(words(&s[0]), ["I", "do", "n't", "know", "."]);
                assert_eq!(tags(&s[0]), ["PRP", "VBP", "RB", "VB", "."]);
                assert_eq!(words(&s[1]), ["New_York", "_"]);
                assert_eq!(tags(&s[1]), ["NNP", "NFP"]);
            }
        }
    }

    #[test]
    fn conllu_with_crlf_and_bom() {
        let text = format!("\u{feff}{}", CONLLU.replace('\n', "\r\n"));
        let s = read("a.conllu", &text, CorpusFormat::Auto).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(tags(&s[0]), ["PRP", "VBP", "RB", "VB", "."]);
        assert_eq!(words(&s[1]), ["New_York", "_"]);
    }

    /// Asserts that reading fails, naming the file and `line`, with `what` in the message.
    #[track_caller]
    fn fails(name: &str, contents: &[u8], format: CorpusFormat, line: usize, what: &str) {
        let (_dir, path) = write(name, contents);
        let err = read_corpus(&path, format).expect_err("should fail");
        let text = err.to_string();
        assert!(
            text.contains(&format!("{name}:{line}: ")),
            "`{text}` should name {name} line {line}"
        );
        assert!(text.contains(what), "`{text}` should contain `{what}`");
        assert_eq!(err.location, Location::Line(line));
    }

    #[test]
    fn conllu_errors_name_file_and_line() {
        let ok1 = row("1", "Hi", "UH");
        let ok2 = row("2", "there", "RB");
        let cases: Vec<(String, usize, &str)> = vec![
            // Missing XPOS.
            (
                format!("# c\n{ok1}{}", row("2", "x", "_")),
                3,
                "column 5 (XPOS)",
            ),
            (format!("{ok1}{}", row("2", "x", "")), 2, "column 5 (XPOS)"),
            // Column count.
            (format!("{ok1}{ok2}\n3\tbad\tline\n"), 4, "found 3"),
            (
                format!("{ok1}2\ta\tb\tc\td\te\tf\tg\th\ti\tj\n"),
                2,
                "found 11",
            ),
            // Ids.
            (
                format!("{ok1}{}", row("x", "a", "DT")),
                2,
                "column 1 (ID) `x`",
            ),
            (
                format!("{ok1}{}", row("+2", "a", "DT")),
                2,
                "column 1 (ID) `+2`",
            ),
            (
                format!("{ok1}{}", row("3", "a", "DT")),
                2,
                "word 2 comes next",
            ),
            (format!("{ok1}{ok2}\n{ok2}"), 4, "word 1 comes next"),
            (row("0", "a", "DT"), 1, "word 1 comes next"),
            (
                format!("{ok1}{}", row("1", "a", "DT")),
                2,
                "word 2 comes next",
            ),
            (
                format!("{ok1}{}", row("3-4", "a", "_")),
                2,
                "word 2 comes next",
            ),
            (format!("{ok1}{}", row("2-2", "a", "_")), 2, "`2-2`"),
            (format!("{ok1}{}", row("1.x", "a", "_")), 2, "`1.x`"),
            (
                format!("{ok1}{}{ok2}\n", row("2-3", "a", "_")),
                2,
                "reaches past",
            ),
            (
                format!("{ok1}{}{}", row("2-3", "a", "_"), ok2.trim_end()),
                2,
                "reaches past",
            ),
            (format!("{ok1}{}", row("2", "", "NN")), 2, "column 2 (FORM)"),
        ];
        for (text, line, what) in cases {
            fails(
                "bad.conllu",
                text.as_bytes(),
                CorpusFormat::Auto,
                line,
                what,
            );
            fails(
                "bad.data",
                text.as_bytes(),
                CorpusFormat::Conllu,
                line,
                what,
            );
        }
        let mut bytes = format!("# ok\n{ok1}").into_bytes();
        bytes.extend_from_slice(b"2\tca\xfft\n");
        fails("utf8.conllu", &bytes, CorpusFormat::Auto, 3, "byte 4");
    }

    #[test]
    fn empty_and_missing_files_name_the_file() {
        for contents in ["", "\n\n", "# only a comment\n\n"] {
            let (_dir, path) = write("empty.conllu", contents.as_bytes());
            let err = read_corpus(&path, CorpusFormat::Auto).unwrap_err();
            assert_eq!(err.location, Location::File);
            assert!(err
                .to_string()
                .contains("empty.conllu: the file holds no sentences"));
        }
        let dir = tempfile::tempdir().unwrap();
        let err = read_corpus(&dir.path().join("absent.tsv"), CorpusFormat::Auto).unwrap_err();
        assert!(
            err.to_string().contains("absent.tsv: cannot read the file"),
            "{err}"
        );
    }

    #[test]
    fn word_tag_splits_at_the_last_underscore() {
        let text = "New_York_NNP is_VBZ big_JJ ._.\n\n  \nthe_DT __SYM a_b__NN :-)_UH\t!_.\n";
        for format in [CorpusFormat::Auto, CorpusFormat::WordTag] {
            let s = read("wsj.txt", text, format).unwrap();
            assert_eq!(s.len(), 2);
            assert_eq!(words(&s[0]), ["New_York", "is", "big", "."]);
            assert_eq!(tags(&s[0]), ["NNP", "VBZ", "JJ", "."]);
            assert_eq!(words(&s[1]), ["the", "_", "a_b_", ":-)", "!"]);
            assert_eq!(tags(&s[1]), ["DT", "SYM", "NN", "UH", "."]);
        }
        // A first line like `#_#` is a token, not a comment.
        let s = read("hash.txt", "#_# 5_CD\n", CorpusFormat::Auto).unwrap();
        assert_eq!(words(&s[0]), ["#", "5"]);
        assert_eq!(tags(&s[0]), ["#", "CD"]);
    }

    #[test]
    fn word_tag_errors_name_file_line_and_token() {
        let cases: [(&str, usize, &str); 4] = [
            ("a_DT dog_NN\n\nthe_DT cat .\n", 3, "token `cat` has no `_`"),
            ("a_DT _NN\n", 1, "token `_NN` has an empty word"),
            ("a_DT\nbig_JJ dog_\n", 2, "token `dog_` has an empty tag"),
            ("a_DT\n\n\n_\n", 4, "token `_` has an empty word"),
        ];
        for (text, line, what) in cases {
            fails("s.txt", text.as_bytes(), CorpusFormat::WordTag, line, what);
            fails("s.txt", text.as_bytes(), CorpusFormat::Auto, line, what);
        }
        fails(
            "u.txt",
            b"a_DT\n\xc3_NN\n",
            CorpusFormat::WordTag,
            2,
            "not valid UTF-8",
        );
    }

    #[test]
    fn word_tab_reads_the_wsj_layout() {
        let text = "Pierre\tNNP\nVinken\tNNP\n,\t,\n\n\nMr.\tNNP\nis\tVBZ\n";
        for format in [CorpusFormat::Auto, CorpusFormat::WordTab] {
            let s = read("wsj.pos.tsv", text, format).unwrap();
            assert_eq!(s.len(), 2);
            assert_eq!(words(&s[0]), ["Pierre", "Vinken", ","]);
            assert_eq!(tags(&s[0]), ["NNP", "NNP", ","]);
            assert_eq!(words(&s[1]), ["Mr.", "is"]);
            assert_eq!(tags(&s[1]), ["NNP", "VBZ"]);
        }
        let cases: [(&str, usize, &str); 4] = [
            ("a\tDT\ndog\tNN\tx\n", 2, "found 3 tab-separated fields"),
            ("a\tDT\n\ndog\n", 3, "found 1 tab-separated fields"),
            ("a\tDT\n\tNN\n", 2, "has an empty word"),
            ("a\tDT\ndog\t \n", 2, "has an empty tag"),
        ];
        for (text, line, what) in cases {
            fails("t.tsv", text.as_bytes(), CorpusFormat::WordTab, line, what);
            fails("t.tsv", text.as_bytes(), CorpusFormat::Auto, line, what);
        }
    }

    fn check_invariants(result: Result<Vec<Sentence>, CorpusError>) {
        match result {
            Ok(sentences) => {
                assert!(!sentences.is_empty());
                for s in sentences {
                    assert!(!s.words.is_empty());
                    assert_eq!(s.words.len(), s.tags.len());
                }
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }

    const FORMATS: [CorpusFormat; 4] = [
        CorpusFormat::Auto,
        CorpusFormat::Conllu,
        CorpusFormat::WordTag,
        CorpusFormat::WordTab,
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let (_dir, path) = write("x.data", &bytes);
            for format in FORMATS {
                check_invariants(read_corpus(&path, format));
            }
        }

        #[test]
        fn corpus_like_bytes_never_panic(
            bytes in proptest::collection::vec(
                proptest::sample::select(b"\t\t\t\n\n\r _#-.0123a\xff\xc3".to_vec()),
                0..400,
            )
        ) {
            let (_dir, path) = write("x.conllu", &bytes);
            for format in FORMATS {
                check_invariants(read_corpus(&path, format));
            }
        }
    }

    #[test]
    fn real_treebanks() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/pos");
        if !dir.is_dir() {
            // Required where everything must run (`.ci/run` sets SUBLEX_REQUIRE_ALL=1).
            let required = std::env::var_os("SUBLEX_REQUIRE_ALL").is_some_and(|v| v == "1");
            assert!(
                !required,
                "{} is missing and SUBLEX_REQUIRE_ALL=1 requires it",
                dir.display()
            );
            eprintln!("skipped: {} is missing (the full treebanks)", dir.display());
            return;
        }
        // shared/data/README.md: sentences, words.
        let expected = [
            ("train", 12_544, 204_577),
            ("dev", 2_001, 25_147),
            ("test", 2_077, 25_094),
        ];
        for (split, sentences, tokens) in expected {
            let path = dir.join(format!("en_ewt-ud-{split}.conllu"));
            let corpus = read_corpus(&path, CorpusFormat::Auto).unwrap();
            let n_tokens: usize = corpus.iter().map(|s| s.words.len()).sum();
            println!("EWT {split}: {} sentences, {n_tokens} tokens", corpus.len());
            assert_eq!((corpus.len(), n_tokens), (sentences, tokens), "EWT {split}");
            if split == "train" {
                let tags = super::super::TagSet::build(&corpus);
                println!("EWT train: {} tags", tags.len());
                assert_eq!(tags.len(), 49);
            }
        }
        let wsj = dir.join("wsj-sample/wsj_sample.pos.tsv");
        if wsj.is_file() {
            let corpus = read_corpus(&wsj, CorpusFormat::Auto).unwrap();
            let n_tokens: usize = corpus.iter().map(|s| s.words.len()).sum();
            let tags = super::super::TagSet::build(&corpus);
            println!(
                "WSJ sample: {} sentences, {n_tokens} tokens, {} tags",
                corpus.len(),
                tags.len()
            );
            assert_eq!((corpus.len(), n_tokens, tags.len()), (3_914, 94_084, 45));
        }
    }
}
