//! The NEON path (aarch64): the same structure as the AVX2 path on 128-bit registers.
//!
//! Matmul tiles are `R` rows x `C` q-registers with up to 24 accumulators (aarch64 has 32
//! vector registers); gate math runs eight hidden units (two q-registers) per iteration. The
//! int8 product widens weights to int16 and multiplies with `smlal` (int16 x int16 into
//! int32 lanes).

use core::arch::aarch64::*;

use crate::dims::{LANES, PANEL};
#[cfg(feature = "f16")]
use crate::f16::F16;
use crate::isa_ops::{col_blocks, Cells, Gemm, IsaOps, QGemm, RawCells, RawGemm, RawQGemm, Weight};
use crate::math::{TANH_ALPHA, TANH_BETA, TANH_CLAMP};

/// f32 lanes in one q-register.
const Q: usize = 4;

/// Proof that NEON is usable: only [`Neon::new_unchecked`] makes one.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Neon(());

impl Neon {
    /// # Safety
    /// The CPU running this code supports Advanced SIMD (every aarch64 Linux CPU does).
    pub(crate) unsafe fn new_unchecked() -> Self {
        Neon(())
    }
}

impl IsaOps for Neon {
    fn matmul(&self, mut m: Gemm<'_>) {
        // SAFETY: `self` proves NEON; `raw` carries `Gemm::new`'s bounds.
        unsafe { matmul(&m.raw()) }
    }

    #[cfg(feature = "f16")]
    fn matmul_f16(&self, mut m: Gemm<'_, F16>) {
        // SAFETY: as above (`fcvtl` is part of Advanced SIMD).
        unsafe { matmul(&m.raw()) }
    }

    fn gates(&self, mut c: Cells<'_>) {
        // SAFETY: as above, with `Cells::new`'s bounds.
        unsafe { gates(&c.raw()) }
    }

    fn relu(&self, z: &[f32], act: &mut [f32]) {
        let n = z.len().min(act.len()) / LANES * LANES;
        // SAFETY: NEON proven; `n` is within both slices.
        unsafe { relu(z.as_ptr(), act.as_mut_ptr(), n) }
    }

    fn highway(&self, t: &mut [f32], act: &[f32], z: &[f32]) {
        let n = t.len().min(act.len()).min(z.len()) / LANES * LANES;
        // SAFETY: NEON proven; `n` is within all three slices.
        unsafe { highway(t.as_mut_ptr(), act.as_ptr(), z.as_ptr(), n) }
    }

    fn matmul_i8(&self, mut m: QGemm<'_>) {
        // SAFETY: NEON proven; `raw` carries `QGemm::new`'s bounds.
        unsafe { matmul_i8(&m.raw()) }
    }
}

/// The int8 product (see `isa_ops::QGemm`), in tiles of up to 3 rows x 8 columns (24
/// accumulators: each holds one column's four partial sums, one per `k` of a group).
///
/// # Safety
/// NEON available; `p` satisfies the [`RawQGemm`] invariant.
#[target_feature(enable = "neon")]
unsafe fn matmul_i8(p: &RawQGemm) {
    let mut r0 = 0;
    while r0 < p.rows {
        let rows = (p.rows - r0).min(3);
        for j0 in (0..p.n).step_by(LANES) {
            // SAFETY: rows `r0..r0 + rows` and columns `j0..j0 + 8` lie within the product.
            unsafe {
                match rows {
                    1 => qtile::<1>(p, r0, j0),
                    2 => qtile::<2>(p, r0, j0),
                    _ => qtile::<3>(p, r0, j0),
                }
            }
        }
        r0 += rows;
    }
}

