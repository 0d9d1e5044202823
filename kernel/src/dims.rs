//! Model shape ([`Dims`]) and the offsets it implies ([`Layout`]) for the packed weights and
//! the scratch buffer. All size arithmetic is checked here, once, so the rest of the crate
//! can slice with offsets that are known to fit.

use crate::KernelError;

/// Columns are padded to a multiple of this many `f32`: one AVX2 register, two NEON ones.
/// Padding with zero weights keeps padded hidden units exactly 0, so they never leak.
pub(crate) const LANES: usize = 8;

/// Columns per weight panel: the matmul's right-hand operands are stored as contiguous
/// panels of this many columns (see `isa_ops::Gemm`). Two AVX2 registers, one AVX-512
/// register (so one layout serves every ISA), four NEON ones.
pub(crate) const PANEL: usize = 16;

/// Alignment, in `f32`, of every region of the packed weights and of the scratch: 64 bytes,
/// one cache line. A 64-byte weight panel row that straddles two lines costs split loads
/// and twice the line traffic, which slows the one-word path by half.
pub(crate) const ALIGN: usize = 16;

/// Added to the header of an int8 packed buffer: `packed[0]` is the data offset (1..=16) for
/// f32 storage and the offset plus this for int8, so a kernel knows what it was given.
pub(crate) const INT8_TAG: usize = 32;

/// Number of `f32` from `ptr` to the next 64-byte boundary (0 if already aligned).
pub(crate) fn align_offset(ptr: *const f32) -> usize {
    ptr.align_offset(ALIGN * core::mem::size_of::<f32>())
        .min(ALIGN - 1)
}

/// Words per tile. The driver runs each tile of up to `MR` words through both directions and
/// the projection before moving on, so scratch size depends on `MR`, never on the batch.
/// Six rows fill the 6x16 AVX2 register tile (12 accumulators) and the 6x64 AVX-512 one (24).
pub(crate) const MR: usize = 6;

/// Shape of one sublex character model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dims {
    /// Number of character ids; every id given to `embed` must be `< vocab`.
    pub vocab: usize,
    /// Width of a character embedding (the LSTM input size).
    pub char_dim: usize,
    /// LSTM hidden size `H` of each direction.
    pub hidden: usize,
    /// Output embedding width.
    pub dim: usize,
    /// Whether the model ends with a highway layer (paper eq. 3).
    pub highway: bool,
}

impl Dims {
    /// `hidden` rounded up to a multiple of 8 (100 -> 104): the kernel's gate block width.
    /// Saturates at `usize::MAX` on overflow (such dims are rejected by [`Dims::validate`]).
    pub fn padded_hidden(&self) -> usize {
        round_up(self.hidden).unwrap_or(usize::MAX)
    }

    /// `dim` rounded up to a multiple of 8: the row width of the projection and highway.
    pub fn padded_dim(&self) -> usize {
        round_up(self.dim).unwrap_or(usize::MAX)
    }

    /// Number of `f32` in the packed weight buffer [`pack`](crate::pack) writes.
    /// `usize::MAX` when the dims are invalid (check with [`Dims::validate`]).
    pub fn packed_len(&self) -> usize {
        self.layout().map_or(usize::MAX, |l| l.f32.packed_len)
    }

    /// Number of `f32` in the int8 packed buffer [`pack_int8`](crate::pack_int8) writes (the
    /// int8 values four to a float). `usize::MAX` when the dims are invalid.
    pub fn packed_len_int8(&self) -> usize {
        self.layout().map_or(usize::MAX, |l| l.q.packed_len)
    }

    /// Number of `f32` in the f16 packed buffer [`pack_f16`](crate::pack_f16) writes (its
    /// matrices' f16 values two to a float). `usize::MAX` when the dims are invalid.
    #[cfg(feature = "f16")]
    pub fn packed_len_f16(&self) -> usize {
        self.layout().map_or(usize::MAX, |l| l.f16.packed_len)
    }

    /// Number of `f32` of scratch `embed` needs, whatever the storage. Depends only on the dims: not on the batch
    /// size nor on the word length. `usize::MAX` when the dims are invalid.
    pub fn scratch_len(&self) -> usize {
        self.layout().map_or(usize::MAX, |l| l.scratch_len)
    }

    /// Checks that every size is non-zero (`vocab` may be 0) and that all derived buffer
    /// sizes fit in `usize`.
    pub fn validate(&self) -> Result<(), KernelError> {
        self.layout().map(|_| ())
    }

    pub(crate) fn layout(&self) -> Result<Layout, KernelError> {
        Layout::new(self)
    }
}

/// Position of `b[row][col]` in a panel-major matrix of `rows` rows (see `isa_ops::Gemm`).
pub(crate) fn panel_index(rows: usize, row: usize, col: usize) -> usize {
    (col / PANEL) * rows * PANEL + row * PANEL + col % PANEL
}

