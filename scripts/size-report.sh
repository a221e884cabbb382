#!/usr/bin/env bash
# Builds every configuration given as "label|VAR=x VAR=y" and prints text/data/bss, the flash
# bytes used (text+data) and the headroom to the 16 KB sector. Exit 1 if any build fails.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=15872 # 16 KB sector minus the 512-byte rollback floor log (stickboot.ld)
printf '%-24s %-34s %7s %6s %6s %7s %9s\n' config directory text data bss flash headroom
status=0
for entry in "$@"; do
    label=${entry%%|*}
    vars=${entry#*|}
    # shellcheck disable=SC2086
    out=$(make -s --no-print-directory print-fw-out $vars)
    # shellcheck disable=SC2086
    if ! make -s --no-print-directory firmware $vars >"/tmp/stickboot-size-$$.log" 2>&1; then
        printf '%-24s %-34s build FAILED\n' "$label" "$out"
        cat "/tmp/stickboot-size-$$.log" >&2
        status=1
        continue
    fi
    read -r text data bss _ < <(arm-none-eabi-size "$out/stickboot.elf" | tail -n 1)
    flash=$((text + data))
    printf '%-24s %-34s %7d %6d %6d %7d %9d\n' "$label" "$out" "$text" "$data" "$bss" "$flash" $((budget - flash))
done
rm -f "/tmp/stickboot-size-$$.log"
exit $status
