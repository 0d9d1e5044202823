//! The character model's weights in the exported graph's layout (ONNX `LSTM` conventions).

use crate::error::{WeightError, WeightProblem};

/// Weights of the character model, f32, in ONNX layout. Direction 0 is the forward LSTM,
/// direction 1 the backward one; gates are in ONNX order i, o, f, c.
#[derive(Clone, Debug, PartialEq)]
pub struct CharModelWeights {
    /// `[vocab, char_dim]`, row 0 is UNK.
    pub chars: Vec<f32>,
    /// `[2, 4 * hidden, char_dim]`.
    pub w: Vec<f32>,
    /// `[2, 4 * hidden, hidden]`.
    pub r: Vec<f32>,
    /// `[2, 8 * hidden]`: the input bias then the recurrent bias of each direction.
    pub b: Vec<f32>,
    /// `W_f`, `[hidden, dim]` (multiplied from the right: `f · W_f`).
    pub proj_forward: Vec<f32>,
    /// `W_b`, `[hidden, dim]`.
    pub proj_backward: Vec<f32>,
    /// `b`, `[dim]`.
    pub proj_bias: Vec<f32>,
    /// Highway `([dim, dim], [dim])`, eq. 3.
    pub highway: Option<(Vec<f32>, Vec<f32>)>,
}

/// The dimensions that fix every weight's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shapes {
    pub vocab: usize,
    pub char_dim: usize,
    pub hidden: usize,
    pub dim: usize,
    pub highway: bool,
}

impl Shapes {
    pub fn chars(&self) -> [usize; 2] {
        [self.vocab, self.char_dim]
    }
    pub fn w(&self) -> [usize; 3] {
        [2, 4 * self.hidden, self.char_dim]
    }
    pub fn r(&self) -> [usize; 3] {
        [2, 4 * self.hidden, self.hidden]
    }
    pub fn b(&self) -> [usize; 2] {
        [2, 8 * self.hidden]
    }
    pub fn proj(&self) -> [usize; 2] {
        [self.hidden, self.dim]
    }
    pub fn highway(&self) -> [usize; 2] {
        [self.dim, self.dim]
    }

    /// Number of weights, biases included.
    pub fn num_params(&self) -> usize {
        self.declared_params() as usize
    }

    /// [`Shapes::num_params`] in saturating u64 arithmetic: what the validator checks a
    /// manifest's sizes with before anything is sized from them.
    pub fn declared_params(&self) -> u64 {
        let highway = if self.highway {
            count(&[&self.highway(), &[self.dim]])
        } else {
            0
        };
        count(&[
            &self.chars(),
            &self.w(),
            &self.r(),
            &self.b(),
            &self.proj(),
            &self.proj(),
            &[self.dim],
        ])
        .saturating_add(highway)
    }

    /// The kernel crate's view of the same dimensions.
    pub fn kernel_dims(&self) -> sublex_kernel::Dims {
        sublex_kernel::Dims {
            vocab: self.vocab,
            char_dim: self.char_dim,
            hidden: self.hidden,
            dim: self.dim,
            highway: self.highway,
        }
    }
}

impl CharModelWeights {
    /// Checks every length against `shapes`, naming the first weight that disagrees.
    pub fn check(&self, shapes: &Shapes) -> Result<(), WeightError> {
        let mut expected: Vec<(&str, &[f32], Vec<usize>)> = vec![
            ("chars", &self.chars, shapes.chars().to_vec()),
            ("W", &self.w, shapes.w().to_vec()),
            ("R", &self.r, shapes.r().to_vec()),
            ("B", &self.b, shapes.b().to_vec()),
            ("proj_forward", &self.proj_forward, shapes.proj().to_vec()),
            ("proj_backward", &self.proj_backward, shapes.proj().to_vec()),
            ("proj_bias", &self.proj_bias, vec![shapes.dim]),
        ];
        match (&self.highway, shapes.highway) {
            (Some((w, b)), true) => {
                expected.push(("highway_weight", w, shapes.highway().to_vec()));
                expected.push(("highway_bias", b, vec![shapes.dim]));
            }
            (None, false) => {}
            (found, expected) => {
                return Err(WeightError {
                    name: "highway".into(),
                    problem: WeightProblem::Highway {
                        found: found.is_some(),
                        expected,
                    },
                })
            }
        }
        check_lengths(expected)
    }

