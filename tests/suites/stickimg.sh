#!/usr/bin/env bash
# stickimg: pack -> info -> verify round trips on the example app (both APP_BASEs, .bin/.hex/
# .elf inputs), every refusal and bad input (one line on stderr, exit status 1), the CRC
# reference vectors, the seed's srec_cat command, and factory.
cd "$(dirname "$0")/../.."
. tests/lib.sh

S=${STICKIMG:-build/stickimg}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# refuses NAME PATTERN CMD...: CMD exits 1 and prints one stderr line matching PATTERN.
refuses() {
    local name=$1 pattern=$2
    shift 2
    local err rc
    err=$("$@" 2>&1 >/dev/null)
    rc=$?
    if [ $rc -eq 1 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -Eq -- "$pattern" <<<"$err"; then
        pass "$name"
    else
        fail "$name" "exit $rc, stderr: $err (wanted /$pattern/)"
    fi
}

make -s --no-print-directory app build/stickimg >/dev/null 2>&1 || { fail "build app and stickimg"; exit 0; }
make -s --no-print-directory app APP_BASE=0x08008000 >/dev/null 2>&1 || fail "build app at 0x08008000"
arm-none-eabi-objcopy -O ihex build/blink.elf "$work/blink.hex"
app8=build/f4discovery-app8000/blink.elf

# ---- round trips ----
check "pack blink.bin" $S pack build/blink.bin -o "$work/a.bin" --version 1.2.3 -q
check "pack blink.elf" $S pack build/blink.elf -o "$work/b.bin" --version 1.2.3 -q
check "pack blink.hex" $S pack "$work/blink.hex" -o "$work/c.bin" --version 1.2.3 -q
check "bin, elf and hex inputs give the same image" cmp "$work/a.bin" "$work/b.bin"
check "hex input gives the same image" cmp "$work/a.bin" "$work/c.bin"
blink_size=$(stat -c %s build/blink.bin)
L=$(((blink_size + 3) / 4 * 4))
check "image is L + 36 bytes" test "$(stat -c %s "$work/a.bin")" -eq $((L + 36))
check "image starts with blink.bin (word 7 aside)" \
    python3 -c "import sys; a=open('$work/a.bin','rb').read(); b=open('build/blink.bin','rb').read(); sys.exit(a[:28]!=b[:28] or a[32:len(b)]!=b[32:])"
check "info passes" $S info "$work/a.bin"
json=$($S info --json "$work/a.bin")
check "info --json fields" python3 -c "
import json, sys, struct
j = json.loads(sys.argv[1]); img = open('$work/a.bin','rb').read()
assert j['ok'] is True and j['result'] == 'ok', j
assert j['app_length'] == $L == struct.unpack_from('<I', img, 0x1C)[0], j
assert j['version'] == '1.2.3' and j['version_code'] == 0x01020003, j
assert j['board'] == 'f4discovery' and j['board_id'] == 0x0407D15C, j
assert j['load_address'] == 0x08004000 and j['trailer_size'] == 36 and j['format'] == 1, j
assert j['app_crc'] == j['computed_crc'] and j['signed'] is False, j
assert img[$L:$L+4] == b'SBT1'
" "$json"
check "verify passes" $S verify -q "$work/a.bin"
check "build/image.bin verifies" $S verify -q build/image.bin
refuses "verify on another board" "wrong board.*nucleo-f446ze" $S verify --board nucleo-f446ze "$work/a.bin"
refuses "verify for APP_BASE 0x08008000" "bad load address" $S verify --app-base 0x08008000 "$work/a.bin"
refuses "verify --require-signed on an unsigned image" "unsigned" $S verify --require-signed "$work/a.bin"

if [ -f "$app8" ]; then
    check "pack at 0x08008000" $S pack "$app8" --app-base 0x08008000 -o "$work/a8.bin" -q
    check "verify at 0x08008000" $S verify -q --app-base 0x08008000 "$work/a8.bin"
    check "info at 0x08008000" $S info "$work/a8.bin"
    refuses "app linked at 0x08008000, packed for 0x08004000" "starts at 0x08008000, not at APP_BASE 0x08004000" \
        $S pack "$app8" -o "$work/x.bin"
    refuses "verify 0x08008000 image at default APP_BASE" "bad load address" $S verify "$work/a8.bin"
fi
refuses "blink.bin packed for 0x08008000 has its reset vector outside" "reset vector 0x0800[0-9A-F]+ points outside the application.*linked for 0x08004000" \
    $S pack build/blink.bin --app-base 0x08008000 -o "$work/x.bin"
check "SREC_CRC_ADDR region" $S verify -q --srec-crc-addr 0x080FFFFC "$work/a.bin"

# ---- verify catches damage ----
damage() { # damage OUT OFFSET: flips one bit of a copy of a.bin
    cp "$work/a.bin" "$1"
    python3 -c "import sys; p=sys.argv[1]; d=bytearray(open(p,'rb').read()); d[int(sys.argv[2])]^=1; open(p,'wb').write(d)" "$1" "$2"
}
damage "$work/d1.bin" 100
refuses "verify: application byte flipped" "bad crc" $S verify "$work/d1.bin"
check "info: application byte flipped: exit 1, says bad crc" \
    bash -c "! $S info '$work/d1.bin' >'$work/info.txt' && grep -q 'check *bad crc' '$work/info.txt'"
damage "$work/d2.bin" $((L + 20))
refuses "verify: trailer byte flipped" "bad trailer crc" $S verify "$work/d2.bin"
damage "$work/d3.bin" $((L + 1))
refuses "verify: trailer magic damaged" "bad magic" $S verify "$work/d3.bin"
head -c $((L + 30)) "$work/a.bin" >"$work/d4.bin"
refuses "verify: truncated image" "bad length" $S verify "$work/d4.bin"
refuses "verify: raw binary" "is a raw binary, not a packed image: verify takes the image stickimg pack makes" $S verify build/blink.bin

# ---- pack refusals and bad inputs ----
refuses "missing file" "nothing.bin: cannot open" $S pack "$work/nothing.bin" -o "$work/x.bin"
: >"$work/empty.bin"
refuses "empty .bin" "empty input" $S pack "$work/empty.bin" -o "$work/x.bin"
: >"$work/empty.hex"
refuses "empty .hex" "empty input" $S pack "$work/empty.hex" -o "$work/x.bin"
printf ':00000001FF\n' >"$work/nodata.hex"
refuses "hex without data" "no data" $S pack "$work/nodata.hex" -o "$work/x.bin"
python3 - "$work" <<'PY'
import sys
w = sys.argv[1]
lines = open(w + "/blink.hex").read().splitlines()
def save(name, ls): open(w + "/" + name, "w").write("\n".join(ls) + "\n")
def rec(kind, addr, data):
    body = bytes([len(data), addr >> 8, addr & 0xFF, kind]) + data
    return ":" + body.hex().upper() + "%02X" % (-sum(body) & 0xFF)
bad = list(lines); bad[2] = bad[2][:-2] + "%02X" % ((int(bad[2][-2:], 16) + 1) & 0xFF)
save("badsum.hex", bad)
save("badtype.hex", lines[:3] + [rec(6, 0, b"\x00\x00")] + lines[3:])
save("overlap.hex", lines[:3] + [rec(0, 0x4008, b"\x01\x02\x03\x04")] + lines[3:])
save("noeof.hex", lines[:-1])
save("garbage.hex", lines[:2] + ["hello"] + lines[2:])
elf = bytearray(open("build/blink.elf", "rb").read())
x86 = bytearray(elf); x86[18:20] = (3).to_bytes(2, "little"); open(w + "/x86.elf", "wb").write(x86)
rv = bytearray(elf); rv[18:20] = (243).to_bytes(2, "little"); open(w + "/riscv.elf", "wb").write(rv)
cut = elf[:200]; open(w + "/cut.elf", "wb").write(cut)
img = bytearray(open("build/blink.bin", "rb").read())
sp = bytearray(img); sp[0:4] = (0x10010000).to_bytes(4, "little"); open(w + "/badsp.bin", "wb").write(sp)
rs = bytearray(img); rs[4:8] = (0x08004050).to_bytes(4, "little"); open(w + "/arm.bin", "wb").write(rs)
far = bytearray(img); far[4:8] = (0x08080001).to_bytes(4, "little"); open(w + "/far.bin", "wb").write(far)
w7 = bytearray(img); w7[0x1C:0x20] = (0x1234).to_bytes(4, "little"); open(w + "/word7.bin", "wb").write(w7)
big = img + b"\x00" * (1024 * 1024 - len(img)); open(w + "/big.bin", "wb").write(big)
fits = img + b"\x00" * (0xFC000 - 36 - len(img)); open(w + "/fits.bin", "wb").write(fits)
save("low.hex", [rec(4, 0, b"\x08\x00"), rec(0, 0, bytes(img[:16]))] + lines[1:])
PY
refuses "hex: bad checksum" "line 3: checksum mismatch" $S pack "$work/badsum.hex" -o "$work/x.bin"
refuses "hex: unknown record type" "line 4: unknown record type 0x06" $S pack "$work/badtype.hex" -o "$work/x.bin"
refuses "hex: overlapping records" "line [0-9]+: data at 0x08004008.*overlaps" $S pack "$work/overlap.hex" -o "$work/x.bin"
refuses "hex: no end record" "no end-of-file record" $S pack "$work/noeof.hex" -o "$work/x.bin"
refuses "hex: a line that is no record" "line 3: not an Intel HEX record" $S pack "$work/garbage.hex" -o "$work/x.bin"
refuses "ELF for x86" "ELF for x86 \(machine 3\), not ARM" $S pack "$work/x86.elf" -o "$work/x.bin"
refuses "ELF for RISC-V" "ELF for RISC-V" $S pack "$work/riscv.elf" -o "$work/x.bin"
refuses "64-bit host ELF" "64-bit ELF" $S pack "$(type -P true)" -o "$work/x.bin" --format elf
refuses "truncated ELF" "outside the file" $S pack "$work/cut.elf" -o "$work/x.bin"
refuses "vector table: SP in CCM, not SRAM" "initial SP 0x10010000" $S pack "$work/badsp.bin" -o "$work/x.bin"
refuses "vector table: reset vector without the Thumb bit" "reset vector 0x08004050" $S pack "$work/arm.bin" -o "$work/x.bin"
refuses "vector table: reset vector outside the image" "reset vector 0x08080001" $S pack "$work/far.bin" -o "$work/x.bin"
refuses "word 7 already used" "word 7 .* holds 0x00001234" $S pack "$work/word7.bin" -o "$work/x.bin"
refuses "larger than flash" "does not fit.*larger than flash" $S pack "$work/big.bin" -o "$work/x.bin"
check "exactly fills the region" $S pack -q "$work/fits.bin" -o "$work/x.bin"
refuses "one word over the region" "does not fit" $S pack "$work/fits.bin" --srec-crc-addr 0x080FFFFC -o "$work/x.bin"
refuses "does not fit a 512 KB board" "does not fit" $S pack "$work/fits.bin" --board nucleo-f446ze -o "$work/x.bin"
refuses "input below APP_BASE" "starts at 0x08000000, where the bootloader is: set FLASH ORIGIN = 0x08004000" $S pack "$work/low.hex" -o "$work/x.bin"
refuses "already packed" "is a packed image already" $S pack "$work/a.bin" -o "$work/x.bin"
refuses "APP_BASE inside the bootloader sector" "not a flash sector start" $S pack build/blink.bin --app-base 0x08000000 -o "$work/x.bin"
refuses "APP_BASE not a sector start" "not a flash sector start" $S pack build/blink.bin --app-base 0x08004200 -o "$work/x.bin"
check "no output left behind by refusals" test ! -e "$work/x.bin.tmp"

# usage errors: exit 2
usage() {
    local name=$1
    shift
    "$@" >/dev/null 2>&1
    local rc=$?
    if [ $rc -eq 2 ]; then pass "$name"; else fail "$name" "exit $rc, wanted 2"; fi
}
usage "usage: unknown command" $S frobnicate
usage "usage: pack without -o" $S pack build/blink.bin
usage "usage: unknown board" $S pack build/blink.bin -o "$work/x.bin" --board nosuch
usage "usage: bad version" $S pack build/blink.bin -o "$work/x.bin" --version 1.2
usage "usage: version out of range" $S pack build/blink.bin -o "$work/x.bin" --version 256.0.0
usage "usage: unknown option" $S verify --frob "$work/a.bin"
usage "usage: crc bad range" $S crc build/blink.bin --range 10:5
for cmd in pack info verify crc factory; do
    check "$cmd --help" bash -c "$S $cmd --help | grep -q 'Usage: stickimg $cmd'"
done

# ---- CRC reference vectors (values srec_cat -STM32 computes for the same bytes) ----
printf 'Hello, World!\n\xff\xff' >"$work/hello.bin"
check "crc: \"Hello, World!\\n\"+FF FF = 0xC7FC77B9" test "$($S crc "$work/hello.bin")" = 0xC7FC77B9
printf '\x78\x56\x34\x12' >"$work/word.bin"
check "crc: word 0x12345678 = 0xDF8A8A2B" test "$($S crc "$work/word.bin")" = 0xDF8A8A2B
printf '\0\0\0\0' >"$work/zero.bin"
check "crc: word 0 = 0xC704DD7B" test "$($S crc "$work/zero.bin")" = 0xC704DD7B
check "crc: trailing bytes left out like srec_cat" \
    test "$($S crc "$work/hello.bin" --range 0:14 2>/dev/null)" = "$($S crc "$work/hello.bin" --range 0:12)"
check "crc: CRC of the image's [0, L) equals the trailer's app_crc" test "$($S crc "$work/a.bin" --range 0:$L)" = \
    "$(python3 -c "import json,sys; print('0x%08X' % json.loads(sys.argv[1])['app_crc'])" "$json")"

# ---- the seed's srec_cat command ----
if command -v srec_cat >/dev/null; then
    srec_cat "$work/blink.hex" -Intel -fill 0xFF 0x08000000 0x080FFFFC -crop 0x08000000 0x080FFFFC \
        -STM32 0x080FFFFC -o "$work/ROM1.hex" -Intel 2>/dev/null
    $S crc "$work/blink.hex" --fill 0xFF --range 0x08000000:0x080FFFFC -o "$work/ROM1s.hex"
    check "seed command: output identical to srec_cat" cmp "$work/ROM1.hex" "$work/ROM1s.hex"
else
    skip "seed command: output identical to srec_cat" "srec_cat not installed"
fi

# ---- factory ----
if [ -f build/stickboot.bin ]; then
    check "factory hex" $S factory build/stickboot.bin "$work/a.bin" -o "$work/factory.hex"
    check "factory hex holds bootloader and image" python3 - "$work/factory.hex" build/stickboot.bin "$work/a.bin" <<'PY'
import sys
mem, upper = {}, 0
for line in open(sys.argv[1]):
    b = bytes.fromhex(line.strip()[1:]); n, addr, kind = b[0], b[1] << 8 | b[2], b[3]
    assert sum(b) & 0xFF == 0
    if kind == 4: upper = int.from_bytes(b[4:6], "big") << 16
    if kind == 0:
        for i in range(n): mem[upper + addr + i] = b[4 + i]
boot, img = open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
assert all(mem[0x08000000 + i] == v for i, v in enumerate(boot))
assert all(mem[0x08004000 + i] == v for i, v in enumerate(img))
assert len(mem) == len(boot) + len(img)
PY
    refuses "factory: damaged image" "bad crc" $S factory build/stickboot.bin "$work/d1.bin" -o "$work/f.hex"
    refuses "factory: bootloader overlapping APP_BASE" "bootloader must lie in" $S factory "$work/big.bin" "$work/a.bin" -o "$work/f.hex"
    if [ -f "$app8" ]; then
        check "factory at 0x08008000" $S factory build/stickboot.bin "$work/a8.bin" -o "$work/f8.hex"
    fi
fi
