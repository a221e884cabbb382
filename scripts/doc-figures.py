#!/usr/bin/env python3
"""Size figures in the docs come from the build, and a test says when they drift.

    doc-figures.py write SIZE_TABLE    rewrite every size figure in README.md and docs/*.md
    doc-figures.py check SIZE_TABLE    print PASS/FAIL per figure (tests/suites/docs_figures.sh)

SIZE_TABLE is the output of scripts/size-report.sh (what `make size` prints): per
configuration label, text, data, bss and flash bytes. The figures it owns:
  - inline markers  <!-- size:LABEL -->9,132<!-- /size -->  (flash bytes of a configuration)
    and             <!-- size:LABEL-OTHER -->468<!-- /size -->  (the difference of two);
  - the README headline (written by `make bench`): "**N bytes** default build, **N bytes** with
    ECDSA P-256";
  - docs/performance.md's size table (written by `make bench`): flash bytes, headroom, RAM.
Timings in docs/performance.md and the README headline come from `make bench` only (they need
the emulator campaigns) and are not checked here.
"""
import glob
import re
import sys

BUDGET = 15872  # 16 KB sector less the 512-byte rollback floor log (stickboot.ld)
# docs/performance.md row label -> size-report label
PERF_ROWS = {"default": "default", "UART log on": "log", "RAW_IMAGES off": "noraw",
             "SREC_CRC_ADDR on": "srec", "secure (ECDSA P-256)": "secure",
             "APP_BASE 0x08008000": "app8000", "PROBE_MS=0": "probe0",
             "NUCLEO-F446ZE": "nucleo-f446ze"}
# The other boards' rows are labelled with the board's name, as in the size table.
PERF_ROWS.update({b: b for b in (p.split("/")[-1][:-2] for p in glob.glob("firmware/boards/*.h"))
                  if b not in ("board", "f4discovery", "nucleo-f446ze")})
MARKER = re.compile(r"<!-- size:([a-z0-9-]+?)(?:-(?P<minus>default|log|noraw|srec|secure|app8000|probe0))? -->"
                    r"([0-9,]*)<!-- /size -->")
HEADLINE = re.compile(r"\*\*([0-9,]+) bytes\*\* default build, \*\*([0-9,]+) bytes\*\* with ECDSA")


def read_table(path):
    sizes = {}
    for line in open(path):
        f = line.split()
        if len(f) >= 7 and f[2].isdigit():
            sizes[f[0]] = {"text": int(f[2]), "data": int(f[3]), "bss": int(f[4]), "flash": int(f[5])}
    return sizes


def figures(text, sizes):
    """(kind, where, shown, wanted, start, end) for every figure in text; wanted None if unknown."""
    out = []
    for m in MARKER.finditer(text):
        label, minus, shown = m.group(1), m.group("minus"), m.group(3)
        want = None
        if label in sizes and (minus is None or minus in sizes):
            want = sizes[label]["flash"] - (sizes[minus]["flash"] if minus else 0)
            want = f"{want:,}"
        out.append(("size:" + label + ("-" + minus if minus else ""), shown, want, m.start(3), m.end(3)))
    m = HEADLINE.search(text)
    if m:
        for i, label in ((1, "default"), (2, "secure")):
            want = f"{sizes[label]['flash']:,}" if label in sizes else None
            out.append(("headline " + label, m.group(i), want, m.start(i), m.end(i)))
    for m in re.finditer(r"^\| (.+?) \| (\d+) \| (\d+) \| (\d+) \|", text, re.M):
        label = PERF_ROWS.get(m.group(1))
        if label is None:
            continue
        s = sizes.get(label)
        wants = [str(s["flash"]), str(BUDGET - s["flash"]), str(s["bss"])] if s else [None] * 3
        for i, name in enumerate(("flash", "headroom", "bss")):
            out.append((f"{m.group(1)} {name}", m.group(2 + i), wants[i], m.start(2 + i), m.end(2 + i)))
    return out


def main():
    mode, table = sys.argv[1], sys.argv[2]
    sizes = read_table(table)
    bad = 0
    for path in ["README.md"] + sorted(glob.glob("docs/*.md")):
        text = open(path).read()
        found = figures(text, sizes)
        if mode == "write":
            for _, shown, want, start, end in reversed(found):
                if want is not None:
                    text = text[:start] + want + text[end:]
            open(path, "w").write(text)
            continue
        for what, shown, want, _, _ in found:
            name = f"{path}: {what} = {shown}"
            if want is None:
                print(f"SKIP docs_figures:{name} (configuration not in the size table)")
            elif shown == want:
                print(f"PASS docs_figures:{name}")
            else:
                print(f"FAIL docs_figures:{name}, the build says {want} (run make size)")
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
