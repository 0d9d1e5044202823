//! The WebAssembly SIMD128 path: the NEON path's structure on `v128` registers. Without
//! fused multiply-add by default: each product is a multiply then an add, like the portable
//! path, and results equal it up to the order of the tanh/sigmoid operations (in practice to
//! the last bit on most rows). A build with `relaxed-simd` as well uses relaxed SIMD's
//! multiply-add in the matrix products, which an engine may or may not fuse: its results
//! may differ by engine in the last bits (within export's parity rule), and it is faster
//! where the engine fuses (docs/RESULTS.md).
//!
//! WebAssembly has no run-time feature detection: this module exists only in builds
//! compiled with `-C target-feature=+simd128`, and such a module fails to load in an engine
//! without SIMD128 (every current browser has it). The build without it is the fallback.

use core::arch::wasm32::*;

use crate::dims::{LANES, PANEL};
use crate::isa_ops::{col_blocks, Cells, Gemm, IsaOps, RawCells, RawGemm};
use crate::math::{TANH_ALPHA, TANH_BETA, TANH_CLAMP};

/// f32 lanes in one v128.
const Q: usize = 4;

/// The SIMD128 code path. Available by construction: the module is compiled only when the
/// target feature is on for the whole build.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Simd128;

impl IsaOps for Simd128 {
    fn matmul(&self, mut m: Gemm<'_>) {
        // SAFETY: `raw` carries `Gemm::new`'s bounds.
        unsafe { matmul(&m.raw()) }
    }

    fn gates(&self, mut c: Cells<'_>) {
        // SAFETY: as above, with `Cells::new`'s bounds.
        unsafe { gates(&c.raw()) }
    }

    fn relu(&self, z: &[f32], act: &mut [f32]) {
        let n = z.len().min(act.len()) / LANES * LANES;
        // SAFETY: `n` is within both slices.
        unsafe { relu(z.as_ptr(), act.as_mut_ptr(), n) }
    }

    fn highway(&self, t: &mut [f32], act: &[f32], z: &[f32]) {
        let n = t.len().min(act.len()).min(z.len()) / LANES * LANES;
        // SAFETY: `n` is within all three slices.
        unsafe { highway(t.as_mut_ptr(), act.as_ptr(), z.as_ptr(), n) }
    }
}

/// Widest tile, in units of [`LANES`] columns (two v128), for each row count. wasm engines
/// map v128 onto the host's registers (16 on x86_64), so tiles are narrower than NEON's.
const fn cmax(rows: usize) -> usize {
    match rows {
        1 => 4,
        _ => 2,
    }
}

/// Runs `tile::<R, C>` (C in v128) for the pairs listed, without a panic path.
macro_rules! dispatch_tile {
    ($rows:expr, $cols:expr, $p:ident, $p0:ident; $($r:literal => [$($c:literal),*]),* $(,)?) => {
        match ($rows, $cols) {
            $($( ($r, $c) => tile::<$r, $c>($p, $p0), )*)*
            _ => debug_assert!(false, "no tile for this shape"),
        }
    };
}

/// # Safety
/// `p` satisfies the [`RawGemm`] invariant.
unsafe fn matmul(p: &RawGemm) {
    for (p0, units) in col_blocks(p.n, cmax(p.rows)) {
        let qs = units * (LANES / Q);
        // SAFETY: `units <= cmax(rows)` so the pair is listed; the tile's columns
        // `16*p0 .. 16*p0 + 8*units` lie within `n`.
        unsafe {
            dispatch_tile!(p.rows, qs, p, p0;
                1 => [2, 4, 6, 8],
                2 => [2, 4],
                3 => [2, 4],
                4 => [2, 4],
                5 => [2, 4],
                6 => [2, 4],
            )
        }
    }
}