/// One `R x 8` int8 tile: per group of four `k`, the 32 weight bytes of eight columns
/// (`[c0k0..c0k3, c1k0..]`) widened to int16, each column's four multiplied lane by lane with
/// the row's four activations; the epilogue adds each column's four lanes.
///
/// # Safety
/// NEON available; `r0 + R <= p.rows`; `j0 + 8 <= p.n`; `p` satisfies [`RawQGemm`]'s
/// invariant.
#[target_feature(enable = "neon")]
#[inline]
unsafe fn qtile<const R: usize>(p: &RawQGemm, r0: usize, j0: usize) {
    let mut acc = [[vdupq_n_s32(0); LANES]; R];
    let col =
        p.b.wrapping_add((j0 / PANEL) * p.kb * PANEL + (j0 % PANEL) * 4);
    for kq in (0..p.k).step_by(4) {
        // SAFETY: `kq + 4 <= k <= kb` and the 8 columns from `j0` lie in the validated `b`
        // span; rows `r0 + r < rows` read `a[kq..kq + 4]` within the validated `a` span.
        unsafe {
            let line = col.add(kq * PANEL);
            let (w0, w1) = (vld1q_s8(line), vld1q_s8(line.add(16)));
            // Columns 0-1, 2-3, 4-5, 6-7, four int16 weights each.
            let w = [
                vmovl_s8(vget_low_s8(w0)),
                vmovl_high_s8(w0),
                vmovl_s8(vget_low_s8(w1)),
                vmovl_high_s8(w1),
            ];
            for (r, acc) in acc.iter_mut().enumerate() {
                let a = vld1_s16(p.a.add((r0 + r) * p.lda + kq));
                let a2 = vcombine_s16(a, a);
                for (pair, w) in w.iter().enumerate() {
                    acc[2 * pair] = vmlal_s16(acc[2 * pair], vget_low_s16(*w), a);
                    acc[2 * pair + 1] = vmlal_high_s16(acc[2 * pair + 1], *w, a2);
                }
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        let ascale = vdupq_n_f32(p.ascale[r0 + r]);
        for half in 0..2 {
            let c = &acc[4 * half..4 * half + 4];
            let sums = vpaddq_s32(vpaddq_s32(c[0], c[1]), vpaddq_s32(c[2], c[3]));
            let j = j0 + Q * half;
            // SAFETY: `r0 + r < rows`, columns `j..j + 4` below `n <= ldo` and the scales'.
            unsafe {
                let t = vmulq_f32(vcvtq_f32_s32(sums), vld1q_f32(p.scale.add(j)));
                let out = p.out.add((r0 + r) * p.ldo + j);
                vst1q_f32(out, vfmaq_f32(vld1q_f32(out), t, ascale));
            }
        }
    }
}

/// Widest tile, in units of [`LANES`] columns (two q-registers), for each row count.
/// Tiles span whole panels (two units).
const fn cmax(rows: usize) -> usize {
    match rows {
        1 => 6,
        2 => 4,
        _ => 2,
    }
}

/// Runs `tile::<R, C>` (C in q-registers) for the pairs listed, without a panic path.
macro_rules! dispatch_tile {
    ($rows:expr, $cols:expr, $p:ident, $p0:ident; $($r:literal => [$($c:literal),*]),* $(,)?) => {
        match ($rows, $cols) {
            $($( ($r, $c) => tile::<$r, $c>($p, $p0), )*)*
            _ => debug_assert!(false, "no tile for this shape"),
        }
    };
}

/// # Safety
/// NEON available; `p` satisfies the [`RawGemm`] invariant.
#[target_feature(enable = "neon")]
unsafe fn matmul<W: Weight>(p: &RawGemm<W>) {
    for (p0, units) in col_blocks(p.n, cmax(p.rows)) {
        let qs = units * (LANES / Q);
        // SAFETY: `units <= cmax(rows)` so the pair is listed; the tile's columns
        // `16*p0 .. 16*p0 + 8*units` lie within `n`.
        unsafe {
            dispatch_tile!(p.rows, qs, p, p0;
                1 => [2, 4, 6, 8, 10, 12],
                2 => [2, 4, 6, 8],
                3 => [2, 4],
                4 => [2, 4],
                5 => [2, 4],
                6 => [2, 4],
            )
        }
    }
}

/// Four weights from `b` as f32: f16 ones widened by `fcvtl` (exact).
///
/// # Safety
/// NEON available; `b .. b + 4` readable.
#[target_feature(enable = "neon")]
#[inline]
unsafe fn load4<W: Weight>(b: *const W) -> float32x4_t {
    #[cfg(feature = "f16")]
    if W::F16 {
        // SAFETY: the caller's range, read as 8 bytes of f16. Written in assembly because
        // the f16 vector types of `core::arch` are not stable.
        let h = unsafe { vld1_u16(b.cast()) };
        let wide: float32x4_t;
        // SAFETY: a register-only instruction of Advanced SIMD.
        unsafe {
            core::arch::asm!("fcvtl {w:v}.4s, {h:v}.4h", w = out(vreg) wide, h = in(vreg) h,
                options(pure, nomem, nostack));
        }
        return wide;
    }
    // SAFETY: the caller's range, read as 16 bytes of f32.
    unsafe { vld1q_f32(b.cast()) }
}

/// One `R x 4C` register tile starting at panel `p0`: accumulators start from `init`, then
/// one FMA per `k` in order.
///
/// # Safety
/// NEON available; `R <= p.rows`; `16*p0 + 4C <= p.n`; `p` satisfies [`RawGemm`]'s invariant.
#[target_feature(enable = "neon")]
#[inline]
unsafe fn tile<const R: usize, const C: usize>(p: &RawGemm<impl Weight>, p0: usize) {
    let j0 = p0 * PANEL;
    let mut acc = [[vdupq_n_f32(0.0); C]; R];
    for (r, acc) in acc.iter_mut().enumerate() {
        for (c, acc) in acc.iter_mut().enumerate() {
            // SAFETY: init rows hold `n >= j0 + 4C` elements.
            *acc = unsafe { vld1q_f32(p.init[r].add(j0 + Q * c)) };
        }
    }
    let panel = p.kb * PANEL;
    let per_panel = PANEL / Q;
    let bp: [_; C] = core::array::from_fn(|c| {
        p.b.wrapping_add((p0 + c / per_panel) * panel + (c % per_panel) * Q)
    });
    let ap: [*const f32; R] = core::array::from_fn(|r| p.a.wrapping_add(r * p.lda));
    for kk in 0..p.k {
        let mut b = [vdupq_n_f32(0.0); C];
        for (b, bp) in b.iter_mut().zip(&bp) {
            // SAFETY: row `kk < k <= kb` of a panel below `ceil(n/16)`: validated span.
            *b = unsafe { load4(bp.add(kk * PANEL)) };
        }
        for (acc, ap) in acc.iter_mut().zip(&ap) {
            // SAFETY: row `r < rows`, `kk < k`: inside the validated `a` span.
            let a = unsafe { *ap.add(kk) };
            for (acc, &b) in acc.iter_mut().zip(&b) {
                *acc = vfmaq_n_f32(*acc, b, a);
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        for (c, acc) in acc.iter().enumerate() {
            // SAFETY: `r < rows`, columns below `n <= ldo`.
            unsafe { vst1q_f32(p.out.add(r * p.ldo + j0 + Q * c), *acc) };
        }
    }
}

/// Rational tanh on four lanes: the same formula as [`crate::math::tanh`], with FMA.
#[target_feature(enable = "neon")]
#[inline]
fn tanh4(x: float32x4_t) -> float32x4_t {
    let x = vmaxq_f32(
        vminq_f32(x, vdupq_n_f32(TANH_CLAMP)),
        vdupq_n_f32(-TANH_CLAMP),
    );
    let x2 = vmulq_f32(x, x);
    let mut p = vdupq_n_f32(TANH_ALPHA[0]);
    for &a in &TANH_ALPHA[1..] {
        p = vfmaq_f32(vdupq_n_f32(a), p, x2);
    }
    p = vmulq_f32(p, x);
    let mut q = vdupq_n_f32(TANH_BETA[0]);
    for &b in &TANH_BETA[1..] {
        q = vfmaq_f32(vdupq_n_f32(b), q, x2);
    }
    vdivq_f32(p, q)
}

/// `0.5 + 0.5 * tanh(0.5 * x)`.
#[target_feature(enable = "neon")]
#[inline]
fn sigmoid4(x: float32x4_t) -> float32x4_t {
    let half = vdupq_n_f32(0.5);
    vfmaq_f32(half, half, tanh4(vmulq_f32(half, x)))
}

/// Two passes per row, as on x86 (see `x86::gates`): the new cell state (parking the
/// output gate in the gate buffer), then `h = o * tanh(c)`; many short independent chains
/// instead of one long one per vector.
///
/// # Safety
/// NEON available; `p` satisfies the [`RawCells`] invariant.
#[target_feature(enable = "neon")]
unsafe fn gates(p: &RawCells) {
    let hp = p.hp;
    for r in 0..p.rows {
        // SAFETY: `r < rows`, `j + 4 <= hp`: inside the validated spans.
        unsafe {
            let g = p.gates.add(r * 4 * hp);
            let c = p.cell.add(r * hp);
            for j in (0..hp).step_by(Q) {
                let g = g.add(j);
                let i = sigmoid4(vld1q_f32(g));
                let f = sigmoid4(vld1q_f32(g.add(2 * hp)));
                let cand = tanh4(vld1q_f32(g.add(3 * hp)));
                let new_c = vfmaq_f32(vmulq_f32(i, cand), f, vld1q_f32(c.add(j)));
                vst1q_f32(c.add(j), new_c);
                let o = g.add(hp);
                vst1q_f32(o, sigmoid4(vld1q_f32(o)));
            }
            let h = p.h.add(r * p.ldh);
            for j in (0..hp).step_by(Q) {
                let o = vld1q_f32(g.add(hp + j));
                vst1q_f32(h.add(j), vmulq_f32(o, tanh4(vld1q_f32(c.add(j)))));
            }
        }
    }
}

/// # Safety
/// NEON available; `z` and `act` hold `n` elements, `n` a multiple of 4.
#[target_feature(enable = "neon")]
unsafe fn relu(z: *const f32, act: *mut f32, n: usize) {
    for j in (0..n).step_by(Q) {
        // SAFETY: `j + 4 <= n`. `maxnm` maps NaN to 0 like the portable path.
        unsafe {
            vst1q_f32(
                act.add(j),
                vmaxnmq_f32(vld1q_f32(z.add(j)), vdupq_n_f32(0.0)),
            )
        };
    }
}

/// # Safety
/// NEON available; all three pointers hold `n` elements, `n` a multiple of 4.
#[target_feature(enable = "neon")]
unsafe fn highway(t: *mut f32, act: *const f32, z: *const f32, n: usize) {
    for j in (0..n).step_by(Q) {
        // SAFETY: `j + 4 <= n`.
        unsafe {
            let gate = sigmoid4(vld1q_f32(t.add(j)));
            let z = vld1q_f32(z.add(j));
            let diff = vsubq_f32(vld1q_f32(act.add(j)), z);
            vst1q_f32(t.add(j), vfmaq_f32(z, gate, diff));
        }
    }
}
