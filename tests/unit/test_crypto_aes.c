/* firmware/crypto/aes.c against the published known answers (FIPS-197 appendix C.1, NIST
 * SP 800-38A F.5.1 CTR-AES128, RFC 3394 4.1) and against OpenSSL's libcrypto (EVP_aes_128_ecb,
 * EVP_aes_128_ctr, EVP_aes_128_wrap) on pseudo-random keys and data. */
#include "aes.h"

#include "harness.h"

#include <openssl/evp.h>
#include <string.h>

#define HARNESS_SUITE "test_crypto_aes"

static uint32_t prng_state = 0x9E3779B9u;

static void fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        prng_state ^= prng_state << 13;
        prng_state ^= prng_state >> 17;
        prng_state ^= prng_state << 5;
        p[i] = (uint8_t)prng_state;
    }
}

static void hex(uint8_t *out, const char *text)
{
    for (size_t i = 0; text[2 * i]; i++) {
        unsigned v;
        sscanf(text + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
}

static void test_fips197_c1(void)
{
    uint8_t key[16], block[16], want[16];
    struct aes128 ctx;
    hex(key, "000102030405060708090a0b0c0d0e0f");
    hex(block, "00112233445566778899aabbccddeeff");
    hex(want, "69c4e0d86a7b0430d8cdb78070b4c55a");
    aes128_init(&ctx, key);
    aes128_encrypt(&ctx, block);
    CHECK(memcmp(block, want, 16) == 0);
    aes128_decrypt(&ctx, block);
    hex(want, "00112233445566778899aabbccddeeff");
    CHECK(memcmp(block, want, 16) == 0);
    /* the last round key of appendix A.1 (w[40..43]) */
    hex(want, "d014f9a8c9ee2589e13f0cc8b6630ca6");
    hex(key, "2b7e151628aed2a6abf7158809cf4f3c");
    aes128_init(&ctx, key);
    CHECK(memcmp(ctx.round_key + 160, want, 16) == 0);
}

static void test_sp800_38a_ctr(void)
{
    uint8_t key[16], counter[16], data[64], want[64];
    struct aes128 ctx;
    hex(key, "2b7e151628aed2a6abf7158809cf4f3c");
    hex(counter, "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    hex(data, "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
              "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
    hex(want, "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
              "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee");
    aes128_init(&ctx, key);
    aes128_ctr(&ctx, counter, data, 64);
    CHECK(memcmp(data, want, 64) == 0);
    uint8_t next[16];
    hex(next, "f0f1f2f3f4f5f6f7f8f9fafbfcfdff03");
    CHECK(memcmp(counter, next, 16) == 0);
}

static void test_rfc3394_4_1(void)
{
    uint8_t kek[16], wrapped[24], key[16], want[16];
    struct aes128 ctx;
    hex(kek, "000102030405060708090a0b0c0d0e0f");
    hex(wrapped, "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5");
    hex(want, "00112233445566778899aabbccddeeff");
    aes128_init(&ctx, kek);
    CHECK(aes128_unwrap(&ctx, wrapped, key) == 1);
    CHECK(memcmp(key, want, 16) == 0);
    for (int i = 0; i < 24; i++) { /* every single-byte change is refused */
        wrapped[i] ^= 0x01;
        CHECK(aes128_unwrap(&ctx, wrapped, key) == 0);
        wrapped[i] ^= 0x01;
    }
    kek[0] ^= 0x80; /* another key encryption key */
    aes128_init(&ctx, kek);
    CHECK(aes128_unwrap(&ctx, wrapped, key) == 0);
}

static void test_against_libcrypto(void)
{
    for (int round = 0; round < 200; round++) {
        uint8_t key[16], iv[16], data[333], ours[333], theirs[333 + 16], block[16], blk2[16];
        int n = 0, m = 0;
        fill(key, 16);
        fill(iv, 12);
        memset(iv + 12, 0, 4);
        fill(data, sizeof data);
        struct aes128 ctx;
        aes128_init(&ctx, key);
        /* one block, both directions */
        memcpy(block, data, 16);
        aes128_encrypt(&ctx, block);
        EVP_CIPHER_CTX *e = EVP_CIPHER_CTX_new();
        EVP_EncryptInit_ex(e, EVP_aes_128_ecb(), NULL, key, NULL);
        EVP_CIPHER_CTX_set_padding(e, 0);
        EVP_EncryptUpdate(e, blk2, &n, data, 16);
        CHECK(n == 16 && memcmp(block, blk2, 16) == 0);
        aes128_decrypt(&ctx, block);
        CHECK(memcmp(block, data, 16) == 0);
        /* CTR over a length that is not a multiple of 16 */
        memcpy(ours, data, sizeof data);
        uint8_t counter[16];
        memcpy(counter, iv, 16);
        aes128_ctr(&ctx, counter, ours, sizeof ours);
        EVP_EncryptInit_ex(e, EVP_aes_128_ctr(), NULL, key, iv);
        EVP_EncryptUpdate(e, theirs, &n, data, sizeof data);
        EVP_EncryptFinal_ex(e, theirs + n, &m);
        CHECK(n + m == (int)sizeof data && memcmp(ours, theirs, sizeof data) == 0);
        /* key wrap: OpenSSL wraps, we unwrap */
        uint8_t cek[16], wrapped[24 + 8], got[16];
        fill(cek, 16);
        EVP_CIPHER_CTX_reset(e);
        EVP_CIPHER_CTX_set_flags(e, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
        EVP_EncryptInit_ex(e, EVP_aes_128_wrap(), NULL, key, NULL);
        EVP_EncryptUpdate(e, wrapped, &n, cek, 16);
        EVP_EncryptFinal_ex(e, wrapped + n, &m);
        CHECK(n + m == 24);
        CHECK(aes128_unwrap(&ctx, wrapped, got) == 1 && memcmp(got, cek, 16) == 0);
        EVP_CIPHER_CTX_free(e);
    }
}

int main(void)
{
    RUN_TEST(test_fips197_c1);
    RUN_TEST(test_sp800_38a_ctr);
    RUN_TEST(test_rfc3394_4_1);
    RUN_TEST(test_against_libcrypto);
    return HARNESS_EXIT();
}
