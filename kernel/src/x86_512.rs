//! The AVX-512F + AVX-512BW + FMA path (x86_64), with AVX-512 VNNI's `vpdpwssd` in the int8
//! product where the CPU has it.
//!
//! Same structure as the AVX2 path (`x86`), with 16-lane zmm vectors: one zmm is exactly
//! one 16-column weight panel row (64 bytes, one cache line), so the packed layout is the
//! same for every ISA. Matmul: register tiles of `R` rows x `C` panels (`R*C <= 24`
//! accumulators of the 32 zmm registers), each `k` step broadcasting `a[r][k]` and loading
//! one panel row per column. A product whose width `n` is not a whole number of panels
//! ends in a half panel: its init loads and output stores are masked to 8 lanes (the
//! weight loads may read the whole panel, see `RawGemm`). Gate math: sixteen hidden units
//! per vector with the vectorised rational tanh, the tail masked the same way. Every lane
//! does the same FMA sequence whatever the tile shape and mask, so a word's result does
//! not depend on its batch neighbours. Measured on a 2-core Xeon VM (H = 100), same run as
//! AVX2: ~92k words/s at batch 256 x 8 characters (AVX2 ~51k), ~25 µs for one 8-character
//! word (AVX2 ~31 µs).

use core::arch::x86_64::*;

use crate::dims::{LANES, PANEL};
#[cfg(feature = "f16")]
use crate::f16::F16;
use crate::isa_ops::{Cells, Gemm, IsaOps, QGemm, RawCells, RawGemm, RawQGemm, Weight};
use crate::math::{TANH_ALPHA, TANH_BETA, TANH_CLAMP};

/// Proof that AVX-512F, AVX-512BW, AVX2 and FMA are usable: only [`Avx512::new_unchecked`]
/// makes one. `vnni`: AVX-512 VNNI is usable too (the int8 product's `vpdpwssd`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx512 {
    vnni: bool,
}

impl Avx512 {
    /// # Safety
    /// The CPU running this code supports AVX-512F, AVX-512BW, AVX2 and FMA.
    pub(crate) unsafe fn new_unchecked() -> Self {
        Avx512 {
            vnni: crate::isa::avx512_vnni_available(),
        }
    }
}

impl IsaOps for Avx512 {
    fn matmul(&self, mut m: Gemm<'_>) {
        // SAFETY: `self` proves AVX-512F+FMA; `raw` carries `Gemm::new`'s bounds.
        unsafe { matmul(&m.raw()) }
    }

    #[cfg(feature = "f16")]
    fn matmul_f16(&self, mut m: Gemm<'_, F16>) {
        // SAFETY: as above (AVX-512F converts f16).
        unsafe { matmul(&m.raw()) }
    }

    fn gates(&self, mut c: Cells<'_>) {
        // SAFETY: as above, with `Cells::new`'s bounds.
        unsafe { gates(&c.raw()) }
    }

    fn relu(&self, z: &[f32], act: &mut [f32]) {
        let n = z.len().min(act.len()) / LANES * LANES;
        // SAFETY: AVX-512F proven; `n` is within both slices.
        unsafe { relu(z.as_ptr(), act.as_mut_ptr(), n) }
    }

    fn highway(&self, t: &mut [f32], act: &[f32], z: &[f32]) {
        let n = t.len().min(act.len()).min(z.len()) / LANES * LANES;
        // SAFETY: AVX-512F+FMA proven; `n` is within all three slices.
        unsafe { highway(t.as_mut_ptr(), act.as_ptr(), z.as_ptr(), n) }
    }

    fn matmul_i8(&self, mut m: QGemm<'_>) {
        // SAFETY: `self` proves AVX-512F+BW and FMA, and VNNI where `vnni` says so; `raw`
        // carries `QGemm::new`'s bounds.
        unsafe {
            if self.vnni {
                matmul_i8_vnni(&m.raw())
            } else {
                matmul_i8(&m.raw())
            }
        }
    }

    /// The AVX2 forms: this path's CPUs have AVX2 too, and these are a small part of a step.
    fn dequantize(&self, q: &[i8], scale: f32, out: &mut [f32]) {
        // SAFETY: `self` proves AVX2 as well.
        unsafe { crate::x86::dequantize(q, scale, out) }
    }

