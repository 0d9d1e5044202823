//! What an ISA must provide ([`IsaOps`]) and the validated argument bundles it receives.
//!
//! The driver builds a [`Gemm`] or [`Cells`] from slices; their constructors check every
//! bound once. The ISA paths then turn them into raw pointers and run unchecked inner loops:
//! the checks live in one place, and a shape bug becomes [`KernelError::Internal`] instead
//! of an out-of-bounds access.

use crate::dims::{LANES, MR, PANEL};
use crate::KernelError;

/// The four operations a code path implements. Each row's arithmetic must not depend on how
/// many rows are processed together, nor on which row it is: that is what makes a word's
/// embedding bit-identical at any batch position.
pub(crate) trait IsaOps {
    /// `out[r][j] = init[r][j] + Σ_k a[r][k] · b[k][j]`, accumulated in order `k = 0, 1, ...`
    /// (`b` in panel-major layout, see [`Gemm`]).
    fn matmul(&self, m: Gemm<'_>);
    /// One LSTM step for every row: gates `i|o|f|c` -> new cell and hidden state.
    fn gates(&self, c: Cells<'_>);
    /// `act = max(0, z)`, over the common length rounded down to [`LANES`].
    fn relu(&self, z: &[f32], act: &mut [f32]);
    /// `t := z + sigmoid(t) · (act - z)` (the highway mix `t·h + (1-t)·z`), same length rule.
    fn highway(&self, t: &mut [f32], act: &[f32], z: &[f32]);
    /// [`IsaOps::matmul`] over f16 weights, each widened to f32 as it is loaded (exactly, so
    /// the sums are those of the f32 product over the same values). The portable loop, which
    /// converts in software, unless the ISA converts in hardware (F16C, AVX-512).
    #[cfg(feature = "f16")]
    fn matmul_f16(&self, mut m: Gemm<'_, crate::f16::F16>) {
        crate::scalar::matmul(&m.raw());
    }
    /// The int8 product (see [`QGemm`]); the portable loop unless an ISA has a faster one.
    fn matmul_i8(&self, mut m: QGemm<'_>) {
        crate::scalar::matmul_i8(&m.raw());
    }
    /// `out[j] = q[j] · scale` over the common length (an int8 table block back to f32).
    fn dequantize(&self, q: &[i8], scale: f32, out: &mut [f32]) {
        crate::scalar::dequantize(q, scale, out);
    }
    /// `q[j] = round_even(clamp(x[j] · to_int, ±amax))` over the common length; the result
    /// must equal the portable form's (the rounding is exact, so every ISA can match it).
    fn quantize(&self, x: &[f32], to_int: f32, amax: f32, q: &mut [i16]) {
        crate::scalar::quantize(x, to_int, amax, q);
    }
}

/// The operands of `out[r][j] = init[r][j] + Σ_k a[r][k] · b[k][j]` for `r < rows`,
/// `j < n`, `k < k`, unchecked; [`Gemm::new`] validates them. Initialising the
/// accumulators from `init` is how the LSTM's input-table gather and the biases are fused
/// into the product.
///
/// `b` is stored panel-major: column panels of [`PANEL`] columns, each `kb` rows deep and
/// contiguous, so `b[k][j]` is at `(j / PANEL) * kb * PANEL + k * PANEL + j % PANEL`. A
/// register tile then streams whole cache lines sequentially instead of striding down a
/// row-major matrix, which is what keeps the L2 -> L1 traffic prefetchable.
pub(crate) struct MatmulArgs<'a, W = f32> {
    /// Rows (words) in the product, `1..=MR`.
    pub rows: usize,
    /// Left operand, row `r` at `a[r * lda..]`.
    pub a: &'a [f32],
    pub lda: usize,
    /// Inner dimension; 0 makes the product a copy of `init`.
    pub k: usize,
    /// Right operand, panel-major with `kb >= k` rows per panel.
    pub b: &'a [W],
    pub kb: usize,
    /// Output columns, a multiple of [`LANES`].
    pub n: usize,
    /// Per-row initial values (at least `n` each for the first `rows`).
    pub init: [&'a [f32]; MR],
    /// Output, row `r` at `out[r * ldo..]`.
    pub out: &'a mut [f32],
    pub ldo: usize,
}

/// A weight of a float product: f32, or f16 (`crate::f16::F16`).
pub(crate) trait Weight: Copy {
    /// Whether the weight is f16 bits, which the SIMD paths widen as they load them.
    #[cfg(feature = "f16")]
    const F16: bool;
    /// The weight's value (exact).
    fn to_f32(self) -> f32;
    /// The ISA's product over weights of this kind.
    fn matmul<B: IsaOps>(ops: &B, m: Gemm<'_, Self>);
}

impl Weight for f32 {
    #[cfg(feature = "f16")]
    const F16: bool = false;
    fn to_f32(self) -> f32 {
        self
    }
    fn matmul<B: IsaOps>(ops: &B, m: Gemm<'_, Self>) {
        ops.matmul(m);
    }
}

/// A validated [`MatmulArgs`] (see [`IsaOps::matmul`]).
pub(crate) struct Gemm<'a, W = f32>(MatmulArgs<'a, W>);

/// Raw form of a [`Gemm`]. Invariant (established by [`Gemm::new`]): for `r < rows`,
/// `kk < k`, `j < n`, the reads `a[r*lda + kk]`, `b[(j/PANEL)*kb*PANEL + kk*PANEL + j%PANEL]`
/// (even for `j` up to `n` rounded up to a whole panel), `init[r][j]` and the write
/// `out[r*ldo + j]` are in bounds; `1 <= rows <= MR`; `n` is a multiple of [`LANES`].
#[derive(Clone, Copy)]
pub(crate) struct RawGemm<W = f32> {
    pub rows: usize,
    pub k: usize,
    pub n: usize,
    pub a: *const f32,
    pub lda: usize,
    pub b: *const W,
    pub kb: usize,
    pub init: [*const f32; MR],
    pub out: *mut f32,
    pub ldo: usize,
}

/// The bounds both products share: `1..=MR` rows; `n` a positive multiple of [`LANES`] within
/// `ldo`, and `rows` rows of it within `out`; unless `k` is 0, `k` values of each row of `a`
/// within `lda` and `a`, and `b`'s panels (`kb >= k` rows of [`PANEL`] values each, for `n`
/// columns rounded up to a whole panel) within `b`. Lengths are in elements of each slice.
#[allow(clippy::too_many_arguments)]
fn shapes_fit(
    rows: usize,
    n: usize,
    ldo: usize,
    out_len: usize,
    k: usize,
    lda: usize,
    a_len: usize,
    kb: usize,
    b_len: usize,
) -> bool {
    (1..=MR).contains(&rows)
        && n > 0
        && n.is_multiple_of(LANES)
        && n <= ldo
        && span(rows, ldo, n).is_some_and(|s| s <= out_len)
        && (k == 0
            || (k <= lda
                && k <= kb
                && span(rows, lda, k).is_some_and(|s| s <= a_len)
                && n.div_ceil(PANEL)
                    .checked_mul(kb)
                    .and_then(|x| x.checked_mul(PANEL))
                    .is_some_and(|s| s <= b_len)))
}

/// Smallest length holding `rows` rows of stride `ld` whose last row has `width` elements.
fn span(rows: usize, ld: usize, width: usize) -> Option<usize> {
    rows.checked_sub(1)?.checked_mul(ld)?.checked_add(width)
}

impl<'a, W: Weight> Gemm<'a, W> {
    pub fn new(m: MatmulArgs<'a, W>) -> Result<Self, KernelError> {
        let ok = shapes_fit(
            m.rows,
            m.n,
            m.ldo,
            m.out.len(),
            m.k,
            m.lda,
            m.a.len(),
            m.kb,
            m.b.len(),
        ) && m.init.iter().take(m.rows).all(|row| row.len() >= m.n);
        if !ok {
            debug_assert!(false, "gemm shape check failed");
            return Err(KernelError::Internal);
        }
        Ok(Gemm(m))
    }

    /// Pointers for the unchecked inner loops; valid while `self` is borrowed.
    pub fn raw(&mut self) -> RawGemm<W> {
        let m = &mut self.0;
        RawGemm {
            rows: m.rows,
            k: m.k,
            n: m.n,
            a: m.a.as_ptr(),
            lda: m.lda,
            b: m.b.as_ptr(),
            kb: m.kb,
            init: m.init.map(<[f32]>::as_ptr),
            out: m.out.as_mut_ptr(),
            ldo: m.ldo,
        }
    }
}

/// The operands of the int8 product `out[r][j] += scale[j] · ascale[r] · Σ_k a[r][k] · b[k][j]`
/// for `r < rows`, `j < n`, `k < k`: int16 activations (quantised rows, `ascale` each) times
/// int8 weights (`scale` per output column), summed exactly in int32, then one f32 epilogue.
/// The sum is exact integer arithmetic, so it cannot depend on the order or the tile shape.
///
/// `b` is quad-panel (`dims::quad_index`): panels of [`PANEL`] columns, `kb` rows deep, each
/// group of four rows one 64-byte line with a column's four weights adjacent, the layout
/// that pairwise int16 multiply-adds (`pmaddwd`, `smlad`, `i32x4.dot_i16x8`) consume.
/// `k` and `kb` are multiples of 4. The quantiser keeps `k · 128 · max|a| < 2^31`, so no
/// sum can overflow whatever int8 values `b` holds.
pub(crate) struct QMatmulArgs<'a> {
    /// Rows (words) in the product, `1..=MR`.
    pub rows: usize,
    /// Left operand, row `r` at `a[r * lda..]`.
    pub a: &'a [i16],
    pub lda: usize,
    /// Inner dimension, a multiple of 4, at least 4.
    pub k: usize,
    /// Right operand, quad-panel with `kb >= k` rows per panel.
    pub b: &'a [i8],
    pub kb: usize,
    /// Per-column scales (at least `n`).
    pub scale: &'a [f32],
    /// Per-row scales of `a`.
    pub ascale: [f32; MR],
    /// Output columns, a multiple of [`LANES`].
    pub n: usize,
    /// Accumulated into; row `r` at `out[r * ldo..]`.
    pub out: &'a mut [f32],
    pub ldo: usize,
}

/// A validated [`QMatmulArgs`] (see [`IsaOps::matmul_i8`]).
pub(crate) struct QGemm<'a>(QMatmulArgs<'a>);

