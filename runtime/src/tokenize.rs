//! Raw text to the syntactic words of UD English EWT, the treebank the taggers learn from:
//! punctuation split off (a run such as `...`, `!!` or `--` is one word), the clitics `n't
//! 's 're 'll 'm 've 'd` split (`don't` -> `do` `n't`, `can't` -> `ca` `n't`, `cannot` ->
//! `can` `not`), hyphens and slashes split between words (`long-term` -> `long` `-` `term`,
//! `and/or`) but kept in numbers (`713-853-3989`, `11/28/2000`) and after bound prefixes
//! (`e-mail`, `co-workers`, `non-commercial`), and kept whole: URLs, e-mail addresses,
//! numbers with separators (`1,000.50`, `10:30`), abbreviations (`Mr.`, `U.S.`, `e.g.`,
//! `J.`) and emoticons (`:)`). Developed on EWT train and dev; docs/RESULTS.md measures it
//! on EWT test.
//!
//! Every syntactic word EWT makes of these is a substring of the text, so the words come as
//! byte ranges into it: [`words`] allocates nothing and needs only `core`.

use core::ops::Range;

/// The syntactic words of `text`, in order, as byte ranges of `text`.
pub fn words(text: &str) -> Words<'_> {
    Words {
        text,
        pos: 0,
        chunk: 0..0,
        core: 0..0,
        whole: false,
    }
}

/// The iterator [`words`] returns.
#[derive(Clone, Debug)]
pub struct Words<'a> {
    text: &'a str,
    /// The next byte to read.
    pos: usize,
    /// The whitespace-delimited chunk being split, and its core: the chunk without the
    /// punctuation before and after it.
    chunk: Range<usize>,
    core: Range<usize>,
    /// The core is one word (a URL, an e-mail address, an emoticon).
    whole: bool,
}

impl Iterator for Words<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        if self.pos >= self.chunk.end {
            self.next_chunk()?;
        }
        let start = self.pos;
        let end = if start < self.core.start {
            punct_run(self.text, start, self.core.start)
        } else if start < self.core.end && self.whole {
            self.core.end
        } else if start < self.core.end {
            core_piece(self.text, start, self.core.end)
        } else {
            punct_run(self.text, start, self.chunk.end)
        };
        self.pos = end;
        Some(start..end)
    }
}

impl Words<'_> {
    /// Moves to the next chunk; `None` at the end of the text.
    fn next_chunk(&mut self) -> Option<()> {
        let rest = &self.text[self.pos..];
        let start = self.pos + rest.find(|c: char| !c.is_whitespace())?;
        let end = self.text[start..]
            .find(char::is_whitespace)
            .map_or(self.text.len(), |n| start + n);
        self.chunk = start..end;
        self.core = core_of(self.text, start, end);
        let core = &self.text[self.core.clone()];
        self.whole = is_url(core) || is_email(core) || EMOTICONS.contains(&core);
        self.pos = start;
        Some(())
    }
}

/// The chunk `[start, end)` without its leading and trailing punctuation. A chunk that is
/// an emoticon or all punctuation has an empty core; a URL or an e-mail address keeps
/// everything up to its trailing punctuation; an abbreviation keeps its final period.
fn core_of(text: &str, start: usize, end: usize) -> Range<usize> {
    let chunk = &text[start..end];
    if EMOTICONS.contains(&chunk) {
        return start..end;
    }
    let lead = (chunk.char_indices())
        .find(|&(i, c)| is_word_char(c) || opens_word(text, start + i))
        .map_or(end, |(i, _)| start + i);
    let mut trail = end;
    while trail > lead {
        let (at, c) = last_char(text, trail);
        if is_word_char(c) || (c == '.' && abbreviation(&text[lead..trail])) {
            break;
        }
        trail = at;
    }
    lead..trail.max(lead)
}

/// Where the punctuation token starting at `start` ends (before `limit`): a run of one
/// repeated character, or of `.`, `!` and `?` mixed (`...`, `!!`, `?!`, `--`, `<<`).
fn punct_run(text: &str, start: usize, limit: usize) -> usize {
    let first = char_at(text, start).unwrap_or(' ');
    let same = |c: char| c == first || (is_stop(first) && is_stop(c));
    let mut end = start + first.len_utf8();
    while end < limit {
        match char_at(text, end) {
            Some(c) if same(c) && RUNS.contains(first) => end += c.len_utf8(),
            _ => break,
        }
    }
    end.min(limit)
}

