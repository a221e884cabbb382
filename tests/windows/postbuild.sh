#!/usr/bin/env bash
# The Windows CubeIDE post-build lines of docs/moving-your-app.md, as printed, run by wine's
# cmd.exe from a batch file in a build folder, with C:\stickboot pointing at a release tree
# whose path has a space in it (stickimg.exe under bin\windows-x86_64, the bootloaders under
# bootloader\); ${ProjName} filled in. The outputs must equal the Linux build's and srec_cat's.
cd "$(dirname "$0")/../.."
. tests/lib.sh
if [ -x /usr/lib/wine/wine64 ]; then loader=/usr/lib/wine/wine64; else loader=$(command -v wine64 || command -v wine); fi
export WINEPREFIX="${WINEPREFIX:-$PWD/build/wine}" WINEDEBUG=-all
work=$(mktemp -d "$PWD/build/win-postbuild.XXXXXX")
trap 'rm -rf "$work"' EXIT
make -s --no-print-directory firmware SREC_CRC_ADDR=0x080FFFFC >/dev/null 2>&1 ||
    { fail "build the SREC_CRC_ADDR bootloader"; exit 0; }
release="$work/stick boot"
mkdir -p "$release/bin/windows-x86_64" "$release/bootloader/f4discovery-srec" "$work/Debug"
cp build/windows/stickimg.exe "$release/bin/windows-x86_64/"
cp build/f4discovery-srec/stickboot.bin "$release/bootloader/f4discovery-srec/"
cp build/blink.elf "$work/Debug/myapp.elf"
win_release="Z:${release//\//\\}"

mapfile -t lines < <(python3 tests/tools/postbuild-lines.py windows)
check "the doc shows two Windows lines" test ${#lines[@]} -eq 2

build/stickimg pack build/blink.elf -o "$work/ref.bin" --version 1.0.0 -q
build/stickimg pack build/blink.elf -o "$work/ref-srec.bin" --srec-crc-addr 0x080FFFFC --version 1.0.0 -q
build/stickimg factory build/f4discovery-srec/stickboot.bin "$work/ref-srec.bin" -o "$work/factory.hex" \
    --srec-crc-addr 0x080FFFFC >/dev/null
srec_cat "$work/factory.hex" -Intel -fill 0xFF 0x08000000 0x080FFFFC -crop 0x08000000 0x080FFFFC \
    -STM32 0x080FFFFC -o "$work/srec.hex" -Intel 2>/dev/null

# run_line N: line N in Debug\ through post.bat (CRLF, as a Windows editor saves it).
run_line() {
    local line=${lines[$1]//C:\\stickboot/$win_release}
    line=${line//\$\{ProjName\}/myapp}
    printf '@echo off\r\n%s\r\n' "$line" >"$work/Debug/post.bat"
    (cd "$work/Debug" && "$loader" cmd /c post.bat </dev/null)
}
check "Windows pack line runs in cmd" run_line 0
check "... IMAGE.BIN equals the Linux build's pack" cmp "$work/Debug/IMAGE.BIN" "$work/ref.bin"
rm -f "$work/Debug/IMAGE.BIN"
check "Windows production line runs in cmd" run_line 1
check "... IMAGE.BIN is the SREC_CRC_ADDR image" cmp "$work/Debug/IMAGE.BIN" "$work/ref-srec.bin"
check "... factory-crc.hex equals srec_cat -STM32 over factory.hex" cmp "$work/Debug/factory-crc.hex" "$work/srec.hex"
# A failing step fails the line (and so the CubeIDE build): no ELF, exit status not 0.
rm "$work/Debug/myapp.elf"
if run_line 0 >/dev/null 2>&1; then fail "a missing .elf makes the line fail"; else
    pass "a missing .elf makes the line fail"; fi
