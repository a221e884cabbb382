/* SHA-256 per FIPS 180-4. Whole blocks are hashed in place and the round runs in registers;
 * one rolled loop of 64 rounds keeps the code small. */
#include "sha256.h"

#include <string.h>

static const uint32_t initial_state[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* In SRAM (copied from flash at reset like any .data; the same flash bytes): read once per
 * round, these 16 lines would miss the ART's 8-line data cache every block, 5 wait states each
 * at 168 MHz (RM0090 3.5.2), about 2 % of the hash. Not const: a const object in .data makes
 * the assembler warn about the section flags. */
__attribute__((section(".data"))) static uint32_t round_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t rotate_right(uint32_t x, unsigned n)
{
    return x >> n | x << (32 - n);
}

/* GCC merges the four stores into a REV and one STR on ARMv7-M. */
static void store_be32(uint8_t *out, uint32_t x)
{
    out[0] = (uint8_t)(x >> 24);
    out[1] = (uint8_t)(x >> 16);
    out[2] = (uint8_t)(x >> 8);
    out[3] = (uint8_t)x;
}

/* Big-endian word at p: GCC turns the shifts into one LDR and a REV on ARMv7-M. */
static uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* FIPS 180-4 section 6.2.2. The working variables are locals, not an array: the compiler
 * keeps them in registers and the rename at the end of a round is a few MOVs instead of a
 * shift of the array through memory. Not inlined into sha256_update, whose registers it would
 * share; without GCC's induction-variable pass, K and W are indexed off one counter instead
 * of two pointers of which one is spilled (m4 model: 7 % fewer cycles for 24 bytes). */
__attribute__((noinline, optimize("no-ivopts"))) static void compress(uint32_t state[8],
                                                                      const uint8_t block[64])
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = load_be32(block + 4 * i);
    uint32_t *p = w + 16;
    do { /* not a for loop: GCC would test at the top and branch twice an iteration */
        uint32_t s0 = rotate_right(p[-15], 7) ^ rotate_right(p[-15], 18) ^ p[-15] >> 3;
        uint32_t s1 = rotate_right(p[-2], 17) ^ rotate_right(p[-2], 19) ^ p[-2] >> 10;
        *p = p[-16] + s0 + p[-7] + s1;
    } while (++p < w + 64);
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (rotate_right(e, 6) ^ rotate_right(e, 11) ^ rotate_right(e, 25)) +
                      (g ^ (e & (f ^ g))) + round_constants[i] + w[i];
        uint32_t t2 = (rotate_right(a, 2) ^ rotate_right(a, 13) ^ rotate_right(a, 22)) +
                      ((a & b) | (c & (a | b)));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

void sha256_init(struct sha256 *ctx)
{
    memcpy(ctx->state, initial_state, sizeof(ctx->state));
    ctx->length = 0;
}

void sha256_update(struct sha256 *ctx, const void *data, uint32_t len)
{
    const uint8_t *bytes = data;
    while (len) {
        /* A whole block at a block boundary is hashed in place, without the copy. */
        const uint8_t *block = bytes;
        uint32_t n = 64, used = ctx->length % 64;
        if (used != 0 || len < 64) {
            block = ctx->block;
            ctx->block[used] = *bytes;
            n = 1;
        }
        bytes += n;
        len -= n;
        ctx->length += n;
        if (ctx->length % 64 == 0)
            compress(ctx->state, block);
    }
}

void sha256_final(struct sha256 *ctx, uint8_t digest[32])
{
    uint8_t bit_length[8];
    store_be32(bit_length, ctx->length >> 29);
    store_be32(bit_length + 4, ctx->length << 3);
    uint8_t pad = 0x80;
    do {
        sha256_update(ctx, &pad, 1);
        pad = 0;
    } while (ctx->length % 64 != 56);
    sha256_update(ctx, bit_length, 8);
    for (int i = 0; i < 8; i++)
        store_be32(digest + 4 * i, ctx->state[i]);
}
