# Helpers for emulator scenarios (tests/suites/*emu*.sh). Source after tests/lib.sh.
EMU=build/stickemu
STICKIMG=build/stickimg
SCEN_DIR=${SCEN_DIR:-build/scenarios/$(basename "$0" .sh)}
mkdir -p "$SCEN_DIR"

# make_fat_stick IMG SIZE_MB FATBITS FILE [NAME]: a stick image (no partition table) holding
# FILE as NAME (default IMAGE.BIN). FILE may be empty ("") for a stick without the file.
make_fat_stick() {
    local img=$1 size_mb=$2 fat=$3 file=$4 name=${5:-IMAGE.BIN}
    rm -f "$img"
    truncate -s "${size_mb}M" "$img"
    mkfs.fat -F "$fat" "$img" >/dev/null
    if [ -n "$file" ]; then
        MTOOLS_SKIP_CHECK=1 mcopy -i "$img" "$file" "::$name"
    fi
}

# replace_on_stick IMG FILE NEW OUT: IMG with FILE's bytes (where the file system stored them,
# contiguously) overwritten by NEW's, as OUT: another file of the same size behind the same
# directory entry, for sticks whose data changes between the passes.
replace_on_stick() {
    python3 - "$@" <<'PY'
import sys
img, a, b, out = sys.argv[1:]
disk = open(img, "rb").read()
a, b = open(a, "rb").read(), open(b, "rb").read()
at = disk.index(a)
open(out, "wb").write(disk[:at] + b + disk[at + len(b):])
PY
}

# fresh_flash FLASH [BOOTLOADER_BIN]: erased flash holding only the bootloader.
fresh_flash() {
    rm -f "$1"
    "$EMU" --flash "$1" --load 0x08000000 "${2:-build/stickboot.bin}" --run-ms 0 >/dev/null 2>&1
}

# result_key OUTPUT KEY: the value of KEY on the result line.
result_key() {
    grep '^result:' <<<"$1" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}
