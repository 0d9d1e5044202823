//! The paper's five reconstruction distances (section 3), and a contrastive loss beside them
//! (issue 15).

use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor, TensorData};
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
    /// InfoNCE: not a distance between two vectors but a loss over the batch. Each student
    /// vector must pick its own teacher vector out of the batch's by cosine over a
    /// temperature, the batch's other words serving as negatives.
    Contrastive,
}

/// The contrastive loss's default temperature, chosen on the held-out 5% of the GloVe
/// teacher's words (`scripts/objectives.sh`, docs/RESULTS.md): of 0.05, 0.1, 0.2, 0.5 and 1,
/// 0.2 retrieves a held-out word's own teacher vector best (top 1 and top 10) and has the
/// highest neighbour overlap.
pub const DEFAULT_TEMPERATURE: f32 = 0.2;

/// Keeps square roots and divisions finite when a difference or a vector is exactly zero
/// (ReLU outputs can be all zero).
const EPS: f32 = 1e-12;

impl Distance {
    /// The paper's five distances.
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
            Distance::Contrastive => "InfoNCE",
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
            Distance::Contrastive => "contrastive",
        }
    }

    /// `D(x_w, h_w)` for each row: `[batch, d] x [batch, d] -> [batch]`. `temperature` is the
    /// contrastive loss's; the distances ignore it.
    pub fn per_word(self, teacher: Tensor<2>, student: Tensor<2>, temperature: f32) -> Tensor<1> {
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
            Distance::Contrastive => return info_nce(teacher, student, temperature, None),
        };
        rows.squeeze_dim(1)
    }
}

/// Row `i`: `-log softmax_j(cos(s_i, t_j) / τ)` at `j = i`, over the batch's teacher rows
/// followed by the `negatives` rows when given (teacher rows of words outside the batch).
pub fn info_nce(
    teacher: Tensor<2>,
    student: Tensor<2>,
    temperature: f32,
    negatives: Option<Tensor<2>>,
) -> Tensor<1> {
    let unit = |x: Tensor<2>| x.clone() / x.square().sum_dim(1).sqrt().clamp_min(EPS);
    let [rows, _] = student.dims();
    let device = student.device();
    let candidates = match negatives {
        Some(negatives) => Tensor::cat(vec![teacher, negatives], 0),
        None => teacher,
    };
    let logits = unit(student).matmul(unit(candidates).transpose()) / temperature;
    let own: Vec<i64> = (0..rows as i64).collect();
    let own = Tensor::<2, Int>::from_data(TensorData::new(own, [rows, 1]), &device);
    log_softmax(logits, 1).gather(1, own).neg().squeeze_dim(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    fn tensor(rows: &[[f32; 2]], device: &Device) -> Tensor<2> {
        let values: Vec<f32> = rows.iter().flatten().copied().collect();
        Tensor::from_data(TensorData::new(values, [rows.len(), 2]), device)
    }

    /// The loss of a 2-word batch, by hand: student rows (1, 0) and (0, 2) against teacher
    /// rows (1, 1) and (0, 1) at τ = 0.5. Cosines: row 0 sees 1/√2 and 0, row 1 sees 1/√2
    /// and 1; row i's loss is -log(e^{c_ii/τ} / Σ_j e^{c_ij/τ}).
    #[test]
    fn info_nce_matches_a_hand_computed_value() {
        let device = Device::flex();
        let student = tensor(&[[1.0, 0.0], [0.0, 2.0]], &device);
        let teacher = tensor(&[[1.0, 1.0], [0.0, 1.0]], &device);
        let got = Distance::Contrastive
            .per_word(teacher, student, 0.5)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let c = std::f64::consts::FRAC_1_SQRT_2;
        let row = |own: f64, other: f64| {
            -((own / 0.5).exp() / ((own / 0.5).exp() + (other / 0.5).exp())).ln()
        };
        let want = [row(c, 0.0), row(1.0, c)];
        for (g, w) in got.iter().zip(want) {
            assert!((*g as f64 - w).abs() < 1e-6, "{got:?} vs {want:?}");
        }
    }

    /// The same batch with one more negative, (1, 0): each row's denominator gains
    /// e^{cos(s_i, (1, 0))/τ}, 1 for row 0 and 0 for row 1.
    #[test]
    fn info_nce_with_extra_negatives_matches_a_hand_computed_value() {
        let device = Device::flex();
        let student = tensor(&[[1.0, 0.0], [0.0, 2.0]], &device);
        let teacher = tensor(&[[1.0, 1.0], [0.0, 1.0]], &device);
        let negatives = tensor(&[[3.0, 0.0]], &device);
        let got = info_nce(teacher, student, 0.5, Some(negatives))
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let c = std::f64::consts::FRAC_1_SQRT_2;
        let e = |cos: f64| (cos / 0.5).exp();
        let want = [
            -(e(c) / (e(c) + e(0.0) + e(1.0))).ln(),
            -(e(1.0) / (e(c) + e(1.0) + e(0.0))).ln(),
        ];
        for (g, w) in got.iter().zip(want) {
            assert!((*g as f64 - w).abs() < 1e-6, "{got:?} vs {want:?}");
        }
    }

    /// burn's gradient of the summed loss with respect to the student equals central finite
    /// differences on a random 4 x 3 batch.
    #[test]
    fn info_nce_gradient_matches_finite_differences() {
        let device = Device::flex().autodiff();
        let mut rng = sublex_kernel::reference::Lcg(5);
        let student = rng.vec(12, 1.0);
        let teacher = rng.vec(12, 1.0);
        let loss = |s: &[f32]| -> f64 {
            let s = Tensor::<2>::from_data(TensorData::new(s.to_vec(), [4, 3]), &Device::flex());
            let t =
                Tensor::<2>::from_data(TensorData::new(teacher.clone(), [4, 3]), &Device::flex());
            Distance::Contrastive
                .per_word(t, s, 0.3)
                .sum()
                .into_scalar::<f32>() as f64
        };
        let s = Tensor::<2>::from_data(TensorData::new(student.clone(), [4, 3]), &device)
            .require_grad();
        let t = Tensor::<2>::from_data(TensorData::new(teacher.clone(), [4, 3]), &device);
        let grads = Distance::Contrastive
            .per_word(t, s.clone(), 0.3)
            .sum()
            .backward();
        let analytic = s
            .grad(&grads)
            .unwrap()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let h = 1e-2;
        for i in 0..12 {
            let (mut up, mut down) = (student.clone(), student.clone());
            up[i] += h;
            down[i] -= h;
            let numeric = (loss(&up) - loss(&down)) / (2.0 * h as f64);
            assert!(
                (numeric - analytic[i] as f64).abs() < 2e-3,
                "component {i}: numeric {numeric}, burn {}",
                analytic[i]
            );
        }
    }
}
