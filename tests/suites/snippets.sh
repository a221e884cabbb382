#!/usr/bin/env bash
# The build snippets of docs/moving-your-app.md (docs/snippets/stickboot.mk and
# stickboot.cmake) used by a small Make project and a small CMake project that build the
# example app; the IMAGE.BIN they make must pass `stickimg verify` and install in stickemu.
# Also the dry run of docs/troubleshooting.md (a dd'ed stick image in stickemu).
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
ROOT=$PWD
d=$ROOT/$SCEN_DIR
make -s --no-print-directory firmware build/stickimg build/stickemu >/dev/null 2>&1

# A doc must show the snippet files as they are, so the tested text is the published text.
for f in stickboot.mk stickboot.cmake; do
    check "docs/moving-your-app.md shows docs/snippets/$f verbatim" python3 - "$f" <<'PY'
import sys
snippet = open("docs/snippets/" + sys.argv[1]).read()
sys.exit(0 if snippet in open("docs/moving-your-app.md").read() else 1)
PY
done

# installs_in_emu NAME IMAGE [APP_BASE]: IMAGE on a FAT32 stick installs and the app runs.
installs_in_emu() {
    local bl=build/stickboot.bin
    [ "${3:-0x08004000}" = 0x08008000 ] && bl=build/f4discovery-app8000/stickboot.bin
    make_fat_stick "$d/stick.img" 64 32 "$2"
    rm -f "$d/flash.bin"
    local out
    out=$("$EMU" --flash "$d/flash.bin" --load 0x08000000 "$bl" --stick "$d/stick.img" \
        --stop-after-app-ms 1200 2>&1)
    if [ "$(result_key "$out" state)" = app ] && [ "$(result_key "$out" app_entry)" != - ] &&
        [ "$(grep -c 'LED green on' <<<"$out")" -ge 2 ]; then
        pass "$1: installs from a stick in stickemu and blinks"
    else
        fail "$1: installs from a stick in stickemu and blinks" "$(tail -n 5 <<<"$out")"
    fi
}
version_of() { build/stickimg info "$1" --json 2>/dev/null | sed -n 's/.*"version": *"\([^"]*\)".*/\1/p'; }

# --- Make: a project Makefile that includes the snippet
mk=$d/make
rm -rf "$mk" && mkdir -p "$mk"
sed 's/^> /\t/' >"$mk/Makefile" <<EOF2
# The example app as a user's Make project would build it.
ROOT := $ROOT
APP_BASE ?= 0x08004000
CFLAGS := -mcpu=cortex-m4 -mthumb -Os -ffreestanding -ffunction-sections -fdata-sections \\
	-I\$(ROOT)/app -I\$(ROOT)/firmware -I\$(ROOT)/firmware/boards \\
	-DBOARD_HEADER='"boards/f4discovery.h"' -DSTICKBOOT_APP_BASE=\$(APP_BASE)
all:
app.ld: \$(ROOT)/app/app.ld.in
> arm-none-eabi-gcc -E -P -x c -DAPP_BASE=\$(APP_BASE) -DFLASH_END=0x08100000 \$< -o \$@
app.elf: \$(ROOT)/app/startup.c \$(ROOT)/app/blink.c app.ld
> arm-none-eabi-gcc \$(CFLAGS) -nostdlib -nostartfiles -Wl,--gc-sections -T app.ld \\
> 	\$(filter %.c,\$^) -lgcc -o \$@

STICKIMG := \$(ROOT)/build/stickimg
STICKBOOT_ELF := app.elf
STICKBOOT_APP_BASE := \$(APP_BASE)
STICKBOOT_VERSION := 1.2.3
include \$(ROOT)/docs/snippets/stickboot.mk
all: \$(STICKBOOT_IMAGE)
EOF2
out=$(make -C "$mk" 2>&1)
check "Make project with stickboot.mk builds IMAGE.BIN" test -f "$mk/IMAGE.BIN" -a -f "$mk/app.elf"
[ -f "$mk/IMAGE.BIN" ] || printf '  %s\n' "$out" | tail -n 10
check "Make snippet: stickimg verify accepts the image" build/stickimg verify "$mk/IMAGE.BIN"
check "Make snippet: the version is the one the Makefile set ($(version_of "$mk/IMAGE.BIN"))" \
    test "$(version_of "$mk/IMAGE.BIN")" = 1.2.3
