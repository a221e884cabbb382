#!/usr/bin/env bash
# Hostile and odd sticks against the board's own file (BOARD_FILES, docs/board-files.md): a
# directory, a deleted entry and long-name-only entries named 0407D15C.BIN are passed over to
# IMAGE.BIN; a lower-case name is the same 8.3 name; a zero-length or oversize own file is
# refused (no fallback, nothing erased); exFAT; a card reader with the own file behind LUN 1
# and IMAGE.BIN on LUN 0; the SESSION_READS bound with two searches of a long root directory.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
make -s --no-print-directory firmware app build/stickimg build/stickemu >/dev/null 2>&1
DISC_NAME=0407D15C.BIN
exfat_put="python3 tests/tools/mkexfat-file.py"
M() { MTOOLS_SKIP_CHECK=1 "$@"; }

error_code() { # OUTPUT: red blinks in the first error burst (the error number), 0 if none
    sed -n 's/^\[ *\([0-9.]*\) ms\] LED red on$/\1/p' <<<"$1" |
        awk '{ if (n && $1 - last > 600) exit; n++; last = $1 } END { print n + 0 }'
}
disc() { # STICK [ARGS]: a fresh Discovery, one power-up; its output
    fresh_flash "$d/disc.flash"
    "$EMU" --flash "$d/disc.flash" --stick "$1" --stop-after-app-ms 20 --run-ms 6000 "${@:2}" 2>&1
}
installed() { # FLASH IMAGE: the packed image is in flash at the application base
    cmp -s -n "$(stat -c %s "$2")" "$2" <(tail -c +$((0x4000 + 1)) "$1")
}
took() { # OUTPUT IMAGE: the app runs, no error shown, and IMAGE is what was installed
    test "$(result_key "$1" state)" = app && test "$(error_code "$1")" = 0 &&
        installed "$d/disc.flash" "$2"
}
refused() { # OUTPUT CODE: error CODE shown, nothing erased
    test "$(error_code "$1")-$(result_key "$1" erases)" = "$2-0"
}

build/stickimg pack build/blink.bin -o "$d/own.bin" --version 2.0.0 -q
build/stickimg pack build/blink.bin -o "$d/img.bin" --version 1.5.0 -q
fat() { make_fat_stick "$1" 64 32 ""; }

# --- a directory named 0407D15C.BIN (holding a valid image): not a file, IMAGE.BIN is taken
fat "$d/dir.img"
M mmd -i "$d/dir.img" "::$DISC_NAME"
M mcopy -i "$d/dir.img" "$d/own.bin" "::$DISC_NAME/$DISC_NAME"
M mcopy -i "$d/dir.img" "$d/img.bin" ::IMAGE.BIN
out=$(disc "$d/dir.img")
check "FAT: a directory named $DISC_NAME is passed over, IMAGE.BIN installed" took "$out" "$d/img.bin"

# --- a deleted 0407D15C.BIN entry (its data still there) before IMAGE.BIN
fat "$d/del.img"
M mcopy -i "$d/del.img" "$d/own.bin" "::$DISC_NAME"
M mdel -i "$d/del.img" "::$DISC_NAME"
M mcopy -i "$d/del.img" "$d/img.bin" ::IMAGE.BIN
out=$(disc "$d/del.img")
check "FAT: a deleted $DISC_NAME entry is passed over, IMAGE.BIN installed" took "$out" "$d/img.bin"

# --- lower-case name: mtools stores the 8.3 name upper-case (NT case flags): the same file
fat "$d/lower.img"
M mcopy -i "$d/lower.img" "$d/img.bin" ::IMAGE.BIN
M mcopy -i "$d/lower.img" "$d/own.bin" ::0407d15c.bin
out=$(disc "$d/lower.img")
check "FAT: 0407d15c.bin (lower case) is this board's file" took "$out" "$d/own.bin"

