/* P-256 public keys from key files without libcrypto, for builds that have none (Windows):
 * PEM (RFC 7468) around SubjectPublicKeyInfo (RFC 5480), PKCS#8 (RFC 5208) or SEC1 (RFC 5915)
 * DER, and raw x || y. Only the fixed shapes an ECDSA P-256 key takes are read; the point is
 * checked when a signature is verified (p256_ecdsa_verify refuses a point off the curve). */
#include "sign.h"
#include "stickimg.h"

#include <stdlib.h>
#include <string.h>

/* id-ecPublicKey (1.2.840.10045.2.1) and prime256v1 (1.2.840.10045.3.1.7), DER encoded. */
static const uint8_t oid_ec_public_key[] = {0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};
static const uint8_t oid_prime256v1[] = {0x06, 0x08, 0x2A, 0x86, 0x48,
                                         0xCE, 0x3D, 0x03, 0x01, 0x07};

struct der {
    const uint8_t *p;
    size_t n;
};

/* The next TLV of d (X.690 8.1: one-byte tag, definite length up to 2 bytes): 1 and its
 * contents in *out when its tag is tag, 0 when another tag is next, -1 when malformed. */
static int der_next(struct der *d, uint8_t tag, struct der *out)
{
    if (d->n < 2)
        return d->n == 0 ? 0 : -1;
    if (d->p[0] != tag)
        return 0;
    size_t len = d->p[1], head = 2;
    if (len == 0x81 || len == 0x82) {
        size_t bytes = len & 0x7F;
        if (d->n < 2 + bytes)
            return -1;
        len = bytes == 1 ? d->p[2] : (size_t)d->p[2] << 8 | d->p[3];
        head += bytes;
    } else if (len & 0x80)
        return -1;
    if (d->n - head < len)
        return -1;
    out->p = d->p + head;
    out->n = len;
    d->p += head + len;
    d->n -= head + len;
    return 1;
}

static int der_equals(const struct der *d, const uint8_t *bytes, size_t n)
{
    return d->n == n && memcmp(d->p, bytes, n) == 0;
}

/* A BIT STRING with no unused bits holding an uncompressed point 04 || x || y. */
static int point_of(const char *path, const struct der *bits, uint8_t pub[64])
{
    if (bits->n == 66 && bits->p[0] == 0 && bits->p[1] == 0x04) {
        memcpy(pub, bits->p + 2, 64);
        return 0;
    }
    if (bits->n == 34 && bits->p[0] == 0 && (bits->p[1] == 0x02 || bits->p[1] == 0x03))
        return set_error("%s: a compressed point; write it uncompressed "
                         "(openssl ec -pubin -conv_form uncompressed)",
                         path);
    return set_error("%s: not a P-256 public point", path);
}

/* AlgorithmIdentifier { id-ecPublicKey, prime256v1 }. */
static int algorithm_is_p256(struct der *d)
{
    struct der alg, oid, curve;
    if (der_next(d, 0x30, &alg) != 1 || der_next(&alg, 0x06, &oid) != 1)
        return 0;
    oid.p -= 2, oid.n += 2; /* compare with the tag and length */
    if (!der_equals(&oid, oid_ec_public_key, sizeof oid_ec_public_key) ||
        der_next(&alg, 0x06, &curve) != 1)
        return 0;
    curve.p -= 2, curve.n += 2;
    return der_equals(&curve, oid_prime256v1, sizeof oid_prime256v1);
}

static int spki_public(const char *path, struct der d, uint8_t pub[64])
{
    struct der spki, bits;
    if (der_next(&d, 0x30, &spki) != 1)
        return set_error("%s: not a SubjectPublicKeyInfo", path);
    if (!algorithm_is_p256(&spki))
        return set_error("%s: not an ECDSA P-256 (prime256v1) key", path);
    if (der_next(&spki, 0x03, &bits) != 1)
        return set_error("%s: no public key BIT STRING", path);
    return point_of(path, &bits, pub);
}

/* ECPrivateKey (RFC 5915 3): version 1, the private key, [0] curve, [1] public key. */
static int ec_private_public(const char *path, struct der d, int curve_known, uint8_t pub[64])
{
    struct der key, version, secret, params, public_key, bits;
    if (der_next(&d, 0x30, &key) != 1 || der_next(&key, 0x02, &version) != 1 ||
        der_next(&key, 0x04, &secret) != 1)
        return set_error("%s: not an EC private key", path);
    int r = der_next(&key, 0xA0, &params);
    if (r < 0)
        return set_error("%s: not an EC private key", path);
    if (r == 1) {
        struct der curve;
        if (der_next(&params, 0x06, &curve) != 1)
            return set_error("%s: not an ECDSA P-256 (prime256v1) key", path);
        curve.p -= 2, curve.n += 2;
        if (!der_equals(&curve, oid_prime256v1, sizeof oid_prime256v1))
            return set_error("%s: not an ECDSA P-256 (prime256v1) key", path);
        curve_known = 1;
    }
    if (!curve_known)
        return set_error("%s: the key does not name its curve", path);
    if (der_next(&key, 0xA1, &public_key) != 1 || der_next(&public_key, 0x03, &bits) != 1)
        return set_error("%s: the private key file holds no public key, and this build has no "
                         "libcrypto to compute it; give the public key instead "
                         "(openssl pkey -in KEY -pubout -out PUB.pem)",
                         path);
    return point_of(path, &bits, pub);
}

