//! Part-of-speech tagging (paper 5.2): tagged corpora (CoNLL-U, `word_TAG`,
//! `word<TAB>tag`), the tag vocabulary, the tagger, its training and evaluation.

pub mod augment;
mod corpus;
mod distill;
pub mod eval;
pub mod export;
pub mod model;
mod point;
mod recipe;
mod recon;
mod report;
mod setup;
pub mod train;

pub use corpus::{
    read_corpus, write_word_tab, CorpusError, CorpusErrorKind, CorpusFormat, Location, Sentence,
};

use std::collections::BTreeSet;

/// The tags of a corpus, numbered densely in sorted (byte) order: id `i` is the `i`-th
/// smallest tag. Serialises as `{"tags": [...]}`; deserialising checks the list is sorted,
/// free of duplicates and of empty tags.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "TagList")]
pub struct TagSet {
    tags: Vec<String>,
}

#[derive(serde::Deserialize)]
struct TagList {
    tags: Vec<String>,
}

impl TryFrom<TagList> for TagSet {
    type Error = String;

    fn try_from(list: TagList) -> Result<Self, String> {
        if let Some(pair) = list.tags.windows(2).find(|p| p[0] >= p[1]) {
            return Err(format!(
                "tags must be sorted and distinct: `{}` comes before `{}`",
                pair[0], pair[1]
            ));
        }
        if list.tags.iter().any(String::is_empty) {
            return Err("a tag is empty".into());
        }
        if u32::try_from(list.tags.len()).is_err() {
            return Err(format!("{} tags do not fit u32 ids", list.tags.len()));
        }
        Ok(TagSet { tags: list.tags })
    }
}

impl TagSet {
    /// Every tag that occurs in `sentences`.
    pub fn build(sentences: &[Sentence]) -> TagSet {
        let tags: BTreeSet<&str> = sentences
            .iter()
            .flat_map(|s| s.tags.iter().map(String::as_str))
            .collect();
        TagSet {
            tags: tags.into_iter().map(str::to_owned).collect(),
        }
    }

    /// The id of `tag`, if the set holds it.
    pub fn id(&self, tag: &str) -> Option<u32> {
        let index = self.tags.binary_search_by(|t| t.as_str().cmp(tag)).ok()?;
        u32::try_from(index).ok()
    }

    /// The tag with id `id`. Panics if `id >= self.len()`.
    pub fn tag(&self, id: u32) -> &str {
        &self.tags[id as usize]
    }

    /// The number of tags.
    pub fn len(&self) -> usize {
        self.tags.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// All tags, in id order.
    pub fn tags(&self) -> &[String] {
        &self.tags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentence(pairs: &[(&str, &str)]) -> Sentence {
        Sentence {
            words: pairs.iter().map(|p| p.0.to_owned()).collect(),
            tags: pairs.iter().map(|p| p.1.to_owned()).collect(),
            text: None,
        }
    }

    #[test]
    fn tag_ids_follow_sorted_order() {
        let corpus = [
            sentence(&[("the", "DT"), ("dog", "NN"), ("ran", "VBD")]),
            sentence(&[("a", "DT"), (",", ","), ("Paris", "NNP")]),
        ];
        let set = TagSet::build(&corpus);
        assert_eq!(set.len(), 5);
        assert!(!set.is_empty());
        assert_eq!(set.tags(), [",", "DT", "NN", "NNP", "VBD"]);
        for (i, tag) in set.tags().iter().enumerate() {
            assert_eq!(set.id(tag), Some(i as u32));
            assert_eq!(set.tag(i as u32), tag);
        }
        assert_eq!(set.id("JJ"), None);
        assert!(TagSet::build(&[]).is_empty());
    }

    #[test]
    fn tag_set_serde_round_trip_and_validation() {
        let set = TagSet::build(&[sentence(&[("a", "DT"), ("b", "NN")])]);
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(json, r#"{"tags":["DT","NN"]}"#);
        assert_eq!(serde_json::from_str::<TagSet>(&json).unwrap(), set);
        for bad in [
            r#"{"tags":["NN","DT"]}"#,
            r#"{"tags":["DT","DT"]}"#,
            r#"{"tags":[""]}"#,
        ] {
            assert!(serde_json::from_str::<TagSet>(bad).is_err(), "{bad}");
        }
    }
}
