//! The Cortex-M4F's own forms of the kernel's two hot loops (`feature = "arm-dsp"` on a
//! hard-float Cortex-M target), in assembly because every instruction counts on a core
//! without SIMD floats: the int8 product's tile (`smlad`, DSP extension) and the LSTM's gate
//! math (FPU). The portable path (`scalar`) calls them in place of its own loops; the
//! firmware's test compares their vectors with x86's.
//!
//! **The product.** `smlad` does two 16x16-bit multiply-adds into an int32 in one
//! instruction (no overflow: the activations' bound keeps every sum within i32), and
//! `sxtb16` widens two of a word's four int8 weights at once, so four multiply-adds cost a
//! load, two `sxtb16` and two `smlad`. The sums are the portable tile's, exactly.

use crate::dims::PANEL;
use crate::isa_ops::RawQGemm;
use crate::scalar::SW;
use core::arch::asm;

/// Columns per tile: the four accumulators, the two activation pairs, two weight words
/// (one `ldrd`), the odd bytes and three pointers take the 12 registers inline assembly may
/// use; the epilogue's pointers come in through FPU registers.
const W: usize = 4;
const _: () = assert!(SW % W == 0 && PANEL % W == 0);

/// Groups of four `k` unrolled in the product's loop, and the bytes of one group's code
/// (19 instructions, each a 32-bit Thumb-2 encoding).
const UNROLLED: usize = 16;
const GROUP_BYTES: usize = 19 * 4;

/// One group of four `k` for the four columns (19 instructions): the activation pairs,
/// then two columns' weight words per `ldrd`, widened by `sxtb16` and summed by `smlad`.
/// The first `ldrd` moves the weight pointer to the next group's 64-byte line.
macro_rules! group {
    () => {
        concat!(
            "ldrd {a02}, {a13}, [{pa}], #8\n",
            "ldrd {w0}, {w1}, [{pb}], #64\n",
            "sxtb16 {t}, {w0}, ror #8\n",
            "sxtb16 {w0}, {w0}\n",
            "smlad {c0}, {w0}, {a02}, {c0}\n",
            "smlad {c0}, {t}, {a13}, {c0}\n",
            "sxtb16 {t}, {w1}, ror #8\n",
            "sxtb16 {w1}, {w1}\n",
            "smlad {c1}, {w1}, {a02}, {c1}\n",
            "smlad {c1}, {t}, {a13}, {c1}\n",
            // Columns 2 and 3, at the old pointer + 8.
            "ldrd {w0}, {w1}, [{pb}, #-56]\n",
            "sxtb16 {t}, {w0}, ror #8\n",
            "sxtb16 {w0}, {w0}\n",
            "smlad {c2}, {w0}, {a02}, {c2}\n",
            "smlad {c2}, {t}, {a13}, {c2}\n",
            "sxtb16 {t}, {w1}, ror #8\n",
            "sxtb16 {w1}, {w1}\n",
            "smlad {c3}, {w1}, {a02}, {c3}\n",
            "smlad {c3}, {t}, {a13}, {c3}\n",
        )
    };
}

/// The int8 product (see `isa_ops::QGemm`): every row, in tiles of four columns. Not
/// inlined: one copy of the unrolled loop is 1.2 KB of flash.
#[inline(never)]
pub(crate) fn matmul_i8(p: &RawQGemm) {
    // The first pass through the unrolled loop runs `groups mod UNROLLED` groups (all
    // UNROLLED when it divides): it enters past the others' code.
    let groups = p.k / 4;
    let skip = (UNROLLED - groups % UNROLLED) % UNROLLED * GROUP_BYTES;
    for r in 0..p.rows {
        let mut j0 = 0;
        while j0 < p.n {
            // SAFETY: `r < rows`, `j0 + W <= n` (`n` is a multiple of SW): the range
            // `QGemm::new` validated, with `k > 0`.
            unsafe { qtile(p, r, j0, skip) };
            j0 += W;
        }
    }
}

