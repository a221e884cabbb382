/* ECDSA P-256 verification against signatures made by OpenSSL now (a fresh key per run), single
 * byte flips of message, signature and key, the range checks on r, s and the key, and a hash
 * whose value is >= n. */
#include "p256.h"
#include "sha256.h"

#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define HARNESS_SUITE "test_crypto_p256"

static const uint8_t order_n[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};
static const uint8_t prime_p[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

static char work_dir[] = "/tmp/test_crypto_p256.XXXXXX";
static uint8_t public_key[64];
static int have_key;

static int shell(const char *fmt, const char *a, const char *b)
{
    char command[512];
    snprintf(command, sizeof(command), fmt, work_dir, a ? a : "", b ? b : "");
    int status = system(command);
    if (status != 0)
        printf("  command failed (%d): %s\n", status, command);
    return status == 0;
}

static size_t read_file(const char *name, uint8_t *buf, size_t capacity)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", work_dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, capacity, f);
    fclose(f);
    return n;
}

static void write_file(const char *name, const uint8_t *buf, size_t n)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", work_dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(buf, 1, n, f) == n);
    if (f)
        fclose(f);
}

/* One strict DER INTEGER into a 32-byte big-endian field; returns the next position or 0. */
static size_t der_integer(const uint8_t *der, size_t pos, size_t end, uint8_t out[32])
{
    if (pos + 2 > end || der[pos] != 0x02)
        return 0;
    size_t len = der[pos + 1];
    pos += 2;
    if (len == 0 || len > 33 || pos + len > end || der[pos] & 0x80)
        return 0;
    if (len > 1 && der[pos] == 0 && !(der[pos + 1] & 0x80))
        return 0;
    if (len == 33) {
        if (der[pos] != 0)
            return 0;
        pos++, len--;
    }
    memset(out, 0, 32);
    memcpy(out + 32 - len, der + pos, len);
    return pos + len;
}

/* SEQUENCE { r, s } (short lengths: a P-256 signature is at most 72 bytes) -> r||s */
static int der_to_raw(const uint8_t *der, size_t n, uint8_t sig[64])
{
    if (n < 2 || der[0] != 0x30 || der[1] != n - 2)
        return 0;
    size_t pos = der_integer(der, 2, n, sig);
    pos = pos ? der_integer(der, pos, n, sig + 32) : 0;
    return pos == n;
}

static void hash(const uint8_t *m, size_t n, uint8_t digest[32])
{
    struct sha256 ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, m, (uint32_t)n);
    sha256_final(&ctx, digest);
}

/* Signs the file "msg" with dgst (hash it) or the 32-byte file "digest" with pkeyutl (as is). */
static int openssl_sign(int raw_digest, uint8_t sig[64])
{
    uint8_t der[128];
    int ok = raw_digest ? shell("cd %s && openssl pkeyutl -sign -inkey key.pem -in digest -out "
                                "sig.der",
                                NULL, NULL)
                        : shell("cd %s && openssl dgst -sha256 -sign key.pem -out sig.der msg",
                                NULL, NULL);
    size_t n = ok ? read_file("sig.der", der, sizeof(der)) : 0;
    ok = n > 0 && der_to_raw(der, n, sig);
    CHECK(ok);
    return ok;
}

static void make_key(void)
{
    uint8_t der[128];
    CHECK(mkdtemp(work_dir) != NULL);
    have_key = shell("cd %s && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
                     "-out key.pem 2>/dev/null && openssl pkey -in key.pem -pubout -outform DER "
                     "-out pub.der",
                     NULL, NULL);
    /* SubjectPublicKeyInfo ends with the BIT STRING 04 || x || y. */
    size_t n = have_key ? read_file("pub.der", der, sizeof(der)) : 0;
    have_key = n == 91 && der[n - 65] == 0x04;
    CHECK(have_key);
    if (have_key)
        memcpy(public_key, der + n - 64, 64);
}

