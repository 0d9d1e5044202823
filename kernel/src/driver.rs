//! The ISA-independent loop: tiles of up to [`MR`] words, each run through the forward LSTM,
//! the backward LSTM and the projection (+ highway) before the next tile starts. Working on
//! one tile at a time keeps scratch constant-size and the tile's state hot in L1, while the
//! weights stream once per tile step and are shared by all of the tile's words.

use crate::dims::{align_offset, quad_rows, Layout, MR};
use crate::int8::{dequantize_row, quantize_rows, PackedInt8, QMatrix};
use crate::isa_ops::{Cells, Gemm, IsaOps, MatmulArgs, QGemm, QMatmulArgs, Weight};
use crate::pack::{Packed, PackedFloat};
use crate::KernelError;

/// Scratch regions for one tile, carved from the caller's buffer.
struct Scratch<'s> {
    /// `[MR][4Hp]` gate pre-activations of the current step.
    gates: &'s mut [f32],
    /// `[MR][2Hp]` hidden states: forward half, then backward half (= the projection input).
    state: &'s mut [f32],
    /// `[MR][Hp]` cell state of the running direction.
    cell: &'s mut [f32],
    /// `[MR][Dp]` projection `z`.
    z: &'s mut [f32],
    /// `[MR][Dp]` `relu(z)`.
    act: &'s mut [f32],
    /// `[MR][Dp]` highway pre-activation, then the highway output.
    hw: &'s mut [f32],
    /// `[MR][aq_width]` an int8 product's activations, quantised.
    aq: &'s mut [i16],
}

impl<'s> Scratch<'s> {
    fn split(l: &Layout, scratch: &'s mut [f32]) -> Result<Self, KernelError> {
        if scratch.len() < l.scratch_len {
            return Err(KernelError::LengthMismatch {
                what: "scratch",
                expected: l.scratch_len,
                got: scratch.len(),
            });
        }
        // Start on a cache line, whatever the caller's alignment (scratch_len has the slack).
        let off = align_offset(scratch.as_ptr());
        let mut rest = scratch.get_mut(off..).ok_or(KernelError::Internal)?;
        let mut take = |len: usize| {
            let (head, tail) = core::mem::take(&mut rest)
                .split_at_mut_checked(len)
                .ok_or(KernelError::Internal)?;
            rest = tail;
            Ok(head)
        };
        Ok(Scratch {
            gates: take(l.s_state - l.s_gates)?,
            state: take(l.s_cell - l.s_state)?,
            cell: take(l.s_z - l.s_cell)?,
            z: take(l.s_act - l.s_z)?,
            act: take(l.s_hw - l.s_act)?,
            hw: take(l.s_aq - l.s_hw)?,
            aq: as_i16(take(l.scratch_data - l.s_aq)?),
        })
    }
}

/// The floats of a scratch region, as int16 (two per float).
fn as_i16(s: &mut [f32]) -> &mut [i16] {
    // SAFETY: i16 needs less alignment than f32 and has no invalid values; the view covers
    // exactly the bytes of `s` and borrows it mutably for its lifetime.
    unsafe { core::slice::from_raw_parts_mut(s.as_mut_ptr().cast(), 2 * s.len()) }
}

/// Embeds `batch` words of `len` characters. The caller has validated `ids` (length and
/// range) and `out` (length `batch * dim`).
pub(crate) fn embed<B: IsaOps>(
    ops: &B,
    l: &Layout,
    w: &Packed<'_>,
    ids: &[u32],
    len: usize,
    scratch: &mut [f32],
    out: &mut [f32],
) -> Result<(), KernelError> {
    let mut s = Scratch::split(l, scratch)?;
    // A zero-length word still occupies an (empty) chunk of `ids`, so iterate over `out`.
    let mut tile_ids = ids.chunks(MR * len.max(1));
    for out_tile in out.chunks_mut(MR * l.d) {
        let rows = out_tile.len() / l.d;
        let ids_tile = if len == 0 {
            &[][..]
        } else {
            tile_ids.next().ok_or(KernelError::Internal)?
        };
        run_tile(ops, l, w, ids_tile, rows, len, &mut s)?;
        let result: &[f32] = if l.highway { s.hw } else { s.act };
        for (dst, src) in out_tile
            .chunks_exact_mut(l.d)
            .zip(result.chunks_exact(l.dp))
        {
            for (d, &v) in dst.iter_mut().zip(src) {
                *d = v;
            }
        }
    }
    Ok(())
}

