/* The field arithmetic inside firmware/crypto/p256.c, against OpenSSL's BIGNUM: Montgomery
 * multiplication, addition, subtraction and inversion mod p and mod n, at the edges where a
 * carry, a borrow or the shortcut of the final reduction (no subtraction when the top limb is
 * below the modulus') decides the result, and on random operands. The file is included so its
 * static functions can be called. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "p256.c"

#include "harness.h"

#include <openssl/bn.h>
#include <stdlib.h>

#define HARNESS_SUITE "test_crypto_p256_field"

static uint32_t prng_state = 0x9e3779b9;

static uint32_t prng(void)
{
    prng_state ^= prng_state << 13;
    prng_state ^= prng_state >> 17;
    prng_state ^= prng_state << 5;
    return prng_state;
}

static BIGNUM *to_bn(const uint32_t *a)
{
    uint8_t be[32];
    for (int i = 0; i < 32; i++)
        be[i] = (uint8_t)(a[7 - i / 4] >> (8 * (3 - i % 4)));
    return BN_bin2bn(be, 32, NULL);
}

static void from_bn(uint32_t *a, const BIGNUM *x)
{
    uint8_t be[32];
    BN_bn2binpad(x, be, 32);
    load_be(a, be);
}

static BN_CTX *ctx;
static BIGNUM *modulus_bn[2], *r_inverse[2]; /* p and n; 2^-256 mod each */
static const struct modulus *const moduli[2] = {&field_p, &order_n};

static void setup(void)
{
    ctx = BN_CTX_new();
    BIGNUM *r = BN_new();
    BN_set_bit(r, 256);
    for (int k = 0; k < 2; k++) {
        modulus_bn[k] = to_bn(moduli[k]->limb);
        r_inverse[k] = BN_mod_inverse(NULL, r, modulus_bn[k], ctx);
    }
    BN_free(r);
}

/* Operands at the edges, for modulus m: 0, 1, 2, m - 1, m - 2, m - 6, m - 2^32 (a borrow
 * across a limb), 2^255, m / 2, m's top limb over zeros (the smallest value whose top limb
 * equals m's) and 2^224 - 1. All below m. */
#define EDGES 11
static void edge(uint32_t *a, int i, const struct modulus *m)
{
    static const uint32_t below_m[][2] = {{1, 0}, {2, 0}, {6, 0}, {0, 1}}; /* cases 3-6 */
    memset(a, 0, 4 * LIMBS);
    if (i == 1 || i == 2) {
        a[0] = (uint32_t)i;
    } else if (i >= 3 && i <= 6) {
        uint32_t small[LIMBS] = {below_m[i - 3][0], below_m[i - 3][1]};
        sub_limbs(a, m->limb, small);
    } else if (i == 7) {
        a[7] = 0x80000000u;
    } else if (i == 8) {
        for (int j = 0; j < LIMBS; j++)
            a[j] = m->limb[j] >> 1 | (j < LIMBS - 1 ? m->limb[j + 1] << 31 : 0);
    } else if (i == 9) {
        a[7] = m->limb[7]; /* below m: m's lower limbs are not all zero */
    } else if (i == 10) {
        for (int j = 0; j < 7; j++)
            a[j] = 0xffffffffu;
    }
}

static void random_below(uint32_t *a, const struct modulus *m)
{
    do {
        for (int j = 0; j < LIMBS; j++)
            a[j] = prng();
        /* half of them with m's top limb, where the reduction cannot take its shortcut */
        if (prng() & 1)
            a[7] = m->limb[7];
    } while (!is_below(a, m->limb));
}

static int failures_shown;

static void check_equal(const char *what, int k, const uint32_t *a, const uint32_t *b,
                        const uint32_t *got, const BIGNUM *expected_bn, int *bad)
{
    uint32_t expected[LIMBS];
    from_bn(expected, expected_bn);
    if (memcmp(got, expected, sizeof(expected)) == 0)
        return;
    (*bad)++;
    if (failures_shown++ < 5) {
        printf("  %s mod %s wrong: a ", what, k ? "n" : "p");
        for (int j = 7; j >= 0; j--)
            printf("%08x", a[j]);
        printf(" b ");
        for (int j = 7; j >= 0; j--)
            printf("%08x", b[j]);
        printf(" got ");
        for (int j = 7; j >= 0; j--)
            printf("%08x", got[j]);
        printf("\n");
    }
}

/* One pair through mont_mul, mod_add, mod_sub; each result against BIGNUM. */
static void check_pair(int k, const uint32_t *a, const uint32_t *b, int *bad)
{
    const struct modulus *m = moduli[k];
    BIGNUM *x = to_bn(a), *y = to_bn(b), *e = BN_new();
    uint32_t r[LIMBS];

    mont_mul(r, a, b, m);
    BN_mod_mul(e, x, y, modulus_bn[k], ctx);
    BN_mod_mul(e, e, r_inverse[k], modulus_bn[k], ctx);
    check_equal("mont_mul", k, a, b, r, e, bad);

    memcpy(r, a, sizeof(r)); /* r aliases a, as in the programs */
    mod_add(r, r, b, m);
    BN_mod_add(e, x, y, modulus_bn[k], ctx);
    check_equal("mod_add", k, a, b, r, e, bad);

    mod_sub(r, a, b, m);
    BN_mod_sub(e, x, y, modulus_bn[k], ctx);
    check_equal("mod_sub", k, a, b, r, e, bad);

    BN_free(x);
    BN_free(y);
    BN_free(e);
}