/// Raw form of a [`QGemm`]. Invariant (established by [`QGemm::new`]): for `r < rows`,
/// `kk < k`, `j < n` (and `j` up to `n` rounded up to a whole panel for `b`), the reads
/// `a[r*lda + kk]`, `b[quad_index(kb, kk, j)]`, `scale[j]` and the read-write
/// `out[r*ldo + j]` are in bounds; `1 <= rows <= MR`; `n` is a multiple of [`LANES`]; `k`
/// and `kb` are multiples of 4.
#[derive(Clone, Copy)]
pub(crate) struct RawQGemm {
    pub rows: usize,
    pub k: usize,
    pub n: usize,
    pub a: *const i16,
    pub lda: usize,
    pub b: *const i8,
    pub kb: usize,
    pub scale: *const f32,
    pub ascale: [f32; MR],
    pub out: *mut f32,
    pub ldo: usize,
}

impl<'a> QGemm<'a> {
    pub fn new(m: QMatmulArgs<'a>) -> Result<Self, KernelError> {
        let ok = m.k > 0
            && m.k.is_multiple_of(4)
            && m.kb.is_multiple_of(4)
            && shapes_fit(
                m.rows,
                m.n,
                m.ldo,
                m.out.len(),
                m.k,
                m.lda,
                m.a.len(),
                m.kb,
                m.b.len(),
            )
            && m.scale.len() >= m.n;
        if !ok {
            debug_assert!(false, "int8 gemm shape check failed");
            return Err(KernelError::Internal);
        }
        Ok(QGemm(m))
    }

