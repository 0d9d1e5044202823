//! The fused op against burn's autodiff of the burn-ops LSTM ([`crate::lstm::Lstm`]): outputs
//! and the gradients of every input and weight, on random shapes (length 0 and 1, batch 1,
//! long words, mixed lengths), within 1e-5 of the reference's largest component.

use super::recurrence::Output;
use super::{char_final_states, dense_states, CharRows};
use crate::init::normal;
use crate::lstm::Lstm;
use burn::module::Param;
use burn::tensor::Gradients;
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;

/// Largest difference relative to the reference's largest component (at least 1e-3, so
/// an all-but-zero gradient is compared absolutely).
fn rel_diff(ours: Tensor<2>, reference: Tensor<2>) -> f32 {
    let a = ours.into_data().try_into_vec::<f32>().unwrap();
    let b = reference.into_data().try_into_vec::<f32>().unwrap();
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(1e-3f32, |m, v| m.max(v.abs()));
    a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
        / scale
}

/// A parameter's gradient (zero when the graph never used it, e.g. `R` for length 1).
fn grad2(p: &Param<Tensor<2>>, grads: &Gradients) -> Tensor<2> {
    match p.val().grad(grads) {
        Some(g) => Tensor::<2>::from_data(g.into_data(), &Device::flex()),
        None => Tensor::zeros(p.dims(), &Device::flex()),
    }
}

fn grad1(p: &Param<Tensor<1>>, grads: &Gradients) -> Tensor<2> {
    let g = p.val().grad(grads).expect("the bias is always used");
    let n = g.dims()[0];
    Tensor::<1>::from_data(g.into_data(), &Device::flex()).reshape([1, n])
}

/// Both directions' weights, shared by the fused op and the reference.
struct Weights {
    lstms: [Lstm; 2],
}

impl Weights {
    fn new(input: usize, hidden: usize, rng: &mut ChaCha8Rng, device: &Device) -> Weights {
        Weights {
            lstms: [
                Lstm::new(input, hidden, rng, device),
                Lstm::new(input, hidden, rng, device),
            ],
        }
    }

    fn recurrent(&self) -> [Tensor<2>; 2] {
        [0, 1].map(|d| self.lstms[d].w_recurrent.val())
    }

    /// Every weight's gradient under `ours` is within the tolerance of `reference`'s.
    fn assert_grads_close(&self, case: &str, ours: &Gradients, reference: &Gradients) {
        for (i, (a, b)) in self
            .grads(ours)
            .into_iter()
            .zip(self.grads(reference))
            .enumerate()
        {
            assert_close(&format!("{case}: weight {i}"), a, b);
        }
    }

    /// The gradients of every weight, in one order.
    fn grads(&self, grads: &Gradients) -> Vec<Tensor<2>> {
        self.lstms
            .iter()
            .flat_map(|l| {
                [
                    grad2(&l.w_input, grads),
                    grad2(&l.w_recurrent, grads),
                    grad1(&l.bias, grads),
                ]
            })
            .collect()
    }
}