/// Row `r`, columns `j0 .. j0 + W`: exact int32 sums, then `out += sum · scale[j] ·
/// ascale[r]`, as the portable tile computes it (one `vmul`, one `vfma`).
///
/// # Safety
/// `r < p.rows`, `j0 + W <= p.n`, `p.k > 0`, `p` satisfying the [`RawQGemm`] invariant,
/// `skip` from [`matmul_i8`].
#[inline(always)]
unsafe fn qtile(p: &RawQGemm, r: usize, j0: usize, skip: usize) {
    let col =
        p.b.wrapping_add((j0 / PANEL) * p.kb * PANEL + (j0 % PANEL) * 4);
    let a = p.a.wrapping_add(r * p.lda);
    // The epilogue's pointers: the loop needs every register, so they wait on the stack.
    let tail: [*const f32; 3] = [
        p.scale.wrapping_add(j0),
        p.out.wrapping_add(r * p.ldo + j0),
        &p.ascale[r],
    ];
    // SAFETY: the loop reads `a[0..k]` (eight bytes per group of four, the pairs (a0, a2),
    // (a1, a3) `quantize` stored) and, per group, the 16 bytes of columns `j0..j0 + 4` in
    // the group's 64-byte line: inside the validated spans (`k <= kb`, `k > 0` a multiple
    // of 4, `j0 + W <= n`). The epilogue reads `scale[j0..j0 + 4]` and reads and writes
    // `out[r·ldo + j0..][..4]`, inside the validated spans too. All are word aligned, as
    // `ldrd` and `vldmia` need: the scratch and packed regions are, and every offset is a
    // multiple of 4 bytes. The computed jump lands on a group's first instruction: `skip`
    // is a multiple of GROUP_BYTES below UNROLLED groups' code. The block pushes one word
    // and pops it. Written in assembly because LLVM's version of this loop spilled
    // accumulators (30 instructions per group); here a group is 19, the loop adds 2 per
    // UNROLLED groups, and the tile's set-up and epilogue about 30.
    unsafe {
        asm!(
            "push {{{c0}}}",
            "mov {c0}, #0",
            "mov {c1}, #0",
            "mov {c2}, #0",
            "mov {c3}, #0",
            "adr {w0}, 2f",
            "add {w0}, {w0}, {t}",
            "mov pc, {w0}",
            // `adr` is exact only for a word-aligned label (the padding is never run).
            ".p2align 2",
            "2:",
            group!(), group!(), group!(), group!(), group!(), group!(), group!(), group!(),
            group!(), group!(), group!(), group!(), group!(), group!(), group!(), group!(),
            "cmp {pa}, {end}",
            "bne 2b",
            // out[j] += sum[j] · scale[j] · ascale, as the portable tile rounds it.
            "pop {{{pa}}}",
            // (`ldm` would load in register-number order, which the allocator picks.)
            "ldrd {pb}, {end}, [{pa}]",
            "ldr {t}, [{pa}, #8]",
            "vmov s0, s1, {c0}, {c1}",
            "vmov s2, s3, {c2}, {c3}",
            "vcvt.f32.s32 s0, s0",
            "vcvt.f32.s32 s1, s1",
            "vcvt.f32.s32 s2, s2",
            "vcvt.f32.s32 s3, s3",
            "vldmia {pb}, {{s4-s7}}",
            "vldmia {end}, {{s8-s11}}",
            "vldr s12, [{t}]",
            "vmul.f32 s0, s0, s4",
            "vmul.f32 s1, s1, s5",
            "vmul.f32 s2, s2, s6",
            "vmul.f32 s3, s3, s7",
            "vfma.f32 s8, s0, s12",
            "vfma.f32 s9, s1, s12",
            "vfma.f32 s10, s2, s12",
            "vfma.f32 s11, s3, s12",
            "vstmia {end}, {{s8-s11}}",
            pa = inout(reg) a => _,
            pb = inout(reg) col => _,
            end = inout(reg) a.add(p.k) => _,
            t = inout(reg) skip => _,
            a02 = out(reg) _,
            a13 = out(reg) _,
            w0 = out(reg) _,
            w1 = out(reg) _,
            c0 = inout(reg) tail.as_ptr() => _,
            c1 = out(reg) _,
            c2 = out(reg) _,
            c3 = out(reg) _,
            out("s0") _, out("s1") _, out("s2") _, out("s3") _, out("s4") _, out("s5") _,
            out("s6") _, out("s7") _, out("s8") _, out("s9") _, out("s10") _, out("s11") _,
            out("s12") _,
        );
    }
}

/// The gate math's constants as one `vldmia` loads them: tanh's numerator (`s16..s22`), then
/// its denominator (`s23..s26`), the coefficients every code path uses (`math`).
static TANH_COEFFICIENTS: [f32; 11] = {
    let (a, b) = (crate::math::TANH_ALPHA, crate::math::TANH_BETA);
    [
        a[0], a[1], a[2], a[3], a[4], a[5], a[6], b[0], b[1], b[2], b[3],
    ]
};

