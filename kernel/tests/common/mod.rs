//! Shared test support: a tiny deterministic RNG, random models, a naive f64 reference
//! computed straight from the ONNX-layout weights, and the kernels available on this CPU.

#![allow(dead_code)]

use sublex_kernel::{pack, Dims, Isa, Kernel, OnnxWeights};

/// SplitMix64: deterministic, dependency-free.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Like a trained model: mostly within ±0.3, one value in ten within ±1.5 (to reach
    /// the saturated parts of the activations).
    pub fn weight(&mut self) -> f32 {
        let scale = if self.below(10) == 0 { 1.5 } else { 0.3 };
        ((self.unit() * 2.0 - 1.0) * scale) as f32
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

    /// Final hidden state of one direction, in f64, straight from the ONNX weights.
    fn lstm(&self, dir: usize, word: &[u32]) -> Vec<f64> {
        let (cd, h) = (self.dims.char_dim, self.dims.hidden);
        let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
        let w = &self.w[dir * 4 * h * cd..][..4 * h * cd];
        let r = &self.r[dir * 4 * h * h..][..4 * h * h];
        let b = &self.b[dir * 8 * h..][..8 * h];
        let (mut hs, mut cs) = (vec![0.0f64; h], vec![0.0f64; h]);
        let steps: Vec<u32> = if dir == 0 {
            word.to_vec()
        } else {
            word.iter().rev().copied().collect()
        };
        for id in steps {
            let e = &self.chars[id as usize * cd..][..cd];
            let g: Vec<f64> = (0..4 * h)
                .map(|o| {
                    let x: f64 = (0..cd).map(|d| e[d] as f64 * w[o * cd + d] as f64).sum();
                    let rh: f64 = (0..h).map(|k| hs[k] * r[o * h + k] as f64).sum();
                    x + rh + b[o] as f64 + b[4 * h + o] as f64
                })
                .collect();
            for j in 0..h {
                let (i, o, f, c) = (
                    sig(g[j]),
                    sig(g[h + j]),
                    sig(g[2 * h + j]),
                    g[3 * h + j].tanh(),
                );
                cs[j] = f * cs[j] + i * c;
                hs[j] = o * cs[j].tanh();
            }
        }
        hs
    }

    /// The model's output for one word (paper eq. 2/3), in f64.
    pub fn reference(&self, word: &[u32]) -> Vec<f64> {
        let (h, d) = (self.dims.hidden, self.dims.dim);
        let (f, b) = (self.lstm(0, word), self.lstm(1, word));
        let z: Vec<f64> = (0..d)
            .map(|j| {
                let pf: f64 = (0..h).map(|k| f[k] * self.pf[k * d + j] as f64).sum();
                let pb: f64 = (0..h).map(|k| b[k] * self.pb[k * d + j] as f64).sum();
                pf + pb + self.bias[j] as f64
            })
            .collect();
        let act: Vec<f64> = z.iter().map(|&z| z.max(0.0)).collect();
        match &self.hw {
            None => act,
            Some((wh, bh)) => (0..d)
                .map(|j| {
                    let pre: f64 =
                        (0..d).map(|k| act[k] * wh[k * d + j] as f64).sum::<f64>() + bh[j] as f64;
                    let t = 1.0 / (1.0 + (-pre).exp());
                    t * act[j] + (1.0 - t) * z[j]
                })
                .collect(),
        }
    }
}

/// Every ISA this CPU can run, Scalar first.
pub fn available_isas() -> Vec<Isa> {
    let mut isas = vec![Isa::Scalar];
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        isas.push(Isa::Avx2Fma);
    }
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx512f")
        && std::is_x86_feature_detected!("avx2")
        && std::is_x86_feature_detected!("fma")
    {
        isas.push(Isa::Avx512);
    }
    #[cfg(target_arch = "aarch64")]
    isas.push(Isa::Neon);
    isas
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