    fn quantize(&self, x: &[f32], to_int: f32, amax: f32, q: &mut [i16]) {
        // SAFETY: `self` proves AVX2 as well.
        unsafe { crate::x86::quantize(x, to_int, amax, q) }
    }
}

/// All sixteen lanes.
const FULL: __mmask16 = 0xFFFF;

/// Mask for the 16-lane chunk starting at `j` of a row of `n` elements (`n` a multiple
/// of 8, `j < n`): all lanes, or the low 8 for a trailing half chunk.
#[inline(always)]
fn chunk_mask(j: usize, n: usize) -> __mmask16 {
    if j + PANEL <= n {
        FULL
    } else {
        0x00FF
    }
}

/// Widest tile (in panels) for each row count: 24 accumulators leave 8 of the 32 zmm
/// registers for the broadcasts and the `b` loads.
const fn cmax(rows: usize) -> usize {
    match rows {
        1 => 24,
        2 => 12,
        3 => 8,
        4 => 6,
        5 => 4,
        _ => 4,
    }
}

/// Splits the `ceil(n / 16)` panels of a product into nearly equal tiles of at most
/// `pmax` panels. Yields `(first_panel, panels_in_tile)`.
fn panel_blocks(n: usize, pmax: usize) -> impl Iterator<Item = (usize, usize)> {
    let panels = n.div_ceil(PANEL);
    let blocks = panels.div_ceil(pmax.max(1));
    let base = panels.checked_div(blocks).unwrap_or(0);
    let extra = panels.checked_rem(blocks).unwrap_or(0);
    (0..blocks).map(move |b| (b * base + b.min(extra), base + usize::from(b < extra)))
}

/// Runs `$tile::<R, C>` for the `(rows, cols)` pairs listed, without a panic path.
macro_rules! dispatch_tile {
    ($tile:ident, $rows:expr, $cols:expr, $p:ident, $p0:ident, $m:ident;
     $($r:literal => [$($c:literal),*]),* $(,)?) => {
        match ($rows, $cols) {
            $($( ($r, $c) => $tile::<$r, $c>($p, $p0, $m), )*)*
            _ => debug_assert!(false, "no tile for this shape"),
        }
    };
}

