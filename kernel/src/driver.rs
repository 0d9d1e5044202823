//! The ISA-independent loop: tiles of up to [`MR`] words, each run through the forward LSTM,
//! the backward LSTM and the projection (+ highway) before the next tile starts. Working on
//! one tile at a time keeps scratch constant-size and the tile's state hot in L1, while the
//! weights stream once per tile step and are shared by all of the tile's words.

use crate::dims::{align_offset, Layout, MR};
use crate::isa_ops::{Cells, Gemm, IsaOps, MatmulArgs};
use crate::pack::Packed;
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
            hw: take(l.scratch_data - l.s_hw)?,
        })
    }
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
    let (hp, g4) = (l.hp, l.g4);
    for dir in 0..2 {
        let (table, rec) = (w.table[dir], w.rec[dir]);
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
            let mut init: [&[f32]; MR] = [&[]; MR];
            for (slot, word) in init.iter_mut().zip(ids.chunks_exact(len)) {
                *slot = table_row(table, g4, word.get(t).copied())?;
            }
            // The initial state is zero, so the first step is the table row alone (k = 0).
            let k = if step == 0 { 0 } else { l.h };
            let h_prev = s.state.get(dir * hp..).ok_or(KernelError::Internal)?;
            ops.matmul(Gemm::new(MatmulArgs {
                rows,
                a: h_prev,
                lda: 2 * hp,
                k,
                b: rec,
                kb: l.h,
                n: g4,
                init,
                out: s.gates,
                ldo: g4,
            })?);
            let h_next = s.state.get_mut(dir * hp..).ok_or(KernelError::Internal)?;
            ops.gates(Cells::new(rows, hp, s.gates, s.cell, h_next, 2 * hp)?);
        }
    }
    project(ops, l, w, rows, s)
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
    let (hp, dp) = (l.hp, l.dp);
    ops.matmul(Gemm::new(MatmulArgs {
        rows,
        a: s.state,
        lda: 2 * hp,
        k: 2 * hp,
        b: w.proj,
        kb: 2 * hp,
        n: dp,
        init: [w.bias; MR],
        out: s.z,
        ldo: dp,
    })?);
    // Only the tile's rows: the elementwise ops need not touch stale rows.
    let n = rows * dp;
    let z = s.z.get(..n).ok_or(KernelError::Internal)?;
    ops.relu(z, s.act);
    if let Some((hw_w, hw_b)) = w.highway {
        ops.matmul(Gemm::new(MatmulArgs {
            rows,
            a: s.act,
            lda: dp,
            k: l.d,
            b: hw_w,
            kb: l.d,
            n: dp,
            init: [hw_b; MR],
            out: s.hw,
            ldo: dp,
        })?);
        ops.highway(s.hw, s.act, z);
    }
    Ok(())
}
