#!/usr/bin/env bash
# Builds the disk images the fs tests read, with the real tools (mkfs.fat, mkfs.exfat, sfdisk,
# mtools; tests/tools/mkexfat-file.py writes files into exFAT), as sparse files in
# build/fs-images/, plus manifest.txt: one line per check,
#   IMAGE BLOCK_SIZE EXPECTED_STATUS EXPECTED_CONTENT MCOPY_EXTRACTION
# (status numbers from firmware/core/status.h; "-" where there is no content to compare).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out=build/fs-images
# Several makes may run at once in one checkout: build in a private directory, one at a time.
mkdir -p build
exec 9>build/fs-images.lock
flock 9
tmp=$out.tmp.$$
rm -rf "$tmp"
mkdir -p "$tmp"
cd "$tmp"
export MTOOLS_SKIP_CHECK=1
exfat_put="python3 $root/tests/tools/mkexfat-file.py"
OK=0 NO_FS=5 NO_FILE=6 FS_CORRUPT=7

# Deterministic contents: the image (not a multiple of any block size), a decoy, fill files.
python3 - <<'EOF'
import random
r = random.Random(20261124)
open("image.bin", "wb").write(bytes(r.getrandbits(8) for _ in range(300001)))
open("decoy.bin", "wb").write(b"decoy, must never be read\n" * 200)
open("fill.bin", "wb").write(bytes(r.getrandbits(8) for _ in range(102400)))
EOF

manifest() { echo "$*" >>manifest.txt; }
# fat NAME MB MKFS_ARGS...: an unpartitioned FAT volume.
fat() {
    local name=$1 mb=$2
    shift 2
    truncate -s "${mb}M" "$name"
    mkfs.fat "$@" "$name" >/dev/null
}
# extract IMG[@@OFFSET] NAME: mcopy's view of IMAGE.BIN, to compare against.
extract() { mcopy -n -i "$1" ::IMAGE.BIN "$2.mcopy"; }
# place VOLUME DISK OFFSET_BYTES: copy a volume into a disk image, keeping holes.
place() { dd if="$1" of="$2" bs=64K oflag=seek_bytes seek="$3" conv=notrunc,sparse status=none; rm "$1"; }
# fill_and_punch IMG SMALL_BYTES: fill the volume (one big file, then small ones until it is
# full), then delete every other small file: free space is only small holes.
fill_and_punch() {
    local img=$1 small=$2 free i
    free=$(mdir -i "$img" :: | grep 'bytes free' | tr -d ' ' | sed 's/bytesfree//')
    truncate -s $((free - 100 * small)) big.tmp
    mcopy -i "$img" big.tmp ::BIG.DAT
    head -c "$small" fill.bin >small.tmp
    for ((i = 0; i < 110; i++)); do mcopy -i "$img" small.tmp "::F$i.DAT" 2>/dev/null || break; done
    for ((i = 0; i < 110; i += 2)); do mdel -i "$img" "::F$i.DAT" 2>/dev/null || true; done
    rm -f big.tmp small.tmp
}

# --- FAT, unpartitioned, several types and cluster sizes ---
for spec in "fat12-s1 2 -F 12 -s 1" "fat12-s8 12 -F 12 -s 8" "fat16-s4 32 -F 16 -s 4" \
    "fat16-s64 256 -F 16 -s 64" "fat32-s1 40 -F 32 -s 1" "fat32-s8 300 -F 32 -s 8" \
    "fat32-s64 2100 -F 32 -s 64"; do
    set -- $spec
    fat "$1.img" "$2" "${@:3}"
    mcopy -i "$1.img" decoy.bin ::README.TXT
    mcopy -i "$1.img" image.bin ::IMAGE.BIN
    extract "$1.img" "$1"
    manifest "$1.img 512 $OK image.bin $1.mcopy"
done

# FAT12 with 512-byte clusters again, read through 4096-byte and 1024-byte blocks: refused
# (the FS sector is smaller than a block).
manifest "fat12-s1.img 4096 $NO_FS - -"

# 4096-byte sectors: read with 4096-byte blocks (a 4Kn stick) and 512-byte blocks.
fat fat16-S4096.img 64 -F 16 -S 4096 -s 1
mcopy -i fat16-S4096.img image.bin ::IMAGE.BIN
extract fat16-S4096.img fat16-S4096
manifest "fat16-S4096.img 4096 $OK image.bin fat16-S4096.mcopy"
manifest "fat16-S4096.img 512 $OK image.bin fat16-S4096.mcopy"
fat fat32-S4096.img 300 -F 32 -S 4096 -s 1
mcopy -i fat32-S4096.img image.bin ::IMAGE.BIN
extract fat32-S4096.img fat32-S4096
manifest "fat32-S4096.img 4096 $OK image.bin fat32-S4096.mcopy"

