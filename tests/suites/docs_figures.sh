#!/usr/bin/env bash
# Every size figure in README.md and docs/*.md is what the build gives (issue 17 item 5):
# scripts/doc-figures.py compares the figures `make size` writes with a fresh size table.
cd "$(dirname "$0")/../.."
. tests/lib.sh
eval "configs=($(make -s --no-print-directory print-fw-configs))"
table=build/test-logs/docs-figures-size.txt
mkdir -p build/test-logs
if ! scripts/size-report.sh "${configs[@]}" >"$table" 2>&1; then
    fail "size table" "$(cat "$table")"
    exit 0
fi
scripts/doc-figures.py check "$table"
# The checker must be able to fail: a figure one byte off is caught.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/docs"
cp README.md "$tmp/"
cp docs/*.md "$tmp/docs/"
awk '$1 == "default" { $6 = $6 + 1 } { print }' "$table" >"$tmp/size.txt"
if (cd "$tmp" && python3 "$OLDPWD/scripts/doc-figures.py" check size.txt) | grep -q '^FAIL .*README.md: headline default'; then
    pass "a figure that disagrees with the build fails"
else
    fail "a figure that disagrees with the build fails"
fi

# docs/troubleshooting.md, "An empty chip": the retry period per error, measured in stickemu
# (LOG=1 build, erased application region) against the figures the page gives.
. tests/emu_lib.sh
d=$SCEN_DIR
make -s --no-print-directory firmware LOG=1 build/stickimg build/stickemu >/dev/null 2>&1
make_fat_stick "$d/e6.img" 64 32 ""
build/stickimg pack build/blink.bin --board nucleo-f446ze -o "$d/nucleo.bin" -q
make_fat_stick "$d/e9.img" 64 32 "$d/nucleo.bin"
for n in 6 9; do
    fresh_flash "$d/f.bin" build/f4discovery-log/stickboot.bin
    period=$("$EMU" --flash "$d/f.bin" --stick "$d/e$n.img" --run-ms 60000 --trace uart 2>&1 |
        sed -n "s/^\[ *\([0-9.]*\) ms\] uart: stickboot: error $n.*/\1/p" | head -n 2 |
        awk 'NR == 1 { a = $1 } NR == 2 { printf "%.1f", ($1 - a) / 1000 }')
    shown=$(sed -n "s/.*<!-- retry:$n -->\([0-9.]*\)<!-- \/retry -->.*/\1/p" docs/troubleshooting.md)
    check "docs/troubleshooting.md: error $n retried every $shown s (stickemu: $period s)" \
        test -n "$period" -a "$shown" = "$period"
done