/// # Safety
/// AVX-512F+FMA available; `p` satisfies the [`RawGemm`] invariant.
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn matmul<W: Weight>(p: &RawGemm<W>) {
    for (p0, cols) in panel_blocks(p.n, cmax(p.rows)) {
        let last = chunk_mask((p0 + cols - 1) * PANEL, p.n);
        // SAFETY: `cols <= cmax(rows)` so the pair is listed; the tile's panels lie
        // within `ceil(n/16)` and its last panel's valid lanes are masked by `last`.
        unsafe {
            dispatch_tile!(tile, p.rows, cols, p, p0, last;
                1 => [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                      21, 22, 23, 24],
                2 => [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
                3 => [1, 2, 3, 4, 5, 6, 7, 8],
                4 => [1, 2, 3, 4, 5, 6],
                5 => [1, 2, 3, 4],
                6 => [1, 2, 3, 4],
            )
        }
    }
}

/// A panel row of 16 weights from `b` as f32: f16 ones widened by `vcvtph2ps` (exact).
///
/// # Safety
/// AVX-512F available; `b .. b + 16` readable.
#[target_feature(enable = "avx512f,avx2,fma")]
#[inline]
unsafe fn load16<W: Weight>(b: *const W) -> __m512 {
    // SAFETY: the caller's range, read as 32 bytes of f16 or 64 of f32.
    unsafe {
        #[cfg(feature = "f16")]
        if W::F16 {
            return _mm512_cvtph_ps(_mm256_loadu_si256(b.cast()));
        }
        _mm512_loadu_ps(b.cast())
    }
}

/// One `R x 16C` register tile starting at panel `p0`: accumulators start from `init`, then
/// one FMA per `k` in order. `last` masks the columns of the last panel that exist.
///
/// # Safety
/// AVX-512F+FMA available; `R <= p.rows`; `16*(p0 + C - 1) < p.n`, and `last` keeps
/// only lanes below `n` of the last panel; `p` satisfies [`RawGemm`]'s invariant.
#[target_feature(enable = "avx512f,avx2,fma")]
#[inline]
unsafe fn tile<const R: usize, const C: usize>(
    p: &RawGemm<impl Weight>,
    p0: usize,
    last: __mmask16,
) {
    let j0 = p0 * PANEL;
    let mask = |c: usize| if c + 1 == C { last } else { FULL };
    let mut acc = [[_mm512_setzero_ps(); C]; R];
    for (r, acc) in acc.iter_mut().enumerate() {
        for (c, acc) in acc.iter_mut().enumerate() {
            // SAFETY: init rows hold `n` elements; masked-off lanes are not read.
            *acc = unsafe { _mm512_maskz_loadu_ps(mask(c), p.init[r].add(j0 + PANEL * c)) };
        }
    }
    let panel = p.kb * PANEL;
    let b: [_; C] = core::array::from_fn(|c| p.b.wrapping_add((p0 + c) * panel));
    let a: [*const f32; R] = core::array::from_fn(|r| p.a.wrapping_add(r * p.lda));
    // SAFETY (for `step`): row `r < rows` and `kk < k` are inside the validated `a` span;
    // row `kk < k <= kb` of a panel below `ceil(n/16)` is inside the validated `b` span.
    let step = |acc: &mut [[__m512; C]; R], kk: usize| {
        for (acc, a) in acc.iter_mut().zip(&a) {
            let a = _mm512_set1_ps(unsafe { *a.add(kk) });
            for (acc, b) in acc.iter_mut().zip(&b) {
                let b = unsafe { load16(b.add(kk * PANEL)) };
                *acc = _mm512_fmadd_ps(a, b, *acc);
            }
        }
    };
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
            // SAFETY: `r < rows`; unmasked columns are below `n <= ldo`.
            unsafe { _mm512_mask_storeu_ps(p.out.add(r * p.ldo + j0 + PANEL * c), mask(c), *acc) };
        }
    }
}

/// Widest int8 tile (in panels) for each row count: two accumulators per row and panel, at
/// most 24, leave the other 8 zmm registers for the widened weights and the broadcasts.
const fn qmax(rows: usize) -> usize {
    match rows {
        1 => 12,
        2 => 6,
        3 => 4,
        4 => 3,
        _ => 2,
    }
}

