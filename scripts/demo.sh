#!/usr/bin/env bash
# make demo: the whole job in the emulator. Erased flash with only the bootloader; a FAT32
# stick with the packed example app; three power cycles: install, same stick again (no flash
# operation), a new version (update again).
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/demo
mkdir -p "$out"
emu=build/stickemu

make_stick() { # IMG FILE
    rm -f "$1"
    truncate -s 64M "$1"
    mkfs.fat -F 32 -n STICK "$1" >/dev/null
    MTOOLS_SKIP_CHECK=1 mcopy -i "$1" "$2" ::IMAGE.BIN
}

build/stickimg pack build/blink.bin -o "$out/image-1.0.0.bin" --version 1.0.0 -q
build/stickimg pack build/blink.bin -o "$out/image-1.1.0.bin" --version 1.1.0 -q
make_stick "$out/stick-1.0.0.img" "$out/image-1.0.0.bin"
make_stick "$out/stick-1.1.0.img" "$out/image-1.1.0.bin"

rm -f "$out/flash.bin"
"$emu" --flash "$out/flash.bin" --load 0x08000000 build/stickboot.bin --run-ms 0 >/dev/null

summary=()
run() { # TITLE STICK
    echo
    echo "=== $1"
    local log="$out/run-$(( ${#summary[@]} + 1 )).log"
    "$emu" --flash "$out/flash.bin" --stick "$2" --stop-after-app-ms 2100 --trace flash | tee "$log" |
        grep -v '^\[.*flash: program' | tail -n 40
    local result
    result=$(grep '^result:' "$log")
    summary+=("$1|$result")
}

run "1. first install (erased flash, bootloader only, stick with v1.0.0)" "$out/stick-1.0.0.img"
run "2. same stick again: must skip the update" "$out/stick-1.0.0.img"
run "3. stick with v1.1.0: updates again" "$out/stick-1.1.0.img"

echo
echo "=== summary (modeled virtual time)"
printf '%-62s %-6s %9s %7s %9s %10s\n' run state app_ms erases words usb_in_B
for row in "${summary[@]}"; do
    title=${row%%|*}
    result=${row#*|}
    key() { tr ' ' '\n' <<<"$result" | sed -n "s/^$1=//p"; }
    printf '%-62s %-6s %9s %7s %9s %10s\n' "${title:0:62}" "$(key state)" "$(key app_entry_ms)" \
        "$(key erases)" "$(key programmed_words)" "$(key usb_in_bytes)"
done
echo "image: $(stat -c %s "$out/image-1.0.0.bin") bytes; bootloader: $(stat -c %s build/stickboot.bin) bytes"
