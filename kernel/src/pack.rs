//! Conversion from the ONNX file's weight layout to the kernel's ([`pack`]), and the read-only
//! views of a packed buffer the driver uses ([`Packed`]).

use crate::dims::{align_offset, panel_index, FloatLayout, Layout, ALIGN, INT8_TAG};
#[cfg(feature = "f16")]
use crate::f16::{PackedF16, F16_TAG};
use crate::int8::PackedInt8;
use crate::isa_ops::Weight;
use crate::layout::LstmDirection;
use crate::{Dims, KernelError};

/// Weights in the ONNX file's layout (already `f32`): direction 0 = forward, 1 = backward.
/// LSTM gate order is ONNX's `i, o, f, c`.
#[derive(Clone, Copy, Debug)]
pub struct OnnxWeights<'a> {
    /// Character embeddings `[vocab, char_dim]`.
    pub chars: &'a [f32],
    /// Input weights `W` `[2, 4H, char_dim]`.
    pub w: &'a [f32],
    /// Recurrent weights `R` `[2, 4H, H]`.
    pub r: &'a [f32],
    /// Biases `[2, 8H]`: `Wb` then `Rb` per direction.
    pub b: &'a [f32],
    /// `[H, dim]`, applied as `f · Pf`.
    pub proj_forward: &'a [f32],
    /// `[H, dim]`, applied as `b · Pb`.
    pub proj_backward: &'a [f32],
    /// `[dim]`.
    pub proj_bias: &'a [f32],
    /// Highway `(Wh [dim, dim] applied as h · Wh, bh [dim])`; `Some` exactly when
    /// `dims.highway`.
    pub highway: Option<(&'a [f32], &'a [f32])>,
}

/// Writes the kernel's layout of `weights` into `out` (`out.len() == dims.packed_len()`).
///
/// The input projection is folded into per-character tables,
/// `T_dir[c] = E[c] · W_dir^T + Wb_dir + Rb_dir`, computed in `f64` and rounded once: an exact
/// reparametrisation (the LSTM only ever sees `E[c]` through `W`), so at run time a step
/// starts from a table row instead of a `char_dim x 4H` product. Recurrent weights are
/// transposed to k-major rows, every hidden/output block is zero-padded to a multiple of
/// 8 columns, and the matrices the kernel multiplies by are stored as 16-column panels;
/// the padding must be zero, which is why `out` is cleared first.
///
/// `out[0]` records where the data starts: 1 to 16 floats in, on a 64-byte boundary of
/// `out`. Keep the kernel on this buffer: a copy at another alignment still gives the same
/// results but its weight loads straddle cache lines (the one-word path gets ~1.5x slower).
pub fn pack(dims: &Dims, weights: &OnnxWeights<'_>, out: &mut [f32]) -> Result<(), KernelError> {
    let l = dims.layout()?;
    check_lengths(&l, weights, l.f32.packed_len, out.len())?;
    let regions = RegionsMut::after_header(out, 0)?;
    pack_float(&l, &l.f32, weights, regions, |m| m, |x| x)
}

/// Writes a float layout's regions: the tables and biases at f32, the matrices through
/// `matrix` (a region's floats as the stored weights) and `store` (one value, converted).
pub(crate) fn pack_float<'a, W: Weight>(
    l: &Layout,
    f: &FloatLayout,
    weights: &OnnxWeights<'_>,
    mut regions: RegionsMut<'a>,
    matrix: fn(&'a mut [f32]) -> &'a mut [W],
    store: fn(f32) -> W,
) -> Result<(), KernelError> {
    let floats = |n: usize| n.div_ceil(f.per_float);
    // Regions are taken in layout order: both tables, then both recurrent matrices.
    let tables = [
        regions.take(f.table[0], l.vocab * l.g4)?,
        regions.take(f.table[1], l.vocab * l.g4)?,
    ];
    let recs = [
        matrix(regions.take(f.rec[0], floats(l.h * l.g4))?),
        matrix(regions.take(f.rec[1], floats(l.h * l.g4))?),
    ];
    for (dir, (table, rec)) in tables.into_iter().zip(recs).enumerate() {
        let d = LstmDirection::of((weights.w, weights.r, weights.b), dir, l.char_dim, l.h)
            .ok_or(KernelError::Internal)?;
        input_table(l, weights.chars, &d, table);
        recurrent(l, d.r, rec, store);
    }

    let proj = matrix(regions.take(f.proj, floats(2 * l.hp * l.dq))?);
    to_panels(weights.proj_forward, l.d, 2 * l.hp, 0, proj, store);
    to_panels(weights.proj_backward, l.d, 2 * l.hp, l.hp, proj, store);
    copy(weights.proj_bias, regions.take(f.bias, l.dp)?);

    if let Some((wh, bh)) = weights.highway {
        let hw_w = matrix(regions.take(f.hw_w, floats(l.d * l.dq))?);
        to_panels(wh, l.d, l.d, 0, hw_w, store);
        copy(bh, regions.take(f.hw_b, l.dp)?);
    }
    Ok(())
}

