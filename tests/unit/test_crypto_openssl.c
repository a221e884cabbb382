/* Differential test against OpenSSL's libcrypto: keys and signatures from OpenSSL, then
 * mutations (bit flips, s -> n - s, r and s at and around the range limits, hashes >= n, other
 * and off-curve keys). For every case p256_ecdsa_verify must agree with ECDSA_do_verify. */
#define OPENSSL_SUPPRESS_DEPRECATED /* the EC_KEY API is the shortest way to raw keys */
#include "p256.h"

#include "harness.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>
#include <string.h>

#define HARNESS_SUITE "test_crypto_openssl"

static uint32_t prng_state = 0x2545f491;

static uint32_t prng(void)
{
    prng_state ^= prng_state << 13;
    prng_state ^= prng_state >> 17;
    prng_state ^= prng_state << 5;
    return prng_state;
}

static const uint8_t order_n[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

/* OpenSSL's verdict on raw inputs; a key it cannot even load counts as a rejection. */
static int openssl_verify(const uint8_t pub[64], const uint8_t hash[32], const uint8_t sig[64])
{
    EC_KEY *key = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
    EC_POINT *point = EC_POINT_new(EC_KEY_get0_group(key));
    uint8_t encoded[65] = {0x04};
    memcpy(encoded + 1, pub, 64);
    int result = 0;
    if (EC_POINT_oct2point(EC_KEY_get0_group(key), point, encoded, sizeof(encoded), NULL) == 1 &&
        EC_KEY_set_public_key(key, point) == 1) {
        ECDSA_SIG *s = ECDSA_SIG_new();
        ECDSA_SIG_set0(s, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
        result = ECDSA_do_verify(hash, 32, s, key) == 1;
        ECDSA_SIG_free(s);
    }
    EC_POINT_free(point);
    EC_KEY_free(key);
    return result;
}

static void make_key(uint8_t pub[64], EC_KEY **key)
{
    uint8_t encoded[65];
    *key = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
    CHECK(EC_KEY_generate_key(*key) == 1);
    CHECK(EC_POINT_point2oct(EC_KEY_get0_group(*key), EC_KEY_get0_public_key(*key),
                             POINT_CONVERSION_UNCOMPRESSED, encoded, sizeof(encoded),
                             NULL) == sizeof(encoded));
    memcpy(pub, encoded + 1, 64);
}

static void sign(EC_KEY *key, const uint8_t hash[32], uint8_t sig[64])
{
    ECDSA_SIG *s = ECDSA_do_sign(hash, 32, key);
    const BIGNUM *r, *ss;
    ECDSA_SIG_get0(s, &r, &ss);
    BN_bn2binpad(r, sig, 32);
    BN_bn2binpad(ss, sig + 32, 32);
    ECDSA_SIG_free(s);
}

static void set_special(uint8_t field[32], int which)
{
    int borrow = 0;
    switch (which) {
    case 0: /* 0 */
        memset(field, 0, 32);
        break;
    case 1: /* 1 */
        memset(field, 0, 32);
        field[31] = 1;
        break;
    case 2: /* n - 1, n, n + 1 */
    case 3:
    case 4:
        memcpy(field, order_n, 32);
        for (int i = 31, d = which - 3; i >= 0; i--) {
            int v = field[i] + d - borrow;
            borrow = v < 0 ? 1 : v > 255 ? -1 : 0;
            field[i] = (uint8_t)v;
            d = 0;
        }
        break;
    default: /* 2^256 - 1 */
        memset(field, 0xff, 32);
    }
}

static int agreements, acceptances, cases;

static void compare(const uint8_t pub[64], const uint8_t hash[32], const uint8_t sig[64],
                    const char *what)
{
    int ours = p256_ecdsa_verify(pub, hash, sig);
    int theirs = openssl_verify(pub, hash, sig);
    cases++;
    acceptances += ours;
    if (ours == theirs) {
        agreements++;
        return;
    }
    printf("  %s: ours %d, openssl %d\n  pub ", what, ours, theirs);
    for (int i = 0; i < 64; i++)
        printf("%02x", pub[i]);
    printf("\n  hash ");
    for (int i = 0; i < 32; i++)
        printf("%02x", hash[i]);
    printf("\n  sig ");
    for (int i = 0; i < 64; i++)
        printf("%02x", sig[i]);
    printf("\n");
}

static void agrees_with_openssl(void)
{
    uint8_t other_pub[64] = {0};
    for (int k = 0; k < 16; k++) {
        EC_KEY *key;
        uint8_t pub[64], hash[32], sig[64], m[64], mhash[32], mpub[64];
        make_key(pub, &key);
        for (int c = 0; c < 8; c++) {
            for (int i = 0; i < 32; i++)
                hash[i] = (uint8_t)prng();
            if (c == 1)
                memset(hash, 0xff, 16); /* often >= n */
            if (c == 2)
                memset(hash, 0, 31); /* small e */
            sign(key, hash, sig);
            compare(pub, hash, sig, "as signed");

            memcpy(m, sig, 64);
            m[prng() % 64] ^= (uint8_t)(1u << prng() % 8);
            compare(pub, hash, m, "signature bit flip");

            memcpy(mhash, hash, 32);
            mhash[prng() % 32] ^= (uint8_t)(1u << prng() % 8);
            compare(pub, mhash, sig, "hash bit flip");

            memcpy(mpub, pub, 64);
            mpub[prng() % 64] ^= (uint8_t)(1u << prng() % 8);
            compare(mpub, hash, sig, "key bit flip");

            compare(other_pub, hash, sig, "previous key");

            memcpy(m, sig, 64);
            int borrow = 0;
            for (int i = 31; i >= 0; i--) { /* s -> n - s */
                int v = order_n[i] - sig[32 + i] - borrow;
                borrow = v < 0;
                m[32 + i] = (uint8_t)v;
            }
            compare(pub, hash, m, "n - s");

            memcpy(m, sig, 64);
            set_special(m + 32 * (c & 1), (int)(prng() % 6));
            compare(pub, hash, m, "r or s at a limit");
        }
        memcpy(other_pub, pub, 64);
        EC_KEY_free(key);
    }
    printf("  %d cases, %d agree with OpenSSL, %d accepted\n", cases, agreements, acceptances);
    CHECK_EQ(agreements, cases);
    CHECK(acceptances >= 16 * 8 * 2); /* as signed and n - s, at least */
}

int main(void)
{
    RUN_TEST(agrees_with_openssl);
    return HARNESS_EXIT();
}
