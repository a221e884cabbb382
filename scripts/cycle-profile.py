#!/usr/bin/env python3
"""Cycles per function from a stickemu --cycle-profile file.

Usage: scripts/cycle-profile.py ELF PROFILE [--from ADDR --to ADDR] [--top N]
Each profile line is "block_start runs cycles": the cycles from the start of that block to the
start of the next one (its instructions, flash and bus stalls, time jumps in it). Blocks are
mapped to the function symbols of ELF (arm-none-eabi-nm); blocks outside every symbol are
listed by address. The boot alias at 0 is mapped to 0x08000000."""
import bisect
import subprocess
import sys


def symbols(elf):
    """(start, size, name) of code symbols; a symbol without a size (assembler labels, code
    copied to RAM in .data) reaches to the next symbol."""
    out = subprocess.run(["arm-none-eabi-nm", "-n", "-S", "--defined-only", elf], check=True,
                         text=True, stdout=subprocess.PIPE).stdout
    syms = []
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4 and f[2] in "tTwWdD":
            syms.append((int(f[0], 16) & ~1, int(f[1], 16), f[3]))
        elif len(f) == 3 and f[1] in "tTdD":
            syms.append((int(f[0], 16) & ~1, 0, f[2]))
    for i, (start, size, name) in enumerate(syms):
        if size == 0 and i + 1 < len(syms):
            syms[i] = (start, syms[i + 1][0] - start, name)
    return syms


def main():
    args = sys.argv[1:]
    top = 25
    if "--top" in args:
        i = args.index("--top")
        top = int(args[i + 1])
        del args[i:i + 2]
    elf, prof = args[0], args[1]
    syms = symbols(elf)
    starts = [s[0] for s in syms]
    per, runs, total = {}, {}, 0
    for line in open(prof):
        if line.startswith("#"):
            continue
        a, n, cyc = line.split()
        addr, n, cyc = int(a, 16), int(n), int(cyc)
        if addr < 0x08000000 and addr < 0x00100000:
            addr += 0x08000000
        i = bisect.bisect_right(starts, addr) - 1
        name = syms[i][2] if i >= 0 and addr < syms[i][0] + max(syms[i][1], 2) else f"0x{addr:08x}"
        per[name] = per.get(name, 0) + cyc
        runs[name] = runs.get(name, 0) + n
        total += cyc
    print(f"{'function':40} {'cycles':>14} {'%':>6} {'block runs':>12}")
    for name, cyc in sorted(per.items(), key=lambda kv: -kv[1])[:top]:
        print(f"{name:40} {cyc:14} {cyc * 100 / total:6.2f} {runs[name]:12}")
    print(f"{'total':40} {total:14}")


if __name__ == "__main__":
    sys.exit(main())
