#!/usr/bin/env bash
# Runs every test program (build/tests/*.t) and every test script (tests/suites/*.sh).
# Each prints "PASS name", "FAIL name" or "SKIP name" lines; a program that exits non-zero
# without printing a FAIL line counts as one failure. The last line is the total.
# TESTS=pattern limits the run to programs/scripts whose name contains pattern.
set -uo pipefail
cd "$(dirname "$0")/.."
log_dir=build/test-logs
mkdir -p "$log_dir"
pass=0 fail=0 skip=0
run_one() {
    local name=$1
    shift
    local log="$log_dir/$name.log"
    local start=$SECONDS
    "$@" >"$log" 2>&1
    local rc=$?
    local p f s
    p=$(grep -c '^PASS ' "$log")
    f=$(grep -c '^FAIL ' "$log")
    s=$(grep -c '^SKIP ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $name: exited with status $rc" >>"$log"
        f=1
    fi
    pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
    printf '%-40s %4d passed %3d failed %3d skipped  (%ds)\n' "$name" "$p" "$f" "$s" $((SECONDS - start))
    if [ "$f" -ne 0 ]; then
        grep -B3 '^FAIL ' "$log" | tail -n 40
    fi
}
for prog in build/tests/*.t; do
    [ -x "$prog" ] || continue
    case "$prog" in *"${TESTS:-}"*) ;; *) continue ;; esac
    run_one "$(basename "$prog")" "$prog"
done
for script in tests/suites/*.sh; do
    [ -f "$script" ] || continue
    case "$script" in *"${TESTS:-}"*) ;; *) continue ;; esac
    run_one "$(basename "$script")" bash "$script"
done
if [ "$skip" -gt 0 ]; then
    echo "$pass passed, $fail failed, $skip skipped"
else
    echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
