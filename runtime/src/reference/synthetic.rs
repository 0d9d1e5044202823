//! Deterministic weights for tests and fixtures: a model of any shape whose values never
//! change (an LCG), in the ranges trained models reach, plus a wide one for the character
//! table so that the activations saturate.

use crate::artifact::{CharModelWeights, Shapes, TaggerShapes, TaggerWeights};
pub use sublex_kernel::reference::Lcg;

/// A character model's weights drawn from `Lcg(seed)` (the highway layer's last).
pub fn char_model_weights(s: &Shapes, seed: u64) -> CharModelWeights {
    let g = &mut Lcg(seed);
    let (h, d) = (s.hidden, s.dim);
    CharModelWeights {
        chars: g.vec(s.vocab * s.char_dim, 1.5),
        w: g.vec(8 * h * s.char_dim, 0.3),
        r: g.vec(8 * h * h, 0.3),
        b: g.vec(16 * h, 0.5),
        proj_forward: g.vec(h * d, 0.3),
        proj_backward: g.vec(h * d, 0.3),
        proj_bias: g.vec(d, 0.2),
        highway: s.highway.then(|| (g.vec(d * d, 0.3), g.vec(d, 0.3))),
    }
}

/// A tagger's weights: the character model from `Lcg(chars_seed)`, the rest from
/// `Lcg(seed)`.
pub fn tagger_weights(s: &TaggerShapes, chars_seed: u64, seed: u64) -> TaggerWeights {
    let g = &mut Lcg(seed);
    let (d, hw, mlp, n) = (s.chars.dim, s.word_hidden, s.mlp, s.tags);
    TaggerWeights {
        chars: char_model_weights(&s.chars, chars_seed),
        w: g.vec(8 * hw * d, 0.3),
        r: g.vec(8 * hw * hw, 0.3),
        b: g.vec(16 * hw, 0.5),
        mlp_weight: g.vec(2 * hw * mlp, 0.3),
        mlp_bias: g.vec(mlp, 0.2),
        out_weight: g.vec(mlp * n, 0.3),
        out_bias: g.vec(n, 0.2),
    }
}
