#!/usr/bin/env bash
# Modeled USB read throughput of the real bootloader (build/stickboot.bin) in stickemu.
#
# A 64 MB FAT32 stick holds a packed 512 KB image (the blink app padded with pseudo-random
# data). The default bootloader runs on erased flash and installs it: pass 1 streams the whole
# file (READ(10)s back to back, CRC on the fly), pass 2 reads it again while programming. The
# run is cut at the first flash operation (--cut-after-flash-ops 0); pass 1 ends where, after
# the first multi-sector READ(10), a READ(10) asks for an LBA already read (pass 2 starts over;
# the reader caches FAT sectors, so pass 1 reads each LBA once; the lookup before the data may
# read a directory twice). Nothing
# but the reader runs between pass-1 commands. Then
#   throughput = READ(10) data bytes / (last READ(10) completion - first READ(10) start)
# where a READ(10) starts with its CBW (the `scsi:` trace line, logged when the CBW's OUT
# transaction begins) and completes when its 13-byte CSW has arrived (the next
# `BULK IN ... done, 13 bytes` usb trace line). The window therefore includes CBW/CSW round
# trips, the FAT sector reads and the firmware's work between commands.
# Ceiling: 19 x 64-byte packets per 1 ms frame = 1216 kB/s (kB = 1000 bytes).
#
# Usage: scripts/usb-throughput.sh [--no-build] (STICKEMU=..., STICKBOOT=... pick other
# binaries; EMU_ARGS=--cycle-model=m4 passes options to stickemu; LATENCIES="0 250 500" also
# prints one "curve latency_us=L kBps=N bytes=B cmds=C" line per device latency). Deterministic output; the
# last line is
#   throughput zero_latency_kBps=N latency1000_kBps=N ceiling_kBps=1216 zero_latency_pct=P latency1000_pct=P
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--no-build" ]; then
    make -s --no-print-directory build/stickboot.bin build/blink.bin build/stickimg build/stickemu \
        >/dev/null
fi

out=build/usb-throughput
mkdir -p "$out"
emu=${STICKEMU:-build/stickemu}
bl=${STICKBOOT:-build/stickboot.bin}
ceiling=1216

# The image: blink + pseudo-random bytes (fixed seed) up to 512 KB, packed.
python3 -c "
import random, sys
app = open('build/blink.bin', 'rb').read()
r = random.Random(512)
sys.stdout.buffer.write(app + bytes(r.getrandbits(8) for _ in range(512 * 1024 - len(app))))
" >"$out/app.raw"
build/stickimg pack "$out/app.raw" -o "$out/IMAGE.BIN" --version 1.0.0 -q
rm -f "$out/stick.img"
truncate -s 64M "$out/stick.img"
mkfs.fat -F 32 "$out/stick.img" >/dev/null
MTOOLS_SKIP_CHECK=1 mcopy -i "$out/stick.img" "$out/IMAGE.BIN" ::IMAGE.BIN

printf '# a well-behaved stick, no device latency\n' >"$out/zero.prof"
printf '# bulk IN NAKs for 1 ms after each READ(10) CBW\nread_latency_us=1000\n' \
    >"$out/latency1000.prof"