/// Where the word starting at `start` in a core ending at `limit` ends.
fn core_piece(text: &str, start: usize, limit: usize) -> usize {
    let core = &text[start..limit];
    let Some(first) = char_at(text, start) else {
        return limit;
    };
    if let Some(n) = clitic_len(core) {
        return start + n;
    }
    if !is_word_char(first) && !opens_word(text, start) {
        return punct_run(text, start, limit);
    }
    let end = word_end(text, start, limit);
    start + split_contraction(&text[start..end])
}

/// The end of the run of word characters (and the separators a word keeps) from `start`.
fn word_end(text: &str, start: usize, limit: usize) -> usize {
    let mut end = start;
    while end < limit {
        let Some(c) = char_at(text, end) else { break };
        let next = end + c.len_utf8();
        let after = if next < limit {
            char_at(text, next)
        } else {
            None
        };
        let before = last_char(text, end).1;
        let keep = if is_word_char(c) || (end == start && opens_word(text, end)) {
            // `don't`: stop before the `n` of a final `n't`.
            !(end > start && (c == 'n' || c == 'N') && clitic_len(&text[end..limit]).is_some())
        } else {
            end > start && keeps(text, start, end, c, before, after, limit)
        };
        if !keep {
            break;
        }
        end = next;
    }
    end.max(start + char_at(text, start).map_or(1, char::len_utf8))
}

/// Whether the separator `c` at `at` (between `before` and `after`) stays inside the word
/// that started at `start`.
fn keeps(
    text: &str,
    start: usize,
    at: usize,
    c: char,
    before: char,
    after: Option<char>,
    limit: usize,
) -> bool {
    let digits = before.is_ascii_digit() && after.is_some_and(|a| a.is_ascii_digit());
    let letters = before.is_alphanumeric() && after.is_some_and(char::is_alphanumeric);
    match c {
        // 1,000.50 and 10:30 and 11/28/2000, b/c.
        ',' | ':' => digits,
        '/' => {
            digits
                || SLASH_WORDS
                    .iter()
                    .any(|w| text[start..limit].starts_with(w))
        }
        // 1.5, U.S., and file names and domains (`report.pdf`, `enron.com`).
        '.' => letters || abbreviation(&text[start..=at]),
        // Bryngelson@ENRON
        '@' => after.is_some_and(char::is_alphanumeric),
        '-' => {
            let prefix = |p: &&str| p.eq_ignore_ascii_case(&text[start..at]);
            digits || (letters && BOUND_PREFIXES.iter().any(prefix))
        }
        // Sha'lan, Qa'ida: an apostrophe inside a name, not a clitic's.
        '\'' | '’' => letters && clitic_len(&text[at..limit]).is_none(),
        '&' => letters,
        _ => false,
    }
}

/// The length of a clitic at the start of `text` that ends its word: `n't`, `'s`, `'re`,
/// `'ll`, `'m`, `'ve`, `'d` (either apostrophe, any case).
fn clitic_len(text: &str) -> Option<usize> {
    let apostrophe = |c: char| c == '\'' || c == '’';
    let mut chars = text.char_indices();
    let (_, first) = chars.next()?;
    let body_start = if first == 'n' || first == 'N' {
        let (_, a) = chars.next()?;
        if !apostrophe(a) {
            return None;
        }
        let (i, t) = chars.next()?;
        if t != 't' && t != 'T' {
            return None;
        }
        i + 1
    } else if apostrophe(first) {
        let rest = &text[first.len_utf8()..];
        let n = rest
            .find(|c: char| !c.is_alphabetic())
            .unwrap_or(rest.len());
        let body = &rest[..n];
        if !CLITICS.iter().any(|c| c.eq_ignore_ascii_case(body)) {
            return None;
        }
        first.len_utf8() + n
    } else {
        return None;
    };
    let ends = text[body_start..]
        .chars()
        .next()
        .is_none_or(|c| !c.is_alphanumeric());
    ends.then_some(body_start)
}

/// Where EWT splits a word written without its apostrophe or space: `cannot` -> `can`
/// `not`, `gonna` -> `gon` `na`, `dont` -> `do` `nt`, `im` -> `i` `m`; the whole word
/// otherwise. (`its` stays whole: in EWT it is far more often the possessive; `Its`, at the
/// start of a sentence, more often `It` `s`.)
fn split_contraction(word: &str) -> usize {
    let is = |w: &&str| w.eq_ignore_ascii_case(word);
    if word.eq_ignore_ascii_case("cannot") {
        3
    } else if word == "Its" {
        2
    } else if let Some((_, clitic)) = NO_APOSTROPHE.iter().find(|(w, _)| is(w)) {
        word.len() - clitic
    } else {
        word.len()
    }
}

