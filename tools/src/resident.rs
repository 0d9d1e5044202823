//! Heap bytes held by what a call leaves behind, counted by a wrapping global allocator.
//!
//! The binary (and each test binary that measures) installs [`Counting`] as its global
//! allocator; without it, [`held_by`] reports nothing rather than a wrong number.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The system allocator, counting live bytes.
pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        INSTALLED.store(true, Ordering::Relaxed);
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Runs `load` and returns its value with the heap bytes that value still holds, or `None`
/// for the bytes when [`Counting`] is not the global allocator. Meaningful only while no
/// other thread allocates (the report measures one model at a time on its main thread).
pub fn held_by<T, E>(load: impl FnOnce() -> Result<T, E>) -> Result<(T, Option<u64>), E> {
    let before = LIVE.load(Ordering::SeqCst);
    let value = load()?;
    let after = LIVE.load(Ordering::SeqCst);
    let held = INSTALLED
        .load(Ordering::Relaxed)
        .then(|| after.saturating_sub(before) as u64);
    Ok((value, held))
}
