//! The portable path: plain Rust over fixed-size arrays, which LLVM keeps in registers and
//! vectorises for the target's baseline (SSE2 on x86_64, NEON on aarch64, the FPU on
//! Cortex-M). No FMA, so its results differ from the SIMD paths in the last bits only.

use crate::dims::PANEL;
use crate::isa_ops::{Cells, Gemm, IsaOps, RawGemm, RawQGemm, Weight};
use crate::math::sigmoid;
#[cfg(not(all(target_arch = "arm", feature = "arm-dsp", target_abi = "eabihf")))]
use crate::math::tanh;

/// Rows of one register tile: 4 rows x 8 columns is 8 SSE accumulators.
const SR: usize = 4;
/// Columns of one register tile (the matmul's `n` is always a multiple of this).
pub(crate) const SW: usize = 8;

/// The portable code path; always available.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scalar;

impl IsaOps for Scalar {
    fn matmul(&self, mut m: Gemm<'_>) {
        matmul(&m.raw());
    }

    fn gates(&self, c: Cells<'_>) {
        // The Cortex-M4F has its own forms of this and the int8 steps below, in assembly
        // (see `cortex_m`).
        #[cfg(all(target_arch = "arm", feature = "arm-dsp", target_abi = "eabihf"))]
        crate::cortex_m::gates(c);
        #[cfg(not(all(target_arch = "arm", feature = "arm-dsp", target_abi = "eabihf")))]
        gates(c);
    }

    #[cfg(all(target_arch = "arm", feature = "arm-dsp", target_abi = "eabihf"))]
    fn matmul_i8(&self, mut m: crate::isa_ops::QGemm<'_>) {
        crate::cortex_m::matmul_i8(&m.raw());
    }

    #[cfg(all(target_arch = "arm", feature = "arm-dsp", target_abi = "eabihf"))]
    fn dequantize(&self, q: &[i8], scale: f32, out: &mut [f32]) {
        crate::cortex_m::dequantize(q, scale, out);
    }

    #[cfg(all(target_arch = "arm", feature = "arm-dsp", target_abi = "eabihf"))]
    fn quantize(&self, x: &[f32], to_int: f32, amax: f32, q: &mut [i16]) {
        crate::cortex_m::quantize(x, to_int, amax, q);
    }

    fn relu(&self, z: &[f32], act: &mut [f32]) {
        for (a, &z) in act.iter_mut().zip(z) {
            *a = if z > 0.0 { z } else { 0.0 };
        }
    }

    fn highway(&self, t: &mut [f32], act: &[f32], z: &[f32]) {
        for ((t, &h), &z) in t.iter_mut().zip(act).zip(z) {
            *t = z + sigmoid(*t) * (h - z);
        }
    }
}

/// The portable LSTM step (see `IsaOps::gates`).
#[cfg(not(all(target_arch = "arm", feature = "arm-dsp", target_abi = "eabihf")))]
fn gates(mut c: Cells<'_>) {
    let hp = c.hp();
    for (g, cell, h) in c.rows_mut() {
        let mut gate = g.chunks_exact(hp);
        let (Some(gi), Some(go), Some(gf), Some(gc)) =
            (gate.next(), gate.next(), gate.next(), gate.next())
        else {
            return;
        };
        let lanes = gi.iter().zip(go).zip(gf).zip(gc).zip(cell.iter_mut());
        for ((((&i, &o), &f), &g), (c, h)) in lanes.zip(h.iter_mut()).map(|((a, c), h)| (a, (c, h)))
        {
            let new_c = sigmoid(f) * *c + sigmoid(i) * tanh(g);
            *c = new_c;
            *h = sigmoid(o) * tanh(new_c);
        }
    }
}

