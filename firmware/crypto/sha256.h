/* SHA-256 (FIPS 180-4), one rolled round loop. Messages up to 2^32 - 1 bytes: the bootloader hashes
 * at most the 1 MB flash, so the byte count is one 32-bit word. */
#ifndef CRYPTO_SHA256_H
#define CRYPTO_SHA256_H

#include <stdint.h>

struct sha256 {
    uint32_t state[8];
    uint32_t length; /* bytes hashed so far */
    uint8_t block[64];
};

void sha256_init(struct sha256 *ctx);
void sha256_update(struct sha256 *ctx, const void *data, uint32_t len);
/* Writes the digest; ctx must be initialised again before reuse. */
void sha256_final(struct sha256 *ctx, uint8_t digest[32]);

#endif