installs_in_emu "Make snippet image" "$mk/IMAGE.BIN"
before=$(stat -c %Y.%s "$mk/IMAGE.BIN")
sleep 1
make -C "$mk" >/dev/null 2>&1
check "Make snippet: nothing is rebuilt when nothing changed" test "$(stat -c %Y.%s "$mk/IMAGE.BIN")" = "$before"
touch "$mk/app.elf"
make -C "$mk" >/dev/null 2>&1
check "Make snippet: a new ELF makes a new IMAGE.BIN" test "$(stat -c %Y.%s "$mk/IMAGE.BIN")" != "$before"
check "Make snippet: SREC_CRC_ADDR reaches stickimg" \
    grep -q -- '--srec-crc-addr 0x080FFFFC' <<<"$(make -C "$mk" -B -n stickboot-image STICKBOOT_SREC_CRC_ADDR=0x080FFFFC)"

# The same project for APP_BASE=0x08008000: the option reaches stickimg.
mk8=$d/make8000
rm -rf "$mk8" && mkdir -p "$mk8" && cp "$mk/Makefile" "$mk8/"
make -s --no-print-directory firmware APP_BASE=0x08008000 >/dev/null 2>&1
make -C "$mk8" APP_BASE=0x08008000 >/dev/null 2>&1
check "Make snippet, APP_BASE=0x08008000: verify --app-base 0x08008000 accepts" \
    build/stickimg verify "$mk8/IMAGE.BIN" --app-base 0x08008000
if build/stickimg verify "$mk8/IMAGE.BIN" -q >/dev/null 2>&1; then
    fail "Make snippet, APP_BASE=0x08008000: a 0x08004000 bootloader would refuse it"
else
    pass "Make snippet, APP_BASE=0x08008000: a 0x08004000 bootloader would refuse it"
fi
installs_in_emu "Make snippet image at 0x08008000" "$mk8/IMAGE.BIN" 0x08008000

# --- CMake: a project CMakeLists.txt that includes the snippet
if ! command -v cmake >/dev/null 2>&1; then
    skip "CMake snippet" "cmake not installed (scripts/install-deps.sh installs it)"
else
    cm=$d/cmake
    rm -rf "$cm" && mkdir -p "$cm/src"
    cat >"$cm/src/CMakeLists.txt" <<'EOF2'
# The example app as a user's CMake project would build it (arm-none-eabi-gcc, bare metal).
cmake_minimum_required(VERSION 3.13)
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
project(snippet_app C)

set(APP_BASE 0x08004000)
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/app.ld
    COMMAND arm-none-eabi-gcc -E -P -x c -DAPP_BASE=${APP_BASE} -DFLASH_END=0x08100000
            ${ROOT}/app/app.ld.in -o ${CMAKE_BINARY_DIR}/app.ld
    DEPENDS ${ROOT}/app/app.ld.in)
add_custom_target(linker_script DEPENDS ${CMAKE_BINARY_DIR}/app.ld)

add_executable(app ${ROOT}/app/startup.c ${ROOT}/app/blink.c)
add_dependencies(app linker_script)
target_include_directories(app PRIVATE ${ROOT}/app ${ROOT}/firmware ${ROOT}/firmware/boards)
target_compile_definitions(app PRIVATE BOARD_HEADER="boards/f4discovery.h"
                                       STICKBOOT_APP_BASE=${APP_BASE})
target_compile_options(app PRIVATE -mcpu=cortex-m4 -mthumb -Os -ffreestanding
                                   -ffunction-sections -fdata-sections)
