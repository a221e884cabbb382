#!/usr/bin/env bash
# The board's life in stickemu (issue 15): every kind of reset must give the bootloader a
# full window, so "plug the stick and reset" and the app's update request work at any uptime.
# Each case: v1 installed, the stick holds v2; the outcome is the installed version.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
make -s --no-print-directory firmware app app-tests build/stickimg build/stickemu >/dev/null 2>&1

pack() { build/stickimg pack "$1" -o "$2" --version "$3" -q; }
pack build/blink.bin "$d/v1.bin" 1.0.0
pack build/blink.bin "$d/v2.bin" 2.0.0
make_fat_stick "$d/v2.img" 64 32 "$d/v2.bin"
version_in_flash() { # FLASH -> installed app_version, via stickimg info on a dump
    local len
    len=$(od -An -tu4 -j $((0x4000 + 28)) -N4 "$1" | tr -d ' ')
    dd if="$1" of="$d/dump.bin" bs=1 skip=$((0x4000)) count=$((len + 36)) status=none
    build/stickimg info "$d/dump.bin" --json 2>/dev/null | sed -n 's/.*"version": *"\([^"]*\)".*/\1/p'
}
# install APP_BIN: a fresh flash with the bootloader and APP_BIN packed as version 1.0.0.
install() {
    pack "$1" "$d/app.bin" 1.0.0
    fresh_flash "$d/f.bin"
    "$EMU" --flash "$d/f.bin" --load 0x08004000 "$d/app.bin" --run-ms 0 >/dev/null 2>&1
}
# expect NAME WANT_VERSION EMU_ARGS...: runs with the v2 stick, checks the result.
expect() {
    local name=$1 want=$2
    shift 2
    local out
    out=$("$EMU" --flash "$d/f.bin" --stick "$d/v2.img" "$@" 2>&1)
    local got state
    got=$(version_in_flash "$d/f.bin")
    state=$(result_key "$out" state)
    if [ "$got-$state" = "$want-app" ]; then
        pass "$name"
    else
        fail "$name" "installed $got, state $state (want $want, app): $(grep '^result' <<<"$out")"
    fi
}

install build/blink.bin
expect "power-on with the stick in: v2 installed" 2.0.0 --run-ms 3000
install build/blink.bin
expect "NRST pin reset with the stick in after 3 s of app: v2 installed" 2.0.0 \
    --plug-at-ms 2000 --reset-at-ms 3000 --run-ms 6000
install build/app-reset1s.bin
expect "SYSRESETREQ from the app after 1 s: the stick is read, v2 installed" 2.0.0 \
    --plug-at-ms 500 --run-ms 5000
install build/app-iwdg.bin
expect "IWDG reset of the app: the stick is read, v2 installed" 2.0.0 --plug-at-ms 400 --run-ms 6000
install build/app-request200s.bin
expect "handover, 200 s of app, update request: the full 30 s window (stick at +20 s)" 2.0.0 \
    --plug-at-ms 221000 --run-ms 230000
install build/blink.bin
expect "brown-out with the stick in: v2 installed" 2.0.0 \
    --plug-at-ms 2000 --brownout-at-ms 3000 --run-ms 6000
install build/blink.bin
expect "plug, unplug, plug again, then NRST: v2 installed" 2.0.0 \
    --plug-at-ms 1000 --unplug-at-ms 1500 --plug-at-ms 2500 --reset-at-ms 4000 --run-ms 7000
install build/blink.bin
expect "stick pulled before the NRST reset: old app keeps running" 1.0.0 \
    --plug-at-ms 1000 --unplug-at-ms 1500 --reset-at-ms 4000 --run-ms 7000
install build/blink.bin
expect "button pressed in the app (update request), stick 20 s later: v2 installed" 2.0.0 \
    --button-press-ms 1000:1100 --plug-at-ms 21000 --run-ms 25000
install build/blink.bin
expect "button held across an NRST reset: forced window, v2 installed" 2.0.0 \
    --button-press-ms 2900:3100 --reset-at-ms 3000 --plug-at-ms 10000 --run-ms 14000

# Every reset cause in one run: the app must come back after each (no hang, no loop).
install build/blink.bin
out=$("$EMU" --flash "$d/f.bin" --reset-at-ms 1000 --brownout-at-ms 2000 --reset-at-ms 3000 \
    --run-ms 5000 2>&1)