/// Runs one tile of `rows` words; leaves the result rows in `s.act` (or `s.hw` with highway).
fn run_tile<B: IsaOps>(
    ops: &B,
    l: &Layout,
    w: &Packed<'_>,
    ids: &[u32],
    rows: usize,
    len: usize,
    s: &mut Scratch<'_>,
) -> Result<(), KernelError> {
    let hp = l.hp;
    for dir in 0..2 {
        s.cell.fill(0.0);
        if len == 0 {
            // No characters: the direction's final hidden state is the zero initial state.
            for row in s.state.chunks_exact_mut(2 * hp) {
                if let Some(h) = row.get_mut(dir * hp..(dir + 1) * hp) {
                    h.fill(0.0);
                }
            }
            continue;
        }
        for step in 0..len {
            let t = if dir == 0 { step } else { len - 1 - step };
            // The initial state is zero, so the first step is the table row alone.
            recurrent_step(ops, l, w, dir, ids, len, t, step == 0, rows, s)?;
            let h_next = s.state.get_mut(dir * hp..).ok_or(KernelError::Internal)?;
            ops.gates(Cells::new(rows, hp, s.gates, s.cell, h_next, 2 * hp)?);
        }
    }
    project(ops, l, w, rows, s)
}

/// The gate pre-activations of step `t` in direction `dir`: each word's table row plus
/// `h · rec` (the product skipped on the first step, whose `h` is zero), into `s.gates`.
#[allow(clippy::too_many_arguments)]
fn recurrent_step<B: IsaOps>(
    ops: &B,
    l: &Layout,
    w: &Packed<'_>,
    dir: usize,
    ids: &[u32],
    len: usize,
    t: usize,
    first: bool,
    rows: usize,
    s: &mut Scratch<'_>,
) -> Result<(), KernelError> {
    let (hp, g4) = (l.hp, l.g4);
    let chars = ids.chunks_exact(len).map(|word| word.get(t).copied());
    match w {
        Packed::F32(w) => float_step(ops, l, w, dir, chars, first, rows, s)?,
        #[cfg(feature = "f16")]
        Packed::F16(w) => float_step(ops, l, w, dir, chars, first, rows, s)?,
        Packed::Int8(w) => {
            for (out, id) in s.gates.chunks_exact_mut(g4).zip(chars) {
                let id = id.ok_or(KernelError::Internal)? as usize;
                dequantize_row(ops, l, w, dir, id, out);
            }
            if !first {
                let h_prev = s.state.get(dir * hp..).ok_or(KernelError::Internal)?;
                // |h| <= 1: h = sigmoid(o) · tanh(c).
                let a = (h_prev, 2 * hp, l.h, Some(1.0));
                product_i8(ops, l, rows, a, &w.rec[dir], &mut *s.gates, g4, s.aq)?;
            }
        }
    }
    Ok(())
}

/// [`recurrent_step`] for float storage: the product starts from the table rows.
#[allow(clippy::too_many_arguments)]
// One call site per storage: inlined, the wasm modules stay inside their byte budget.
#[inline(always)]
fn float_step<B: IsaOps, W: Weight>(
    ops: &B,
    l: &Layout,
    w: &PackedFloat<'_, W>,
    dir: usize,
    chars: impl Iterator<Item = Option<u32>>,
    first: bool,
    rows: usize,
    s: &mut Scratch<'_>,
) -> Result<(), KernelError> {
    let mut init: [&[f32]; MR] = [&[]; MR];
    for (slot, id) in init.iter_mut().zip(chars) {
        *slot = table_row(w.table[dir], l.g4, id)?;
    }
    let h_prev = s.state.get(dir * l.hp..).ok_or(KernelError::Internal)?;
    W::matmul(
        ops,
        Gemm::new(MatmulArgs {
            rows,
            a: h_prev,
            lda: 2 * l.hp,
            k: if first { 0 } else { l.h },
            b: w.rec[dir],
            kb: l.h,
            n: l.g4,
            init,
            out: s.gates,
            ldo: l.g4,
        })?,
    );
    Ok(())
}

/// `out[r] += (rows of a, quantised) · m` for the first `rows` rows; `a` is
/// `(values, stride, width, bound)` as [`quantize_rows`] takes them.
#[allow(clippy::too_many_arguments)]
fn product_i8<B: IsaOps>(
    ops: &B,
    l: &Layout,
    rows: usize,
    (a, lda, k, bound): (&[f32], usize, usize, Option<f32>),
    m: &QMatrix<'_>,
    out: &mut [f32],
    ldo: usize,
    aq: &mut [i16],
) -> Result<(), KernelError> {
    let ascale = quantize_rows(ops, a, lda, k, rows, aq, l.aq_width, bound);
    ops.matmul_i8(QGemm::new(QMatmulArgs {
        rows,
        a: aq,
        lda: l.aq_width,
        k: quad_rows(k),
        b: m.q,
        kb: m.rows,
        scale: m.scale,
        ascale,
        n: ldo,
        out,
        ldo,
    })?);
    Ok(())
}