/// Position of `b[row][col]` in an int8 quad-panel matrix of `rows` rows (see
/// `isa_ops::QGemm`): panels of [`PANEL`] columns, each a run of 64-byte lines holding four
/// consecutive rows of all its columns, column-major within the line.
pub(crate) fn quad_index(rows: usize, row: usize, col: usize) -> usize {
    let rows = quad_rows(rows);
    (col / PANEL) * rows * PANEL + (row / 4) * 4 * PANEL + (col % PANEL) * 4 + row % 4
}

/// `rows` rounded up to a multiple of 4: the depth an int8 product runs over.
pub(crate) fn quad_rows(rows: usize) -> usize {
    rows.div_ceil(4) * 4
}

fn round_up(n: usize) -> Option<usize> {
    n.div_ceil(LANES).checked_mul(LANES)
}

/// Floats that hold `bytes` int8 values.
fn floats_for_bytes(bytes: Option<usize>) -> Option<usize> {
    bytes.map(|b| b.div_ceil(4))
}

/// Hands out consecutive regions of a buffer, each starting on an [`ALIGN`] boundary,
/// with overflow checks.
struct Regions {
    next: usize,
}

impl Regions {
    fn take(&mut self, len: Option<usize>) -> Result<usize, KernelError> {
        let overflow = KernelError::InvalidDims("buffer size overflows usize");
        let start = self
            .next
            .div_ceil(ALIGN)
            .checked_mul(ALIGN)
            .ok_or(overflow)?;
        self.next = len.and_then(|len| start.checked_add(len)).ok_or(overflow)?;
        Ok(start)
    }

    /// Total length, plus `slack` floats so the regions can be shifted to an aligned start.
    fn len_with_slack(&self, slack: usize) -> Result<usize, KernelError> {
        self.next
            .checked_add(slack)
            .ok_or(KernelError::InvalidDims("buffer size overflows usize"))
    }
}

/// Every size and offset the kernel uses, derived from [`Dims`] with checked arithmetic.
///
/// Packed buffer (f32 storage; int8 storage is [`Int8Layout`], its header `off + INT8_TAG`):
/// `packed[0]` holds the offset `off` (1..=16) of the data, chosen by
/// [`crate::pack`] so the data starts on a 64-byte boundary of the buffer it writes;
/// from there come these regions, each 64-byte aligned, all padding zero:
/// - `table[dir]`: `[vocab][4Hp]`, per character `E[c]·W_dir^T + Wb_dir + Rb_dir`, gate blocks
///   `i | o | f | c` of `Hp` columns each;
/// - `rec[dir]`: `R_dir^T` as a `[H][4Hp]` matrix (row `k` holds every gate's weight from
///   hidden unit `k`, same column order), stored panel-major: `[4Hp/16][H][16]`;
/// - `proj`: `[2Hp][Dp]` with rows `0..H` = `Pf`, rows `Hp..Hp+H` = `Pb`, panel-major
///   `[Dq/16][2Hp][16]` (`Dq` = `Dp` rounded up to 16); `bias`: `[Dp]`;
/// - with highway: `hw_w`: `Wh` as `[dim][Dp]`, panel-major `[Dq/16][dim][16]`; `hw_b`: `[Dp]`.
///
/// Scratch (one tile of `MR` words): gate pre-activations `[MR][4Hp]`, hidden states
/// `[MR][2Hp]` (forward then backward half, the projection's input), cell `[MR][Hp]`,
/// and three `[MR][Dp]` rows for `z`, `relu(z)` and the highway.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Layout {
    pub vocab: usize,
    pub char_dim: usize,
    pub h: usize,
    pub hp: usize,
    /// `4 * hp`: width of a gate row.
    pub g4: usize,
    pub d: usize,
    pub dp: usize,
    /// `dp` rounded up to a whole [`PANEL`]: the stored width of panel-major matrices.
    pub dq: usize,
    pub highway: bool,

    /// The f32 packed buffer's regions.
    pub f32: FloatLayout,
    /// The f16 packed buffer's regions: the same, with f16 matrices.
    #[cfg(feature = "f16")]
    pub f16: FloatLayout,

    pub s_gates: usize,
    pub s_state: usize,
    pub s_cell: usize,
    pub s_z: usize,
    pub s_act: usize,
    pub s_hw: usize,
    /// `[MR][aq_width]` i16 activations of an int8 product, two to a float.
    pub s_aq: usize,
    /// Row stride of `s_aq`, in i16: `max(2Hp, Dp)`.
    pub aq_width: usize,
    /// The int8 packed buffer's regions.
    pub q: Int8Layout,
    /// Floats from the (aligned) scratch start to the end of the last region.
    pub scratch_data: usize,
    /// `scratch_data` plus slack to align the caller's buffer.
    pub scratch_len: usize,
}