n=$(grep -c 'reset: NRST pin' <<<"$out")
b=$(grep -c 'reset: brown-out' <<<"$out")
green=$(awk '/LED green on/ { t = $2 + 0 } END { print t }' <<<"$out")
check "NRST, brown-out, NRST in one run: the app runs after each ($n NRST, $b BOR, last blink $green ms)" \
    test "$n-$b-$(result_key "$out" state)" = "2-1-app" -a "${green%.*}" -ge 3300

# --- hostile sticks while a valid app waits (issue 15): the app must start within the session
# bound (config.h: SESSION_MS 20 s, SESSION_READS 1024 READ(10)s), nothing erased.
python3 - "$d" <<'PY'
import sys
sys.path.insert(0, "scripts/reliability")
import common
d = sys.argv[1]
common.make_hostile_gpt_stick(d + "/gpt-loop.img")
common.make_hostile_gpt_stick(d + "/gpt-long.img", chain_clusters=4096)
open(d + "/slow.prof", "w").write("read_latency_us=1900000\n")
open(d + "/slower.prof", "w").write("read_latency_us=1990000\ncsw_latency_us=1990000\n")
# A 256 KB image whose CRC fails (pass 1 must read all of it), found at full speed; from the
# 4th READ(10) on (after the search), every data phase and CSW comes 1.99 s late.
b = open("build/blink.bin", "rb").read()
open(d + "/big.bin", "wb").write(b + bytes(256 * 1024 - len(b)))
open(d + "/slowfile.prof", "w").write("second_image_after_reads=4\nsecond_image=%s/badbig.img\n"
    "second_read_latency_us=1990000\ncsw_latency_us=1990000\n" % d)
PY
pack "$d/big.bin" "$d/bigv2.bin" 2.0.0
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[128 * 1024] ^= 0xFF
open(sys.argv[2], "wb").write(b)' "$d/bigv2.bin" "$d/IMAGE.BIN"
make_fat_stick "$d/badbig.img" 64 32 "$d/IMAGE.BIN"
# hostile NAME MAX_APP_MS MAX_SCSI ARGS...
hostile() {
    local name=$1 max_ms=$2 max_scsi=$3
    shift 3
    install build/blink.bin
    local out entry scsi
    out=$("$EMU" --flash "$d/f.bin" --run-ms 40000 --stop-after-app-ms 100 "$@" 2>&1)
    entry=$(result_key "$out" app_entry_ms)
    scsi=$(result_key "$out" scsi_cmds)
    if [ "$(result_key "$out" state)-$(result_key "$out" flash_ops)" = app-0 ] &&
        awk -v t="$entry" -v m="$max_ms" 'BEGIN { exit !(t <= m) }' && [ "$scsi" -le "$max_scsi" ]; then
        pass "$name (app at $entry ms, $scsi SCSI commands)"
    else
        fail "$name" "$(grep '^result' <<<"$out")"
    fi
}
hostile "128 GPT entries -> one FAT32 whose root chains to itself: old app starts" 5000 100 \
    --stick "$d/gpt-loop.img"
hostile "same, root chain of 4096 junk clusters: stopped at 1024 READ(10)s" 6000 1030 \
    --stick "$d/gpt-long.img"
hostile "same, 1.9 s per READ(10): stopped by the 20 s bound" 27000 40 \
    --stick "$d/gpt-loop.img" --profile "$d/slow.prof"
# The documented bound (README "Hostile sticks"), from config.h: the stick connects within the
# probe window (+ 150 ms debounce); from then on every wait on it ends by SESSION_MS; the error
# display (at most 10 blinks of 400 ms and an 800 ms pause while the old app is intact).
cfg() { sed -n "s/^#define $1 \([0-9]*\)u.*/\1/p" firmware/core/config.h; }
bound=$(($(cfg PROBE_MS) + 150 + $(cfg SESSION_MS) + 10 * 400 + 800))
hostile "slowest stick: every data phase and CSW 1.99 s, a looping root: within the bound ($bound ms)" \
    "$bound" 40 --stick "$d/gpt-loop.img" --profile "$d/slower.prof"
hostile "256 KB IMAGE.BIN (bad CRC) served at 1.99 s per stage: pass 1 cut within the bound ($bound ms)" \
    "$bound" 40 --stick "$d/badbig.img" --profile "$d/slowfile.prof"
hostile "hardware watchdog, a stick slower than the IWDG: one watchdog reset, then the app" 6000 10 \
    --stick "$d/gpt-loop.img" --profile "$d/slower.prof" --iwdg
