# The emulator suite every board runs (sourced by tests/suites/board_<name>_emu.sh after setting
# BOARD): the bootloader and the example app built for the board, run in stickemu on the
# board's model. Short cases: install, the same image again, a wrong board's image, an image
# too big, no stick, the button, a few power cuts during an update, a few stick faults.
# BOARD_RED names the LED the board's error code blinks on (stickemu's name for it).
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
OUT=build/$BOARD-default
BL=$OUT/stickboot.bin
make -s --no-print-directory firmware app BOARD="$BOARD" >/dev/null 2>&1
make -s --no-print-directory firmware app build/stickimg build/stickemu >/dev/null 2>&1
if [ ! -f "$BL" ] || [ ! -f "$OUT/blink.bin" ]; then
    fail "make firmware app BOARD=$BOARD" "no $BL or $OUT/blink.bin"
    exit 0
fi
header=firmware/boards/$BOARD.h
id=$(sed -n 's/^#define BOARD_ID[[:space:]]*0x\([0-9A-Fa-f]*\)u.*/\1/p' "$header")
kb=$(($(sed -n 's/^#define BOARD_FLASH_SIZE[[:space:]]*(\([0-9]*\)u \* 1024u).*/\1/p' "$header")))
pass "make firmware app BOARD=$BOARD builds ($(stat -c %s "$BL") bytes)"
check "bootloader fits its 16 KB sector" test "$(stat -c %s "$BL")" -le 16384
le_id=$(printf '%s' "$id" | sed 's/\(..\)\(..\)\(..\)\(..\)/\\x\4\\x\3\\x\2\\x\1/')
check "the build carries its board id 0x$id" env LC_ALL=C grep -q "$(printf "$le_id")" "$BL"

