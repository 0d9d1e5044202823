//! The `sublex` workspace root: it owns the end-to-end tests (`tests/`) and the criterion
//! benchmarks (`benches/`) that span the trainer, the runtime and the tools. The code lives
//! in `trainer/`, `runtime/` and `tools/`.
