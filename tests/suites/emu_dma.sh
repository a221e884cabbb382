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
    "$EMU" --load 0 "$FW" --run-ms 100 --cycle-model "$model" >"$out" 2>&1
    for name in m2m_sram_data m2m_flags_tc_ht m2m_en_cleared_ndtr_0 m2m_registers_keep_addresses \
        lifcr_clears ndtr_counts_down config_read_only_while_en sw_disable_stops \
        flash_to_crc_value flash_to_crc_burst_value fifo_threshold_feif bus_error_teif \
        dma1_m2m_teif tc_interrupt; do
        check "$model: $name" grep -q "uart: ok $name\$" "$out"
    done
    check "$model: the firmware ran to its end without a fault" \
        bash -c 'grep -q "uart: done" "$1" && ! grep -q "fault:" "$1"' _ "$out"
    cyc() { printf '%d' "$(sed -n "s/.*uart: bench $1 \(0x[0-9a-f]*\)$/\1/p" "$out")"; }
    near() { test "$1" -ge "$(($2 - 20))" -a "$1" -le "$(($2 + 20))"; }
    # Expected cycles of 1024 items (docs/emulator.md, "DMA", timing): simple / m4.
    if [ "$model" = simple ]; then
        want="sram_1024_words=4096 flash_crc_single_1024_words=4096"
        want="$want flash_crc_pburst_1024_words=4096 flash_crc_bursts_1024_words=4096"
    else
        want="sram_1024_words=4096 flash_crc_single_1024_words=5376"
        want="$want flash_crc_pburst_1024_words=5120 flash_crc_bursts_1024_words=4352"
    fi
    for w in $want; do
        n=${w%%=*} e=${w#*=}
        check "$model: $n takes $(cyc "$n") cycles (by hand: $e)" near "$(cyc "$n")" "$e"
    done
    check "$model: one warning each for the protected write, the FIFO threshold and DMA1 M2M" \
        test "$(grep -c 'warning: DMA' "$out")" -eq 3
done
