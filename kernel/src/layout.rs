//! The ONNX `LSTM` weight layout, and its one owner in the workspace: `W` `[dirs, 4H, in]`,
//! `R` `[dirs, 4H, H]`, `B` `[dirs, 8H]` (`Wb` then `Rb`), direction 0 forward, gates in the
//! order i, o, f, c. The packer, the f64 reference, the runtime's sentence LSTM and the
//! trainer's conversions all read directions through [`LstmDirection`].

/// One direction's weights, borrowed from the stacked ONNX tensors.
#[derive(Clone, Copy, Debug)]
pub struct LstmDirection<'a> {
    /// `[4H, input]`.
    pub w: &'a [f32],
    /// `[4H, H]`.
    pub r: &'a [f32],
    /// `Wb`, `[4H]`.
    pub wb: &'a [f32],
    /// `Rb`, `[4H]`.
    pub rb: &'a [f32],
    /// Input width.
    pub input: usize,
    /// State width `H`.
    pub hidden: usize,
}

impl<'a> LstmDirection<'a> {
    /// Direction `dir` of stacked `(W, R, B)`; `None` when a tensor is too short.
    pub fn of(
        (w, r, b): (&'a [f32], &'a [f32], &'a [f32]),
        dir: usize,
        input: usize,
        hidden: usize,
    ) -> Option<Self> {
        let g4 = hidden.checked_mul(4)?;
        let slice = |m: &'a [f32], len: usize| m.get(dir.checked_mul(len)?..)?.get(..len);
        let b = slice(b, g4.checked_mul(2)?)?;
        let (wb, rb) = b.split_at(g4);
        Some(LstmDirection {
            w: slice(w, g4.checked_mul(input)?)?,
            r: slice(r, g4.checked_mul(hidden)?)?,
            wb,
            rb,
            input,
            hidden,
        })
    }

    /// The one bias gate unit `g` sees: `Wb[g] + Rb[g]` (the graph adds both).
    pub fn bias(&self, g: usize) -> f32 {
        self.wb[g] + self.rb[g]
    }
}

/// `out[c][r] = m[r][c]` for a row-major `[rows, cols]` matrix `m` (`out` is `[cols, rows]`;
/// both must hold `rows * cols` values, extra values are left alone).
pub fn transpose_into(m: &[f32], rows: usize, cols: usize, out: &mut [f32]) {
    for (r, row) in m.chunks_exact(cols.max(1)).take(rows).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            if let Some(slot) = out.get_mut(c * rows + r) {
                *slot = v;
            }
        }
    }
}
