//! sublex-fuzz: the model file's fuzzer. It mutates real sublex files the way a hostile user
//! would (manifest values, tensor dims and types, weight values, node lists, attributes, raw
//! bytes), signs them again (the checksum is no signature), and opens and runs each with
//! both engines. Every outcome must be a clean error that names the file, or outputs of the
//! kernel and tract that agree within the export parity rule.
//!
//! `tests/ci.rs` runs a bounded number of cases in CI; `sublex-fuzz run` runs as many as
//! asked on every core (docs/RESULTS.md); `sublex-fuzz hostile` writes the regression files
//! of `tests/hostile/`.

pub mod campaign;
pub mod check;
pub mod hostile;
pub mod mutate;
pub mod seeds;

pub use check::{check, Outcome};
pub use mutate::{mutate, Class, Mutant};
pub use seeds::{builtin, Seed};