# --- long names that only contain the board file's name: their 8.3 names differ
fat "$d/lfn.img"
M mcopy -i "$d/lfn.img" "$d/own.bin" "::$DISC_NAME.old"
M mcopy -i "$d/lfn.img" "$d/own.bin" "::old $DISC_NAME"
M mcopy -i "$d/lfn.img" "$d/img.bin" ::IMAGE.BIN
out=$(disc "$d/lfn.img")
check "FAT: long names '$DISC_NAME.old', 'old $DISC_NAME' do not match, IMAGE.BIN installed" \
    took "$out" "$d/img.bin"

# --- two entries with the 8.3 name 0407D15C.BIN: a directory first, then the file
fat "$d/twice.img"
M mmd -i "$d/twice.img" ::X
M mcopy -i "$d/twice.img" "$d/own.bin" "::$DISC_NAME"
M mcopy -i "$d/twice.img" "$d/img.bin" ::IMAGE.BIN
# rename directory X to 0407D15C.BIN in the root directory (made before the file: first)
renamed=$(python3 - "$d/twice.img" <<'PY'
import sys
f = open(sys.argv[1], "r+b"); b = bytearray(f.read(4 << 20))
i = b.find(b"X          \x10")
if i > 0 and i % 32 == 0 and b.find(b"0407D15CBIN ") > i:
    b[i:i + 11] = b"0407D15CBIN"
    f.seek(0); f.write(b); print("ok")
PY
)
out=$(disc "$d/twice.img")
check "  (the stick holds a directory entry 0407D15CBIN before the file's)" test "$renamed" = ok
check "FAT: a directory and then a file both named $DISC_NAME: the file is taken" \
    took "$out" "$d/own.bin"

# --- zero-length own file: refused as an image (error 9), IMAGE.BIN not used, nothing erased
fat "$d/empty.img"
: >"$d/empty.bin"
M mcopy -i "$d/empty.img" "$d/empty.bin" "::$DISC_NAME"
M mcopy -i "$d/empty.img" "$d/img.bin" ::IMAGE.BIN
out=$(disc "$d/empty.img")
check "FAT: a zero-length $DISC_NAME is refused (error 9), no fallback, nothing erased" \
    refused "$out" 9

# --- own file larger than the application region: error 8, no fallback, nothing erased
fat "$d/big.img"
head -c $((1024 * 1024)) /dev/zero >"$d/big.bin"
M mcopy -i "$d/big.img" "$d/big.bin" "::$DISC_NAME"
M mcopy -i "$d/big.img" "$d/img.bin" ::IMAGE.BIN
out=$(disc "$d/big.img")
check "FAT: a 1 MB $DISC_NAME is refused (error 8), no fallback, nothing erased" \
    refused "$out" 8

# --- exFAT (mkfs.exfat, files written by tests/tools/mkexfat-file.py)
xf() { # IMG: an empty 64 MB exFAT stick
    rm -f "$1"
    truncate -s 64M "$1"
    mkfs.exfat "$1" >/dev/null
}
xf "$d/xdir.img"
$exfat_put "$d/xdir.img" "$d/own.bin" --name "$DISC_NAME" --as-directory
$exfat_put "$d/xdir.img" "$d/img.bin"
out=$(disc "$d/xdir.img")
check "exFAT: a directory named $DISC_NAME is passed over, IMAGE.BIN installed" took "$out" "$d/img.bin"
xf "$d/xdel.img"
$exfat_put "$d/xdel.img" "$d/img.bin"
$exfat_put "$d/xdel.img" "$d/own.bin" --name "$DISC_NAME" --deleted-first --layout fragmented
out=$(disc "$d/xdel.img")
check "exFAT: a deleted $DISC_NAME entry set, then the file (fragmented): the file is taken" \
    took "$out" "$d/own.bin"
xf "$d/xlow.img"
$exfat_put "$d/xlow.img" "$d/img.bin"
$exfat_put "$d/xlow.img" "$d/own.bin" --name 0407d15c.bin
out=$(disc "$d/xlow.img")
check "exFAT: 0407d15c.bin (lower case) is this board's file" took "$out" "$d/own.bin"
xf "$d/xlong.img"
$exfat_put "$d/xlong.img" "$d/own.bin" --name "$DISC_NAME.old"
$exfat_put "$d/xlong.img" "$d/own.bin" --name "0407D15C.BI"
$exfat_put "$d/xlong.img" "$d/img.bin"
out=$(disc "$d/xlong.img")
check "exFAT: '$DISC_NAME.old' and '0407D15C.BI' do not match, IMAGE.BIN installed" \
    took "$out" "$d/img.bin"
