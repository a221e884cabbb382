#!/usr/bin/env bash
# Bad files are rejected before any flash operation; the old app still boots; the red LED
# blinks the error code (README, "Status"). Real bootloader binary in stickemu.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
make -s --no-print-directory firmware app build/stickimg build/stickemu >/dev/null 2>&1
make -s --no-print-directory app APP_BASE=0x08008000 >/dev/null 2>&1

# The old app: the example app, version 1.0.0, installed from a stick once.
build/stickimg pack build/blink.bin -o "$d/old.bin" --version 1.0.0 -q
make_fat_stick "$d/old.img" 64 32 "$d/old.bin"
fresh_flash "$d/base.bin"
"$EMU" --flash "$d/base.bin" --stick "$d/old.img" --stop-after-app-ms 100 >/dev/null 2>&1
old_crc=$(od -An -tx4 -j $((0x4000)) -N 400 "$d/base.bin" | md5sum)

# expect_rejected NAME CODE FILE|-dir|-none
expect_rejected() {
    local name=$1 code=$2 file=$3 img=$d/bad.img
    case "$file" in
    -none) make_fat_stick "$img" 64 32 "" ;;
    -dir)
        make_fat_stick "$img" 64 32 ""
        MTOOLS_SKIP_CHECK=1 mmd -i "$img" ::IMAGE.BIN
        ;;
    *) make_fat_stick "$img" 64 32 "$file" ;;
    esac
    cp "$d/base.bin" "$d/run.bin"
    local out
    out=$("$EMU" --flash "$d/run.bin" --stick "$img" --stop-after-app-ms 200 --run-ms 12000 2>&1)
    local blinks ops state
    blinks=$(sed -n '/app entry/q;p' <<<"$out" | grep -c 'LED red on')
    ops=$(result_key "$out" flash_ops)
    state=$(result_key "$out" state)
    if [ "$state" = app ] && [ "$ops" = 0 ] && [ "$blinks" = "$code" ] &&
        [ "$(od -An -tx4 -j $((0x4000)) -N 400 "$d/run.bin" | md5sum)" = "$old_crc" ]; then
        pass "$name: rejected, error $code, no flash operation, old app boots"
    else
        fail "$name: rejected, error $code, no flash operation, old app boots" \
            "state=$state flash_ops=$ops red_blinks=$blinks"
    fi
}

raw_with() { # OUT OFFSET WORD: blink.bin with one word replaced
    cp build/blink.bin "$1"
    printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($3 & 255)) $(($3 >> 8 & 255)) $(($3 >> 16 & 255)) $(($3 >> 24 & 255)))" |
        dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

build/stickimg pack build/blink.bin -o "$d/new.bin" --version 2.0.0 -q
head -c -1 "$d/new.bin" >"$d/truncated.bin"
expect_rejected "truncated" 9 "$d/truncated.bin"

cp "$d/new.bin" "$d/badcrc.bin"
printf '\x55' | dd of="$d/badcrc.bin" bs=1 seek=200 conv=notrunc status=none
expect_rejected "wrong CRC" 9 "$d/badcrc.bin"

build/stickimg pack build/blink.bin -o "$d/board.bin" --version 2.0.0 --board nucleo-f446ze -q
expect_rejected "wrong board id" 9 "$d/board.bin"

build/stickimg pack build/f4discovery-app8000/blink.bin -o "$d/base8000.bin" --app-base 0x08008000 -q
expect_rejected "wrong load address" 9 "$d/base8000.bin"

cp build/blink.bin "$d/huge.bin"
truncate -s $((1024 * 1024 - 16384 + 4)) "$d/huge.bin"
expect_rejected "too big for the region" 8 "$d/huge.bin"

raw_with "$d/sp.bin" 0 0x30000000
expect_rejected "SP outside SRAM" 9 "$d/sp.bin"

raw_with "$d/reset.bin" 4 0x08080001
expect_rejected "reset vector outside the image" 9 "$d/reset.bin"

: >"$d/empty.bin"
expect_rejected "empty file" 9 "$d/empty.bin"

expect_rejected "a directory named IMAGE.BIN" 6 -dir
expect_rejected "no IMAGE.BIN" 6 -none
