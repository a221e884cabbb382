#!/usr/bin/env bash
# stickemu: what a Cube application touches, through the CPU (tests/emu-fw/periphs.c):
# bit-band aliases, system memory, TIM2, USART2 receive from --uart-rx / --uart-rx-file, an
# unmodeled peripheral (one warning, stored writes), a reserved address (a bus fault).
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
FW=build/emu-fw/periphs.elf
if [ ! -x "$EMU" ] || [ ! -f "$FW" ]; then
    skip emu_periphs "build/stickemu or $FW missing (make test-build)"
    exit 0
fi
d=$SCEN_DIR

out=$("$EMU" --load 0 "$FW" --uart-rx '2:hello\n' --run-ms 1000 2>&1)
check "every check of the firmware passes ($(grep -c 'uart: ok ' <<<"$out") ok)" \
    bash -c '! grep -q "uart: FAILED" <<<"$1" && test "$(grep -c "uart: ok " <<<"$1")" -eq 6' _ "$out"
check "USART2 receives the --uart-rx text" grep -q 'uart: rx: hello$' <<<"$out"
check "one warning names the unmodeled peripheral" \
    test "$(grep -c 'warning: unmodeled peripheral' <<<"$out")-$(grep -c 'warning: unmodeled peripheral SPI1$' <<<"$out")" = 1-1
check "a reserved address is a bus fault" \
    test "$(result_key "$out" state) $(result_key "$out" addr)" = "fault 0x40002400"
check "a BusFault (PRECISERR) names the reserved address" \
    grep -q 'BusFault PRECISERR: bus fault: read of a reserved address at 0x40002400' <<<"$out"

printf 'from a file\n' >"$d/rx.txt"
out=$("$EMU" --load 0 "$FW" --uart-rx-file "2:$d/rx.txt" --run-ms 1000 2>&1)
check "USART2 receives a --uart-rx-file" grep -q 'uart: rx: from a file$' <<<"$out"
out=$("$EMU" --load 0 "$FW" --run-ms 1000 2>&1)
check "nothing sent: nothing received" grep -q 'uart: rx: $' <<<"$out"
check "--uart-rx on a USART that does not exist is refused" \
    bash -c '"$1" --load 0 "$2" --uart-rx 4:x --run-ms 1; test $? -eq 2' _ "$EMU" "$FW"
check "--uart-rx-file with a missing file is refused" \
    bash -c '"$1" --load 0 "$2" --uart-rx-file 2:/nonexistent --run-ms 1; test $? -eq 2' _ "$EMU" "$FW"
