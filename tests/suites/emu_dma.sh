#!/usr/bin/env bash
# The DMA controller model (docs/emulator.md, "DMA"; RM0090 section 10, AN4031), through the CPU
# (tests/emu-fw/dma.c): DMA2 memory-to-memory SRAM -> SRAM and flash -> CRC_DR, NDTR, the
# flags, EN cleared by hardware and software, write protection, the interrupt, a bus error,
# DMA1 refusing memory-to-memory, and the cycles of 1024 steady-state items under both cycle
# models, worked out by hand in docs/emulator.md (within one polling-loop period, 20 cycles).
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
FW=build/emu-fw/dma.elf
if [ ! -x "$EMU" ] || [ ! -f "$FW" ]; then
    skip emu_dma "build/stickemu or $FW missing (make test-build)"
    exit 0
fi
d=$SCEN_DIR
for model in simple m4; do
    out=$d/dma-$model.out
    "$EMU" --load 0 "$FW" --run-ms 700 --cycle-model "$model" >"$out" 2>&1
    for name in m2m_sram_data m2m_flags_tc_ht m2m_en_cleared_ndtr_0 m2m_registers_keep_addresses \
        lifcr_clears ndtr_counts_down config_read_only_while_en sw_disable_stops \
        flash_to_crc_value flash_to_crc_burst_value fifo_threshold_feif bus_error_teif \
        dma1_m2m_teif erased_words_read p2m_waits_for_requests tc_interrupt; do
        check "$model: $name" grep -q "uart: ok $name\$" "$out"
    done
    check "$model: the firmware ran to its end without a fault" \
        bash -c 'grep -q "uart: done" "$1" && ! grep -q "fault:" "$1"' _ "$out"
    cyc() { printf '%d' "$(sed -n "s/.*uart: bench $1 \(0x[0-9a-f]*\)$/\1/p" "$out")"; }
    near() { test "$1" -ge "$(($2 - 20))" -a "$1" -le "$(($2 + 20))"; }
    # Expected cycles of 1024 items (docs/emulator.md, "DMA", timing): simple / m4.
    if [ "$model" = simple ]; then
        want="sram_1024_words=3072 flash_crc_single_1024_words=4096"
        want="$want flash_crc_pburst_1024_words=4096 flash_crc_bursts_1024_words=4096"
    else
        want="sram_1024_words=3072 flash_crc_single_1024_words=4352"
        want="$want flash_crc_pburst_1024_words=4096 flash_crc_bursts_1024_words=4096"
    fi
    for w in $want; do
        n=${w%%=*} e=${w#*=}
        check "$model: $n takes $(cyc "$n") cycles (by hand: $e)" near "$(cyc "$n")" "$e"
    done
    # A DMA read of flash during a sector erase waits for its end: 250 ms at x32, 4,000,000
    # cycles at 16 MHz (docs/emulator.md, "Flash interface"); from SRAM it does not wait.
    check "$model: DMA flash read during an erase waits for it ($(cyc flash_read_during_erase))" \
        test "$(cyc flash_read_during_erase)" -ge 3999000 -a "$(cyc flash_read_during_erase)" -le 4000200
    check "$model: DMA SRAM read during an erase does not wait ($(cyc sram_read_during_erase))" \
        test "$(cyc sram_read_during_erase)" -lt 500
    check "$model: one warning each: flags set at EN, protected write, FIFO threshold, DMA1 M2M, P2M" \
        test "$(grep -c 'warning: DMA' "$out")-$(grep -c 'flags of its last transfer still set' "$out")" = 5-1
    # The lazy model stays exact under time jumps: the same output, cycle counts included.
    "$EMU" --load 0 "$FW" --run-ms 700 --cycle-model "$model" --no-time-jumps >"$d/nj.out" 2>&1
    check "$model: the same firmware output without time jumps" \
        cmp -s <(grep 'uart:' "$out") <(grep 'uart:' "$d/nj.out")
done

# The firmware's boot check through DMA2 (firmware/stm32f4/crc_hw.c, PROBE_MS=0): a valid
# 256 KB application starts, on every boot after the first, within 1.10 x the bound (PLL lock
# 100 us + 4 HCLK a word at 168 MHz, docs/performance.md) under m4, with no stickemu warning. A
# valid 320 KB application (two DMA transfers: 65532 words, then the rest) starts too, and one
# flipped bit in its first transfer, its second, or its last word (fed by the CPU) keeps it
# from starting.
BL=build/f4discovery-probe0/stickboot.bin
if [ ! -f "$BL" ]; then
    skip emu_dma "firmware: $BL missing (make test-build)"
    exit 0
fi
for kb in 256 320; do
    python3 - "$d/app$kb.raw" "$kb" <<'PY'
import sys
sys.path.insert(0, "scripts/reliability")
import common
common.padded_app(sys.argv[1], int(sys.argv[2]) * 1024 - 36, 3)
PY
    build/stickimg pack "$d/app$kb.raw" -o "$d/app$kb.bin" --version 1.0.0 -q
done
app_len() { od -An -tu4 -j 28 -N4 "$1" | tr -d ' '; }
bound_ms=$(awk -v n="$(app_len "$d/app256.bin")" 'BEGIN { printf "%.4f", 0.1 + n / 4 * 4 / 168000 }')
len=$(app_len "$d/app320.bin")
flip() { # FILE OFFSET: inverts one bit of the byte at OFFSET
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# boot BINARY-APP MODEL: a flash with the bootloader and the app, booted once (the first boot
# write-protects the boot sector); prints the second boot's output.
boot() {
    rm -f "$d/boot.flash"
    "$EMU" --flash "$d/boot.flash" --load 0x08000000 "$BL" --load 0x08004000 "$1" \
        --run-ms 0 >/dev/null 2>&1
    "$EMU" --flash "$d/boot.flash" --run-ms 100 --cycle-model "$2" >/dev/null 2>&1
    "$EMU" --flash "$d/boot.flash" --run-ms 100 --cycle-model "$2" 2>&1
}
for model in simple m4; do
    out=$(boot "$d/app256.bin" "$model")
    t=$(result_key "$out" app_entry_ms)
    state=$(result_key "$out" state)
    check "$model: PROBE_MS=0 boot of a valid 256 KB app: app at $t ms, no warning" \
        bash -c 'test "$1" = app && ! grep -q "warning\|fault:" <<<"$2"' _ "$state" "$out"
    if [ "$model" = m4 ]; then
        check "m4: boot latency $t ms <= 1.10 x the bound $bound_ms ms" \
            awk -v t="$t" -v b="$bound_ms" 'BEGIN { exit !(t > 0 && t <= 1.10 * b) }'
    fi
    out=$(boot "$d/app320.bin" "$model")
    check "$model: a valid 320 KB app ($len bytes, two transfers) starts" \
        test "$(result_key "$out" state)" = app
    cp "$d/boot.flash" "$d/good.flash"
    for off in 100000 $((65532 * 4 + 400)) $((len - 1)); do
        cp "$d/good.flash" "$d/boot.flash"
        flip "$d/boot.flash" $((0x4000 + off))
        out=$("$EMU" --flash "$d/boot.flash" --run-ms 100 --cycle-model "$model" 2>&1)
        check "$model: 320 KB app, a bit flipped at app byte $off: the app does not start" \
            test "$(result_key "$out" app_entry_ms)" = -
    done
done
