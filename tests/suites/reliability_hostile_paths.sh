#!/usr/bin/env bash
# The hostile-files campaign (scripts/reliability/hostile_files.py) on the Discovery's own file
# of a stick for many boards (0407D15C.BIN, which the bootloader looks for before IMAGE.BIN).
cd "$(dirname "$0")/../.."
exec python3 scripts/reliability/hostile_files.py --quick --name 0407D15C.BIN \
    --suite "$(basename "$0" .sh)"
