#!/usr/bin/env bash
# A short run of the fuzz targets that have no suite of their own (fuzz_fs and fuzz_usb run in
# fs_fuzz.sh and usb_fuzz.sh): the trailer/update target and stickimg's HEX and ELF readers.
# `make reliability` and `make fuzz` run every target long.
cd "$(dirname "$0")/../.."
exec python3 scripts/reliability/fuzz.py --quick --seconds "${RELIABILITY_FUZZ_QUICK_SECONDS:-8}" \
    --targets trailer,hex,elf --suite "$(basename "$0" .sh)"
