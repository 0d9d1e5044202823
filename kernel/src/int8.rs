//! int8 storage: [`pack_int8`] (the ONNX weights into int8 with f32 scales), the read-only
//! views of such a buffer ([`PackedInt8`]), and the two conversions the driver makes around
//! an int8 product: table rows back to f32, activations to int16.
//!
//! Why int16 activations and int32 sums: the product is then exact integer arithmetic that
//! every ISA has a pairwise multiply-add for (`pmaddwd`, `smlad`, `i32x4.dot_i16x8`), and
//! activations lose almost nothing (the LSTM's hidden state lies in [-1, 1], quantised in
//! steps of 1/32767). The weights carry the int8 error alone.

use crate::dims::{quad_index, quad_rows, Layout, INT8_TAG, MR};
use crate::isa_ops::IsaOps;
use crate::layout::LstmDirection;
use crate::pack::{check_lengths, RegionsMut};
use crate::{Dims, KernelError, OnnxWeights};

/// Largest int8 magnitude the packer writes (symmetric: -127..=127).
const QMAX: f64 = 127.0;

/// An int8 matrix in quad-panel layout (`dims::quad_index`) with one scale per column.
#[derive(Clone, Copy, Debug)]
pub(crate) struct QMatrix<'a> {
    pub q: &'a [i8],
    pub scale: &'a [f32],
    /// Stored rows (a multiple of 4).
    pub rows: usize,
}

