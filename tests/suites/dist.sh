#!/usr/bin/env bash
# make dist (into a temporary DIST_DIR): the layout, a bootloader .bin/.hex/.elf for every
# make size configuration, stickimg for Linux and Windows printing the VERSION, the docs, and
# SHA256SUMS that lists every file and that sha256sum -c accepts (and refuses after a change).
cd "$(dirname "$0")/../.."
. tests/lib.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
    skip "make dist" "mingw-w64 not installed (scripts/install-deps.sh installs it)"
    exit 0
fi
version=$(cat VERSION)
if ! make -s --no-print-directory dist DIST_DIR="$work" >"$work/log" 2>&1; then
    fail "make dist" "$(tail -n 20 "$work/log")"
    exit 0
fi
d=$work/stickboot-$version
check "dist/stickboot-$version exists" test -d "$d"
check "VERSION holds one version, MAJOR.MINOR.PATCH" grep -Eqx '[0-9]+\.[0-9]+\.[0-9]+' VERSION
configs=$(make -s --no-print-directory print-fw-configs)
dirs=$(find "$d/bootloader" -mindepth 1 -maxdepth 1 -type d | wc -l)
check "one bootloader folder per make size configuration ($dirs of $(grep -o '|' <<<"$configs" | wc -l))" \
    test "$dirs" -eq "$(grep -o '|' <<<"$configs" | wc -l)"
missing=""
for b in "$d"/bootloader/*/; do
    for ext in bin hex elf; do [ -s "$b/stickboot.$ext" ] || missing+=" $(basename "$b")/stickboot.$ext"; done
done
check "every bootloader folder has stickboot.bin, .hex and .elf${missing:+ (missing:$missing)}" test -z "$missing"
check "the default build is there as f4discovery-default, equal to build/stickboot.bin" \
    cmp "$d/bootloader/f4discovery-default/stickboot.bin" build/stickboot.bin
check "the secure build is there" test -s "$d/bootloader/f4discovery-secure/stickboot.bin"
# objcopy into a file: into a pipe it writes 0 bytes since the image has a .noinit section.
arm-none-eabi-objcopy -O binary "$d/bootloader/f4discovery-srec/stickboot.elf" "$work/srec-from-elf.bin"
check "the .bin is the .elf's contents" \
    cmp "$work/srec-from-elf.bin" "$d/bootloader/f4discovery-srec/stickboot.bin"
check "Linux stickimg prints the version" test "$("$d/bin/linux-x86_64/stickimg" --version)" = \
    "stickimg $version (image format 1)"
check "Linux stickimg is an x86-64 ELF" bash -c "readelf -h '$d/bin/linux-x86_64/stickimg' | grep -q 'Machine: *Advanced Micro Devices X86-64'"
check "Windows stickimg.exe is a PE x86-64 executable" \
    bash -c "x86_64-w64-mingw32-objdump -f '$d/bin/windows-x86_64/stickimg.exe' | grep -q 'file format pei-x86-64'"
if [ -x /usr/lib/wine/wine64 ] && [ -d build/wine ]; then
    check "Windows stickimg.exe prints the version" test "$(WINEPREFIX=$PWD/build/wine WINEDEBUG=-all \
        /usr/lib/wine/wine64 "$d/bin/windows-x86_64/stickimg.exe" --version 2>/dev/null)" = "stickimg $version (image format 1)"
else
    skip "Windows stickimg.exe prints the version" "wine not installed or no prefix yet"
fi
check "the docs are there" test -f "$d/docs/moving-your-app.md" -a -f "$d/docs/image-format.md" -a -f "$d/README.md"
check "sha256sum -c SHA256SUMS passes" bash -c "cd '$d' && sha256sum --quiet -c SHA256SUMS"
check "SHA256SUMS lists every file and nothing else" \
    cmp <(cd "$d" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort) \
    <(sed 's/^[0-9a-f]\{64\}  //' "$d/SHA256SUMS")
printf 'x' >>"$d/docs/image-format.md"
check "a changed file makes sha256sum -c fail" bash -c "cd '$d' && ! sha256sum --quiet -c SHA256SUMS 2>/dev/null"
check "dist/ is ignored by git" git check-ignore -q dist/stickboot-$version/VERSION
# The LOG=1 bootloader's first UART line names the version (stickemu, 100 ms, no stick).
if [ -x build/stickemu ]; then
    out=$(build/stickemu --flash "$work/flash.bin" --load 0x08000000 "$d/bootloader/f4discovery-log/stickboot.bin" \
        --run-ms 100 --trace uart 2>&1)
    check "LOG=1 bootloader prints 'stickboot $version' first" \
        test "$(grep -o 'uart: stickboot.*' <<<"$out" | head -n 1)" = "uart: stickboot $version"
fi
