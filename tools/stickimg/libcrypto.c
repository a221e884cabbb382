/* Keys and signing through OpenSSL's libcrypto (the host has the private key; the firmware
 * never does). Builds without libcrypto (Windows) link no_libcrypto.c instead. */
#include "sign.h"

#include "stickimg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

/* set_error with OpenSSL's reason for the failure appended. */
static int crypto_error(const char *what)
{
    unsigned long code = ERR_get_error();
    char reason[256] = "";
    if (code)
        ERR_error_string_n(code, reason, sizeof reason);
    ERR_clear_error();
    return set_error("%s%s%s", what, code ? ": " : "", reason);
}

/* Never prompt for a passphrase: a post-build step has nobody to type it. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

static int is_p256(EVP_PKEY *key)
{
    char group[64];
    if (!EVP_PKEY_is_a(key, "EC") ||
        !EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, NULL))
        return 0;
    return strcmp(group, SN_X9_62_prime256v1) == 0 || strcmp(group, "P-256") == 0;
}

/* Raw x || y (or 04 || x || y) into a P-256 public key; OpenSSL checks the point. */
static EVP_PKEY *public_from_raw(const uint8_t *data, size_t size)
{
    uint8_t point[65] = {0x04};
    memcpy(point + 1, size == 65 ? data + 1 : data, 64);
    OSSL_PARAM_BLD *build = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *key = NULL;
    if (build && ctx &&
        OSSL_PARAM_BLD_push_utf8_string(build, OSSL_PKEY_PARAM_GROUP_NAME, SN_X9_62_prime256v1,
                                        0) &&
        OSSL_PARAM_BLD_push_octet_string(build, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point) &&
        (params = OSSL_PARAM_BLD_to_param(build)) != NULL && EVP_PKEY_fromdata_init(ctx) > 0 &&
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) > 0) {
        EVP_PKEY_CTX *check = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
        if (!check || EVP_PKEY_public_check(check) <= 0) {
            EVP_PKEY_free(key);
            key = NULL;
        }
        EVP_PKEY_CTX_free(check);
    }
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(build);
    EVP_PKEY_CTX_free(ctx);
    return key;
}

static int contains(const uint8_t *data, size_t size, const char *text)
{
    size_t n = strlen(text);
    for (size_t i = 0; i + n <= size; i++) {
        if (memcmp(data + i, text, n) == 0)
            return 1;
    }
    return 0;
}

/* Loads a key file. want_private: only a private key will do. */
static EVP_PKEY *key_load(const char *path, int want_private)
{
    uint8_t *data;
    size_t size;
    if (read_file(path, &data, &size))
        return NULL;
    EVP_PKEY *key = NULL;
    if (contains(data, size, "-----BEGIN ")) {
        BIO *bio = BIO_new_mem_buf(data, (int)size);
        if (bio)
            key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
        if (!key && !want_private && bio && BIO_reset(bio) == 1) {
            ERR_clear_error();
            key = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
        }
        BIO_free(bio);
        if (!key && contains(data, size, "ENCRYPTED")) {
            set_error("%s: the key is encrypted; a build step has nobody to type the passphrase "
                      "(openssl pkey -in KEY -out PLAIN.pem decrypts it)",
                      path);
        } else if (!key) {
            const char *expected =
                want_private ? "an unencrypted private key PEM" : "a private or public key PEM";
            char what[512];
            snprintf(what, sizeof what, "%s: not %s", path, expected);
            crypto_error(what);
        }
    } else if (!want_private && (size == 64 || (size == 65 && data[0] == 0x04))) {
        key = public_from_raw(data, size);
        if (!key)
            set_error("%s: 64 bytes, but not a point x || y on P-256", path);
    } else {
        set_error("%s: not a PEM key file%s", path,
                  want_private ? " (make one with stickimg keygen)" : " or 64 raw bytes x || y");
    }
    free(data);
    if (key && !is_p256(key)) {
        set_error("%s: not an ECDSA P-256 (prime256v1) key", path);
        EVP_PKEY_free(key);
        key = NULL;
    }
    ERR_clear_error();
    return key;
}

