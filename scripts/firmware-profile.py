#!/usr/bin/env python3
"""Where the Cortex-M4 firmware's instructions go (issue 18).

Runs the firmware that scripts/firmware-test.sh last built under QEMU with a trace of every
translated block and its executions (`-d in_asm,exec,nochain`), counts the instructions each
address executed, and sums them by function with addr2line: the outermost function of each
address's inline chain (which kernel step) and the innermost (which helper or loop).

Usage: scripts/firmware-test.sh MODEL.onnx && scripts/firmware-profile.py [TOP]
Needs qemu-system-arm and binutils' addr2line; the trace takes about 0.5 GB in /tmp.
"""
import collections
import os
import re
import subprocess
import sys
import tempfile

ELF = "firmware/target/thumbv7em-none-eabihf/release/sublex-firmware"


def executed(log):
    """Instructions executed per address, from QEMU's block trace."""
    blocks, counts, block = {}, collections.Counter(), None
    with open(log, errors="replace") as f:
        for line in f:
            if line.startswith("IN:"):
                block = []
            elif block is not None and (m := re.match(r"0x([0-9a-f]+):", line)):
                block.append(int(m.group(1), 16))
            else:
                if block:
                    blocks[block[0]] = block
                block = None
                if line.startswith("Trace"):
                    pc = int(line.split("[")[1].split("/")[1], 16)
                    for address in blocks.get(pc, ()):
                        counts[address] += 1
    return counts


def inline_chain(elf, addresses):
    """Each address's inline chain of function names, innermost first."""
    out = subprocess.run(["addr2line", "-a", "-f", "-i", "-C", "-e", elf]
                         + [hex(a) for a in addresses],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    chains, i = {}, 0
    while i < len(out):
        frames = chains.setdefault(int(out[i], 16), [])
        i += 1
        # Then a (function, file:line) pair per inlined frame.
        while i < len(out) and not out[i].startswith("0x"):
            frames.append(out[i])
            i += 2
    return chains


def main():
    top = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "trace.log")
        subprocess.run(["qemu-system-arm", "-cpu", "cortex-m4", "-machine", "mps2-an386",
                        "-nographic", "-icount", "shift=0", "-semihosting-config",
                        "enable=on,target=native", "-kernel", ELF, "-d",
                        "in_asm,exec,nochain", "-D", log],
                       check=True, stdout=subprocess.DEVNULL, timeout=600)
        counts = executed(log)
    chains = inline_chain(ELF, sorted(counts))
    outer, inner = collections.Counter(), collections.Counter()
    for address, n in counts.items():
        chain = chains.get(address) or ["??"]
        outer[chain[-1]] += n
        inner[chain[0]] += n
    kernel = sum(n for f, n in outer.items() if f.startswith(("sublex_kernel", "<sublex_kernel")))
    print(f"{sum(counts.values()):,} instructions, {kernel:,} in the kernel's functions "
          "(the shares below are of those)")
    for title, table in (("by kernel step (outermost function)", outer),
                         ("by helper (innermost function)", inner)):
        print(f"\n{title}:")
        for name, n in table.most_common(top):
            share = f"{100 * n / kernel:5.1f}%" if n <= kernel else "     -"
            print(f"{n:>12,} {share}  {name[:100]}")


if __name__ == "__main__":
    main()