fn random_tensor<const D: usize>(
    rng: &mut ChaCha8Rng,
    shape: [usize; D],
    device: &Device,
) -> Tensor<D> {
    let n = shape.iter().product();
    let values: Vec<f32> = (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect();
    Tensor::from_data(TensorData::new(values, shape), device)
}

fn assert_close(what: &str, ours: Tensor<2>, reference: Tensor<2>) {
    let diff = rel_diff(ours, reference);
    assert!(diff <= 1e-5, "{what}: relative difference {diff}");
}

/// Character mode: words of mixed lengths (longest first) against the reference run on each
/// word alone.
fn check_char_mode(seed: u64, lengths: &[usize], vocab: usize, dim: usize, hidden: usize) {
    let device = Device::flex().autodiff();
    let rng = &mut ChaCha8Rng::seed_from_u64(seed);
    let chars = normal(rng, [vocab, dim], &device);
    let weights = Weights::new(dim, hidden, rng, &device);
    let words: Vec<Vec<u32>> = lengths
        .iter()
        .map(|&len| (0..len).map(|_| rng.gen_range(0..vocab as u32)).collect())
        .collect();
    let mix = random_tensor(rng, [words.len(), 2 * hidden], &device);

    // Fused: full-vocabulary tables, global ids.
    let tables = [0, 1].map(|d| weights.lstms[d].input_gates(chars.val()));
    let rows = Arc::new(CharRows::new(words.iter().map(Vec::as_slice)));
    let fused = char_final_states(tables, weights.recurrent(), rows);
    let fused_grads = (fused.clone() * mix.clone()).sum().backward();

    // Reference: each word alone through burn ops (a word of length 0 has zero states).
    let reference: Vec<Tensor<2>> = words
        .iter()
        .map(|w| {
            if w.is_empty() {
                return Tensor::zeros([1, 2 * hidden], &device);
            }
            let ids: Vec<i64> = w.iter().map(|&i| i as i64).collect();
            let ids = Tensor::<1, Int>::from_data(TensorData::new(ids, [w.len()]), &device);
            let x = chars.val().select(0, ids).reshape([1, w.len(), dim]);
            Tensor::cat(
                vec![
                    weights.lstms[0].final_state(x.clone(), false),
                    weights.lstms[1].final_state(x, true),
                ],
                1,
            )
        })
        .collect();
    let reference = Tensor::cat(reference, 0);
    let reference_grads = (reference.clone() * mix).sum().backward();

    let case = format!("seed {seed}, lengths {lengths:?}, hidden {hidden}");
    assert_close(&format!("{case}: states"), fused, reference);
    assert_close(
        &format!("{case}: d chars"),
        grad2(&chars, &fused_grads),
        grad2(&chars, &reference_grads),
    );
    weights.assert_grads_close(&case, &fused_grads, &reference_grads);
}

/// Dense mode: equal-length sequences, every position's states or the final ones.
fn check_dense_mode(
    seed: u64,
    rows: usize,
    time: usize,
    input: usize,
    hidden: usize,
    output: Output,
) {
    let device = Device::flex().autodiff();
    let rng = &mut ChaCha8Rng::seed_from_u64(seed);
    let x = Param::from_tensor(random_tensor(rng, [rows, time, input], &device));
    let weights = Weights::new(input, hidden, rng, &device);
    let steps = if output == Output::States { time } else { 1 };
    let mix = random_tensor(rng, [rows, steps, 2 * hidden], &device);

    let gates = [0, 1].map(|d| {
        weights.lstms[d]
            .input_gates(x.val().reshape([rows * time, input]))
            .reshape([rows, time, 4 * hidden])
    });
    let fused = dense_states(gates, weights.recurrent(), output);
    let fused_grads = (fused.clone() * mix.clone()).sum().backward();

    let reference = match output {
        Output::States => Tensor::cat(
            vec![
                weights.lstms[0].states(x.val(), false),
                weights.lstms[1].states(x.val(), true),
            ],
            2,
        ),
        Output::Final => Tensor::cat(
            vec![
                weights.lstms[0].final_state(x.val(), false),
                weights.lstms[1].final_state(x.val(), true),
            ],
            1,
        )
        .reshape([rows, 1, 2 * hidden]),
    };
    let reference_grads = (reference.clone() * mix).sum().backward();

    let case = format!("seed {seed}, {rows}x{time}, hidden {hidden}, {output:?}");
    let flat = |t: Tensor<3>| t.reshape([rows * steps, 2 * hidden]);
    assert_close(&format!("{case}: states"), flat(fused), flat(reference));
    let dx = |g: &Gradients| {
        let g = x.val().grad(g).expect("gradient");
        Tensor::<3>::from_data(g.into_data(), &Device::flex()).reshape([rows * time, input])
    };
    assert_close(
        &format!("{case}: d x"),
        dx(&fused_grads),
        dx(&reference_grads),
    );
    weights.assert_grads_close(&case, &fused_grads, &reference_grads);
}

#[test]
fn char_mode_matches_burn_autodiff() {
    check_char_mode(1, &[1], 5, 4, 3); // one word of one character
    check_char_mode(2, &[7, 7, 7, 7], 9, 6, 5); // one length, as in reconstruction
    check_char_mode(3, &[40, 12, 5, 5, 3, 1, 1, 0], 11, 8, 7); // long, mixed, empty
    check_char_mode(4, &[2, 0, 0], 3, 1, 1); // width 1
    check_char_mode(5, &[16, 9, 8, 8, 8, 2], 30, 17, 19);
}

#[test]
fn dense_mode_matches_burn_autodiff() {
    check_dense_mode(6, 1, 1, 3, 2, Output::States);
    check_dense_mode(7, 1, 9, 5, 4, Output::States);
    check_dense_mode(8, 4, 6, 7, 5, Output::States);
    check_dense_mode(9, 3, 25, 6, 8, Output::Final);
    check_dense_mode(10, 1, 1, 2, 3, Output::Final);
}

/// A word's states are the same alone and among others of other lengths (within 1e-6, the
/// rule of the model-level tests: a one-row sgemm may sum in another order).
#[test]
fn char_mode_rows_do_not_depend_on_the_batch() {
    let device = Device::flex();
    let rng = &mut ChaCha8Rng::seed_from_u64(11);
    let (vocab, hidden) = (12, 10);
    let tables: [Tensor<2>; 2] = [0, 1].map(|_| random_tensor(rng, [vocab, 4 * hidden], &device));
    let recurrent: [Tensor<2>; 2] =
        [0, 1].map(|_| random_tensor(rng, [hidden, 4 * hidden], &device));
    let words: Vec<Vec<u32>> = [13, 9, 9, 4, 1, 0]
        .iter()
        .map(|&len| (0..len).map(|_| rng.gen_range(0..vocab as u32)).collect())
        .collect();
    let run = |ws: &[Vec<u32>]| {
        let rows = Arc::new(CharRows::new(ws.iter().map(Vec::as_slice)));
        char_final_states(tables.clone(), recurrent.clone(), rows)
            .into_data()
            .try_into_vec::<f32>()
            .unwrap()
    };
    let together = run(&words);
    for (i, word) in words.iter().enumerate() {
        let alone = run(std::slice::from_ref(word));
        let diff = alone
            .iter()
            .zip(&together[i * 2 * hidden..(i + 1) * 2 * hidden])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(diff <= 1e-6, "word {i}: {diff}");
    }
}
