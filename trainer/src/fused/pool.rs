//! Scratch buffers reused across batches. Every batch needs the same few large arrays
//! (the forward trace, the backward's running gradients); allocating them fresh costs a
//! page fault per 4 KB each batch (measured: 25-40% of the step), so they come back here.

use std::sync::Mutex;

pub type Buffer = Vec<f32>;

/// At most this many idle buffers are kept...
const KEEP: usize = 32;
/// ...holding at most this many floats in all (8 MB): the longest batches (a tagger
/// batch of 150-token sentences) need more, and keeping those would raise the run's peak
/// memory for the sake of rare batches (measured: +16 MB on the EWT tagger).
const KEEP_FLOATS: usize = 1 << 21;

static IDLE: Mutex<Vec<Buffer>> = Mutex::new(Vec::new());

/// A buffer of `len` floats, reusing an idle one when one is large enough. Its values are
/// whatever it last held (not zeroed: every user writes before it reads, and clearing
/// measured 5% of a training step).
pub fn take(len: usize) -> Buffer {
    let reused = {
        let mut idle = IDLE.lock().unwrap_or_else(|e| e.into_inner());
        // The smallest idle buffer that fits, else the largest (it grows once).
        let fit = idle
            .iter()
            .enumerate()
            .filter(|(_, b)| b.capacity() >= len)
            .min_by_key(|(_, b)| b.capacity())
            .or_else(|| idle.iter().enumerate().max_by_key(|(_, b)| b.capacity()))
            .map(|(i, _)| i);
        fit.map(|i| idle.swap_remove(i))
    };
    let mut buffer = reused.unwrap_or_default();
    buffer.truncate(len);
    buffer.resize(len, 0.0);
    buffer
}

/// Returns a buffer for later batches.
pub fn give(buffer: Buffer) {
    let mut idle = IDLE.lock().unwrap_or_else(|e| e.into_inner());
    let held: usize = idle.iter().map(Vec::capacity).sum();
    if idle.len() < KEEP && held + buffer.capacity() <= KEEP_FLOATS {
        idle.push(buffer);
    }
}
