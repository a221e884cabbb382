#!/usr/bin/env bash
# One stick for many boards (BOARD_FILES, firmware/core/config.h): each board takes the file
# named after its board id (0407D15C.BIN for the Discovery, 0446E144.BIN for the NUCLEO-F446ZE)
# and falls back to IMAGE.BIN; the other boards' files are never read, so they are no error.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
make -s --no-print-directory firmware app BOARD=nucleo-f446ze >/dev/null 2>&1
make -s --no-print-directory firmware app build/stickimg build/stickemu >/dev/null 2>&1
NUC=build/nucleo-f446ze-default
if [ ! -f "$NUC/stickboot.bin" ] || [ ! -f build/stickboot.bin ]; then
    fail board_files "the Discovery and NUCLEO-F446ZE builds are missing"
    exit 0
fi
DISC_NAME=0407D15C.BIN NUC_NAME=0446E144.BIN

error_code() { # OUTPUT: red blinks in the first error burst (the error number), 0 if none
    sed -n 's/^\[ *\([0-9.]*\) ms\] LED red on$/\1/p' <<<"$1" |
        awk '{ if (n && $1 - last > 600) exit; n++; last = $1 } END { print n + 0 }'
}
# stick IMG NAME=FILE...: a 64 MB FAT32 stick holding the files under those names.
stick() {
    local img=$1
    shift
    make_fat_stick "$img" 64 32 ""
    for nf in "$@"; do
        MTOOLS_SKIP_CHECK=1 mcopy -i "$img" "${nf#*=}" "::${nf%%=*}"
    done
}
disc() { # STICK [ARGS]: a fresh Discovery, one power-up; its output
    fresh_flash "$d/disc.flash"
    "$EMU" --flash "$d/disc.flash" --stick "$1" --stop-after-app-ms 20 --run-ms 6000 \
        --trace scsi "${@:2}" 2>&1
}
nucleo() { # STICK: a fresh NUCLEO-F446ZE, one power-up; its output
    rm -f "$d/nuc.flash"
    "$EMU" --board nucleo-f446ze --flash-size 512K --flash "$d/nuc.flash" \
        --load 0x08000000 "$NUC/stickboot.bin" --run-ms 0 >/dev/null 2>&1
    "$EMU" --board nucleo-f446ze --flash-size 512K --flash "$d/nuc.flash" --stick "$1" \
        --stop-after-app-ms 20 --run-ms 6000 2>&1
}
installed() { # FLASH IMAGE: the packed image is in flash at the application base
    cmp -s -n "$(stat -c %s "$2")" "$2" <(tail -c +$((0x4000 + 1)) "$1")
}

build/stickimg pack build/blink.bin -o "$d/disc.bin" --version 2.0.0 -q
build/stickimg pack "$NUC/blink.bin" -o "$d/nuc.bin" --board nucleo-f446ze --version 3.0.0 -q
check "stickimg info names the file for each board" \
    sh -c "build/stickimg info '$d/disc.bin' | grep -q 'stick name    $DISC_NAME' &&
           build/stickimg info '$d/nuc.bin' | grep -q 'stick name    $NUC_NAME'"

# --- both boards' files and a third board's IMAGE.BIN on one stick
stick "$d/multi.img" "IMAGE.BIN=$d/nuc.bin" "$DISC_NAME=$d/disc.bin" "$NUC_NAME=$d/nuc.bin"
out=$(disc "$d/multi.img")
check "Discovery: takes $DISC_NAME from a stick for two boards and runs it" \
    sh -c "test '$(result_key "$out" state)' = app && test '$(error_code "$out")' = 0"
check "  ... the installed image is its own" installed "$d/disc.flash" "$d/disc.bin"
out=$(nucleo "$d/multi.img")
check "NUCLEO-F446ZE: takes $NUC_NAME from the same stick and runs it" \
    sh -c "test '$(result_key "$out" state)' = app && test '$(error_code "$out")' = 0"
check "  ... the installed image is its own" installed "$d/nuc.flash" "$d/nuc.bin"

# --- no file of its own: IMAGE.BIN as before
stick "$d/fallback.img" "IMAGE.BIN=$d/disc.bin" "$NUC_NAME=$d/nuc.bin"
out=$(disc "$d/fallback.img")
check "Discovery without $DISC_NAME: IMAGE.BIN is installed and runs" \
    test "$(result_key "$out" state)" = app
check "  ... the installed image is IMAGE.BIN's" installed "$d/disc.flash" "$d/disc.bin"

# --- only another board's file: no file for this board (error 6), nothing erased
stick "$d/other.img" "$NUC_NAME=$d/nuc.bin"
out=$(disc "$d/other.img")
check "Discovery with only $NUC_NAME: error 6 (no file), no erase" \
    test "$(error_code "$out")-$(result_key "$out" erases)" = 6-0

# --- a file named for this board but packed for another: refused (error 9), not passed over
stick "$d/mislabel.img" "$DISC_NAME=$d/nuc.bin" "IMAGE.BIN=$d/disc.bin"
out=$(disc "$d/mislabel.img")
check "$DISC_NAME packed for another board: refused with error 9, IMAGE.BIN not used instead" \
    test "$(error_code "$out")-$(result_key "$out" erases)" = 9-0

# --- the second board's file costs no READ(10) of its data: never opened
stick "$d/one.img" "$DISC_NAME=$d/disc.bin"
reads_one=$(disc "$d/one.img" | grep -c 'READ(10)')
reads_multi=$(disc "$d/multi.img" | grep -c 'READ(10)')
check "the other boards' files are not read ($reads_one READ(10)s alone, $reads_multi with 2 more files)" \
    test "$reads_one" = "$reads_multi"

# --- power cuts while installing a board's own file from the stick for two boards: after the
# power returns the board installs its own image again (never the other board's, never none)
fresh_flash "$d/ref.flash"
total=$("$EMU" --flash "$d/ref.flash" --stick "$d/multi.img" --stop-after-app-ms 5 2>&1 |
    sed -n 's/^result: .* flash_ops=\([0-9]*\).*/\1/p')
bad=0 n=0
for op in 1 $((total / 4)) $((total / 2)) $((total - 2)); do
    fresh_flash "$d/cut.flash"
    "$EMU" --flash "$d/cut.flash" --stick "$d/multi.img" --cut-after-flash-ops "$op" \
        --cut-mode undefined --run-ms 20000 >/dev/null 2>&1
    out=$("$EMU" --flash "$d/cut.flash" --stick "$d/multi.img" --stop-after-app-ms 5 2>&1)
    n=$((n + 1))
    if [ "$(result_key "$out" state)" != app ] || ! installed "$d/cut.flash" "$d/disc.bin"; then
        bad=$((bad + 1))
    fi
done
check "$n power cuts during the install of $DISC_NAME ($total flash operations): its own image after the next power-up" \
    test "$bad" = 0 -a "${total:-0}" -gt 4