/// Sets the first `rows` rows (stride `ld`) of `out` to `bias`.
fn fill_rows(out: &mut [f32], ld: usize, rows: usize, bias: &[f32]) {
    for row in out.chunks_mut(ld).take(rows) {
        for (o, &b) in row.iter_mut().zip(bias) {
            *o = b;
        }
    }
}

/// The table row of character `id` (already range-checked by the caller).
fn table_row(table: &[f32], g4: usize, id: Option<u32>) -> Result<&[f32], KernelError> {
    let id = id.ok_or(KernelError::Internal)? as usize;
    id.checked_mul(g4)
        .and_then(|start| table.get(start..start.checked_add(g4)?))
        .ok_or(KernelError::Internal)
}

/// `z = [f | b] · [Pf; Pb] + bias`, `relu`, then the optional highway mix.
fn project<B: IsaOps>(
    ops: &B,
    l: &Layout,
    w: &Packed<'_>,
    rows: usize,
    s: &mut Scratch<'_>,
) -> Result<(), KernelError> {
    let dp = l.dp;
    match w {
        Packed::F32(w) => project_float(ops, l, w, rows, s)?,
        #[cfg(feature = "f16")]
        Packed::F16(w) => project_float(ops, l, w, rows, s)?,
        Packed::Int8(w) => {
            fill_rows(s.z, dp, rows, w.bias);
            let a = (&*s.state, 2 * l.hp, 2 * l.hp, Some(1.0));
            product_i8(ops, l, rows, a, &w.proj, &mut *s.z, dp, s.aq)?;
        }
    }
    // Only the tile's rows: the elementwise ops need not touch stale rows.
    let n = rows * dp;
    ops.relu(s.z.get(..n).ok_or(KernelError::Internal)?, s.act);
    let has_highway = match w {
        Packed::F32(w) => highway_float(ops, l, w, rows, s)?,
        #[cfg(feature = "f16")]
        Packed::F16(w) => highway_float(ops, l, w, rows, s)?,
        Packed::Int8(w) => highway_i8(ops, l, w, rows, s)?,
    };
    if has_highway {
        ops.highway(s.hw, s.act, s.z.get(..n).ok_or(KernelError::Internal)?);
    }
    Ok(())
}

fn project_float<B: IsaOps, W: Weight>(
    ops: &B,
    l: &Layout,
    w: &PackedFloat<'_, W>,
    rows: usize,
    s: &mut Scratch<'_>,
) -> Result<(), KernelError> {
    let args = MatmulArgs {
        rows,
        a: s.state,
        lda: 2 * l.hp,
        k: 2 * l.hp,
        b: w.proj,
        kb: 2 * l.hp,
        n: l.dp,
        init: [w.bias; MR],
        out: s.z,
        ldo: l.dp,
    };
    W::matmul(ops, Gemm::new(args)?);
    Ok(())
}

/// The highway's pre-activation `relu(z) · Wh + bh` into `s.hw`; false without a highway.
fn highway_float<B: IsaOps, W: Weight>(
    ops: &B,
    l: &Layout,
    w: &PackedFloat<'_, W>,
    rows: usize,
    s: &mut Scratch<'_>,
) -> Result<bool, KernelError> {
    let Some((hw_w, hw_b)) = w.highway else {
        return Ok(false);
    };
    let args = MatmulArgs {
        rows,
        a: s.act,
        lda: l.dp,
        k: l.d,
        b: hw_w,
        kb: l.d,
        n: l.dp,
        init: [hw_b; MR],
        out: s.hw,
        ldo: l.dp,
    };
    W::matmul(ops, Gemm::new(args)?);
    Ok(true)
}

/// As [`highway_float`]; `relu(z)` is unbounded, so each row gets its own activation scale.
fn highway_i8<B: IsaOps>(
    ops: &B,
    l: &Layout,
    w: &PackedInt8<'_>,
    rows: usize,
    s: &mut Scratch<'_>,
) -> Result<bool, KernelError> {
    let Some((hw, hw_b)) = &w.highway else {
        return Ok(false);
    };
    fill_rows(s.hw, l.dp, rows, hw_b);
    let a = (&*s.act, l.dp, l.d, None);
    product_i8(ops, l, rows, a, hw, &mut *s.hw, l.dp, s.aq)?;
    Ok(true)
}
