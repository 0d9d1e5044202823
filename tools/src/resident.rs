//! Heap bytes held by what a call leaves behind, counted by a wrapping global allocator.
//!
//! The binary (and each test binary that measures) installs `sublex_runtime::alloc_count::CountingAllocator` as its global
//! allocator; without it, [`held_by`] reports nothing rather than a wrong number.

use sublex_runtime::alloc_count::{installed, live_bytes};

/// Runs `load` and returns its value with the heap bytes that value still holds, or `None`
/// for the bytes when `sublex_runtime::alloc_count::CountingAllocator` is not the global allocator. Meaningful only while no
/// other thread allocates (the report measures one model at a time on its main thread).
pub fn held_by<T, E>(load: impl FnOnce() -> Result<T, E>) -> Result<(T, Option<u64>), E> {
    let before = live_bytes();
    let value = load()?;
    let after = live_bytes();
    let held = installed().then(|| after.saturating_sub(before) as u64);
    Ok((value, held))
}
