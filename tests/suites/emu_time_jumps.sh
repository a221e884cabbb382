#!/usr/bin/env bash
# stickemu: skipping idle time never changes what the firmware observes (polled and
# interrupt-driven firmware, and the bootloader). Each scenario runs with time jumps and with
# --no-time-jumps; the register-level trace (--trace mmio, where a
# read that returns what the same register returned last time, with no write in between, is
# dropped: those are the reads a jump skips) and every other output line, the result line
# included, must be identical, times and instruction counts too.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
make -s --no-print-directory firmware build/stickimg build/stickemu >/dev/null 2>&1
if [ ! -x "$EMU" ] || [ ! -f build/emu-fw/pollloop.elf ] || [ ! -f build/stickboot.bin ]; then
    skip emu_time_jumps "build/stickemu, the test firmwares or the bootloader missing"
    exit 0
fi

# Output of a run, reduced as described above; "time jumps:" (only with jumps) dropped.
normalized() {
    "$EMU" "$@" --trace mmio 2>&1 | awk '
        /time jumps: / { next }
        match($0, /mmio: [RW][124] [^ ]+ = 0x[0-9a-f]+/) {
            split(substr($0, RSTART, RLENGTH), f, " ")
            if (substr(f[2], 1, 1) == "W") { delete last; print; next }
            if ((f[3] in last) && last[f[3]] == f[5]) next
            last[f[3]] = f[5]
        }
        { print }'
}

# same_with_and_without NAME ARGS...: the comparison, and how many jumps were taken.
same_with_and_without() {
    local name=$1
    shift
    normalized "$@" >"$d/$name.jumps"
    normalized "$@" --no-time-jumps >"$d/$name.nojumps"
    check "$name: identical trace and result with and without time jumps ($(wc -l <"$d/$name.jumps") lines)" \
        cmp "$d/$name.jumps" "$d/$name.nojumps"
    check "$name: the result line is there" grep -q '^result: ' "$d/$name.jumps"
}

# (a) a HAL-style polled loop firmware: RCC ready bits, flash BSY, TIM2 update flag, USART TC.
same_with_and_without pollloop --load 0 build/emu-fw/pollloop.elf --run-ms 400
jumps=$("$EMU" --load 0 build/emu-fw/pollloop.elf --run-ms 400 | sed -n 's/.*time jumps: \([0-9]*\),.*/\1/p')
check "pollloop: the polled waits are skipped (${jumps:-0} jumps)" test "${jumps:-0}" -ge 8
check "pollloop: every wait measured" \
    test "$(grep -c 'uart: .* cycles 0x' "$d/pollloop.jumps")" -eq 10

# (b) loops that must not be skipped (a loop counter, a timeout on CYCCNT, USART receive).
same_with_and_without periphs --load 0 build/emu-fw/periphs.elf --uart-rx '2:hi\n' --run-ms 1000

# (c) an interrupt-driven USB host (OTG_FS IRQ 67, WFI between interrupts) reading a 64 KB stick.
make -s --no-print-directory build/emu-fw/usbhost_irq.elf >/dev/null 2>&1
python3 -c "import random,sys; r=random.Random(9); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(65536)))" >"$d/raw.img"
printf 'read_latency_us=700\nnak_every=5\n' >"$d/irq.prof"
same_with_and_without usbhost_irq --load 0 build/emu-fw/usbhost_irq.elf --stick "$d/raw.img" \
    --profile "$d/irq.prof" --run-ms 600
check "usbhost_irq: the medium was read under interrupts" \
    grep -q 'uart: usbhost: crc32 0x' "$d/usbhost_irq.jumps"

# (d) the bootloader's update from a stick.
python3 -c "import random,sys; r=random.Random(7); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(28672)))" >"$d/pad.bin"
cat build/blink.bin "$d/pad.bin" >"$d/app.raw"
build/stickimg pack "$d/app.raw" -o "$d/app.bin" --version 1.0.0 -q
make_fat_stick "$d/stick.img" 64 32 "$d/app.bin"
fresh_flash "$d/f1.bin" build/stickboot.bin
cp "$d/f1.bin" "$d/f2.bin"
normalized --flash "$d/f1.bin" --stick "$d/stick.img" --stop-after-app-ms 300 >"$d/update.jumps"
normalized --flash "$d/f2.bin" --stick "$d/stick.img" --stop-after-app-ms 300 --no-time-jumps \
    >"$d/update.nojumps"
check "update: identical trace and result with and without time jumps ($(wc -l <"$d/update.jumps") lines)" \
    cmp "$d/update.jumps" "$d/update.nojumps"
check "update: the app was installed and runs" \
    test "$(result_key "$(tail -n 1 "$d/update.jumps")" state)" = app
check "update: identical flash afterwards" cmp "$d/f1.bin" "$d/f2.bin"