xf "$d/xempty.img"
$exfat_put "$d/xempty.img" "$d/empty.bin" --name "$DISC_NAME"
$exfat_put "$d/xempty.img" "$d/img.bin"
out=$(disc "$d/xempty.img")
check "exFAT: a zero-length $DISC_NAME is refused (error 9), nothing erased" refused "$out" 9

# --- a card reader: IMAGE.BIN on LUN 0, this board's file on LUN 1. docs/board-files.md: the
# first LUN holding either file wins, so LUN 0's IMAGE.BIN is installed
fat "$d/lun0.img"
M mcopy -i "$d/lun0.img" "$d/img.bin" ::IMAGE.BIN
fat "$d/lun1.img"
M mcopy -i "$d/lun1.img" "$d/own.bin" "::$DISC_NAME"
printf '%s\n' luns=2 "lun.1.image=$d/lun1.img" >"$d/reader.prof"
out=$(disc "$d/lun0.img" --profile "$d/reader.prof")
check "card reader: IMAGE.BIN on LUN 0 wins over $DISC_NAME on LUN 1 (as documented)" \
    took "$out" "$d/img.bin"
printf '%s\n' luns=2 "lun.1.image=$d/lun0.img" >"$d/reader2.prof"
out=$(disc "$d/lun1.img" --profile "$d/reader2.prof")
check "card reader: $DISC_NAME on LUN 0 wins over IMAGE.BIN on LUN 1" took "$out" "$d/own.bin"