# Fragmented IMAGE.BIN: fill, delete every other file, copy the image in.
fat fat16-frag.img 4 -F 16 -s 1
fill_and_punch fat16-frag.img 8192
mcopy -i fat16-frag.img image.bin ::IMAGE.BIN
extract fat16-frag.img fat16-frag
manifest "fat16-frag.img 512 $OK image.bin fat16-frag.mcopy"
fat fat32-frag.img 40 -F 32 -s 1
fill_and_punch fat32-frag.img 8192
mcopy -i fat32-frag.img image.bin ::IMAGE.BIN
extract fat32-frag.img fat32-frag
manifest "fat32-frag.img 512 $OK image.bin fat32-frag.mcopy"
fat fat12-frag.img 12 -F 12 -s 8
fill_and_punch fat12-frag.img 8192
mcopy -i fat12-frag.img image.bin ::IMAGE.BIN
extract fat12-frag.img fat12-frag
manifest "fat12-frag.img 512 $OK image.bin fat12-frag.mcopy"

# Lowercase name written by mtools.
fat fat16-lower.img 32 -F 16
mcopy -i fat16-lower.img image.bin ::image.bin
extract fat16-lower.img fat16-lower
manifest "fat16-lower.img 512 $OK image.bin fat16-lower.mcopy"

# Only in a subdirectory: not found. A directory named IMAGE.BIN: not a file.
for t in 16 32; do
    fat "fat$t-subdir.img" 40 -F "$t"
    mmd -i "fat$t-subdir.img" ::SUB
    mcopy -i "fat$t-subdir.img" image.bin ::SUB/IMAGE.BIN
    manifest "fat$t-subdir.img 512 $NO_FILE - -"
done
fat fat16-dir.img 32 -F 16
mmd -i fat16-dir.img ::IMAGE.BIN
mcopy -i fat16-dir.img image.bin ::IMAGE.BIN/IMAGE.BIN
manifest "fat16-dir.img 512 $NO_FILE - -"
fat fat16-none.img 32 -F 16
mcopy -i fat16-none.img decoy.bin ::README.TXT
manifest "fat16-none.img 512 $NO_FILE - -"

# A deleted IMAGE.BIN entry before the live one. mtools reuses a freed slot, so the live file is
# copied under another name and its 8.3 name is then set to IMAGE.BIN.
fat fat16-deleted.img 32 -F 16
mcopy -i fat16-deleted.img decoy.bin ::IMAGE.BIN
mcopy -i fat16-deleted.img image.bin ::LIVE.BIN
mdel -i fat16-deleted.img ::IMAGE.BIN
python3 - fat16-deleted.img <<'EOF'
import sys
with open(sys.argv[1], "r+b") as f:
    d = f.read(1 << 20)
    dead, live = d.find(b"\xe5MAGE   BIN"), d.find(b"LIVE    BIN")
    assert 0 < dead < live, (dead, live)
    f.seek(live)
    f.write(b"IMAGE   BIN")
EOF
extract fat16-deleted.img fat16-deleted
manifest "fat16-deleted.img 512 $OK image.bin fat16-deleted.mcopy"

# --- exFAT, unpartitioned ---
# exfat NAME MB CLUSTER [mkexfat-file args]
exfat() {
    local name=$1 mb=$2 cluster=$3
    shift 3
    truncate -s "${mb}M" "$name"
    mkfs.exfat -c "$cluster" "$name" >/dev/null
    $exfat_put "$name" decoy.bin --name README.TXT
    $exfat_put "$name" image.bin "$@"
}
exfat exfat-c512.img 64 512 --layout chain
manifest "exfat-c512.img 512 $OK image.bin -"
exfat exfat-c4k.img 64 4K
manifest "exfat-c4k.img 512 $OK image.bin -"
manifest "exfat-c4k.img 4096 $NO_FS - -"
exfat exfat-c128k.img 256 128K --layout chain
manifest "exfat-c128k.img 512 $OK image.bin -"
exfat exfat-frag.img 64 512 --layout fragmented
manifest "exfat-frag.img 512 $OK image.bin -"
exfat exfat-frag4k.img 64 4K --layout fragmented
manifest "exfat-frag4k.img 512 $OK image.bin -"
exfat exfat-lower.img 64 4K --name image.bin
manifest "exfat-lower.img 512 $OK image.bin -"
exfat exfat-deleted.img 64 4K --deleted-first --layout chain
manifest "exfat-deleted.img 512 $OK image.bin -"
exfat exfat-subdir.img 64 4K --subdir SUB
manifest "exfat-subdir.img 512 $NO_FILE - -"
exfat exfat-dir.img 64 4K --as-directory
manifest "exfat-dir.img 512 $NO_FILE - -"
exfat exfat-vdl.img 64 4K --layout chain --valid-length 4096
manifest "exfat-vdl.img 512 $FS_CORRUPT - -"

