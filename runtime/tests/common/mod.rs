//! A model file with random weights at the real size (100-d), built without the trainer.

use sublex_runtime::artifact::{
    encode_embedder, encode_tagger, CharModelWeights, Kind, Manifest, TaggerDims, TaggerWeights,
    FORMAT_VERSION,
};
use sublex_runtime::reference::synthetic;
use sublex_runtime::{CharVocab, Precision};

#[allow(dead_code)]
pub fn random_model(precision: Precision, highway: bool) -> Vec<u8> {
    let (manifest, weights) = random_char_model(precision, highway);
    encode_embedder(&manifest, &weights)
}

/// The manifest and weights of [`random_model`].
#[allow(dead_code)]
pub fn random_char_model(precision: Precision, highway: bool) -> (Manifest, CharModelWeights) {
    let vocab = CharVocab::build(["abcdefghijklmnopqrstuvwxyz-'.0123456789éü"], 1);
    let (dc, h, d) = (100, 100, 100);
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        kind: Kind::Embedder,
        precision,
        vocab,
        char_dim: dc,
        hidden: h,
        dim: d,
        highway,
        loss: "cos".into(),
        teacher: "random".into(),
        tagger: None,
        rows: None,
    };
    let weights = synthetic::char_model_weights(&manifest.shapes(), 42);
    weights.check(&manifest.shapes()).unwrap();
    (manifest, weights)
}

/// A tagger file with random weights: the random character model, a word BiLSTM of 2 x 50,
/// an MLP of 40 and 7 tags. Returns the bytes and the weights (for the f64 reference).
#[allow(dead_code)]
pub fn random_tagger(precision: Precision, highway: bool) -> (Vec<u8>, Manifest, TaggerWeights) {
    let (mut manifest, _) = random_char_model(precision, highway);
    let tags: Vec<String> = [",", ".", "DT", "JJ", "NN", "NNP", "VBZ"]
        .iter()
        .map(|t| t.to_string())
        .collect();
    let (hw, mlp) = (50, 40);
    manifest.kind = Kind::Tagger;
    manifest.tagger = Some(TaggerDims {
        tags,
        word_hidden: hw,
        mlp,
    });
    let weights = synthetic::tagger_weights(&manifest.tagger_shapes().unwrap(), 42, 7);
    weights.check(&manifest.tagger_shapes().unwrap()).unwrap();
    (encode_tagger(&manifest, &weights), manifest, weights)
}
