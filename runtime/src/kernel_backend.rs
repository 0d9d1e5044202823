//! The kernel backend: the hand-written BiLSTM of `sublex-kernel`, fed the weights read from
//! the same ONNX file's initializers. Used whenever the file is a character embedder of the
//! architecture the kernel implements (every embedder sublex exports).
//!
//! An int8 file stays int8 in memory (`sublex_kernel::pack_int8`): the kernel then computes
//! from int8 weights and int16 activations, within [`crate::parity::tolerance_for`] of the
//! f32 computation of the file's weights. An f16 file keeps its matrices at f16
//! (`sublex_kernel::pack_f16`) where the CPU widens f16 in hardware, and computes exactly what
//! f32 storage of the same values would; elsewhere, and for f32 files, the kernel packs f32.

use crate::artifact::{Artifact, CharModelWeights, Precision};
use crate::error::{Error, FileProblem, Result};
use sublex_kernel::{Dims, Isa, Kernel};

/// One of the kernel's packers (`pack`, `pack_f16`, `pack_int8`).
type Packer = fn(
    &Dims,
    &sublex_kernel::OnnxWeights<'_>,
    &mut [f32],
) -> std::result::Result<(), sublex_kernel::KernelError>;

pub struct KernelBackend {
    dims: Dims,
    packed: Vec<f32>,
    isa: Isa,
    scratch: Vec<f32>,
}

impl KernelBackend {
    /// `weights` are `artifact`'s, decoded once by the caller.
    pub fn new(artifact: &Artifact, weights: &CharModelWeights) -> Result<Self> {
        let shapes = artifact.manifest().shapes();
        let dims = shapes.kernel_dims();
        let fail = |e| Error::file(artifact.path(), FileProblem::Kernel(e));
        let view = weights.kernel_view();
        let isa = Isa::detect();
        let (len, pack): (usize, Packer) = match artifact.manifest().precision {
            Precision::Int8 => (dims.packed_len_int8(), sublex_kernel::pack_int8),
            #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
            Precision::F16 if isa.converts_f16() => {
                (dims.packed_len_f16(), sublex_kernel::pack_f16)
            }
            _ => (dims.packed_len(), sublex_kernel::pack),
        };
        let mut packed = vec![0.0; len];
        pack(&dims, &view, &mut packed).map_err(fail)?;
        let scratch = vec![0.0; dims.scratch_len()];
        Ok(KernelBackend {
            dims,
            packed,
            isa,
            scratch,
        })
    }

    /// The instruction set the kernel runs with on this CPU.
    pub fn isa(&self) -> Isa {
        self.isa
    }

    /// Runs on `isa` from now on; an ISA this CPU lacks is an error.
    pub fn set_isa(&mut self, isa: Isa) -> Result<()> {
        Kernel::new(self.dims, &self.packed, isa).map_err(kernel_error)?;
        self.isa = isa;
        Ok(())
    }

    /// Embeds `batch` words of `len` characters (`ids` is `[batch, len]`) into `out`.
    pub fn run(&mut self, ids: &[u32], batch: usize, len: usize, out: &mut [f32]) -> Result<()> {
        let kernel = Kernel::new(self.dims, &self.packed, self.isa).map_err(kernel_error)?;
        kernel
            .embed(ids, batch, len, &mut self.scratch, out)
            .map_err(kernel_error)
    }
}

fn kernel_error(e: sublex_kernel::KernelError) -> Error {
    Error::Backend {
        backend: "kernel",
        source: e.into(),
    }
}