/// The portable float product (see `IsaOps::matmul`), over f32 or f16 weights.
pub(crate) fn matmul<W: Weight>(p: &RawGemm<W>) {
    let mut r0 = 0;
    while r0 < p.rows {
        let rows = (p.rows - r0).min(SR);
        // SAFETY: `r0 + rows <= p.rows` and each tile stays within `p.n` columns, which is
        // exactly the range `Gemm::new` validated.
        unsafe {
            match rows {
                1 => row_block::<1, W>(p, r0),
                2 => row_block::<2, W>(p, r0),
                3 => row_block::<3, W>(p, r0),
                _ => row_block::<SR, W>(p, r0),
            }
        }
        r0 += rows;
    }
}

/// `SW` consecutive weights from `b`, as f32 (f16 widened exactly, in software).
///
/// # Safety
/// `b .. b + SW` is readable.
#[inline(always)]
unsafe fn load_row<W: Weight>(b: *const W) -> [f32; SW] {
    // SAFETY: the caller's range.
    unsafe { b.cast::<[W; SW]>().read_unaligned() }.map(W::to_f32)
}

/// All column tiles of rows `r0 .. r0 + R`.
///
/// # Safety
/// `r0 + R <= p.rows`, with `p` satisfying the [`RawGemm`] invariant.
#[inline(always)]
unsafe fn row_block<const R: usize, W: Weight>(p: &RawGemm<W>, r0: usize) {
    let mut j0 = 0;
    while j0 + SW <= p.n {
        // SAFETY: forwarded from the caller; `j0 + SW <= p.n`.
        unsafe { tile::<R, W>(p, r0, j0) };
        j0 += SW;
    }
}