static void edges_against_bignum(void)
{
    int bad = 0, pairs = 0;
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < EDGES; i++) {
            for (int j = 0; j < EDGES; j++) {
                uint32_t a[LIMBS], b[LIMBS];
                edge(a, i, moduli[k]);
                edge(b, j, moduli[k]);
                CHECK(is_below(a, moduli[k]->limb) && is_below(b, moduli[k]->limb));
                check_pair(k, a, b, &bad);
                pairs++;
            }
        }
    }
    printf("  %d edge pairs, %d wrong results\n", pairs, bad);
    CHECK_EQ(bad, 0);
}

static void random_against_bignum(void)
{
    int bad = 0;
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < 3000; i++) {
            uint32_t a[LIMBS], b[LIMBS];
            random_below(a, moduli[k]);
            random_below(b, moduli[k]);
            check_pair(k, a, b, &bad);
        }
    }
    printf("  6000 random pairs, %d wrong results\n", bad);
    CHECK_EQ(bad, 0);
}

/* The sums where the reduction decides: exactly m, m + small (top limb equal to m's, must
 * subtract), just below m with m's top limb (must not), and a carry out of 256 bits. */
static void reduction_boundaries(void)
{
    for (int k = 0; k < 2; k++) {
        const struct modulus *m = moduli[k];
        uint32_t a[LIMBS], b[LIMBS] = {0}, r[LIMBS], expected[LIMBS] = {0};

        edge(a, 3, m); /* m - 1 */
        b[0] = 1;
        mod_add(r, a, b, m); /* = m -> 0 */
        CHECK(is_zero(r));

        b[0] = 6;
        mod_add(r, a, b, m); /* = m + 5 -> 5 */
        expected[0] = 5;
        CHECK(memcmp(r, expected, sizeof(r)) == 0);

        edge(a, 9, m); /* m's top limb, below m */
        memset(b, 0, sizeof(b));
        mod_add(r, a, b, m); /* unchanged */
        CHECK(memcmp(r, a, sizeof(r)) == 0);

        edge(a, 3, m);
        edge(b, 3, m);
        uint32_t carry = add_limbs(r, a, b);
        CHECK_EQ(carry, 1);  /* 2m - 2 does not fit in 256 bits for these m */
        mod_add(r, a, b, m); /* = m - 2 */
        edge(expected, 4, m);
        CHECK(memcmp(r, expected, sizeof(r)) == 0);

        memset(a, 0, sizeof(a));
        b[0] = 1;
        memset(b + 1, 0, sizeof(b) - 4);
        mod_sub(r, a, b, m); /* 0 - 1 = m - 1 */
        edge(expected, 3, m);
        CHECK(memcmp(r, expected, sizeof(r)) == 0);

        CHECK_EQ(sub_limbs(r, a, b), 1); /* borrow */
        CHECK_EQ(sub_limbs(r, b, a), 0);
    }
}

/* mont_mul's first operand may be any 256-bit value (the hash, read as e >= n). */
static void first_operand_above_modulus(void)
{
    int bad = 0;
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < 500; i++) {
            uint32_t a[LIMBS], b[LIMBS], r[LIMBS];
            for (int j = 0; j < LIMBS; j++)
                a[j] = i < 8 ? 0xffffffffu - (uint32_t)(j == i) : prng() | 0xffff0000u;
            random_below(b, moduli[k]);
            mont_mul(r, a, b, moduli[k]);
            BIGNUM *x = to_bn(a), *y = to_bn(b), *e = BN_new();
            BN_mod_mul(e, x, y, modulus_bn[k], ctx);
            BN_mod_mul(e, e, r_inverse[k], modulus_bn[k], ctx);
            check_equal("mont_mul (a >= m)", k, a, b, r, e, &bad);
            BN_free(x);
            BN_free(y);
            BN_free(e);
        }
    }
    CHECK_EQ(bad, 0);
}

/* a * a^-1 = 1 in Montgomery form (both mod p and mod n), from plain values. */
static void inverses(void)
{
    int bad = 0;
    for (int k = 0; k < 2; k++) {
        const struct modulus *m = moduli[k];
        for (int i = 0; i < 40; i++) {
            uint32_t a[LIMBS], inv[LIMBS], r[LIMBS], one[LIMBS] = {1};
            if (i < 3)
                edge(a, i == 0 ? 1 : i == 1 ? 3 : 2, m);
            else
                random_below(a, m);
            to_montgomery(a, m);
            mod_inverse(inv, a, m);
            mont_mul(r, a, inv, m); /* 1 in Montgomery form */
            mont_mul(r, r, one, m); /* plain */
            if (memcmp(r, one, sizeof(r)) != 0)
                bad++;
        }
    }
    CHECK_EQ(bad, 0);
}

int main(void)
{
    setup();
    RUN_TEST(edges_against_bignum);
    RUN_TEST(random_against_bignum);
    RUN_TEST(reduction_boundaries);
    RUN_TEST(first_operand_above_modulus);
    RUN_TEST(inverses);
    for (int k = 0; k < 2; k++) {
        BN_free(modulus_bn[k]);
        BN_free(r_inverse[k]);
    }
    BN_CTX_free(ctx);
    return HARNESS_EXIT();
}
