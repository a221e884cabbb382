#!/usr/bin/env python3
"""Flash bytes per module of a bootloader build, from its GNU ld map file.

Usage: map-modules.py build/stickboot.map [--markdown]
Counts every input section placed in the flash-resident output sections (.isr_vector,
.text, .data's load image) and attributes it by object path to a module."""
import re
import sys

MODULES = [  # (module, predicate on the object path), first match wins
    ("startup", lambda p: p.endswith(("stm32f4/startup.o", "stm32f4/libc.o"))),
    ("clock", lambda p: p.endswith(("stm32f4/clock.o", "stm32f4/timer.o"))),
    ("hcd", lambda p: "stm32f4/hcd" in p),
    ("msc/scsi", lambda p: "firmware/usb/" in p and ("msc" in p or "scsi" in p)),
    ("usb core", lambda p: "firmware/usb/" in p),
    ("fs", lambda p: "firmware/fs/" in p),
    ("crypto", lambda p: "firmware/crypto/" in p),
    ("core", lambda p: "firmware/core/" in p),
    ("target other", lambda p: "stm32f4/" in p),
    ("libgcc", lambda p: "libgcc" in p),
]
FLASH_SECTIONS = (".isr_vector", ".text", ".data")


def module_of(path):
    for name, match in MODULES:
        if match(path):
            return name
    return "other"


def parse(map_path):
    sizes = {}
    lines = open(map_path, encoding="utf-8", errors="replace").read().splitlines()
    in_map = False
    output_section = None
    pending = None
    entry = re.compile(r"^\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\S+\.o\S*|\S+\.a\(\S+\))\s*$")
    for line in lines:
        if line.startswith("Linker script and memory map"):
            in_map = True
            continue
        if not in_map:
            continue
        top = re.match(r"^(\.[\w.]+)\s", line) or re.match(r"^(\.[\w.]+)$", line)
        if top and not line.startswith(" "):
            output_section = top.group(1)
            continue
        if output_section not in FLASH_SECTIONS:
            continue
        stripped = line.strip()
        m = re.match(r"^(\.\S+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\S+)$", stripped)
        if m and line.startswith(" ."):
            size, path = int(m.group(3), 16), m.group(4)
        elif line.startswith(" .") and len(stripped.split()) == 1:
            pending = stripped
            continue
        else:
            m = entry.match(line)
            if not (m and pending):
                pending = None
                continue
            size, path = int(m.group(2), 16), m.group(3)
        pending = None
        if size:
            mod = module_of(path)
            sizes[mod] = sizes.get(mod, 0) + size
    return sizes


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    sizes = parse(sys.argv[1])
    order = [name for name, _ in MODULES] + ["other"]
    rows = [(name, sizes[name]) for name in order if sizes.get(name)]
    total = sum(size for _, size in rows)
    if "--markdown" in sys.argv:
        print("| module | bytes |\n|---|---:|")
        for name, size in rows:
            print(f"| {name} | {size} |")
        print(f"| **total** | **{total}** |")
    else:
        for name, size in rows:
            print(f"{name:14} {size:6}")
        print(f"{'total':14} {total:6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
