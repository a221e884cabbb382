#!/usr/bin/env bash
# Pass 2 in the background (core/update.c program_behind) against an unlucky field, on the m4
# cycle model: a 128 KB update over a 128 KB old image (sectors 1-5, sector 5 = 128 KB, 1 s
# erase in stickemu) under the hardware watchdog (--iwdg: 512 ms until the bootloader stretches
# it), and a stick whose pass-2 bytes differ from the ones pass 1 checked (the CRC differs).
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
S=$STICKIMG
make -s --no-print-directory firmware app build/stickimg build/stickemu >/dev/null 2>&1
size=131072
python3 -c "import random,sys; r=random.Random(46); sys.stdout.buffer.write(bytes(r.getrandbits(8) | 1 for _ in range($size - 36 - $(stat -c %s build/blink.bin))))" >"$d/pad.bin"
cat build/blink.bin "$d/pad.bin" >"$d/app.raw"
$S pack "$d/app.raw" -o "$d/old.bin" --version 1.0.0 -q
python3 -c "import sys; b=bytearray(open('$d/app.raw','rb').read()); b[-8:]=b'newimage'; open('$d/new.raw','wb').write(b)"
$S pack "$d/new.raw" -o "$d/new.bin" --version 2.0.0 -q
# evil.bin: new.bin with 4 bytes inside sector 5 changed (0x08004000 + 0x1C000 = 0x08020000).
python3 -c "b=bytearray(open('$d/new.bin','rb').read()); b[0x1C100:0x1C104]=b'EVIL'; open('$d/evil.bin','wb').write(b)"
make_fat_stick "$d/stick.img" 64 32 "$d/new.bin"
replace_on_stick "$d/stick.img" "$d/new.bin" "$d/evil.bin" "$d/evil.img"
old_flash() {
    fresh_flash "$1"
    "$EMU" --flash "$1" --load 0x08004000 "$d/old.bin" --run-ms 0 >/dev/null 2>&1
}
holds_new() { cmp -n $size "$d/new.bin" <(tail -c +$((0x4000 + 1)) "$1"); }

# Watchdog: the 128 KB erase runs behind a pass-2 read; nothing may let the IWDG expire.
old_flash "$d/w.bin"
out=$("$EMU" --flash "$d/w.bin" --stick "$d/stick.img" --cycle-model=m4 --iwdg \
    --stop-after-app-ms 1 --run-ms 20000 2>&1)
check "iwdg: the 128 KB update ends in the app ($(result_key "$out" state))" \
    test "$(result_key "$out" state)" = app
check "iwdg: no watchdog reset during the background erases ($(result_key "$out" iwdg_resets))" \
    test "$(result_key "$out" iwdg_resets)" = 0
check "iwdg: sector 5 (128 KB) was erased ($(result_key "$out" erase_sectors))" \
    test "$(result_key "$out" erase_sectors)" = 1,2,3,4,5
check "iwdg: flash holds the new image" holds_new "$d/w.bin"

# Lying stick: pass 1 reads new.bin, pass 2 (from the READ(10) after pass 1's) evil.bin.
old_flash "$d/l.bin"
reads=$("$EMU" --flash "$d/l.bin" --stick "$d/stick.img" --trace scsi,flash --run-ms 5000 2>&1 |
    awk '/flash: erase/ { exit } /READ\(10\)/ { n++ } END { print n }')
old_flash "$d/l.bin"
printf 'second_image_after_reads=%s\nsecond_image=%s\n' "$reads" "$d/evil.img" >"$d/liar.prof"
out=$("$EMU" --flash "$d/l.bin" --stick "$d/stick.img" --profile "$d/liar.prof" --cycle-model=m4 \
    --stop-after-app-ms 1 --run-ms 8000 2>&1)
check "liar: other bytes in pass 2 ($reads reads in pass 1) start no app ($(result_key "$out" state))" \
    test "$(result_key "$out" state)" = bootloader
out=$("$EMU" --flash "$d/l.bin" --cycle-model=m4 --stop-after-app-ms 1 --run-ms 2000 2>&1)
check "liar: without the stick no app starts after it ($(result_key "$out" state))" \
    test "$(result_key "$out" state)" = bootloader
out=$("$EMU" --flash "$d/l.bin" --stick "$d/stick.img" --cycle-model=m4 --stop-after-app-ms 1 \
    --run-ms 20000 2>&1)
check "liar: an honest stick then installs the new image" holds_new "$d/l.bin"

# Leftovers: a 16 KB update over a long old image on a 2 MB part (nucleo-f429zi). drain(1)
# erases every non-blank sector left in the region (2-23: 16.6 s at stickemu's typical times,
# 32 s at DS8626's maximum); each erase needs its own bound, not one 9 s bound for all of them.
make -s --no-print-directory firmware BOARD=nucleo-f429zi >/dev/null 2>&1
nb=$(make -s --no-print-directory print-fw-out BOARD=nucleo-f429zi)/stickboot.bin
head -c 16000 "$d/app.raw" >"$d/small.raw"
$S pack "$d/small.raw" -o "$d/small-old.bin" --version 1.0.0 --board nucleo-f429zi -q
$S pack "$d/small.raw" -o "$d/small-new.bin" --version 2.0.0 --board nucleo-f429zi -q
make_fat_stick "$d/small.img" 64 32 "$d/small-new.bin"
python3 - "$nb" "$d/small-old.bin" "$d/big.bin" <<'PY'
import sys
boot, old, out = sys.argv[1:]
b = bytearray(b"\xff" * (2 << 20))
f = open(boot, "rb").read()
b[: len(f)] = f
o = open(old, "rb").read()
b[0x4000 : 0x4000 + len(o)] = o
for at in range(0x8000, 2 << 20, 0x4000):  # a word in every 16 KB from sector 2 on
    b[at : at + 4] = bytes(4)
open(out, "wb").write(b)
PY
out=$("$EMU" --board nucleo-f429zi --flash "$d/big.bin" --flash-size 2M --stick "$d/small.img" \
    --stop-after-app-ms 1 --run-ms 30000 2>&1)
check "leftovers: a 16 KB update over 22 non-blank sectors ends in the app ($(result_key "$out" state), erased $(result_key "$out" erase_sectors))" \
    test "$(result_key "$out" state)" = app
check "leftovers: every sector of the region was erased" \
    test "$(result_key "$out" erase_sectors)" = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23
