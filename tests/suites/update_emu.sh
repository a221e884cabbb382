#!/usr/bin/env bash
# The update on the real bootloader binary in stickemu (issue 6 scenarios).
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
make -s --no-print-directory firmware app build/requester.bin build/stickimg build/stickemu >/dev/null 2>&1
for cfg in "PROBE_MS=0" "APP_BASE=0x08008000" "SREC_CRC_ADDR=0x080FFFFC"; do
    make -s --no-print-directory firmware app $cfg >/dev/null 2>&1
done
BL=build/stickboot.bin
BL_PROBE0=build/f4discovery-probe0/stickboot.bin

# A bigger app: the blink binary followed by 60 KB of pseudo-random data (spans sectors 1-4).
python3 -c "import random,sys; r=random.Random(6); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(61440)))" >"$d/pad.bin"
cat build/blink.bin "$d/pad.bin" >"$d/big.raw"
build/stickimg pack "$d/big.raw" -o "$d/v1.bin" --version 1.0.0 -q
build/stickimg pack "$d/big.raw" -o "$d/v2.bin" --version 2.0.0 -q
make_fat_stick "$d/v1.img" 64 32 "$d/v1.bin"
make_fat_stick "$d/v2.img" 64 32 "$d/v2.bin"

run() { "$EMU" "$@" 2>&1; }
version_in_flash() { # FLASH -> installed app_version as hex, via stickimg info on a dump
    local len
    len=$(od -An -tu4 -j $((0x4000 + 28)) -N4 "$1" | tr -d ' ')
    dd if="$1" of="$d/dump.bin" bs=1 skip=$((0x4000)) count=$((len + 36)) status=none
    build/stickimg info "$d/dump.bin" --json 2>/dev/null | sed -n 's/.*"version": *"\([^"]*\)".*/\1/p'
}

# --- first install, same stick again, new version
fresh_flash "$d/f.bin" "$BL"
out=$(run --flash "$d/f.bin" --stick "$d/v1.img" --stop-after-app-ms 1500)
check "first install runs the app" test "$(result_key "$out" state)" = app
words=$(result_key "$out" programmed_words)
check "first install programs the image ($words words)" test "${words:-0}" -gt 15000
check "first install: erased flash needs no erase" test "$(result_key "$out" erases)" = 0
out=$(run --flash "$d/f.bin" --stick "$d/v1.img" --stop-after-app-ms 1500)
check "same stick again: app runs" test "$(result_key "$out" state)" = app
check "same stick again: zero flash operations" test "$(result_key "$out" flash_ops)" = 0
out=$(run --flash "$d/f.bin" --stick "$d/v2.img" --stop-after-app-ms 1500)
check "new version installs" test "$(result_key "$out" state)-$(result_key "$out" erases)" = app-4
check "new version is the one installed" test "$(version_in_flash "$d/f.bin")" = 2.0.0

# --- no stick
out=$(run --flash "$d/f.bin" --run-ms 1000)
entry=$(result_key "$out" app_entry_ms)
check "no stick + valid app: app within PROBE_MS + 10 ms ($entry ms)" \
    awk -v t="$entry" 'BEGIN { exit !(t > 0 && t <= 310) }'
fresh_flash "$d/empty.bin" "$BL"
out=$(run --flash "$d/empty.bin" --run-ms 3000)
blinks=$(grep -c 'LED blue on' <<<"$out")
check "no stick + no app: bootloader waits, blue blinking ($blinks)" \
    test "$(result_key "$out" state)" = bootloader -a "$blinks" -ge 5

# --- fast path, button, app request (PROBE_MS=0 build)
fresh_flash "$d/p0.bin" "$BL_PROBE0"
out=$(run --flash "$d/p0.bin" --stick "$d/v1.img" --stop-after-app-ms 500)
check "PROBE_MS=0 + no app: installs from the stick" test "$(result_key "$out" state)" = app
out=$(run --flash "$d/p0.bin" --stick "$d/v2.img" --stop-after-app-ms 500)
check "PROBE_MS=0 + valid app: stick never read" test "$(result_key "$out" scsi_cmds)" = 0
check "PROBE_MS=0 + valid app: app within 5 ms ($(result_key "$out" app_entry_ms))" \
    awk -v t="$(result_key "$out" app_entry_ms)" 'BEGIN { exit !(t > 0 && t <= 5) }'
