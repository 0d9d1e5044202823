//! The portable path: plain Rust over fixed-size arrays, which LLVM keeps in registers and
//! vectorises for the target's baseline (SSE2 on x86_64, NEON on aarch64, the FPU on
//! Cortex-M). No FMA, so its results differ from the SIMD paths in the last bits only.

use crate::dims::PANEL;
use crate::isa_ops::{Cells, Gemm, IsaOps, RawGemm};
use crate::math::{sigmoid, tanh};

/// Rows of one register tile: 4 rows x 8 columns is 8 SSE accumulators.
const SR: usize = 4;
/// Columns of one register tile (the matmul's `n` is always a multiple of this).
const SW: usize = 8;

/// The portable code path; always available.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scalar;

impl IsaOps for Scalar {
    fn matmul(&self, mut m: Gemm<'_>) {
        let p = m.raw();
        let mut r0 = 0;
        while r0 < p.rows {
            let rows = (p.rows - r0).min(SR);
            // SAFETY: `r0 + rows <= p.rows` and each tile stays within `p.n` columns, which is
            // exactly the range `Gemm::new` validated.
            unsafe {
                match rows {
                    1 => row_block::<1>(&p, r0),
                    2 => row_block::<2>(&p, r0),
                    3 => row_block::<3>(&p, r0),
                    _ => row_block::<SR>(&p, r0),
                }
            }
            r0 += rows;
        }
    }

    fn gates(&self, mut c: Cells<'_>) {
        let hp = c.hp();
        for (g, cell, h) in c.rows_mut() {
            let mut gate = g.chunks_exact(hp);
            let (Some(gi), Some(go), Some(gf), Some(gc)) =
                (gate.next(), gate.next(), gate.next(), gate.next())
            else {
                return;
            };
            let lanes = gi.iter().zip(go).zip(gf).zip(gc).zip(cell.iter_mut());
            for ((((&i, &o), &f), &g), (c, h)) in
                lanes.zip(h.iter_mut()).map(|((a, c), h)| (a, (c, h)))
            {
                let new_c = sigmoid(f) * *c + sigmoid(i) * tanh(g);
                *c = new_c;
                *h = sigmoid(o) * tanh(new_c);
            }
        }
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

/// All column tiles of rows `r0 .. r0 + R`.
///
/// # Safety
/// `r0 + R <= p.rows`, with `p` satisfying the [`RawGemm`] invariant.
#[inline(always)]
unsafe fn row_block<const R: usize>(p: &RawGemm, r0: usize) {
    let mut j0 = 0;
    while j0 + SW <= p.n {
        // SAFETY: forwarded from the caller; `j0 + SW <= p.n`.
        unsafe { tile::<R>(p, r0, j0) };
        j0 += SW;
    }
}

/// One `R x SW` register tile: accumulators start from `init` and take every `k` in order.
///
/// # Safety
/// `r0 + R <= p.rows`, `j0 + SW <= p.n`, `p` satisfying the [`RawGemm`] invariant.
#[inline(always)]
unsafe fn tile<const R: usize>(p: &RawGemm, r0: usize, j0: usize) {
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
        let b = unsafe { b_col.add(kk * PANEL).cast::<[f32; SW]>().read_unaligned() };
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
