#!/usr/bin/env bash
# Self-protection (issue 19, docs/self-protection.md): the bootloader sets nWRP0 at the first
# boot, once; an application that erases sector 0 or the whole chip gets WRPERR and changes
# nothing; a power cut at every step of the option write leaves a board that boots and
# protects itself at the next boot. The option bytes persist in the --flash file.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
make -s --no-print-directory firmware app app-tests build/stickimg build/stickemu >/dev/null 2>&1
make -s --no-print-directory firmware PROTECT_BOOT=0 >/dev/null 2>&1
BL=build/stickboot.bin
BL_OFF=build/f4discovery-noprotect/stickboot.bin
SECTOR0=16384

pack() { build/stickimg pack "$1" -o "$2" --version 1.0.0 -q; }
pack build/blink.bin "$d/blink.bin"
pack build/app-erase0.bin "$d/erase0.bin"
pack build/app-masserase.bin "$d/masserase.bin"
# board FLASH BOOTLOADER APP: a fresh flash holding both, as a programmer leaves it.
board() {
    rm -f "$1"
    "$EMU" --flash "$1" --load 0x08000000 "$2" --load 0x08004000 "$3" --run-ms 0 >/dev/null 2>&1
}
run() { "$EMU" --flash "$1" --run-ms "${2:-400}" "${@:3}" 2>&1; }
same_sector0() { cmp -s -n "$(stat -c %s "$2")" "$1" "$2"; }

# --- first boot protects, second boot writes nothing
board "$d/f.bin" "$BL" "$d/blink.bin"
size_before=$(stat -c %s "$d/f.bin")
out=$(run "$d/f.bin")
check "first boot: one option write, nWRP0 clear, app runs" \
    test "$(result_key "$out" option_writes)-$(result_key "$out" nwrp)-$(result_key "$out" state)" = 1-0xffe-app
check "flash file without options is the flash size; with them 16 bytes more" \
    test "$size_before-$(stat -c %s "$d/f.bin")" = "1048576-1048592"
out=$(run "$d/f.bin")
check "second boot: no option write (idempotent), protection kept" \
    test "$(result_key "$out" option_writes)-$(result_key "$out" nwrp)-$(result_key "$out" state)" = 0-0xffe-app
head -c 1048576 "$d/f.bin" >"$d/old-format.bin"
out=$(run "$d/old-format.bin" 0)
check "an old flash file (no record) loads with no protection" test "$(result_key "$out" nwrp)" = 0xfff
cp "$d/f.bin" "$d/bad.bin"
printf 'X' | dd of="$d/bad.bin" bs=1 seek=1048576 conv=notrunc status=none
check "a damaged option record is refused (exit 2)" \
    bash -c '"$1" --flash "$2" --run-ms 0 >/dev/null 2>&1; test $? -eq 2' _ "$EMU" "$d/bad.bin"

# --- hostile applications, protected and (control) unprotected
for app in erase0 masserase; do
    board "$d/$app.f" "$BL" "$d/$app.bin"
    out=$(run "$d/$app.f" 600)
    if grep -q 'WRPERR' <<<"$out" && [ "$(result_key "$out" erases)" = 0 ] &&
        same_sector0 "$d/$app.f" "$BL" && [ "$(result_key "$out" state)" = app ]; then
        pass "$app app on a protected board: WRPERR, nothing erased"
    else
        fail "$app app on a protected board: WRPERR, nothing erased" "$(grep -E 'WRPERR|erase|^result' <<<"$out")"
    fi
    out=$(run "$d/$app.f" 600)
    check "$app: the bootloader still starts the app at the next boot" \
        test "$(result_key "$out" state)" = app -a "$(result_key "$out" app_entry)" != -
    board "$d/$app-off.f" "$BL_OFF" "$d/$app.bin"
    out=$(run "$d/$app-off.f" 600)
    out2=$(run "$d/$app-off.f" 600)
    if [ "$(result_key "$out" erases)" = 1 ] && ! same_sector0 "$d/$app-off.f" "$BL_OFF" &&
        [ "$(result_key "$out2" app_entry)" = - ]; then
        pass "$app control, PROTECT_BOOT=0: the bootloader is erased, the board is dead"
    else
        fail "$app control, PROTECT_BOOT=0: the bootloader is erased, the board is dead" \
            "$(grep '^result' <<<"$out$out2")"
    fi
done

# --- a power cut at every step of the option write
# Steps 1-5 are the register writes (OPTKEYR x2, OPTCR, OPTCR|OPTSTRT, OPTCR|OPTLOCK); the
# programming itself (16 ms modeled) is cut at 0, 2, ... 16 ms after it starts (--cut-at-ms:
# the interrupted programming leaves undefined option bytes).
board "$d/ref.f" "$BL" "$d/blink.bin"
t0=$(run "$d/ref.f" | sed -n 's/^\[ *\([0-9.]*\) ms\] flash: option programming started.*/\1/p')
cases=()
for n in 1 2 3 4 5; do cases+=("--cut-at-option-write $n"); done
for ms in 0 2 4 6 8 10 12 14 15.99; do
    cases+=("--cut-at-ms $(awk -v a="$t0" -v b="$ms" 'BEGIN { printf "%.6f", a + b }')")
done
bad=0 rdp1=0 n=0
for c in "${cases[@]}"; do
    n=$((n + 1))
    board "$d/cut.f" "$BL" "$d/blink.bin"
    # shellcheck disable=SC2086
    cut=$(run "$d/cut.f" 400 $c)
    a=$(run "$d/cut.f")
    b=$(run "$d/cut.f")
    grep -q 'RDP=0x[0-9a-f]* (level 1)' <<<"$cut" && rdp1=$((rdp1 + 1))
    if [ "$(result_key "$cut" state)" != cut ] || [ "$(result_key "$a" state)" != app ] ||
        [ "$(result_key "$a" nwrp)" != 0xffe ] ||
        [ "$(result_key "$b" option_writes)-$(result_key "$b" state)" != 0-app ] ||
        ! same_sector0 "$d/cut.f" "$BL"; then
        bad=$((bad + 1))
        echo "  cut $c: $(grep -E 'option|^result' <<<"$cut" | tail -n 2 | cut -c1-200)"
        echo "  next: $(grep '^result' <<<"$a" | cut -c1-200)"
    fi
done
check "power cut at each of $n steps of the option write: next boot protects, app runs, third boot writes nothing ($rdp1 cuts left RDP level 1)" \
    test "$bad" = 0 -a -n "$t0"
