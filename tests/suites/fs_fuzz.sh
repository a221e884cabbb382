#!/usr/bin/env bash
# Fuzzes fs/ (tests/fuzz/fuzz_fs.c) for about 20 s from the image seeds; PASS when libFuzzer
# found no crash, leak, sanitizer report or broken property. `make fuzz` runs it longer.
cd "$(dirname "$0")/../.."
. tests/lib.sh
fuzzer=build/fuzz/fuzz_fs
seeds=build/fs-images/seeds
if [ ! -x "$fuzzer" ] || [ ! -d "$seeds" ]; then
    fail "fuzz_fs 20 s" "$fuzzer or $seeds missing: run make test-build"
    exit 0
fi
work=build/fuzz/fs-quick
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
log=$work/log.txt
"$fuzzer" -max_total_time="${FS_FUZZ_SECONDS:-20}" -max_len=200000 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds" >"$log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
if [ $rc -eq 0 ] && [ -z "$(ls -A "$work/artifacts")" ] && [ -n "$execs" ]; then
    pass "fuzz_fs ${FS_FUZZ_SECONDS:-20} s: $execs executions, $rate/s, no finding"
else
    fail "fuzz_fs ${FS_FUZZ_SECONDS:-20} s" "$(grep -E 'ERROR|SUMMARY|Test unit written|deadly' "$log" | head -n 10)"
fi
