#!/usr/bin/env bash
# The update report (issue 19, docs/update-report.md): each board writes one line into
# STICKBOOT.LOG on the stick, one block per report, inside the file's clusters only; FAT12/16/32
# and exFAT, a fragmented log, a full log, no log, a write-protected stick, a stick that refuses
# WRITE(10), a power cut during the write, fifty boards in a row.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
make -s --no-print-directory firmware app build/stickimg build/stickemu >/dev/null 2>&1
export MTOOLS_SKIP_CHECK=1
BL=build/stickboot.bin
build/stickimg pack build/blink.bin -o "$d/v1.bin" --version 1.0.0 -q
build/stickimg pack build/blink.bin -o "$d/v2.bin" --version 2.0.0 -q
build/stickimg report-file -o "$d/empty.log" --size 8K

# fat_stick IMG MKFS_ARGS...: a FAT volume (16 MB, FAT_MB=... for FAT32) with IMAGE.BIN (v1)
# and STICKBOOT.LOG.
fat_stick() {
    local img=$1
    shift
    rm -f "$img"
    truncate -s "${FAT_MB:-16}M" "$img"
    mkfs.fat "$@" "$img" >/dev/null
    mcopy -i "$img" "$d/v1.bin" ::IMAGE.BIN
    mcopy -i "$img" "${LOG_SRC:-$d/empty.log}" ::STICKBOOT.LOG
}
exfat_stick() { # IMG [mkexfat-file args for the log]
    local img=$1
    shift
    rm -f "$img"
    truncate -s 16M "$img"
    mkfs.exfat -c 4K "$img" >/dev/null
    python3 tests/tools/mkexfat-file.py "$img" "$d/v1.bin" --name IMAGE.BIN
    python3 tests/tools/mkexfat-file.py "$img" "${LOG_SRC:-$d/empty.log}" --name STICKBOOT.LOG "$@"
}
log_of() { # IMG -> the log file's bytes, by the file system (mtools or the exFAT offset map)
    if [ "$(head -c 11 "$1" | tail -c 8 | tr -d "\0")" = "EXFAT   " ]; then
        python3 - "$1" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
bps, spc = 1 << d[108], 1 << d[109]
fat_off, heap_off, root = [struct.unpack_from("<I", d, o)[0] for o in (80, 88, 96)]
cl = bps * spc
def chain(c, contiguous, n):
    out = []
    while len(out) < n:
        out.append(c)
        c = c + 1 if contiguous else struct.unpack_from("<I", d, fat_off * bps + 4 * c)[0]
    return out
def data(c):
    return d[heap_off * bps + (c - 2) * cl: heap_off * bps + (c - 1) * cl]
root_bytes = b"".join(data(c) for c in chain(root, False, 1))
for i in range(0, len(root_bytes), 32):
    e = root_bytes[i:i + 32]
    if e[0] == 0x85:
        s, n = root_bytes[i + 32:i + 64], root_bytes[i + 64:i + 96]
        name = n[2:32].decode("utf-16-le").rstrip("\0")
        if name.upper() == "STICKBOOT.LOG":
            first, size = struct.unpack_from("<I", s, 20)[0], struct.unpack_from("<Q", s, 24)[0]
            cs = chain(first, s[1] & 2, (size + cl - 1) // cl)
            sys.stdout.buffer.write(b"".join(data(c) for c in cs)[:size])
EOF
    else
        mtype -i "$1" ::STICKBOOT.LOG
    fi
}
lines() { log_of "$1" >"$d/got.log" && build/stickimg report-file --show "$d/got.log"; }
changed_blocks() { cmp -l "$1" "$2" | awk '{ print int(($1 - 1) / 512) }' | sort -u | wc -l; }
fsck_clean() {
    if [ "$(head -c 11 "$1" | tail -c 8 | tr -d "\0")" = "EXFAT   " ]; then fsck.exfat -n "$1" >/dev/null 2>&1; else fsck.fat -n "$1" >/dev/null 2>&1; fi
}
board() { # FLASH: a fresh board with the bootloader only
    rm -f "$1"
    "$EMU" --flash "$1" --load 0x08000000 "$BL" --run-ms 0 >/dev/null 2>&1
}
run() { "$EMU" --flash "$1" --stick "$2" --stick-rw --stop-after-app-ms 50 --run-ms 5000 "${@:3}" 2>&1; }

# --- each file system: install, then up to date; one block per report; fsck clean
for fs in "fat12|2|-F 12 -s 1" "fat16|16|-F 16 -s 2" "fat32|40|-F 32 -s 1" "exfat|16|"; do
    IFS='|' read -r name mb args <<<"$fs"
    # shellcheck disable=SC2086
    if [ "$name" = exfat ]; then exfat_stick "$d/$name.img"; else FAT_MB=$mb fat_stick "$d/$name.img" $args; fi
    board "$d/$name.f"
    cp "$d/$name.img" "$d/before.img"
    out=$(run "$d/$name.f" "$d/$name.img" --uid 000000010000000200000003)
    n1=$(changed_blocks "$d/before.img" "$d/$name.img")
    cp "$d/$name.img" "$d/before.img"
    out2=$(run "$d/$name.f" "$d/$name.img" --uid 000000010000000200000003)
    n2=$(changed_blocks "$d/before.img" "$d/$name.img")
    got=$(lines "$d/$name.img")
    want="00000001 00000002 00000003 board 0407D15C - -> 1.0.0 installed"
    if [ "$(result_key "$out" state)-$(result_key "$out2" state)" = app-app ] &&
        [ "$n1-$n2" = 1-1 ] && grep -q "^$want [0-9]* ms$" <<<"$got" &&
        grep -q "^00000001 00000002 00000003 board 0407D15C 1.0.0 up to date [0-9]* ms$" <<<"$got" &&
        [ "$(wc -l <<<"$got")" = 2 ] && fsck_clean "$d/$name.img"; then
        pass "$name: two reports, one block each, file system clean"
    else
        fail "$name: two reports, one block each, file system clean" \
            "blocks $n1/$n2; lines: $got; $(grep '^result' <<<"$out$out2" | cut -c1-120)"
    fi
done

# --- without --stick-rw the WRITE(10) goes to a private copy: the user's file never changes
FAT_MB=16 fat_stick "$d/user.img" -F 16 -s 2
cp "$d/user.img" "$d/before.img"
board "$d/user.f"
out=$("$EMU" --flash "$d/user.f" --stick "$d/user.img" --stop-after-app-ms 50 --trace scsi 2>&1)
check "no --stick-rw: WRITE(10) accepted, the --stick file unchanged" \
    test "$(grep -c 'WRITE(10) lba=[0-9]* blocks=1 len=512 -> good' <<<"$out")-$(cmp -s "$d/before.img" "$d/user.img" && echo same)" = 1-same

# --- a fragmented log whose next empty slot is in a later fragment (FAT12, 512-byte clusters)
python3 -c "import sys; sys.stdout.buffer.write((b'x' * 126 + b'\r\n') * 20 + bytes(8192 - 20 * 128))" >"$d/prefilled.log"
img=$d/frag.img
rm -f "$img"
truncate -s 2M "$img"
mkfs.fat -F 12 -s 1 "$img" >/dev/null
mcopy -i "$img" "$d/v1.bin" ::IMAGE.BIN
head -c 512 /dev/zero >"$d/one.tmp"
for i in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17; do mcopy -i "$img" "$d/one.tmp" "::F$i.DAT"; done
for i in 0 2 4 6 8 10 12 14 16; do mdel -i "$img" "::F$i.DAT"; done
mcopy -i "$img" "$d/prefilled.log" ::STICKBOOT.LOG
board "$d/frag.f"
cp "$img" "$d/before.img"
out=$(run "$d/frag.f" "$img" --trace scsi)
got=$(lines "$img")
wlba=$(grep -o 'WRITE(10) lba=[0-9]*' <<<"$out" | sed 's/.*=//')
# The log's 6th block (slots 20-23) in the file's own cluster chain, by mtools' view:
log_of "$img" >"$d/got.log"
if [ "$(changed_blocks "$d/before.img" "$img")" = 1 ] && [ "$(sed -n 21p <<<"$got" | cut -c1-8)" = 003B0035 ] &&
    [ "$(sed -n 20p <<<"$got" | cut -c1-4)" = xxxx ] && [ "$(wc -l <<<"$got")" = 21 ] &&
    cmp -s -n 2560 "$d/got.log" "$d/prefilled.log" && fsck_clean "$img" &&
    [ "$(dd if="$img" bs=512 skip="$wlba" count=1 status=none | head -c 8)" = 003B0035 ]; then
    pass "fragmented FAT12 log: line 21 lands in the 6th block (LBA $wlba), nothing else changes"
else
    fail "fragmented FAT12 log: line 21 lands in the 6th block" "lba $wlba; $(sed -n 19,22p <<<"$got")"
fi
LOG_SRC=$d/prefilled.log exfat_stick "$d/exfrag.img" --layout fragmented
board "$d/exfrag.f"
cp "$d/exfrag.img" "$d/before.img"
out=$(run "$d/exfrag.f" "$d/exfrag.img")
got=$(lines "$d/exfrag.img")
check "fragmented exFAT log: line 21 after the 20 old ones, one block, fsck clean" \
    test "$(changed_blocks "$d/before.img" "$d/exfrag.img")-$(wc -l <<<"$got")-$(sed -n 21p <<<"$got" | cut -c1-8)" = 1-21-003B0035 \
    -a "$(fsck_clean "$d/exfrag.img" && echo ok)" = ok

# --- full log, no log, write-protected, WRITE(10) refused: nothing written, update done
python3 -c "import sys; sys.stdout.buffer.write((b'y' * 126 + b'\r\n') * 64)" >"$d/full.log"
LOG_SRC=$d/full.log fat_stick "$d/full.img" -F 16 -s 2
rm -f "$d/nolog.img"
truncate -s 16M "$d/nolog.img"
mkfs.fat -F 16 "$d/nolog.img" >/dev/null
mcopy -i "$d/nolog.img" "$d/v1.bin" ::IMAGE.BIN
fat_stick "$d/wp.img" -F 16 -s 2
fat_stick "$d/refused.img" -F 16 -s 2
printf 'write_protect = 1\n' >"$d/wp.prof"
printf 'write_refused = 1\n' >"$d/refused.prof"
for c in "full|" "nolog|" "wp|--profile $d/wp.prof" "refused|--profile $d/refused.prof"; do
    name=${c%%|*} extra=${c#*|}
    board "$d/$name.f"
    cp "$d/$name.img" "$d/before.img"
    # shellcheck disable=SC2086
    out=$(run "$d/$name.f" "$d/$name.img" $extra --trace scsi)
    writes=$(grep -c 'WRITE(10)' <<<"$out" || true)
    expect_writes=0
    [ "$name" = wp ] || [ "$name" = refused ] && expect_writes=1
    if [ "$(result_key "$out" state)" = app ] && [ "$(result_key "$out" programmed_words)" -gt 0 ] &&
        cmp -s "$d/before.img" "$d/$name.img" && [ "$writes" = "$expect_writes" ]; then
        pass "$name: installed, stick unchanged ($writes WRITE(10) tried)"
    else
        fail "$name: installed, stick unchanged" "$(grep -E 'WRITE|^result' <<<"$out" | cut -c1-150)"
    fi
done

# --- a power cut during the WRITE(10): at most the log block in flight is damaged
FAT_MB=40 fat_stick "$d/cut.img" -F 32 -s 1
board "$d/cut.f"
cp "$d/cut.img" "$d/before.img"
t=$(run "$d/cut.f" "$d/before.img" --trace scsi | sed -n 's/^\[ *\([0-9.]*\) ms\] scsi: lun0 WRITE(10).*/\1/p')
cp "$d/cut.img" "$d/before.img"
bad=0 damaged=0
for dt in 0.05 0.2 0.4 0.55; do
    cp "$d/before.img" "$d/cut.img"
    board "$d/cut.f"
    at=$(awk -v a="$t" -v b="$dt" 'BEGIN { printf "%.3f", a + b }')
    out=$(run "$d/cut.f" "$d/cut.img" --cut-at-ms "$at")
    n=$(changed_blocks "$d/before.img" "$d/cut.img")
    after=$(run "$d/cut.f" "$d/cut.img")
    grep -q 'power lost during WRITE(10)' <<<"$out" && damaged=$((damaged + 1))
    if [ "$n" -gt 1 ] || ! fsck_clean "$d/cut.img" || [ "$(result_key "$after" state)" != app ]; then
        bad=$((bad + 1))
        echo "  cut at $at: $n blocks changed; $(grep -E 'power|stick:' <<<"$out" | head -3)"
    fi
done
check "power cut 0.05/0.2/0.4/0.55 ms after the WRITE(10) at $t ms ($damaged in its data phase): at most 1 block changed, fsck clean, next boot fine" \
    test "$bad" = 0 -a -n "$t" -a "$damaged" -ge 2

# --- fifty boards in a row, one stick
fat_stick "$d/fifty.img" -F 16 -s 4
for i in $(seq 1 50); do
    board "$d/b.f"
    run "$d/b.f" "$d/fifty.img" --uid "$(printf '%08X%08X%08X' 0x5B0A "$i" 0x1234)" --stop-after-app-ms 1 >/dev/null
done
got=$(lines "$d/fifty.img")
want=$(for i in $(seq 1 50); do printf '00005B0A %08X 00001234 board 0407D15C - -> 1.0.0 installed\n' "$i"; done)
check "fifty boards: fifty lines in order, one per UID, fsck clean" \
    test "$(sed 's/ [0-9]* ms$//' <<<"$got")" = "$want" -a "$(fsck_clean "$d/fifty.img" && echo ok)" = ok
