#!/usr/bin/env bash
# Sticks people own, on the real bootloader in stickemu (issues 15 and 16): a file ending in
# the medium's last block, with and without the count-instead-of-last-LBA capacity; a reader
# that hangs on multi-block reads near the end; READ CAPACITY extremes; card readers whose
# volume is behind a later LUN; composite devices; readiness by time; 64 KB blocks.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
make -s --no-print-directory firmware app build/stickimg build/stickemu >/dev/null 2>&1

build/stickimg pack build/blink.bin -o "$d/app.bin" --version 1.0.0 -q
BL=${BL:-build/stickboot.bin} # another build to compare against
run() { "$EMU" "$@" 2>&1; }
error_code() { # OUTPUT: red blinks in the first error burst (the error number), 0 if none
    sed -n 's/^\[ *\([0-9.]*\) ms\] LED red on$/\1/p' <<<"$1" |
        awk '{ if (n && $1 - last > 600) exit; n++; last = $1 } END { print n + 0 }'
}
profile() { # NAME KEY=VALUE...: a profile file, its path on stdout
    local f="$d/$1.prof"
    shift
    printf '%s\n' "$@" >"$f"
    echo "$f"
}
# installs FLASH STICK PROFILE [ARGS]: one power-up on a fresh flash; prints the output.
installs() {
    local flash=$1 stick=$2 prof=$3
    shift 3
    fresh_flash "$flash" "$BL"
    run --flash "$flash" --stick "$stick" ${prof:+--profile "$prof"} --stop-after-app-ms 20 \
        --run-ms 40000 "$@"
}
app_installed() { # FLASH: the packed app is in flash at the application base
    cmp -s -n "$(stat -c %s "$d/app.bin")" "$d/app.bin" <(tail -c +$((0x4000 + 1)) "$1")
}

