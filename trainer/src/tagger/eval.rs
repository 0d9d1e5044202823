//! Tagging accuracy on all tokens and on tokens unseen in training, and the most frequent
//! confusions.

use super::model::{Lexicon, TaggerModel};
use super::{Sentence, TagSet};
use crate::batches::length_batches;
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Sentences per forward pass when predicting.
const PREDICT_BATCH: usize = 64;

/// How often gold tag `gold` was tagged `predicted`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Confusion {
    pub gold: String,
    pub predicted: String,
    pub count: usize,
}

/// Accuracy of one tagger on one corpus.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Evaluation {
    pub tokens: usize,
    pub correct: usize,
    pub accuracy: f64,
    /// Tokens whose word form never occurs in the training corpus.
    pub unseen_tokens: usize,
    pub unseen_correct: usize,
    pub unseen_accuracy: f64,
    /// The most frequent errors, most frequent first.
    pub confusions: Vec<Confusion>,
}

/// The best-scoring tag id of every token, sentence by sentence.
pub fn predict(
    model: &TaggerModel,
    lexicon: &Lexicon,
    sentences: &[Sentence],
    device: &Device,
) -> Vec<Vec<u32>> {
    by_sentence(model, lexicon, sentences, device, 1, |scores| {
        let best = scores.argmax(1).into_data().convert::<i64>();
        let best: Vec<i64> = best.try_into_vec().expect("argmax gives integers");
        best.into_iter().map(|t| t as u32).collect()
    })
}

/// Every token's probability of each tag (`tags` values per token, in tag-id order),
/// sentence by sentence.
pub fn probabilities(
    model: &TaggerModel,
    lexicon: &Lexicon,
    sentences: &[Sentence],
    device: &Device,
) -> Vec<Vec<f32>> {
    let tags = model.output_layer.weight.dims()[1];
    by_sentence(model, lexicon, sentences, device, tags, |scores| {
        softmax(scores, 1)
            .into_data()
            .try_into_vec::<f32>()
            .expect("f32 probabilities")
    })
}

/// `per_token` applied to the tag scores of each batch of sentences (evaluation mode), its
/// `width` values per token cut back into one vector per sentence.
fn by_sentence<T: Clone>(
    model: &TaggerModel,
    lexicon: &Lexicon,
    sentences: &[Sentence],
    device: &Device,
    width: usize,
    per_token: impl Fn(Tensor<2>) -> Vec<T>,
) -> Vec<Vec<T>> {
    let lengths: Vec<usize> = sentences.iter().map(|s| s.words.len()).collect();
    let mut out = vec![Vec::new(); sentences.len()];
    let with_words = model.words.is_some();
    for batch in length_batches(&lengths, PREDICT_BATCH) {
        let words: Vec<&[String]> = batch.iter().map(|&i| &sentences[i].words[..]).collect();
        let input = lexicon.batch(&words, None, with_words, device);
        let values = per_token(model.scores(&input, None));
        let len = lengths[batch[0]] * width;
        for (row, &i) in batch.iter().enumerate() {
            out[i] = values[row * len..(row + 1) * len].to_vec();
        }
    }
    out
}

/// Scores `predicted` against the gold tags of `sentences`. A gold tag the tag set lacks
/// (it never occurs in training) counts as an error.
pub fn evaluate(
    sentences: &[Sentence],
    predicted: &[Vec<u32>],
    tags: &TagSet,
    training_words: &HashSet<String>,
    top_confusions: usize,
) -> Evaluation {
    let (mut tokens, mut correct, mut unseen, mut unseen_correct) = (0, 0, 0, 0);
    let mut confusions: HashMap<(&str, &str), usize> = HashMap::new();
    for (sentence, predicted) in sentences.iter().zip(predicted) {
        for ((word, gold), &p) in sentence.words.iter().zip(&sentence.tags).zip(predicted) {
            let guess = tags.tag(p);
            let right = guess == gold;
            let is_unseen = !training_words.contains(word);
            tokens += 1;
            correct += right as usize;
            unseen += is_unseen as usize;
            unseen_correct += (is_unseen && right) as usize;
            if !right {
                *confusions.entry((gold, guess)).or_default() += 1;
            }
        }
    }
    let mut confusions: Vec<Confusion> = confusions
        .into_iter()
        .map(|((gold, predicted), count)| Confusion {
            gold: gold.into(),
            predicted: predicted.into(),
            count,
        })
        .collect();
    confusions
        .sort_by(|a, b| (b.count, &a.gold, &a.predicted).cmp(&(a.count, &b.gold, &b.predicted)));
    confusions.truncate(top_confusions);
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    Evaluation {
        tokens,
        correct,
        accuracy: ratio(correct, tokens),
        unseen_tokens: unseen,
        unseen_correct,
        unseen_accuracy: ratio(unseen_correct, unseen),
        confusions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_unseen_and_confusions() {
        let sentences = vec![Sentence {
            words: vec!["the".into(), "cat".into(), "sat".into(), "Ann".into()],
            tags: vec!["DT".into(), "NN".into(), "VBD".into(), "XX".into()],
            text: None,
        }];
        let tags = TagSet::build(&[Sentence {
            words: vec!["a".into(), "b".into(), "c".into()],
            tags: vec!["DT".into(), "NN".into(), "VBD".into()],
            text: None,
        }]);
        let seen: HashSet<String> = ["the", "cat"].iter().map(|s| s.to_string()).collect();
        // DT NN VBD: the, cat right; sat -> NN wrong; Ann (gold tag unknown) -> DT wrong.
        let e = evaluate(&sentences, &[vec![0, 1, 1, 0]], &tags, &seen, 5);
        assert_eq!((e.tokens, e.correct), (4, 2));
        assert_eq!((e.unseen_tokens, e.unseen_correct), (2, 0));
        assert_eq!(e.accuracy, 0.5);
        assert_eq!(e.confusions.len(), 2);
        assert_eq!(e.confusions[0].count, 1);
    }
}
