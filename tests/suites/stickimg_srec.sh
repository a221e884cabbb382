#!/usr/bin/env bash
# stickimg crc against the real srec_cat (Debian srecord) on random inputs made from a fixed
# seed: lengths 0-64 KB (many not a multiple of 4), .bin and Intel .hex inputs with holes and
# start addresses, ranges that cut anywhere, fills, both CRC byte orders, .hex and .bin output.
# Every output file must be byte-identical.
cd "$(dirname "$0")/../.."
. tests/lib.sh

if ! command -v srec_cat >/dev/null; then
    skip "crc matches srec_cat" "srec_cat not installed"
    exit 0
fi
work=${KEEP:-$(mktemp -d)}
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT

out=$(python3 - "$work" "${SREC_CASES:-240}" <<'PY'
import os, random, subprocess, sys

work, cases = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261124)
tool = os.path.abspath(os.environ.get("STICKIMG", "build/stickimg"))

def write_hex(path, segments, start):
    """Intel HEX with 04 records and 16-byte data records, like a typical toolchain writes."""
    lines, upper = [], None
    def rec(kind, addr, data):
        body = bytes([len(data), addr >> 8 & 0xFF, addr & 0xFF, kind]) + data
        lines.append(":" + body.hex().upper() + "%02X" % (-sum(body) & 0xFF))
    for addr, data in segments:
        for i in range(0, len(data), 16):
            a = addr + i
            if a >> 16 != upper:
                upper = a >> 16
                rec(4, 0, upper.to_bytes(2, "big"))
            rec(0, a & 0xFFFF, data[i:i + 16])
    if start is not None:
        rec(5, 0, start.to_bytes(4, "big"))
    rec(1, 0, b"")
    open(path, "w").write("\n".join(lines) + "\n")

def random_length():
    kind = rng.random()
    if kind < 0.15:
        return rng.randrange(0, 17)
    if kind < 0.5:
        return rng.randrange(0, 4096)
    return rng.randrange(0, 65537)

failures, compared, kinds = [], 0, {}
for case in range(cases):
    hex_input = rng.random() < 0.35
    if hex_input:
        base = rng.choice([0, 0x08000000, 0x08004000, 0x0800FF00 + rng.randrange(0, 256)])
        segments, addr = [], base
        for _ in range(rng.randrange(1, 5)):
            n = rng.randrange(1, 16384)
            segments.append((addr, os.urandom(n)))
            addr += n + rng.choice([0, 0, rng.randrange(1, 300)])
        start = rng.choice([None, base + 0x41])
        src = os.path.join(work, "in%d.hex" % case)
        write_hex(src, segments, start)
        low, high = segments[0][0], segments[-1][0] + len(segments[-1][1])
        src_srec, src_mine = [src, "-Intel"], [src]
    else:
        n = random_length()
        src = os.path.join(work, "in%d.bin" % case)
        open(src, "wb").write(os.urandom(n))
        low, high = 0, n
        src_srec, src_mine = [src, "-binary"], [src]

    filters, mine = [], []
    lo, hi = low, high
    if rng.random() < 0.5 and high > low:
        lo = rng.randrange(low, high)
        hi = rng.randrange(lo + 1, high + 40)
    fill = rng.random() < 0.6 and hi > lo
    if fill:
        byte = rng.choice([0xFF, 0x00, rng.randrange(256)])
        filters += ["-fill", "0x%02X" % byte, str(lo), str(hi)]
        mine += ["--fill", "0x%02X" % byte]
    if (lo, hi) != (low, high) or (fill and rng.random() < 0.5):
        filters += ["-crop", str(lo), str(hi)]
        mine += ["--range", "%d:%d" % (lo, hi)]
    elif fill:
        mine += ["--range", "%d:%d" % (lo, hi)]
    at = hi
    if rng.random() < 0.4:
        at = hi + rng.randrange(0, 64)
        mine += ["--at", str(at)]
    big = rng.random() < 0.5
    filters += ["-STM32-Big-Endian" if big else "-STM32", str(at)]
    if big:
        mine += ["--big-endian"]

    out_hex = rng.random() < 0.6
    ref = os.path.join(work, "ref%d" % case + (".hex" if out_hex else ".bin"))
    got = os.path.join(work, "got%d" % case + (".hex" if out_hex else ".bin"))
    if out_hex:
        out_srec = ["-o", ref, "-Intel"]
    else:
        # srec_cat -binary writes from address 0; stickimg from the lowest address.
        first = min(lo if fill else low, at) if high > low or fill else at
        if not fill and (lo, hi) != (low, high):
            first = min(max(low, lo), at)
        out_srec = (["-offset", "-%d" % first] if first else []) + ["-o", ref, "-binary"]
    r1 = subprocess.run(["srec_cat"] + src_srec + filters + out_srec, capture_output=True)
    r2 = subprocess.run([tool, "crc"] + src_mine + mine + ["-o", got], capture_output=True)
    cmd = "srec_cat %s | stickimg crc %s" % (" ".join(src_srec[1:] + filters + out_srec[:-2]),
                                             " ".join(mine))
    if r1.returncode != 0:
        failures.append("case %d: srec_cat failed: %s (%s)" % (case, r1.stderr.decode()[:200], cmd))
        continue
    if r2.returncode != 0:
        failures.append("case %d: stickimg failed: %s (%s)" % (case, r2.stderr.decode()[:200], cmd))
        continue
    if open(ref, "rb").read() != open(got, "rb").read():
        failures.append("case %d: outputs differ (%s)" % (case, cmd))
        continue
    compared += 1
    key = ("hex" if hex_input else "bin") + "->" + ("hex" if out_hex else "bin")
    kinds[key] = kinds.get(key, 0) + 1
    if not os.environ.get('KEEP'):
        for f in (ref, got, src):
            os.remove(f)

print("compared %d identical: %s" % (compared, ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))
for f in failures[:20]:
    print(f)
sys.exit(1 if failures else 0)
PY
)
status=$?
if [ $status -eq 0 ]; then
    pass "crc output identical to srec_cat ($(head -n1 <<<"$out"))"
else
    fail "crc output identical to srec_cat" "$out"
fi
