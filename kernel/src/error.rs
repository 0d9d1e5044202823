//! The crate's only error type: small and `Copy`, so the hot path can return it without
//! allocating and `no_std` callers can match on it.

use core::fmt;

use crate::Isa;

/// Why a kernel call refused its input. Every public function validates before it touches
/// memory, so an error means nothing was written to the caller's output buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelError {
    /// A size in [`Dims`](crate::Dims) is zero where it must not be, or a derived size
    /// overflows `usize`. The string names the offending size.
    InvalidDims(&'static str),
    /// A slice has the wrong number of elements. `what` names the argument.
    LengthMismatch {
        /// The argument's name.
        what: &'static str,
        /// Required number of elements.
        expected: usize,
        /// Number of elements given.
        got: usize,
    },
    /// `ids[index]` is not a valid character id (it must be `< vocab`).
    IdOutOfRange {
        /// Position in `ids`.
        index: usize,
        /// The offending id.
        id: u32,
        /// The model's vocabulary size.
        vocab: usize,
    },
    /// `packed` does not start with the header [`pack`](crate::pack) writes.
    NotPacked,
    /// `dims.highway` disagrees with whether highway weights were given.
    HighwayMismatch,
    /// The requested instruction set is not known to be available on this CPU
    /// (see [`Isa::is_available`]).
    IsaUnavailable(Isa),
    /// An internal shape check failed. Never returned unless this crate has a bug; it exists
    /// so that such a bug is an error instead of a panic or an out-of-bounds access.
    Internal,
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            KernelError::InvalidDims(what) => write!(f, "invalid dimensions: {what}"),
            KernelError::LengthMismatch {
                what,
                expected,
                got,
            } => write!(f, "`{what}` has {got} elements, expected {expected}"),
            KernelError::IdOutOfRange { index, id, vocab } => {
                write!(
                    f,
                    "character id {id} at index {index} is not < vocab {vocab}"
                )
            }
            KernelError::NotPacked => {
                write!(f, "the packed buffer was not written by `pack`")
            }
            KernelError::HighwayMismatch => {
                write!(
                    f,
                    "highway weights must be given exactly when dims.highway is set"
                )
            }
            KernelError::IsaUnavailable(isa) => {
                write!(
                    f,
                    "instruction set {} is not available on this CPU",
                    isa.name()
                )
            }
            KernelError::Internal => write!(f, "internal shape check failed (a kernel bug)"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for KernelError {}