out=$(run --flash "$d/p0.bin" --stick "$d/v2.img" --button --stop-after-app-ms 500)
check "button held at reset: update installs" test "$(version_in_flash "$d/p0.bin")" = 2.0.0
build/stickimg pack build/requester.bin -o "$d/requester.bin" --version 1.0.0 -q
"$EMU" --flash "$d/p0.bin" --load 0x08004000 "$d/requester.bin" --run-ms 0 >/dev/null 2>&1
out=$(run --flash "$d/p0.bin" --stick "$d/v2.img" --run-ms 3000)
check "app request: the app asks, the bootloader installs from the stick" \
    test "$(version_in_flash "$d/p0.bin")-$(result_key "$out" state)" = 2.0.0-app

# --- raw binary at 0x08008000, sealed by the bootloader
BL8=build/f4discovery-app8000/stickboot.bin
make_fat_stick "$d/raw.img" 64 32 build/f4discovery-app8000/blink.bin
fresh_flash "$d/r.bin" "$BL8"
out=$(run --flash "$d/r.bin" --stick "$d/raw.img" --stop-after-app-ms 1500)
check "raw binary at 0x08008000 installs and runs" test "$(result_key "$out" state)" = app
raw_size=$(stat -c %s build/f4discovery-app8000/blink.bin)
len=$(((raw_size + 3) / 4 * 4))
check "raw binary: word 7 = L written by the bootloader" \
    test "$(od -An -tu4 -j $((0x8000 + 28)) -N4 "$d/r.bin" | tr -d ' ')" = "$len"
# Independent CRC: the file with word 7 = L and 0xFF padding, through stickimg crc.
python3 - "$d/r.bin" "$len" "$d/expect.bin" <<'PY'
import struct, sys
flash = open(sys.argv[1], "rb").read()
length = int(sys.argv[2])
open(sys.argv[3], "wb").write(flash[0x8000:0x8000 + length])
PY
want=$(build/stickimg crc "$d/expect.bin" --print 2>/dev/null | tail -n 1)
got=$(od -An -tx4 -j $((0x8000 + len + 16)) -N4 "$d/r.bin" | tr -d ' ')
check "raw binary: trailer CRC equals an independent computation ($got)" \
    test "0x$got" = "$(tr 'A-F' 'a-f' <<<"${want#0x}" | sed 's/^/0x/')"

# --- SREC_CRC_ADDR: the whole-flash word equals srec_cat -STM32 over the dump
BLS=build/f4discovery-srec/stickboot.bin
fresh_flash "$d/s.bin" "$BLS"
out=$(run --flash "$d/s.bin" --stick "$d/v1.img" --stop-after-app-ms 500)
srec_cat "$d/s.bin" -binary -crop 0 0xFFFFC -STM32 0xFFFFC -o "$d/srec.bin" -binary 2>/dev/null
# The flash file may end with the 16-byte option-byte record (docs/emulator.md): the last flash
# word is at 0xFFFFC.
last_word() { od -An -tx4 -j $((0xFFFFC)) -N4 "$1" | tr -d ' '; }
check "SREC_CRC_ADDR word equals srec_cat -STM32 over the flash dump" \
    test "$(last_word "$d/srec.bin")" = "$(last_word "$d/s.bin")"
check "SREC_CRC_ADDR word is programmed" test "$(last_word "$d/s.bin")" != ffffffff

# --- LOG=1: the UART log (USART2, 115200 8N1 with APB1 at 42 MHz: BRR 365) shows the phases
make -s --no-print-directory firmware LOG=1 >/dev/null 2>&1
fresh_flash "$d/log.bin" build/f4discovery-log/stickboot.bin
out=$(run --flash "$d/log.bin" --stick "$d/v1.img" --stop-after-app-ms 10 --trace uart)
uart=$(grep -o 'uart: stickboot: .*' <<<"$out" | sed 's/uart: //' | tr '\n' '|')
check "LOG=1: UART log waiting, reading %, writing %, done ($uart)" \
    grep -q 'stickboot: waiting|stickboot: reading [0-9]*%|.*stickboot: reading 100%|stickboot: writing [0-9]*%|.*stickboot: writing 100%|stickboot: done|' <<<"$uart"
check "LOG=1: USART2 BRR = 365 (115200 baud at 42 MHz)" grep -q 'USART2+0x08 = 0x0000016d' <<<"$out"