# --- MBR layouts (512-byte sectors) ---
mbr() { # NAME MB SFDISK_SCRIPT
    truncate -s "$2M" "$1"
    printf '%b' "$3" | sfdisk -q "$1" >/dev/null
}
# FAT32 as partition 1.
mbr mbr-fat32-p1.img 64 'label: dos\nstart=2048, size=81920, type=c\n'
fat vol 40 -F 32 -h 2048
mcopy -i vol image.bin ::IMAGE.BIN
place vol mbr-fat32-p1.img $((2048 * 512))
extract mbr-fat32-p1.img@@1M mbr-fat32-p1
manifest "mbr-fat32-p1.img 512 $OK image.bin mbr-fat32-p1.mcopy"
# Behind a Linux partition: FAT16 (type 06) and exFAT (type 07) as partition 2.
mbr mbr-linux-fat16.img 64 'label: dos\nstart=2048, size=20480, type=83\nstart=22528, size=65536, type=6\n'
fat vol 32 -F 16 -h 22528
mcopy -i vol image.bin ::IMAGE.BIN
place vol mbr-linux-fat16.img $((22528 * 512))
extract mbr-linux-fat16.img@@$((22528 * 512)) mbr-linux-fat16
manifest "mbr-linux-fat16.img 512 $OK image.bin mbr-linux-fat16.mcopy"
mbr mbr-linux-exfat.img 96 'label: dos\nstart=2048, size=20480, type=83\nstart=22528, size=131072, type=7\n'
truncate -s 64M vol
mkfs.exfat vol >/dev/null
$exfat_put vol image.bin --layout chain
fsck.exfat -n vol >/dev/null
place vol mbr-linux-exfat.img $((22528 * 512))
manifest "mbr-linux-exfat.img 512 $OK image.bin -"
# Two FAT partitions, the file only in the second: the search goes on.
mbr mbr-two-fat.img 96 'label: dos\nstart=2048, size=32768, type=e\nstart=34816, size=81920, type=c\n'
fat vol 16 -F 16 -h 2048
mcopy -i vol decoy.bin ::README.TXT
place vol mbr-two-fat.img $((2048 * 512))
fat vol 40 -F 32 -h 34816
mcopy -i vol image.bin ::IMAGE.BIN
place vol mbr-two-fat.img $((34816 * 512))
manifest "mbr-two-fat.img 512 $OK image.bin -"
# Only a Linux partition: no file system to read.
mbr mbr-linux-only.img 16 'label: dos\nstart=2048, type=83\n'
manifest "mbr-linux-only.img 512 $NO_FS - -"

# --- GPT layouts: an EFI system partition first (holding a decoy IMAGE.BIN that must not be
# used: only Microsoft basic data partitions are searched), then basic data ---
ESP=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
BASIC=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7
LINUX=0FC63DAF-8483-4772-8E79-3D69D8477DE4
gpt() { # NAME MB TYPE2 SIZE2
    truncate -s "$2M" "$1"
    printf 'label: gpt\nstart=2048, size=65536, type=%s\nstart=67584, size=%s, type=%s\n' \
        "$ESP" "$4" "$3" | sfdisk -q "$1" >/dev/null
    fat vol 32 -F 16 -h 2048
    mmd -i vol ::EFI
    mcopy -i vol decoy.bin ::IMAGE.BIN
    place vol "$1" $((2048 * 512))
}
gpt gpt-esp-fat32.img 96 $BASIC 81920
fat vol 40 -F 32 -h 67584
mcopy -i vol image.bin ::IMAGE.BIN
place vol gpt-esp-fat32.img $((67584 * 512))
extract gpt-esp-fat32.img@@$((67584 * 512)) gpt-esp-fat32
manifest "gpt-esp-fat32.img 512 $OK image.bin gpt-esp-fat32.mcopy"
gpt gpt-esp-exfat.img 128 $BASIC 131072
truncate -s 64M vol
mkfs.exfat -c 32K vol >/dev/null
$exfat_put vol image.bin --layout fragmented
fsck.exfat -n vol >/dev/null
place vol gpt-esp-exfat.img $((67584 * 512))
manifest "gpt-esp-exfat.img 512 $OK image.bin -"
# The file only on the ESP, a Linux partition second: nothing usable.
gpt gpt-esp-linux.img 96 $LINUX 20480
manifest "gpt-esp-linux.img 512 $NO_FS - -"

