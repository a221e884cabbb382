#!/usr/bin/env bash
# Sampled subset of the reliability campaign scripts/reliability/power_cuts.py on the real bootloader in
# stickemu (`make reliability` runs it in full and records the tables in docs/reliability.md).
cd "$(dirname "$0")/../.."
exec python3 scripts/reliability/power_cuts.py --quick --suite "$(basename "$0" .sh)"
