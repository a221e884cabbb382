#!/usr/bin/env bash
# docs/porting.md's table of boards is the one scripts/boards-table.py generates (make boards-table).
cd "$(dirname "$0")/../.."
make -s --no-print-directory build/stickemu >/dev/null 2>&1
python3 scripts/boards-table.py check | sed 's/^\(PASS\|FAIL\) boards_table:/\1 boards_table:/'
