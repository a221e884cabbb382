#!/usr/bin/env bash
# Sampled subset of the reliability campaign scripts/reliability/hostile_files.py on the real bootloader in
# stickemu (`make reliability` runs it in full and records the tables in docs/reliability.md).
cd "$(dirname "$0")/../.."
exec python3 scripts/reliability/hostile_files.py --quick --suite "$(basename "$0" .sh)"
