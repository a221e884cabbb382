#!/usr/bin/env bash
# fs/ code size in the bootloader: Thumb, -Os, as the firmware build compiles it. Budget 2.5 KB.
cd "$(dirname "$0")/../.."
. tests/lib.sh
mkdir -p build/fs-size
if arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -Os -ffunction-sections -fdata-sections -std=c11 \
    -Wall -Wextra -Werror -ffreestanding -Ifirmware/core -Ifirmware/fs -c firmware/fs/fs.c \
    -o build/fs-size/fs.o 2>build/fs-size/log.txt; then
    read -r text _ < <(arm-none-eabi-size build/fs-size/fs.o | tail -n 1)
    check "fs/ text $text bytes <= 2560" test "$text" -le 2560
else
    fail "fs/ builds for Thumb" "$(cat build/fs-size/log.txt)"
fi