/// `text` is an abbreviation that keeps its final period: a listed one, a single letter
/// (an initial) or letters each followed by a period (`U.S.`, `e.g.`, `a.m.`).
fn abbreviation(text: &str) -> bool {
    // The length cap keeps a long run of `a.a.a.` linear: each period asks again.
    let Some(stem) = text.strip_suffix('.').filter(|s| s.len() < 24) else {
        return false;
    };
    ABBREVIATIONS.contains(&stem)
        || (stem.chars().count() == 1 && stem.chars().all(char::is_alphabetic))
        || (stem.contains('.') && letters_and_periods(text))
}

/// `x.y.z.`: single letters, each followed by a period.
fn letters_and_periods(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 2
        && b.len() % 2 == 0
        && b.chunks(2)
            .all(|p| p[0].is_ascii_alphabetic() && p[1] == b'.')
}

fn is_url(text: &str) -> bool {
    let t = text.as_bytes();
    let starts = |p: &str| t.len() > p.len() && t[..p.len()].eq_ignore_ascii_case(p.as_bytes());
    starts("http://") || starts("https://") || starts("www.")
}

fn is_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((user, host)) => {
            !user.is_empty()
                && host.contains('.')
                && !host.ends_with('.')
                && user
                    .chars()
                    .all(|c| c.is_alphanumeric() || "._-+".contains(c))
                && host
                    .chars()
                    .all(|c| c.is_alphanumeric() || ".-".contains(c))
        }
        None => false,
    }
}

