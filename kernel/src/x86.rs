//! The AVX2 + FMA path (x86_64).
//!
//! Matmul: register tiles of `R` rows x `C` ymm columns (`R*C <= 12` accumulators: the
//! 6x16 tile for full word tiles, 1x96 and 1x80 strips for a single word), each `k` step
//! broadcasting `a[r][k]` and loading one panel row of `b` per ymm column. Gate math: eight
//! hidden units per vector with the vectorised rational tanh. Every lane does the same FMA
//! sequence whatever the tile shape, so a word's result does not depend on its batch
//! neighbours. Measured on a 2-core Xeon VM (H = 100): ~57k words/s at batch 256 x 8
//! characters, ~27 µs for one 8-character word; matmul ~80% of the time, gates ~19%.

use core::arch::x86_64::*;

use crate::dims::{LANES, PANEL};
#[cfg(feature = "f16")]
use crate::f16::F16;
use crate::isa_ops::{col_blocks, Cells, Gemm, IsaOps, QGemm, RawCells, RawGemm, RawQGemm, Weight};
use crate::math::{TANH_ALPHA, TANH_BETA, TANH_CLAMP};

/// Proof that AVX2, FMA and F16C are usable: only [`Avx2Fma::new_unchecked`] makes one.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2Fma(());

impl Avx2Fma {
    /// # Safety
    /// The CPU running this code supports AVX2, FMA and F16C.
    pub(crate) unsafe fn new_unchecked() -> Self {
        Avx2Fma(())
    }
}

impl IsaOps for Avx2Fma {
    fn matmul(&self, mut m: Gemm<'_>) {
        // SAFETY: `self` proves AVX2+FMA; `raw` carries `Gemm::new`'s bounds.
        unsafe { matmul(&m.raw()) }
    }

    #[cfg(feature = "f16")]
    fn matmul_f16(&self, mut m: Gemm<'_, F16>) {
        // SAFETY: `self` proves AVX2+FMA+F16C; `raw` carries `Gemm::new`'s bounds.
        unsafe { matmul(&m.raw()) }
    }

    fn gates(&self, mut c: Cells<'_>) {
        // SAFETY: as above, with `Cells::new`'s bounds.
        unsafe { gates(&c.raw()) }
    }

    fn relu(&self, z: &[f32], act: &mut [f32]) {
        let n = z.len().min(act.len()) / LANES * LANES;
        // SAFETY: AVX2 proven; `n` is within both slices.
        unsafe { relu(z.as_ptr(), act.as_mut_ptr(), n) }
    }

    fn highway(&self, t: &mut [f32], act: &[f32], z: &[f32]) {
        let n = t.len().min(act.len()).min(z.len()) / LANES * LANES;
        // SAFETY: AVX2+FMA proven; `n` is within all three slices.
        unsafe { highway(t.as_mut_ptr(), act.as_ptr(), z.as_ptr(), n) }
    }

    fn matmul_i8(&self, mut m: QGemm<'_>) {
        // SAFETY: AVX2+FMA proven; `raw` carries `QGemm::new`'s bounds.
        unsafe { matmul_i8(&m.raw()) }
    }

    fn dequantize(&self, q: &[i8], scale: f32, out: &mut [f32]) {
        // SAFETY: AVX2 proven.
        unsafe { dequantize(q, scale, out) }
    }

    fn quantize(&self, x: &[f32], to_int: f32, amax: f32, q: &mut [i16]) {
        // SAFETY: AVX2 proven.
        unsafe { quantize(x, to_int, amax, q) }
    }
}

