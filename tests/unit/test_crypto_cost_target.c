/* Cortex-M4 side of test_crypto_cost: entry points the host calls in unicorn. Built with the
 * firmware's compiler flags and linked with the firmware's libc.c, at 0x08000000, no data. */
#include "p256.h"
#include "sha256.h"

int cost_verify(const uint8_t *pub, const uint8_t *hash, const uint8_t *sig)
{
    return p256_ecdsa_verify(pub, hash, sig);
}

void cost_sha256(const uint8_t *data, uint32_t len, uint8_t *digest)
{
    struct sha256 ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, data, len);
    sha256_final(&ctx, digest);
}

/* The host sets LR here: reaching it ends the call. */
void cost_return(void)
{
    for (;;) {
    }
}
