#!/usr/bin/env bash
# Hostile cases for the blank check that runs during pass 1 (core/update.c scan_step) and
# decides pass 2's erases: single stray words at sector edges and at the region's last word on
# a 1 MB, a 2 MB dual-bank and a 256 KB part (under the hardware watchdog), a reset in the
# middle of pass 1, and a retry in the same boot after a pass-2 failure (the retry must check
# blank again: the failed session programmed sectors its own check had found blank). The
# watchdog cases run at DS8626's maximum flash times (--flash-times=max): the longest interval
# between two IWDG refreshes must stay below 2789 ms, the bootloader's period (/32, reload
# 0xFFF) at the fastest LSI, 47 kHz (docs/reliability.md).
IWDG_MIN_PERIOD_MS=2789
below_period() { awk -v g="$1" -v p="$IWDG_MIN_PERIOD_MS" 'BEGIN { exit !(g != "" && g != "-" && g + 0 < p) }'; }
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
S=$STICKIMG
make -s --no-print-directory firmware app build/stickimg build/stickemu >/dev/null 2>&1

# strays BOARD FLASH_KB EXPECTED_SECTORS ADDR...: an 8 KB image (sector 1) onto flash that
# holds only the bootloader and one non-0xFF word at each ADDR; every sector with one must be
# erased, no other, and every ADDR must read 0xFFFFFFFF after the update.
strays() {
    local board=$1 kb=$2 want=$3
    shift 3
    make -s --no-print-directory firmware app BOARD="$board" >/dev/null 2>&1
    local out_dir
    out_dir=$(make -s --no-print-directory print-fw-out BOARD="$board")
    cp "$out_dir/blink.bin" "$d/raw.bin"
    truncate -s 8192 "$d/raw.bin"
    $S pack "$d/raw.bin" -o "$d/$board.bin" --board "$board" --version 1.0.0 -q
    make_fat_stick "$d/$board.img" 64 32 "$d/$board.bin"
    python3 - "$out_dir/stickboot.bin" "$d/$board-flash.bin" "$kb" "$@" <<'PY'
import sys
boot, out, kb, addrs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
b = bytearray(b"\xff" * (kb * 1024))
f = open(boot, "rb").read()
b[: len(f)] = f
for a in addrs:
    off = int(a, 16) - 0x08000000
    b[off : off + 4] = bytes.fromhex("a5a55a5a")
open(out, "wb").write(b)
PY
    local out
    out=$("$EMU" --board "$board" --flash "$d/$board-flash.bin" --flash-size "${kb}K" \
        --stick "$d/$board.img" --iwdg --flash-times=max --stop-after-app-ms 1 --run-ms 30000 2>&1)
    check "$board: an 8 KB update over stray words ends in the app ($(result_key "$out" state))" \
        test "$(result_key "$out" state)" = app
    check "$board: erased exactly the sectors with a stray word ($(result_key "$out" erase_sectors), want $want)" \
        test "$(result_key "$out" erase_sectors)" = "$want"
    check "$board: no watchdog reset, longest refresh interval $(result_key "$out" iwdg_max_gap_ms) ms at maximum flash times ($(result_key "$out" iwdg_resets) resets)" \
        below_period "$(result_key "$out" iwdg_max_gap_ms)" -a "$(result_key "$out" iwdg_resets)" = 0
    local a left=""
    for a in "$@"; do
        if [ "$(od -An -tx4 -j $((a - 0x08000000)) -N4 "$d/$board-flash.bin" | tr -d ' ')" != ffffffff ]; then
            left="$left $a"
        fi
    done
    check "$board: every stray word is gone${left:+ (left:$left)}" test -z "$left"
}

# 1 MB: the image's own sector past its end, the first word of the next, a 64 KB sector's
# last word, the region's last word.
strays f4discovery 1024 1,2,4,11 0x08007FFC 0x08008000 0x0801FFFC 0x080FFFFC
# 2 MB dual bank: bank 1's last word, bank 2's first (sector 12), the region's last (23).
strays nucleo-f429zi 2048 1,11,12,23 0x08007FFC 0x080FFFFC 0x08100000 0x081FFFFC
# 256 KB F401: sectors 0-5, the region's last word in sector 5.
strays blackpill-f401cc 256 1,5 0x08007FFC 0x0803FFFC

# Two images of the same size whose bodies differ from the first word after the vectors.
make -s --no-print-directory firmware app >/dev/null 2>&1
for seed in 1 2; do
    python3 -c "import random,sys; r=random.Random($seed); sys.stdout.buffer.write(bytes(r.getrandbits(8) | 1 for _ in range(49152 - 36 - $(stat -c %s build/blink.bin))))" >"$d/pad$seed.bin"
    cat build/blink.bin "$d/pad$seed.bin" >"$d/app$seed.raw"
    $S pack "$d/app$seed.raw" -o "$d/app$seed.bin" --version "$seed.0.0" -q
done
make_fat_stick "$d/a.img" 64 32 "$d/app1.bin"
replace_on_stick "$d/a.img" "$d/app1.bin" "$d/app2.bin" "$d/b.img"
holds() { cmp -n "$(stat -c %s "$2")" "$2" <(tail -c +$((0x4000 + 1)) "$1"); }

