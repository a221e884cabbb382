#!/usr/bin/env bash
# The SECURE=1 rollback floor in stickemu (issue 15): v2 installed; a signed v3 update fails
# after its first erase (stick pulled, power cut at a flash operation); a signed v1 stick must
# then be refused (error 10, nothing programmed) and a v2 or v3 stick must install.
# Cuts: the first 6 flash operations (the floor pair, the first erases) and every
# ROLLBACK_STRIDE-th after them (default 2000; 1 = every operation, for `make reliability`).
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
S=$STICKIMG
stride=${ROLLBACK_STRIDE:-2000}
make -s --no-print-directory firmware app build/stickimg build/stickemu >/dev/null 2>&1
if ! make -s --no-print-directory firmware SECURE=1 >"$d/build.log" 2>&1; then
    fail "make firmware SECURE=1" "$(tail -n 20 "$d/build.log")"
    exit 0
fi
BL=build/f4discovery-secure/stickboot.bin
KEY=keys/dev-key.pem
python3 -c "import random,sys; r=random.Random(15); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(40960)))" >"$d/pad.bin"
cat build/blink.bin "$d/pad.bin" >"$d/app.raw"
for v in 1 2 3; do
    $S pack "$d/app.raw" -o "$d/v$v.bin" --version $v.0.0 --key $KEY -q
    make_fat_stick "$d/v$v.img" 64 32 "$d/v$v.bin"
done
version_of() { # FLASH -> installed version or "none"
    local len
    len=$(od -An -tu4 -j $((0x4000 + 28)) -N4 "$1" | tr -d ' ')
    [ "$len" -gt 0 ] 2>/dev/null && [ "$len" -lt 1000000 ] || { echo none; return; }
    tail -c +$((0x4000 + 1)) "$1" | head -c $((len + 100)) >"$d/dump.bin"
    $S info "$d/dump.bin" --json 2>/dev/null | sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' | grep . || echo none
}
v2_board() {
    fresh_flash "$d/f.bin" "$BL"
    "$EMU" --flash "$d/f.bin" --load 0x08004000 "$d/v2.bin" --run-ms 0 >/dev/null 2>&1
}
# after_failure NAME: the board after a failed v3 update; v1 refused, then v2 installs.
after_failure() {
    local name=$1 out
    cp "$d/f.bin" "$d/g.bin"
    out=$("$EMU" --flash "$d/g.bin" --stick "$d/v1.img" --run-ms 700 2>&1)
    local v1_ops v1_state
    v1_ops=$(result_key "$out" flash_ops)
    v1_state=$(version_of "$d/g.bin")
    if [ "$v1_state" = 1.0.0 ] || [ "${v1_ops:-1}" -ne 0 ] || ! grep -q 'LED red on' <<<"$out"; then
        fail "$name: signed v1 refused" "installed $v1_state, flash_ops $v1_ops"
        return 1
    fi
    out=$("$EMU" --flash "$d/g.bin" --stick "$d/v2.img" --stop-after-app-ms 200 --run-ms 15000 2>&1)
    if [ "$(version_of "$d/g.bin")-$(result_key "$out" state)" != 2.0.0-app ]; then
        fail "$name: v2 installs afterwards" "$(grep '^result' <<<"$out")"
        return 1
    fi
    return 0
}

# Stick pulled during programming (issue 15's case).
v2_board
out=$("$EMU" --flash "$d/f.bin" --stick "$d/v3.img" --trace flash --run-ms 6000 2>&1)
first_prog=$(grep -m1 'flash: program' <<<"$out" | sed 's/^\[ *\([0-9.]*\) ms.*/\1/')
v2_board
t=$(awk -v t="$first_prog" 'BEGIN { printf "%.3f", t + 5 }')
out=$("$EMU" --flash "$d/f.bin" --stick "$d/v3.img" --unplug-at-ms "$t" --run-ms 5000 2>&1)
check "v3 stick pulled during programming (at $t ms): no valid app left" \
    test "$(version_of "$d/f.bin")" = none
after_failure "v3 pulled during programming" && pass "v3 pulled: then signed v1 refused, v2 installs"

# Power cuts at flash operations of the v3 update.
v2_board
out=$("$EMU" --flash "$d/f.bin" --stick "$d/v3.img" --stop-after-app-ms 100 --run-ms 20000 2>&1)
total=$(result_key "$out" flash_ops)
check "v3 over v2 installs ($total flash operations)" test "$(version_of "$d/f.bin")" = 3.0.0
bad=0 n=0
ops=$(seq 0 5; seq 6 "$stride" $((total - 1)); echo $((total - 1)))
for op in $ops; do
    for mode in clean undefined; do
        v2_board
        "$EMU" --flash "$d/f.bin" --stick "$d/v3.img" --cut-after-flash-ops $op --cut-mode $mode \
            --run-ms 20000 >/dev/null 2>&1
        n=$((n + 1))
        ver=$(version_of "$d/f.bin")
        case $ver in
        2.0.0 | 3.0.0) ;; # cut before the first erase, or after the seal
        *) after_failure "cut after $op ops ($mode)" || bad=$((bad + 1)) ;;
        esac
    done
done
check "$n cuts in the v3 update (ops 0-5, then every ${stride}th of $total, both modes): v1 always refused after" \
    test $bad -eq 0
