/* Wycheproof ECDSA P-256/SHA-256 vectors (r||s and DER forms), converted to text by
 * tests/tools/wycheproof2txt.py at build time (mk/crypto.mk). Every "valid" vector must verify,
 * every "invalid" one must be rejected; "acceptable" vectors would be reported, not judged
 * (the current files have none). The vectors come from outside the repository; without them
 * the program reports SKIP. */
#include "p256.h"
#include "sha256.h"

#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define HARNESS_SUITE "test_crypto_wycheproof"

static int hex_to_bytes(const char *hex, uint8_t *out, size_t capacity, size_t *length)
{
    size_t n = strlen(hex);
    if (strcmp(hex, "-") == 0) {
        *length = 0;
        return 1;
    }
    if (n % 2 || n / 2 > capacity)
        return 0;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned value;
        if (sscanf(hex + 2 * i, "%2x", &value) != 1)
            return 0;
        out[i] = (uint8_t)value;
    }
    *length = n / 2;
    return 1;
}

struct counts {
    int valid, valid_passed, invalid, invalid_rejected, invalid_not_presentable, acceptable,
        acceptable_passed, malformed_lines;
};

static void run_file(const char *path, struct counts *c)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("  cannot open %s (run make test-build)\n", path);
        c->malformed_lines++;
        return;
    }
    char line[8192];
    while (fgets(line, sizeof(line), f)) {
        int id;
        char result[16], key_hex[256], msg_hex[4096], sig_hex[256], comment[512];
        uint8_t key[64], msg[2048], sig[64];
        size_t key_len, msg_len, sig_len;
        if (sscanf(line, "%d %15s %255s %4095s %255s %511s", &id, result, key_hex, msg_hex, sig_hex,
                   comment) != 6 ||
            !hex_to_bytes(key_hex, key, sizeof(key), &key_len) || key_len != 64 ||
            !hex_to_bytes(msg_hex, msg, sizeof(msg), &msg_len)) {
            printf("  %s: malformed line: %s", path, line);
            c->malformed_lines++;
            continue;
        }
        /* Not 64 bytes or not strict DER: the caller cannot hand it to the verifier at all. */
        int presentable = strncmp(sig_hex, "bad-", 4) != 0;
        if (presentable && (!hex_to_bytes(sig_hex, sig, sizeof(sig), &sig_len) || sig_len != 64)) {
            printf("  %s: malformed signature: %s", path, line);
            c->malformed_lines++;
            continue;
        }
        int verified = 0;
        if (presentable) {
            struct sha256 ctx;
            uint8_t hash[32];
            sha256_init(&ctx);
            sha256_update(&ctx, msg, (uint32_t)msg_len);
            sha256_final(&ctx, hash);
            verified = p256_ecdsa_verify(key, hash, sig);
        }
        if (strcmp(result, "valid") == 0) {
            c->valid++;
            c->valid_passed += verified;
            if (!verified)
                printf("  %s tcId %d (%s): valid vector rejected\n", path, id, comment);
        } else if (strcmp(result, "invalid") == 0) {
            c->invalid++;
            c->invalid_rejected += !verified;
            c->invalid_not_presentable += !presentable;
            if (verified)
                printf("  %s tcId %d (%s): invalid vector accepted\n", path, id, comment);
        } else if (strcmp(result, "acceptable") == 0) {
            c->acceptable++;
            c->acceptable_passed += verified;
            printf("  %s tcId %d (%s): acceptable vector %s\n", path, id, comment,
                   verified ? "verified" : "rejected");
        } else {
            printf("  %s tcId %d: unknown result %s\n", path, id, result);
            c->malformed_lines++;
        }
    }
    fclose(f);
}

static void check_file(const char *path, int expected_total)
{
    struct counts c = {0};
    run_file(path, &c);
    printf("  %s: valid %d/%d passed, invalid %d/%d rejected (%d of them not presentable as "
           "64-byte r||s), acceptable %d (%d verified)\n",
           path, c.valid_passed, c.valid, c.invalid_rejected, c.invalid, c.invalid_not_presentable,
           c.acceptable, c.acceptable_passed);
    CHECK_EQ(c.malformed_lines, 0);
    CHECK_EQ(c.valid + c.invalid + c.acceptable, expected_total);
    CHECK(c.valid > 0 && c.invalid > 0);
    CHECK_EQ(c.valid_passed, c.valid);
    CHECK_EQ(c.invalid_rejected, c.invalid);
}

static void wycheproof_p1363_vectors(void)
{
    check_file("build/crypto/wycheproof_p1363.txt", 262);
}

static void wycheproof_der_vectors(void)
{
    check_file("build/crypto/wycheproof_der.txt", 484);
}

int main(void)
{
#if !WYCHEPROOF_FOUND
    /* The vectors are not part of the repository (mk/crypto.mk says where they are looked for). */
    printf("SKIP %s:wycheproof_p1363_vectors (no Wycheproof vectors; WYCHEPROOF_DIR=dir)\n",
           HARNESS_SUITE);
    printf("SKIP %s:wycheproof_der_vectors (no Wycheproof vectors; WYCHEPROOF_DIR=dir)\n",
           HARNESS_SUITE);
    return 0;
#endif
    RUN_TEST(wycheproof_p1363_vectors);
    RUN_TEST(wycheproof_der_vectors);
    return HARNESS_EXIT();
}
