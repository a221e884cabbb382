#!/usr/bin/env bash
# stickemu's m4 cycle model (docs/emulator.md, "Cycle model"): the micro-benchmarks of
# tests/emu-fw/cyclebench.c must give the cycle counts worked out by hand from the Cortex-M4
# TRM and RM0090 (docs/emulator.md, "Micro-benchmarks"), exactly: the model is deterministic,
# so the tolerance is 0 cycles. The simple model keeps one cycle per instruction. A stale
# instruction cache is reported; exact time jumps stay exact under the m4 model.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
FW=build/emu-fw/cyclebench.elf
if [ ! -x "$EMU" ] || [ ! -f "$FW" ] || [ ! -f build/emu-fw/pollloop.elf ]; then
    skip emu_cycles "build/stickemu or the test firmwares missing (make test-build)"
    exit 0
fi

# name m4 simple: expected cycles under each model (docs/emulator.md, micro-benchmark table)
expected="
alu_ram 32 32
loop_ram 1006 907
alu_flash_ws0 32 32
loop_flash_ws0 1006 907
alu_flash_ws5 52 32
loop_flash_ws5 2006 907
alu_flash_ws5_prefetch 32 32
loop_flash_ws5_prefetch 1501 907
alu_flash_ws5_art 32 32
loop_flash_ws5_art 1006 907
alu_flash_ws5_icache_warm 32 32
alu_flash_ws5_icache_cold 57 32
ldst 128 97
agu 112 65
ldpair 18 17
mul 8 8
div 48 4
pushpop 40 8
fpu 50 10
ahb1_read 18 9
apb1_read_div4 66 9
apb2_read_div2 34 9
otg_fifo_copy 112 65
crc_sram_data 112 65
crc_flash_data_ws5 192 65
crc_flash_data_ws5_dcache_cold 132 65
crc_flash_data_ws5_dcache_warm 112 65
crc4_sram_data 88 65
crc4_flash_data_ws5 168 65
crc4_flash_data_ws5_dcache_cold 108 65
crc4_flash_data_ws5_dcache_warm 88 65
"

"$EMU" --load 0 "$FW" --run-ms 1300 --cycle-model=m4 >"$d/m4.out" 2>&1
"$EMU" --load 0 "$FW" --run-ms 1300 >"$d/simple.out" 2>&1
got() { sed -n "s/.*uart: bench $2 \([0-9]*\)$/\1/p" "$d/$1.out"; }
while read -r name m4 simple; do
    [ -n "$name" ] || continue
    check "m4: $name = $m4 cycles (got $(got m4 "$name"))" test "$(got m4 "$name")" = "$m4"
    check "simple: $name = $simple cycles (got $(got simple "$name"))" test "$(got simple "$name")" = "$simple"
done <<<"$expected"

# Stale I-cache: a warning for the call without ICRST, none after ICRST, one again for the
# call after a new reprogramming without ICRST; the executed bytes are the new ones (1-4).
check "m4: executing a stale I-cache line is reported (twice)" \
    test "$(grep -c 'warning: instruction fetch from a flash line cached before' "$d/m4.out")" = 2
check "m4: warnings before the first call without ICRST and the second, none after ICRST" \
    bash -c 'awk "/warning: instruction fetch from a flash line/{w[++n]=NR} /stale: calling without ICRST/{a=NR} /stale: calling after ICRST/{b=NR} /stale: calling again without ICRST/{c=NR} END{exit !(n==2 && w[1]<b && a<b && w[2]>b && w[2]>=c-1)}" "$1"' _ "$d/m4.out"
check "m4: the new code runs (no stale bytes executed)" grep -q 'uart: bench stale_results 1234$' "$d/m4.out"
check "m4: a data read from a stale D-cache line is reported once" \
    test "$(grep -c 'warning: data read from a flash line cached before' "$d/m4.out")" = 1
check "m4: the D-cache warning comes before ICRST/DCRST" \
    bash -c 'awk "/warning: data read from a flash line/{w=NR} /stale: calling after ICRST/{b=NR} END{exit !(w && w<b)}" "$1"' _ "$d/m4.out"
check "m4: the new flash word is read (12)" grep -q 'uart: bench stale_data 12$' "$d/m4.out"
check "simple: no ART model, no warning" bash -c '! grep -q "flash line cached" "$1"' _ "$d/simple.out"

# Exact time jumps under m4: identical trace and result with and without jumps.
for opt in "" --no-time-jumps; do
    "$EMU" --load 0 build/emu-fw/pollloop.elf --run-ms 400 --cycle-model=m4 $opt 2>&1 |
        grep -v 'time jumps: ' >"$d/poll$opt.out"
done
check "m4: pollloop identical with and without time jumps" cmp "$d/poll.out" "$d/poll--no-time-jumps.out"
jumps=$("$EMU" --load 0 build/emu-fw/pollloop.elf --run-ms 400 --cycle-model=m4 | sed -n 's/.*time jumps: \([0-9]*\),.*/\1/p')
check "m4: pollloop's waits are still skipped (${jumps:-0} jumps)" test "${jumps:-0}" -ge 8
check "--cycle-model with an unknown model is refused" \
    bash -c '"$1" --load 0 "$2" --cycle-model m5 --run-ms 1 >/dev/null 2>&1; test $? -eq 2' _ "$EMU" "$FW"

# --cycle-profile: the two runs of b_loop_ram (1006-cycle body each, plus its framing) are
# attributed to that function by scripts/cycle-profile.py.
"$EMU" --load 0 "$FW" --run-ms 1300 --cycle-model=m4 --cycle-profile "$d/cb.prof" >/dev/null 2>&1
loop=$(python3 scripts/cycle-profile.py "$FW" "$d/cb.prof" --top 100 | awk '$1 == "b_loop_ram" { print $2 }')
check "--cycle-profile: b_loop_ram has 2 x 1006 cycles plus framing (${loop:-none})" \
    test "${loop:-0}" -ge 2012 -a "${loop:-0}" -le 2132
