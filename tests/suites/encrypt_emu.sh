#!/usr/bin/env bash
# Encrypted images (issue 19, docs/encryption.md): the packed file holds no 16-byte run of the
# application; the SECURE=1 ENCRYPT=1 bootloader in stickemu installs it (flash = plaintext),
# refuses an image encrypted for another device key before any erase, and refuses a plain
# signed image; stickimg info says the file is encrypted.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/emu_lib.sh
d=$SCEN_DIR
make -s --no-print-directory firmware app build/stickimg build/stickemu >/dev/null 2>&1
make -s --no-print-directory firmware SECURE=1 ENCRYPT=1 >/dev/null 2>&1
BL=build/f4discovery-secure-encrypt/stickboot.bin
S=build/stickimg
K="--key keys/dev-key.pem"
export MTOOLS_SKIP_CHECK=1

python3 -c "import random,sys; r=random.Random(19); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(12288)))" >"$d/pad.bin"
cat build/blink.bin "$d/pad.bin" >"$d/app.raw"
$S pack "$d/app.raw" -o "$d/plain.bin" --version 1.0.0 $K -q
$S pack "$d/app.raw" -o "$d/v1.bin" --version 1.0.0 $K --encrypt keys/dev-aes.key -q
rm -f "$d/other.aes"
$S keygen --aes -o "$d/other.aes" -q
$S pack "$d/app.raw" -o "$d/other.bin" --version 2.0.0 $K --encrypt "$d/other.aes" -q

check "no 16-byte run of the application appears in the encrypted file" python3 - "$d/plain.bin" "$d/v1.bin" <<'PY'
import struct, sys
plain, enc = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
length = struct.unpack_from("<I", plain, 28)[0]
hits = [i for i in range(length - 15) if plain[i:i + 16] in enc]
sys.exit(f"{len(hits)} runs found, first at {hits[:3]}" if hits else 0)
PY
check "the plaintext check can fail: the plain file holds every run" python3 - "$d/plain.bin" <<'PY'
import struct, sys
plain = open(sys.argv[1], "rb").read()
length = struct.unpack_from("<I", plain, 28)[0]
sys.exit(0 if all(plain[i:i + 16] in plain for i in range(0, length - 15, 512)) else 1)
PY
check "stickimg info: encrypted, version and board from the clear trailer" \
    bash -c "$S info '$d/v1.bin' --json | grep -q '\"encrypted\": true, \"app_length\": [0-9]*, \"trailer_ok\": true, \"version\": \"1.0.0\"'"

stick() { rm -f "$2"; truncate -s 16M "$2"; mkfs.fat -F 16 "$2" >/dev/null; mcopy -i "$2" "$1" ::IMAGE.BIN; }
stick "$d/v1.bin" "$d/v1.img"
stick "$d/other.bin" "$d/other.img"
stick "$d/plain.bin" "$d/plain.img"
fresh_flash "$d/f.bin" "$BL"
out=$("$EMU" --flash "$d/f.bin" --stick "$d/v1.img" --stop-after-app-ms 50 2>&1)
len=$(od -An -tu4 -j 28 -N4 "$d/plain.bin" | tr -d ' ')
check "encrypted v1 installs; flash holds the plaintext" \
    test "$(result_key "$out" state)" = app -a \
    "$(cmp -n "$len" <(tail -c +$((0x4000 + 1)) "$d/f.bin") "$d/plain.bin" && echo same)" = same
for c in other plain; do
    out=$("$EMU" --flash "$d/f.bin" --stick "$d/$c.img" --stop-after-app-ms 50 --run-ms 15000 2>&1)
    blinks=$(grep -c 'LED red on' <<<"$out" || true)
    check "$c: refused before any erase (error 10), v1 still starts" \
        test "$(result_key "$out" flash_ops)-$(result_key "$out" state)-$blinks" = "0-app-10"
done