/// See `IsaOps::dequantize`: eight at a time, the tail by the portable form.
///
/// # Safety
/// AVX2 available.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn dequantize(q: &[i8], scale: f32, out: &mut [f32]) {
    let n = q.len().min(out.len());
    let head = n / LANES * LANES;
    let s = _mm256_set1_ps(scale);
    for j in (0..head).step_by(LANES) {
        // SAFETY: `j + 8 <= n` for both slices.
        unsafe {
            let v = _mm_loadl_epi64(q.as_ptr().add(j).cast());
            let f = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v));
            _mm256_storeu_ps(out.as_mut_ptr().add(j), _mm256_mul_ps(f, s));
        }
    }
    if let (Some(q), Some(out)) = (q.get(head..n), out.get_mut(head..n)) {
        crate::scalar::dequantize(q, scale, out);
    }
}

/// See `IsaOps::quantize`: `cvtps2dq` rounds ties to even as the portable form does.
///
/// # Safety
/// AVX2 available.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn quantize(x: &[f32], to_int: f32, amax: f32, q: &mut [i16]) {
    let n = x.len().min(q.len());
    let head = n / LANES * LANES;
    let (t, hi, lo) = (
        _mm256_set1_ps(to_int),
        _mm256_set1_ps(amax),
        _mm256_set1_ps(-amax),
    );
    for j in (0..head).step_by(LANES) {
        // SAFETY: `j + 8 <= n` for both slices.
        unsafe {
            // `max(v, lo)` returns `lo` for a NaN `v` (its second operand), as the portable
            // form's `f32::max` does.
            let v = _mm256_mul_ps(_mm256_loadu_ps(x.as_ptr().add(j)), t);
            let v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
            let i = _mm256_cvtps_epi32(v);
            let packed =
                _mm_packs_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256::<1>(i));
            _mm_storeu_si128(q.as_mut_ptr().add(j).cast(), packed);
        }
    }
    if let (Some(x), Some(q)) = (x.get(head..n), q.get_mut(head..n)) {
        crate::scalar::quantize(x, to_int, amax, q);
    }
}

/// Widest tile (in ymm columns) for each row count: 12 accumulators leave 4 of the 16 ymm
/// registers for the broadcast and the `b` loads. Tiles span whole panels (2 ymm columns).
const fn cmax(rows: usize) -> usize {
    match rows {
        1 => 12,
        2 => 6,
        3 => 4,
        _ => 2,
    }
}

/// Runs `tile::<R, C>` for the `(rows, cols)` pairs listed, without a panic path.
macro_rules! dispatch_tile {
    ($rows:expr, $cols:expr, $p:ident, $p0:ident; $($r:literal => [$($c:literal),*]),* $(,)?) => {
        match ($rows, $cols) {
            $($( ($r, $c) => tile::<$r, $c>($p, $p0), )*)*
            _ => debug_assert!(false, "no tile for this shape"),
        }
    };
}

