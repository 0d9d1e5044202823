//! The character model's weights in the exported graph's layout (ONNX `LSTM` conventions).

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
        let p = |s: &[usize]| s.iter().product::<usize>();
        let highway = if self.highway {
            p(&self.highway()) + self.dim
        } else {
            0
        };
        p(&self.chars())
            + p(&self.w())
            + p(&self.r())
            + p(&self.b())
            + 2 * p(&self.proj())
            + self.dim
            + highway
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
    pub fn check(&self, shapes: &Shapes) -> Result<(), (String, String)> {
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
            (found, _) => {
                let message = format!(
                    "highway layer present: {}, expected: {}",
                    found.is_some(),
                    shapes.highway
                );
                return Err(("highway".into(), message));
            }
        }
        for (name, data, dims) in expected {
            let need: usize = dims.iter().product();
            if data.len() != need {
                return Err((
                    name.into(),
                    format!("{} values, shape {dims:?} needs {need}", data.len()),
                ));
            }
        }
        Ok(())
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
