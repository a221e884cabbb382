#!/usr/bin/env bash
# Flash reads during an erase (docs/emulator.md, RM0090 3.6): code in SRAM that starts a sector
# erase and then reads flash (data, main area or the boot alias) waits for the erase's end
# (250 ms at x32 = 4,000,000 cycles at HSI 16 MHz, less the few cycles from STRT to the first
# timestamp); SRAM and peripheral accesses do not wait.
# On the dual-bank nucleo-f429zi, reads and fetches of the other bank proceed.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
FW=build/emu-fw/flashstall.elf
if [ ! -x "$EMU" ] || [ ! -f "$FW" ]; then
    skip emu_flash_stall "build/stickemu or build/emu-fw/flashstall.elf missing (make test-build)"
    exit 0
fi
for model in simple m4; do
    for board in f4discovery nucleo-f429zi; do
        out=$d/$board-$model.out
        "$EMU" --board "$board" --load 0 "$FW" --run-ms 2000 --cycle-model "$model" >"$out" 2>&1
        # bench NAME CYCLES STATE: the line's cycle count (decimal) and BSY after the reads
        cyc() { printf '%d' "$(sed -n "s/.*uart: bench $1 \(0x[0-9a-f]*\) .*/\1/p" "$out")"; }
        state() { sed -n "s/.*uart: bench $1 0x[0-9a-f]* \([a-z]*\)$/\1/p" "$out"; }
        t="$model/$board"
        for b in flash_read alias_read; do
            check "$t: $b during an erase waits for its end ($(cyc $b) cycles, BSY $(state $b))" \
                test "$(cyc $b)" -ge 3999900 -a "$(cyc $b)" -le 4000100 -a "$(state $b)" = idle
        done
        check "$t: SRAM and GPIO reads during an erase do not wait ($(cyc sram_periph) cycles)" \
            test "$(cyc sram_periph)" -lt 20000 -a "$(state sram_periph)" = busy
        if [ "$board" = nucleo-f429zi ]; then
            check "$t: a read of bank 1 while bank 2 erases proceeds ($(cyc other_bank_read))" \
                test "$(cyc other_bank_read)" -lt 100 -a "$(state other_bank_read)" = busy
            check "$t: a read of bank 2 while bank 2 erases waits ($(cyc same_bank_read))" \
                test "$(cyc same_bank_read)" -ge 3999900 -a "$(state same_bank_read)" = idle
            check "$t: code in bank 1 runs on while bank 2 erases ($(cyc other_bank_fetch))" \
                test "$(cyc other_bank_fetch)" -lt 20000 -a "$(state other_bank_fetch)" = busy
        fi
        check "$t: the firmware ran to its end" grep -q 'uart: done' "$out"
    done
done
