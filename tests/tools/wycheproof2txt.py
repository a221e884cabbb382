#!/usr/bin/env python3
"""Converts Wycheproof ECDSA P-256/SHA-256 verify vectors (JSON) to lines a C test reads:

    <tcId> <valid|invalid|acceptable> <public key x||y, 128 hex> <msg hex or -> <sig> <comment>

<sig> is r||s as 128 hex digits, or "bad-length" (a P1363 signature that is not 64 bytes) or
"bad-der" (a DER signature that does not decode strictly, or whose r or s does not fit 32
bytes). Either way the bootloader could not even present it to p256_ecdsa_verify, which takes
a fixed 64-byte r||s: the C test counts those as rejected.

usage: wycheproof2txt.py p1363|der INPUT.json OUTPUT.txt
"""
import json
import sys


def der_length(data, pos):
    """Strict DER length at data[pos]; returns (length, next position) or raises ValueError."""
    if pos >= len(data):
        raise ValueError("truncated length")
    first = data[pos]
    pos += 1
    if first < 0x80:
        return first, pos
    count = first & 0x7F
    if count == 0 or count > 4 or pos + count > len(data):
        raise ValueError("indefinite or oversized length")
    if data[pos] == 0:
        raise ValueError("length with leading zero")
    value = int.from_bytes(data[pos:pos + count], "big")
    if value < 0x80:
        raise ValueError("long form for a short length")
    return value, pos + count


def der_integer(data, pos):
    """Strict non-negative DER INTEGER at data[pos]; returns (value, next position)."""
    if pos >= len(data) or data[pos] != 0x02:
        raise ValueError("not an INTEGER")
    length, pos = der_length(data, pos + 1)
    body = data[pos:pos + length]
    if length == 0 or len(body) != length:
        raise ValueError("empty or truncated INTEGER")
    if body[0] & 0x80:
        raise ValueError("negative INTEGER")
    if length > 1 and body[0] == 0 and not body[1] & 0x80:
        raise ValueError("INTEGER not minimal")
    return int.from_bytes(body, "big"), pos + length


def der_to_raw(sig):
    """SEQUENCE { INTEGER r, INTEGER s } -> r||s (32 bytes each), or raises ValueError."""
    if len(sig) < 2 or sig[0] != 0x30:
        raise ValueError("not a SEQUENCE")
    length, pos = der_length(sig, 1)
    if pos + length != len(sig):
        raise ValueError("SEQUENCE length does not match")
    r, pos = der_integer(sig, pos)
    s, pos = der_integer(sig, pos)
    if pos != len(sig):
        raise ValueError("trailing bytes in SEQUENCE")
    if r >= 1 << 256 or s >= 1 << 256:
        raise ValueError("r or s wider than 256 bits")
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def main():
    kind, source, target = sys.argv[1:4]
    with open(source) as f:
        doc = json.load(f)
    lines = []
    for group in doc["testGroups"]:
        if group["sha"] != "SHA-256" or group["publicKey"]["curve"] != "secp256r1":
            raise SystemExit("unexpected test group: %s %s" % (group["sha"], group["publicKey"]["curve"]))
        key = bytes.fromhex(group["publicKey"]["uncompressed"])
        if len(key) != 65 or key[0] != 4:
            raise SystemExit("unexpected public key encoding")
        for test in group["tests"]:
            sig = bytes.fromhex(test["sig"])
            if kind == "der":
                try:
                    sig_text = der_to_raw(sig).hex()
                except ValueError:
                    sig_text = "bad-der"
            else:
                sig_text = sig.hex() if len(sig) == 64 else "bad-length"
            comment = test["comment"].replace(" ", "_") or "-"
            lines.append("%d %s %s %s %s %s\n" % (test["tcId"], test["result"], key[1:].hex(),
                                                  test["msg"] or "-", sig_text, comment))
    with open(target, "w") as f:
        f.writelines(lines)


if __name__ == "__main__":
    main()
