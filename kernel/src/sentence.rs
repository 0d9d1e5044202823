//! The tagger's sentence half in plain f32: word vectors -> bidirectional LSTM over the
//! sentence -> `W2 relu(W1 h + b1) + b2`. The runtime owns the weights and buffers and
//! calls [`scores`]; the arithmetic lives here so that it is compiled like the rest of the
//! kernel (a WebAssembly build optimises the other crates for size, which would stop these
//! loops from vectorising).
//!
//! Every product is a run of `out += x * row` over contiguous rows (weights stored
//! transposed), and the activations are the kernel's branch-free tanh and sigmoid, so the
//! loops vectorise; on x86_64 with AVX2 the same code is compiled a second time for it and
//! picked at run time.

use crate::math::{sigmoid, tanh};

/// The sentence half's weights, transposed so that every product runs over rows.
pub struct SentenceWeights<'a> {
    /// Word vector size.
    pub dim: usize,
    /// LSTM state size `H` (per direction).
    pub hidden: usize,
    /// Number of tags.
    pub tags: usize,
    /// Per direction (0 forward, 1 backward): `W^T` `[dim, 4H]`, gates i, o, f, c.
    pub w_t: [&'a [f32]; 2],
    /// Per direction: `R^T` `[H, 4H]`.
    pub r_t: [&'a [f32]; 2],
    /// Per direction: `Wb + Rb` `[4H]`.
    pub bias: [&'a [f32]; 2],
    /// `W1` `[2H, mlp]`.
    pub mlp_weight: &'a [f32],
    /// `b1` `[mlp]`.
    pub mlp_bias: &'a [f32],
    /// `W2` `[mlp, tags]`.
    pub out_weight: &'a [f32],
    /// `b2` `[tags]`.
    pub out_bias: &'a [f32],
}

/// Working memory of one call.
pub struct SentenceScratch<'a> {
    /// Gate pre-activations `[words, 4H]`.
    pub gates: &'a mut [f32],
    /// Both directions' states `[words, 2H]`.
    pub states: &'a mut [f32],
    /// The cell `[H]`.
    pub cell: &'a mut [f32],
    /// The previous state `[H]`.
    pub previous: &'a mut [f32],
    /// One MLP row `[mlp]`.
    pub mlp_row: &'a mut [f32],
}

/// Scores `[words, tags]` into `out` from the word vectors `[words, dim]`.
///
/// # Panics
/// When the scratch holds fewer than `words` rows or the weights disagree with the sizes
/// (the runtime sizes both from the file it checked).
pub fn scores(
    w: &SentenceWeights<'_>,
    s: &mut SentenceScratch<'_>,
    vectors: &[f32],
    words: usize,
    out: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    if crate::Isa::Avx2Fma.is_available() {
        // SAFETY: the CPU reports AVX2 (and FMA, which this code does not need).
        return unsafe { scores_avx2(w, s, vectors, words, out) };
    }
    scores_any(w, s, vectors, words, out)
}

/// [`scores_any`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn scores_avx2(
    w: &SentenceWeights<'_>,
    s: &mut SentenceScratch<'_>,
    vectors: &[f32],
    words: usize,
    out: &mut [f32],
) {
    scores_any(w, s, vectors, words, out)
}

#[inline(always)]
fn scores_any(
    w: &SentenceWeights<'_>,
    s: &mut SentenceScratch<'_>,
    vectors: &[f32],
    words: usize,
    out: &mut [f32],
) {
    let h = w.hidden;
    s.states.fill(0.0);
    for d in 0..2 {
        direction(w, s, d, vectors, words);
    }
    for (row, state) in out
        .chunks_exact_mut(w.tags)
        .zip(s.states.chunks_exact(2 * h))
        .take(words)
    {
        dense(state, w.mlp_weight, w.mlp_bias, s.mlp_row);
        for x in s.mlp_row.iter_mut() {
            *x = if *x > 0.0 { *x } else { 0.0 };
        }
        dense(s.mlp_row, w.out_weight, w.out_bias, row);
    }
}

/// Runs direction `d` (0 forward, 1 backward), writing its states into `states[t][d * H..]`.
#[inline(always)]
fn direction(
    w: &SentenceWeights<'_>,
    s: &mut SentenceScratch<'_>,
    d: usize,
    vectors: &[f32],
    words: usize,
) {
    let (h, dim) = (w.hidden, w.dim);
    // The input projection of every word at once: gates[t] = b + x_t W^T.
    for (x, gates) in vectors
        .chunks_exact(dim)
        .zip(s.gates.chunks_exact_mut(4 * h))
        .take(words)
    {
        dense(x, w.w_t[d], w.bias[d], gates);
    }
    s.cell.fill(0.0);
    for step in 0..words {
        let t = if d == 0 { step } else { words - 1 - step };
        let gates = &mut s.gates[t * 4 * h..][..4 * h];
        if step > 0 {
            let before = if d == 0 { t - 1 } else { t + 1 };
            s.previous
                .copy_from_slice(&s.states[before * 2 * h + d * h..][..h]);
            for (x, row) in s.previous.iter().zip(w.r_t[d].chunks_exact(4 * h)) {
                axpy(*x, row, gates);
            }
        }
        let (sigmoids, candidate) = gates.split_at_mut(3 * h);
        for g in sigmoids.iter_mut() {
            *g = sigmoid(*g);
        }
        for g in candidate.iter_mut() {
            *g = tanh(*g);
        }
        let (i, rest) = sigmoids.split_at(h);
        let (o, f) = rest.split_at(h);
        let state = &mut s.states[t * 2 * h + d * h..][..h];
        for u in 0..h {
            s.cell[u] = f[u] * s.cell[u] + i[u] * candidate[u];
            state[u] = o[u] * tanh(s.cell[u]);
        }
    }
}

/// `out = bias + input · weight` with `weight` `[input.len(), out.len()]`.
#[inline(always)]
fn dense(input: &[f32], weight: &[f32], bias: &[f32], out: &mut [f32]) {
    out.copy_from_slice(bias);
    for (x, row) in input.iter().zip(weight.chunks_exact(out.len())) {
        axpy(*x, row, out);
    }
}

/// `out += x * row`.
#[inline(always)]
fn axpy(x: f32, row: &[f32], out: &mut [f32]) {
    for (o, w) in out.iter_mut().zip(row) {
        *o += x * w;
    }
}
