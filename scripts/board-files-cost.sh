#!/usr/bin/env bash
# What one stick for many boards (BOARD_FILES=1) costs: flash bytes, and the modeled time from
# power-up to the application with the image already installed (mount, file search and pass 1
# over the file; nothing to flash) on a stick holding 1, 10 or 100 candidate files, the board's
# own among them (named 0407D15C.BIN) or only IMAGE.BIN (the fallback: two searches).
# Run from the repository root; prints a Markdown table (docs/board-files.md quotes it).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/emu_lib.sh
make -s --no-print-directory firmware app build/stickimg build/stickemu >/dev/null
make -s --no-print-directory firmware BOARD_FILES=0 >/dev/null
OFF=$(make -s --no-print-directory print-fw-out BOARD_FILES=0)
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
build/stickimg pack build/blink.bin -o "$d/app.bin" --version 1.0.0 -q
bytes() { stat -c %s "$1"; }
echo "flash bytes: BOARD_FILES=1 $(bytes build/stickboot.bin), BOARD_FILES=0 $(bytes "$OFF/stickboot.bin")"
echo
# entry_ms BOOTLOADER STICK: app entry time (ms) of a board that already runs the image
entry_ms() {
    fresh_flash "$d/f.bin" "$1"
    "$EMU" --flash "$d/f.bin" --stick "$2" --stop-after-app-ms 1 >/dev/null 2>&1 # install
    "$EMU" --flash "$d/f.bin" --stick "$2" --stop-after-app-ms 1 2>&1 |
        sed -n 's/^result: .*app_entry_ms=\([0-9.]*\).*/\1/p'
}
echo "| files on the stick | own file, BOARD_FILES=1 | only IMAGE.BIN, BOARD_FILES=1 | only IMAGE.BIN, BOARD_FILES=0 |"
echo "|---|---|---|---|"
for n in 1 10 100; do
    make_fat_stick "$d/own.img" 64 32 ""
    make_fat_stick "$d/fallback.img" 64 32 ""
    head -c 4096 /dev/zero >"$d/other.bin"
    for i in $(seq 2 "$n"); do # other boards' files, before ours in the directory
        name=$(printf '%08X.BIN' $((0x10000000 + i)))
        MTOOLS_SKIP_CHECK=1 mcopy -i "$d/own.img" "$d/other.bin" "::$name"
        MTOOLS_SKIP_CHECK=1 mcopy -i "$d/fallback.img" "$d/other.bin" "::$name"
    done
    MTOOLS_SKIP_CHECK=1 mcopy -i "$d/own.img" "$d/app.bin" ::0407D15C.BIN
    MTOOLS_SKIP_CHECK=1 mcopy -i "$d/fallback.img" "$d/app.bin" ::IMAGE.BIN
    printf '| %d | %s ms | %s ms | %s ms |\n' "$n" "$(entry_ms build/stickboot.bin "$d/own.img")" \
        "$(entry_ms build/stickboot.bin "$d/fallback.img")" \
        "$(entry_ms "$OFF/stickboot.bin" "$d/fallback.img")"
done