/// Read-only views of an int8 packed buffer (see `dims::Int8Layout`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PackedInt8<'a> {
    pub table_q: [&'a [i8]; 2],
    pub table_s: [&'a [f32]; 2],
    pub rec: [QMatrix<'a>; 2],
    pub proj: QMatrix<'a>,
    pub bias: &'a [f32],
    pub highway: Option<(QMatrix<'a>, &'a [f32])>,
}

/// The bytes of a float buffer, as int8 (four per float, in memory order).
pub(crate) fn as_i8(s: &[f32]) -> &[i8] {
    // SAFETY: i8 has alignment 1 and no invalid values; the view covers exactly the bytes of
    // `s` and borrows it for its lifetime.
    unsafe { core::slice::from_raw_parts(s.as_ptr().cast(), core::mem::size_of_val(s)) }
}

fn as_i8_mut(s: &mut [f32]) -> &mut [i8] {
    // SAFETY: as `as_i8`, and every i8 pattern written leaves valid (if meaningless) f32 bits.
    unsafe { core::slice::from_raw_parts_mut(s.as_mut_ptr().cast(), core::mem::size_of_val(s)) }
}

/// Writes the int8 layout of `weights` into `out` (`out.len() == dims.packed_len_int8()`).
///
/// Every matrix the kernel multiplies by gets one symmetric scale per output column
/// (`max |column| / 127`); the per-character tables (the f32 packer's
/// `E[c]·W^T + Wb + Rb`, computed in f64) get one scale per character and gate block. The
/// biases stay f32. Like [`crate::pack`], `out[0]` records where the data starts, here
/// tagged as int8, so [`crate::Kernel::new`] tells the two storages apart.
pub fn pack_int8(
    dims: &Dims,
    weights: &OnnxWeights<'_>,
    out: &mut [f32],
) -> Result<(), KernelError> {
    let l = dims.layout()?;
    check_lengths(&l, weights, l.q.packed_len, out.len())?;
    let q = &l.q;
    let mut regions = RegionsMut::after_header(out, INT8_TAG)?;
    let bytes = |rows: usize, cols: usize| (rows * cols).div_ceil(4);
    for dir in 0..2 {
        let d = LstmDirection::of((weights.w, weights.r, weights.b), dir, l.char_dim, l.h)
            .ok_or(KernelError::Internal)?;
        let table_q = regions.take(q.table_q[dir], bytes(l.vocab, l.g4))?;
        let table_s = regions.take(q.table_s[dir], l.vocab * 4)?;
        input_table(&l, weights.chars, &d, as_i8_mut(table_q), table_s);
        let rec_q = regions.take(q.rec_q[dir], bytes(quad_rows(l.h), l.g4))?;
        let rec_s = regions.take(q.rec_s[dir], l.g4)?;
        for g in 0..4 {
            for j in 0..l.h {
                let unit =
                    d.r.get((g * l.h + j) * l.h..)
                        .ok_or(KernelError::Internal)?;
                let column = |k: usize| unit.get(k).copied();
                quantize_column(l.h, g * l.hp + j, column, as_i8_mut(rec_q), rec_s);
            }
        }
    }
    let proj_q = regions.take(q.proj_q, bytes(2 * l.hp, l.dq))?;
    let proj_s = regions.take(q.proj_s, l.dq)?;
    for j in 0..l.d {
        // Rows 0..H are `Pf`, rows Hp..Hp+H are `Pb`; the padding rows between stay zero.
        let column = |k: usize| match k {
            k if k < l.h => weights.proj_forward.get(k * l.d + j).copied(),
            k if k >= l.hp && k < l.hp + l.h => {
                weights.proj_backward.get((k - l.hp) * l.d + j).copied()
            }
            _ => Some(0.0),
        };
        quantize_column(2 * l.hp, j, column, as_i8_mut(proj_q), proj_s);
    }
    copy(weights.proj_bias, regions.take(q.bias, l.dp)?);
    if let Some((wh, bh)) = weights.highway {
        let hw_q = regions.take(q.hw_q, bytes(quad_rows(l.d), l.dq))?;
        let hw_s = regions.take(q.hw_s, l.dq)?;
        for j in 0..l.d {
            let column = |k: usize| wh.get(k * l.d + j).copied();
            quantize_column(l.d, j, column, as_i8_mut(hw_q), hw_s);
        }
        copy(bh, regions.take(q.hw_b, l.dp)?);
    }
    Ok(())
}

/// The value `x / scale` rounds to, within the symmetric int8 range.
fn quantize(x: f64, scale: f32) -> i8 {
    if scale == 0.0 {
        return 0;
    }
    let r = (x / f64::from(scale)).clamp(-QMAX, QMAX);
    // Half away from zero; `as` saturates and the clamp keeps it within -127..=127.
    (if r >= 0.0 { r + 0.5 } else { r - 0.5 }) as i8
}

/// The symmetric scale for values whose largest magnitude is `max`.
fn scale_for(max: f64) -> f32 {
    (max / QMAX) as f32
}

/// Quantises column `col` (`rows` values, `column(k)`) of a quad-panel matrix into `q`, its
/// scale into `scales[col]`. A missing value (a short slice) reads as 0: lengths were checked.
fn quantize_column(
    rows: usize,
    col: usize,
    column: impl Fn(usize) -> Option<f32>,
    q: &mut [i8],
    scales: &mut [f32],
) {
    let value = |k: usize| f64::from(column(k).unwrap_or(0.0));
    let max = (0..rows).map(|k| value(k).abs()).fold(0.0, f64::max);
    let scale = scale_for(max);
    if let Some(s) = scales.get_mut(col) {
        *s = scale;
    }
    for k in 0..rows {
        if let Some(dst) = q.get_mut(quad_index(rows, k, col)) {
            *dst = quantize(value(k), scale);
        }
    }
}

/// The int8 character tables: each f32 table row (see [`crate::pack`]) with one scale per gate
/// block. Computed twice per entry (once for the block's largest value, once to quantise) so
/// that packing needs no buffer.
fn input_table(l: &Layout, chars: &[f32], d: &LstmDirection<'_>, q: &mut [i8], s: &mut [f32]) {
    let entry = |e: &[f32], unit: usize| -> f64 {
        let w =
            d.w.get(unit * l.char_dim..(unit + 1) * l.char_dim)
                .unwrap_or(&[]);
        let dot: f64 = e
            .iter()
            .zip(w)
            .map(|(&x, &y)| f64::from(x) * f64::from(y))
            .sum();
        dot + f64::from(d.wb.get(unit).copied().unwrap_or(0.0))
            + f64::from(d.rb.get(unit).copied().unwrap_or(0.0))
    };
    let rows = chars.chunks_exact(l.char_dim).zip(q.chunks_exact_mut(l.g4));
    for ((e, row), scales) in rows.zip(s.chunks_exact_mut(4)) {
        for ((g, block), scale) in row.chunks_exact_mut(l.hp).enumerate().zip(scales) {
            let max = (0..l.h)
                .map(|j| entry(e, g * l.h + j).abs())
                .fold(0.0, f64::max);
            *scale = scale_for(max);
            for (j, dst) in block.iter_mut().take(l.h).enumerate() {
                *dst = quantize(entry(e, g * l.h + j), *scale);
            }
        }
    }
}

fn copy(src: &[f32], dst: &mut [f32]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = s;
    }
}

impl<'a> PackedInt8<'a> {
    /// Splits the data of an int8 packed buffer (after its header, `data` starting at the
    /// aligned offset).
    #[inline(always)]
    pub fn split(l: &Layout, data: &'a [f32]) -> Result<Self, KernelError> {
        let q = &l.q;
        let region = |start: usize, len: usize| {
            start
                .checked_add(len)
                .and_then(|end| data.get(start..end))
                .ok_or(KernelError::Internal)
        };
        let bytes = |start: usize, rows: usize, cols: usize| {
            let n = rows * cols;
            Ok::<_, KernelError>(&as_i8(region(start, n.div_ceil(4))?)[..n])
        };
        let matrix = |qs: usize, ss: usize, rows: usize, cols: usize| {
            Ok::<_, KernelError>(QMatrix {
                q: bytes(qs, quad_rows(rows), cols)?,
                scale: region(ss, cols)?,
                rows: quad_rows(rows),
            })
        };
        let dir = |i: usize| {
            Ok::<_, KernelError>((
                bytes(q.table_q[i], l.vocab, l.g4)?,
                region(q.table_s[i], l.vocab * 4)?,
                matrix(q.rec_q[i], q.rec_s[i], l.h, l.g4)?,
            ))
        };
        let (d0, d1) = (dir(0)?, dir(1)?);
        Ok(PackedInt8 {
            table_q: [d0.0, d1.0],
            table_s: [d0.1, d1.1],
            rec: [d0.2, d1.2],
            proj: matrix(q.proj_q, q.proj_s, 2 * l.hp, l.dq)?,
            bias: region(q.bias, l.dp)?,
            highway: if l.highway {
                Some((matrix(q.hw_q, q.hw_s, l.d, l.dq)?, region(q.hw_b, l.dp)?))
            } else {
                None
            },
        })
    }
}

/// Character `id`'s table row, back to f32: `out[g*Hp + j] = q[g*Hp + j] · scale[g]`.
pub(crate) fn dequantize_row<B: IsaOps>(
    ops: &B,
    l: &Layout,
    w: &PackedInt8<'_>,
    dir: usize,
    id: usize,
    out: &mut [f32],
) {
    let q = w.table_q[dir]
        .get(id * l.g4..(id + 1) * l.g4)
        .unwrap_or(&[]);
    let s = w.table_s[dir].get(id * 4..id * 4 + 4).unwrap_or(&[]);
    let blocks = out.chunks_exact_mut(l.hp).zip(q.chunks_exact(l.hp)).zip(s);
    for ((block, qb), &scale) in blocks {
        ops.dequantize(qb, scale, block);
    }
}

/// Largest |activation| for a product of depth `k`: keeps `k · 128 · max < 2^31`, so the
/// int32 sums cannot overflow whatever the weights (32767 up to `k = 512`).
pub(crate) fn act_max(k: usize) -> f32 {
    let bound = i32::MAX as u64 / (128 * k.max(1) as u64);
    bound.min(i16::MAX as u64) as f32
}

/// Quantises `rows` rows of `src` (stride `lds`, the first `k` values) into int16 rows of
/// `dst` (stride `ldq`), for a product of depth `quad_rows(k)`; values past `k` become 0.
/// With `bound = Some(b)`, the rows are known to lie in `[-b, b]` and share the scale
/// `b / act_max`; otherwise each row gets its own (`max |row| / act_max`). Returns the
/// per-row scales. Per row, the result depends on that row alone.
#[allow(clippy::too_many_arguments)]
pub(crate) fn quantize_rows<B: IsaOps>(
    ops: &B,
    src: &[f32],
    lds: usize,
    k: usize,
    rows: usize,
    dst: &mut [i16],
    ldq: usize,
    bound: Option<f32>,
) -> [f32; MR] {
    let amax = act_max(quad_rows(k));
    let mut scales = [0.0; MR];
    let src_rows = src.chunks(lds).zip(dst.chunks_mut(ldq)).take(rows);
    for ((s, d), scale) in src_rows.zip(scales.iter_mut()) {
        let s = s.get(..k).unwrap_or(&[]);
        let max = bound.unwrap_or_else(|| s.iter().fold(0.0, |m: f32, x| m.max(x.abs())));
        let (to_int, from_int) = if max > 0.0 && max.is_finite() {
            (amax / max, max / amax)
        } else {
            (0.0, 0.0)
        };
        *scale = from_int;
        // The quad's padding first: an ISA may store a quad's four values in another order.
        for q in d.iter_mut().take(quad_rows(k)).skip(k / 4 * 4) {
            *q = 0;
        }
        ops.quantize(s, to_int, amax, d);
    }
    scales
}
