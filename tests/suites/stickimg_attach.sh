#!/usr/bin/env bash
# Signing with a key that never reaches the build machine (issue 21): stickimg digest, a signer
# elsewhere (here openssl pkeyutl on the digest and openssl dgst on the message), stickimg
# attach-signature with DER or raw r || s, checked against the public key; tampered
# signatures, wrong keys, truncated DER and a changed image refused. Runs against every stickimg
# given in STICKIMGS (default: the libcrypto build and the no-libcrypto build, which is the
# Windows build's code; the Windows tests run it against stickimg.exe under wine).
cd "$(dirname "$0")/../.."
. tests/lib.sh

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
native=0
if [ -z "${STICKIMGS:-}" ]; then
    native=1
    make -s --no-print-directory build/stickimg build/stickimg-nolibcrypto build/image.bin \
        >/dev/null 2>&1 || { fail "build stickimg"; exit 0; }
    STICKIMGS="build/stickimg build/stickimg-nolibcrypto"
fi
packed=build/image.bin

# Keys and the independent view of what a signature covers (docs/image-format.md): the
# application bytes [0, L) and trailer bytes [0, 32) with size 100 and the signed flag.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/key.pem" 2>/dev/null
openssl pkey -in "$work/key.pem" -pubout -out "$work/pub.pem"
openssl ec -in "$work/key.pem" -out "$work/sec1.pem" 2>/dev/null
openssl pkey -pubin -in "$work/pub.pem" -outform DER | tail -c 64 >"$work/pub.raw"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/other.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$work/p384.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes256 -pass pass:x \
    -out "$work/encrypted.pem" 2>/dev/null
cat >"$work/sig.py" <<'EOF'
import struct, sys
cmd, args = sys.argv[1], sys.argv[2:]
if cmd == 'message':          # IMAGE OUT
    d = open(args[0], 'rb').read()
    L = struct.unpack_from('<I', d, 0x1C)[0]
    t = bytearray(d[L:L + 32])
    struct.pack_into('<H', t, 6, 100)
    struct.pack_into('<I', t, 28, struct.unpack_from('<I', t, 28)[0] | 1)
    open(args[1], 'wb').write(d[:L] + bytes(t))
elif cmd == 'der2raw':        # DER OUT
    der = open(args[0], 'rb').read()
    assert der[0] == 0x30 and der[1] + 2 == len(der)
    i, out = 2, b''
    for _ in range(2):
        assert der[i] == 2
        n = der[i + 1]
        out += int.from_bytes(der[i + 2:i + 2 + n], 'big').to_bytes(32, 'big')
        i += 2 + n
    open(args[1], 'wb').write(out)
elif cmd == 'flip':           # IN OUT OFFSET: one bit of byte OFFSET (negative: from the end)
    d = bytearray(open(args[0], 'rb').read())
    d[int(args[2])] ^= 0x01
    open(args[1], 'wb').write(d)
EOF
py() { python3 "$work/sig.py" "$@"; }
py message "$packed" "$work/message.ref"

