//! The sublex kernel on a Cortex-M4F, run by QEMU (`mps2-an386`): embeds a fixed list of
//! words with the weights in flash and prints, over semihosting,
//!
//! ```text
//! precision <the file's precision: f32, f16 or int8 (int8 stays int8 in flash)>
//! calibration <instructions> <ticks>
//! word <word> <instructions> <v_1> .. <v_dim>     (one line per word)
//! stack <bytes>
//! ```
//!
//! Instructions are counted with SysTick under `-icount shift=0`, where virtual time counts
//! instructions: a calibration loop of known length gives the instructions per tick. The
//! stack's high-water mark comes from painting the free RAM before the work and finding
//! the deepest word overwritten after it. The scratch is a static buffer (.bss).
#![no_std]
#![no_main]

use core::arch::asm;
use cortex_m::peripheral::{syst::SystClkSource, SYST};
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprint, hprintln};
use sublex_kernel::{Dims, Isa, Kernel};

include!(concat!(env!("OUT_DIR"), "/model.rs"));

/// `T` at a 4-byte boundary, so the packed bytes can be read as f32.
#[repr(C, align(4))]
struct Aligned<T>(T);

/// The packed weights, in flash.
static PACKED: Aligned<[u8; PACKED_LEN * 4]> =
    Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/packed.bin")));

/// The kernel's scratch, in RAM (.bss).
static mut SCRATCH: [f32; SCRATCH_LEN] = [0.0; SCRATCH_LEN];

/// Written over the free RAM before the work; words still holding it were never used.
const PAINT: u32 = 0xCAFE_F00D;
/// Iterations of the calibration loop, two instructions each.
const CALIBRATION_LOOPS: u32 = 500_000;

extern "C" {
    /// The top of the stack (cortex-m-rt's linker script).
    static _stack_start: u32;
    /// The first free word of RAM after .data and .bss (cortex-m-rt's linker script).
    static __sheap: u32;
}

fn packed() -> &'static [f32] {
    // SAFETY: PACKED is 4-byte aligned and holds PACKED_LEN little-endian f32s (build.rs),
    // and the target is little-endian.
    unsafe { core::slice::from_raw_parts(PACKED.0.as_ptr().cast(), PACKED_LEN) }
}

/// Paints the RAM between the heap start and a margin below the stack pointer.
fn paint_free_ram() {
    let low = core::ptr::addr_of!(__sheap) as usize;
    let high = cortex_m::register::msp::read() as usize - 256;
    let mut at = low;
    while at < high {
        // SAFETY: free RAM below the live stack, word aligned.
        unsafe { core::ptr::write_volatile(at as *mut u32, PAINT) };
        at += 4;
    }
}

/// Bytes of stack used so far: from the top down to the deepest word no longer painted.
fn stack_used() -> usize {
    let low = core::ptr::addr_of!(__sheap) as usize;
    let top = core::ptr::addr_of!(_stack_start) as usize;
    let mut at = low;
    // SAFETY: reads RAM between the heap start and the top of the stack.
    while at < top && unsafe { core::ptr::read_volatile(at as *const u32) } == PAINT {
        at += 4;
    }
    top - at
}

/// SysTick ticks `f` took (SysTick counts down from its 24-bit reload).
fn ticks(f: impl FnOnce()) -> u32 {
    let start = SYST::get_current();
    f();
    start.wrapping_sub(SYST::get_current()) & 0x00FF_FFFF
}

#[entry]
fn main() -> ! {
    paint_free_ram();
    let mut syst = cortex_m::Peripherals::take().unwrap().SYST;
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(0x00FF_FFFF);
    syst.clear_current();
    syst.enable_counter();
    let calibration = ticks(|| {
        // SAFETY: a register countdown, nothing else.
        unsafe { asm!("1:", "subs {0}, #1", "bne 1b", inout(reg) CALIBRATION_LOOPS => _) }
    });
    hprintln!("precision {}", PRECISION);
    hprintln!("calibration {} {}", 2 * CALIBRATION_LOOPS, calibration);
    // SAFETY: the only reference to SCRATCH, taken once.
    let scratch = unsafe { &mut *core::ptr::addr_of_mut!(SCRATCH) };
    let kernel = Kernel::new(DIMS, packed(), Isa::Scalar).unwrap();
    let mut out = [0f32; DIM];
    for &(word, ids) in WORDS {
        let mut result = Ok(());
        let took = ticks(|| result = kernel.embed(ids, 1, ids.len(), scratch, &mut out));
        result.unwrap();
        let instructions = took as u64 * 2 * CALIBRATION_LOOPS as u64 / calibration as u64;
        hprint!("word {} {}", word, instructions);
        for v in out {
            hprint!(" {}", v);
        }
        hprintln!();
    }
    hprintln!("stack {}", stack_used());
    debug::exit(debug::EXIT_SUCCESS);
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    hprintln!("panic: {}", info);
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}
