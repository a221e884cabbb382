#!/usr/bin/env bash
# Sampled subset of the lifecycle matrix scripts/reliability/lifecycle.py (issue 15) on the real
# bootloader in stickemu (`make reliability` runs the whole matrix into docs/reliability.md).
cd "$(dirname "$0")/../.."
make -s --no-print-directory firmware app app-tests build/stickimg build/stickemu >/dev/null 2>&1
exec python3 scripts/reliability/lifecycle.py --quick --suite "$(basename "$0" .sh)"