/// Checks every ONNX slice against `l`, and the output buffer against `packed_len`.
pub(crate) fn check_lengths(
    l: &Layout,
    w: &OnnxWeights<'_>,
    packed_len: usize,
    out_len: usize,
) -> Result<(), KernelError> {
    // Layout::new checked that none of these products overflow.
    let (h, d) = (l.h, l.d);
    let expect = |what, expected: usize, got: usize| {
        if expected == got {
            Ok(())
        } else {
            Err(KernelError::LengthMismatch {
                what,
                expected,
                got,
            })
        }
    };
    expect("chars", l.vocab * l.char_dim, w.chars.len())?;
    expect("w", 8 * h * l.char_dim, w.w.len())?;
    expect("r", 8 * h * h, w.r.len())?;
    expect("b", 16 * h, w.b.len())?;
    expect("proj_forward", h * d, w.proj_forward.len())?;
    expect("proj_backward", h * d, w.proj_backward.len())?;
    expect("proj_bias", d, w.proj_bias.len())?;
    match (l.highway, w.highway) {
        (true, Some((wh, bh))) => {
            expect("highway weight", d * d, wh.len())?;
            expect("highway bias", d, bh.len())?;
        }
        (false, None) => {}
        _ => return Err(KernelError::HighwayMismatch),
    }
    expect("packed", packed_len, out_len)
}

/// `T[c][g*Hp + j] = Σ_d E[c][d] · W[g*H + j][d] + Wb[g*H + j] + Rb[g*H + j]`, in f64.
fn input_table(l: &Layout, chars: &[f32], d: &LstmDirection<'_>, table: &mut [f32]) {
    for (e, row) in chars
        .chunks_exact(l.char_dim)
        .zip(table.chunks_exact_mut(l.g4))
    {
        let gates =
            d.w.chunks_exact(l.h * l.char_dim)
                .zip(d.wb.chunks_exact(l.h))
                .zip(d.rb.chunks_exact(l.h));
        for (((w_gate, wb), rb), dst) in gates.zip(row.chunks_exact_mut(l.hp)) {
            let units = w_gate.chunks_exact(l.char_dim).zip(wb).zip(rb);
            for (((w_unit, &wb), &rb), t) in units.zip(dst.iter_mut()) {
                let dot: f64 = e
                    .iter()
                    .zip(w_unit)
                    .map(|(&x, &y)| f64::from(x) * f64::from(y))
                    .sum();
                *t = (dot + f64::from(wb) + f64::from(rb)) as f32;
            }
        }
    }
}

/// `rec[k][g*Hp + j] = R[g*H + j][k]` (panel-major): k-major so that a step is
/// `h · rec`, one broadcast of `h[k]` against a row of gate weights.
fn recurrent<W>(l: &Layout, r: &[f32], rec: &mut [W], store: fn(f32) -> W) {
    for (g, r_gate) in r.chunks_exact(l.h * l.h).enumerate() {
        for (j, r_unit) in r_gate.chunks_exact(l.h).enumerate() {
            for (k, &v) in r_unit.iter().enumerate() {
                if let Some(dst) = rec.get_mut(panel_index(l.h, k, g * l.hp + j)) {
                    *dst = store(v);
                }
            }
        }
    }
}

/// Copies a row-major `[_, width]` matrix into rows `row0..` of a panel-major matrix with
/// `rows` rows.
fn to_panels<W>(
    src: &[f32],
    width: usize,
    rows: usize,
    row0: usize,
    dst: &mut [W],
    store: fn(f32) -> W,
) {
    for (k, src_row) in src.chunks_exact(width).enumerate() {
        for (j, &v) in src_row.iter().enumerate() {
            if let Some(d) = dst.get_mut(panel_index(rows, row0 + k, j)) {
                *d = store(v);
            }
        }
    }
}

fn copy(src: &[f32], dst: &mut [f32]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = s;
    }
}

/// Disjoint mutable regions of the packed data at increasing [`Layout`] offsets, without
/// panicking splits.
pub(crate) struct RegionsMut<'a> {
    rest: &'a mut [f32],
    taken: usize,
}

impl<'a> RegionsMut<'a> {
    /// Clears `out`, writes its header (the data offset plus `tag`: 0 for f32 storage,
    /// `INT8_TAG` for int8, `F16_TAG` for f16) and hands out the regions of the data after
    /// it. The offset puts the data on a 64-byte boundary of `out`.
    pub(crate) fn after_header(out: &'a mut [f32], tag: usize) -> Result<Self, KernelError> {
        out.fill(0.0);
        let off = 1 + align_offset(out.as_ptr().wrapping_add(1));
        let (header, data) = out.split_at_mut_checked(off).ok_or(KernelError::Internal)?;
        if let Some(h) = header.first_mut() {
            *h = (off + tag) as f32;
        }
        Ok(RegionsMut {
            rest: data,
            taken: 0,
        })
    }