/// The int8 product (see `isa_ops::QGemm`) on 512-bit vectors: int16 activations times
/// sign-extended int8 weights, pairwise. A quad-panel line is one panel's 16 columns x four
/// `k` (64 bytes): widened in two halves (columns 0-7, 8-15), each is multiplied pairwise
/// with a row's four broadcast activations, so each column gets two int32 partial sums.
/// The sums are exact, and the epilogue is the AVX2 path's, so the paths give the same
/// bits. `$madd` is how a tile accumulates: `vpmaddwd` + `vpaddd` (AVX-512BW), or VNNI's
/// `vpdpwssd`, which does both in one instruction. On the Xeon of RESULTS ("int8 end to
/// end") it issues two per cycle, twice the multiply-adds of the pair and of f32's FMAs.
macro_rules! int8_product {
    ($matmul:ident, $tile:ident, $features:literal, $madd:path) => {
        /// # Safety
        #[doc = concat!("`", $features, "` available; `p` satisfies the [`RawQGemm`] invariant.")]
        #[target_feature(enable = $features)]
        unsafe fn $matmul(p: &RawQGemm) {
            for (p0, cols) in panel_blocks(p.n, qmax(p.rows)) {
                let last = chunk_mask((p0 + cols - 1) * PANEL, p.n);
                // SAFETY: `cols <= qmax(rows)` so the pair is listed; the tile's panels lie
                // within `ceil(n/16)` (whole lines may be read, see `RawQGemm`) and `last`
                // masks the columns of its last panel that do not exist.
                unsafe {
                    dispatch_tile!($tile, p.rows, cols, p, p0, last;
                        1 => [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
                        2 => [1, 2, 3, 4, 5, 6],
                        3 => [1, 2, 3, 4],
                        4 => [1, 2, 3],
                        5 => [1, 2],
                        6 => [1, 2],
                    )
                }
            }
        }

        /// One `R x 16C` int8 tile from panel `p0`; `last` masks the last panel's columns.
        ///
        /// # Safety
        #[doc = concat!("`", $features, "` available; `R <= p.rows`; `16*(p0 + C - 1) < p.n`,")]
        /// and `last` keeps only lanes below `n` of the last panel; `p` satisfies
        /// [`RawQGemm`]'s invariant.
        #[target_feature(enable = $features)]
        #[inline]
        unsafe fn $tile<const R: usize, const C: usize>(
            p: &RawQGemm,
            p0: usize,
            last: __mmask16,
        ) {
            let mut acc = [[[_mm512_setzero_si512(); 2]; C]; R];
            let panel = p.kb * PANEL;
            let b: [*const i8; C] = core::array::from_fn(|c| p.b.wrapping_add((p0 + c) * panel));
            let a: [*const i16; R] = core::array::from_fn(|r| p.a.wrapping_add(r * p.lda));
            for kq in (0..p.k).step_by(4) {
                // SAFETY: rows `r < rows`, `kq + 4 <= k`: inside the validated `a` span; line
                // `kq / 4` of a panel below `ceil(n/16)` is inside the validated `b` span.
                unsafe {
                    for (c, b) in b.iter().enumerate() {
                        let line = b.add(kq * PANEL);
                        let w0 = _mm512_cvtepi8_epi16(_mm256_loadu_si256(line.cast()));
                        let w1 = _mm512_cvtepi8_epi16(_mm256_loadu_si256(line.add(32).cast()));
                        for (acc, a) in acc.iter_mut().zip(&a) {
                            let av = _mm512_set1_epi64(a.add(kq).cast::<i64>().read_unaligned());
                            acc[c][0] = $madd(acc[c][0], w0, av);
                            acc[c][1] = $madd(acc[c][1], w1, av);
                        }
                    }
                }
            }
            // SAFETY: as the caller's; the features are this function's.
            unsafe { int8_epilogue(p, p0, last, &acc) }
        }
    };
}

int8_product!(matmul_i8, qtile, "avx512f,avx512bw,avx2,fma", madd_add);
int8_product!(
    matmul_i8_vnni,
    qtile_vnni,
    "avx512f,avx512bw,avx512vnni,avx2,fma",
    dpwssd
);

/// `acc + vpdpwssd(w, a)`, in assembly: LLVM's generic x86 tuning splits the intrinsic back
/// into `vpmaddwd` + `vpaddd`, which is what VNNI is here to avoid.
///
/// # Safety
/// AVX-512F and AVX-512 VNNI available.
#[target_feature(enable = "avx512f,avx512vnni")]
#[inline]
unsafe fn dpwssd(acc: __m512i, w: __m512i, a: __m512i) -> __m512i {
    let mut acc = acc;
    // SAFETY: register-only; the caller proves the features.
    unsafe {
        core::arch::asm!(
            "vpdpwssd {acc}, {w}, {a}",
            acc = inout(zmm_reg) acc,
            w = in(zmm_reg) w,
            a = in(zmm_reg) a,
            options(pure, nomem, nostack),
        );
    }
    acc
}

/// `acc + vpmaddwd(w, a)`: the product's accumulation without VNNI.
///
/// # Safety
/// AVX-512BW available.
#[target_feature(enable = "avx512f,avx512bw")]
#[inline]
unsafe fn madd_add(acc: __m512i, w: __m512i, a: __m512i) -> __m512i {
    _mm512_add_epi32(acc, _mm512_madd_epi16(w, a))
}

/// A tile's epilogue: `out += (sum of its two partial sums) · scale[j] · ascale[r]`.
///
/// # Safety
/// As [`qtile`]'s.
#[target_feature(enable = "avx512f,avx512bw,avx2,fma")]
#[inline]
unsafe fn int8_epilogue<const R: usize, const C: usize>(
    p: &RawQGemm,
    p0: usize,
    last: __mmask16,
    acc: &[[[__m512i; 2]; C]; R],
) {
    // Column `c`'s partial sums are lanes `2c`, `2c + 1` of `[lo, hi]`.
    let even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    let odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    for (r, acc) in acc.iter().enumerate() {
        let ascale = _mm512_set1_ps(p.ascale[r]);
        for (c, [lo, hi]) in acc.iter().enumerate() {
            let sums = _mm512_add_epi32(
                _mm512_permutex2var_epi32(*lo, even, *hi),
                _mm512_permutex2var_epi32(*lo, odd, *hi),
            );
            let m = if c + 1 == C { last } else { FULL };
            let j = PANEL * (p0 + c);
            // SAFETY: `r < rows`; unmasked columns are below `n <= ldo` and the scales'.
            unsafe {
                let scale = _mm512_maskz_loadu_ps(m, p.scale.add(j));
                let t = _mm512_mul_ps(_mm512_cvtepi32_ps(sums), scale);
                let out = p.out.add(r * p.ldo + j);
                let sum = _mm512_fmadd_ps(t, ascale, _mm512_maskz_loadu_ps(m, out));
                _mm512_mask_storeu_ps(out, m, sum);
            }
        }
    }
}

/// Rational tanh on sixteen lanes: the same formula as [`crate::math::tanh`], with FMA.
#[target_feature(enable = "avx512f,avx2,fma")]
#[inline]
fn tanh16(x: __m512) -> __m512 {
    let clamp = _mm512_set1_ps(TANH_CLAMP);
    let x = _mm512_max_ps(_mm512_min_ps(x, clamp), _mm512_set1_ps(-TANH_CLAMP));
    let x2 = _mm512_mul_ps(x, x);
    let mut p = _mm512_set1_ps(TANH_ALPHA[0]);
    for &a in &TANH_ALPHA[1..] {
        p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(a));
    }
    p = _mm512_mul_ps(p, x);
    let mut q = _mm512_set1_ps(TANH_BETA[0]);
    for &b in &TANH_BETA[1..] {
        q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(b));
    }
    _mm512_div_ps(p, q)
}