/// # Safety
/// AVX2+FMA (and F16C for f16 weights) available; `p` satisfies the [`RawGemm`] invariant.
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn matmul<W: Weight>(p: &RawGemm<W>) {
    for (p0, cols) in col_blocks(p.n, cmax(p.rows)) {
        // SAFETY: `cols <= cmax(rows)` so the pair is listed; the tile's columns
        // `16*p0 .. 16*p0 + 8*cols` lie within `n`.
        unsafe {
            dispatch_tile!(p.rows, cols, p, p0;
                1 => [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
                2 => [1, 2, 3, 4, 5, 6],
                3 => [1, 2, 3, 4],
                4 => [1, 2],
                5 => [1, 2],
                6 => [1, 2],
            )
        }
    }
}

/// Eight weights from `b` as f32: f16 ones widened by F16C's `vcvtph2ps` (exact).
///
/// # Safety
/// AVX2 and F16C available; `b .. b + 8` readable.
#[target_feature(enable = "avx2,f16c")]
#[inline]
unsafe fn load8<W: Weight>(b: *const W) -> __m256 {
    // SAFETY: the caller's range, read as 16 bytes of f16 or 32 of f32.
    unsafe {
        #[cfg(feature = "f16")]
        if W::F16 {
            return _mm256_cvtph_ps(_mm_loadu_si128(b.cast()));
        }
        _mm256_loadu_ps(b.cast())
    }
}

/// One `R x 8C` register tile starting at panel `p0`: accumulators start from `init`, then
/// one FMA per `k` in order.
///
/// # Safety
/// AVX2+FMA (+F16C) available; `R <= p.rows`; `16*p0 + 8C <= p.n`; `p` satisfies
/// [`RawGemm`]'s invariant.
#[target_feature(enable = "avx2,fma,f16c")]
#[inline]
unsafe fn tile<const R: usize, const C: usize>(p: &RawGemm<impl Weight>, p0: usize) {
    let j0 = p0 * PANEL;
    let mut acc = [[_mm256_setzero_ps(); C]; R];
    for (r, acc) in acc.iter_mut().enumerate() {
        for (c, acc) in acc.iter_mut().enumerate() {
            // SAFETY: init rows hold `n >= j0 + 8C` elements.
            *acc = unsafe { _mm256_loadu_ps(p.init[r].add(j0 + LANES * c)) };
        }
    }
    // One pointer per row of `a` and per ymm column of `b` (its panel plus half-panel
    // offset), so the loop body is broadcasts, loads and FMAs with `kk`-indexed addresses.
    let panel = p.kb * PANEL;
    let b: [_; C] =
        core::array::from_fn(|c| p.b.wrapping_add((p0 + c / 2) * panel + (c % 2) * LANES));
    let a: [*const f32; R] = core::array::from_fn(|r| p.a.wrapping_add(r * p.lda));
    // SAFETY (for `step`): row `r < rows` and `kk < k` are inside the validated `a` span;
    // row `kk < k <= kb` of a panel below `ceil(n/16)` is inside the validated `b` span.
    let step = |acc: &mut [[__m256; C]; R], kk: usize| {
        for (acc, a) in acc.iter_mut().zip(&a) {
            let a = unsafe { _mm256_broadcast_ss(&*a.add(kk)) };
            for (acc, b) in acc.iter_mut().zip(&b) {
                let b = unsafe { load8(b.add(kk * PANEL)) };
                *acc = _mm256_fmadd_ps(a, b, *acc);
            }
        }
    };
    // Unrolled by four so the address arithmetic is shared by four steps (on Intel it
    // competes with the FMAs for ports 0 and 1). The order of `k` is unchanged.
    let mut kk = 0;
    while kk + 4 <= p.k {
        step(&mut acc, kk);
        step(&mut acc, kk + 1);
        step(&mut acc, kk + 2);
        step(&mut acc, kk + 3);
        kk += 4;
    }
    while kk < p.k {
        step(&mut acc, kk);
        kk += 1;
    }
    for (r, acc) in acc.iter().enumerate() {
        for (c, acc) in acc.iter().enumerate() {
            // SAFETY: `r < rows`, columns below `n <= ldo`.
            unsafe { _mm256_storeu_ps(p.out.add(r * p.ldo + j0 + LANES * c), *acc) };
        }
    }
}

/// The int8 product (see `isa_ops::QGemm`): `pmaddwd` on int16 activations and sign-extended
/// int8 weights, four `k` per 64-bit broadcast. Two or more rows go through 8 columns at a
/// time (up to 6 rows x 2 accumulators, each weight load shared by every row); one row
/// through up to 48 (12 accumulators). More accumulators spill: 16 ymm registers hold
/// 12 of them, the two weight vectors and the broadcast.
///
/// # Safety
/// AVX2+FMA available; `p` satisfies the [`RawQGemm`] invariant.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn matmul_i8(p: &RawQGemm) {
    if p.rows == 1 {
        for (p0, units) in col_blocks(p.n, 6) {
            // SAFETY: columns `16*p0 .. 16*p0 + 8*units` lie within `n`.
            unsafe {
                match units {
                    1 => qtile::<1, 1>(p, 2 * p0),
                    2 => qtile::<1, 2>(p, 2 * p0),
                    3 => qtile::<1, 3>(p, 2 * p0),
                    4 => qtile::<1, 4>(p, 2 * p0),
                    5 => qtile::<1, 5>(p, 2 * p0),
                    6 => qtile::<1, 6>(p, 2 * p0),
                    _ => debug_assert!(false, "no int8 tile this wide"),
                }
            }
        }
        return;
    }
    for u0 in 0..p.n / LANES {
        // SAFETY: `rows <= MR = 6` rows, columns `8*u0 .. 8*u0 + 8` within `n`.
        unsafe {
            match p.rows {
                2 => qtile::<2, 1>(p, u0),
                3 => qtile::<3, 1>(p, u0),
                4 => qtile::<4, 1>(p, u0),
                5 => qtile::<5, 1>(p, u0),
                _ => qtile::<6, 1>(p, u0),
            }
        }
    }
}

