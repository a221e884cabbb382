#!/usr/bin/env bash
# stickemu: a watchdog expiry during a flash erase (the CPU stalls) resets the chip at the
# expiry, not when the erase ends. Regression: a stale USB event once made the emulator jump
# over the expiry to the end of the erase. With the hardware watchdog's reset period (512 ms,
# the bootloader built without stretching it) a 64 KB sector (550 ms) can then never be erased.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
make -s --no-print-directory firmware PROBE_MS=299 FW_EXTRA_DEFS=-DSTICKBOOT_TEST_NO_WATCHDOG_STRETCH \
    build/stickemu build/stickimg >/dev/null 2>&1
bl=$(make -s --no-print-directory print-fw-out PROBE_MS=299)/stickboot.bin
python3 - "$d" <<'PY'
import random, sys
blink = open("build/blink.bin", "rb").read()
for seed, name in ((1, "old"), (2, "new")):
    rnd = random.Random(seed)
    pad = bytes(rnd.getrandbits(8) for _ in range(200 * 1024 - 36 - len(blink)))
    open(f"{sys.argv[1]}/{name}.raw", "wb").write(blink + pad)
PY
build/stickimg pack "$d/old.raw" -o "$d/old.bin" --version 1.0.0 -q
build/stickimg pack "$d/new.raw" -o "$d/new.bin" --version 2.0.0 -q
make_fat_stick "$d/stick.img" 64 32 "$d/new.bin"
rm -f "$d/flash.bin"
"$EMU" --flash "$d/flash.bin" --load 0x08000000 "$bl" --load 0x08004000 "$d/old.bin" --run-ms 0 >/dev/null
out=$("$EMU" --flash "$d/flash.bin" --stick "$d/stick.img" --iwdg --trace flash --run-ms 8000 2>&1 |
    grep -v 'program 0x')
# Every IWDG reset lands 512 ms after the erase it interrupts began (the last refresh is just
# before each erase), and the 64 KB sector 4 is never completed.
gaps=$(awk '/erase sector/ { t = substr($2, 1, length($2)) + 0; s = $0 }
            /reset: IWDG/ { r = $2 + 0; if (t) printf "%.0f\n", r - t; t = 0 }' <<<"$out" | sort -u)
check "IWDG reset 512 ms into a stalled erase (gaps: $(echo $gaps))" test "$gaps" = 512
check "a 64 KB erase never completes under a 512 ms watchdog" \
    bash -c '! grep -A1 "erase sector 4" <<<"$1" | grep -q "erase done"' _ "$out"
check "the watchdog keeps resetting ($(grep -c 'reset: IWDG' <<<"$out") resets in 8 s)" \
    test "$(grep -c 'reset: IWDG' <<<"$out")" -ge 4
