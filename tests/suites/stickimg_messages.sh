#!/usr/bin/env bash
# stickimg names the mistake, not the symptom (issue 17 item 3): what a file is by its contents
# whatever its name, what verify takes, where an application is linked and what to change.
cd "$(dirname "$0")/../.."
. tests/lib.sh
S=${STICKIMG:-build/stickimg}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
make -s --no-print-directory build/stickimg app >/dev/null 2>&1
make -s --no-print-directory app APP_BASE=0x08000000 >/dev/null 2>&1
make -s --no-print-directory build/image.bin >/dev/null 2>&1

# says NAME PATTERN CMD...: CMD exits 1 and its one-line stderr matches PATTERN (extended regex).
says() {
    local name=$1 pattern=$2 err rc
    shift 2
    err=$("$@" 2>&1 >/dev/null)
    rc=$?
    if [ $rc -eq 1 ] && grep -Eq -- "$pattern" <<<"$err"; then pass "$name"; else
        fail "$name" "exit $rc: $err"; fi
}

arm-none-eabi-objcopy -O ihex build/blink.elf "$work/app.hex"
arm-none-eabi-objcopy -O srec build/blink.elf "$work/app.srec"
cp "$work/app.hex" "$work/hex-renamed.bin"
cp build/blink.elf "$work/elf-renamed.bin"
cp "$work/app.srec" "$work/srec-renamed.bin"
cp build/image.bin "$work/packed.hex"

# pack: an Intel HEX or ELF named .bin is read as what it is, with a warning that says so
out=$($S pack "$work/hex-renamed.bin" -o "$work/h.bin" 2>&1)
check "pack: Intel HEX named .bin is read as Intel HEX and said so ($out)" \
    grep -q 'is an Intel HEX file, not a raw binary (by its contents); read as such' <<<"$out"
check "pack: Intel HEX named .bin gives the same image as the .elf" \
    bash -c "$S pack build/blink.elf -o $work/e.bin -q && cmp $work/e.bin $work/h.bin"
out=$($S pack "$work/elf-renamed.bin" -o "$work/x.bin" 2>&1)
check "pack: ELF named .bin is read as ELF and said so" grep -q 'is an ELF file, not a raw binary' <<<"$out"
says "pack: SREC (any name) is named and a conversion given" \
    'is a Motorola S-record \(SREC\) file; stickimg reads raw .bin, Intel .hex and .elf.*objcopy -I srec' \
    $S pack "$work/srec-renamed.bin" -o "$work/x.bin"
says "pack: a packed image (named .hex) is recognised" 'is a packed image already' \
    $S pack "$work/packed.hex" -o "$work/x.bin"

# verify takes a packed image, and says what it got instead
for f in hex-renamed.bin:"an Intel HEX file" elf-renamed.bin:"an ELF file" \
    srec-renamed.bin:"a Motorola S-record \(SREC\) file"; do
    says "verify: ${f%%:*} is ${f#*:}, not a packed image" \
        "is ${f#*:}, not a packed image: verify takes the image stickimg pack makes" \
        $S verify "$work/${f%%:*}"
done
says "verify: a raw .bin is not a packed image" 'is a raw binary, not a packed image' $S verify build/blink.bin
check "verify: a packed image named .hex verifies" $S verify -q "$work/packed.hex"

# an application linked at 0x08000000: change the linker script's FLASH ORIGIN
says "pack: raw .bin linked at 0x08000000 -> FLASH ORIGIN and the doc section" \
    'reset vector 0x0800[0-9A-F]{4} points outside the application .*linked for 0x08000000, where the bootloader is: set FLASH ORIGIN = 0x08004000 in the application.s linker script \(docs/moving-your-app.md, "Linker script"\)' \
    $S pack build/f4discovery-app0000/blink.bin -o "$work/x.bin"
says "pack: ELF linked at 0x08000000 -> FLASH ORIGIN and the doc section" \
    'starts at 0x08000000, where the bootloader is: set FLASH ORIGIN = 0x08004000 .*"Linker script"' \
    $S pack build/f4discovery-app0000/blink.elf -o "$work/x.bin"
check "docs/moving-your-app.md has the section the messages name" grep -q '^### Linker script' docs/moving-your-app.md
check "docs/image-format.md has the section the messages name" grep -q '^## Raw images linked for another base' docs/image-format.md

# a reset vector outside the application says "outside"; a cleared Thumb bit says so
python3 - build/blink.bin "$work/outside.bin" "$work/arm.bin" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
o = bytearray(d); struct.pack_into("<I", o, 4, 0x08060001); open(sys.argv[2], "wb").write(o)
a = bytearray(d); struct.pack_into("<I", a, 4, struct.unpack_from("<I", d, 4)[0] & ~1); open(sys.argv[3], "wb").write(a)
PY
says "pack: reset vector outside the application says outside" \
    'reset vector 0x08060001 points outside the application \[0x08004000, 0x08004' $S pack "$work/outside.bin" -o "$work/x.bin"
says "pack: reset vector without the Thumb bit says so" \
    'reset vector 0x0800[0-9A-F]{4} is not a Thumb address \(bit 0 clear\)' $S pack "$work/arm.bin" -o "$work/x.bin"
