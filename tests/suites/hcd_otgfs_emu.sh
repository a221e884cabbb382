#!/usr/bin/env bash
# The bootloader's OTG_FS driver (firmware/stm32f4/hcd_otgfs.c) on the corrected core model:
# OUT/SETUP channels disabled by the core at XFRC, halts through the request queue, flushes that
# wait only for the flush bits, and the policy for a USB clock out of tolerance (no crystal).
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
make -s --no-print-directory firmware app build/stickimg build/stickemu >/dev/null 2>&1
make -s --no-print-directory firmware app BOARD=nucleo-f446ze >/dev/null 2>&1
BL=build/stickboot.bin
run() { "$EMU" "$@" 2>&1; }

build/stickimg pack build/blink.bin -o "$d/v1.bin" --version 1.0.0 -q
build/stickimg pack build/blink.bin -o "$d/v2.bin" --version 2.0.0 -q
make_fat_stick "$d/v1.img" 32 16 "$d/v1.bin"
make_fat_stick "$d/v2.img" 32 16 "$d/v2.bin"

# --- a full install: every transfer completes, the model saw no register misuse
fresh_flash "$d/f.bin" "$BL"
out=$(run --flash "$d/f.bin" --stick "$d/v1.img" --stop-after-app-ms 200 --trace usb)
check "install on the corrected OTG_FS model runs the app" test "$(result_key "$out" state)" = app
check "no firmware errors reported by the OTG_FS model" test "$(result_key "$out" otg_errors)" = 0
check "no transaction errors" test "$(result_key "$out" xact_errors)" = 0
# SETUP and status OUT stages complete without a halt (the core disabled the channel): the
# trace shows each control OUT "done" and the next SETUP follows on the same channel.
outs=$(grep -c 'CTRL OUT dev [01] ep 0: done' <<<"$out")
check "control OUT stages complete ($outs)" test "$outs" -ge 5

# --- flush: TXFNUM reads back what was written, so waiting for it to clear burnt 2 ms.
# Core soft reset to VBUS on = the 50 ms mode-switch delay plus the init writes.
t_reset=$(sed -n 's/^\[ *\([0-9.]*\) ms\] usb: core soft reset$/\1/p' <<<"$out" | head -n 1)
t_vbus=$(sed -n 's/^\[ *\([0-9.]*\) ms\] VBUS on$/\1/p' <<<"$out" | head -n 1)
check "core init does not wait out the flush bound ($t_reset -> $t_vbus ms)" \
    awk -v a="$t_reset" -v b="$t_vbus" 'BEGIN { exit !(a > 0 && b - a < 51.0) }'

# --- a halt that never completes: the driver restarts the core (soft reset, port power, port
# reset) instead of reusing the channel, and the session recovers. A test build drops the Nth
# halt request (5: during enumeration, 20: between mass-storage commands).
for n in 5 20; do
    make -s --no-print-directory firmware PROBE_MS=297 FW_EXTRA_DEFS=-DSTICKBOOT_TEST_LOSE_HALT=$n \
        >/dev/null 2>&1
    fresh_flash "$d/lost.bin" "$(make -s --no-print-directory print-fw-out PROBE_MS=297)/stickboot.bin"
    out=$(run --flash "$d/lost.bin" --stick "$d/v1.img" --stop-after-app-ms 100 --run-ms 30000 --trace usb)
    resets=$(grep -c 'usb: core soft reset' <<<"$out")
    check "halt $n lost: core restarted ($resets soft resets), install completes, no register misuse" \
        test "$resets-$(result_key "$out" state)-$(result_key "$out" otg_errors)" = 2-app-0
done

# --- no crystal: the PLL runs from HSI (+-1 %), USB needs +-0.25 %: USB is not used.
out=$(run --flash "$d/f.bin" --stick "$d/v2.img" --no-hse --stop-after-app-ms 100 --trace gpio)
entry=$(result_key "$out" app_entry_ms)
check "no crystal + valid app: app on time ($entry ms), stick untouched" \
    awk -v t="$entry" -v b="$(result_key "$out" usb_out_bytes)" -v e="$(result_key "$out" port_resets)" \
    'BEGIN { exit !(t > 0 && t <= 310 && b == 0 && e == 0) }'
check "no crystal + valid app: no error shown" test "$(grep -c 'LED red on' <<<"$out")" = 0
out=$(run --flash "$d/f.bin" --stick "$d/v2.img" --no-hse --button --stop-after-app-ms 100 --trace gpio)
reds=$(grep -c 'LED red on' <<<"$out")
# (the example app, seeing the button still held, asks for an update again: entry is what counts)
entry=$(result_key "$out" app_entry_ms)
check "no crystal + button: error 13 once ($reds blinks), then the app ($entry ms)" \
    test "$reds-${entry%%.*}-$(result_key "$out" usb_out_bytes)" = 13-6100-0
fresh_flash "$d/e.bin" "$BL"
out=$(run --flash "$d/e.bin" --stick "$d/v2.img" --no-hse --run-ms 12000 --trace gpio)
reds=$(grep -c 'LED red on' <<<"$out")
check "no crystal + no app: error 13 repeated ($reds blinks), nothing installed" \
    test "$reds-$(result_key "$out" state)-$(result_key "$out" programmed_words)" = 26-bootloader-0
# The same on NUCLEO-F446ZE, where a missing ST-LINK clock output means no HSE.
NBL=build/nucleo-f446ze-default/stickboot.bin
if [ -f "$NBL" ]; then
    rm -f "$d/n.bin"
    "$EMU" --board nucleo-f446ze --flash-size 512K --flash "$d/n.bin" --load 0x08000000 "$NBL" \
        --run-ms 0 >/dev/null 2>&1
    out=$(run --board nucleo-f446ze --flash-size 512K --flash "$d/n.bin" --stick "$d/v2.img" \
        --no-hse --run-ms 12000 --trace gpio)
    check "nucleo, no HSE + no app: error 13, USB unused" \
        test "$(result_key "$out" usb_out_bytes)-$(grep -c 'LED red on' <<<"$out")" = 0-26
else
    fail "nucleo bootloader built" "no $NBL"
fi