/// An `@` or `+` directly before a letter or digit starts a word (`@enron.com`, `+1`).
fn opens_word(text: &str, at: usize) -> bool {
    let mut chars = text[at..].chars();
    matches!(chars.next(), Some('@' | '+')) && chars.next().is_some_and(char::is_alphanumeric)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_stop(c: char) -> bool {
    matches!(c, '.' | '!' | '?')
}

fn char_at(text: &str, at: usize) -> Option<char> {
    text.get(at..).and_then(|s| s.chars().next())
}

/// The character ending at byte `end`, and where it starts (`(end, ' ')` at the start).
fn last_char(text: &str, end: usize) -> (usize, char) {
    text[..end].char_indices().next_back().unwrap_or((end, ' '))
}

/// Characters whose repeats form one token.
const RUNS: &str = ".!?-*=<>~_#$'`’‘\"";

const CLITICS: [&str; 6] = ["s", "re", "ll", "m", "ve", "d"];

const EMOTICONS: [&str; 8] = [":)", ":(", ":-)", ":-(", ";)", ";-)", ":D", ":P"];

/// Words EWT splits though written without an apostrophe, and the length of their second
/// part (`dont` -> `do` `nt`).
const NO_APOSTROPHE: [(&str, usize); 27] = [
    ("gonna", 2),
    ("gotta", 2),
    ("wanna", 2),
    ("dont", 2),
    ("didnt", 2),
    ("doesnt", 2),
    ("cant", 2),
    ("wont", 2),
    ("isnt", 2),
    ("wasnt", 2),
    ("arent", 2),
    ("werent", 2),
    ("couldnt", 2),
    ("wouldnt", 2),
    ("shouldnt", 2),
    ("havent", 2),
    ("hasnt", 2),
    ("hadnt", 2),
    ("im", 1),
    ("ive", 2),
    ("youre", 2),
    ("thats", 1),
    ("whats", 1),
    ("theres", 1),
    ("hes", 1),
    ("lets", 1),
    ("outta", 2),
];

/// Prefixes after which EWT keeps a hyphen inside the word (`e-mail`, `non-commercial`):
/// those EWT train and dev keep more often than they split.
const BOUND_PREFIXES: [&str; 22] = [
    "e", "non", "pre", "anti", "re", "mid", "over", "co", "post", "multi", "pro", "ex", "semi",
    "sub", "cross", "psycho", "counter", "neo", "micro", "intra", "socio", "mis",
];

/// Slash words EWT keeps whole.
const SLASH_WORDS: [&str; 3] = ["b/c", "w/o", "w/"];

/// Abbreviations that keep their period (without it).
const ABBREVIATIONS: [&str; 62] = [
    "Mr", "Mrs", "Ms", "Dr", "St", "Jr", "Sr", "Inc", "Co", "Corp", "Ltd", "vs", "etc", "Jan",
    "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "Mon", "Tue",
    "Tues", "Wed", "Thu", "Thur", "Thurs", "Fri", "Sat", "Sun", "No", "Gen", "Gov", "Lt", "Rev",
    "Ft", "Mt", "Sen", "Rep", "Reps", "Prof", "Capt", "Col", "Sgt", "Bros", "Attn", "approx",
    "dept", "est", "fig", "Ave", "Blvd", "Rd", "Arrv", "arrv", "Messrs", "Assn",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        words(text).map(|r| &text[r]).collect()
    }

    #[test]
    fn tricky_cases() {
        let cases: &[(&str, &[&str])] = &[
            (
                "I can't believe it's not butter.",
                &[
                    "I", "ca", "n't", "believe", "it", "'s", "not", "butter", ".",
                ],
            ),
            ("Don't", &["Do", "n't"]),
            (
                "I'm sure you'll see they've we'd",
                &[
                    "I", "'m", "sure", "you", "'ll", "see", "they", "'ve", "we", "'d",
                ],
            ),
            (
                "won’t cannot gonna dont",
                &["wo", "n’t", "can", "not", "gon", "na", "do", "nt"],
            ),
            ("Bush's plan", &["Bush", "'s", "plan"]),
            (
                "Mr. Smith went to the U.S. on Jan. 5.",
                &[
                    "Mr.", "Smith", "went", "to", "the", "U.S.", "on", "Jan.", "5", ".",
                ],
            ),
            (
                "e.g. this, i.e. that",
                &["e.g.", "this", ",", "i.e.", "that"],
            ),
            (
                "See http://www.x.com/a-b?c=1.",
                &["See", "http://www.x.com/a-b?c=1", "."],
            ),
            (
                "Mail john.doe@enron.com, now!",
                &["Mail", "john.doe@enron.com", ",", "now", "!"],
            ),
            (
                "It costs $1,000.50 (10%) at 10:30",
                &[
                    "It", "costs", "$", "1,000.50", "(", "10", "%", ")", "at", "10:30",
                ],
            ),
            (
                "a 31-year-old e-mail and/or 11/28/2000",
                &[
                    "a",
                    "31",
                    "-",
                    "year",
                    "-",
                    "old",
                    "e-mail",
                    "and",
                    "/",
                    "or",
                    "11/28/2000",
                ],
            ),
            ("Call 713-853-3989...", &["Call", "713-853-3989", "..."]),
            (
                "\"Wow!!\" she said -- ok?!",
                &["\"", "Wow", "!!", "\"", "she", "said", "--", "ok", "?!"],
            ),
            ("great :) thanks", &["great", ":)", "thanks"]),
            ("Sha'lan 'quoted'", &["Sha'lan", "'", "quoted", "'"]),
            ("AT&T", &["AT&T"]),
            (
                "at +1 212-848-8400 or Bob@ENRON, see a.pdf",
                &[
                    "at",
                    "+1",
                    "212-848-8400",
                    "or",
                    "Bob@ENRON",
                    ",",
                    "see",
                    "a.pdf",
                ],
            ),
            (
                "the $$$ b/c self-driven non-profit",
                &["the", "$$$", "b/c", "self", "-", "driven", "non-profit"],
            ),
            ("", &[]),
            ("   \t ", &[]),
            ("emoji 😀😀 ok", &["emoji", "😀", "😀", "ok"]),
        ];
        for (text, want) in cases {
            assert_eq!(split(text), *want, "{text:?}");
        }
    }

    proptest::proptest! {
        /// Whatever the text: the words are non-empty, in order, and together they are the
        /// text without its whitespace.
        #[test]
        fn words_cover_the_text_without_its_whitespace(text in "(\\PC|[ .,'’\\-/:n@])*") {
            let mut last = 0;
            let mut joined = String::new();
            for r in words(&text) {
                proptest::prop_assert!(r.start >= last && r.end > r.start, "{r:?}");
                proptest::prop_assert!(!text[r.clone()].contains(char::is_whitespace));
                joined.push_str(&text[r.clone()]);
                last = r.end;
            }
            let kept: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            proptest::prop_assert_eq!(joined, kept);
        }
    }

    #[test]
    fn a_huge_line_is_split_in_linear_time() {
        let line = "word, ".repeat(200_000);
        assert_eq!(words(&line).count(), 400_000);
        let solid = "a".repeat(1 << 20);
        assert_eq!(split(&solid), [solid.as_str()]);
        for unit in ["a.", "n't", "a-", "'s", "@a.", "1,"] {
            let line = unit.repeat((1 << 20) / unit.len());
            assert!(words(&line).count() > 0);
        }
    }
}
