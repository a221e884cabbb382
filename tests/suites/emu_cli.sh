#!/usr/bin/env bash
# stickemu end to end: test firmwares from tests/emu-fw run on the emulator; the command line
# and result line contract; determinism; the example app's blink timing in virtual time.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh

EMU=build/stickemu
FW=build/emu-fw
if [ ! -x "$EMU" ] || [ ! -f "$FW/selftest.elf" ]; then
    skip emu_cli "build/stickemu or the test firmwares are missing (make test-build)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

result_key() { # result_key FILE KEY
    tail -n 1 "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# --- model checks through the CPU, across a software reset and an IWDG reset ---
"$EMU" --load 0 "$FW/selftest.elf" --run-ms 2000 >"$tmp/self.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && ! grep -q 'uart: FAILED' "$tmp/self.out" &&
    [ "$(grep -c 'uart: ok ' "$tmp/self.out")" -eq 9 ]; then
    pass selftest_checks
else
    fail selftest_checks "$(cat "$tmp/self.out")"
fi
if [ "$(result_key "$tmp/self.out" state)" = fault ] &&
    [ "$(result_key "$tmp/self.out" addr)" = 0x60000000 ] &&
    [ "$(result_key "$tmp/self.out" resets)" = 2 ] &&
    [ "$(result_key "$tmp/self.out" iwdg_resets)" = 1 ] &&
    [ "$(result_key "$tmp/self.out" sw_resets)" = 1 ] &&
    [ "$(result_key "$tmp/self.out" erases)" = 1 ] &&
    [ "$(result_key "$tmp/self.out" erase_sectors)" = 2 ] &&
    [ "$(result_key "$tmp/self.out" programmed_words)" = 2 ]; then
    pass unmapped_read_is_a_fault_and_counters
else
    fail unmapped_read_is_a_fault_and_counters "$(tail -n 3 "$tmp/self.out")"
fi
# The read faults into the firmware's own HardFault handler (BusFault disabled: escalated),
# which spins: the run ends as a fault, reported at the faulting load.
if grep -q 'exception: HardFault (escalated from BusFault PRECISERR: read of an unmapped address 0x60000000) at pc=0x080' "$tmp/self.out" &&
    grep -q 'fault: the run ended in the HardFault handler; first fault: read of an unmapped address 0x60000000 at pc=0x080' "$tmp/self.out"; then
    pass fault_line_names_pc_and_addr
else
    fail fault_line_names_pc_and_addr "$(tail -n 3 "$tmp/self.out")"
fi

# --- determinism: the same run twice prints the same bytes ---
"$EMU" --load 0 "$FW/selftest.elf" --run-ms 2000 >"$tmp/self2.out" 2>&1
if cmp -s "$tmp/self.out" "$tmp/self2.out"; then
    pass deterministic_output
else
    fail deterministic_output "$(diff "$tmp/self.out" "$tmp/self2.out" | head)"
fi

# --- the example app at 0x08004000 behind a minimal bootloader ---
if [ -f build/blink.elf ]; then
    "$EMU" --load 0 "$FW/fakeboot.elf" --load 0 build/blink.elf --run-ms 5000 >"$tmp/blink.out" 2>&1
    verdict=$(awk '
        /LED green on/  { t = $2 + 0; if (last_on != "") { p = t - last_on; if (p < 999.9 || p > 1000.1) bad = bad " period " p } last_on = t; ons++ }
        /LED green off/ { t = $2 + 0; d = t - last_on; if (d < 99.9 || d > 100.1) bad = bad " on-time " d; offs++ }
        END { if (ons < 5 || offs < 5) bad = bad " only " ons " on / " offs " off"; print bad == "" ? "ok" : bad }
    ' FS='[][ ]+' "$tmp/blink.out")
    if [ "$verdict" = ok ] && [ "$(result_key "$tmp/blink.out" state)" = app ] &&
        [ "$(result_key "$tmp/blink.out" app_entry)" != - ]; then
        pass blink_100ms_on_900ms_off
    else
        fail blink_100ms_on_900ms_off "$verdict; $(head -n 8 "$tmp/blink.out")"
    fi
    # A long wait costs little host time: 60 s of virtual time.
    start=$(date +%s%N)
    "$EMU" --load 0 "$FW/fakeboot.elf" --load 0 build/blink.elf --run-ms 60000 >"$tmp/long.out" 2>&1
    ms=$((($(date +%s%N) - start) / 1000000))
    if [ "$(result_key "$tmp/long.out" t_ms)" = 60000.000 ] && [ "$ms" -lt 5000 ]; then
        pass blink_60s_virtual_in_${ms}ms_wall
    else
        fail blink_60s_virtual_fast "took ${ms} ms: $(tail -n 1 "$tmp/long.out")"
    fi
    "$EMU" --load 0 "$FW/fakeboot.elf" --load 0 build/blink.elf --run-ms 5000 \
        --stop-after-app-ms 250 >"$tmp/stop.out" 2>&1
    if [ "$(result_key "$tmp/stop.out" state)" = app ] &&
        [ "$(result_key "$tmp/stop.out" t_ms)" = 250.001 ]; then
        pass stop_after_app_ms
    else
        fail stop_after_app_ms "$(tail -n 1 "$tmp/stop.out")"
    fi
else
    skip blink_100ms_on_900ms_off "build/blink.elf missing"
fi

# --- 512 KB through the CPU's flash path: erase 4 sectors, program 131072 words ---
start=$(date +%s%N)
"$EMU" --load 0 "$FW/flashbench.elf" --run-ms 8000 >"$tmp/fb.out" 2>&1
ms=$((($(date +%s%N) - start) / 1000000))
if grep -q 'uart: ok 512 KB programmed' "$tmp/fb.out" &&
    [ "$(result_key "$tmp/fb.out" programmed_words)" = 131072 ] &&
    [ "$(result_key "$tmp/fb.out" erase_sectors)" = 5,6,7,8 ] && [ "$ms" -lt 10000 ]; then
    pass program_512k_in_${ms}ms_wall
else
    fail program_512k "took ${ms} ms: $(tail -n 2 "$tmp/fb.out")"
fi

# --- WFI does not hang; --iwdg (hardware watchdog option) resets every 512 ms ---
"$EMU" --load 0 "$FW/wfi.elf" --run-ms 5000 >"$tmp/wfi.out" 2>&1
if [ "$(result_key "$tmp/wfi.out" state)" = bootloader ] &&
    [ "$(result_key "$tmp/wfi.out" t_ms)" = 5000.000 ] && grep -q 'uart: sleeping' "$tmp/wfi.out"; then
    pass wfi_sleeps_until_end_of_run
else
    fail wfi_sleeps_until_end_of_run "$(cat "$tmp/wfi.out")"
fi
"$EMU" --load 0 "$FW/wfi.elf" --iwdg --run-ms 2000 >"$tmp/iwdg.out" 2>&1
if [ "$(result_key "$tmp/iwdg.out" iwdg_resets)" = 3 ] &&
    grep -q '^\[  512.000 ms\] reset: IWDG' "$tmp/iwdg.out"; then
    pass hardware_watchdog_option
else
    fail hardware_watchdog_option "$(cat "$tmp/iwdg.out")"
fi

# --- --flash persistence and power cuts ---
flash="$tmp/flash.bin"
"$EMU" --flash "$flash" --load 0 "$FW/selftest.elf" --cut-after-flash-ops 1 --cut-mode clean \
    --run-ms 2000 >"$tmp/cut.out" 2>&1
word() { od -An -tx4 -j "$2" -N 4 "$1" | tr -d ' '; }
if [ "$(result_key "$tmp/cut.out" state)" = cut ] && [ "$(stat -c %s "$flash")" = 1048576 ] &&
    [ "$(word "$flash" $((0x8000)))" = 0f0f0f0f ] && [ "$(result_key "$tmp/cut.out" flash_ops)" = 1 ]; then
    pass cut_after_flash_ops_clean
else
    fail cut_after_flash_ops_clean "$(tail -n 2 "$tmp/cut.out"); word $(word "$flash" $((0x8000)))"
fi
# Next power cycle on the same flash file: the erase op (now op 2 of this run) clears it.
"$EMU" --flash "$flash" --run-ms 2000 >"$tmp/cut2.out" 2>&1
if [ "$(word "$flash" $((0x8000)))" = ffffffff ] && [ "$(result_key "$tmp/cut2.out" erases)" = 1 ]; then
    pass flash_file_is_the_next_power_cycle
else
    fail flash_file_is_the_next_power_cycle "$(tail -n 2 "$tmp/cut2.out"); word $(word "$flash" $((0x8000)))"
fi
"$EMU" --load 0 "$FW/selftest.elf" --cut-at-ms 100 --run-ms 2000 >"$tmp/cutms.out" 2>&1
if [ "$(result_key "$tmp/cutms.out" state)" = cut ] &&
    grep -q 'power cut: at the requested time, during a flash operation' "$tmp/cutms.out"; then
    pass cut_at_ms_during_erase
else
    fail cut_at_ms_during_erase "$(tail -n 3 "$tmp/cutms.out")"
fi

# --- usage and file errors exit 2 ---
"$EMU" --bogus >/dev/null 2>&1
rc1=$?
"$EMU" --load 0x08000000 "$tmp/does-not-exist.bin" >/dev/null 2>&1
rc2=$?
head -c 100 /dev/zero >"$tmp/short.bin"
"$EMU" --flash "$tmp/short.bin" >/dev/null 2>&1
rc3=$?
if [ $rc1 -eq 2 ] && [ $rc2 -eq 2 ] && [ $rc3 -eq 2 ]; then
    pass usage_and_file_errors_exit_2
else
    fail usage_and_file_errors_exit_2 "exit codes $rc1 $rc2 $rc3"
fi
