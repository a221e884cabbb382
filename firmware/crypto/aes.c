/* See aes.h. FIPS-197 section numbers in the comments. */
#include "aes.h"

#include <string.h>

static uint8_t sbox[256], inv_sbox[256]; /* filled at the first aes128_init */

/* Multiplication by x in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (4.2.1). */
static uint8_t xtime(uint8_t a)
{
    return (uint8_t)(a << 1 ^ (a >> 7) * 0x1B);
}

/* 5.1.1: the S-box is the multiplicative inverse followed by the affine transformation. The
 * inverse is walked with p = 3^i and q = 3^-i (3 generates the multiplicative group). */
static void make_sboxes(void)
{
    uint8_t p = 1, q = 1;
    do {
        p = (uint8_t)(p ^ xtime(p)); /* p * 3 */
        q = (uint8_t)(q ^ q << 1), q = (uint8_t)(q ^ q << 2), q = (uint8_t)(q ^ q << 4);
        if (q & 0x80)
            q ^= 0x09; /* q / 3 */
        uint8_t s = (uint8_t)(q ^ (q << 1 | q >> 7) ^ (q << 2 | q >> 6) ^ (q << 3 | q >> 5) ^
                              (q << 4 | q >> 4) ^ 0x63);
        sbox[p] = s;
        inv_sbox[s] = p;
    } while (p != 1);
    sbox[0] = 0x63;
    inv_sbox[0x63] = 0;
}

void aes128_init(struct aes128 *ctx, const uint8_t key[16])
{
    if (!sbox[0])
        make_sboxes();
    uint8_t *w = ctx->round_key, rcon = 1;
    memcpy(w, key, 16);
    for (unsigned i = 16; i < 176; i += 4) { /* 5.2 KeyExpansion */
        uint8_t t[4] = {w[i - 4], w[i - 3], w[i - 2], w[i - 1]};
        if (i % 16 == 0) {
            uint8_t t0 = t[0];
            t[0] = (uint8_t)(sbox[t[1]] ^ rcon);
            t[1] = sbox[t[2]];
            t[2] = sbox[t[3]];
            t[3] = sbox[t0];
            rcon = xtime(rcon);
        }
        for (unsigned k = 0; k < 4; k++)
            w[i + k] = w[i + k - 16] ^ t[k];
    }
}

static void add_round_key(uint8_t *s, const uint8_t *k)
{
    for (unsigned i = 0; i < 16; i++)
        s[i] ^= k[i];
}

/* SubBytes (5.1.1) and ShiftRows (5.1.2), or their inverses (5.3.1-2): row r moves r columns
 * left (right for the inverse). State byte r + 4c is row r, column c. */
static void sub_shift(uint8_t *s, const uint8_t *box, unsigned inverse)
{
    uint8_t t[16];
    for (unsigned i = 0; i < 16; i++) {
        unsigned r = i & 3, c = i >> 2;
        unsigned from = inverse ? (c + 4 - r) & 3 : (c + r) & 3;
        t[i] = box[s[r + 4 * from]];
    }
    memcpy(s, t, 16);
}

static void mix_columns(uint8_t *s) /* 5.1.3 */
{
    for (unsigned c = 0; c < 16; c += 4) {
        uint8_t a0 = s[c], a1 = s[c + 1], a2 = s[c + 2], a3 = s[c + 3];
        uint8_t all = a0 ^ a1 ^ a2 ^ a3;
        s[c] ^= all ^ xtime(a0 ^ a1);
        s[c + 1] ^= all ^ xtime(a1 ^ a2);
        s[c + 2] ^= all ^ xtime(a2 ^ a3);
        s[c + 3] ^= all ^ xtime(a3 ^ a0);
    }
}

void aes128_encrypt(const struct aes128 *ctx, uint8_t block[16])
{
    add_round_key(block, ctx->round_key);
    for (unsigned round = 1; round <= 10; round++) {
        sub_shift(block, sbox, 0);
        if (round < 10)
            mix_columns(block);
        add_round_key(block, ctx->round_key + 16 * round);
    }
}

void aes128_decrypt(const struct aes128 *ctx, uint8_t block[16])
{
    for (unsigned round = 10; round >= 1; round--) {
        add_round_key(block, ctx->round_key + 16 * round);
        if (round < 10)
            for (int k = 0; k < 3; k++) /* InvMixColumns = MixColumns^3 (5.3.3) */
                mix_columns(block);
        sub_shift(block, inv_sbox, 1);
    }
    add_round_key(block, ctx->round_key);
}

void aes128_ctr(const struct aes128 *ctx, uint8_t counter[16], uint8_t *data, uint32_t len)
{
    uint8_t stream[16];
    for (uint32_t done = 0; done < len; done += 16) {
        memcpy(stream, counter, 16);
        aes128_encrypt(ctx, stream);
        for (unsigned i = 0; i < 16 && done + i < len; i++)
            data[done + i] ^= stream[i];
        for (int i = 15; i >= 12 && !++counter[i]; i--) /* the last 32 bits, big endian */
            ;
    }
}

int aes128_unwrap(const struct aes128 *kek, const uint8_t wrapped[24], uint8_t out[16])
{
    uint8_t a[8], b[16];
    memcpy(a, wrapped, 8);
    memcpy(out, wrapped + 8, 16);
    for (int j = 5; j >= 0; j--) {
        for (int i = 2; i >= 1; i--) { /* 2.2.2: B = AES-1(K, (A ^ t) | R[i]), t = n*j + i */
            memcpy(b, a, 8);
            b[7] ^= (uint8_t)(2 * j + i);
            memcpy(b + 8, out + 8 * (i - 1), 8);
            aes128_decrypt(kek, b);
            memcpy(a, b, 8);
            memcpy(out + 8 * (i - 1), b + 8, 8);
        }
    }
    unsigned bad = 0;
    for (int i = 0; i < 8; i++)
        bad |= a[i] ^ 0xA6u;
    if (bad)
        memset(out, 0, 16);
    return !bad;
}
