#!/usr/bin/env bash
# The repository stands alone: no file points outside it.
cd "$(dirname "$0")/../.."
. tests/lib.sh
if git rev-parse --git-dir >/dev/null 2>&1; then
    # The pattern is built so that this file does not match it.
    hits=$(git grep -n -e "shared""/" -e 'reference/[a-z-]*\.md' || true)
    if [ -z "$hits" ]; then pass "no file points at data outside the repository"; else
        fail "no file points at data outside the repository" "$hits"; fi
else
    skip "no file points at data outside the repository" "not a git checkout"
fi

# Build output (issue 17 item 6): one short line per target, full commands with V=1.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$(make --no-print-directory BUILD="$tmp/q" "$tmp/q/app.ld" "$tmp/q/blink.bin" 2>&1)
check "make prints one short line per target ($(tr '\n' '|' <<<"$out"))" \
    test "$out" = "$(printf '  CPP      %s\n  CC       %s\n  OBJCOPY  %s' "$tmp/q/app.ld" "$tmp/q/blink.elf" "$tmp/q/blink.bin")"
out=$(make --no-print-directory V=1 BUILD="$tmp/v" "$tmp/v/blink.bin" 2>&1)
check "make V=1 prints the full commands" \
    bash -c 'grep -q "^arm-none-eabi-gcc -E -P -x c -DAPP_BASE=0x08004000" <<<"$1" &&
        grep -q "^arm-none-eabi-objcopy -O binary $2/v/blink.elf $2/v/blink.bin" <<<"$1"' _ "$out" "$tmp"