static void openssl_signatures_verify(void)
{
    CHECK(have_key);
    static const size_t lengths[] = {0, 1, 55, 56, 64, 1000, 4099};
    for (size_t k = 0; have_key && k < sizeof(lengths) / sizeof(lengths[0]); k++) {
        uint8_t msg[4099], sig[64], digest[32];
        for (size_t i = 0; i < lengths[k]; i++)
            msg[i] = (uint8_t)(i * 7 + k);
        write_file("msg", msg, lengths[k]);
        if (!openssl_sign(0, sig))
            return;
        hash(msg, lengths[k], digest);
        CHECK_EQ(p256_ecdsa_verify(public_key, digest, sig), 1);
    }
}

static void single_byte_flips_fail(void)
{
    uint8_t msg[777], sig[64], digest[32], key[64];
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)(i * 13 + 5);
    write_file("msg", msg, sizeof(msg));
    if (!have_key || !openssl_sign(0, sig))
        return;
    hash(msg, sizeof(msg), digest);
    CHECK_EQ(p256_ecdsa_verify(public_key, digest, sig), 1);

    int accepted = 0, tried = 0;
    for (int pos = 0; pos < 64; pos++) {
        for (int flip = 1; flip <= 0x80; flip <<= 7) { /* 0x01 and 0x80 */
            sig[pos] ^= (uint8_t)flip;
            accepted += p256_ecdsa_verify(public_key, digest, sig);
            sig[pos] ^= (uint8_t)flip;
            tried++;
        }
    }
    for (size_t pos = 0; pos < sizeof(msg); pos += pos < 70 ? 1 : 97) {
        uint8_t flipped_digest[32];
        msg[pos] ^= 0x20;
        hash(msg, sizeof(msg), flipped_digest);
        accepted += p256_ecdsa_verify(public_key, flipped_digest, sig);
        msg[pos] ^= 0x20;
        tried++;
    }
    for (int pos = 0; pos < 32; pos++) {
        digest[pos] ^= 0x01;
        accepted += p256_ecdsa_verify(public_key, digest, sig);
        digest[pos] ^= 0x01;
        tried++;
    }
    for (int pos = 0; pos < 64; pos++) {
        memcpy(key, public_key, 64);
        key[pos] ^= 0x04;
        accepted += p256_ecdsa_verify(key, digest, sig);
        tried++;
    }
    printf("  %d altered inputs, %d accepted\n", tried, accepted);
    CHECK_EQ(accepted, 0);
    CHECK_EQ(p256_ecdsa_verify(public_key, digest, sig), 1); /* all restored */
}

/* out = a - b (mod 2^256), big endian */
static void sub_be(uint8_t out[32], const uint8_t a[32], const uint8_t b[32])
{
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int d = a[i] - b[i] - borrow;
        borrow = d < 0;
        out[i] = (uint8_t)d;
    }
}

/* out = a + b (mod 2^256), big endian; returns the carry */
static int add_be(uint8_t out[32], const uint8_t a[32], const uint8_t b[32])
{
    int carry = 0;
    for (int i = 31; i >= 0; i--) {
        int s = a[i] + b[i] + carry;
        carry = s > 255;
        out[i] = (uint8_t)s;
    }
    return carry;
}