static int public_of(EVP_PKEY *key, uint8_t pub[64])
{
    BIGNUM *x = NULL, *y = NULL;
    int ok = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) &&
             EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) &&
             BN_bn2binpad(x, pub, 32) == 32 && BN_bn2binpad(y, pub + 32, 32) == 32;
    BN_free(x);
    BN_free(y);
    return ok ? 0 : crypto_error("cannot read the public key");
}

int key_generate(const char *path)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!key)
        return crypto_error("key generation failed");
    FILE *f = stdout;
    if (strcmp(path, "-") != 0) {
        /* A private key: readable by its owner only, and never over an existing file. */
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        f = fd < 0 ? NULL : fdopen(fd, "w");
        if (!f) {
            if (fd >= 0)
                close(fd);
            EVP_PKEY_free(key);
            return set_error("%s: cannot create: %s", path, strerror(errno));
        }
    }
    int ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
    EVP_PKEY_free(key);
    if (f != stdout) {
        ok = fclose(f) == 0 && ok;
        if (!ok)
            unlink(path);
    } else
        ok = fflush(f) == 0 && ok;
    return ok ? 0 : crypto_error(path);
}

int key_load_public(const char *path, uint8_t pub[64])
{
    EVP_PKEY *key = key_load(path, 0);
    if (!key)
        return -1;
    int r = public_of(key, pub);
    EVP_PKEY_free(key);
    return r;
}

int key_public_pem(const char *path, char *out, size_t out_size)
{
    EVP_PKEY *key = key_load(path, 0);
    if (!key)
        return -1;
    BIO *bio = BIO_new(BIO_s_mem());
    int r = -1;
    if (bio && PEM_write_bio_PUBKEY(bio, key) == 1) {
        int n = BIO_read(bio, out, (int)out_size - 1);
        if (n > 0 && (size_t)n < out_size - 1) {
            out[n] = '\0';
            r = 0;
        }
    }
    if (r)
        crypto_error("cannot write the public key");
    BIO_free(bio);
    EVP_PKEY_free(key);
    return r;
}

/* ECDSA with SHA-256 over a digest already made; r || s out. */
static int sign_digest(EVP_PKEY *key, const uint8_t digest[32], uint8_t sig[64])
{
    uint8_t der[80];
    size_t der_size = sizeof der;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    ECDSA_SIG *parsed = NULL;
    int ok = ctx && EVP_PKEY_sign_init(ctx) > 0 &&
             EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0 &&
             EVP_PKEY_sign(ctx, der, &der_size, digest, 32) > 0;
    if (ok) {
        const uint8_t *p = der;
        const BIGNUM *r, *s;
        parsed = d2i_ECDSA_SIG(NULL, &p, (long)der_size);
        ok = parsed != NULL;
        if (ok) {
            ECDSA_SIG_get0(parsed, &r, &s);
            ok = BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(s, sig + 32, 32) == 32;
        }
    }
    ECDSA_SIG_free(parsed);
    EVP_PKEY_CTX_free(ctx);
    return ok ? 0 : crypto_error("signing failed");
}

int image_sign(uint8_t *image, struct image_trailer *t, const char *key_path)
{
    EVP_PKEY *key = key_load(key_path, 1);
    if (!key)
        return -1;
    uint8_t pub[64], digest[32], sig[64];
    int r = public_of(key, pub);
    signed_trailer_prepare(image, t);
    signed_digest(image, t->app_length, image + t->app_length, digest);
    if (r == 0)
        r = sign_digest(key, digest, sig);
    EVP_PKEY_free(key);
    if (r)
        return r;
    /* What the bootloader will run on it: catches a disagreement before anyone ships it. */
    if (signed_trailer_finish(image, t, sig, pub))
        return set_error("internal error: the firmware's verifier refuses the new signature");
    return 0;
}

int signing_unavailable(const char *command)
{
    (void)command;
    return 0;
}