# Reset in the middle of pass 1 (a watchdog or a power glitch): RAM and the check's result
# are lost, the next boot checks again; nothing was erased before the reset.
fresh_flash "$d/r.bin"
"$EMU" --flash "$d/r.bin" --load 0x08004000 "$d/app2.bin" --run-ms 0 >/dev/null 2>&1
# Pass 1 runs from the "reading" light (LED orange) to the first erase.
times=$("$EMU" --flash "$d/r.bin" --stick "$d/a.img" --trace flash --run-ms 5000 2>&1 |
    sed -n 's/^\[ *\([0-9]*\)\.[0-9]* ms\] \(LED orange on\|flash: erase\).*/\1/p')
reading=$(sed -n 1p <<<"$times") first=$(sed -n 2p <<<"$times")
at=$(((reading + first) / 2))
fresh_flash "$d/r.bin"
"$EMU" --flash "$d/r.bin" --load 0x08004000 "$d/app2.bin" --run-ms 0 >/dev/null 2>&1
out=$("$EMU" --flash "$d/r.bin" --stick "$d/a.img" --reset-at-ms "$at" \
    --stop-after-app-ms 1 --run-ms 10000 2>&1)
check "reset at $at ms (pass 1: $reading-$first ms): the update completes after it ($(result_key "$out" state), resets $(result_key "$out" resets) incl. the handover)" \
    test "$(result_key "$out" state)" = app -a "$(result_key "$out" resets)" = 2 -a "$first" -gt "$((reading + 1))"
check "reset in pass 1: sectors 1-3 erased once each ($(result_key "$out" erase_sectors))" \
    test "$(result_key "$out" erase_sectors)" = 1,2,3
check "reset in pass 1: flash holds the new image" holds "$d/r.bin" "$d/app1.bin"

# Retry in the same boot: on blank flash, pass 1 checks app1 (nothing to erase), pass 2 gets
# one half (16 KB) of app1 and then app2's bytes: SB_ERR_CHANGED after programming them. The
# bootloader retries the stick that stays plugged in (no reset); it now serves app2 in both
# passes, and sectors 1-3 hold the failed session's words: they must be erased first.
fresh_flash "$d/t.bin"
reads=$("$EMU" --flash "$d/t.bin" --stick "$d/a.img" --trace scsi,flash --run-ms 5000 2>&1 |
    awk '/flash: program/ { exit } /READ\(10\)/ { n++ } END { print n }')
fresh_flash "$d/t.bin"
printf 'second_image_after_reads=%s\nsecond_image=%s\n' "$((reads + 1))" "$d/b.img" >"$d/t.prof"
out=$("$EMU" --flash "$d/t.bin" --stick "$d/a.img" --profile "$d/t.prof" --stop-after-app-ms 1 \
    --run-ms 60000 2>&1)
check "retry: app2 installed in the same boot after the failed pass 2 ($(result_key "$out" state), resets $(result_key "$out" resets) = the handover, $reads reads before the first program)" \
    test "$(result_key "$out" state)" = app -a "$(result_key "$out" resets)" = 1 -a "$(result_key "$out" sw_resets)" = 1
check "retry: the failed session's sectors were erased before programming ($(result_key "$out" erase_sectors))" \
    test "$(result_key "$out" erase_sectors)" = 1,2,3
check "retry: flash holds app2" holds "$d/t.bin" "$d/app2.bin"

# Watchdog, worst case: a 384 KB update over a region with a word in every 16 KB (every sector
# erased, 64 and 128 KB ones included, then 16 KB halves of word programs at 100 us each, the
# leftovers 7-11 in drain(1)), on the m4 cycle model at maximum flash times.
python3 -c "import random,sys; r=random.Random(7); sys.stdout.buffer.write(bytes(r.getrandbits(8) | 1 for _ in range(393216 - 36 - $(stat -c %s build/blink.bin))))" >"$d/padw.bin"
cat build/blink.bin "$d/padw.bin" >"$d/w.raw"
$S pack "$d/w.raw" -o "$d/w.bin" --version 3.0.0 -q
make_fat_stick "$d/w.img" 64 32 "$d/w.bin"
python3 - build/stickboot.bin "$d/wflash.bin" <<'PY'
import sys
b = bytearray(b"\xff" * (1 << 20))
f = open(sys.argv[1], "rb").read()
b[: len(f)] = f
for at in range(0x4000, 1 << 20, 0x4000):
    b[at : at + 4] = bytes(4)
open(sys.argv[2], "wb").write(b)
PY
out=$("$EMU" --flash "$d/wflash.bin" --stick "$d/w.img" --iwdg --flash-times=max --cycle-model=m4 \
    --stop-after-app-ms 1 --run-ms 60000 2>&1)
check "max times: the 384 KB update over a dirty region ends in the app ($(result_key "$out" state), $(result_key "$out" t_ms) ms, erased $(result_key "$out" erase_sectors))" \
    test "$(result_key "$out" state)" = app -a "$(result_key "$out" erase_sectors)" = 1,2,3,4,5,6,7,8,9,10,11
check "max times: longest refresh interval $(result_key "$out" iwdg_max_gap_ms) ms < $IWDG_MIN_PERIOD_MS ms, no reset ($(result_key "$out" iwdg_resets))" \
    below_period "$(result_key "$out" iwdg_max_gap_ms)" -a "$(result_key "$out" iwdg_resets)" = 0
check "max times: flash holds the image" holds "$d/wflash.bin" "$d/w.bin"