target_link_options(app PRIVATE -mcpu=cortex-m4 -mthumb -nostdlib -nostartfiles
                                -Wl,--gc-sections -T${CMAKE_BINARY_DIR}/app.ld)
target_link_libraries(app PRIVATE gcc)

include(${ROOT}/docs/snippets/stickboot.cmake)
stickboot_image(app APP_BASE ${APP_BASE} VERSION 1.2.4)
EOF2
    out=$(cmake -S "$cm/src" -B "$cm/build" -DROOT="$ROOT" -DSTICKIMG="$ROOT/build/stickimg" 2>&1 &&
        cmake --build "$cm/build" 2>&1)
    check "CMake project with stickboot.cmake builds IMAGE.BIN after the executable" \
        test -f "$cm/build/IMAGE.BIN" -a -f "$cm/build/app"
    [ -f "$cm/build/IMAGE.BIN" ] || printf '  %s\n' "$out" | tail -n 15
    check "CMake snippet: stickimg verify accepts the image" build/stickimg verify "$cm/build/IMAGE.BIN"
    check "CMake snippet: the version is the one CMakeLists.txt set ($(version_of "$cm/build/IMAGE.BIN"))" \
        test "$(version_of "$cm/build/IMAGE.BIN")" = 1.2.4
    installs_in_emu "CMake snippet image" "$cm/build/IMAGE.BIN"
fi

# --- docs/troubleshooting.md: dry run of a stick image taken with dd (MBR + FAT32 partition,
# as a whole-stick dd gives), with the exact stickemu command of the doc.
dry=$d/dry
rm -rf "$dry" && mkdir -p "$dry/build"
cp build/stickboot.bin "$dry/build/"
cp "$EMU" "$dry/build/"
build/stickimg pack build/blink.bin -o "$dry/IMAGE.BIN" --version 3.0.0 -q
truncate -s 64M "$dry/stick.img"
echo 'start=2048, type=c' | sfdisk -q "$dry/stick.img"
mkfs.fat -F 32 --offset 2048 "$dry/stick.img" $((63 * 1024)) >/dev/null
MTOOLS_SKIP_CHECK=1 mcopy -i "$dry/stick.img@@1M" "$dry/IMAGE.BIN" ::IMAGE.BIN
cmd=$(grep -o 'build/stickemu --flash flash.bin --load 0x08000000 build/stickboot.bin --stick stick.img --trace scsi' docs/troubleshooting.md | head -n 1)
check "docs/troubleshooting.md has the dry-run command" test -n "$cmd"
out=$(cd "$dry" && $cmd 2>&1)
check "dry run: the bootloader installs IMAGE.BIN from the dd'ed stick and starts it" \
    test "$(result_key "$out" state)" = app -a "$(result_key "$out" erases)" = 0
check "dry run: --trace scsi shows the SCSI commands (READ(10))" grep -qi 'read(10)\|read10\|0x28' <<<"$out"
out=$(cd "$dry" && $cmd 2>&1)
check "dry run again on the same flash.bin: up to date, no flash operation" \
    test "$(result_key "$out" state)-$(result_key "$out" flash_ops)" = app-0

# --- docs/moving-your-app.md, production file for an SREC_CRC_ADDR bootloader: factory.hex with
# the CRC word from `stickimg crc`, and factory.hex alone (the bootloader writes the word).
make -s --no-print-directory firmware SREC_CRC_ADDR=0x080FFFFC >/dev/null 2>&1
fa=$d/factory
rm -rf "$fa" && mkdir -p "$fa"
build/stickimg pack build/blink.elf -o "$fa/IMAGE.BIN" --srec-crc-addr 0x080FFFFC --version 1.0.0 -q
build/stickimg factory build/f4discovery-srec/stickboot.bin "$fa/IMAGE.BIN" -o "$fa/factory.hex" \
    --srec-crc-addr 0x080FFFFC >/dev/null 2>&1
