#!/usr/bin/env bash
# The Windows tests (make test-windows): the stickimg suites against build/windows/stickimg.exe
# under wine, then the Windows-only cases (tests/windows/*.sh). Lines are the suites' own with
# "wine:" before the name; without wine or mingw-w64 every suite is one SKIP line. The last
# line is the total, as tests/run.sh prints it. make test runs it (tests/suites/windows.sh);
# make test-windows runs only it. WINE_SREC_CASES: srec_cat comparisons (default 240, as natively).
set -uo pipefail
cd "$(dirname "$0")/../.."
log_dir=build/test-logs/windows
mkdir -p "$log_dir"
suites=(tests/suites/stickimg.sh tests/suites/stickimg_messages.sh tests/suites/stickimg_srec.sh
    tests/suites/stickimg_attach.sh $(ls tests/windows/*.sh | grep -v '/run.sh$'))
wine_found=0
{ [ -x /usr/lib/wine/wine64 ] || command -v wine64 >/dev/null || command -v wine >/dev/null; } && wine_found=1
pass=0 fail=0 skip=0
if [ $wine_found -eq 0 ] || [ ! -f build/windows/stickimg.exe ]; then
    why=$([ $wine_found -eq 0 ] && echo "wine not installed" || echo "build/windows/stickimg.exe not built")
    for s in "${suites[@]}"; do
        echo "SKIP wine:$(basename "$s" .sh) ($why)"
        skip=$((skip + 1))
    done
    echo "0 passed, 0 failed, $skip skipped"
    exit 0
fi
export WINEPREFIX="$PWD/build/wine" WINEDEBUG=-all
wineserver=$(command -v wineserver || echo /usr/lib/wine/wineserver)
start=$SECONDS
rm -f "$log_dir/wine-retries.log"
# One wine session for the whole run: a persistent wineserver, and the prefix's services
# started by a first call whose output goes nowhere. Started by a test's first call instead,
# the services would inherit that test's output pipe and hold it open (a caller reading it to
# the end waits for them), and each call would pay the session start: about 0.05 s per call
# in a running session, 3 s and more without one. The first start also makes the prefix.
"$wineserver" -k 2>/dev/null
if [ ! -f "$WINEPREFIX/system.reg" ]; then
    # Making the prefix ends its session: make it first, then start the one the tests use.
    timeout 300 tests/windows/stickimg-wine --version </dev/null >/dev/null 2>&1
    "$wineserver" -k 2>/dev/null
    echo "wine prefix made in $((SECONDS - start)) s"
fi
"$wineserver" -p </dev/null >/dev/null 2>&1
trap '"$wineserver" -k 2>/dev/null' EXIT
timeout 300 tests/windows/stickimg-wine --version </dev/null >/dev/null 2>&1
echo "wine session ready in $((SECONDS - start)) s"
for s in "${suites[@]}"; do
    name=$(basename "$s" .sh)
    log="$log_dir/$name.log"
    t0=$SECONDS
    STICKIMG="$PWD/tests/windows/stickimg-wine" STICKIMGS="$PWD/tests/windows/stickimg-wine" \
        SREC_CASES="${WINE_SREC_CASES:-240}" bash "$s" 2>&1 |
        sed -E 's/^(PASS|FAIL|SKIP) /\1 wine:/' >"$log"
    rc=${PIPESTATUS[0]}
    p=$(grep -c '^PASS ' "$log") f=$(grep -c '^FAIL ' "$log") k=$(grep -c '^SKIP ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL wine:$name: exited with status $rc" >>"$log"
        f=1
    fi
    pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + k))
    if [ -n "${WINDOWS_TEST_LINES:-}" ]; then
        grep -E '^(PASS|FAIL|SKIP) ' "$log" # for tests/run.sh, which counts them
    fi
    printf 'wine:%-36s %4d passed %3d failed %3d skipped  (%ds)\n' "$name" "$p" "$f" "$k" $((SECONDS - t0))
    [ "$f" -eq 0 ] || grep -A3 '^FAIL ' "$log" | head -n 40
done
echo "windows tests: $((SECONDS - start)) s"
if [ -s "$log_dir/wine-retries.log" ]; then
    echo "wine failed to run stickimg.exe $(wc -l <"$log_dir/wine-retries.log") times (run again):"
    cat "$log_dir/wine-retries.log"
fi
if [ "$skip" -gt 0 ]; then
    echo "$pass passed, $fail failed, $skip skipped"
else
    echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
