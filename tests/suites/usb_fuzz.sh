#!/usr/bin/env bash
# A short smoke run of the usb/ fuzz target from the well-behaved seed (`make fuzz` runs long).
cd "$(dirname "$0")/../.."
. tests/lib.sh
fuzzer=build/fuzz/fuzz_usb
seed=build/fuzz/usb-seed
if [ ! -x "$fuzzer" ] || [ ! -d "$seed" ]; then
    skip "fuzz_usb smoke run" "build/fuzz/fuzz_usb not built (clang missing?)"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
check "fuzz_usb: 30000 runs without a crash or a mount over USB_MOUNT_MS + USB_OVERRUN_MS" \
    "$fuzzer" -runs=30000 -max_len=4096 -seed=1 -artifact_prefix="$work/" "$work" "$seed"
# Regression inputs: scripts that once held a mount past its bound (15,433 and 16,331 ms).
for f in tests/fuzz/usb-regress/*; do
    check "fuzz_usb: $(basename "$f") within USB_MOUNT_MS + USB_OVERRUN_MS" "$fuzzer" "$f"
done
