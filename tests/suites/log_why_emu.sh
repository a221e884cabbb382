#!/usr/bin/env bash
# The LOG=1 UART log says why an update was refused (issue 17 item 4): after "stickboot: error N"
# comes "stickboot: why: <reason>[: found, expected]". Real LOG=1 bootloader binaries in stickemu.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
make -s --no-print-directory firmware LOG=1 app build/stickimg build/stickemu build/corpus/manifest.txt >/dev/null 2>&1
make -s --no-print-directory app APP_BASE=0x08008000 >/dev/null 2>&1
make -s --no-print-directory firmware LOG=1 SECURE=1 >/dev/null 2>&1
BL=build/f4discovery-log/stickboot.bin
BLS=build/f4discovery-log-secure/stickboot.bin
S=build/stickimg

# uart_of FLASH_BL FILE: the UART lines of a run from empty flash with FILE as IMAGE.BIN, joined by |.
uart_of() {
    make_fat_stick "$d/s.img" 64 32 "$2"
    fresh_flash "$d/f.bin" "$1"
    "$EMU" --flash "$d/f.bin" --stick "$d/s.img" --run-ms "${3:-3000}" --trace uart 2>&1 |
        grep -o 'uart: stickboot: .*' | sed 's/uart: //' | tr -d '\r' | tr '\n' '|'
}
# says NAME FLASH_BL FILE PATTERN
says() {
    local log
    log=$(uart_of "$2" "$3")
    if grep -Eq -- "$4" <<<"$log"; then pass "$1"; else fail "$1" "log: ${log:0:400}"; fi
}

$S pack build/blink.bin -o "$d/good.bin" --version 1.0.0 -q
python3 - "$d/good.bin" "$d/corrupt.bin" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read()); d[100] ^= 0x10; open(sys.argv[2], "wb").write(d)
PY
says "corrupt image: bad crc, found and expected" $BL "$d/corrupt.bin" \
    'stickboot: error 9\|stickboot: why: bad crc: 0x[0-9A-F]{8}, expected 0x[0-9A-F]{8}\|'
$S pack build/blink.bin -o "$d/nucleo.bin" --board nucleo-f446ze -q
says "another board: board id found and expected" $BL "$d/nucleo.bin" \
    'stickboot: error 9\|stickboot: why: wrong board: 0x0446E144, expected 0x0407D15C\|'
$S pack build/f4discovery-app8000/blink.bin -o "$d/at8000.bin" --app-base 0x08008000 -q
says "another load address: found and expected" $BL "$d/at8000.bin" \
    'stickboot: error 9\|stickboot: why: bad load address: 0x08008000, expected 0x08004000\|'
says "raw binary for another base: the base it is linked for" $BL build/corpus/app8000-Os-24k-code-first.bin \
    'stickboot: error 9\|stickboot: why: linked for another base: 0x08008000, expected 0x08004000\|'
python3 - build/blink.bin "$d/badsp.bin" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read()); struct.pack_into("<I", d, 0, 0x30000000)
open(sys.argv[2], "wb").write(d)
PY
says "vector table: a stack pointer outside SRAM" $BL "$d/badsp.bin" \
    'stickboot: error 9\|stickboot: why: bad stack pointer: 0x30000000, expected 0x20020000\|'
head -c $((1100 * 1024)) /dev/zero | tr '\0' '\377' >"$d/huge.bin"
says "size: a file larger than the region" $BL "$d/huge.bin" \
    'stickboot: error 8\|stickboot: why: too big: 0x00113000, expected 0x000FC000\|'

# Files that are not images at all, under the name IMAGE.BIN
says "an ELF copied as IMAGE.BIN is named" $BL build/blink.elf \
    'stickboot: error (8|9)\|stickboot: why: an ELF file, not an image'
arm-none-eabi-objcopy -O ihex build/blink.elf "$d/app.hex"
says "an Intel HEX copied as IMAGE.BIN is named (error 9)" $BL "$d/app.hex" \
    'stickboot: error 9\|stickboot: why: an Intel HEX file, not an image'
# A HEX of a large application is larger than the region (error 8): named too.
for _ in $(seq 1 1100); do cat "$d/app.hex"; done >"$d/big.hex" # > 1008 KB
says "a large Intel HEX copied as IMAGE.BIN is named (error 8)" $BL "$d/big.hex" \
    'stickboot: error 8\|stickboot: why: an Intel HEX file, not an image'
arm-none-eabi-objcopy -O srec build/blink.elf "$d/app.srec"
says "an S-record file copied as IMAGE.BIN is named" $BL "$d/app.srec" \
    'stickboot: error 9\|stickboot: why: an S-record file, not an image'

# Signature and rollback (SECURE=1 LOG=1)
says "secure: an unsigned image" $BLS "$d/good.bin" \
    'stickboot: error 10\|stickboot: why: unsigned\|'
$S pack build/blink.bin -o "$d/s2.bin" --version 2.0.0 --key keys/dev-key.pem -q
$S pack build/blink.bin -o "$d/s1.bin" --version 1.0.0 --key keys/dev-key.pem -q
python3 - "$d/s1.bin" "$d/s1bad.bin" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read()); d[-40] ^= 1
# the trailer CRC covers the signature: fix it so that only the signature is wrong
import struct
def crc(data):
    c = 0xFFFFFFFF
    for (w,) in struct.iter_unpack("<I", data):
        c ^= w
        for _ in range(32):
            c = ((c << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if c & 0x80000000 else (c << 1) & 0xFFFFFFFF
    return c
L = struct.unpack_from("<I", d, 28)[0]
struct.pack_into("<I", d, len(d) - 4, crc(bytes(d[L:len(d) - 4])))
open(sys.argv[2], "wb").write(d)
PY
says "secure: a bad signature" $BLS "$d/s1bad.bin" \
    'stickboot: error 10\|stickboot: why: bad signature\|'
make_fat_stick "$d/s2.img" 64 32 "$d/s2.bin"
fresh_flash "$d/sec.bin" "$BLS"
"$EMU" --flash "$d/sec.bin" --stick "$d/s2.img" --stop-after-app-ms 100 >/dev/null 2>&1
make_fat_stick "$d/s1.img" 64 32 "$d/s1.bin"
log=$("$EMU" --flash "$d/sec.bin" --stick "$d/s1.img" --button --run-ms 3000 --trace uart 2>&1 |
    grep -o 'uart: stickboot: .*' | sed 's/uart: //' | tr -d '\r' | tr '\n' '|')
if grep -Eq 'stickboot: error 10\|stickboot: why: rollback: 0x01000000, expected 0x02000000\|' <<<"$log"; then
    pass "secure: rollback, versions found and expected"
else fail "secure: rollback, versions found and expected" "log: ${log:0:400}"; fi

# A good image logs no reason
log=$(uart_of $BL "$d/good.bin" 1500)
check "a good image: done, no why line" bash -c "grep -q 'stickboot: done' <<<'$log' && ! grep -q 'why' <<<'$log'"