run() { "$EMU" --board "$BOARD" "$@" 2>&1; }
board_flash() { # FLASH: erased flash of the board's default size holding only the bootloader
    rm -f "$1"
    "$EMU" --board "$BOARD" --flash "$1" --load 0x08000000 "$BL" --run-ms 0 >/dev/null 2>&1
}
# Error code = the number of ERROR_BLINK_MS (200 ms) flashes of the red LED before the app: a
# switch-off that ends a 200 ms flash or starts a 200 ms gap (on a one-LED board the first
# flash continues the "reading" light, so its switch-on is not in the log).
red_blinks() {
    sed -n '/app entry/q;p' <<<"$1" | awk -v led="LED $BOARD_RED" '
        function at() { s = $0; sub(/^\[ */, "", s); return s + 0 }
        index($0, led " on") { t = at(); if (off >= 0 && t - off > 199 && t - off < 201 && !counted) n++; on = t }
        index($0, led " off") { t = at(); counted = 0; if (on >= 0 && t - on > 199 && t - on < 201) { n++; counted = 1 } off = t }
        BEGIN { on = -1; off = -1 } END { print n + 0 }'
}
version_in_flash() { # FLASH -> app_version word of the installed trailer (hex)
    local len
    len=$(od -An -tu4 -j $((0x4000 + 28)) -N4 "$1" | tr -d ' ')
    od -An -tx4 -j $((0x4000 + len + 20)) -N4 "$1" | tr -d ' '
}
# An app image of BYTES (the example app padded), packed as version V.
pack() { # BYTES VERSION OUT
    cp "$OUT/blink.bin" "$d/raw.bin"
    truncate -s "$1" "$d/raw.bin"
    build/stickimg pack "$d/raw.bin" -o "$3" --board "$BOARD" --version "$2" -q
}

pack 8192 1.0.0 "$d/v1.bin"
check "packed image verifies for $BOARD" build/stickimg verify "$d/v1.bin" --board "$BOARD"
make_fat_stick "$d/v1.img" 64 32 "$d/v1.bin"

# --- first install, then the same stick again
board_flash "$d/f.bin"
check "flash file is $kb KB" test "$(stat -c %s "$d/f.bin")" = $((kb * 1024))
out=$(run --flash "$d/f.bin" --stick "$d/v1.img" --stop-after-app-ms 1100)
check "first install: the app runs" test "$(result_key "$out" state)" = app
words=$(result_key "$out" programmed_words)
check "first install programs the image + trailer ($words words)" \
    test "${words:-0}" = $(($(stat -c %s "$d/v1.bin") / 4))
check "first install: the clock tree raises no warning" \
    bash -c '! grep -q "warning" <<<"$1"' _ "$out"
check "first install: SYSCLK from the PLL at the board's frequency" \
    grep -q "SYSCLK from PLL, $(($(sed -n 's/^#define BOARD_SYSCLK_HZ[[:space:]]*\([0-9]*\)u.*/\1/p' "$header"))) Hz" <<<"$out"
check "first install: VBUS on" grep -q 'VBUS on' <<<"$out"
green_after_app=$(sed -n '/app entry/,$p' <<<"$out" | grep -c 'LED [a-z]* on')
check "the installed app blinks its LED ($green_after_app)" test "$green_after_app" -ge 2
out=$(run --flash "$d/f.bin" --stick "$d/v1.img" --stop-after-app-ms 200)
check "same stick again: app runs, zero flash operations" \
    test "$(result_key "$out" state)-$(result_key "$out" flash_ops)" = app-0

# --- no stick + valid app
out=$(run --flash "$d/f.bin" --run-ms 500)
entry=$(result_key "$out" app_entry_ms)
check "no stick + valid app: app within PROBE_MS + 10 ms ($entry ms)" \
    awk -v t="$entry" 'BEGIN { exit !(t > 0 && t <= 310) }'

# --- refused before any flash operation: the error code blinks, the old app boots
base_md5=$(md5sum <"$d/f.bin")
expect_rejected() { # NAME CODE FILE
    local img=$d/bad.img out blinks
    make_fat_stick "$img" 64 32 "$3"
    cp "$d/f.bin" "$d/run.bin"
    out=$(run --flash "$d/run.bin" --stick "$img" --stop-after-app-ms 100 --run-ms 12000)
    blinks=$(red_blinks "$out")
    if [ "$(result_key "$out" state)" = app ] && [ "$(result_key "$out" flash_ops)" = 0 ] &&
        [ "$blinks" = "$2" ] && [ "$(md5sum <"$d/run.bin")" = "$base_md5" ]; then
        pass "$1: refused, error $2, no flash operation, old app boots"
    else
        fail "$1: refused, error $2, no flash operation, old app boots" \
            "state=$(result_key "$out" state) flash_ops=$(result_key "$out" flash_ops) blinks=$blinks"
    fi
}
build/stickimg pack build/blink.bin -o "$d/other.bin" --board f4discovery --version 2.0.0 -q
expect_rejected "an f4discovery image (wrong board id)" 9 "$d/other.bin"
cp "$OUT/blink.bin" "$d/huge.bin"
truncate -s $((kb * 1024 - 16384 + 4)) "$d/huge.bin" # one word more than the app region
expect_rejected "a raw binary one word too big for $kb KB" 8 "$d/huge.bin"

# --- the user button: held at reset, the bootloader waits for a stick that comes late
pack 8192 2.0.0 "$d/v2.bin"
make_fat_stick "$d/v2.img" 64 32 "$d/v2.bin"
cp "$d/f.bin" "$d/b.bin"
out=$(run --flash "$d/b.bin" --stick "$d/v2.img" --plug-at-ms 1000 --stop-after-app-ms 100)
check "button released, stick plugged at 1 s: app starts, stick never read" \
    test "$(result_key "$out" state)-$(result_key "$out" scsi_cmds)-$(result_key "$out" erases)" = app-0-0
out=$(run --flash "$d/b.bin" --stick "$d/v2.img" --plug-at-ms 1000 --button-press-ms 0:600 \
    --stop-after-app-ms 100)
check "button held at reset, stick plugged at 1 s: version 2 is installed" \
    test "$(result_key "$out" state)-$(version_in_flash "$d/b.bin")" = app-02000000

# --- power cuts during an update (v1 installed, v2 on the stick), then power-up with the stick
for ops in ${CUT_OPS:-1 600 1500}; do
    cp "$d/f.bin" "$d/c.bin"
    out=$(run --flash "$d/c.bin" --stick "$d/v2.img" --cut-after-flash-ops "$ops" --cut-mode undefined)
    cut=$(result_key "$out" state)
    out=$(run --flash "$d/c.bin" --stick "$d/v2.img" --stop-after-app-ms 100)
    check "power cut after $ops flash operations ($cut), power-up with the stick: version 2 runs" \
        test "$(result_key "$out" state)-$(version_in_flash "$d/c.bin")" = app-02000000
done

# --- stick faults: a quirk the stack handles installs v2; a stick that leaves keeps v1
fault() { # PROFILE EXPECT_VERSION
    printf '%s\n' $1 >"$d/profile.txt"
    cp "$d/f.bin" "$d/q.bin"
    local out
    out=$(run --flash "$d/q.bin" --stick "$d/v2.img" --profile "$d/profile.txt" \
        --stop-after-app-ms 100 --run-ms 30000)
    check "stick fault '$1': app runs, version $2" \
        test "$(result_key "$out" state)-$(version_in_flash "$d/q.bin")" = "app-$2"
}
fault "nak_every=3 txerr_every=50" 02000000
fault "stall_csw_once=3 bulk_mps=16" 02000000
fault "disconnect_after_bytes=3000" 01000000

# --- OTG_HS port (HS_PORT=1): the same chip's bootloader built for OTG_FS (nucleo-f429zi) finds
# no stick on this board, whose connector is wired to OTG_HS
if [ "${HS_PORT:-0}" = 1 ]; then
    make -s --no-print-directory firmware BOARD=nucleo-f429zi >/dev/null 2>&1
    board_flash "$d/h.bin"
    "$EMU" --board "$BOARD" --flash "$d/h.bin" --load 0x08000000 \
        build/nucleo-f429zi-default/stickboot.bin --run-ms 0 >/dev/null 2>&1
    out=$(run --flash "$d/h.bin" --stick "$d/v1.img" --run-ms 1500)
    check "an OTG_FS build on this board never reaches the stick (it is on OTG_HS)" \
        test "$(result_key "$out" scsi_cmds)-$(result_key "$out" port_resets)" = 0-0
    # PHYSEL set only after the core soft reset (the HCD's later GUSBCFG write): the core stays
    # on the absent ULPI PHY and never sees the stick (PROBE_MS=301 only names the build dir)
    make -s --no-print-directory firmware BOARD="$BOARD" PROBE_MS=301 \
        FW_EXTRA_DEFS=-DSTICKBOOT_TEST_PHYSEL_AFTER_RESET >/dev/null 2>&1
    board_flash "$d/p.bin"
    "$EMU" --board "$BOARD" --flash "$d/p.bin" --load 0x08000000 \
        "build/$BOARD-probe301/stickboot.bin" --run-ms 0 >/dev/null 2>&1
    out=$(run --flash "$d/p.bin" --stick "$d/v1.img" --run-ms 1500)
    check "PHYSEL set after the core soft reset: OTG_HS never sees the stick" \
        test "$(result_key "$out" scsi_cmds)-$(result_key "$out" port_resets)" = 0-0
    rm -rf "build/$BOARD-probe301"
fi

# --- the chip's rules: the bootloader of another board (WRONG_BOARD=b) on this board's model
# must break them: b's PLL set for an 8 MHz crystal gets 25 MHz here, its input outside 1-2 MHz
# (WRONG_CHECK=clock), or b's stack is beyond this chip's SRAM (=sram)
if [ -n "${WRONG_BOARD:-}" ]; then
    make -s --no-print-directory firmware BOARD="$WRONG_BOARD" >/dev/null 2>&1
    bl=build/$WRONG_BOARD-default/stickboot.bin
    [ "$WRONG_BOARD" = f4discovery ] && bl=build/stickboot.bin
    rm -f "$d/w.bin"
    out=$(run --flash "$d/w.bin" --load 0x08000000 "$bl" --run-ms 400)
    if [ "$WRONG_CHECK" = clock ]; then
        check "the $WRONG_BOARD clock tree with this board's 25 MHz HSE: the PLL does not lock" \
            grep -q "PLL will not lock: PLL input outside 1-2 MHz" <<<"$out"
    else
        check "the $WRONG_BOARD build on this chip: its stack is outside this SRAM (fault)" \
            bash -c 'grep -q "outside RAM" <<<"$1" && grep -q "state=fault" <<<"$1"' _ "$out"
    fi
fi

# --- CCM (NO_CCM=1): a read of 0x10000000 is a BusFault (no CCM on the chip); a program of
# four instructions: ldr r0, =0x10000000; ldr r1, [r0]; b .; HardFault handler b .
if [ "${NO_CCM:-0}" = 1 ]; then
    python3 -c "import struct; open('$d/ccm.bin', 'wb').write(struct.pack('<4I4H2HI', 0x20001000,
        0x08000011, 0x08000019, 0x08000019, 0x4802, 0x6801, 0xE7FE, 0xBF00, 0xE7FE, 0xBF00,
        0x10000000))"
    rm -f "$d/ccm-flash.bin"
    out=$(run --flash "$d/ccm-flash.bin" --load 0x08000000 "$d/ccm.bin" --run-ms 5)
    check "a CCM read (0x10000000) is a BusFault on this chip" \
        grep -q 'BusFault PRECISERR: read of an unmapped address 0x10000000' <<<"$out"
