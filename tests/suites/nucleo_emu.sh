#!/usr/bin/env bash
# NUCLEO-F446ZE: the bootloader and the example app built for the board, run in stickemu on
# the board's model (LEDs PB0/PB7/PB14, button PC13, VBUS switch PG6, 512 KB flash).
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
make -s --no-print-directory firmware app BOARD=nucleo-f446ze >/dev/null 2>&1
make -s --no-print-directory firmware app build/stickimg build/stickemu >/dev/null 2>&1
OUT=build/nucleo-f446ze-default
BL=$OUT/stickboot.bin
BOARD_ARGS=(--board nucleo-f446ze --flash-size 512K)
run() { "$EMU" "${BOARD_ARGS[@]}" "$@" 2>&1; }
# Erased 512 KB flash holding only the nucleo bootloader.
nucleo_flash() {
    rm -f "$1"
    "$EMU" "${BOARD_ARGS[@]}" --flash "$1" --load 0x08000000 "$BL" --run-ms 0 >/dev/null 2>&1
}

if [ ! -f "$BL" ] || [ ! -f "$OUT/blink.bin" ]; then
    fail "make firmware app BOARD=nucleo-f446ze" "no $BL or $OUT/blink.bin"
    exit 0
fi
pass "make firmware app BOARD=nucleo-f446ze builds ($(stat -c %s "$BL") bytes)"
check "bootloader fits its 16 KB sector" test "$(stat -c %s "$BL")" -le 16384
check "the nucleo build carries its board id 0x0446E144" \
    env LC_ALL=C grep -q "$(printf '\x44\xe1\x46\x04')" "$BL"

build/stickimg pack "$OUT/blink.bin" -o "$d/v1.bin" --board nucleo-f446ze --version 1.0.0 -q
check "packed image verifies for nucleo-f446ze" build/stickimg verify "$d/v1.bin" --board nucleo-f446ze
make_fat_stick "$d/v1.img" 64 32 "$d/v1.bin"

# --- first install, then the same stick again
nucleo_flash "$d/f.bin"
check "flash file is 512 KB" test "$(stat -c %s "$d/f.bin")" = $((512 * 1024))
out=$(run --flash "$d/f.bin" --stick "$d/v1.img" --stop-after-app-ms 1500)
check "first install: the app runs" test "$(result_key "$out" state)" = app
words=$(result_key "$out" programmed_words)
check "first install programs the image + trailer ($words words)" \
    test "${words:-0}" = $(($(stat -c %s "$d/v1.bin") / 4))
check "first install: VBUS switch PG6 turned on" grep -q 'VBUS on' <<<"$out"
check "first install: blue LED (PB7) blinks while waiting" grep -q 'LED blue on' <<<"$out"
# The app blinks green (PB0): on at entry, off 100 ms later.
green_after_app=$(sed -n '/app entry/,$p' <<<"$out" | grep -c 'LED green on')
check "the installed app blinks the green LED PB0 ($green_after_app)" test "$green_after_app" -ge 2
out=$(run --flash "$d/f.bin" --stick "$d/v1.img" --stop-after-app-ms 1500)
check "same stick again: app runs" test "$(result_key "$out" state)" = app
check "same stick again: zero flash operations" test "$(result_key "$out" flash_ops)" = 0

# --- no stick + valid app
out=$(run --flash "$d/f.bin" --run-ms 1000)
entry=$(result_key "$out" app_entry_ms)
check "no stick + valid app: app within PROBE_MS + 10 ms ($entry ms)" \
    awk -v t="$entry" 'BEGIN { exit !(t > 0 && t <= 310) }'

# --- rejected before any flash operation: red LED (PB14) blinks the code, old app boots
base_md5=$(md5sum <"$d/f.bin")
expect_rejected() { # NAME CODE FILE
    local img=$d/bad.img
    make_fat_stick "$img" 64 32 "$3"
    cp "$d/f.bin" "$d/run.bin"
    local out blinks
    out=$(run --flash "$d/run.bin" --stick "$img" --stop-after-app-ms 200 --run-ms 12000)
    blinks=$(sed -n '/app entry/q;p' <<<"$out" | grep -c 'LED red on')
    if [ "$(result_key "$out" state)" = app ] && [ "$(result_key "$out" flash_ops)" = 0 ] &&
        [ "$blinks" = "$2" ] && [ "$(md5sum <"$d/run.bin")" = "$base_md5" ]; then
        pass "$1: rejected, error $2, no flash operation, old app boots"
    else
        fail "$1: rejected, error $2, no flash operation, old app boots" \
            "state=$(result_key "$out" state) flash_ops=$(result_key "$out" flash_ops) red_blinks=$blinks"
    fi
}
build/stickimg pack build/blink.bin -o "$d/disco.bin" --board f4discovery --version 2.0.0 -q
expect_rejected "an f4discovery image (wrong board id)" 9 "$d/disco.bin"
# 512 KB - 16 KB + 4 bytes: one word more than the application region.
cp "$OUT/blink.bin" "$d/huge.bin"
truncate -s $((512 * 1024 - 16384 + 4)) "$d/huge.bin"
expect_rejected "a raw binary too big for 512 KB" 8 "$d/huge.bin"
# The same size is fine on the 1 MB board's region, so the limit is the board's.
check "the same file is within f4discovery's region (stickimg)" \
    build/stickimg pack "$d/huge.bin" -o "$d/huge-disco.bin" --board f4discovery -q

version_in_flash() { # FLASH -> app_version word of the installed trailer (hex)
    local len
    len=$(od -An -tu4 -j $((0x4000 + 28)) -N4 "$1" | tr -d ' ')
    od -An -tx4 -j $((0x4000 + len + 20)) -N4 "$1" | tr -d ' '
}
# --- user button PC13: with it held at reset the bootloader waits for a stick that comes late
build/stickimg pack "$OUT/blink.bin" -o "$d/v2.bin" --board nucleo-f446ze --version 2.0.0 -q
make_fat_stick "$d/v2.img" 64 32 "$d/v2.bin"
cp "$d/f.bin" "$d/b.bin"
out=$(run --flash "$d/b.bin" --stick "$d/v2.img" --plug-at-ms 1000 --stop-after-app-ms 300)
check "button released, stick plugged at 1 s: app starts, stick never read" \
    test "$(result_key "$out" state)-$(result_key "$out" scsi_cmds)-$(result_key "$out" erases)" = app-0-0
out=$(run --flash "$d/b.bin" --stick "$d/v2.img" --plug-at-ms 1000 --button --stop-after-app-ms 300)
check "button PC13 held, stick plugged at 1 s: the new version is installed" \
    test "$(result_key "$out" erases)" = 1 -a "$(version_in_flash "$d/b.bin")" = 02000000
