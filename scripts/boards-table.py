#!/usr/bin/env python3
"""The table of boards in docs/porting.md, generated from the board headers and the emulator.

    boards-table.py            print the table
    boards-table.py write      rewrite it in docs/porting.md (between the boards-table markers)
    boards-table.py check      PASS/FAIL: docs/porting.md holds the current table

Each row comes from firmware/boards/<board>.h (read through the C preprocessor), whether
`build/stickemu --board list` knows the board, and which emulator suites run it. "Hardware" is
what the header declares with BOARD_HW_TESTED (none does): stickboot has not run on a board.
"""
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "porting.md")
BEGIN, END = "<!-- boards-table -->", "<!-- /boards-table -->"
# Suites that run a board besides its own tests/suites/board_<name>_emu.sh.
OTHER_SUITES = {"f4discovery": "update_emu, hcd_otgfs_emu, lifecycle_emu, reliability_* (all the "
                "emulator suites)", "nucleo-f446ze": "nucleo_emu"}


def macros(header):
    out = subprocess.run(["cpp", "-dM", "-include", header, "/dev/null"], capture_output=True,
                         text=True, check=True).stdout
    d = {}
    for line in out.splitlines():
        m = re.match(r"#define (BOARD_\w+) (.*)", line)
        if m:
            d[m.group(1)] = m.group(2).strip()
    return d


def num(d, key, default=0):
    if key not in d:
        return default
    return eval(re.sub(r"\b(0x[0-9A-Fa-f]+|[0-9]+)u\b", r"\1", d[key]))


def pin(port, p):
    return "P%s%d" % ("ABCDEFGHI"[port], p)


def emulator_boards():
    try:
        out = subprocess.run([os.path.join(ROOT, "build", "stickemu"), "--board", "list"],
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        sys.exit("boards-table.py: build/stickemu --board list failed (make build/stickemu)")
    return set(out.split())


def table():
    emu = emulator_boards()
    rows = ["| board | chip | flash | SRAM | CCM | HSE | SYSCLK | USB host port | VBUS switch | "
            "LED / button | emulator | hardware |", "|" + "---|" * 12]
    for header in sorted(glob.glob(os.path.join(ROOT, "firmware", "boards", "*.h"))):
        if os.path.basename(header) == "board.h":
            continue
        d = macros(header)
        name = d["BOARD_NAME"].strip('"')
        chip = d.get("BOARD_CHIP", "?").strip('"')
        flash = num(d, "BOARD_FLASH_SIZE") // 1024
        dual = num(d, "BOARD_FLASH_DUAL_BANK")
        sram = num(d, "BOARD_SRAM_SIZE") // 1024
        ccm = "%d KB" % (num(d, "BOARD_CCM_SIZE") // 1024) if num(d, "BOARD_CCM_SIZE") else "none"
        hse = "%d MHz %s" % (num(d, "BOARD_HSE_HZ") // 1000000,
                             "bypass" if num(d, "BOARD_HSE_BYPASS") else "crystal")
        sysclk = "%d MHz" % (num(d, "BOARD_SYSCLK_HZ") // 1000000)
        usb = "OTG_HS, FS PHY PB14/PB15" if num(d, "BOARD_USB_OTG_HS") else "OTG_FS PA11/PA12"
        if num(d, "BOARD_VBUS_SWITCH"):
            vbus = "%s, %s" % (pin(num(d, "BOARD_VBUS_PORT"), num(d, "BOARD_VBUS_PIN")),
                               "low = on" if num(d, "BOARD_VBUS_ACTIVE_LOW") else "high = on")
        else:
            vbus = "none (5 V rail)"
        leds = sorted({num(d, "BOARD_LED_" + c) for c in ("GREEN", "ORANGE", "RED", "BLUE")})
        led = "%s%s / %s %s" % (
            ", ".join(pin(num(d, "BOARD_LED_PORT"), p) for p in leds),
            " (low = lit)" if num(d, "BOARD_LED_ACTIVE_LOW") else "",
            pin(num(d, "BOARD_BUTTON_PORT"), num(d, "BOARD_BUTTON_PIN")),
            "high" if num(d, "BOARD_BUTTON_ACTIVE_HIGH") else "low")
        suites = []
        if os.path.exists(os.path.join(ROOT, "tests", "suites", "board_%s_emu.sh" % name)):
            suites.append("board_%s_emu" % name)
        if name in OTHER_SUITES:
            suites.append(OTHER_SUITES[name])
        tested = ("tested: " + "; ".join(suites)) if name in emu and suites else \
            ("modeled, no suite" if name in emu else "not modeled")
        hw = "tested" if num(d, "BOARD_HW_TESTED") else "never"
        rows.append("| `%s` | %s | %d KB%s | %d KB | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            name, chip, flash, " (2 banks)" if dual else "", sram, ccm, hse, sysclk, usb, vbus, led,
            tested, hw))
    return "\n".join(rows) + "\n"


def main():
    t = table()
    mode = sys.argv[1] if len(sys.argv) > 1 else "print"
    if mode == "print":
        sys.stdout.write(t)
        return 0
    doc = open(DOC).read()
    m = re.search(re.escape(BEGIN) + r"\n(.*?)" + re.escape(END), doc, re.S)
    if not m:
        print("FAIL boards_table: no %s ... %s markers in docs/porting.md" % (BEGIN, END))
        return 1
    if mode == "write":
        open(DOC, "w").write(doc[:m.start(1)] + t + doc[m.end(1):])
        return 0
    if m.group(1) == t:
        print("PASS boards_table: docs/porting.md holds the generated table of boards")
        return 0
    print("FAIL boards_table: docs/porting.md's table of boards is stale (make boards-table)")
    return 1


if __name__ == "__main__":
    sys.exit(main())
