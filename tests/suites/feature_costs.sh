#!/usr/bin/env bash
# The feature-cost table of docs/performance.md (scripts/bench.py --features, issue 18): every
# feature's scratch build links, each removal saves bytes, and a source edit that no longer
# matches the code stops the table instead of measuring something else.
cd "$(dirname "$0")/../.."
. tests/lib.sh
log=build/test-logs/feature-costs.txt
mkdir -p build/test-logs
if ! scripts/bench.py --features >"$log" 2>&1; then
    fail "every feature build links" "$(tail -n 20 "$log")"
    exit 0
fi
pass "every feature build links"
default=$(arm-none-eabi-size build/stickboot.elf 2>/dev/null | awk 'NR == 2 { print $1 + $2 }')
grouped=$(python3 -c "print(f'{$default:,}')")
check "the table's default build is build/stickboot.elf ($grouped bytes)" \
    grep -q "The default build is $grouped bytes" "$log"
# Rows: | name | how | bytes |. Removing a feature must not make the build bigger, and the
# switches' rows must show the same figures as the configurations make size builds.
while IFS='|' read -r _ name _ bytes _; do
    name=$(echo "$name" | sed 's/^ *//; s/ *$//')
    bytes=$(echo "$bytes" | tr -d ' ')
    [ -n "$bytes" ] || continue
    check "$name: $bytes bytes >= 0" test "$bytes" -ge 0
done < <(grep -E '^\| [^-|].* \| [0-9]+ \|$' "$log")
noreport=$(make -s --no-print-directory print-fw-out REPORT_LOG=0)
make -s --no-print-directory firmware REPORT_LOG=0 >/dev/null 2>&1
want=$((default - $(arm-none-eabi-size "$noreport/stickboot.elf" | awk 'NR == 2 { print $1 + $2 }')))
check "update report row = default - noreport ($want)" grep -q "^| update report .* | $want |$" "$log"
if BENCH_STALE_EDIT="no such text in fs.c" scripts/bench.py --features >"$log.stale" 2>&1; then
    fail "a stale source edit stops the table" "$(tail -n 5 "$log.stale")"
else
    check "a stale source edit stops the table" grep -q "no longer matches firmware/fs/fs.c" "$log.stale"
fi
