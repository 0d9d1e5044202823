//! The paper's five reconstruction distances (section 3), and a contrastive and a relational
//! loss beside them (issue 15).

use burn::tensor::activation::{log_softmax, softmax};
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

/// Row `i`: the cross-entropy `-Σ_{j≠i} p_ij log q_ij` between the teacher's neighbour
/// distribution `p_i = softmax_{j≠i}(cos(t_i, t_j) / τ)` and the student's `q_i`, the same
/// over the student's vectors, `j` running over the batch and then over `queue` (teacher and
/// student vectors of other words, the student's held fixed) when given. InfoNCE and the
/// distances place each student vector near its own teacher vector; this asks the student's
/// vectors to stand to one another as the teacher's do, which is what the similarity sets
/// score. A word is never its own neighbour (its logit is pushed far below the others, so
/// both `p_ii` and its gradient are 0).
pub fn relational(
    teacher: Tensor<2>,
    student: Tensor<2>,
    temperature: f32,
    queue: Option<(Tensor<2>, Tensor<2>)>,
) -> Tensor<1> {
    let [rows, _] = student.dims();
    let device = student.device();
    let (teacher_all, student_all) = match queue {
        Some((t, s)) => (
            Tensor::cat(vec![teacher.clone(), t], 0),
            Tensor::cat(vec![student.clone(), s], 0),
        ),
        None => (teacher.clone(), student.clone()),
    };
    let [columns, _] = student_all.dims();
    let mut diagonal = vec![0.0f32; rows * columns];
    diagonal
        .iter_mut()
        .step_by(columns + 1)
        .for_each(|d| *d = -1e4);
    let mask = Tensor::<2>::from_data(TensorData::new(diagonal, [rows, columns]), &device);
    let logits = |x: Tensor<2>, all: Tensor<2>| {
        unit(x).matmul(unit(all).transpose()) / temperature + mask.clone()
    };
    let p = softmax(logits(teacher, teacher_all), 1);
    (p * log_softmax(logits(student, student_all), 1))
        .sum_dim(1)
        .neg()
        .squeeze_dim(1)
}

