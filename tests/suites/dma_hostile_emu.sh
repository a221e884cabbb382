#!/usr/bin/env bash
# Hostile review of the PROBE_MS=0 boot check through DMA2 (firmware/stm32f4/crc_hw.c; the
# model: docs/emulator.md, "DMA"). Installed images at the DMA's limits: the whole application
# region (the DMA reads up to the flash's last words, four transfers), exactly one full
# transfer (65532 words), one full transfer and one of 4 words (65536 words); each valid one
# starts with no stickemu warning and one flipped bit in its last DMA-fed or CPU-fed word keeps
# it from starting. Length words that would send the DMA past the region (or give 0 or 1
# words) start nothing and fault nothing. A test application (tests/emu-fw/dmaapp/) checks the
# chip at every entry (DMA2, CRC, RCC_AHB1ENR at reset values, no DMA2 interrupt pending) after
# power-on, SYSRESETREQ, IWDG, NRST and brown-out resets that each follow its own dirtying of
# DMA2 and the CRC unit. The model itself (tests/emu-fw/dmareview.c): DMA writes to an unclocked
# CRC unit, a burst across a 1 KB boundary.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
BL=build/f4discovery-probe0/stickboot.bin
APP=build/emu-fw/dmaapp.bin
make -s --no-print-directory firmware app PROBE_MS=0 >/dev/null 2>&1
if [ ! -x "$EMU" ] || [ ! -f "$BL" ] || [ ! -f "$APP" ] || [ ! -f build/emu-fw/dmareview.elf ]; then
    skip dma_hostile_emu "build/stickemu, $BL, $APP or build/emu-fw/dmareview.elf missing (make test-build)"
    exit 0
fi
d=$SCEN_DIR
mkdir -p "$d"
REGION=$((1024 * 1024 - 16 * 1024))

flip() { # FILE OFFSET: inverts one bit of the byte at OFFSET
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
put32() { # FILE OFFSET VALUE: a little-endian word
    printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($3 & 255)) $(($3 >> 8 & 255)) \
        $(($3 >> 16 & 255)) $(($3 >> 24 & 255)))" |
        dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# install IMAGE: a flash with the bootloader and IMAGE, booted once (the first boot
# write-protects the boot sector).
install() {
    rm -f "$d/f.flash"
    "$EMU" --flash "$d/f.flash" --load 0x08000000 "$BL" --load 0x08004000 "$1" \
        --run-ms 0 >/dev/null 2>&1
    "$EMU" --flash "$d/f.flash" --run-ms 50 >/dev/null 2>&1
}
run() { "$EMU" --flash "$d/f.flash" --run-ms 50 "$@" 2>&1; }
clean_run() { # OUTPUT: no warning, no fault
    ! grep -q "warning\|fault:" <<<"$1"
}

# ---- the model (tests/emu-fw/dmareview.c) ----
FW=build/emu-fw/dmareview.elf
for model in simple m4; do
    out=$("$EMU" --load 0 "$FW" --run-ms 20 --cycle-model "$model" 2>&1)
    check "$model: model: DMA writes to CRC_DR with the CRC clock off reach no unit" \
        grep -q "uart: ok crc_clock_off$" <<<"$out"
    check "$model: model: the write to the unclocked CRC unit is warned about" \
        grep -q "warning: .*CRC.*clock" <<<"$out"
    check "$model: model: an INCR4 burst across a 1 KB boundary is warned about (RM0090 10.3.11)" \
        grep -q "warning: DMA2 stream 0: .*1 KB" <<<"$out"
    check "$model: model: the firmware ran to its end" grep -q "uart: done$" <<<"$out"
done