fi

# --- dual bank (BIG_IMAGE=1): an image that crosses from bank 1 into bank 2 (0x08100000), with
# stale data in sectors 12 and 13 that the update must erase (FLASH_CR.SNB 16 and 17)
if [ "${BIG_IMAGE:-0}" = 1 ]; then
    cp "$OUT/blink.bin" "$d/raw.bin"
    truncate -s $((1024 * 1024 - 16384 + 20480)) "$d/raw.bin" # 4 KB into sector 13
    head -c 4096 /dev/urandom >>"$d/raw.bin"
    build/stickimg pack "$d/raw.bin" -o "$d/big.bin" --board "$BOARD" --version 3.0.0 -q
    make_fat_stick "$d/big.img" 64 32 "$d/big.bin"
    head -c 20480 /dev/zero >"$d/stale.bin"
    board_flash "$d/g.bin"
    "$EMU" --board "$BOARD" --flash "$d/g.bin" --load 0x08100000 "$d/stale.bin" --run-ms 0 \
        >/dev/null 2>&1
    out=$(run --flash "$d/g.bin" --stick "$d/big.img" --stop-after-app-ms 100)
    check "image across the banks: sectors 12 and 13 (bank 2) erased ($(result_key "$out" erase_sectors))" \
        test "$(result_key "$out" erase_sectors)" = 12,13
    check "image across the banks: flash holds the image byte-exact, the app runs" \
        test "$(result_key "$out" state)" = app -a \
        "$(cmp -n "$(stat -c %s "$d/big.bin")" -i 16384:0 "$d/g.bin" "$d/big.bin" && echo same)" = same
fi
