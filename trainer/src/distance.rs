//! The paper's five reconstruction distances (section 3).

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Distance {
    /// D1, Manhattan.
    L1,
    /// D√2, Euclidean.
    L2,
    /// D2, squared error.
    Sq,
    /// D∞, largest coordinate difference.
    Linf,
    /// Dcos, negative cosine similarity.
    Cos,
}

/// Keeps square roots and divisions finite when a difference or a vector is exactly zero
/// (ReLU outputs can be all zero).
const EPS: f32 = 1e-12;

impl Distance {
    pub const ALL: [Distance; 5] = [
        Distance::L1,
        Distance::L2,
        Distance::Sq,
        Distance::Linf,
        Distance::Cos,
    ];

    /// The paper's name.
    pub fn paper_name(self) -> &'static str {
        match self {
            Distance::L1 => "D1",
            Distance::L2 => "D√2",
            Distance::Sq => "D2",
            Distance::Linf => "D∞",
            Distance::Cos => "Dcos",
        }
    }

    /// The name on the command line.
    pub fn cli_name(self) -> &'static str {
        match self {
            Distance::L1 => "l1",
            Distance::L2 => "l2",
            Distance::Sq => "sq",
            Distance::Linf => "linf",
            Distance::Cos => "cos",
        }
    }

    /// `D(x_w, h_w)` for each row: `[batch, d] x [batch, d] -> [batch]`.
    pub fn per_word(self, teacher: Tensor<2>, student: Tensor<2>) -> Tensor<1> {
        let rows = match self {
            Distance::L1 => (teacher - student).abs().sum_dim(1),
            Distance::L2 => (teacher - student)
                .square()
                .sum_dim(1)
                .clamp_min(EPS)
                .sqrt(),
            Distance::Sq => (teacher - student).square().sum_dim(1),
            Distance::Linf => (teacher - student).abs().max_dim(1),
            Distance::Cos => {
                let dot = (teacher.clone() * student.clone()).sum_dim(1);
                let norms = teacher.square().sum_dim(1).sqrt() * student.square().sum_dim(1).sqrt();
                dot.neg() / norms.clamp_min(EPS)
            }
        };
        rows.squeeze_dim(1)
    }
}