# --- 4096-byte blocks: MBR and GPT in 4096-byte LBAs (sfdisk works in 512-byte sectors on
# files, so these tables are written here) around FAT volumes with 4096-byte sectors ---
python3 - <<'EOF'
import struct, uuid, zlib
def mbr(path, size, parts):
    with open(path, "r+b") as f:
        sec = bytearray(512)
        for i, (ptype, start, count) in enumerate(parts):
            struct.pack_into("<B3xB3xII", sec, 446 + 16 * i, 0, ptype, start, count)
        sec[510:512] = b"\x55\xaa"
        f.write(sec)
def gpt(path, bs, blocks, parts):
    entries = bytearray(128 * 128)
    for i, (tguid, first, last) in enumerate(parts):
        struct.pack_into("<16s16sQQ", entries, 128 * i, uuid.UUID(tguid).bytes_le,
                         uuid.uuid4().bytes_le, first, last)
    hdr = bytearray(92)
    struct.pack_into("<8sIIIIQQQQ16sQIII", hdr, 0, b"EFI PART", 0x10000, 92, 0, 0, 1, blocks - 1,
                     6, blocks - 6, uuid.uuid4().bytes_le, 2, 128, 128, zlib.crc32(entries))
    struct.pack_into("<I", hdr, 16, zlib.crc32(hdr))
    mbr(path, 0, [(0xEE, 1, blocks - 1)])
    with open(path, "r+b") as f:
        f.seek(bs)
        f.write(hdr)
        f.seek(2 * bs)
        f.write(entries)
blocks = (320 << 20) // 4096
open("mbr4k.img", "wb").truncate(320 << 20)
mbr("mbr4k.img", 0, [(0x83, 256, 2560), (0x0C, 2816, blocks - 2816)])
open("gpt4k.img", "wb").truncate(320 << 20)
gpt("gpt4k.img", 4096, blocks, [("C12A7328-F81F-11D2-BA4B-00A0C93EC93B", 256, 8447),
                                ("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", 8448, blocks - 7)])
EOF
fat vol 300 -F 32 -S 4096 -s 1 -h 2816
mcopy -i vol image.bin ::IMAGE.BIN
place vol mbr4k.img $((2816 * 4096))
manifest "mbr4k.img 4096 $OK image.bin -"
fat vol 32 -F 16 -S 4096 -s 1 -h 256
mcopy -i vol decoy.bin ::IMAGE.BIN
place vol gpt4k.img $((256 * 4096))
fat vol 280 -F 32 -S 4096 -s 1 -h 8448
mcopy -i vol image.bin ::IMAGE.BIN
place vol gpt4k.img $((8448 * 4096))
manifest "gpt4k.img 4096 $OK image.bin -"

# A blank medium.
truncate -s 8M blank.img
manifest "blank.img 512 $NO_FS - -"

# Every exFAT image must pass fsck.exfat; every FAT volume fsck.fat (unpartitioned ones).
for img in exfat-*.img; do fsck.exfat -n "$img" >/dev/null || { echo "fsck.exfat rejects $img" >&2; exit 1; }; done
for img in fat*.img; do fsck.fat -n "$img" >/dev/null || { echo "fsck.fat rejects $img" >&2; exit 1; }; done

# Fuzz seeds (tests/fuzz/fuzz_fs.c input format): each image as a sparse disk of its first
# 200 non-zero 512-byte sectors.
mkdir seeds
python3 - <<'EOF'
import os, struct
seen = set()
for line in open("manifest.txt"):
    img, bs = line.split()[:2]
    if (img, bs) in seen:
        continue
    seen.add((img, bs))
    size = os.path.getsize(img)
    out = bytearray(struct.pack("<BBBI", int(bs).bit_length() - 10, 64, 3, size // 512))
    records, pos, fd = 0, 0, os.open(img, os.O_RDONLY)
    while records < 200:
        try:
            pos = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError:
            break
        end = os.lseek(fd, pos, os.SEEK_HOLE)
        while pos < end and records < 200:
            sector = os.pread(fd, 512, pos)
            if sector.strip(b"\0"):
                out += struct.pack("<I", pos // 512) + sector.ljust(512, b"\0")
                records += 1
            pos += 512
    os.close(fd)
    open(f"seeds/{img}-{bs}", "wb").write(out)
EOF

cd "$root"
rm -rf "$out"
mv "$tmp" "$out"
