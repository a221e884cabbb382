/* AES-128 (FIPS-197), CTR mode (NIST SP 800-38A 6.5) and AES key unwrap (RFC 3394 2.2.2, the
 * key wrap of NIST SP 800-38F "KW"), small rather than fast: the S-boxes are computed into RAM
 * once, the inverse cipher applies MixColumns three times (MixColumns^4 is the identity).
 * Not constant-time with respect to cache timing (no cache on the STM32F4 SRAM path); see
 * docs/encryption.md for what protects the key. */
#ifndef CRYPTO_AES_H
#define CRYPTO_AES_H

#include <stdint.h>

struct aes128 {
    uint8_t round_key[176]; /* 11 round keys */
};

/* Expands a 16-byte key. */
void aes128_init(struct aes128 *ctx, const uint8_t key[16]);
/* One block in place: the cipher (FIPS-197 5.1) or the inverse cipher (5.3). */
void aes128_encrypt(const struct aes128 *ctx, uint8_t block[16]);
void aes128_decrypt(const struct aes128 *ctx, uint8_t block[16]);

/* CTR: XORs len bytes of data with the key stream for counter blocks counter, counter + 1, ...
 * where only the last 32 bits count (big endian; the caller keeps len below 2^32 blocks from
 * the start value, so this equals SP 800-38A's 128-bit increment). counter is advanced past
 * the blocks used; len need not be a multiple of 16 (the rest of the last block is dropped). */
void aes128_ctr(const struct aes128 *ctx, uint8_t counter[16], uint8_t *data, uint32_t len);

/* RFC 3394 unwrap of a 128-bit key: wrapped = 24 bytes (A, R1, R2) under kek. Returns 1 and
 * the key in out when the integrity check value A6A6A6A6A6A6A6A6 comes out, else 0 (wrong
 * KEK or damaged data; out is then wiped). */
int aes128_unwrap(const struct aes128 *kek, const uint8_t wrapped[24], uint8_t out[16]);

#endif
