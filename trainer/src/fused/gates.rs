//! The LSTM cell's element-wise math for a block of rows, forward and backward: AVX2/FMA
//! intrinsics eight hidden units at a time on x86-64 (picked at run time), plain loops
//! elsewhere and for each row's last `hidden % 8` units. tanh and sigmoid are the kernel
//! crate's branch-free rational forms (a few ulp from exact), the ones the runtime uses.

use sublex_kernel::{sigmoid, tanh};

/// Turns each row's pre-activations `pre` (`[rows, 4H]`, gates i, o, f, c) into
/// activations in place, and writes the new cell state `c`, `tanh(c)` and `h`.
/// `c_prev` is `None` at the first step (a zero state).
pub fn forward(
    pre: &mut [f32],
    c_prev: Option<&[f32]>,
    c: &mut [f32],
    tc: &mut [f32],
    h: &mut [f32],
    hidden: usize,
) {
    forward_with(pre, c_prev, c, tc, h, hidden, simd())
}

/// Backward through the cell for a block of rows. `acts` holds the forward activations on
/// entry and the pre-activation gradients `da` on return; `dc` holds the cell gradient
/// from later steps on entry and the gradient for the previous cell state on return.
pub fn backward(
    acts: &mut [f32],
    tc: &[f32],
    c_prev: Option<&[f32]>,
    dh: &[f32],
    dc: &mut [f32],
    hidden: usize,
) {
    backward_with(acts, tc, c_prev, dh, dc, hidden, simd())
}

/// Whether the AVX2/FMA form can run here.
fn simd() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Row `r`'s previous cell state: its slice of `c_prev`, or the zero row at the first step
/// (allocated then only, not at every step).
fn previous<'a>(
    c_prev: Option<&'a [f32]>,
    zero: &'a Option<Vec<f32>>,
    r: usize,
    hidden: usize,
) -> &'a [f32] {
    match (c_prev, zero) {
        (Some(p), _) => &p[r * hidden..(r + 1) * hidden],
        (None, Some(z)) => z,
        (None, None) => unreachable!("the zero row exists when there is no previous state"),
    }
}

fn forward_with(
    pre: &mut [f32],
    c_prev: Option<&[f32]>,
    c: &mut [f32],
    tc: &mut [f32],
    h: &mut [f32],
    hidden: usize,
    simd: bool,
) {
    let zero = c_prev.is_none().then(|| vec![0f32; hidden]);
    let rows = pre
        .chunks_exact_mut(4 * hidden)
        .zip(c.chunks_exact_mut(hidden));
    for (r, ((gates, c), (tc, h))) in rows
        .zip(tc.chunks_exact_mut(hidden).zip(h.chunks_exact_mut(hidden)))
        .enumerate()
    {
        let prev = previous(c_prev, &zero, r, hidden);
        // The plain loops take the units the vector form leaves (all of them without it).
        let done = if simd {
            forward_row_simd(gates, prev, c, tc, h)
        } else {
            0
        };
        forward_units(
            gate_tails(gates, hidden, done),
            &prev[done..],
            (&mut c[done..], &mut tc[done..], &mut h[done..]),
        );
    }
}

fn backward_with(
    acts: &mut [f32],
    tc: &[f32],
    c_prev: Option<&[f32]>,
    dh: &[f32],
    dc: &mut [f32],
    hidden: usize,
    simd: bool,
) {
    let zero = c_prev.is_none().then(|| vec![0f32; hidden]);
    let rows = acts
        .chunks_exact_mut(4 * hidden)
        .zip(tc.chunks_exact(hidden));
    for (r, ((gates, tc), (dh, dc))) in rows
        .zip(dh.chunks_exact(hidden).zip(dc.chunks_exact_mut(hidden)))
        .enumerate()
    {
        let prev = previous(c_prev, &zero, r, hidden);
        let done = if simd {
            backward_row_simd(gates, prev, tc, dh, dc)
        } else {
            0
        };
        backward_units(
            gate_tails(gates, hidden, done),
            &prev[done..],
            (&tc[done..], &dh[done..], &mut dc[done..]),
        );
    }
}

/// One row's forward, eight units at a time; returns how many units it did. The compiler
/// does not vectorise the plain loops by itself (measured: scalar code, a third of the
/// training step), hence this explicit form.
#[cfg(target_arch = "x86_64")]
fn forward_row_simd(
    gates: &mut [f32],
    prev: &[f32],
    c: &mut [f32],
    tc: &mut [f32],
    h: &mut [f32],
) -> usize {
    // SAFETY: only called when `simd()` found AVX2 and FMA.
    unsafe { forward_row_avx2(gates, prev, c, tc, h) }
}

#[cfg(not(target_arch = "x86_64"))]
fn forward_row_simd(
    _: &mut [f32],
    _: &[f32],
    _: &mut [f32],
    _: &mut [f32],
    _: &mut [f32],
) -> usize {
    0
}

