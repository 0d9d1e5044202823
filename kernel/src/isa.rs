//! Which instruction set a [`Kernel`](crate::Kernel) runs on, and whether this CPU has it.
//!
//! Soundness design: `Isa` is a plain enum anyone can name, so naming `Avx2Fma` proves
//! nothing. [`Kernel::new`](crate::Kernel::new) therefore checks [`Isa::is_available`] and
//! refuses an ISA it cannot vouch for; only the `unsafe`
//! [`Kernel::new_unchecked`](crate::Kernel::new_unchecked) skips that check. Without the
//! `std` feature the check can only use compile-time target features (e.g.
//! `-C target-cpu=native`), so a `no_std` x86 build either compiles with AVX2/FMA (or AVX-512F) enabled,
//! does its own detection and calls `new_unchecked`, or stays on `Scalar`.

use core::fmt;

/// An instruction set the kernel has a code path for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Isa {
    /// Portable Rust, written so that LLVM vectorises it for the target's baseline.
    Scalar,
    /// 256-bit AVX2 with fused multiply-add, and F16C for f16 weights (x86_64).
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
    /// 512-bit AVX-512F and AVX-512BW (the int8 product) with fused multiply-add (x86_64).
    #[cfg(target_arch = "x86_64")]
    Avx512,
    /// 128-bit Advanced SIMD (aarch64, where it is part of the baseline).
    #[cfg(target_arch = "aarch64")]
    Neon,
    /// 128-bit WebAssembly SIMD, in builds compiled with `target-feature=+simd128` (wasm
    /// cannot detect features at run time: the build decides, and is then always available).
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    Simd128,
}

impl Isa {
    /// Every ISA this build has a code path for, best last. Not all need be available.
    pub const ALL: &'static [Isa] = &[
        Isa::Scalar,
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2Fma,
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512,
        #[cfg(target_arch = "aarch64")]
        Isa::Neon,
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        Isa::Simd128,
    ];

    /// Short lowercase name, e.g. for benchmark labels.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => "avx2fma",
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => "avx512",
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => "neon",
            #[cfg(all(
                target_arch = "wasm32",
                target_feature = "simd128",
                not(target_feature = "relaxed-simd")
            ))]
            Isa::Simd128 => "simd128",
            #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
            Isa::Simd128 => "simd128-relaxed",
        }
    }

    /// Whether this ISA is known to be usable here: at run time with the `std` feature,
    /// else from the target features the crate was compiled with.
    pub fn is_available(self) -> bool {
        match self {
            Isa::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => avx2_fma_available(),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => avx512_available(),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => neon_available(),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => true,
        }
    }

    /// Whether this ISA widens f16 weights in hardware (F16C, AVX-512F, NEON's `fcvtl`), where
    /// keeping an f16 file's matrices at f16 (`pack_f16`, feature `f16`) halves their memory
    /// for one conversion per weight used. Elsewhere f16 storage still computes the same
    /// numbers, converting in software.
    pub fn converts_f16(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma | Isa::Avx512 => true,
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => true,
            _ => false,
        }
    }

    /// The fastest ISA this CPU supports.
    #[cfg(feature = "std")]
    pub fn detect() -> Isa {
        Isa::ALL
            .iter()
            .rev()
            .copied()
            .find(|isa| isa.is_available())
            .unwrap_or(Isa::Scalar)
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(target_arch = "x86_64")]
fn avx2_fma_available() -> bool {
    // F16C (the f16 weights' conversion) came with or before AVX2 on every x86 CPU.
    if cfg!(all(
        target_feature = "avx2",
        target_feature = "fma",
        target_feature = "f16c"
    )) {
        return true;
    }
    #[cfg(feature = "std")]
    {
        std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("fma")
            && std::is_x86_feature_detected!("f16c")
    }
    #[cfg(not(feature = "std"))]
    {
        false
    }
}

#[cfg(target_arch = "x86_64")]
fn avx512_available() -> bool {
    if cfg!(all(
        target_feature = "avx512f",
        target_feature = "avx512bw",
        target_feature = "avx2",
        target_feature = "fma"
    )) {
        return true;
    }
    #[cfg(feature = "std")]
    {
        std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(feature = "std"))]
    {
        false
    }
}

/// Whether AVX-512 VNNI is usable too (the AVX-512 path's int8 product then uses
/// `vpdpwssd`): known at compile time, or detected with `std`.
#[cfg(target_arch = "x86_64")]
pub(crate) fn avx512_vnni_available() -> bool {
    if cfg!(target_feature = "avx512vnni") {
        return true;
    }
    #[cfg(feature = "std")]
    {
        std::is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(feature = "std"))]
    {
        false
    }
}

#[cfg(target_arch = "aarch64")]
fn neon_available() -> bool {
    if cfg!(target_feature = "neon") {
        return true;
    }
    #[cfg(feature = "std")]
    {
        std::arch::is_aarch64_feature_detected!("neon")
    }
    #[cfg(not(feature = "std"))]
    {
        false
    }
}
