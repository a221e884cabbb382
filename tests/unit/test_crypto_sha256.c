/* SHA-256: the FIPS 180-2 example messages, every length 0..130 against OpenSSL's output
 * computed now, and the same digest whatever the split into update calls. */
#include "sha256.h"

#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define HARNESS_SUITE "test_crypto_sha256"

static void hash(const void *data, uint32_t len, uint8_t digest[32])
{
    struct sha256 ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, data, len);
    sha256_final(&ctx, digest);
}

static void to_hex(const uint8_t *bytes, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", bytes[i]);
}

static int digest_is(const uint8_t digest[32], const char *expected_hex)
{
    char hex[65];
    to_hex(digest, 32, hex);
    if (strcmp(hex, expected_hex) != 0) {
        printf("  got      %s\n  expected %s\n", hex, expected_hex);
        return 0;
    }
    return 1;
}

static void fips_examples(void)
{
    uint8_t d[32];
    hash("", 0, d);
    CHECK(digest_is(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    hash("abc", 3, d);
    CHECK(digest_is(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hash(m448, (uint32_t)strlen(m448), d);
    CHECK(digest_is(d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
}

static void one_million_a(void)
{
    /* In 1000 updates of 1000 bytes: also exercises a buffer that is partly filled. */
    char block[1000];
    memset(block, 'a', sizeof(block));
    struct sha256 ctx;
    uint8_t d[32];
    sha256_init(&ctx);
    for (int i = 0; i < 1000; i++)
        sha256_update(&ctx, block, sizeof(block));
    sha256_final(&ctx, d);
    CHECK(digest_is(d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
}

static void message(uint8_t *m, int len)
{
    for (int i = 0; i < len; i++)
        m[i] = (uint8_t)(i * 131 + len * 7 + 1);
}

static void lengths_0_to_130_match_openssl(void)
{
    char dir[] = "/tmp/test_crypto_sha256.XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return;
    }
    int compared = 0;
    for (int len = 0; len <= 130; len++) {
        uint8_t m[130], d[32];
        char path[64], command[160], line[256];
        message(m, len);
        snprintf(path, sizeof(path), "%s/m", dir);
        FILE *f = fopen(path, "wb");
        CHECK(f && fwrite(m, 1, (size_t)len, f) == (size_t)len);
        if (f)
            fclose(f);
        snprintf(command, sizeof(command), "openssl dgst -sha256 -r %s", path);
        FILE *p = popen(command, "r");
        CHECK(p != NULL);
        if (!p)
            break;
        int got_line = fgets(line, sizeof(line), p) != NULL;
        int status = pclose(p);
        CHECK(got_line && status == 0);
        if (!got_line || status != 0)
            break;
        line[64] = '\0'; /* "-r" prints "<hex> *<file>" */
        hash(m, (uint32_t)len, d);
        if (!digest_is(d, line))
            printf("  length %d differs from openssl\n", len);
        CHECK(digest_is(d, line));
        compared++;
    }
    CHECK_EQ(compared, 131);
    char path[64];
    snprintf(path, sizeof(path), "%s/m", dir);
    remove(path);
    remove(dir);
}

static void any_split_gives_the_same_digest(void)
{
    uint8_t m[300], whole[32];
    message(m, sizeof(m));
    hash(m, sizeof(m), whole);
    for (uint32_t chunk = 1; chunk <= 130; chunk++) {
        struct sha256 ctx;
        uint8_t d[32];
        sha256_init(&ctx);
        for (uint32_t at = 0; at < sizeof(m); at += chunk)
            sha256_update(&ctx, m + at, at + chunk <= sizeof(m) ? chunk : sizeof(m) - at);
        sha256_final(&ctx, d);
        CHECK(memcmp(d, whole, 32) == 0);
    }
}

int main(void)
{
    RUN_TEST(fips_examples);
    RUN_TEST(one_million_a);
    RUN_TEST(lengths_0_to_130_match_openssl);
    RUN_TEST(any_split_gives_the_same_digest);
    return HARNESS_EXIT();
}