# --- a full 1.44 MB FAT12 floppy whose IMAGE.BIN ends at LBA 2879, the last block
rm -f "$d/floppy.img"
mkfs.fat -C "$d/floppy.img" 1440 >/dev/null
python3 - "$d/floppy.img" "$d/app.bin" "$d/filler.bin" <<'EOF'
import os, struct, sys
img, app, filler = sys.argv[1:]
b = open(img, "rb").read(512)
spc, res, nfats, root, total, spf = b[13], *struct.unpack_from("<HBHHxH", b, 14)
data = res + nfats * spf + root * 32 // 512
clusters = (total - data) // spc
need = -(-os.path.getsize(app) // (512 * spc))
open(filler, "wb").write(b"\xF1" * ((clusters - need) * 512 * spc))
EOF
MTOOLS_SKIP_CHECK=1 mcopy -i "$d/floppy.img" "$d/filler.bin" ::FILLER.BIN
MTOOLS_SKIP_CHECK=1 mcopy -i "$d/floppy.img" "$d/app.bin" ::IMAGE.BIN
last_lba=$(python3 - "$d/floppy.img" <<'EOF'
import struct, sys
f = open(sys.argv[1], "rb").read()
spc, res, nfats, root, total, spf = f[13], *struct.unpack_from("<HBHHxH", f, 14)
rootoff = (res + nfats * spf) * 512
data = res + nfats * spf + root * 32 // 512
for i in range(root):
    e = f[rootoff + 32 * i:rootoff + 32 * i + 32]
    if e[:11] == b"IMAGE   BIN":
        c = struct.unpack_from("<H", e, 26)[0]
        fat = f[res * 512:]
        while True:
            v = struct.unpack_from("<H", fat, c * 3 // 2)[0]
            n = v >> 4 if c & 1 else v & 0xFFF
            if n >= 0xFF8:
                break
            c = n
        print(data + (c - 2) * spc + spc - 1, total - 1)
EOF
)
check "floppy: IMAGE.BIN ends at the last LBA ($last_lba)" test "${last_lba% *}" = "${last_lba#* }"

out=$(installs "$d/f1.bin" "$d/floppy.img" "")
check "floppy, READ CAPACITY = last LBA: the file ending in the last block installs" \
    test "$(result_key "$out" state)" = app
out=$(installs "$d/f2.bin" "$d/floppy.img" "$(profile cap1 capacity_off_by_one=1)")
check "floppy, READ CAPACITY = block count: installs too" test "$(result_key "$out" state)" = app

out=$(installs "$d/f3.bin" "$d/floppy.img" "$(profile lsb last_sector_bug=8)" --trace usb,scsi)
resets=$(grep -c 'Bulk-Only Mass Storage Reset' <<<"$out")
tail_reads=$(grep -cE 'READ\(10\) lba=(287[2-9]) blocks=1 ' <<<"$out")
check "reader that hangs on multi-block reads of the last 8 blocks: installs" \
    test "$(result_key "$out" state)" = app
check "  ... without a hang or Reset Recovery ($resets resets, $tail_reads single-block reads)" \
    test "$resets" = 0 -a "$tail_reads" -ge 1
near_end=$(awk '/READ\(10\) lba=/ { for (i = 1; i <= NF; i++) {
        if ($i ~ /^lba=/) l = substr($i, 5); if ($i ~ /^blocks=/) n = substr($i, 8) }
    if (n > 1 && l + n > 2872) c++ } END { print c + 0 }' <<<"$out")
check "  ... and no multi-block READ(10) touches them ($near_end did)" test "$near_end" = 0

# A read-only host sends five commands and nothing else: no MODE SENSE (NO_WP_DETECT,
# WRITE_CACHE), PREVENT/ALLOW (NOT_LOCKABLE), READ CAPACITY(16), ATA pass-through, REPORT LUNS,
# SYNCHRONIZE CACHE: the Linux quirk classes about those commands cannot arise.
ops=$(out=$(installs "$d/f0.bin" "$d/floppy.img" "" --trace scsi)
    sed -n 's/.*scsi: lun[0-9]* \([A-Z_()0-9]*\) .*/\1/p' <<<"$out" | sort -u | tr '\n' ' ')
others=$(tr ' ' '\n' <<<"$ops" |
    grep -cvE '^(INQUIRY|TEST_UNIT_READY|REQUEST_SENSE|READ_CAPACITY\(10\)|READ\(10\)|)$')
check "SCSI commands sent: $ops(nothing else)" test "$others" = 0 -a -n "$ops"

# A 40 KB image, so that the reads are long.
python3 -c "import random,sys; r=random.Random(16); sys.stdout.buffer.write(open('build/blink.bin','rb').read() + bytes(r.getrandbits(8) for _ in range(40000)))" >"$d/big.raw"
build/stickimg pack "$d/big.raw" -o "$d/big.bin" --version 1.0.0 -q
make_fat_stick "$d/big.img" 64 32 "$d/big.bin"
out=$(installs "$d/f14.bin" "$d/big.img" "$(profile has hang_above_sectors=8)")
check "hangs on READ(10) above 8 blocks: a 40 KB image installs" \
    test "$(result_key "$out" state)" = app

# --- READ CAPACITY extremes on an unpartitioned 64 MB FAT32 stick
make_fat_stick "$d/stick.img" 64 32 "$d/app.bin"
out=$(installs "$d/f4.bin" "$d/stick.img" "$(profile ffff read_capacity=0xFFFFFFFF00000200)")
check "READ CAPACITY last LBA 0xFFFFFFFF: the unpartitioned volume is found" \
    test "$(result_key "$out" state)" = app
for raw in 0x0000000000000200 0x0001000000000208 0x0001000000010000 0x00010000FFFFFFFF; do
    out=$(installs "$d/f5.bin" "$d/stick.img" "$(profile raw read_capacity=$raw)")
    check "READ CAPACITY $raw: refused cleanly (error $(error_code "$out"), waiting)" \
        test "$(result_key "$out" state)-$(error_code "$out")" = bootloader-4
done
for bs in 8192 65536; do
    out=$(installs "$d/f6.bin" "$d/stick.img" "$(profile bs block_size=$bs)")
    check "block size $bs: refused cleanly (error $(error_code "$out"), waiting)" \
        test "$(result_key "$out" state)-$(error_code "$out")" = bootloader-4
done

# --- card readers: the volume behind a later LUN
make_fat_stick "$d/card-nofile.img" 16 16 ""
out=$(installs "$d/f7.bin" "$d/stick.img" \
    "$(profile reader1 luns=2 lun.0.image="$d/card-nofile.img")")
check "reader: LUN 0 a card with a FAT volume but no IMAGE.BIN, LUN 1 the file: installs" \
    test "$(result_key "$out" state)" = app
out=$(installs "$d/f8.bin" "$d/stick.img" \
    "$(profile reader2 luns=3 lun.0.read_capacity=0xFFFFFFFF00000200 lun.1=empty)")
check "reader: LUN 0 answers 0xFFFFFFFF and reads zeros, LUN 1 empty, LUN 2 the file" \
    test "$(result_key "$out" state)" = app
truncate -s 8M "$d/card-raw.img"
out=$(installs "$d/f9.bin" "$d/stick.img" \
    "$(profile reader3 luns=2 lun.0.image="$d/card-raw.img" lun.1.image="$d/card-nofile.img")")
check "reader: no LUN holds the file: error $(error_code "$out") (6: the most telling), waiting" \
    test "$(result_key "$out" state)-$(error_code "$out")" = bootloader-6

# --- composite devices
for p in "composite=cdc" "composite=hid" "composite=cdc+hid msc_alt_setting=1 config_padding=300" \
    "msc_alt_setting=1" "config_padding=700" "config_tail=2000"; do
    # shellcheck disable=SC2086
    out=$(installs "$d/f10.bin" "$d/stick.img" "$(profile comp $p)")
    check "composite: $p installs" test "$(result_key "$out" state)" = app
done

# --- a stick that needs 150 ms after each reset before it answers
out=$(installs "$d/f12.bin" "$d/stick.img" "$(profile deaf deaf_after_reset_ms=150)")
check "deaf for 150 ms after every bus reset: installs" test "$(result_key "$out" state)" = app

# --- a stick kept powered and configured through a restart of the host (VBUS off only
# briefly) hangs until VBUS has been off 300 ms. The first session finds no file (error 6, no
# app: the bootloader retries after a ~50 ms VBUS gap); after as many READ(10)s the stick holds
# the file. Only a long enough power cycle lets the second session see it.
make_fat_stick "$d/nofile.img" 64 32 ""
out=$(installs "$d/f13.bin" "$d/nofile.img" "" --trace scsi --run-ms 2000)
reads=$(grep -c 'READ(10).*-> good' <<<"$out")
out=$(installs "$d/f13.bin" "$d/nofile.img" "$(profile warm second_image="$d/stick.img" \
    second_image_after_reads="$reads" vbus_off_min_ms=300 warm_reset_hang=1)" --trace usb)
hung=$(grep -c 'hangs until VBUS is off' <<<"$out")
check "kept powered through a restart and hung ($hung times): one long VBUS-off, then installs" \
    test "$(result_key "$out" state)" = app -a "$hung" -ge 1

# --- readiness by time
out=$(installs "$d/f11.bin" "$d/stick.img" "$(profile nr not_ready_ms=3000)")
entry=$(result_key "$out" app_entry_ms)
check "not ready for 3 s after power-on: installs, after it ($entry ms)" \
    awk -v t="$entry" 'BEGIN { exit !(t >= 3000 && t < 8000) }'
app_installed "$d/f11.bin" && pass "  ... the installed image is the stick's" ||
    fail "  ... the installed image is the stick's"