/// One `R x SW` register tile: accumulators start from `init` and take every `k` in order.
///
/// # Safety
/// `r0 + R <= p.rows`, `j0 + SW <= p.n`, `p` satisfying the [`RawGemm`] invariant.
#[inline(always)]
unsafe fn tile<const R: usize, W: Weight>(p: &RawGemm<W>, r0: usize, j0: usize) {
    let mut acc = [[0.0f32; SW]; R];
    for (r, acc) in acc.iter_mut().enumerate() {
        // SAFETY: `r0 + r < rows <= MR`, and init rows hold at least `n >= j0 + SW` elements.
        *acc = unsafe {
            let row = *p.init.get_unchecked(r0 + r);
            row.add(j0).cast::<[f32; SW]>().read_unaligned()
        };
    }
    // Column `j0` of the panel-major `b` (SW divides PANEL, so the tile is in one panel).
    let b_col = p.b.wrapping_add((j0 / PANEL) * p.kb * PANEL + j0 % PANEL);
    for kk in 0..p.k {
        // SAFETY: `kk < k <= kb`, `j0 + SW <= n`: inside the validated `b` span.
        let b = unsafe { load_row(b_col.add(kk * PANEL)) };
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: `r0 + r < rows`, `kk < k`: inside the validated `a` span.
            let a = unsafe { *p.a.add((r0 + r) * p.lda + kk) };
            for (acc, &b) in acc.iter_mut().zip(&b) {
                *acc += a * b;
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        // SAFETY: `r0 + r < rows`, `j0 + SW <= n <= ldo`: inside the validated `out` span.
        unsafe {
            p.out
                .add((r0 + r) * p.ldo + j0)
                .cast::<[f32; SW]>()
                .write_unaligned(*acc)
        };
    }
}

/// The portable int8 product (see `isa_ops::QGemm`), in tiles of up to `SR` rows x `SW`
/// columns with int32 accumulators.
pub(crate) fn matmul_i8(p: &RawQGemm) {
    let mut r0 = 0;
    while r0 < p.rows {
        let rows = (p.rows - r0).min(SR);
        let mut j0 = 0;
        while j0 + SW <= p.n {
            // SAFETY: `r0 + rows <= p.rows`, `j0 + SW <= p.n`: the range `QGemm::new`
            // validated.
            unsafe {
                match rows {
                    1 => qtile::<1>(p, r0, j0),
                    2 => qtile::<2>(p, r0, j0),
                    3 => qtile::<3>(p, r0, j0),
                    _ => qtile::<SR>(p, r0, j0),
                }
            }
            j0 += SW;
        }
        r0 += rows;
    }
}

/// One `R x SW` int8 tile: exact int32 sums over every group of four `k`, then
/// `out += sum · scale[j] · ascale[r]`.
///
/// # Safety
/// `r0 + R <= p.rows`, `j0 + SW <= p.n`, `p` satisfying the [`RawQGemm`] invariant.
#[inline(always)]
unsafe fn qtile<const R: usize>(p: &RawQGemm, r0: usize, j0: usize) {
    let mut acc = [[0i32; SW]; R];
    // Column `j0` of the quad-panel `b` (SW divides PANEL, so the tile is in one panel).
    let col =
        p.b.wrapping_add((j0 / PANEL) * p.kb * PANEL + (j0 % PANEL) * 4);
    for kq in (0..p.k).step_by(4) {
        // SAFETY: `kq + 4 <= k <= kb`, `j0 + SW <= n`: inside the validated `b` span.
        let w = unsafe { col.add(kq * PANEL).cast::<[[i8; 4]; SW]>().read_unaligned() };
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: `r0 + r < rows`, `kq + 4 <= k`: inside the validated `a` span.
            let a = unsafe {
                p.a.add((r0 + r) * p.lda + kq)
                    .cast::<[i16; 4]>()
                    .read_unaligned()
            };
            for (acc, w) in acc.iter_mut().zip(&w) {
                let dot = (0..4).fold(0i32, |s, i| {
                    s.wrapping_add(i32::from(a[i]).wrapping_mul(i32::from(w[i])))
                });
                *acc = acc.wrapping_add(dot);
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        let ascale = p.ascale[r0 + r];
        for (c, &sum) in acc.iter().enumerate() {
            // SAFETY: `r0 + r < rows`, `j0 + c < n <= ldo`: inside the validated spans.
            unsafe {
                let out = p.out.add((r0 + r) * p.ldo + j0 + c);
                *out += sum as f32 * *p.scale.add(j0 + c) * ascale;
            }
        }
    }
}

/// See `IsaOps::dequantize`.
pub(crate) fn dequantize(q: &[i8], scale: f32, out: &mut [f32]) {
    for (o, &q) in out.iter_mut().zip(q) {
        *o = f32::from(q) * scale;
    }
}

/// See `IsaOps::quantize`. With `arm-dsp`, each group of four is stored as `a0 a2 a1 a3`,
/// the pairs `smlad` multiplies with `sxtb16`'s `(k0, k2)` and `(k1, k3)` (see `cortex_m`).
pub(crate) fn quantize(x: &[f32], to_int: f32, amax: f32, q: &mut [i16]) {
    const ORDER: [usize; 4] = if cfg!(all(
        target_arch = "arm",
        feature = "arm-dsp",
        target_abi = "eabihf"
    )) {
        [0, 2, 1, 3]
    } else {
        [0, 1, 2, 3]
    };
    for (i, &x) in x.iter().enumerate() {
        // Compares rather than `f32::max`/`min`, which are library calls on Cortex-M. A NaN
        // fails the first and takes the lower bound (as `max` then `min` gave), so the value
        // is finite and in range.
        let v = x * to_int;
        let v = if v >= -amax { v } else { -amax };
        let v = round_even(if v <= amax { v } else { amax });
        if let Some(q) = q.get_mut(i / 4 * 4 + ORDER[i % 4]) {
            // SAFETY: `v` is an integer within ±32767, so it fits in i32 (and i16).
            *q = unsafe { v.to_int_unchecked::<i32>() } as i16;
        }
    }
}

/// Rounds to the nearest integer, ties to even, for `|x| < 2^22` (adding 1.5·2^23 leaves no
/// fraction bits; the FPU's default rounding does the rest), as `cvtps2dq` does.
fn round_even(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    (x + MAGIC) - MAGIC
}
