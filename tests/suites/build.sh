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

check "blink.bin starts with a vector table at APP_BASE" \
    python3 -c "import struct,sys; sp,rv=struct.unpack('<II',open('build/blink.bin','rb').read(8)); sys.exit(0 if 0x20000000<sp<=0x20020000 and 0x08004000<=rv<0x08100000 and rv&1 else 1)"
