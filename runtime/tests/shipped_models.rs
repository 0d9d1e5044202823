//! The trained models committed under `data/models/` (issue 19) load, embed and tag.

use std::path::PathBuf;
use sublex_runtime::{tokenize, Artifact, BackendChoice, Embedder, Tagger};

fn model(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../data/models")
        .join(name)
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}

#[test]
fn the_shipped_tagger_tags_raw_text() {
    let mut tagger = Tagger::open(model("tagger-ewt-char.int8.onnx"), BackendChoice::Auto).unwrap();
    let text = "The cat sat on the mat.";
    let words: Vec<&str> = tokenize::words(text).map(|r| &text[r]).collect();
    let mut ids = vec![0; words.len()];
    tagger.tag_into(&words, &mut ids).unwrap();
    let tags: Vec<&str> = ids.iter().map(|&t| tagger.tag_name(t)).collect();
    assert_eq!(tags, ["DT", "NN", "VBD", "IN", "DT", "NN", "."]);
}

#[test]
fn the_shipped_embedder_returns_stored_rows_and_embeds_any_word() {
    let path = model("embedder-glove-hybrid.onnx");
    let artifact = Artifact::open(&path).unwrap();
    let rows = artifact.rows().unwrap().expect("a hybrid file");
    let stored = artifact.manifest().rows.as_ref().unwrap().words.clone();
    assert_eq!(stored.len(), 28_000);
    let mut embedder = Embedder::from_artifact(&artifact, BackendChoice::Auto).unwrap();
    let dim = embedder.dim();
    let words = ["king", "queen", "carrot", "unfriendliest"];
    let mut out = vec![0.0; words.len() * dim];
    embedder.embed_into(&words, &mut out).unwrap();
    let v = |i: usize| &out[i * dim..(i + 1) * dim];
    let king = stored.find("king").expect("a frequent word is stored");
    assert_eq!(v(0), &rows[king * dim..(king + 1) * dim]);
    assert!(cosine(v(0), v(1)) > cosine(v(0), v(2)) + 0.3);
    // A word GloVe's first 28,000 rows lack: the character model's vector.
    assert!(stored.find("unfriendliest").is_none());
    assert!(v(3).iter().all(|x| x.is_finite()) && v(3).iter().any(|&x| x != 0.0));
}