    pub(crate) fn take(&mut self, start: usize, len: usize) -> Result<&'a mut [f32], KernelError> {
        let gap = start.checked_sub(self.taken).ok_or(KernelError::Internal)?;
        let rest = core::mem::take(&mut self.rest);
        let (_, rest) = rest
            .split_at_mut_checked(gap)
            .ok_or(KernelError::Internal)?;
        let (head, tail) = rest
            .split_at_mut_checked(len)
            .ok_or(KernelError::Internal)?;
        self.rest = tail;
        self.taken = start + len;
        Ok(head)
    }
}

/// Read-only views of a packed buffer of any storage, split once when the kernel is built.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Packed<'a> {
    F32(PackedF32<'a>),
    #[cfg(feature = "f16")]
    F16(PackedF16<'a>),
    Int8(PackedInt8<'a>),
}

/// Read-only views of a float packed buffer: f32 tables and biases, matrices of `W`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PackedFloat<'a, W> {
    /// `[vocab][4Hp]` per direction.
    pub table: [&'a [f32]; 2],
    /// `[H][4Hp]` per direction, panel-major.
    pub rec: [&'a [W]; 2],
    /// `[2Hp][Dp]`, panel-major.
    pub proj: &'a [W],
    /// `[Dp]`.
    pub bias: &'a [f32],
    /// `([dim][Dp]` panel-major, `[Dp])`.
    pub highway: Option<(&'a [W], &'a [f32])>,
}

/// Read-only views of an f32 packed buffer.
pub(crate) type PackedF32<'a> = PackedFloat<'a, f32>;

impl<'a> Packed<'a> {
    /// Splits `packed`, which must start with the header `pack`, `pack_f16` or `pack_int8`
    /// wrote and hold exactly the matching storage's length.
    pub fn split(l: &Layout, packed: &'a [f32]) -> Result<Self, KernelError> {
        let header = packed.first().copied().unwrap_or(0.0);
        let tag = header as usize;
        if tag as f32 != header {
            return Err(KernelError::NotPacked);
        }
        // The tag's base says the storage; the rest is the data offset, 1..=ALIGN.
        let within = |base: usize| tag > base && tag <= base + ALIGN;
        let (base, expected) = match tag {
            _ if within(0) => (0, l.f32.packed_len),
            _ if within(INT8_TAG) => (INT8_TAG, l.q.packed_len),
            #[cfg(feature = "f16")]
            _ if within(F16_TAG) => (F16_TAG, l.f16.packed_len),
            _ => return Err(KernelError::NotPacked),
        };
        let off = tag - base;
        if packed.len() != expected {
            return Err(KernelError::LengthMismatch {
                what: "packed",
                expected,
                got: packed.len(),
            });
        }
        let data = packed.get(off..).ok_or(KernelError::Internal)?;
        Ok(match base {
            0 => Packed::F32(PackedFloat::split(l, &l.f32, data, |m| m)?),
            #[cfg(feature = "f16")]
            F16_TAG => Packed::F16(PackedFloat::split(l, &l.f16, data, crate::f16::as_f16)?),
            _ => Packed::Int8(PackedInt8::split(l, data)?),
        })
    }
}

impl<'a, W> PackedFloat<'a, W> {
    /// Splits the data of a float packed buffer (after its header); `matrix` views a
    /// matrix region's floats as its weights.
    // Inlined: one call site per storage, and wasm modules count every byte.
    #[inline(always)]
    fn split(
        l: &Layout,
        f: &FloatLayout,
        data: &'a [f32],
        matrix: fn(&'a [f32]) -> &'a [W],
    ) -> Result<Self, KernelError> {
        let region = |start: usize, len: usize| {
            start
                .checked_add(len)
                .and_then(|end| data.get(start..end))
                .ok_or(KernelError::Internal)
        };
        // A matrix of `n` values; the region holds `n / per_float` floats, rounded up.
        let weights = |start: usize, n: usize| {
            let w = matrix(region(start, n.div_ceil(f.per_float))?);
            w.get(..n).ok_or(KernelError::Internal)
        };
        let table_len = l.vocab * l.g4;
        let rec_len = l.h * l.g4;
        Ok(PackedFloat {
            table: [
                region(f.table[0], table_len)?,
                region(f.table[1], table_len)?,
            ],
            rec: [weights(f.rec[0], rec_len)?, weights(f.rec[1], rec_len)?],
            proj: weights(f.proj, 2 * l.hp * l.dq)?,
            bias: region(f.bias, l.dp)?,
            highway: if l.highway {
                Some((weights(f.hw_w, l.d * l.dq)?, region(f.hw_b, l.dp)?))
            } else {
                None
            },
        })
    }
}