#[cfg(target_arch = "x86_64")]
fn backward_row_simd(
    gates: &mut [f32],
    prev: &[f32],
    tc: &[f32],
    dh: &[f32],
    dc: &mut [f32],
) -> usize {
    // SAFETY: only called when `simd()` found AVX2 and FMA.
    unsafe { backward_row_avx2(gates, prev, tc, dh, dc) }
}

#[cfg(not(target_arch = "x86_64"))]
fn backward_row_simd(_: &mut [f32], _: &[f32], _: &[f32], _: &[f32], _: &mut [f32]) -> usize {
    0
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn forward_row_avx2(
    gates: &mut [f32],
    prev: &[f32],
    c: &mut [f32],
    tc: &mut [f32],
    h: &mut [f32],
) -> usize {
    use std::arch::x86_64::*;
    use sublex_kernel::avx2::{sigmoid8, tanh8};
    let hidden = c.len();
    let whole = hidden - hidden % 8;
    assert!(
        gates.len() == 4 * hidden
            && prev.len() == hidden
            && tc.len() == hidden
            && h.len() == hidden
    );
    let g = gates.as_mut_ptr();
    for j in (0..whole).step_by(8) {
        // SAFETY: j + 8 <= hidden, and every slice holds `hidden` units per gate (asserted).
        unsafe {
            let (pi, po, pf, pg) = (
                g.add(j),
                g.add(hidden + j),
                g.add(2 * hidden + j),
                g.add(3 * hidden + j),
            );
            let i = sigmoid8(_mm256_loadu_ps(pi));
            let o = sigmoid8(_mm256_loadu_ps(po));
            let f = sigmoid8(_mm256_loadu_ps(pf));
            let cand = tanh8(_mm256_loadu_ps(pg));
            let cell = _mm256_fmadd_ps(
                f,
                _mm256_loadu_ps(prev.as_ptr().add(j)),
                _mm256_mul_ps(i, cand),
            );
            let t = tanh8(cell);
            _mm256_storeu_ps(pi, i);
            _mm256_storeu_ps(po, o);
            _mm256_storeu_ps(pf, f);
            _mm256_storeu_ps(pg, cand);
            _mm256_storeu_ps(c.as_mut_ptr().add(j), cell);
            _mm256_storeu_ps(tc.as_mut_ptr().add(j), t);
            _mm256_storeu_ps(h.as_mut_ptr().add(j), _mm256_mul_ps(o, t));
        }
    }
    whole
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn backward_row_avx2(
    gates: &mut [f32],
    prev: &[f32],
    tc: &[f32],
    dh: &[f32],
    dc: &mut [f32],
) -> usize {
    use std::arch::x86_64::*;
    let hidden = dc.len();
    let whole = hidden - hidden % 8;
    assert!(
        gates.len() == 4 * hidden
            && prev.len() == hidden
            && tc.len() == hidden
            && dh.len() == hidden
    );
    let one = _mm256_set1_ps(1.0);
    // x (1 - x): the sigmoid's derivative from its value.
    let sig = |x: __m256| _mm256_mul_ps(x, _mm256_sub_ps(one, x));
    let g = gates.as_mut_ptr();
    for j in (0..whole).step_by(8) {
        // SAFETY: j + 8 <= hidden, and every slice holds `hidden` units per gate (asserted).
        unsafe {
            let (pi, po, pf, pg) = (
                g.add(j),
                g.add(hidden + j),
                g.add(2 * hidden + j),
                g.add(3 * hidden + j),
            );
            let (gi, go, gf, gg) = (
                _mm256_loadu_ps(pi),
                _mm256_loadu_ps(po),
                _mm256_loadu_ps(pf),
                _mm256_loadu_ps(pg),
            );
            let t = _mm256_loadu_ps(tc.as_ptr().add(j));
            let d_h = _mm256_loadu_ps(dh.as_ptr().add(j));
            let d_o = _mm256_mul_ps(d_h, t);
            let d_c = _mm256_add_ps(
                _mm256_loadu_ps(dc.as_ptr().add(j)),
                _mm256_mul_ps(
                    _mm256_mul_ps(d_h, go),
                    _mm256_sub_ps(one, _mm256_mul_ps(t, t)),
                ),
            );
            _mm256_storeu_ps(dc.as_mut_ptr().add(j), _mm256_mul_ps(d_c, gf));
            let p = _mm256_loadu_ps(prev.as_ptr().add(j));
            _mm256_storeu_ps(pi, _mm256_mul_ps(_mm256_mul_ps(d_c, gg), sig(gi)));
            _mm256_storeu_ps(po, _mm256_mul_ps(d_o, sig(go)));
            _mm256_storeu_ps(pf, _mm256_mul_ps(_mm256_mul_ps(d_c, p), sig(gf)));
            _mm256_storeu_ps(
                pg,
                _mm256_mul_ps(
                    _mm256_mul_ps(d_c, gi),
                    _mm256_sub_ps(one, _mm256_mul_ps(gg, gg)),
                ),
            );
        }
    }
    whole
}

/// Splits one row's `[4H]` gates into its four `[H]` slices.
fn split4(gates: &mut [f32], hidden: usize) -> [&mut [f32]; 4] {
    let (i, rest) = gates.split_at_mut(hidden);
    let (o, rest) = rest.split_at_mut(hidden);
    let (f, g) = rest.split_at_mut(hidden);
    [i, o, f, &mut g[..hidden]]
}

/// The four gates of a row from unit `done` on: what the plain loops take after the vector
/// form has done the first `done` units.
fn gate_tails(gates: &mut [f32], hidden: usize, done: usize) -> [&mut [f32]; 4] {
    split4(gates, hidden).map(|gate| &mut gate[done..])
}

/// The cell forward for some hidden units of one row (the first step's zero previous cell
/// state is a zero row).
#[inline(always)]
fn forward_units(
    [i, o, f, g]: [&mut [f32]; 4],
    prev: &[f32],
    (c, tc, h): (&mut [f32], &mut [f32], &mut [f32]),
) {
    let gates = i
        .iter_mut()
        .zip(o.iter_mut())
        .zip(f.iter_mut().zip(g.iter_mut()));
    let cells = prev
        .iter()
        .zip(c.iter_mut())
        .zip(tc.iter_mut().zip(h.iter_mut()));
    for (((i, o), (f, g)), ((prev, c), (tc, h))) in gates.zip(cells) {
        (*i, *o, *f, *g) = (sigmoid(*i), sigmoid(*o), sigmoid(*f), tanh(*g));
        *c = *f * prev + *i * *g;
        *tc = tanh(*c);
        *h = *o * *tc;
    }
}

/// The cell backward for some hidden units of one row.
#[inline(always)]
fn backward_units(
    [i, o, f, g]: [&mut [f32]; 4],
    prev: &[f32],
    (tc, dh, dc): (&[f32], &[f32], &mut [f32]),
) {
    let gates = i
        .iter_mut()
        .zip(o.iter_mut())
        .zip(f.iter_mut().zip(g.iter_mut()));
    let cells = prev.iter().zip(tc).zip(dh.iter().zip(dc.iter_mut()));
    for (((i, o), (f, g)), ((prev, tc), (dh, dc))) in gates.zip(cells) {
        let (gi, go, gf, gg) = (*i, *o, *f, *g);
        let d_o = dh * tc;
        let d_c = *dc + dh * go * (1.0 - tc * tc);
        *dc = d_c * gf;
        *i = d_c * gg * gi * (1.0 - gi);
        *o = d_o * go * (1.0 - go);
        *f = d_c * prev * gf * (1.0 - gf);
        *g = d_c * gi * (1.0 - gg * gg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn random(rng: &mut rand_chacha::ChaCha8Rng, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| rng.gen_range(-scale..scale)).collect()
    }

    fn max_diff(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    }

    /// The dispatched path (AVX2 where the CPU has it) computes what the plain loops
    /// compute, with and without a previous cell state, for a width that is not a multiple
    /// of eight.
    #[test]
    fn dispatched_path_matches_the_plain_loops() {
        let rng = &mut rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let (rows, hidden) = (3, 21);
        for with_prev in [false, true] {
            let pre = random(rng, rows * 4 * hidden, 4.0);
            let prev = random(rng, rows * hidden, 2.0);
            let prev = with_prev.then_some(&prev[..]);
            let mut outs = Vec::new();
            for dispatched in [true, false] {
                let (mut p, mut c, mut tc, mut h) = (
                    pre.clone(),
                    vec![0.0; rows * hidden],
                    vec![0.0; rows * hidden],
                    vec![0.0; rows * hidden],
                );
                if dispatched {
                    forward(&mut p, prev, &mut c, &mut tc, &mut h, hidden);
                } else {
                    forward_with(&mut p, prev, &mut c, &mut tc, &mut h, hidden, false);
                }
                let (dh, mut dc) = (vec![0.3; rows * hidden], vec![-0.2; rows * hidden]);
                let mut acts = p.clone();
                if dispatched {
                    backward(&mut acts, &tc, prev, &dh, &mut dc, hidden);
                } else {
                    backward_with(&mut acts, &tc, prev, &dh, &mut dc, hidden, false);
                }
                outs.push([p, c, tc, h, acts, dc]);
            }
            for (a, b) in outs[0].iter().zip(&outs[1]) {
                assert!(
                    max_diff(a, b) <= 1e-6,
                    "with_prev {with_prev}: {}",
                    max_diff(a, b)
                );
            }
        }
    }
}
