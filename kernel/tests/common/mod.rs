//! Shared test support: draws from the shared test generator, random models, their f64 reference
//! outputs, and the kernels available on this CPU.

#![allow(dead_code)]

use sublex_kernel::reference::Lcg;
use sublex_kernel::{pack, pack_f16, pack_int8, Dims, Isa, Kernel, OnnxWeights};

/// The shared test generator ([`Lcg`]) with the draws these tests need.
pub struct Rng(Lcg);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(Lcg(seed))
    }

    pub fn below(&mut self, n: usize) -> usize {
        self.0.below(n)
    }

    /// Like a trained model: mostly within ±0.3, one value in ten within ±1.5 (to reach
    /// the saturated parts of the activations).
    pub fn weight(&mut self) -> f32 {
        let scale = if self.below(10) == 0 { 1.5 } else { 0.3 };
        self.0.uniform(scale)
    }

    pub fn weights(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.weight()).collect()
    }

    pub fn ids(&mut self, n: usize, vocab: usize) -> Vec<u32> {
        (0..n).map(|_| self.below(vocab) as u32).collect()
    }
}

/// A model's weights in the ONNX layout.
pub struct Model {
    pub dims: Dims,
    pub chars: Vec<f32>,
    pub w: Vec<f32>,
    pub r: Vec<f32>,
    pub b: Vec<f32>,
    pub pf: Vec<f32>,
    pub pb: Vec<f32>,
    pub bias: Vec<f32>,
    pub hw: Option<(Vec<f32>, Vec<f32>)>,
}

impl Model {
    pub fn random(rng: &mut Rng, dims: Dims) -> Self {
        let (v, cd, h, d) = (dims.vocab, dims.char_dim, dims.hidden, dims.dim);
        Model {
            dims,
            chars: rng.weights(v * cd),
            w: rng.weights(2 * 4 * h * cd),
            r: rng.weights(2 * 4 * h * h),
            b: rng.weights(2 * 8 * h),
            pf: rng.weights(h * d),
            pb: rng.weights(h * d),
            bias: rng.weights(d),
            hw: dims.highway.then(|| (rng.weights(d * d), rng.weights(d))),
        }
    }

    pub fn onnx(&self) -> OnnxWeights<'_> {
        OnnxWeights {
            chars: &self.chars,
            w: &self.w,
            r: &self.r,
            b: &self.b,
            proj_forward: &self.pf,
            proj_backward: &self.pb,
            proj_bias: &self.bias,
            highway: self.hw.as_ref().map(|(w, b)| (&w[..], &b[..])),
        }
    }

    pub fn packed(&self) -> Vec<f32> {
        let mut out = vec![f32::NAN; self.dims.packed_len()];
        pack(&self.dims, &self.onnx(), &mut out).expect("pack");
        out
    }

    pub fn packed_int8(&self) -> Vec<f32> {
        let mut out = vec![f32::NAN; self.dims.packed_len_int8()];
        pack_int8(&self.dims, &self.onnx(), &mut out).expect("pack_int8");
        out
    }

    pub fn packed_f16(&self) -> Vec<f32> {
        let mut out = vec![f32::NAN; self.dims.packed_len_f16()];
        pack_f16(&self.dims, &self.onnx(), &mut out).expect("pack_f16");
        out
    }

    /// The model packed in every storage, named.
    pub fn storages(&self) -> [(&'static str, Vec<f32>); 3] {
        [
            ("f32", self.packed()),
            ("f16", self.packed_f16()),
            ("int8", self.packed_int8()),
        ]
    }

    /// The same model with every weight rounded to f16, as an f16 file stores it.
    pub fn rounded_to_f16(&self) -> Model {
        let round = |v: &[f32]| -> Vec<f32> {
            v.iter().map(|&x| half::f16::from_f32(x).to_f32()).collect()
        };
        Model {
            dims: self.dims,
            chars: round(&self.chars),
            w: round(&self.w),
            r: round(&self.r),
            b: round(&self.b),
            pf: round(&self.pf),
            pb: round(&self.pb),
            bias: round(&self.bias),
            hw: self.hw.as_ref().map(|(w, b)| (round(w), round(b))),
        }
    }

    /// The model's output for one word, from the f64 reference.
    pub fn reference(&self, word: &[u32]) -> Vec<f64> {
        sublex_kernel::reference::embed_word(&self.dims, &self.onnx(), word)
    }
}

/// Every ISA this CPU can run, Scalar first.
pub fn available_isas() -> Vec<Isa> {
    Isa::ALL
        .iter()
        .copied()
        .filter(|isa| isa.is_available())
        .collect()
}

/// A kernel for `isa`, which `available_isas` reported (so `new_unchecked` is sound even
/// without the `std` feature's runtime detection).
pub fn kernel<'a>(dims: Dims, packed: &'a [f32], isa: Isa) -> Kernel<'a> {
    assert!(available_isas().contains(&isa));
    // SAFETY: checked just above with runtime detection.
    unsafe { Kernel::new_unchecked(dims, packed, isa) }.expect("kernel")
}

/// Embeds `ids` ([batch, len]) and returns [batch, dim].
pub fn embed(k: &Kernel<'_>, ids: &[u32], batch: usize, len: usize) -> Vec<f32> {
    let dims = k.dims();
    let mut scratch = vec![f32::NAN; dims.scratch_len()];
    let mut out = vec![f32::NAN; batch * dims.dim];
    k.embed(ids, batch, len, &mut scratch, &mut out)
        .expect("embed");
    out
}

pub fn dims(vocab: usize, char_dim: usize, hidden: usize, dim: usize, highway: bool) -> Dims {
    Dims {
        vocab,
        char_dim,
        hidden,
        dim,
        highway,
    }
}
