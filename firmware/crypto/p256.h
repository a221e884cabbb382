/* ECDSA signature verification on NIST P-256 (secp256r1), written for size, not constant time
 * (a verifier handles only public data). */
#ifndef CRYPTO_P256_H
#define CRYPTO_P256_H

#include <stdint.h>

/* 1 if sig (r || s, 32 bytes each, big endian) is a valid ECDSA P-256 signature of hash by the
 * public key pub (x || y, 32 bytes each, big endian: uncompressed without the 0x04 prefix);
 * 0 otherwise. The hash is read as a 256-bit big-endian integer and used mod n. */
int p256_ecdsa_verify(const uint8_t pub[64], const uint8_t hash[32], const uint8_t sig[64]);

#endif