impl Layout {
    fn new(dims: &Dims) -> Result<Self, KernelError> {
        if dims.char_dim == 0 {
            return Err(KernelError::InvalidDims("char_dim must be > 0"));
        }
        if dims.hidden == 0 {
            return Err(KernelError::InvalidDims("hidden must be > 0"));
        }
        if dims.dim == 0 {
            return Err(KernelError::InvalidDims("dim must be > 0"));
        }
        let overflow = KernelError::InvalidDims("buffer size overflows usize");
        let (h, d) = (dims.hidden, dims.dim);
        let hp = round_up(h).ok_or(overflow)?;
        let dp = round_up(d).ok_or(overflow)?;
        let dq = dp.div_ceil(PANEL).checked_mul(PANEL).ok_or(overflow)?;
        let g4 = hp.checked_mul(4).ok_or(overflow)?;
        let hp2 = hp.checked_mul(2).ok_or(overflow)?;
        // Dims must also describe ONNX slices that fit in memory: [2, 4H, max(char_dim, H)].
        h.checked_mul(8)
            .and_then(|x| x.checked_mul(dims.char_dim.max(h)))
            .and_then(|_| dims.vocab.checked_mul(dims.char_dim))
            .and_then(|_| h.checked_mul(d))
            .and_then(|_| d.checked_mul(d))
            .ok_or(overflow)?;

        let f32 = FloatLayout::new(dims, g4, dq, dp, 1)?;
        #[cfg(feature = "f16")]
        let f16 = FloatLayout::new(dims, g4, dq, dp, 2)?;

        let mut s = Regions { next: 0 };
        let s_gates = s.take(g4.checked_mul(MR))?;
        let s_state = s.take(hp2.checked_mul(MR))?;
        let s_cell = s.take(hp.checked_mul(MR))?;
        let s_z = s.take(dp.checked_mul(MR))?;
        let s_act = s.take(dp.checked_mul(MR))?;
        let s_hw = s.take(dp.checked_mul(MR))?;
        let aq_width = hp2.max(dp);
        let s_aq = s.take(aq_width.checked_mul(MR).map(|n| n / 2))?;
        let q = Int8Layout::new(dims, hp, g4, dq, dp)?;

        Ok(Layout {
            vocab: dims.vocab,
            char_dim: dims.char_dim,
            h,
            hp,
            g4,
            d,
            dp,
            dq,
            highway: dims.highway,
            f32,
            #[cfg(feature = "f16")]
            f16,
            s_gates,
            s_state,
            s_cell,
            s_z,
            s_act,
            s_hw,
            s_aq,
            aq_width,
            q,
            scratch_data: s.next,
            scratch_len: s.len_with_slack(ALIGN - 1)?,
        })
    }
}

/// The regions of a float packed buffer, in floats from the data start (see [`Layout`]):
/// f32 storage ([`crate::pack`]), or f16 ([`crate::pack_f16`]), whose matrices (`rec`,
/// `proj`, `hw_w`) hold two f16 values to a float and whose tables and biases stay f32.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FloatLayout {
    pub table: [usize; 2],
    pub rec: [usize; 2],
    pub proj: usize,
    pub bias: usize,
    pub hw_w: usize,
    pub hw_b: usize,
    /// Data length plus the header/alignment slack (see [`crate::pack`]).
    pub packed_len: usize,
    /// Matrix values per float: 1 (f32) or 2 (f16).
    pub per_float: usize,
}

impl FloatLayout {
    /// `per_float`: matrix values per float (1 for f32, 2 for f16).
    fn new(
        dims: &Dims,
        g4: usize,
        dq: usize,
        dp: usize,
        per_float: usize,
    ) -> Result<Self, KernelError> {
        let (v, h, d) = (dims.vocab, dims.hidden, dims.dim);
        let matrix =
            |rows: usize, cols: usize| rows.checked_mul(cols).map(|n| n.div_ceil(per_float));
        let hp2 = g4 / 2;
        let mut p = Regions { next: 0 };
        let table0 = p.take(v.checked_mul(g4))?;
        let table1 = p.take(v.checked_mul(g4))?;
        let rec0 = p.take(matrix(h, g4))?;
        let rec1 = p.take(matrix(h, g4))?;
        let proj = p.take(matrix(hp2, dq))?;
        let bias = p.take(Some(dp))?;
        let (hw_w, hw_b) = if dims.highway {
            (p.take(matrix(d, dq))?, p.take(Some(dp))?)
        } else {
            (p.next, p.next)
        };
        Ok(FloatLayout {
            table: [table0, table1],
            rec: [rec0, rec1],
            proj,
            bias,
            hw_w,
            hw_b,
            packed_len: p.len_with_slack(ALIGN)?,
            per_float,
        })
    }
}

