//! Parameter initialisation from our own seeded generator. burn's generator is global and
//! shared by threads, so two models built at once (tests, or a tool embedding two models)
//! would not get reproducible weights from it.

use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};
use rand::Rng;

pub(crate) fn param<const D: usize>(
    values: Vec<f32>,
    shape: [usize; D],
    device: &Device,
) -> Param<Tensor<D>> {
    Param::from_tensor(Tensor::from_data(TensorData::new(values, shape), device))
}

/// Uniform in `[-bound, bound]`.
pub fn uniform<const D: usize>(
    rng: &mut impl Rng,
    shape: [usize; D],
    bound: f32,
    device: &Device,
) -> Param<Tensor<D>> {
    let n = shape.iter().product();
    param(
        (0..n).map(|_| rng.gen_range(-bound..=bound)).collect(),
        shape,
        device,
    )
}

/// Standard normal (Box-Muller).
pub fn normal<const D: usize>(
    rng: &mut impl Rng,
    shape: [usize; D],
    device: &Device,
) -> Param<Tensor<D>> {
    let n = shape.iter().product();
    let values = (0..n)
        .map(|_| {
            let u1: f32 = 1.0 - rng.gen::<f32>(); // (0, 1]: ln is finite
            let u2: f32 = rng.gen();
            (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
        })
        .collect();
    param(values, shape, device)
}

/// Inverted dropout mask: each value is 0 with probability `p`, else `1 / (1 - p)`.
pub fn dropout_mask<const D: usize>(
    rng: &mut impl Rng,
    shape: [usize; D],
    p: f64,
    device: &Device,
) -> Tensor<D> {
    let n = shape.iter().product();
    let keep = 1.0 / (1.0 - p) as f32;
    let values = (0..n)
        .map(|_| if rng.gen_bool(p) { 0.0 } else { keep })
        .collect();
    Tensor::from_data(TensorData::new(values, shape), device)
}