# ---- images at the DMA's limits ----
# name:application bytes (a multiple of 4; the trailer follows)
for c in "region:$((REGION - 36))" "65532w:$((65532 * 4))" "65536w:$((65536 * 4))"; do
    name=${c%%:*} bytes=${c#*:}
    python3 - "$d/$name.raw" "$bytes" <<'PY'
import sys
sys.path.insert(0, "scripts/reliability")
import common
common.padded_app(sys.argv[1], int(sys.argv[2]), 7)
PY
    build/stickimg pack "$d/$name.raw" -o "$d/$name.bin" --version 1.0.0 -q
    install "$d/$name.bin"
    cp "$d/f.flash" "$d/good.flash"
    words=$((bytes / 4))
    dma_words=$(( (words / 65532) * 65532 + (words % 65532 & ~3) ))
    for model in simple m4; do
        out=$(run --cycle-model "$model")
        check "$model: $name ($words words): the valid app starts, no warning" \
            bash -c 'test "$1" = app && ! grep -q "warning\|fault:" <<<"$2"' _ \
            "$(result_key "$out" state)" "$out"
    done
    last="$((dma_words - 1))"
    [ "$words" -gt "$dma_words" ] && last="$last $((words - 1))"
    for w in $last; do
        cp "$d/good.flash" "$d/f.flash"
        flip "$d/f.flash" $((0x4000 + 4 * w + 2))
        out=$(run --cycle-model m4)
        check "m4: $name, a bit flipped in word $w (last $([ "$w" -lt "$dma_words" ] && echo DMA || echo CPU)-fed): no start, no warning" \
            bash -c 'test "$1" = - && ! grep -q "warning\|fault:" <<<"$2"' _ \
            "$(result_key "$out" app_entry_ms)" "$out"
    done
done

# ---- a 2 MB part (NUCLEO-F429ZI): the whole region, across the bank boundary at 0x08100000 ----
BL429=build/nucleo-f429zi-probe0/stickboot.bin
make -s --no-print-directory firmware BOARD=nucleo-f429zi PROBE_MS=0 >/dev/null 2>&1
if [ -f "$BL429" ]; then
    python3 - "$d/f429.raw" $((2048 * 1024 - 16 * 1024 - 36)) <<'PY'
import sys
sys.path.insert(0, "scripts/reliability")
import common
common.padded_app(sys.argv[1], int(sys.argv[2]), 9)
PY
    build/stickimg pack "$d/f429.raw" -o "$d/f429.bin" --version 1.0.0 -b nucleo-f429zi -q
    rm -f "$d/f429.flash"
    "$EMU" --board nucleo-f429zi --flash "$d/f429.flash" --load 0x08000000 "$BL429" \
        --load 0x08004000 "$d/f429.bin" --run-ms 0 >/dev/null 2>&1
    "$EMU" --board nucleo-f429zi --flash "$d/f429.flash" --run-ms 50 >/dev/null 2>&1
    out=$("$EMU" --board nucleo-f429zi --flash "$d/f429.flash" --run-ms 50 --cycle-model m4 2>&1)
    check "m4: NUCLEO-F429ZI, the whole 2 MB region (8 transfers, both banks): starts, no warning" \
        bash -c 'test "$1" = app && ! grep -q "warning\|fault:" <<<"$2"' _ \
        "$(result_key "$out" state)" "$out"
    flip "$d/f429.flash" $((0x100000 + 1000))
    out=$("$EMU" --board nucleo-f429zi --flash "$d/f429.flash" --run-ms 50 --cycle-model m4 2>&1)
    check "m4: NUCLEO-F429ZI, a bit flipped in bank 2: no start" \
        test "$(result_key "$out" app_entry_ms)" = -
else
    skip "NUCLEO-F429ZI" "$BL429 missing"
fi

# ---- the fallbacks: a bus error or a timeout mid-way; the CPU feeds what the DMA left ----
# (stickemu's test hooks; a healthy chip reaches neither). The 65536-word image: a full
# transfer then one of 4 words; the whole region: four transfers.
for name in 65536w region; do
    rm -f "$d/f.flash"
    "$EMU" --flash "$d/f.flash" --load 0x08000000 "$BL" --load 0x08004000 "$d/$name.bin" \
        --run-ms 0 >/dev/null 2>&1
    "$EMU" --flash "$d/f.flash" --run-ms 50 >/dev/null 2>&1
    cp "$d/f.flash" "$d/good.flash"
    for hook in "--dma-error-at-item 1" "--dma-error-at-item 1000" "--dma-error-at-item 65532" \
        "--dma-slow-cycles 4" "--dma-slow-cycles 20"; do
        # shellcheck disable=SC2086
        out=$(run --cycle-model m4 $hook)
        check "m4: $name, $hook: the valid app starts, no warning" \
            bash -c 'test "$1" = app && ! grep -q "warning\|fault:" <<<"$2"' _ \
            "$(result_key "$out" state)" "$out"
        cp "$d/good.flash" "$d/f.flash"
        flip "$d/f.flash" $((0x4000 + 4 * 1500))
        # shellcheck disable=SC2086
        out=$(run --cycle-model m4 $hook)
        check "m4: $name, $hook, a bit flipped in word 1500: no start" \
            test "$(result_key "$out" app_entry_ms)" = -
        cp "$d/good.flash" "$d/f.flash"
    done
done
# An item far slower than the TCIF polls (100,000 HCLK): the stop waits the item out, NDTR is
# then exact and the CPU feeds the rest: the valid app is not held back (with a 64-poll wait for
# EN it was refused).
out=$(run --cycle-model m4 --dma-slow-cycles 100000)
check "m4: region, --dma-slow-cycles 100000: the stop waits for the item, the app starts" \
    bash -c 'test "$1" = app && ! grep -q "fault:" <<<"$2"' _ "$(result_key "$out" state)" "$out"

# ---- the hardware watchdog (--iwdg) resets the app every 512 ms: each boot checks the whole
# region through the DMA again and starts it ----
out=$(run --cycle-model m4 --iwdg --run-ms 1200)
check "m4: region with the hardware watchdog: 2 IWDG resets, the app restarted, no warning" \
    bash -c 'test "$1" = 2 && test "$2" = app && ! grep -q "warning\|fault:" <<<"$3"' _ \
    "$(result_key "$out" iwdg_resets)" "$(result_key "$out" state)" "$out"

# ---- hostile length words (word 7 of the installed 65536-word image) ----
cp "$d/65536w.bin" "$d/hostile.bin"
install "$d/hostile.bin"
cp "$d/f.flash" "$d/good.flash"
for len in 0 4 28 $((REGION - 32)) $REGION $((REGION + 4)) $((0x100000000 - 4)) \
    $((0x100000000 - 0x4000)); do
    cp "$d/good.flash" "$d/f.flash"
    put32 "$d/f.flash" $((0x4000 + 28)) "$len"
    out=$(run --cycle-model m4)
    check "length word $len: no app entry, no fault, no warning" \
        bash -c 'test "$1" = - && ! grep -q "warning\|fault:" <<<"$2"' _ \
        "$(result_key "$out" app_entry_ms)" "$out"
done

# ---- the chip at app entry after every kind of reset ----
build/stickimg pack "$APP" -o "$d/dmaapp.bin" --version 1.0.0 -q
for model in simple m4; do
    install "$d/dmaapp.bin"
    # entries: 1 power-on (the install boot), 2 after its SYSRESETREQ, 3 after its IWDG,
    # 4 after NRST, then a brown-out: 1, 2 (SYSRESETREQ), 3 (IWDG) again.
    out=$(run --cycle-model "$model" --run-ms 200 --reset-at-ms 100 --brownout-at-ms 150)
    n=$(grep -c "uart: entry .* clean$" <<<"$out")
    check "$model: dmaapp: 7 entries (SYSRESETREQ, IWDG, NRST, brown-out), each clean" \
        bash -c 'test "$1" -eq 7 && ! grep -q "dirty" <<<"$2"' _ "$n" "$out"
    check "$model: dmaapp: the resets happened (2 IWDG), no warning, no fault" \
        bash -c 'test "$1" = 2 && ! grep -q "warning\|fault:" <<<"$2" &&
            grep -q "reset: NRST" <<<"$2" && grep -q "reset: brown-out" <<<"$2"' _ \
        "$(result_key "$out" iwdg_resets)" "$out"
done
