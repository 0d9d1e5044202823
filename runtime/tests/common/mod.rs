//! A model file with random weights at the real size (100-d), built without the trainer.

use sublex_runtime::artifact::{
    encode_embedder, encode_tagger, CharModelWeights, Kind, Manifest, TaggerDims, TaggerWeights,
    FORMAT_VERSION,
};
use sublex_runtime::{CharVocab, Precision};

/// A deterministic generator (the weights' exact values do not matter, only that both
/// backends read the same ones).
struct Lcg(u64);
impl Lcg {
    fn uniform(&mut self, bound: f32) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * bound
    }
    fn vec(&mut self, n: usize, bound: f32) -> Vec<f32> {
        (0..n).map(|_| self.uniform(bound)).collect()
    }
}

#[allow(dead_code)]
pub fn random_model(precision: Precision, highway: bool) -> Vec<u8> {
    let (manifest, weights) = random_char_model(precision, highway);
    encode_embedder(&manifest, &weights)
}

fn random_char_model(precision: Precision, highway: bool) -> (Manifest, CharModelWeights) {
    let vocab = CharVocab::build(["abcdefghijklmnopqrstuvwxyz-'.0123456789éü"], 1);
    let (v, dc, h, d) = (vocab.len(), 100, 100, 100);
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
    };
    let g = &mut Lcg(42);
    // Trained models' LSTM weights reach about ±1; a wide range exercises saturation.
    let weights = CharModelWeights {
        chars: g.vec(v * dc, 1.5),
        w: g.vec(8 * h * dc, 0.3),
        r: g.vec(8 * h * h, 0.3),
        b: g.vec(16 * h, 0.5),
        proj_forward: g.vec(h * d, 0.3),
        proj_backward: g.vec(h * d, 0.3),
        proj_bias: g.vec(d, 0.2),
        highway: highway.then(|| (g.vec(d * d, 0.3), g.vec(d, 0.3))),
    };
    weights.check(&manifest.shapes()).unwrap();
    (manifest, weights)
}

/// A tagger file with random weights: the random character model, a word BiLSTM of 2 x 50,
/// an MLP of 40 and 7 tags. Returns the bytes and the weights (for the f64 reference).
#[allow(dead_code)]
pub fn random_tagger(precision: Precision, highway: bool) -> (Vec<u8>, Manifest, TaggerWeights) {
    let (mut manifest, chars) = random_char_model(precision, highway);
    let tags: Vec<String> = [",", ".", "DT", "JJ", "NN", "NNP", "VBZ"]
        .iter()
        .map(|t| t.to_string())
        .collect();
    let (d, hw, mlp, n) = (manifest.dim, 50, 40, tags.len());
    manifest.kind = Kind::Tagger;
    manifest.tagger = Some(TaggerDims {
        tags,
        word_hidden: hw,
        mlp,
    });
    let g = &mut Lcg(7);
    let weights = TaggerWeights {
        chars,
        w: g.vec(8 * hw * d, 0.3),
        r: g.vec(8 * hw * hw, 0.3),
        b: g.vec(16 * hw, 0.5),
        mlp_weight: g.vec(2 * hw * mlp, 0.3),
        mlp_bias: g.vec(mlp, 0.2),
        out_weight: g.vec(mlp * n, 0.3),
        out_bias: g.vec(n, 0.2),
    };
    weights.check(&manifest.tagger_shapes().unwrap()).unwrap();
    (encode_tagger(&manifest, &weights), manifest, weights)
}
