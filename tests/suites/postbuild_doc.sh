#!/usr/bin/env bash
# The CubeIDE post-build lines of docs/moving-your-app.md ("Post-build step"): the Linux lines
# run as printed (/path/to/stickboot and ${ProjName} filled in) in a build folder; IMAGE.BIN
# must equal stickimg pack's, and the production line's factory-crc.hex srec_cat's. The
# Windows lines run under wine in tests/windows/postbuild.sh; here only that both are there.
cd "$(dirname "$0")/../.."
. tests/lib.sh
ROOT=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
make -s --no-print-directory build/stickimg app >/dev/null 2>&1 || { fail "build stickimg"; exit 0; }
make -s --no-print-directory firmware SREC_CRC_ADDR=0x080FFFFC >/dev/null 2>&1 ||
    { fail "build the SREC_CRC_ADDR bootloader"; exit 0; }

mapfile -t linux < <(python3 tests/tools/postbuild-lines.py linux)
mapfile -t windows < <(python3 tests/tools/postbuild-lines.py windows)
check "the doc shows two Linux lines (pack; production)" test ${#linux[@]} -eq 2
check "the doc shows two Windows lines (pack; production)" test ${#windows[@]} -eq 2

mkdir -p "$work/Debug"
cp build/blink.elf "$work/Debug/myapp.elf"
fill() { sed -e "s|/path/to/stickboot|$ROOT|g" -e 's/\${ProjName}/myapp/g' <<<"$1"; }
build/stickimg pack build/blink.elf -o "$work/ref.bin" --version 1.0.0 -q
build/stickimg pack build/blink.elf -o "$work/ref-srec.bin" --srec-crc-addr 0x080FFFFC --version 1.0.0 -q
build/stickimg factory build/f4discovery-srec/stickboot.bin "$work/ref-srec.bin" -o "$work/factory.hex" \
    --srec-crc-addr 0x080FFFFC >/dev/null
srec_cat "$work/factory.hex" -Intel -fill 0xFF 0x08000000 0x080FFFFC -crop 0x08000000 0x080FFFFC \
    -STM32 0x080FFFFC -o "$work/srec.hex" -Intel 2>/dev/null

check "Linux pack line runs in the build folder" bash -c "cd '$work/Debug' && $(fill "${linux[0]}")"
check "... IMAGE.BIN equals stickimg pack's" cmp "$work/Debug/IMAGE.BIN" "$work/ref.bin"
rm -f "$work/Debug/IMAGE.BIN"
check "Linux production line runs" bash -c "cd '$work/Debug' && $(fill "${linux[1]}")"
check "... IMAGE.BIN is the SREC_CRC_ADDR image" cmp "$work/Debug/IMAGE.BIN" "$work/ref-srec.bin"
check "... factory-crc.hex equals srec_cat -STM32 over factory.hex" cmp "$work/Debug/factory-crc.hex" "$work/srec.hex"