# refuses NAME PATTERN CMD...: exit 1, one stderr line matching PATTERN.
refuses() {
    local name=$1 pattern=$2 err rc
    shift 2
    err=$("$@" 2>&1 >/dev/null </dev/null)
    rc=$?
    err=$(tr -d '\r' <<<"$err")
    if [ $rc -eq 1 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -Eq -- "$pattern" <<<"$err"; then
        pass "$name"
    else
        fail "$name" "exit $rc, stderr: $err (wanted /$pattern/)"
    fi
}

for S in $STICKIMGS; do
    s() { "$S" "$@"; }
    tag=$(basename "$S")
    w="$work/$tag"
    mkdir -p "$w"
    cp "$packed" "$w/image.bin"

    # ---- digest ----
    hex=$(s digest "$w/image.bin" | tr -d '\r')
    check "$tag: digest prints SHA-256 of the covered bytes" \
        test "$hex" = "$(sha256sum "$work/message.ref" | cut -c1-64)"
    s digest "$w/image.bin" -o "$w/digest.bin"
    check "$tag: digest -o writes the same 32 bytes" \
        test "$(od -An -tx1 -v "$w/digest.bin" | tr -d ' \n')" = "$hex"
    s digest "$w/image.bin" --message -o "$w/message.bin"
    check "$tag: digest --message writes exactly L + 32 bytes, trailer as signed" \
        cmp "$w/message.bin" "$work/message.ref"
    refuses "$tag: digest of a raw binary refused" "bad magic|not a packed|trailer" \
        s digest build/blink.bin

    # ---- pkeyutl on the digest, DER; the public key PEM ----
    openssl pkeyutl -sign -inkey "$work/key.pem" -in "$w/digest.bin" -out "$w/sig.der"
    check "$tag: attach-signature DER (openssl pkeyutl) with the public PEM" \
        s attach-signature -q "$w/image.bin" "$w/sig.der" --key "$work/pub.pem" -o "$w/signed.bin"
    check "$tag: the result is L + 100 bytes" \
        test "$(stat -c %s "$w/signed.bin")" -eq $(($(stat -c %s "$work/message.ref") + 68))
    check "$tag: verify --key accepts it" s verify -q --require-signed --key "$work/pub.pem" "$w/signed.bin"
    check "$tag: the linux build's verify accepts it" \
        build/stickimg verify -q --require-signed --key "$work/key.pem" "$w/signed.bin"
    check "$tag: openssl dgst -verify accepts the trailer's bytes and signature" \
        openssl dgst -sha256 -verify "$work/pub.pem" -signature "$w/sig.der" "$work/message.ref"
    check "$tag: digest of the signed image is the same" \
        test "$(s digest "$w/signed.bin" | tr -d '\r')" = "$hex"

    # ---- raw r || s: the same signature gives the same image ----
    py der2raw "$w/sig.der" "$w/sig.raw"
    check "$tag: attach-signature raw r || s gives the same image as DER" \
        bash -c "$S attach-signature -q '$w/image.bin' '$w/sig.raw' --key '$work/pub.raw' \
            -o '$w/signed-raw.bin' && cmp '$w/signed-raw.bin' '$w/signed.bin'"

    # ---- dgst on the message; private key PEMs as the key source ----
    openssl dgst -sha256 -sign "$work/key.pem" -out "$w/sig2.der" "$w/message.bin"
    check "$tag: attach-signature DER (openssl dgst -sign) with the PKCS#8 private PEM" \
        s attach-signature -q "$w/image.bin" "$w/sig2.der" --key "$work/key.pem" -o "$w/signed2.bin"
    check "$tag: ... and with the SEC1 private PEM" \
        s attach-signature -q "$w/image.bin" "$w/sig2.der" --pubkey "$work/sec1.pem" -o "$w/signed3.bin"
    check "$tag: verify accepts the dgst-signed image" s verify -q --key "$work/pub.pem" "$w/signed2.bin"
    cp "$w/image.bin" "$w/inplace.bin"
    check "$tag: attach-signature without -o replaces IMAGE" \
        bash -c "$S attach-signature -q '$w/inplace.bin' '$w/sig.der' --key '$work/pub.pem' && \
            cmp '$w/inplace.bin' '$w/signed.bin'"
    check "$tag: re-signing a signed image works (same digest)" \
        s attach-signature -q "$w/signed.bin" "$w/sig2.der" --key "$work/pub.pem" -o "$w/resigned.bin"

    # ---- refusals: nothing written ----
    sig_len=$(stat -c %s "$w/sig.der")
    py flip "$w/sig.der" "$w/tampered.der" $((sig_len - 1))
    refuses "$tag: tampered DER signature (last byte of s) refused" \
        'tampered.der: the signature \(DER\) does not verify with the public key in .*pub.pem.*nothing written' \
        s attach-signature "$w/image.bin" "$w/tampered.der" --key "$work/pub.pem" -o "$w/x1.bin"
    check "$tag: ... and nothing written" test ! -e "$w/x1.bin"
    py flip "$w/sig.raw" "$w/tampered.raw" 5
    refuses "$tag: tampered raw signature (a byte of r) refused" 'does not verify' \
        s attach-signature "$w/image.bin" "$w/tampered.raw" --key "$work/pub.pem" -o "$w/x2.bin"
    refuses "$tag: wrong public key refused" 'does not verify with the public key in .*other.pem' \
        s attach-signature "$w/image.bin" "$w/sig.der" --key "$work/other.pem" -o "$w/x3.bin"
    cp "$w/image.bin" "$w/keep.bin"
    refuses "$tag: wrong key, in place: refused" 'nothing written' \
        s attach-signature "$w/keep.bin" "$w/sig.der" --key "$work/other.pem"
    check "$tag: ... and IMAGE unchanged" cmp "$w/keep.bin" "$w/image.bin"
    head -c 40 "$w/sig.der" >"$w/truncated.der"
    refuses "$tag: truncated DER refused" \
        "truncated.der: DER signature truncated: the SEQUENCE says $sig_len bytes, the file has 40" \
        s attach-signature "$w/image.bin" "$w/truncated.der" --key "$work/pub.pem" -o "$w/x4.bin"
    { cat "$w/sig.der"; printf '\0'; } >"$w/long.der"
    refuses "$tag: DER with a byte after it refused" '1 bytes after the DER signature' \
        s attach-signature "$w/image.bin" "$w/long.der" --key "$work/pub.pem" -o "$w/x5.bin"
    head -c 63 "$w/sig.raw" >"$w/short.raw"
    refuses "$tag: 63 raw bytes refused" '63 bytes, neither a DER ECDSA signature nor 64 bytes' \
        s attach-signature "$w/image.bin" "$w/short.raw" --key "$work/pub.pem" -o "$w/x6.bin"
    s pack build/blink.bin -q --version 9.9.9 -o "$w/other-image.bin"
    refuses "$tag: a signature of another image refused" 'does not verify' \
        s attach-signature "$w/other-image.bin" "$w/sig.der" --key "$work/pub.pem" -o "$w/x7.bin"
    refuses "$tag: P-384 key refused" 'not an ECDSA P-256' \
        s attach-signature "$w/image.bin" "$w/sig.der" --key "$work/p384.pem" -o "$w/x8.bin"
    refuses "$tag: encrypted key refused without a prompt" 'encrypted' \
        s attach-signature "$w/image.bin" "$w/sig.der" --key "$work/encrypted.pem" -o "$w/x9.bin"
    check "$tag: none of the refusals wrote a file" bash -c "! ls '$w'/x?.bin 2>/dev/null"
    err=$(s attach-signature "$w/image.bin" "$w/sig.der" 2>&1)
    rc=$?
    if [ $rc -eq 2 ] && grep -q 'missing --key' <<<"$err"; then
        pass "$tag: attach-signature without --key is a usage error"
    else
        fail "$tag: attach-signature without --key is a usage error" "exit $rc: $err"
    fi

    # ---- the public key without libcrypto: what openssl says it is ----
    check "$tag: pubkey of a PKCS#8 key = openssl pkey -pubout" \
        cmp <(s pubkey "$work/key.pem" | tr -d '\r') "$work/pub.pem"
    check "$tag: pubkey of a SEC1 key = openssl pkey -pubout" \
        cmp <(s pubkey "$work/sec1.pem" | tr -d '\r') "$work/pub.pem"
    check "$tag: pubkey --raw of the public PEM = the point" \
        bash -c "$S pubkey --raw -o '$w/pub.raw' '$work/pub.pem' && cmp '$w/pub.raw' '$work/pub.raw'"
done

# What each build offers: keygen and sign need libcrypto.
if [ $native -eq 1 ]; then
    refuses "no-libcrypto build: keygen says it is unavailable and what to do" \
        'keygen: not available in this build.*stickimg digest.*attach-signature' \
        build/stickimg-nolibcrypto keygen -o "$work/new.pem"
    refuses "no-libcrypto build: sign says it is unavailable" 'sign: not available in this build' \
        build/stickimg-nolibcrypto sign "$packed" --key "$work/key.pem" -o "$work/x.bin"
    refuses "no-libcrypto build: pack --key says it is unavailable" 'pack --key: not available' \
        build/stickimg-nolibcrypto pack build/blink.bin --key "$work/key.pem" -o "$work/x.bin"
    check "libcrypto build: sign and attach-signature agree on the covered bytes" bash -c "
        build/stickimg sign -q '$packed' --key '$work/key.pem' -o '$work/by-sign.bin' &&
        cmp <(head -c \$((\$(stat -c %s '$work/by-sign.bin') - 68)) '$work/by-sign.bin') '$work/message.ref'"
fi