build/stickimg crc "$fa/factory.hex" --fill 0xFF --range 0x08000000:0x080FFFFC -o "$fa/factory-crc.hex" >/dev/null 2>&1
srec_cat "$fa/factory.hex" -Intel -fill 0xFF 0x08000000 0x080FFFFC -crop 0x08000000 0x080FFFFC \
    -STM32 0x080FFFFC -o "$fa/srec.hex" -Intel 2>/dev/null
check "factory recipe: stickimg crc writes what the thread's srec_cat command writes" \
    cmp "$fa/factory-crc.hex" "$fa/srec.hex"
out=$("$EMU" --flash "$fa/with-crc.bin" --load "$fa/factory-crc.hex" --run-ms 1000 2>&1)
check "factory-crc.hex boots the app with no flash operation" \
    test "$(result_key "$out" state)-$(result_key "$out" flash_ops)" = app-0
out=$("$EMU" --flash "$fa/without.bin" --load "$fa/factory.hex" --run-ms 1000 2>&1)
check "factory.hex alone: the bootloader writes the same CRC word at first boot, then starts the app" \
    test "$(result_key "$out" state)-$(result_key "$out" flash_ops)" = app-1 -a \
    "$(od -An -tx4 -j $((0xFFFFC)) -N4 "$fa/without.bin")" = "$(od -An -tx4 -j $((0xFFFFC)) -N4 "$fa/with-crc.bin")"

# --- the LED table is the same in README.md and docs/getting-started.md, and the error tables
# name every code of firmware/core/status.h with its number.
check "README.md and getting-started.md show the same status LED table" python3 - <<'PY'
import sys
def table(path, first):
    lines = open(path).read().splitlines()
    i = next(n for n, l in enumerate(lines) if l.startswith(first))
    rows = []
    while i < len(lines) and lines[i].startswith("|"):
        rows.append(lines[i]); i += 1
    return rows
head = "| what the bootloader does |"
a, b = table("README.md", head), table("docs/getting-started.md", head)
sys.exit(0 if a == b and len(a) == 7 else 1)
PY
for doc in docs/getting-started.md docs/troubleshooting.md; do
    check "$doc: error table matches status.h" python3 - "$doc" <<'PY'
import re, sys
codes = re.findall(r"SB_ERR_(\w+) = (\d+),", open("firmware/core/status.h").read())
doc = open(sys.argv[1]).read()
missing = [f"{n} {name}" for name, n in codes if not re.search(rf"^\| {n} \| {name} \|", doc, re.M)]
print(missing)
sys.exit(1 if missing or len(codes) < 12 else 0)  # codes are only ever added
PY
done

# --- docs/troubleshooting.md, "Make a test stick from a file": each command block, as printed,
# makes a stick the bootloader installs from.
blocks=$(python3 - <<'PY'
import re
text = open("docs/troubleshooting.md").read()
section = text.split("## Make a test stick from a file", 1)[1].split("\n## ", 1)[0]
for i, block in enumerate(re.findall(r"```\n(.*?)```", section, re.S)):
    open("build/scenarios/snippets/stick-block-%d.sh" % i, "w").write(block)
    print(i)
PY
)
check "troubleshooting.md shows two stick-making blocks" test "$(wc -w <<<"$blocks")" = 2
for i in $blocks; do
    rm -rf "$d/block$i" && mkdir -p "$d/block$i"
    cp build/image.bin "$d/block$i/IMAGE.BIN"
    if (cd "$d/block$i" && MTOOLS_SKIP_CHECK=1 bash -e "$d/stick-block-$i.sh" >/dev/null 2>&1); then
        out=$("$EMU" --flash "$d/block$i/flash.bin" --load 0x08000000 build/stickboot.bin \
            --stick "$d/block$i/stick.img" --stop-after-app-ms 200 2>&1)
        check "troubleshooting.md stick block $((i + 1)): the bootloader installs from it" \
            test "$(result_key "$out" state)-$(result_key "$out" programmed_words)" = "app-$(($(stat -c %s build/image.bin) / 4))"
    else
        fail "troubleshooting.md stick block $((i + 1)) runs"
    fi
done