    /// Pointers for the unchecked inner loops; valid while `self` is borrowed.
    pub fn raw(&mut self) -> RawQGemm {
        let m = &mut self.0;
        RawQGemm {
            rows: m.rows,
            k: m.k,
            n: m.n,
            a: m.a.as_ptr(),
            lda: m.lda,
            b: m.b.as_ptr(),
            kb: m.kb,
            scale: m.scale.as_ptr(),
            ascale: m.ascale,
            out: m.out.as_mut_ptr(),
            ldo: m.ldo,
        }
    }
}

/// Splits the `n / LANES` column units of a product into register tiles of at most `cmax`
/// units. Tiles start on panel boundaries and have nearly equal sizes (e.g. 26 panels of 2
/// units with `cmax = 12` give 12, 10, 10, 10, 10 units rather than 12, 12, 12, 12, 4), so no
/// remainder tile is left with too few accumulators to hide FMA latency. Yields
/// `(first_panel, units_in_tile)`; only the last tile can have an odd unit count (when `n`
/// is not a whole number of panels).
#[cfg(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    all(target_arch = "wasm32", target_feature = "simd128")
))]
pub(crate) fn col_blocks(n: usize, cmax: usize) -> impl Iterator<Item = (usize, usize)> {
    const UNITS: usize = PANEL / LANES;
    let units = n / LANES;
    let panels = units.div_ceil(UNITS);
    let pmax = (cmax / UNITS).max(1);
    let blocks = panels.div_ceil(pmax);
    let base = panels.checked_div(blocks).unwrap_or(0);
    let extra = panels.checked_rem(blocks).unwrap_or(0);
    (0..blocks).map(move |b| {
        let p0 = b * base + b.min(extra);
        let p_len = base + usize::from(b < extra);
        let u0 = p0 * UNITS;
        (p0, (p_len * UNITS).min(units - u0))
    })
}

/// A validated LSTM step for `rows` words: reads gate pre-activations (and may overwrite
/// them), updates the cell state in place and writes the new hidden state.
pub(crate) struct Cells<'a> {
    rows: usize,
    hp: usize,
    gates: &'a mut [f32],
    cell: &'a mut [f32],
    h: &'a mut [f32],
    ldh: usize,
}