/// `0.5 + 0.5 * tanh(0.5 * x)`.
#[target_feature(enable = "avx512f,avx2,fma")]
#[inline]
fn sigmoid16(x: __m512) -> __m512 {
    let half = _mm512_set1_ps(0.5);
    _mm512_fmadd_ps(half, tanh16(_mm512_mul_ps(half, x)), half)
}

/// Two passes per row, as in the AVX2 path: first the new cell state (and the output gate,
/// parked in the gate buffer), then `h = o * tanh(c)`.
///
/// # Safety
/// AVX-512F+FMA available; `p` satisfies the [`RawCells`] invariant.
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn gates(p: &RawCells) {
    let hp = p.hp;
    for r in 0..p.rows {
        // SAFETY: `r < rows`; lanes kept by `m` are below `hp`: inside the validated spans.
        unsafe {
            let g = p.gates.add(r * 4 * hp);
            let c = p.cell.add(r * hp);
            for j in (0..hp).step_by(PANEL) {
                let m = chunk_mask(j, hp);
                let g = g.add(j);
                let i = sigmoid16(_mm512_maskz_loadu_ps(m, g));
                let f = sigmoid16(_mm512_maskz_loadu_ps(m, g.add(2 * hp)));
                let cand = tanh16(_mm512_maskz_loadu_ps(m, g.add(3 * hp)));
                let old = _mm512_maskz_loadu_ps(m, c.add(j));
                let new_c = _mm512_fmadd_ps(f, old, _mm512_mul_ps(i, cand));
                _mm512_mask_storeu_ps(c.add(j), m, new_c);
                let o = g.add(hp);
                _mm512_mask_storeu_ps(o, m, sigmoid16(_mm512_maskz_loadu_ps(m, o)));
            }
            let h = p.h.add(r * p.ldh);
            for j in (0..hp).step_by(PANEL) {
                let m = chunk_mask(j, hp);
                let o = _mm512_maskz_loadu_ps(m, g.add(hp + j));
                let tc = tanh16(_mm512_maskz_loadu_ps(m, c.add(j)));
                _mm512_mask_storeu_ps(h.add(j), m, _mm512_mul_ps(o, tc));
            }
        }
    }
}