/// Each row scaled to length 1 (a zero row stays zero).
fn unit(x: Tensor<2>) -> Tensor<2> {
    x.clone() / x.square().sum_dim(1).sqrt().clamp_min(EPS)
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
        gradient_matches_finite_differences(|t, s| Distance::Contrastive.per_word(t, s, 0.3));
    }

    /// Checks `loss`'s gradient (summed over rows) with respect to the student against central
    /// finite differences on a random 4 x 3 batch.
    fn gradient_matches_finite_differences(loss: impl Fn(Tensor<2>, Tensor<2>) -> Tensor<1>) {
        let device = Device::flex().autodiff();
        let mut rng = sublex_kernel::reference::Lcg(5);
        let student = rng.vec(12, 1.0);
        let teacher = rng.vec(12, 1.0);
        let matrix = |v: &[f32], device: &Device| {
            Tensor::<2>::from_data(TensorData::new(v.to_vec(), [4, 3]), device)
        };
        let value = |s: &[f32]| -> f64 {
            let flex = Device::flex();
            loss(matrix(&teacher, &flex), matrix(s, &flex))
                .sum()
                .into_scalar::<f32>() as f64
        };
        let s = matrix(&student, &device).require_grad();
        let grads = loss(matrix(&teacher, &device), s.clone()).sum().backward();
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
            let numeric = (value(&up) - value(&down)) / (2.0 * h as f64);
            assert!(
                (numeric - analytic[i] as f64).abs() < 2e-3,
                "component {i}: numeric {numeric}, burn {}",
                analytic[i]
            );
        }
    }

    /// Three words in 2-d at τ = 1: teacher rows (1, 0), (0, 1), (1, 1) and student rows
    /// (1, 0), (1, 0), (0, 1). Row i's loss is -Σ_{j≠i} p_ij log q_ij, each distribution a
    /// softmax over the two other words' cosines.
    #[test]
    fn relational_matches_a_hand_computed_value() {
        let device = Device::flex();
        let teacher = tensor(&[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], &device);
        let student = tensor(&[[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], &device);
        let got = relational(teacher, student, 1.0, None)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let c = std::f64::consts::FRAC_1_SQRT_2;
        // A softmax over two logits, as (first, second) probabilities.
        let pair = |a: f64, b: f64| (a.exp() / (a.exp() + b.exp()), b.exp() / (a.exp() + b.exp()));
        let ce = |p: (f64, f64), q: (f64, f64)| -(p.0 * q.0.ln() + p.1 * q.1.ln());
        // Teacher cosines: t0·t1 = 0, t0·t2 = c, t1·t2 = c. Student: s0·s1 = 1, s0·s2 = 0, s1·s2 = 0.
        let want = [
            ce(pair(0.0, c), pair(1.0, 0.0)),
            ce(pair(0.0, c), pair(1.0, 0.0)),
            ce(pair(c, c), pair(0.0, 0.0)),
        ];
        for (g, w) in got.iter().zip(want) {
            assert!((*g as f64 - w).abs() < 1e-6, "{got:?} vs {want:?}");
        }
    }

    /// The cross-entropy is least where the student's distributions are the teacher's: a
    /// student whose vectors are the teacher's, scaled (cosines ignore the scale), scores
    /// below one whose vectors are not.
    #[test]
    fn relational_is_least_when_the_student_copies_the_teacher() {
        let device = Device::flex();
        let rows = [[1.0, 0.2], [0.3, 1.0], [-1.0, 0.5]];
        let scaled: Vec<[f32; 2]> = rows.iter().map(|r| [r[0] * 3.0, r[1] * 3.0]).collect();
        let copy = relational(tensor(&rows, &device), tensor(&scaled, &device), 0.5, None);
        let other = relational(
            tensor(&rows, &device),
            tensor(&[[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], &device),
            0.5,
            None,
        );
        let (copy, other) = (
            copy.sum().into_scalar::<f32>(),
            other.sum().into_scalar::<f32>(),
        );
        assert!(copy < other, "{copy} vs {other}");
    }

    /// A queue adds columns: the batch's first two words of the hand-computed test above,
    /// with its third word in the queue instead, give that test's first two rows (the
    /// queue's student vector is fixed, but the values do not depend on that).
    #[test]
    fn relational_with_a_queue_is_the_batch_loss_over_more_neighbours() {
        let device = Device::flex();
        let teacher = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
        let student = [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]];
        let whole = relational(
            tensor(&teacher, &device),
            tensor(&student, &device),
            1.0,
            None,
        );
        let queue = Some((
            tensor(&teacher[2..], &device),
            tensor(&student[2..], &device),
        ));
        let split = relational(
            tensor(&teacher[..2], &device),
            tensor(&student[..2], &device),
            1.0,
            queue,
        );
        let (whole, split) = (
            whole.into_data().try_to_vec::<f32>().unwrap(),
            split.into_data().try_to_vec::<f32>().unwrap(),
        );
        assert_eq!(split.len(), 2);
        for i in 0..2 {
            assert!((whole[i] - split[i]).abs() < 1e-6, "{whole:?} vs {split:?}");
        }
    }

    /// With a queue, burn's gradient (through the batch's student vectors only) still equals
    /// central finite differences.
    #[test]
    fn relational_with_a_queue_gradient_matches_finite_differences() {
        gradient_matches_finite_differences(|t, s| {
            let device = s.device();
            let fixed = |v: Vec<f32>| Tensor::<2>::from_data(TensorData::new(v, [2, 3]), &device);
            let queue = (
                fixed(vec![0.3, -1.0, 0.5, 1.0, 0.2, -0.4]),
                fixed(vec![-0.2, 0.8, 0.1, 0.6, 0.6, 0.3]),
            );
            relational(t, s, 0.3, Some(queue))
        });
    }

    /// burn's gradient of the summed relational loss with respect to the student equals
    /// central finite differences on a random 4 x 3 batch.
    #[test]
    fn relational_gradient_matches_finite_differences() {
        gradient_matches_finite_differences(|t, s| relational(t, s, 0.3, None));
    }
}
