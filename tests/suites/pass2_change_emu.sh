#!/usr/bin/env bash
# A stick that serves other bytes in pass 2, chosen to keep the CRC-32 (issue 15, item 4), with
# the stick model's second_image: the default build installs the second image (CRC-32 guards
# against accidents only, as docs/image-format.md says); SECURE=1 refuses it with error 12.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
S=$STICKIMG
make -s --no-print-directory firmware app build/stickimg build/stickemu >/dev/null 2>&1
make -s --no-print-directory firmware SECURE=1 >/dev/null 2>&1
python3 -c "import random,sys; r=random.Random(44); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(20480)))" >"$d/pad.bin"
cat build/blink.bin "$d/pad.bin" >"$d/app.raw"
$S pack "$d/app.raw" -o "$d/old.bin" --version 1.0.0 -q
$S pack "$d/app.raw" -o "$d/a.bin" --version 2.0.0 -q
$S pack "$d/app.raw" -o "$d/old-signed.bin" --version 1.0.0 --key keys/dev-key.pem -q
$S pack "$d/app.raw" -o "$d/a-signed.bin" --version 2.0.0 --key keys/dev-key.pem -q
# b = a with words k and k+1 changed so that the STM32 CRC of [0, L) stays the same; sticks
# a.img and b.img differ only in the file's bytes.
python3 - "$d" <<'PY'
import struct, sys
d = sys.argv[1]
def step(c, w):
    c ^= w
    for _ in range(32):
        c = ((c << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if c & 0x80000000 else (c << 1) & 0xFFFFFFFF
    return c
for name in ("a", "a-signed"):
    a = bytearray(open(f"{d}/{name}.bin", "rb").read())
    L, = struct.unpack_from("<I", a, 28)
    k = L // 8
    s = 0xFFFFFFFF
    for i in range(k):
        s = step(s, struct.unpack_from("<I", a, 4 * i)[0])
    ak, an = struct.unpack_from("<II", a, 4 * k)
    bk = ak ^ 0x5A5A5A5A
    b = bytearray(a)
    struct.pack_into("<II", b, 4 * k, bk, an ^ step(s, ak) ^ step(s, bk))
    crc = lambda x: __import__("functools").reduce(step, struct.unpack_from(f"<{L // 4}I", x), 0xFFFFFFFF)
    assert crc(a) == crc(b) and a != b
    open(f"{d}/{name}-b.bin", "wb").write(b)
PY
for name in a a-signed; do
    make_fat_stick "$d/$name.img" 64 32 "$d/$name.bin"
    replace_on_stick "$d/$name.img" "$d/$name.bin" "$d/$name-b.bin" "$d/$name-b.img"
done
# second_image_after_reads: the READ(10)s of pass 1, counted in a traced clean run.
reads_before_erase() { # BOOTLOADER OLD_IMAGE STICK
    fresh_flash "$d/t.bin" "$1"
    "$EMU" --flash "$d/t.bin" --load 0x08004000 "$2" --run-ms 0 >/dev/null 2>&1
    "$EMU" --flash "$d/t.bin" --stick "$3" --trace scsi,flash --run-ms 5000 2>&1 |
        awk '/flash: erase/ { exit } /READ\(10\)/ { n++ } END { print n }'
}
# run NAME BOOTLOADER OLD STICK_A STICK_B -> sets out, flash in $d/f.bin
run() {
    local n
    n=$(reads_before_erase "$2" "$3" "$4")
    printf 'second_image=%s\nsecond_image_after_reads=%s\n' "$5" "$n" >"$d/second.prof"
    fresh_flash "$d/f.bin" "$2"
    "$EMU" --flash "$d/f.bin" --load 0x08004000 "$3" --run-ms 0 >/dev/null 2>&1
    out=$("$EMU" --flash "$d/f.bin" --stick "$4" --profile "$d/second.prof" --run-ms 8000 \
        --stop-after-app-ms 200 2>&1)
    reads=$n
}
holds() { # FLASH FILE: flash holds FILE at APP_BASE byte-exact
    cmp -s <(tail -c +$((0x4000 + 1)) "$1" | head -c "$(stat -c %s "$2")") "$2"
}
run default build/stickboot.bin "$d/old.bin" "$d/a.img" "$d/a-b.img"
check "default build, CRC-preserving change after $reads READ(10)s: the changed image is installed (documented limit)" \
    holds "$d/f.bin" "$d/a-b.bin"
run secure build/f4discovery-secure/stickboot.bin "$d/old-signed.bin" "$d/a-signed.img" "$d/a-signed-b.img"
blinks=$(awk '/LED red on/ { if (!t0) t0 = $2 + 0; if ($2 + 0 < t0 + 5000) n++ } END { print n + 0 }' <<<"$out")
check "SECURE=1, the same change: error 12 ($blinks red blinks), no app started" \
    test "$blinks" = 12 -a "$(result_key "$out" app_entry)" = -

# Pass 2 much slower than pass 1 (1.5 s per READ(10) from pass 2 on) under the hardware
# watchdog: the update still completes, with no watchdog reset (a refresh per 32 KB chunk).
n=$(reads_before_erase build/stickboot.bin "$d/old.bin" "$d/a.img")
printf 'second_image_after_reads=%s\nsecond_read_latency_us=1500000\n' "$n" >"$d/slow2.prof"
fresh_flash "$d/f.bin" build/stickboot.bin
"$EMU" --flash "$d/f.bin" --load 0x08004000 "$d/old.bin" --run-ms 0 >/dev/null 2>&1
out=$("$EMU" --flash "$d/f.bin" --stick "$d/a.img" --profile "$d/slow2.prof" --iwdg --run-ms 20000 \
    --stop-after-app-ms 200 2>&1)
check "pass 2 at 1.5 s per READ(10), hardware watchdog: installed, $(result_key "$out" iwdg_resets) IWDG resets" \
    test "$(result_key "$out" state)-$(result_key "$out" iwdg_resets)" = app-0 -a -n "$(holds "$d/f.bin" "$d/a.bin" && echo y)"
