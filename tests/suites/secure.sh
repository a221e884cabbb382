#!/usr/bin/env bash
# Signed updates on the host: stickimg keygen/sign/pubkey/pack --key/verify --key against the
# openssl command line, every single-byte change of a signed image refused, and the SECURE=1
# bootloader build (key compiled in, one 16 KB sector).
cd "$(dirname "$0")/../.."
. tests/lib.sh

S=build/stickimg
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# refuses NAME PATTERN CMD...: CMD exits 1 and prints one stderr line matching PATTERN.
refuses() {
    local name=$1 pattern=$2
    shift 2
    local err rc
    err=$("$@" 2>&1 >/dev/null </dev/null)
    rc=$?
    if [ $rc -eq 1 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -Eq -- "$pattern" <<<"$err"; then
        pass "$name"
    else
        fail "$name" "exit $rc, stderr: $err (wanted /$pattern/)"
    fi
}

# Python helpers: the STM32 CRC and the trailer layout of docs/image-format.md, written
# independently of the C code.
cat >"$work/img.py" <<'EOF'
import struct, sys

def crc(data):
    c = 0xFFFFFFFF
    for (w,) in struct.iter_unpack('<I', data):
        c ^= w
        for _ in range(32):
            c = ((c << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if c & 0x80000000 else (c << 1) & 0xFFFFFFFF
    return c

def load(path):
    d = bytearray(open(path, 'rb').read())
    return d, struct.unpack_from('<I', d, 0x1C)[0]

def fix(d, L, app_crc=False):
    """Makes the CRCs right again after a change, so only the signature can catch it."""
    if app_crc:
        struct.pack_into('<I', d, L + 16, crc(bytes(d[:L])))
    T = len(d) - L
    struct.pack_into('<I', d, L + T - 4, crc(bytes(d[L:L + T - 4])))

def der_to_raw(der):
    """ECDSA-Sig-Value (SEQUENCE of two INTEGERs) -> r || s, 32 bytes each."""
    assert der[0] == 0x30
    i = 3 if der[1] == 0x81 else 2
    out = b''
    for _ in range(2):
        assert der[i] == 0x02
        n = der[i + 1]
        v = int.from_bytes(der[i + 2:i + 2 + n], 'big')
        out += v.to_bytes(32, 'big')
        i += 2 + n
    return out

def raw_to_der(raw):
    def integer(b):
        b = b.lstrip(b'\0') or b'\0'
        if b[0] & 0x80:
            b = b'\0' + b
        return bytes([2, len(b)]) + b
    body = integer(raw[:32]) + integer(raw[32:])
    return bytes([0x30, len(body)]) + body

cmd = sys.argv[1]
if cmd == 'signed-bytes':      # IMAGE OUT: the bytes the signature covers
    d, L = load(sys.argv[2])
    open(sys.argv[3], 'wb').write(bytes(d[:L]) + bytes(d[L:L + 32]))
elif cmd == 'put-der-sig':     # IMAGE SIG.DER OUT: DER signature -> r || s into the trailer
    d, L = load(sys.argv[2])
    d[L + 32:L + 96] = der_to_raw(open(sys.argv[3], 'rb').read())
    fix(d, L)
    open(sys.argv[4], 'wb').write(d)
elif cmd == 'get-der-sig':     # IMAGE OUT.DER: the trailer's r || s as DER
    d, L = load(sys.argv[2])
    open(sys.argv[3], 'wb').write(raw_to_der(bytes(d[L + 32:L + 96])))
elif cmd == 'mutants':         # IMAGE DIR: one file per single-byte change
    d, L = load(sys.argv[2])
    T = len(d) - L
    out = sys.argv[3]
    def write(name, m):
        open('%s/%s' % (out, name), 'wb').write(m)
    # Every trailer byte as it is (trailer CRC then wrong), and every byte of the signed
    # fields and the signature with the trailer CRC made right again.
    for i in range(T):
        m = bytearray(d); m[L + i] ^= 0x01; write('trailer-%03d' % i, m)
        if i < T - 4:
            m = bytearray(d); m[L + i] ^= 0x80; fix(m, L); write('trailer-fixed-%03d' % i, m)
    # A sample of application bytes, word 7 and the vector table included, with the
    # application and trailer CRCs made right again (and once without).
    step = max(1, L // 48)
    for i in sorted(set(list(range(0, 32)) + list(range(0, L, step)) + [L - 1])):
        m = bytearray(d); m[i] ^= 0x01; write('app-%06d' % i, m)
        if i >= 32:
            m = bytearray(d); m[i] ^= 0x01; fix(m, L, app_crc=True); write('app-fixed-%06d' % i, m)
EOF
py() { python3 "$work/img.py" "$@"; }

make -s --no-print-directory build/stickimg app >/dev/null 2>&1 || { fail "build stickimg and app"; exit 0; }

# ---- keys ----
check "keygen" $S keygen -q -o "$work/ours.pem"
check "openssl reads the keygen key" openssl pkey -in "$work/ours.pem" -noout -text
check "keygen key is P-256" grep -q "prime256v1" <(openssl pkey -in "$work/ours.pem" -noout -text)
check "keygen key has mode 0600" test "$(stat -c %a "$work/ours.pem")" = 600
refuses "keygen does not replace a key" "exists" $S keygen -q -o "$work/ours.pem"
cp "$work/ours.pem" "$work/ours-before.pem"
check "keygen --force replaces it" $S keygen -q --force -o "$work/ours.pem"
check "the replaced key is a new one" bash -c "! cmp -s '$work/ours.pem' '$work/ours-before.pem'"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ossl.pem" 2>/dev/null
openssl ec -in "$work/ossl.pem" -out "$work/ossl-trad.pem" 2>/dev/null
openssl pkey -in "$work/ossl.pem" -pubout -out "$work/ossl-pub.pem"
check "openssl writes a traditional EC key" grep -q "BEGIN EC PRIVATE KEY" "$work/ossl-trad.pem"
check "pubkey --pem of an openssl key equals openssl pkey -pubout" \
    cmp <($S pubkey "$work/ossl.pem") "$work/ossl-pub.pem"
check "pubkey of a traditional EC key" cmp <($S pubkey --pem "$work/ossl-trad.pem") "$work/ossl-pub.pem"
check "pubkey of a public key PEM" cmp <($S pubkey "$work/ossl-pub.pem") "$work/ossl-pub.pem"
openssl pkey -pubin -in "$work/ossl-pub.pem" -outform DER -out "$work/ossl-pub.der"
check "pubkey --raw is x || y of openssl's point" \
    cmp <($S pubkey --raw "$work/ossl.pem") <(tail -c 64 "$work/ossl-pub.der")
$S pubkey --raw -o "$work/ossl-pub.raw" "$work/ossl.pem"
check "pubkey of 64 raw bytes" cmp <($S pubkey "$work/ossl-pub.raw") "$work/ossl-pub.pem"
$S pubkey --c-header "$work/ossl.pem" -o "$work/signing_key.h"
check "pubkey --c-header names the key file" grep -q "from $work/ossl.pem" "$work/signing_key.h"
cat >"$work/key_dump.c" <<'EOF'
#include <stdio.h>
#include "signing_key.h"
int main(void) { return fwrite(signing_key, 1, sizeof signing_key, stdout) != 64; }
EOF
if gcc -Wall -Wextra -Werror -I"$work" "$work/key_dump.c" -o "$work/key_dump"; then
    check "the C header holds the same 64 bytes" cmp <("$work/key_dump") "$work/ossl-pub.raw"
else
    fail "the C header compiles"
fi
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$work/p384.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$work/rsa.pem" 2>/dev/null
openssl genpkey -algorithm ED25519 -out "$work/ed.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes256 -pass pass:secret \
    -out "$work/encrypted.pem" 2>/dev/null
head -c 64 /dev/zero >"$work/zero.raw"
refuses "P-384 key refused" "not an ECDSA P-256" $S pubkey "$work/p384.pem"
refuses "RSA key refused" "not an ECDSA P-256" $S pubkey "$work/rsa.pem"
refuses "Ed25519 key refused" "not an ECDSA P-256" $S pubkey "$work/ed.pem"
refuses "encrypted key refused without a prompt" "encrypted" $S pubkey "$work/encrypted.pem"
refuses "encrypted key refused by sign" "encrypted" $S sign build/image.bin --key "$work/encrypted.pem" -o "$work/x.bin"
refuses "64 bytes off the curve refused" "not a point" $S pubkey "$work/zero.raw"
refuses "missing key file" "ossl-missing.pem" $S pubkey "$work/ossl-missing.pem"

# ---- signing ----
$S pack build/blink.bin -o "$work/unsigned.bin" --version 2.0.0 -q
check "pack --key with an openssl key" $S pack build/blink.bin -o "$work/packed-signed.bin" --version 2.0.0 --key "$work/ossl.pem" -q
check "sign with an openssl key" $S sign "$work/unsigned.bin" --key "$work/ossl.pem" -o "$work/signed.bin" -q
L=$(python3 -c "import struct,sys; print(struct.unpack_from('<I', open(sys.argv[1],'rb').read(), 0x1C)[0])" "$work/signed.bin")
check "signed image is L + 100 bytes" test "$(stat -c %s "$work/signed.bin")" -eq $((L + 100))
check "sign and pack --key agree on everything but the signature" \
    cmp <(head -c $((L + 32)) "$work/signed.bin") <(head -c $((L + 32)) "$work/packed-signed.bin")
check "verify --key (firmware verifier)" $S verify -q --key "$work/ossl.pem" "$work/signed.bin"
check "verify --pubkey with the public PEM" $S verify -q --pubkey "$work/ossl-pub.pem" "$work/packed-signed.bin"
check "verify --key with raw x || y" $S verify -q --key "$work/ossl-pub.raw" "$work/signed.bin"
check "verify --require-signed --key" $S verify -q --require-signed --key "$work/ossl.pem" "$work/signed.bin"
check "verify without a key accepts a signed image" $S verify -q "$work/signed.bin"
refuses "verify --require-signed --key: unsigned image" "unsigned" \
    $S verify --require-signed --key "$work/ossl.pem" "$work/unsigned.bin"
refuses "verify --key: unsigned image" "unsigned" $S verify --key "$work/ossl.pem" "$work/unsigned.bin"
refuses "verify --require-signed --key: signed by another key" "bad signature" \
    $S verify --require-signed --key "$work/ours.pem" "$work/signed.bin"
check "re-sign with another key" $S sign "$work/signed.bin" --key "$work/ours.pem" -o "$work/resigned.bin" -q
check "re-signed image verifies with the new key" $S verify -q --key "$work/ours.pem" "$work/resigned.bin"
refuses "re-signed image fails with the old key" "bad signature" $S verify --key "$work/ossl.pem" "$work/resigned.bin"
check "re-signing keeps the size" test "$(stat -c %s "$work/resigned.bin")" -eq $((L + 100))
refuses "sign needs a private key" "not an unencrypted private key" \
    $S sign "$work/unsigned.bin" --key "$work/ossl-pub.pem" -o "$work/x.bin"
cp "$work/unsigned.bin" "$work/damaged.bin"
printf '\x55' | dd of="$work/damaged.bin" bs=1 seek=100 conv=notrunc 2>/dev/null
refuses "sign refuses a damaged image" "bad crc" $S sign "$work/damaged.bin" --key "$work/ossl.pem" -o "$work/x.bin"
check "info --key: signature ok" grep -q "^signature *ok" <($S info --key "$work/ossl.pem" "$work/signed.bin")
check "info --json --key" python3 -c "
import json, sys; j = json.loads(sys.argv[1])
assert j['ok'] and j['signed'] and j['signature'] == 'ok' and j['trailer_size'] == 100, j" \
    "$($S info --json --key "$work/ossl.pem" "$work/signed.bin")"
out=$($S info --key "$work/ours.pem" "$work/signed.bin")
check "info --key with the wrong key: exit 1, bad signature" \
    bash -c "[ $? -eq 1 ] && grep -q '^check *bad signature' <<<'$out'"

# ---- interoperability with openssl dgst ----
py signed-bytes "$work/signed.bin" "$work/signed-bytes"
check "signed bytes are L + 32" test "$(stat -c %s "$work/signed-bytes")" -eq $((L + 32))
py get-der-sig "$work/signed.bin" "$work/ours.der"
check "openssl dgst -verify accepts stickimg's signature over exactly those bytes" \
    openssl dgst -sha256 -verify "$work/ossl-pub.pem" -signature "$work/ours.der" "$work/signed-bytes"
ok=0
for i in 1 2 3 4 5 6 7 8; do
    openssl dgst -sha256 -sign "$work/ossl.pem" -out "$work/ossl.der" "$work/signed-bytes"
    py put-der-sig "$work/signed.bin" "$work/ossl.der" "$work/ossl-signed.bin"
    $S verify -q --require-signed --key "$work/ossl-pub.pem" "$work/ossl-signed.bin" && ok=$((ok + 1))
done
check "8 openssl dgst -sign signatures placed in the trailer verify" test $ok -eq 8
cmp -s "$work/ossl-signed.bin" "$work/signed.bin" && fail "openssl signature differs from stickimg's (random k)"
openssl dgst -sha256 -sign "$work/ours.pem" -out "$work/other.der" "$work/signed-bytes"
py put-der-sig "$work/signed.bin" "$work/other.der" "$work/other-signed.bin"
refuses "openssl signature by another key refused" "bad signature" \
    $S verify --key "$work/ossl-pub.pem" "$work/other-signed.bin"

# ---- every single-byte change fails ----
mkdir -p "$work/mut"
py mutants "$work/signed.bin" "$work/mut"
total=0 accepted=()
for f in "$work"/mut/*; do
    total=$((total + 1))
    $S verify -q --require-signed --key "$work/ossl-pub.pem" "$f" 2>/dev/null && accepted+=("$(basename "$f")")
done
if [ "$total" -gt 250 ] && [ ${#accepted[@]} -eq 0 ]; then
    pass "all $total single-byte changes (every trailer and signature byte, sampled app bytes) refused"
else
    fail "single-byte changes refused" "$total files, accepted: ${accepted[*]}"
fi
bad_sig=0
for f in "$work"/mut/trailer-fixed-03[2-9] "$work"/mut/trailer-fixed-0[4-8]? "$work"/mut/trailer-fixed-09[0-5] "$work"/mut/app-fixed-*; do
    # A change inside the vector table (bytes 0-63 of the example app) may be caught earlier, by
    # the vector checks (docs/image-format.md); anything after it only by the signature.
    why=$($S verify --key "$work/ossl-pub.pem" "$f" 2>&1)
    case "$f" in
    */app-fixed-0000[0-5]? | */app-fixed-00006[0-3]) vec='bad vector|bad reset vector|linked for another base' ;;
    *) vec='^$' ;;
    esac
    grep -q "bad signature" <<<"$why" || grep -Eq "$vec" <<<"$why" && bad_sig=$((bad_sig + 1))
done
n_sig=$(ls "$work"/mut/app-fixed-* | wc -l)
check "with the CRCs fixed, signature and application changes are caught by the signature" \
    test $bad_sig -eq $((64 + n_sig))

# ---- the SECURE=1 bootloader ----
if make -s --no-print-directory firmware SECURE=1 >"$work/build.log" 2>&1; then
    pass "make firmware SECURE=1"
    read -r text data _ < <(arm-none-eabi-size build/f4discovery-secure/stickboot.elf | tail -n 1)
    check "secure bootloader fits 16384 bytes ($((text + data)))" test $((text + data)) -le 16384
    check "stickboot.bin fits 16384 bytes" test "$(stat -c %s build/f4discovery-secure/stickboot.bin)" -le 16384
    $S pubkey --raw keys/dev-key.pem -o "$work/dev.raw"
    check "secure bootloader holds the development key" python3 -c "
import sys; sys.exit(open('$work/dev.raw','rb').read() not in open('build/f4discovery-secure/stickboot.bin','rb').read())"
    check "secure bootloader links p256_ecdsa_verify" \
        grep -q "p256_ecdsa_verify" <(arm-none-eabi-nm build/f4discovery-secure/stickboot.elf)
else
    fail "make firmware SECURE=1" "$(tail -n 20 "$work/build.log")"
fi
# KEY=: an openssl-generated key, in a build tree of its own.
if make -s --no-print-directory firmware SECURE=1 KEY="$work/ossl.pem" BUILD="$work/build" >"$work/build-key.log" 2>&1; then
    check "make firmware SECURE=1 KEY=openssl key: its public key is compiled in" python3 -c "
import sys; sys.exit(open('$work/ossl-pub.raw','rb').read() not in open('$work/build/f4discovery-secure/stickboot.bin','rb').read())"
else
    fail "make firmware SECURE=1 KEY=openssl key" "$(tail -n 20 "$work/build-key.log")"
fi
err=$(make -s --no-print-directory firmware SECURE=1 KEY="$work/none.pem" BUILD="$work/build" 2>&1)
check "make firmware SECURE=1 with a missing key file fails and says so" \
    bash -c "[ $? -ne 0 ] && grep -q 'no key file' <<<'$err'"