/// Both of tanh's polynomials in `y = s0²` (into `s1`): the numerator's Horner chain ends in
/// `s22`, the denominator's in `s26`. `vfma` accumulates into its addend, so each step needs
/// its coefficient in the destination; one `vldmia` reloads all eleven (11 instructions).
macro_rules! polynomials {
    () => {
        concat!(
            "vmul.f32 s1, s0, s0\n",
            "vldmia {k}, {{s16-s26}}\n",
            "vfma.f32 s17, s16, s1\n",
            "vfma.f32 s18, s17, s1\n",
            "vfma.f32 s19, s18, s1\n",
            "vfma.f32 s20, s19, s1\n",
            "vfma.f32 s21, s20, s1\n",
            "vfma.f32 s22, s21, s1\n",
            "vfma.f32 s24, s23, s1\n",
            "vfma.f32 s25, s24, s1\n",
            "vfma.f32 s26, s25, s1\n",
        )
    };
}

/// `$out = tanh(s0)` (15 instructions): the clamp is a round trip through fixed point with
/// 28 fraction bits, which saturates at ±8 (two instructions where compares and selects take
/// eight; the quotient is within 3e-7 of ±1 from `math::TANH_CLAMP` to 8), then `x·p / q`.
macro_rules! tanh {
    ($out:literal) => {
        concat!(
            "vcvt.s32.f32 s0, s0, #28\n",
            "vcvt.f32.s32 s0, s0, #28\n",
            polynomials!(),
            "vmul.f32 s22, s22, s0\n",
            "vdiv.f32 ",
            $out,
            ", s22, s26\n",
        )
    };
}

/// `$out = sigmoid(s0) = 0.5 + 0.5·tanh(u)`, `u = s0 / 2` (16 instructions): the halving
/// rides on the fixed-point round trip (in at 27 fraction bits, out at 28), and
/// `0.5 + 0.5·u·p/q` is computed as `(q + u·p) / 2q`.
macro_rules! sigmoid {
    ($out:literal) => {
        concat!(
            "vcvt.s32.f32 s0, s0, #27\n",
            "vcvt.f32.s32 s0, s0, #28\n",
            polynomials!(),
            "vadd.f32 s23, s26, s26\n",
            "vfma.f32 s26, s22, s0\n",
            "vdiv.f32 ",
            $out,
            ", s26, s23\n",
        )
    };
}

/// One LSTM step (see `IsaOps::gates`): 90 instructions per unit, where the portable loop
/// compiled for this core takes 175. The rounding differs from the other code paths' in the
/// last bits (the clamp's bound and fixed-point steps, the sigmoid's quotient), as theirs
/// differ from each other's.
pub(crate) fn gates(mut c: crate::isa_ops::Cells<'_>) {
    let hp = c.hp();
    for (g, cell, h) in c.rows_mut() {
        let (Some(g), Some(h)) = (g.get(..4 * hp), h.get_mut(..hp)) else {
            return;
        };
        if cell.len() != hp || hp == 0 {
            return;
        }
        let g = g.as_ptr();
        // SAFETY: the loop runs `hp` times and reads `g[j]`, `g[hp + j]`, `g[2hp + j]`,
        // `g[3hp + j]` (the gates i, o, f, c), reads and writes `cell[j]` and writes `h[j]`
        // for `j < hp`: all inside the slices checked above. `TANH_COEFFICIENTS` holds the
        // eleven floats `vldmia` reads. s16-s26 are callee-saved; declared clobbered, the
        // compiler saves them.
        unsafe {
            asm!(
                "2:",
                "vldmia {pi}!, {{s0}}",
                sigmoid!("s3"),
                "vldmia {pf}!, {{s0}}",
                sigmoid!("s4"),
                "vldmia {pg}!, {{s0}}",
                tanh!("s5"),
                // c = sigmoid(f)·c + sigmoid(i)·tanh(g), kept in s0 for its tanh.
                "vldr s0, [{pc}]",
                "vmul.f32 s0, s0, s4",
                "vfma.f32 s0, s3, s5",
                "vstmia {pc}!, {{s0}}",
                tanh!("s5"),
                "vldmia {po}!, {{s0}}",
                sigmoid!("s3"),
                "vmul.f32 s3, s3, s5",
                "vstmia {ph}!, {{s3}}",
                "subs {n}, {n}, #1",
                "bne 2b",
                pi = inout(reg) g => _,
                po = inout(reg) g.add(hp) => _,
                pf = inout(reg) g.add(2 * hp) => _,
                pg = inout(reg) g.add(3 * hp) => _,
                pc = inout(reg) cell.as_mut_ptr() => _,
                ph = inout(reg) h.as_mut_ptr() => _,
                k = in(reg) TANH_COEFFICIENTS.as_ptr(),
                n = inout(reg) hp => _,
                out("s0") _, out("s1") _, out("s3") _, out("s4") _, out("s5") _,
                out("s16") _, out("s17") _, out("s18") _, out("s19") _, out("s20") _,
                out("s21") _, out("s22") _, out("s23") _, out("s24") _, out("s25") _,
                out("s26") _,
                options(nostack),
            );
        }
    }
}