/// # Safety
/// AVX-512F available; `z` and `act` hold `n` elements, `n` a multiple of 8.
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn relu(z: *const f32, act: *mut f32, n: usize) {
    for j in (0..n).step_by(PANEL) {
        let m = chunk_mask(j, n);
        // SAFETY: lanes kept by `m` are below `n`.
        unsafe {
            let v = _mm512_max_ps(_mm512_maskz_loadu_ps(m, z.add(j)), _mm512_setzero_ps());
            _mm512_mask_storeu_ps(act.add(j), m, v);
        }
    }
}

/// # Safety
/// AVX-512F+FMA available; all three pointers hold `n` elements, `n` a multiple of 8.
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn highway(t: *mut f32, act: *const f32, z: *const f32, n: usize) {
    for j in (0..n).step_by(PANEL) {
        let m = chunk_mask(j, n);
        // SAFETY: lanes kept by `m` are below `n`.
        unsafe {
            let gate = sigmoid16(_mm512_maskz_loadu_ps(m, t.add(j)));
            let z = _mm512_maskz_loadu_ps(m, z.add(j));
            let diff = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, act.add(j)), z);
            _mm512_mask_storeu_ps(t.add(j), m, _mm512_fmadd_ps(gate, diff, z));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dims::MR;
    use crate::isa_ops::QMatmulArgs;
    use std::vec::Vec;

    /// VNNI's `vpdpwssd` and the `vpmaddwd` + `vpaddd` pair give the same bits, at every
    /// tile shape (rows 1..=MR, widths with a half panel), on extreme values too.
    #[test]
    fn vnni_product_equals_the_pair_bit_for_bit() {
        if !(std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512vnni")
            && std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("fma"))
        {
            return;
        }
        let mut seed = 7u32;
        let mut next = move || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            seed >> 8
        };
        for (k, n) in [(4usize, 8usize), (100, 416), (208, 104), (36, 200)] {
            let kb = k + 4;
            let b: Vec<i8> = (0..kb * n.div_ceil(PANEL) * PANEL)
                .map(|i| {
                    if i % 97 == 0 {
                        -127
                    } else {
                        (next() % 255) as i8
                    }
                })
                .collect();
            let a: Vec<i16> = (0..MR * k)
                .map(|i| {
                    if i % 89 == 0 {
                        -32767
                    } else {
                        (next() % 65535) as i16
                    }
                })
                .collect();
            let scale: Vec<f32> = (0..n).map(|j| 1e-3 * (1 + j % 7) as f32).collect();
            for rows in 1..=MR {
                let run = |vnni: bool| {
                    let mut out = std::vec![0.5f32; rows * n];
                    let mut m = QGemm::new(QMatmulArgs {
                        rows,
                        a: &a,
                        lda: k,
                        k,
                        b: &b,
                        kb,
                        scale: &scale,
                        ascale: [3e-5; MR],
                        n,
                        out: &mut out,
                        ldo: n,
                    })
                    .unwrap();
                    // SAFETY: the features were checked above; `raw` carries the bounds.
                    unsafe {
                        if vnni {
                            matmul_i8_vnni(&m.raw())
                        } else {
                            matmul_i8(&m.raw())
                        }
                    }
                    out.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
                };
                assert_eq!(run(true), run(false), "k {k}, n {n}, rows {rows}");
            }
        }
    }

    #[test]
    fn panel_blocks_cover_evenly() {
        let b: Vec<_> = panel_blocks(416, 4).collect();
        assert_eq!(
            b,
            [(0, 4), (4, 4), (8, 4), (12, 4), (16, 4), (20, 3), (23, 3)]
        );
        assert_eq!(panel_blocks(0, 4).count(), 0);
        for n in (LANES..600).step_by(LANES) {
            for pmax in 1..25 {
                let mut next = 0;
                for (p0, len) in panel_blocks(n, pmax) {
                    assert_eq!(p0, next);
                    assert!(len >= 1 && len <= pmax);
                    next += len;
                }
                assert_eq!(next, n.div_ceil(PANEL));
            }
        }
    }
}
