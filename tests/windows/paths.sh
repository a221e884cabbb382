#!/usr/bin/env bash
# build/windows/stickimg.exe under wine, what only Windows has: imports, backslashes, drive
# letters, names with spaces, CRLF hex files, replacing an existing output, binary stdout,
# no wildcard expansion, the commands a build without libcrypto has. Every output is compared
# with the Linux build's. Wine maps drive Z: to / (its default configuration).
cd "$(dirname "$0")/../.."
. tests/lib.sh
W=tests/windows/stickimg-wine
L=build/stickimg
work=$(mktemp -d "$PWD/build/win-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
rel=${work#"$PWD"/}
winrel=${rel//\//\\}           # build\win-test.X, relative to the current directory
winabs="Z:${work//\//\\}"      # Z:\work\...\build\win-test.X

imports=$(x86_64-w64-mingw32-objdump -p build/windows/stickimg.exe | sed -n 's/^\tDLL Name: //p' |
    tr 'A-Z' 'a-z' | sort | tr '\n' ' ')
check "stickimg.exe imports only KERNEL32.dll and msvcrt.dll (got: $imports)" \
    test "$imports" = "kernel32.dll msvcrt.dll "
check "stickimg.exe --version prints the release version" \
    test "$($W --version)" = "stickimg $(cat build/version.txt) (image format 1)"
check "stickimg.exe --version equals the Linux build's" test "$($W --version)" = "$($L --version)"

mkdir -p "$work/my app" "$work/out dir"
arm-none-eabi-objcopy -O ihex build/blink.elf "$work/my app/blink.hex"
sed 's/$/\r/' "$work/my app/blink.hex" >"$work/my app/blink-crlf.hex"
check "the CRLF copy has CR LF line ends" grep -q $'\r$' "$work/my app/blink-crlf.hex"
cp build/blink.bin "$work/my app/blink.bin"
$L pack build/blink.bin -q --version 1.2.3 -o "$work/ref.bin"

check "pack with a backslash path, spaces in names" \
    $W pack "$winrel\\my app\\blink.bin" -q --version 1.2.3 -o "$winrel\\out dir\\IMAGE 1.BIN"
check "... gives the Linux build's image" cmp "$work/out dir/IMAGE 1.BIN" "$work/ref.bin"
check "pack with drive-letter paths (Z:\\...)" \
    $W pack "$winabs\\my app\\blink.bin" -q --version 1.2.3 -o "$winabs\\out dir\\image2.bin"
check "... gives the Linux build's image" cmp "$work/out dir/image2.bin" "$work/ref.bin"
check "pack a CRLF Intel HEX" $W pack "$winabs\\my app\\blink-crlf.hex" -q --version 1.2.3 \
    -o "$winrel\\out dir\\from-crlf.bin"
check "... gives the same image as the .bin" cmp "$work/out dir/from-crlf.bin" "$work/ref.bin"
check "pack over an existing output replaces it" \
    $W pack "$winrel\\my app\\blink.hex" -q --version 1.2.3 -o "$winrel\\out dir\\image2.bin"
check "... and leaves no temporary file" test ! -e "$work/out dir/image2.bin.tmp"
check "verify and info with a drive-letter path" \
    bash -c "$W verify -q '$winabs\\out dir\\IMAGE 1.BIN' && $W info '$winabs\\out dir\\IMAGE 1.BIN' >/dev/null"
check "info --json of the .exe equals the Linux build's, but for the path" \
    test "$($W info --json "$rel/out dir/IMAGE 1.BIN")" = "$($L info --json "$rel/out dir/IMAGE 1.BIN")"

check "crc of a CRLF hex into a .hex with spaces in its name" \
    $W crc "$winabs\\my app\\blink-crlf.hex" --fill 0xFF --range 0x08000000:0x080FFFFC \
    -o "$winabs\\out dir\\ROM 1.hex"
$L crc "$work/my app/blink.hex" --fill 0xFF --range 0x08000000:0x080FFFFC -o "$work/ROM-linux.hex"
check "... byte-identical to the Linux build's (LF line ends on both)" \
    cmp "$work/out dir/ROM 1.hex" "$work/ROM-linux.hex"
check "crc value of the .exe equals the Linux build's" \
    test "$($W crc "$winrel\\my app\\blink-crlf.hex")" = "$($L crc "$work/my app/blink.hex")"
if [ -f build/stickboot.bin ]; then
    $L factory build/stickboot.bin "$work/ref.bin" -o "$work/factory-linux.hex"
    check "factory with backslash paths equals the Linux build's" bash -c \
        "$W factory build\\\\stickboot.bin '$winrel\\out dir\\IMAGE 1.BIN' -o '$winrel\\out dir\\factory.hex' &&
         cmp '$work/out dir/factory.hex' '$work/factory-linux.hex'"
else
    skip "factory with backslash paths" "build/stickboot.bin not built"
fi
check "binary output to stdout (-o -) is not altered" \
    cmp <($W pubkey --raw -o - keys/dev-key.pem) <($L pubkey --raw keys/dev-key.pem)
err=$($W pack "$rel/my app/*.bin" -o "$work/x.bin" 2>&1)
check "a * in an argument reaches stickimg as it is (no wildcard expansion)" \
    grep -q 'my app/\*.bin: cannot open' <<<"$err"
unavailable() {
    local name=$1 err rc
    shift
    err=$("$@" 2>&1)
    rc=$?
    if [ $rc -eq 1 ] && grep -q "$name: not available in this build" <<<"$err"; then
        pass "$name says it is not available on Windows"
    else
        fail "$name says it is not available on Windows" "exit $rc: $err"
    fi
}
unavailable keygen $W keygen -o "$winrel\\k.pem"
check "... and writes no key" test ! -e "$work/k.pem"
unavailable sign $W sign "$winrel\\out dir\\IMAGE 1.BIN" --key keys\\dev-key.pem -o "$winrel\\x.bin"
unavailable "pack --key" $W pack build/blink.bin --key keys/dev-key.pem -o "$winrel\\x.bin"