/// Raw form of [`Cells`]. Invariant: for `r < rows`, `j < hp`, `g < 4`: `gates[r*4hp + g*hp
/// + j]`, `cell[r*hp + j]` and `h[r*ldh + j]` are in bounds; `hp` is a multiple of [`LANES`].
#[cfg(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    all(target_arch = "wasm32", target_feature = "simd128")
))]
#[derive(Clone, Copy)]
pub(crate) struct RawCells {
    pub rows: usize,
    pub hp: usize,
    pub gates: *mut f32,
    pub cell: *mut f32,
    pub h: *mut f32,
    pub ldh: usize,
}

impl<'a> Cells<'a> {
    pub fn new(
        rows: usize,
        hp: usize,
        gates: &'a mut [f32],
        cell: &'a mut [f32],
        h: &'a mut [f32],
        ldh: usize,
    ) -> Result<Self, KernelError> {
        let ok = (1..=MR).contains(&rows)
            && hp > 0
            && hp.is_multiple_of(LANES)
            && hp <= ldh
            && hp
                .checked_mul(4)
                .and_then(|g4| g4.checked_mul(rows))
                .is_some_and(|s| s <= gates.len())
            && hp.checked_mul(rows).is_some_and(|s| s <= cell.len())
            && span(rows, ldh, hp).is_some_and(|s| s <= h.len());
        if !ok {
            debug_assert!(false, "cells shape check failed");
            return Err(KernelError::Internal);
        }
        Ok(Cells {
            rows,
            hp,
            gates,
            cell,
            h,
            ldh,
        })
    }

    /// Hidden units per row (padded).
    pub fn hp(&self) -> usize {
        self.hp
    }

    /// Pointers for the unchecked SIMD loops; valid while `self` is borrowed.
    #[cfg(any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        all(target_arch = "wasm32", target_feature = "simd128")
    ))]
    pub fn raw(&mut self) -> RawCells {
        RawCells {
            rows: self.rows,
            hp: self.hp,
            gates: self.gates.as_mut_ptr(),
            cell: self.cell.as_mut_ptr(),
            h: self.h.as_mut_ptr(),
            ldh: self.ldh,
        }
    }

    /// Safe per-row views `(gates, cell, h)`, for the portable path.
    pub fn rows_mut(&mut self) -> impl Iterator<Item = (&[f32], &mut [f32], &mut [f32])> {
        let (hp, ldh) = (self.hp, self.ldh);
        self.gates
            .chunks_exact(4 * hp)
            .zip(self.cell.chunks_exact_mut(hp))
            .zip(self.h.chunks_mut(ldh))
            .take(self.rows)
            .map(move |((g, c), h)| (g, c, h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    #[test]
    fn col_blocks_cover_evenly() {
        let b: Vec<_> = col_blocks(416, 12).collect();
        assert_eq!(b, [(0, 12), (6, 10), (11, 10), (16, 10), (21, 10)]);
        let b: Vec<_> = col_blocks(104, 4).collect();
        assert_eq!(b, [(0, 4), (2, 4), (4, 4), (6, 1)]);
        assert_eq!(col_blocks(0, 4).count(), 0);
        for units in 1..40 {
            for cmax in 1..13 {
                let mut next = 0;
                for (p0, len) in col_blocks(units * LANES, cmax) {
                    assert_eq!(p0 * 2, next);
                    assert!(len >= 1 && len <= cmax.max(2));
                    next += len;
                }
                assert_eq!(next, units);
            }
        }
    }

    #[test]
    fn gemm_rejects_short_slices() {
        let a = [0.0f32; 16];
        let b = [0.0f32; 128];
        let init: [&[f32]; MR] = [&b[..8]; MR];
        let mut out = [0.0f32; 16];
        fn args<'a>(
            a: &'a [f32],
            init: [&'a [f32]; MR],
            rows: usize,
            k: usize,
            b: &'a [f32],
            out: &'a mut [f32],
        ) -> MatmulArgs<'a> {
            MatmulArgs {
                rows,
                a,
                lda: 8,
                k,
                b,
                kb: 8,
                n: 8,
                init,
                out,
                ldo: 8,
            }
        }
        assert!(Gemm::new(args(&a, init, 2, 8, &b, &mut out)).is_ok());
        assert!(Gemm::new(args(&a, init, 2, 0, &[], &mut out)).is_ok());
        // Debug builds assert instead, to catch the bug at its source.
        if !cfg!(debug_assertions) {
            assert!(Gemm::new(args(&a, init, 2, 8, &b[..127], &mut out)).is_err());
            assert!(Gemm::new(args(&a, init, 3, 8, &b, &mut out)).is_err());
            assert!(Gemm::new(args(&a, init, 2, 9, &b, &mut out)).is_err());
            assert!(Gemm::new(args(&a, init, 2, 8, &b, &mut out[..15])).is_err());
        }
    }
}