# measure NAME PROFILE: prints "bytes window_ns kBps" for pass 1 of the install.
measure() {
    local name=$1 profile=$2 log="$out/$1.log"
    rm -f "$out/flash-$name.bin"
    "$emu" --flash "$out/flash-$name.bin" --load 0x08000000 "$bl" --run-ms 0 \
        >/dev/null
    # shellcheck disable=SC2086 # EMU_ARGS: options, word-split on purpose
    "$emu" --flash "$out/flash-$name.bin" --stick "$out/stick.img" --profile "$profile" \
        --trace usb,scsi --cut-after-flash-ops 0 --run-ms 30000 ${EMU_ARGS:-} >"$log"
    local result
    result=$(grep '^result:' "$log")
    if ! grep -q 'state=cut' <<<"$result"; then
        echo "usb-throughput: $name: pass 1 did not reach the first flash operation" >&2
        echo "$result" >&2
        exit 1
    fi
    local read10_bytes
    read10_bytes=$(tr ' ' '\n' <<<"$result" | sed -n 's/^read10_bytes=//p')
    # Times are "[  123.456 ms]": microsecond resolution.
    awk -v total="$read10_bytes" -v file="$(stat -c %s "$out/IMAGE.BIN")" -v name="$name" '
        function t_us(line,   s) { s = line; sub(/^\[ */, "", s); sub(/ ms\].*/, "", s);
                                 split(s, p, "."); return p[1] * 1000 + p[2] }
        / scsi: lun[0-9]+ READ\(10\) / {
            lba = $0; sub(/.* lba=/, "", lba); sub(/ .*/, "", lba)
            # pass 2 starts over: the same LBAs again, once the file data has begun (the
            # mount and the file lookup may read the same sectors twice before that: the board
            # id file name is looked for before IMAGE.BIN)
            if ((lba in seen) && data) exit
            if ($0 ~ / blocks=/ && $0 !~ / blocks=1 /) data = 1
            seen[lba] = 1
            if (first == "") first = t_us($0)
            pending = 1
            for (i = 1; i <= NF; i++) if ($i ~ /^len=/) { sub(/^len=/, "", $i); bytes += $i }
            cmds++
            next
        }
        / usb: ch[0-9]+ BULK IN .*: done, 13 bytes in 1 packets/ {
            if (pending) { last = t_us($0); pending = 0; done++ }
        }
        END {
            if (cmds == 0 || done != cmds || bytes > total || bytes < file) {
                printf "usb-throughput: %s: %d READ(10)s, %d CSWs, %d bytes asked, %d delivered, file %d\n",
                    name, cmds, done, bytes, total, file > "/dev/stderr"
                exit 1
            }
            window = last - first
            printf "%d %d %d %.1f\n", bytes, cmds, window, bytes * 1000.0 / window
        }' "$log"
}

read -r z_bytes z_cmds z_us z_kbps < <(measure zero_latency "$out/zero.prof")
read -r l_bytes l_cmds l_us l_kbps < <(measure latency1000 "$out/latency1000.prof")

for lat in ${LATENCIES:-}; do
    printf 'read_latency_us=%d\n' "$lat" >"$out/curve$lat.prof"
    read -r c_bytes c_cmds c_us c_kbps < <(measure "curve$lat" "$out/curve$lat.prof")
    printf 'curve latency_us=%d kBps=%.1f bytes=%d cmds=%d\n' "$lat" "$c_kbps" "$c_bytes" "$c_cmds"
done

pct() { awk -v v="$1" -v c="$ceiling" 'BEGIN { printf "%.1f", v * 100 / c }'; }
echo "Modeled USB read throughput (stickemu, pass 1 of a 512 KB install, bootloader $(stat -c %s "$bl") bytes)"
printf '%-24s %9s %6s %10s %8s %7s\n' profile bytes READ10s window_ms kB/s ceiling
printf '%-24s %9d %6d %10.3f %8.1f %6s%%\n' "zero latency" "$z_bytes" "$z_cmds" \
    "$(awk -v u="$z_us" 'BEGIN { print u / 1000 }')" "$z_kbps" "$(pct "$z_kbps")"
printf '%-24s %9d %6d %10.3f %8.1f %6s%%\n' "read_latency_us=1000" "$l_bytes" "$l_cmds" \
    "$(awk -v u="$l_us" 'BEGIN { print u / 1000 }')" "$l_kbps" "$(pct "$l_kbps")"
echo "ceiling: 19 x 64 B per 1 ms frame = ${ceiling} kB/s"
printf 'throughput zero_latency_kBps=%.0f latency1000_kBps=%.0f ceiling_kBps=%d zero_latency_pct=%s latency1000_pct=%s\n' \
    "$z_kbps" "$l_kbps" "$ceiling" "$(pct "$z_kbps")" "$(pct "$l_kbps")"
