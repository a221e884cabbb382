#!/usr/bin/env bash
# Build-level checks: the link budget holds and is enforced, every configuration builds.
cd "$(dirname "$0")/../.."
. tests/lib.sh

out=$(make -s --no-print-directory firmware FW_EXTRA_DEFS=-DSTICKBOOT_TEST_OVERSIZE BOARD=f4discovery \
      PROBE_MS=1 2>&1)
if [ $? -ne 0 ] && grep -q "overflowed" <<<"$out"; then
    pass "oversized build fails to link"
else
    fail "oversized build fails to link" "link did not fail: $out"
fi

bin=build/stickboot.bin
make -s --no-print-directory firmware >/dev/null 2>&1
size=$(stat -c %s "$bin" 2>/dev/null || echo 99999)
check "default build fits 16384 bytes ($size)" test "$size" -le 16384

eval "configs=($(make -s --no-print-directory print-fw-configs))"
if report=$(scripts/size-report.sh "${configs[@]}" 2>&1); then
    pass "make size builds every configuration"
else
    fail "make size builds every configuration" "$report"
fi

# APP_BASE is checked against the flash layout at compile time (issue 15).
config_error() { # APP_BASE -> the #error text, empty when accepted
    echo '#include "config.h"' | arm-none-eabi-gcc -E -x c - -Ifirmware/core -Ifirmware/boards \
        -Ifirmware -DBOARD_HEADER='"boards/f4discovery.h"' -DAPP_BASE="$1" -o /dev/null 2>&1 |
        sed -n 's/.*#error "\(.*\)"/\1/p' | head -n 1
}
for base in 0x08000000 0x08002000 0x08006000 0x08018000 0x08030000 0x08100000; do
    msg=$(config_error $base)
    check "APP_BASE=$base refused: ${msg:-accepted}" test -n "$msg"
done
for base in 0x08004000 0x08008000 0x0800C000 0x08010000 0x08020000 0x080E0000; do
    msg=$(config_error $base)
    check "APP_BASE=$base accepted${msg:+: $msg}" test -z "$msg"
done
out=$(make -s --no-print-directory firmware APP_BASE=0x08002000 2>&1)
if [ $? -ne 0 ] && grep -q "inside sector 0" <<<"$out"; then
    pass "make firmware APP_BASE=0x08002000 fails with the layout message"
else
    fail "make firmware APP_BASE=0x08002000 fails with the layout message" "$out"
fi
rm -rf build/f4discovery-app2000

# SREC_CRC_ADDR too: the update erases the sector holding the region's last word, so the CRC
# word must share it (at a sector start it would never be erased again and the second update
# would program the new CRC over the old one: their AND).
srec_error() { # SREC_CRC_ADDR -> the #error text, empty when accepted
    echo '#include "config.h"' | arm-none-eabi-gcc -E -x c - -Ifirmware/core -Ifirmware/boards \
        -Ifirmware -DBOARD_HEADER="\"boards/$2.h\"" -DSREC_CRC_ADDR="$1" -o /dev/null 2>&1 |
        sed -n 's/.*#error "\(.*\)"/\1/p' | head -n 1
}
for a in f4discovery:0x08080000 f4discovery:0x08020000 f4discovery:0x080FFFFE \
    f4discovery:0x08100000 f4discovery:0x08004000 nucleo-f429zi:0x08104000 \
    nucleo-f429zi:0x08100000; do
    msg=$(srec_error "${a#*:}" "${a%%:*}")
    check "SREC_CRC_ADDR=${a#*:} (${a%%:*}) refused: ${msg:-accepted}" test -n "$msg"
done
for a in f4discovery:0x080FFFFC f4discovery:0x0807FFFC f4discovery:0x08007FFC \
    nucleo-f429zi:0x081FFFFC nucleo-f429zi:0x08103FFC blackpill-f401cc:0x0803FFFC; do
    msg=$(srec_error "${a#*:}" "${a%%:*}")
    check "SREC_CRC_ADDR=${a#*:} (${a%%:*}) accepted${msg:+: $msg}" test -z "$msg"
done

check "blink.bin starts with a vector table at APP_BASE" \
    python3 -c "import struct,sys; sp,rv=struct.unpack('<II',open('build/blink.bin','rb').read(8)); sys.exit(0 if 0x20000000<sp<=0x20020000 and 0x08004000<=rv<0x08100000 and rv&1 else 1)"

# stickimg's board table and the firmware's board headers agree on every board's id.
for header in firmware/boards/*.h; do
    [ "$(basename "$header")" = board.h ] && continue
    name=$(sed -n 's/^#define BOARD_NAME[[:space:]]*"\(.*\)"/\1/p' "$header")
    id=$(sed -n 's/^#define BOARD_ID[[:space:]]*\(0x[0-9A-Fa-f]*\)u.*/\1/p' "$header")
    out=build/board-id-$name.bin
    # A raw app with its stack at 0x20001000, inside every board's SRAM (64 KB F401CC too), and
    # a reset handler of "b ." loops after the vector table.
    python3 -c "import struct; open('$out.raw', 'wb').write(struct.pack('<2I', 0x20001000,
        0x08004041) + bytes(56) + bytes.fromhex('fee7') * 32)"
    got=$(build/stickimg pack "$out.raw" -o "$out" --board "$name" -q 2>&1 &&
        build/stickimg info "$out" --json | sed -n 's/.*"board_id": \([0-9]*\).*/\1/p')
    check "stickimg board id of $name matches $header" test "$got" = "$((id))"
done

# Every board with every build option links within the sector (make size-boards: the LOG=1
# SECURE=1 build once outgrew it unnoticed, as no suite built it).
boards_out=$(make -s --no-print-directory size-boards 2>&1)
boards_rc=$?
configs=$(grep -c '^[a-z0-9-]* *build/' <<<"$boards_out")
failed=$(grep -c 'build FAILED' <<<"$boards_out")
check "make size-boards: all $configs configurations of every board link ($failed failed)" \
    test "$boards_rc" = 0 -a "$failed" = 0 -a "$configs" -ge 60
[ "$failed" != 0 ] && grep 'build FAILED' <<<"$boards_out"

# The code follows .clang-format.
unformatted=$(for f in $(git ls-files '*.c' '*.h' 2>/dev/null); do
    clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"
done)
check "every C file follows .clang-format" test -z "$unformatted"
[ -n "$unformatted" ] && echo "  not formatted: $unformatted"
true