/// One `R x 8U` int8 tile from 8-column unit `u0`: per group of four `k`, each row's four
/// int16 activations are broadcast and multiplied pairwise with four columns' weights
/// (`[c0k0..c0k3, c1k0..]` sign-extended to int16), giving each column two int32 partial
/// sums; the epilogue adds the pairs, orders the columns and applies the scales.
///
/// # Safety
/// AVX2+FMA available; `R <= p.rows`; `8 * (u0 + U) <= p.n`; `p` satisfies [`RawQGemm`]'s
/// invariant.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn qtile<const R: usize, const U: usize>(p: &RawQGemm, u0: usize) {
    let mut acc = [[[_mm256_setzero_si256(); 2]; U]; R];
    let panel = p.kb * PANEL;
    // A unit is the first or second half (32 bytes) of its panel's 64-byte lines.
    let b: [*const i8; U] = core::array::from_fn(|u| {
        let unit = u0 + u;
        p.b.wrapping_add((unit / 2) * panel + (unit % 2) * 32)
    });
    let a: [*const i16; R] = core::array::from_fn(|r| p.a.wrapping_add(r * p.lda));
    for kq in (0..p.k).step_by(4) {
        // SAFETY: rows `r < rows`, `kq + 4 <= k`: inside the validated `a` span; line
        // `kq / 4` of a panel below `ceil(n/16)` is inside the validated `b` span.
        unsafe {
            for (u, b) in b.iter().enumerate() {
                let line = b.add(kq * PANEL);
                let w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(line.cast()));
                let w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(line.add(16).cast()));
                for (acc, a) in acc.iter_mut().zip(&a) {
                    let av = _mm256_set1_epi64x(a.add(kq).cast::<i64>().read_unaligned());
                    acc[u][0] = _mm256_add_epi32(acc[u][0], _mm256_madd_epi16(w0, av));
                    acc[u][1] = _mm256_add_epi32(acc[u][1], _mm256_madd_epi16(w1, av));
                }
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        let ascale = _mm256_set1_ps(p.ascale[r]);
        for (u, [lo, hi]) in acc.iter().enumerate() {
            // [c0 c1 c4 c5 | c2 c3 c6 c7] -> c0..c7.
            let sums = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_hadd_epi32(*lo, *hi));
            let j = LANES * (u0 + u);
            // SAFETY: `r < rows`, columns `j..j + 8` below `n <= ldo` and the scales'.
            unsafe {
                let t = _mm256_mul_ps(_mm256_cvtepi32_ps(sums), _mm256_loadu_ps(p.scale.add(j)));
                let out = p.out.add(r * p.ldo + j);
                _mm256_storeu_ps(out, _mm256_fmadd_ps(t, ascale, _mm256_loadu_ps(out)));
            }
        }
    }
}