/* PrivateKeyInfo (RFC 5208 5): version, AlgorithmIdentifier, OCTET STRING ECPrivateKey. */
static int pkcs8_public(const char *path, struct der d, uint8_t pub[64])
{
    struct der info, version, inner;
    if (der_next(&d, 0x30, &info) != 1 || der_next(&info, 0x02, &version) != 1)
        return set_error("%s: not a PKCS#8 private key", path);
    if (!algorithm_is_p256(&info))
        return set_error("%s: not an ECDSA P-256 (prime256v1) key", path);
    if (der_next(&info, 0x04, &inner) != 1)
        return set_error("%s: not a PKCS#8 private key", path);
    return ec_private_public(path, inner, 1, pub);
}

static int base64_value(uint8_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Base64 (RFC 4648 4) of [p, end) into out; line breaks (CR, LF) and spaces are skipped. */
static int base64_decode(const uint8_t *p, const uint8_t *end, uint8_t *out, size_t out_size,
                         size_t *n)
{
    uint32_t bits = 0;
    int count = 0, pad = 0;
    *n = 0;
    for (; p < end; p++) {
        if (*p == '\r' || *p == '\n' || *p == ' ' || *p == '\t')
            continue;
        if (*p == '=') {
            pad++;
            continue;
        }
        int v = base64_value(*p);
        if (v < 0 || pad)
            return -1;
        bits = bits << 6 | (uint32_t)v;
        if (++count == 4) {
            if (*n + 3 > out_size)
                return -1;
            out[(*n)++] = (uint8_t)(bits >> 16);
            out[(*n)++] = (uint8_t)(bits >> 8);
            out[(*n)++] = (uint8_t)bits;
            count = 0, bits = 0;
        }
    }
    if (count == 1 || (count && count + pad != 4) || (!count && pad))
        return -1;
    if (*n + (size_t)(count ? count - 1 : 0) > out_size)
        return -1;
    if (count == 2)
        out[(*n)++] = (uint8_t)(bits >> 4);
    else if (count == 3) {
        out[(*n)++] = (uint8_t)(bits >> 10);
        out[(*n)++] = (uint8_t)(bits >> 2);
    }
    return 0;
}

static const uint8_t *find(const uint8_t *p, const uint8_t *end, const char *text)
{
    size_t n = strlen(text);
    for (; p + n <= end; p++)
        if (memcmp(p, text, n) == 0)
            return p;
    return NULL;
}

int keyfile_public(const char *path, const uint8_t *data, size_t size, uint8_t pub[64])
{
    const uint8_t *end = data + size;
    const uint8_t *begin = find(data, end, "-----BEGIN ");
    if (!begin) {
        if (size == 64 || (size == 65 && data[0] == 0x04)) {
            memcpy(pub, size == 65 ? data + 1 : data, 64);
            return 0;
        }
        return set_error("%s: not a PEM key file or 64 raw bytes x || y", path);
    }
    /* "-----BEGIN label-----", base64, "-----END label-----" (RFC 7468 2). */
    const uint8_t *label = begin + 11, *label_end = find(label, end, "-----");
    if (!label_end || label_end - label > 40)
        return set_error("%s: not a PEM key file", path);
    char name[48];
    memcpy(name, label, (size_t)(label_end - label));
    name[label_end - label] = '\0';
    const uint8_t *body = label_end + 5, *body_end = find(body, end, "-----END ");
    if (!body_end)
        return set_error("%s: PEM without its END line", path);
    if (strstr(name, "ENCRYPTED") || find(body, body_end, "Proc-Type:"))
        return set_error("%s: the key is encrypted; a build step has nobody to type the "
                         "passphrase (openssl pkey -in KEY -out PLAIN.pem decrypts it)",
                         path);
    uint8_t der[512];
    size_t n;
    if (base64_decode(body, body_end, der, sizeof der, &n))
        return set_error("%s: the PEM body is not base64 of a key", path);
    struct der d = {der, n};
    if (strcmp(name, "PUBLIC KEY") == 0)
        return spki_public(path, d, pub);
    if (strcmp(name, "PRIVATE KEY") == 0)
        return pkcs8_public(path, d, pub);
    if (strcmp(name, "EC PRIVATE KEY") == 0)
        return ec_private_public(path, d, 0, pub);
    return set_error("%s: not an ECDSA P-256 (prime256v1) key (PEM '%s')", path, name);
}

int keyfile_public_pem(const uint8_t pub[64], char *out, size_t out_size)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    /* SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING 00 04 x y }: 91 bytes,
     * and two zeros that complete the last group of 3. */
    uint8_t der[93] = {0x30, 0x59, 0x30, 0x13};
    memcpy(der + 4, oid_ec_public_key, sizeof oid_ec_public_key);
    memcpy(der + 13, oid_prime256v1, sizeof oid_prime256v1);
    memcpy(der + 23, (const uint8_t[]){0x03, 0x42, 0x00, 0x04}, 4);
    memcpy(der + 27, pub, 64);
    char b64[128];
    size_t n = 0;
    for (size_t i = 0; i < 91; i += 3) {
        uint32_t v = (uint32_t)der[i] << 16 | (uint32_t)der[i + 1] << 8 | der[i + 2];
        for (int k = 0; k < 4; k++)
            b64[n++] = alphabet[v >> (18 - 6 * k) & 0x3F];
    }
    b64[n] = '\0'; /* 91 = 3 * 30 + 1: the last group ends in two pad characters */
    b64[n - 1] = b64[n - 2] = '=';
    int w =
        snprintf(out, out_size, "-----BEGIN PUBLIC KEY-----\n%.64s\n%s\n-----END PUBLIC KEY-----\n",
                 b64, b64 + 64);
    return w > 0 && (size_t)w < out_size ? 0 : set_error("public key PEM: buffer too small");
}
