//! Hand-written inference kernel for the sublex character BiLSTM (Stratos 2017, eq. 2/3).
//!
//! For a word `c_1..c_T` with character embeddings `E`:
//! a forward LSTM over `c_1..c_T` gives `f`, a backward LSTM over `c_T..c_1` gives `b`
//! (hidden size `H`, zero initial state, ONNX gate order `i, o, f, c`), then
//! `z = f·Pf + b·Pb + bias`, `h = max(0, z)`, and with the highway layer
//! `t = sigmoid(h·Wh + bh)`, `out = t·h + (1 - t)·z` (else `out = h`).
//!
//! Usage: [`pack`] the ONNX weights once into the kernel's layout (or [`pack_int8`] for int8
//! storage, a quarter of the memory, or `pack_f16` with feature `f16` for an f16 file's
//! weights, the matrices at half), build a [`Kernel`] over the packed buffer, then call
//! [`Kernel::embed`] with a batch of equal-length words and a scratch buffer of
//! [`Dims::scratch_len`] floats.
//!
//! Design constraints, and why:
//! - `no_std` and no `alloc`, so it runs on microcontrollers: weights are borrowed, scratch
//!   is the caller's, and its size does not depend on the batch.
//! - No panics: every public function validates its slices and ids and returns
//!   [`KernelError`]; internal shapes are re-checked once per call site, never per element.
//! - Speed: words are processed in tiles whose recurrent products share each weight load
//!   (see `driver`), the input projection is precomputed per character by [`pack`], and
//!   each ISA has a register-tiled matmul with fused gate math.
//! - Reproducibility: for a given [`Isa`], a word's embedding is bit-identical whatever the
//!   batch it is in and its position there. Different ISAs agree to about 1e-6.
//!
//! Feature `std` (off by default) adds `Isa::detect` and `std::error::Error`; feature
//! `reference` the f64 oracle [`reference`] (tests and export checks).

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs, unsafe_op_in_unsafe_fn)]

#[cfg(all(test, not(feature = "std")))]
extern crate std;

#[cfg(all(target_arch = "arm", feature = "arm-dsp", target_abi = "eabihf"))]
mod cortex_m;
mod dims;
mod driver;
mod error;
#[cfg(feature = "f16")]
mod f16;
mod int8;
mod isa;
mod isa_ops;
pub mod layout;
mod math;
mod pack;
#[cfg(feature = "reference")]
pub mod reference;
mod scalar;
pub mod sentence;

#[cfg(target_arch = "aarch64")]
mod neon;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128;
#[cfg(target_arch = "x86_64")]
mod x86;
#[cfg(target_arch = "x86_64")]
mod x86_512;

use core::fmt;

pub use dims::Dims;
pub use error::KernelError;
pub use isa::Isa;
pub use math::{sigmoid, tanh};

/// The AVX2/FMA forms of [`tanh`] and [`sigmoid`] on eight lanes, for other crates' fused
/// loops (the trainer's LSTM gates); callers must check the CPU has AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
pub mod avx2 {
    pub use crate::x86::{sigmoid8, tanh8};
}
#[cfg(feature = "f16")]
pub use f16::pack_f16;
pub use int8::pack_int8;
pub use pack::{pack, OnnxWeights};

use dims::Layout;
use pack::Packed;

/// A packed model bound to an instruction set, ready to embed words.
///
/// Cheap to copy: it only borrows the packed weights.
#[derive(Clone, Copy)]
pub struct Kernel<'a> {
    dims: Dims,
    layout: Layout,
    weights: Packed<'a>,
    isa: Isa,
}

impl<'a> Kernel<'a> {
    /// Binds `packed` (written by [`pack`], `pack_f16` or [`pack_int8`] for the same `dims`; its header
    /// says which) to `isa`.
    ///
    /// Fails with [`KernelError::IsaUnavailable`] unless [`Isa::is_available`] vouches for
    /// `isa`, which is what keeps a safe caller from running AVX2 code on a CPU without it.
    pub fn new(dims: Dims, packed: &'a [f32], isa: Isa) -> Result<Self, KernelError> {
        if !isa.is_available() {
            return Err(KernelError::IsaUnavailable(isa));
        }
        // SAFETY: availability was just checked.
        unsafe { Self::new_unchecked(dims, packed, isa) }
    }

