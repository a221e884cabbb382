#!/usr/bin/env bash
# make dist: the release folder DIST_DIR/stickboot-VERSION/ (default dist/), from builds made
# before (make dist builds them):
#   bootloader/<board>-<config>/stickboot.{bin,hex,elf}  every configuration of make size
#   bin/linux-x86_64/stickimg        needs libcrypto 3 (Debian 12: libssl3) for keygen/sign
#   bin/windows-x86_64/stickimg.exe  one static file; no keygen/sign (docs/image-format.md)
#   docs/, README.md, VERSION, SHA256SUMS (sha256sum -c SHA256SUMS checks the folder)
# Arguments: the configurations as "label|make variables" (FW_CONFIGS).
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(cat VERSION)
out=${DIST_DIR:-dist}/stickboot-$version
rm -rf "$out"
mkdir -p "$out/bootloader" "$out/bin/linux-x86_64" "$out/bin/windows-x86_64"
for entry in "$@"; do
    vars=${entry#*|}
    # shellcheck disable=SC2086
    dir=$(make -s --no-print-directory print-fw-out $vars)
    # shellcheck disable=SC2086
    board=$(make -s --no-print-directory print-board $vars)
    name=$(basename "$dir")
    [ "$dir" = build ] && name=$board-default
    mkdir -p "$out/bootloader/$name"
    for ext in bin hex elf; do
        cp "$dir/stickboot.$ext" "$out/bootloader/$name/"
    done
    printf '%-28s make firmware %s\n' "$name" "${vars:-(defaults)}" >>"$out/bootloader/CONFIGURATIONS.txt"
done
cat >>"$out/bootloader/CONFIGURATIONS.txt" <<'TXT'

Each folder holds one bootloader build: flash stickboot.bin at 0x08000000 (or the .hex/.elf,
which carry the address). The secure build holds the public half of keys/dev-key.pem, a
development key whose private half is public: build your own with make SECURE=1 KEY=... .
TXT
cp build/stickimg "$out/bin/linux-x86_64/"
cp build/windows/stickimg.exe "$out/bin/windows-x86_64/"
cp README.md VERSION "$out/"
mkdir -p "$out/docs"
cp -r docs/. "$out/docs/"
(cd "$out" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum >SHA256SUMS)
echo "$out: $(find "$out" -type f | wc -l) files"
