#!/usr/bin/env bash
# The power-cut campaign (scripts/reliability/power_cuts.py) over the bootloader's other paths,
# sampled: a stick for many boards with an update report file, and the SECURE=1 ENCRYPT=1 build
# with signed, encrypted images. `make reliability` runs them at every flash operation.
cd "$(dirname "$0")/../.."
make -s --no-print-directory firmware app build/stickimg build/stickemu >/dev/null 2>&1
make -s --no-print-directory firmware SECURE=1 ENCRYPT=1 >/dev/null 2>&1
rc=0
for v in multi encrypted; do
    python3 scripts/reliability/power_cuts.py --quick --part ops --variant $v \
        --suite "$(basename "$0" .sh)-$v" || rc=1
done
exit $rc