    /// Like [`Kernel::new`] but trusts the caller about the CPU: for `no_std` builds that
    /// detect features their own way.
    ///
    /// # Safety
    /// The CPU that runs [`Kernel::embed`] on the result must support `isa`
    /// (AVX2, FMA and F16C for [`Isa::Avx2Fma`]; AVX-512F, AVX-512BW, AVX2 and FMA for
    /// [`Isa::Avx512`]).
    pub unsafe fn new_unchecked(
        dims: Dims,
        packed: &'a [f32],
        isa: Isa,
    ) -> Result<Self, KernelError> {
        let layout = dims.layout()?;
        let weights = Packed::split(&layout, packed)?;
        Ok(Kernel {
            dims,
            layout,
            weights,
            isa,
        })
    }

    /// The model shape.
    pub fn dims(&self) -> Dims {
        self.dims
    }

    /// The instruction set `embed` runs on.
    pub fn isa(&self) -> Isa {
        self.isa
    }

    /// Embeds `batch` words that all have `len` characters.
    ///
    /// `ids` is `[batch, len]` row-major, each id `< vocab`; `len` may be 0 (the result then
    /// depends on the biases only). Writes `[batch, dim]` into `out`. `scratch` needs at
    /// least [`Dims::scratch_len`] floats; its contents are ignored and clobbered. Nothing
    /// is allocated, and on error `out` is untouched.
    pub fn embed(
        &self,
        ids: &[u32],
        batch: usize,
        len: usize,
        scratch: &mut [f32],
        out: &mut [f32],
    ) -> Result<(), KernelError> {
        let l = &self.layout;
        let expect = |what, expected: Option<usize>, got: usize| match expected {
            Some(expected) if expected == got => Ok(()),
            Some(expected) => Err(KernelError::LengthMismatch {
                what,
                expected,
                got,
            }),
            None => Err(KernelError::InvalidDims("batch size overflows usize")),
        };
        expect("ids", batch.checked_mul(len), ids.len())?;
        expect("out", batch.checked_mul(l.d), out.len())?;
        if scratch.len() < l.scratch_len {
            return Err(KernelError::LengthMismatch {
                what: "scratch",
                expected: l.scratch_len,
                got: scratch.len(),
            });
        }
        if let Some((index, &id)) = ids
            .iter()
            .enumerate()
            .find(|&(_, &id)| id as usize >= l.vocab)
        {
            return Err(KernelError::IdOutOfRange {
                index,
                id,
                vocab: l.vocab,
            });
        }
        let w = &self.weights;
        match self.isa {
            Isa::Scalar => driver::embed(&scalar::Scalar, l, w, ids, len, scratch, out),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => {
                // SAFETY: `new` checked availability, or `new_unchecked`'s caller vouched.
                let ops = unsafe { x86::Avx2Fma::new_unchecked() };
                driver::embed(&ops, l, w, ids, len, scratch, out)
            }
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                // SAFETY: `new` checked availability, or `new_unchecked`'s caller vouched.
                let ops = unsafe { x86_512::Avx512::new_unchecked() };
                driver::embed(&ops, l, w, ids, len, scratch, out)
            }
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => {
                // SAFETY: `new` checked availability, or `new_unchecked`'s caller vouched.
                let ops = unsafe { neon::Neon::new_unchecked() };
                driver::embed(&ops, l, w, ids, len, scratch, out)
            }
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => driver::embed(&simd128::Simd128, l, w, ids, len, scratch, out),
        }
    }
}

impl fmt::Debug for Kernel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kernel")
            .field("dims", &self.dims)
            .field("isa", &self.isa)
            .finish_non_exhaustive()
    }
}