/// Rational tanh on eight lanes: the same formula as [`crate::math::tanh`], with FMA.
///
/// # Safety
/// The CPU supports AVX2 and FMA (a caller without those features enabled must check).
#[target_feature(enable = "avx2,fma")]
#[inline]
pub fn tanh8(x: __m256) -> __m256 {
    let clamp = _mm256_set1_ps(TANH_CLAMP);
    let x = _mm256_max_ps(_mm256_min_ps(x, clamp), _mm256_set1_ps(-TANH_CLAMP));
    let x2 = _mm256_mul_ps(x, x);
    let mut p = _mm256_set1_ps(TANH_ALPHA[0]);
    for &a in &TANH_ALPHA[1..] {
        p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(a));
    }
    p = _mm256_mul_ps(p, x);
    let mut q = _mm256_set1_ps(TANH_BETA[0]);
    for &b in &TANH_BETA[1..] {
        q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(b));
    }
    _mm256_div_ps(p, q)
}

/// `0.5 + 0.5 * tanh(0.5 * x)`.
///
/// # Safety
/// As [`tanh8`].
#[target_feature(enable = "avx2,fma")]
#[inline]
pub fn sigmoid8(x: __m256) -> __m256 {
    let half = _mm256_set1_ps(0.5);
    _mm256_fmadd_ps(half, tanh8(_mm256_mul_ps(half, x)), half)
}

/// Two passes per row, so that each pass is many short independent dependency chains the
/// out-of-order core can overlap (one fused pass is one ~130-cycle chain per 8 units and
/// runs latency-bound): first the new cell state (and the output gate, parked in the
/// gate buffer), then `h = o * tanh(c)`. Same operations as one pass, so same results.
///
/// # Safety
/// AVX2+FMA available; `p` satisfies the [`RawCells`] invariant.
#[target_feature(enable = "avx2,fma")]
unsafe fn gates(p: &RawCells) {
    let hp = p.hp;
    for r in 0..p.rows {
        // SAFETY: `r < rows`, `j + 8 <= hp`: inside the validated spans.
        unsafe {
            let g = p.gates.add(r * 4 * hp);
            let c = p.cell.add(r * hp);
            for j in (0..hp).step_by(LANES) {
                let g = g.add(j);
                let i = sigmoid8(_mm256_loadu_ps(g));
                let f = sigmoid8(_mm256_loadu_ps(g.add(2 * hp)));
                let cand = tanh8(_mm256_loadu_ps(g.add(3 * hp)));
                let new_c = _mm256_fmadd_ps(f, _mm256_loadu_ps(c.add(j)), _mm256_mul_ps(i, cand));
                _mm256_storeu_ps(c.add(j), new_c);
                let o = g.add(hp);
                _mm256_storeu_ps(o, sigmoid8(_mm256_loadu_ps(o)));
            }
            let h = p.h.add(r * p.ldh);
            for j in (0..hp).step_by(LANES) {
                let o = _mm256_loadu_ps(g.add(hp + j));
                _mm256_storeu_ps(h.add(j), _mm256_mul_ps(o, tanh8(_mm256_loadu_ps(c.add(j)))));
            }
        }
    }
}

/// # Safety
/// AVX2 available; `z` and `act` hold `n` elements, `n` a multiple of 8.
#[target_feature(enable = "avx2,fma")]
unsafe fn relu(z: *const f32, act: *mut f32, n: usize) {
    for j in (0..n).step_by(LANES) {
        // SAFETY: `j + 8 <= n`.
        unsafe {
            let v = _mm256_max_ps(_mm256_loadu_ps(z.add(j)), _mm256_setzero_ps());
            _mm256_storeu_ps(act.add(j), v);
        }
    }
}

/// # Safety
/// AVX2+FMA available; all three pointers hold `n` elements, `n` a multiple of 8.
#[target_feature(enable = "avx2,fma")]
unsafe fn highway(t: *mut f32, act: *const f32, z: *const f32, n: usize) {
    for j in (0..n).step_by(LANES) {
        // SAFETY: `j + 8 <= n`.
        unsafe {
            let gate = sigmoid8(_mm256_loadu_ps(t.add(j)));
            let z = _mm256_loadu_ps(z.add(j));
            let diff = _mm256_sub_ps(_mm256_loadu_ps(act.add(j)), z);
            _mm256_storeu_ps(t.add(j), _mm256_fmadd_ps(gate, diff, z));
        }
    }
}