    /// The kernel crate's borrowed view of these weights.
    pub fn kernel_view(&self) -> sublex_kernel::OnnxWeights<'_> {
        sublex_kernel::OnnxWeights {
            chars: &self.chars,
            w: &self.w,
            r: &self.r,
            b: &self.b,
            proj_forward: &self.proj_forward,
            proj_backward: &self.proj_backward,
            proj_bias: &self.proj_bias,
            highway: self.highway.as_ref().map(|(w, b)| (&w[..], &b[..])),
        }
    }
}

/// Weights of a tagger: its character model plus the word-level BiLSTM (ONNX layout,
/// direction 0 forward) over the character model's vectors and the MLP
/// `W2 relu(W1 h + b1) + b2` (matrices multiplied from the right).
#[derive(Clone, Debug, PartialEq)]
pub struct TaggerWeights {
    pub chars: CharModelWeights,
    /// `[2, 4 * word_hidden, dim]`.
    pub w: Vec<f32>,
    /// `[2, 4 * word_hidden, word_hidden]`.
    pub r: Vec<f32>,
    /// `[2, 8 * word_hidden]`.
    pub b: Vec<f32>,
    /// `W1`, `[2 * word_hidden, mlp]`.
    pub mlp_weight: Vec<f32>,
    pub mlp_bias: Vec<f32>,
    /// `W2`, `[mlp, tags]`.
    pub out_weight: Vec<f32>,
    pub out_bias: Vec<f32>,
}

/// The dimensions that fix a tagger's weight shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaggerShapes {
    pub chars: Shapes,
    pub word_hidden: usize,
    pub mlp: usize,
    pub tags: usize,
}

impl TaggerShapes {
    pub fn w(&self) -> [usize; 3] {
        [2, 4 * self.word_hidden, self.chars.dim]
    }
    pub fn r(&self) -> [usize; 3] {
        [2, 4 * self.word_hidden, self.word_hidden]
    }
    pub fn b(&self) -> [usize; 2] {
        [2, 8 * self.word_hidden]
    }
    pub fn mlp_weight(&self) -> [usize; 2] {
        [2 * self.word_hidden, self.mlp]
    }
    pub fn out_weight(&self) -> [usize; 2] {
        [self.mlp, self.tags]
    }

    /// Number of weights, biases and the character model included.
    pub fn num_params(&self) -> usize {
        self.declared_params() as usize
    }

    /// [`TaggerShapes::num_params`] in saturating u64 arithmetic (see
    /// [`Shapes::declared_params`]).
    pub fn declared_params(&self) -> u64 {
        self.chars.declared_params().saturating_add(count(&[
            &self.w(),
            &self.r(),
            &self.b(),
            &self.mlp_weight(),
            &[self.mlp],
            &self.out_weight(),
            &[self.tags],
        ]))
    }
}

impl TaggerWeights {
    /// Checks every length against `shapes`, naming the first weight that disagrees.
    pub fn check(&self, shapes: &TaggerShapes) -> Result<(), WeightError> {
        self.chars.check(&shapes.chars)?;
        let expected: [(&str, &[f32], Vec<usize>); 7] = [
            ("word_W", &self.w, shapes.w().to_vec()),
            ("word_R", &self.r, shapes.r().to_vec()),
            ("word_B", &self.b, shapes.b().to_vec()),
            ("mlp_weight", &self.mlp_weight, shapes.mlp_weight().to_vec()),
            ("mlp_bias", &self.mlp_bias, vec![shapes.mlp]),
            ("out_weight", &self.out_weight, shapes.out_weight().to_vec()),
            ("out_bias", &self.out_bias, vec![shapes.tags]),
        ];
        check_lengths(expected)
    }
}

/// The number of values of tensors of the shapes `shapes`, saturating.
fn count(shapes: &[&[usize]]) -> u64 {
    shapes.iter().fold(0u64, |total, dims| {
        let n = dims.iter().fold(1u64, |n, &d| n.saturating_mul(d as u64));
        total.saturating_add(n)
    })
}

/// The first `(name, values, shape)` whose value count the shape does not allow.
fn check_lengths<'a>(
    expected: impl IntoIterator<Item = (&'a str, &'a [f32], Vec<usize>)>,
) -> Result<(), WeightError> {
    for (name, data, dims) in expected {
        let need: usize = dims.iter().product();
        if data.len() != need {
            return Err(WeightError {
                name: name.into(),
                problem: WeightProblem::Length {
                    found: data.len(),
                    dims,
                    need,
                },
            });
        }
    }
    Ok(())
}
