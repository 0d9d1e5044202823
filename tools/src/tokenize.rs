//! The tokenizer against a treebank (issue 19): its words against the gold syntactic words
//! of every sentence's raw text (`# text =`), matched by character offsets, and a tagger's
//! accuracy on raw text (a gold word the tokenizer got wrong counts as an error) beside its
//! accuracy on the gold words.

use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;
use sublex_runtime::{tokenize, BackendChoice, TagId, Tagger};
use sublex_trainer::tagger::{read_corpus, CorpusFormat, Sentence};

/// The `tokenize` command's options.
#[derive(Clone, Debug, clap::Args)]
pub struct TokenizeInputs {
    /// A CoNLL-U treebank whose sentences carry `# text =`.
    #[arg(long)]
    pub conllu: PathBuf,
    /// Also tag: an exported tagger (`sublex-train export --model TAGGER_DIR`).
    #[arg(long)]
    pub tagger: Option<PathBuf>,
    /// Print the first N sentences where the words differ (gold, then the tokenizer's).
    #[arg(long, default_value_t = 0)]
    pub errors: usize,
}

/// What the tokenizer and the tagger scored.
#[derive(Serialize, Debug, Default, PartialEq)]
pub struct TokenizeReport {
    pub sentences: usize,
    pub gold_words: usize,
    pub predicted_words: usize,
    /// Predicted words with exactly a gold word's offsets.
    pub matched: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Tags right, of all gold words: on the tokenizer's words (a gold word without a
    /// predicted word of the same offsets is wrong) and on the gold words.
    pub accuracy_raw: Option<f64>,
    pub accuracy_gold: Option<f64>,
}

/// Scores the tokenizer (and the tagger) on every sentence of `inputs.conllu`.
pub fn build(inputs: &TokenizeInputs) -> Result<TokenizeReport> {
    let corpus = read_corpus(&inputs.conllu, CorpusFormat::Conllu)?;
    let mut tagger = match &inputs.tagger {
        Some(path) => Some(Tagger::open(path, BackendChoice::Kernel)?),
        None => None,
    };
    let mut r = TokenizeReport::default();
    let (mut right_raw, mut right_gold, mut shown) = (0, 0, 0);
    for (i, sentence) in corpus.iter().enumerate() {
        let name = || format!("{} sentence {}", inputs.conllu.display(), i + 1);
        let Some(text) = &sentence.text else {
            bail!("{}: no `# text =` line", name());
        };
        let gold = gold_spans(text, sentence).with_context(name)?;
        let predicted: Vec<Range<usize>> = tokenize::words(text).collect();
        let at: HashMap<(usize, usize), usize> = (predicted.iter().enumerate())
            .map(|(k, s)| ((s.start, s.end), k))
            .collect();
        let found: Vec<Option<usize>> = gold
            .iter()
            .map(|s| at.get(&(s.start, s.end)).copied())
            .collect();
        r.sentences += 1;
        r.gold_words += gold.len();
        r.predicted_words += predicted.len();
        let hits = found.iter().flatten().count();
        r.matched += hits;
        if (hits != gold.len() || hits != predicted.len()) && shown < inputs.errors {
            shown += 1;
            let show = |spans: &[Range<usize>]| -> Vec<&str> {
                spans.iter().map(|s| &text[s.clone()]).collect()
            };
            eprintln!(
                "{}:\n  gold {:?}\n  ours {:?}",
                name(),
                show(&gold),
                show(&predicted)
            );
        }
        if let Some(tagger) = tagger.as_mut() {
            let raw = tag(tagger, predicted.iter().map(|s| &text[s.clone()]))?;
            let on_gold = tag(tagger, sentence.words.iter().map(String::as_str))?;
            for (k, want) in sentence.tags.iter().enumerate() {
                right_raw += usize::from(found[k].is_some_and(|p| raw[p] == *want));
                right_gold += usize::from(on_gold[k] == *want);
            }
        }
    }
    r.precision = r.matched as f64 / r.predicted_words.max(1) as f64;
    r.recall = r.matched as f64 / r.gold_words.max(1) as f64;
    r.f1 = 2.0 * r.precision * r.recall / (r.precision + r.recall).max(f64::MIN_POSITIVE);
    if tagger.is_some() {
        r.accuracy_raw = Some(right_raw as f64 / r.gold_words.max(1) as f64);
        r.accuracy_gold = Some(right_gold as f64 / r.gold_words.max(1) as f64);
    }
    Ok(r)
}

/// The gold words' byte offsets in `text`: each word is the text's next non-blank run of
/// its characters (true of every EWT word, multiword tokens' parts included).
fn gold_spans(text: &str, sentence: &Sentence) -> Result<Vec<Range<usize>>> {
    let mut at = 0;
    let mut spans = Vec::with_capacity(sentence.words.len());
    for word in &sentence.words {
        at += text[at..].len() - text[at..].trim_start().len();
        if !text[at..].starts_with(word.as_str()) {
            bail!("the word {word:?} is not the text's next at byte {at}: {text:?}");
        }
        spans.push(at..at + word.len());
        at += word.len();
    }
    Ok(spans)
}

/// The tagger's tag names for `words`.
fn tag<'w>(tagger: &mut Tagger, words: impl Iterator<Item = &'w str>) -> Result<Vec<String>> {
    let words: Vec<&str> = words.collect();
    let mut ids: Vec<TagId> = vec![0; words.len()];
    tagger.tag_into(&words, &mut ids)?;
    Ok(ids.iter().map(|&t| tagger.tag_name(t).to_owned()).collect())
}

/// The report as Markdown.
pub fn markdown(r: &TokenizeReport, inputs: &TokenizeInputs) -> String {
    let mut s = format!(
        "Tokenizer on {} ({} sentences): {} gold words, {} predicted, {} matched by offsets\n\n\
         | precision | recall | F1 |\n|---|---|---|\n| {:.2} | {:.2} | {:.2} |\n",
        inputs.conllu.display(),
        r.sentences,
        r.gold_words,
        r.predicted_words,
        r.matched,
        100.0 * r.precision,
        100.0 * r.recall,
        100.0 * r.f1
    );
    if let (Some(raw), Some(gold), Some(tagger)) = (r.accuracy_raw, r.accuracy_gold, &inputs.tagger)
    {
        s += &format!(
            "\nTagger {}: accuracy on raw text {:.2}, on gold words {:.2} (of all gold words)\n",
            tagger.display(),
            100.0 * raw,
            100.0 * gold
        );
    }
    s
}