/// The regions of an int8 packed buffer ([`crate::pack_int8`]), in floats from the data start
/// (each 64-byte aligned; int8 values four to a float, all padding zero):
/// - per direction, `table_q[dir]`: `[vocab][4Hp]` int8, the f32 table's rows quantised with one scale per
///   gate block, `table_s[dir]`: `[vocab][4]` f32;
/// - `rec_q[dir]`: `R_dir^T` (`[H][4Hp]`) as an int8 quad-panel matrix (`dims::quad_index`),
///   `rec_s[dir]`: `[4Hp]` f32, one scale per output column;
/// - `proj_q`: `[2Hp][Dq]` quad-panel, `proj_s`: `[Dq]`, `bias`: `[Dp]`;
/// - with highway: `hw_q`: `[dim][Dq]` quad-panel, `hw_s`: `[Dq]`, `hw_b`: `[Dp]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Int8Layout {
    pub table_q: [usize; 2],
    pub table_s: [usize; 2],
    pub rec_q: [usize; 2],
    pub rec_s: [usize; 2],
    pub proj_q: usize,
    pub proj_s: usize,
    pub bias: usize,
    pub hw_q: usize,
    pub hw_s: usize,
    pub hw_b: usize,
    /// Data length plus the header/alignment slack.
    pub packed_len: usize,
}

impl Int8Layout {
    fn new(dims: &Dims, hp: usize, g4: usize, dq: usize, dp: usize) -> Result<Self, KernelError> {
        let (v, h, d) = (dims.vocab, dims.hidden, dims.dim);
        let bytes = |rows: usize, cols: usize| floats_for_bytes(rows.checked_mul(cols));
        let mut p = Regions { next: 0 };
        // Direction by direction, in the order the packer writes them.
        let table_q0 = p.take(bytes(v, g4))?;
        let table_s0 = p.take(v.checked_mul(4))?;
        let rec_q0 = p.take(bytes(quad_rows(h), g4))?;
        let rec_s0 = p.take(Some(g4))?;
        let table_q1 = p.take(bytes(v, g4))?;
        let table_s1 = p.take(v.checked_mul(4))?;
        let rec_q1 = p.take(bytes(quad_rows(h), g4))?;
        let rec_s1 = p.take(Some(g4))?;
        let proj_q = p.take(bytes(2 * hp, dq))?;
        let proj_s = p.take(Some(dq))?;
        let bias = p.take(Some(dp))?;
        let (hw_q, hw_s, hw_b) = if dims.highway {
            (
                p.take(bytes(quad_rows(d), dq))?,
                p.take(Some(dq))?,
                p.take(Some(dp))?,
            )
        } else {
            (p.next, p.next, p.next)
        };
        Ok(Int8Layout {
            table_q: [table_q0, table_q1],
            table_s: [table_s0, table_s1],
            rec_q: [rec_q0, rec_q1],
            rec_s: [rec_s0, rec_s1],
            proj_q,
            proj_s,
            bias,
            hw_q,
            hw_s,
            hw_b,
            packed_len: p.len_with_slack(ALIGN)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims(h: usize, d: usize, highway: bool) -> Dims {
        Dims {
            vocab: 100,
            char_dim: 100,
            hidden: h,
            dim: d,
            highway,
        }
    }

    #[test]
    fn padding_rounds_to_lanes() {
        assert_eq!(dims(100, 100, false).padded_hidden(), 104);
        assert_eq!(dims(8, 100, false).padded_hidden(), 8);
        assert_eq!(dims(5, 13, false).padded_dim(), 16);
    }

    #[test]
    fn sizes_add_up() {
        let d = dims(100, 100, true);
        // Regions: 2 tables, 2 recurrent, projection, bias (padded to 112), highway.
        let expect = 2 * 100 * 416 + 2 * 100 * 416 + 208 * 112 + 112 + 100 * 112 + 104;
        assert_eq!(d.packed_len(), expect + ALIGN);
        assert_eq!(
            d.scratch_len(),
            MR * (416 + 208 + 104 + 3 * 104 + 208 / 2) + ALIGN - 1
        );
    }

    #[test]
    fn overflow_and_zero_are_rejected() {
        let mut d = dims(usize::MAX, 100, false);
        assert!(d.validate().is_err());
        assert_eq!(d.packed_len(), usize::MAX);
        assert_eq!(d.padded_hidden(), usize::MAX);
        d.hidden = 0;
        assert!(d.validate().is_err());
        d = dims(100, 100, false);
        d.vocab = usize::MAX / 2;
        assert!(d.validate().is_err());
    }
}