/// One `R x 4C` register tile starting at panel `p0`: accumulators start from `init`, then
/// one multiply and one add per `k` in order.
///
/// # Safety
/// `R <= p.rows`; `16*p0 + 4C <= p.n`; `p` satisfies [`RawGemm`]'s invariant.
#[inline(always)]
unsafe fn tile<const R: usize, const C: usize>(p: &RawGemm, p0: usize) {
    let j0 = p0 * PANEL;
    let mut acc = [[f32x4_splat(0.0); C]; R];
    for (r, acc) in acc.iter_mut().enumerate() {
        for (c, acc) in acc.iter_mut().enumerate() {
            // SAFETY: init rows hold `n >= j0 + 4C` elements.
            *acc = unsafe { v128_load(p.init[r].add(j0 + Q * c).cast()) };
        }
    }
    let panel = p.kb * PANEL;
    let per_panel = PANEL / Q;
    let bp: [*const f32; C] = core::array::from_fn(|c| {
        p.b.wrapping_add((p0 + c / per_panel) * panel + (c % per_panel) * Q)
    });
    let ap: [*const f32; R] = core::array::from_fn(|r| p.a.wrapping_add(r * p.lda));
    for kk in 0..p.k {
        let mut b = [f32x4_splat(0.0); C];
        for (b, bp) in b.iter_mut().zip(&bp) {
            // SAFETY: row `kk < k <= kb` of a panel below `ceil(n/16)`: validated span.
            *b = unsafe { v128_load(bp.add(kk * PANEL).cast()) };
        }
        for (acc, ap) in acc.iter_mut().zip(&ap) {
            // SAFETY: row `r < rows`, `kk < k`: inside the validated `a` span.
            let a = f32x4_splat(unsafe { *ap.add(kk) });
            for (acc, &b) in acc.iter_mut().zip(&b) {
                *acc = madd(a, b, *acc);
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        for (c, acc) in acc.iter().enumerate() {
            // SAFETY: `r < rows`, columns below `n <= ldo`.
            unsafe { v128_store(p.out.add(r * p.ldo + j0 + Q * c).cast(), *acc) };
        }
    }
}

/// `a * b + c`: fused where the build has relaxed SIMD and the engine fuses.
#[inline(always)]
fn madd(a: v128, b: v128, c: v128) -> v128 {
    #[cfg(target_feature = "relaxed-simd")]
    return f32x4_relaxed_madd(a, b, c);
    #[cfg(not(target_feature = "relaxed-simd"))]
    return f32x4_add(c, f32x4_mul(a, b));
}

/// Rational tanh on four lanes: exactly [`crate::math::tanh`]'s operations, lane-wise.
#[inline(always)]
fn tanh4(x: v128) -> v128 {
    // pmin/pmax are the compare-and-select the portable form writes (NaN passes through).
    let x = f32x4_pmin(x, f32x4_splat(TANH_CLAMP));
    let x = f32x4_pmax(x, f32x4_splat(-TANH_CLAMP));
    let x2 = f32x4_mul(x, x);
    let mut p = f32x4_splat(TANH_ALPHA[0]);
    for &a in &TANH_ALPHA[1..] {
        p = f32x4_add(f32x4_mul(p, x2), f32x4_splat(a));
    }
    p = f32x4_mul(p, x);
    let mut q = f32x4_splat(TANH_BETA[0]);
    for &b in &TANH_BETA[1..] {
        q = f32x4_add(f32x4_mul(q, x2), f32x4_splat(b));
    }
    f32x4_div(p, q)
}

/// `0.5 + 0.5 * tanh(0.5 * x)`.
#[inline(always)]
fn sigmoid4(x: v128) -> v128 {
    let half = f32x4_splat(0.5);
    f32x4_add(half, f32x4_mul(half, tanh4(f32x4_mul(half, x))))
}

/// One LSTM step per row, four hidden units at a time.
///
/// # Safety
/// `p` satisfies the [`RawCells`] invariant.
unsafe fn gates(p: &RawCells) {
    let hp = p.hp;
    for r in 0..p.rows {
        // SAFETY: `r < rows`, `j + 4 <= hp`: inside the validated spans.
        unsafe {
            let g = p.gates.add(r * 4 * hp);
            let c = p.cell.add(r * hp);
            let h = p.h.add(r * p.ldh);
            for j in (0..hp).step_by(Q) {
                let load = |k: usize| v128_load(g.add(k * hp + j).cast());
                let (i, o, f) = (sigmoid4(load(0)), sigmoid4(load(1)), sigmoid4(load(2)));
                let cand = tanh4(load(3));
                let old = v128_load(c.add(j).cast());
                let new_c = f32x4_add(f32x4_mul(f, old), f32x4_mul(i, cand));
                v128_store(c.add(j).cast(), new_c);
                v128_store(h.add(j).cast(), f32x4_mul(o, tanh4(new_c)));
            }
        }
    }
}

/// # Safety
/// `z` and `act` hold `n` elements, `n` a multiple of 4.
unsafe fn relu(z: *const f32, act: *mut f32, n: usize) {
    for j in (0..n).step_by(Q) {
        // SAFETY: `j + 4 <= n`. `pmax(0, z)` is `0 < z ? z : 0`: NaN maps to 0 like the
        // portable path.
        unsafe {
            let z = v128_load(z.add(j).cast());
            v128_store(act.add(j).cast(), f32x4_pmax(f32x4_splat(0.0), z));
        }
    }
}

/// # Safety
/// All three pointers hold `n` elements, `n` a multiple of 4.
unsafe fn highway(t: *mut f32, act: *const f32, z: *const f32, n: usize) {
    for j in (0..n).step_by(Q) {
        // SAFETY: `j + 4 <= n`.
        unsafe {
            let gate = sigmoid4(v128_load(t.add(j).cast()));
            let z = v128_load(z.add(j).cast());
            let diff = f32x4_sub(v128_load(act.add(j).cast()), z);
            v128_store(t.add(j).cast(), f32x4_add(z, f32x4_mul(gate, diff)));
        }
    }
}
