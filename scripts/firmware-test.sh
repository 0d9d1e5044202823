#!/usr/bin/env bash
# The kernel on an emulated Cortex-M4F (issue 18): builds firmware/ for thumbv7em-none-eabihf
# with MODEL's weights in flash, runs it under qemu-system-arm (mps2-an386), and checks every
# printed vector against the x86 kernel's (`sublex embed`) within export's parity rule
# (1e-5 x max(1, largest component)). Prints the firmware's flash and RAM and the
# instructions per word (counted under -icount, see firmware/src/main.rs).
#
# Usage: scripts/firmware-test.sh [MODEL.onnx]   (default: the wasm tests' small fixture)
# Needs the thumbv7em-none-eabihf target and qemu-system-arm (.ci/run installs both);
# SUBLEX_BIN_DIR names built sublex binaries (default target/release, built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
model=$(realpath "${1:-wasm/tests/fixtures/embedder.onnx}")
bin="${SUBLEX_BIN_DIR:-$PWD/target/release}"
if [ ! -x "$bin/sublex" ]; then
  cargo build --release -p sublex-cli
fi

(cd firmware && SUBLEX_FIRMWARE_MODEL="$model" cargo build --release)
elf=firmware/target/thumbv7em-none-eabihf/release/sublex-firmware
printed=$(timeout 300 qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic \
  -icount shift=0 -semihosting-config enable=on,target=native -kernel "$elf")
words=$(awk '$1 == "word" { print $2 }' <<<"$printed")
# shellcheck disable=SC2086 # one word per argument
native=$("$bin/sublex" embed "$model" $words)

python3 - "$model" "$elf" <<PY
import subprocess, sys
printed, native = """$printed""", """$native"""
device = {l.split()[1]: (int(l.split()[2]), [float(x) for x in l.split()[3:]])
          for l in printed.splitlines() if l.startswith("word ")}
host = {l.split()[0]: [float(x) for x in l.split()[1:]] for l in native.splitlines()}
assert device and device.keys() == host.keys(), (device.keys(), host.keys())
largest = max(abs(x) for v in host.values() for x in v)
worst = max(abs(a - b) for w in host for a, b in zip(device[w][1], host[w]))
# Export's parity rule; at int8 the rule between two of the kernel's ISAs (runtime/src/
# parity.rs, INT8_ISA_TOLERANCE): an int16 activation can round the other way when the gate
# math differs in its last bits.
int8 = "precision int8" in printed.splitlines()
tolerance = (1e-3 if int8 else 1e-5) * max(1.0, largest)
assert all(len(device[w][1]) == len(host[w]) for w in host)
assert worst <= tolerance, f"the Cortex-M4 differs from x86 by {worst} > {tolerance}"
print(f"{len(host)} words: the Cortex-M4's vectors equal x86's within {worst:.1e} "
      f"(tolerance {tolerance:.1e})")
sections = {}
for line in subprocess.run(["size", "-A", sys.argv[2]], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]:
    parts = line.split()
    if len(parts) == 3 and parts[1].isdigit():
        sections[parts[0]] = int(parts[1])
stack = int(next(l.split()[1] for l in printed.splitlines() if l.startswith("stack ")))
flash = sections[".vector_table"] + sections[".text"] + sections[".rodata"] + sections.get(".data", 0)
ram = sections.get(".data", 0) + sections[".bss"] + stack
print(f"{sys.argv[1]}:")
print(f"  flash {flash:,} bytes (.text {sections['.text']:,}, .rodata {sections['.rodata']:,})")
print(f"  RAM {ram:,} bytes (.bss {sections['.bss']:,}, stack high-water {stack:,})")
for w, (instructions, _) in device.items():
    print(f"  {w} ({len(w)} characters): {instructions:,} instructions")
PY