static void range_checks(void)
{
    uint8_t msg[] = "range", sig[64], digest[32], bad[64], key[64];
    write_file("msg", msg, sizeof(msg));
    if (!have_key || !openssl_sign(0, sig))
        return;
    hash(msg, sizeof(msg), digest);
    CHECK_EQ(p256_ecdsa_verify(public_key, digest, sig), 1);

    /* (r, n - s) is the other valid signature of the same message. */
    memcpy(bad, sig, 64);
    sub_be(bad + 32, order_n, sig + 32);
    CHECK_EQ(p256_ecdsa_verify(public_key, digest, bad), 1);

    static const uint8_t zero[32];
    for (int half = 0; half < 2; half++) {
        memcpy(bad, sig, 64);
        memcpy(bad + 32 * half, zero, 32);
        CHECK_EQ(p256_ecdsa_verify(public_key, digest, bad), 0);
        memcpy(bad + 32 * half, order_n, 32);
        CHECK_EQ(p256_ecdsa_verify(public_key, digest, bad), 0);
        /* r + n or s + n: the same value mod n, but out of range (when it fits 256 bits) */
        add_be(bad + 32 * half, sig + 32 * half, order_n);
        CHECK_EQ(p256_ecdsa_verify(public_key, digest, bad), 0);
        memset(bad + 32 * half, 0xff, 32);
        CHECK_EQ(p256_ecdsa_verify(public_key, digest, bad), 0);
    }

    /* Keys: (0, 0), a coordinate >= p, the negated key (on the curve, not the signer). */
    memset(key, 0, 64);
    CHECK_EQ(p256_ecdsa_verify(key, digest, sig), 0);
    for (int half = 0; half < 2; half++) {
        memcpy(key, public_key, 64);
        memcpy(key + 32 * half, prime_p, 32);
        CHECK_EQ(p256_ecdsa_verify(key, digest, sig), 0);
        add_be(key + 32 * half, public_key + 32 * half, prime_p); /* x + p, wraps mod 2^256 */
        CHECK_EQ(p256_ecdsa_verify(key, digest, sig), 0);
    }
    memcpy(key, public_key, 64);
    sub_be(key + 32, prime_p, public_key + 32);
    CHECK_EQ(p256_ecdsa_verify(key, digest, sig), 0);
}

/* OpenSSL signs a digest with value >= n as e = digest mod n; so must we verify. */
static void hash_above_n(void)
{
    uint8_t digest[32], sig[64], reduced[32];
    memset(digest, 0xff, sizeof(digest));
    write_file("digest", digest, sizeof(digest));
    if (!have_key || !openssl_sign(1, sig))
        return;
    CHECK_EQ(p256_ecdsa_verify(public_key, digest, sig), 1);
    sub_be(reduced, digest, order_n); /* the same e */
    CHECK_EQ(p256_ecdsa_verify(public_key, reduced, sig), 1);
    digest[31] ^= 1;
    CHECK_EQ(p256_ecdsa_verify(public_key, digest, sig), 0);
}

/* With Q = G, r = n - e and s = 1 give u1 G + u2 Q = (e + r) G = infinity. */
static void result_at_infinity_is_rejected(void)
{
    static const uint8_t generator[64] = {
        0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63,
        0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1,
        0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f,
        0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57,
        0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
    };
    uint8_t digest[32], sig[64] = {0};
    hash((const uint8_t *)"infinity", 8, digest);
    sub_be(sig, order_n, digest);
    sig[63] = 1;
    CHECK_EQ(p256_ecdsa_verify(generator, digest, sig), 0);
    /* Control: private key 1 (Q = G) and nonce k = 1 give r = x(G) (< n) and
     * s = e + r mod n, a valid signature; the same with r = n - e is not. */
    memcpy(sig, generator, 32);
    if (memcmp(digest, order_n, 32) >= 0)
        sub_be(digest, digest, order_n);
    int carry = add_be(sig + 32, digest, sig);
    if (carry || memcmp(sig + 32, order_n, 32) >= 0)
        sub_be(sig + 32, sig + 32, order_n);
    CHECK_EQ(p256_ecdsa_verify(generator, digest, sig), 1);
}

int main(void)
{
    make_key();
    RUN_TEST(openssl_signatures_verify);
    RUN_TEST(single_byte_flips_fail);
    RUN_TEST(range_checks);
    RUN_TEST(hash_above_n);
    RUN_TEST(result_at_infinity_is_rejected);
    shell("rm -rf %s", NULL, NULL);
    return HARNESS_EXIT();
}
