#!/usr/bin/env bash
# Control transfer timeouts (firmware/usb/usb_host.c CONTROL_STAGE_MS, CLASS_STAGE_MS): each
# stage is timed on its own, as USB 2.0 9.2.6.4 times a device (500 ms to the first data
# packet, 50 ms to the status stage); class requests, which the spec does not time, get 2 s.
# A device within those times is used; one that never answers a class request holds the
# session back by about 2 s, no more. With one 500 ms bound for all three stages together,
# the first two cases failed (no update installed).
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
make -s --no-print-directory firmware app build/stickimg build/stickemu >/dev/null 2>&1
BL=${BL:-build/stickboot.bin}

build/stickimg pack build/blink.bin -o "$d/old.bin" --version 1.0.0 -q
build/stickimg pack build/blink.bin -o "$d/new.bin" --version 2.0.0 -q
make_fat_stick "$d/old.img" 64 32 "$d/old.bin"
make_fat_stick "$d/new.img" 64 32 "$d/new.bin"
fresh_flash "$d/base.flash" "$BL"
"$EMU" --flash "$d/base.flash" --stick "$d/old.img" --stop-after-app-ms 5 >/dev/null 2>&1

# run NAME KEY=VALUE...: the old app is installed, the stick offers the new one and behaves
# as the profile says. Prints the output of one power-up.
run() {
    printf '%s\n' "${@:2}" >"$d/$1.prof"
    cp "$d/base.flash" "$d/$1.flash"
    "$EMU" --flash "$d/$1.flash" --stick "$d/new.img" --profile "$d/$1.prof" \
        --stop-after-app-ms 5 --run-ms 30000 2>&1
}
installed() { # NAME OUTPUT: the app runs and it is the new image
    test "$(result_key "$2" state)" = app &&
        cmp -s -n "$(stat -c %s "$d/new.bin")" "$d/new.bin" <(tail -c +$((0x4000 + 1)) "$d/$1.flash")
}

# Every standard request with a data stage sends its first data packet 500 ms after SETUP and
# its status 50 ms after the data; one without a data stage answers its status after 50 ms
# (the limits of USB 2.0 9.2.6.4, exactly).
out=$(run slowstd ep0_data_ms=500 ep0_status_ms=50)
check "standard requests: data 500 ms after SETUP, status 50 ms later: new image installed (app at $(result_key "$out" app_entry_ms) ms)" \
    installed slowstd "$out"

# A card reader (LUN 0 empty, the image on LUN 1) whose class requests answer after 1 s: only
# a GET_MAX_LUN that succeeds finds LUN 1.
out=$(run slowclass luns=2 lun.0=empty ep0_class_ms=1000)
check "GET_MAX_LUN answered after 1 s: LUN 1 found, new image installed (app at $(result_key "$out" app_entry_ms) ms)" \
    installed slowclass "$out"

# The same reader whose class requests answer after 6 s (out of any host's patience but
# Linux's GET_MAX_LUN): given up after CLASS_STAGE_MS, one LUN assumed, LUN 0 empty, the old
# app starts, at most 2.1 s later than with a reader that STALLs GET_MAX_LUN at once.
base=$(run stall luns=2 lun.0=empty get_max_lun=stall)
out=$(run hangclass luns=2 lun.0=empty ep0_class_ms=6000)
t0=$(result_key "$base" app_entry_ms)
t1=$(result_key "$out" app_entry_ms)
check "GET_MAX_LUN never answered: old app at $t1 ms, $t0 ms when it STALLs (<= +2100 ms), nothing erased" \
    sh -c "test '$(result_key "$out" state)-$(result_key "$out" flash_ops)' = app-0 &&
        test '$(result_key "$base" state)' = app &&
        awk -v a='${t0:-0}' -v b='${t1:-99999}' 'BEGIN { exit !(b > a && b <= a + 2100) }'"