# --- SESSION_READS with two searches: a FAT32 root directory of 600 clusters of one block,
# every other cluster (one READ(10) each), 9,600 entries, IMAGE.BIN the last. One search fits
# the session's 1024 READ(10)s (BOARD_FILES=0 installs it); the board file's search and then
# IMAGE.BIN's share the bound and do not: the session is cut (error 7), nothing erased, no
# more than SESSION_READS READ(10)s. This is the cost of BOARD_FILES on such a stick.
make -s --no-print-directory firmware BOARD_FILES=0 >/dev/null 2>&1
rm -f "$d/bigroot.img"
truncate -s 64M "$d/bigroot.img"
mkfs.fat -F 32 -s 1 "$d/bigroot.img" >/dev/null
python3 - "$d/bigroot.img" "$d/img.bin" 600 <<'PY'
import struct, sys
img, app, nclusters = sys.argv[1], sys.argv[2], int(sys.argv[3])
f = open(img, "r+b")
b = f.read(512)
bps, spc, res, nfats = struct.unpack_from("<HBHB", b, 11)
spf, root = struct.unpack_from("<I", b, 36)[0], struct.unpack_from("<I", b, 44)[0]
assert bps == 512 and spc == 1 and root == 2
fat, data0 = {}, res + nfats * spf
def pos(c): return (data0 + c - 2) * 512
chain = [2 + 2 * i for i in range(nclusters)]
for i, c in enumerate(chain):
    fat[c] = chain[i + 1] if i + 1 < len(chain) else 0x0FFFFFFF
    ents = bytearray(b"\xE5ELETED BIN\x20" + bytes(20)) * 16
    if i + 1 == len(chain):
        d = open(app, "rb").read()
        first, n = chain[-1] + 2, -(-len(d) // 512)
        for k in range(n):
            fat[first + k] = first + k + 1 if k + 1 < n else 0x0FFFFFFF
        f.seek(pos(first)); f.write(d)
        e = bytearray(32); e[0:11] = b"IMAGE   BIN"; e[11] = 0x20
        struct.pack_into("<H", e, 20, first >> 16)
        struct.pack_into("<HI", e, 26, first & 0xFFFF, len(d))
        ents[15 * 32:] = e
    f.seek(pos(c)); f.write(ents)
for k in range(nfats):
    for c, v in fat.items():
        f.seek((res + k * spf) * 512 + 4 * c); f.write(struct.pack("<I", v))
fsinfo = struct.unpack_from("<H", b, 48)[0]
f.seek(fsinfo * 512 + 488); f.write(struct.pack("<II", 0xFFFFFFFF, 0xFFFFFFFF))  # not known
PY
check "the long root directory is a valid FAT32 volume (fsck.fat)" sh -c "fsck.fat -n $d/bigroot.img >/dev/null"
fresh_flash "$d/nobf.flash" build/f4discovery-noboardfiles/stickboot.bin
out=$("$EMU" --flash "$d/nobf.flash" --stick "$d/bigroot.img" --stop-after-app-ms 20 --run-ms 3000 2>&1)
check "BOARD_FILES=0: IMAGE.BIN after 9,600 entries in 600 fragments is found and runs" \
    test "$(result_key "$out" state)" = app
out=$(disc "$d/bigroot.img" --run-ms 4000 --trace scsi)
reads=$(sed -n '1,/LED red on/p' <<<"$out" | grep -c 'READ(10)')
check "BOARD_FILES=1: two searches hit SESSION_READS: error 7, nothing erased, $reads READ(10)s <= 1024" \
    sh -c "test '$(error_code "$out")-$(result_key "$out" erases)' = 7-0 && test $reads -le 1024"

# --- MBR with two FAT16 partitions: IMAGE.BIN on the first, this board's file on the second.
# docs/board-files.md: the own file is looked for on every volume first, so it wins.
rm -f "$d/mbr.img"
truncate -s 64M "$d/mbr.img"
printf 'start=2048, size=61440, type=e\nstart=63488, size=67584, type=e\n' |
    sfdisk -q "$d/mbr.img" >/dev/null 2>&1
for part in 2048:61440:img.bin:IMAGE.BIN 63488:67584:own.bin:$DISC_NAME; do
    IFS=: read -r start size file name <<<"$part"
    mkfs.fat -F 16 --offset "$start" "$d/mbr.img" $((size / 2)) >/dev/null 2>&1
    M mcopy -i "$d/mbr.img@@$((start * 512))" "$d/$file" "::$name" || fail "mcopy $name"
done
out=$(disc "$d/mbr.img")
check "MBR: $DISC_NAME on partition 2 wins over IMAGE.BIN on partition 1" took "$out" "$d/own.bin"
M mdel -i "$d/mbr.img@@$((63488 * 512))" "::$DISC_NAME"
out=$(disc "$d/mbr.img")
check "  ... and with it deleted, IMAGE.BIN on partition 1 is installed" took "$out" "$d/img.bin"

# --- a file whose long name is 0407D15C.BIN over another 8.3 name (0407D1~1.BIN): a PC shows
# it as this board's file, the bootloader matches 8.3 names only (docs/board-files.md) and
# installs IMAGE.BIN. Made as 0407D15C.BINX, then the 13th long-name character ended.
fat "$d/lfnonly.img"
M mcopy -i "$d/lfnonly.img" "$d/own.bin" ::0407D15C.BINX
M mcopy -i "$d/lfnonly.img" "$d/img.bin" ::IMAGE.BIN
python3 - "$d/lfnonly.img" <<'PY'
import sys
f = open(sys.argv[1], "r+b"); b = bytearray(f.read(8 << 20))
i = b.find(b"0407D1~1BIN") - 32  # its one long-name entry (13 characters)
assert i > 0 and b[i] == 0x41 and b[i + 11] == 0x0F and b[i + 30:i + 32] == b"X\0"
b[i + 30:i + 32] = b"\0\0"
f.seek(0); f.write(b)
PY
check "  (a PC lists it as $DISC_NAME)" sh -c "MTOOLS_SKIP_CHECK=1 mdir -i '$d/lfnonly.img' | grep -q ' $DISC_NAME\$'"
out=$(disc "$d/lfnonly.img")
check "FAT: long name $DISC_NAME over the 8.3 name 0407D1~1.BIN is not taken, IMAGE.BIN installed" \
    took "$out" "$d/img.bin"
