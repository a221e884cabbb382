/* Signed images without libcrypto: what a signature covers, the signed trailer, signatures
 * as DER or r || s, and the check with the firmware's own sha256.c and p256.c. Every build
 * has these (the Windows one too); keys and signing with a private key are in libcrypto.c. */
#include "sign.h"

#include "p256.h"
#include "sha256.h"
#include "stickimg.h"

#include <stdlib.h>
#include <string.h>

void signed_digest(const uint8_t *image, uint32_t app_length, const uint8_t *trailer,
                   uint8_t digest[32])
{
    struct sha256 sha;
    sha256_init(&sha);
    sha256_update(&sha, image, app_length);
    sha256_update(&sha, trailer, IMAGE_SIGNATURE_OFFSET);
    sha256_final(&sha, digest);
}

void signed_trailer_prepare(uint8_t *image, struct image_trailer *t)
{
    t->size = IMAGE_TRAILER_SIZE_SIGNED;
    t->flags |= IMAGE_FLAG_SIGNED;
    memset(t->signature, 0, sizeof t->signature);
    image_trailer_encode(t, image + t->app_length); /* bytes [0, 32) are final from here on */
}

int signed_trailer_finish(uint8_t *image, struct image_trailer *t, const uint8_t sig[64],
                          const uint8_t pub[64])
{
    memcpy(t->signature, sig, 64);
    image_trailer_encode(t, image + t->app_length);
    if (image_signature_check(image, t, IMAGE_TRAILER_SIZE_SIGNED, pub) != IMAGE_OK)
        return set_error("the signature does not verify with this public key");
    return 0;
}

int signable_load(const char *path, uint8_t **image, struct image_trailer *t)
{
    uint8_t *data;
    size_t size;
    *image = NULL;
    if (read_file(path, &data, &size))
        return -1;
    struct packed_report rep;
    enum image_result r = packed_check(data, size, NULL, 0, &rep);
    int rc = -1;
    if (r != IMAGE_OK) {
        set_error("%s: %s: %s", path, image_result_name(r), rep.detail);
        goto out;
    }
    *t = rep.trailer;
    if (t->flags & IMAGE_FLAG_RAW) {
        set_error("%s: has a trailer made by a bootloader from a raw binary; pack the "
                  "application instead",
                  path);
        goto out;
    }
    /* The bigger trailer must still fit the board's region (to the end of flash). */
    const struct board *board = board_by_id(t->board_id);
    struct image_limits lim;
    if (board && board_limits(board, t->load_address, 0, &lim) == 0 &&
        (uint64_t)t->app_length + IMAGE_TRAILER_SIZE_SIGNED > lim.region_size) {
        set_error("%s: does not fit with a signed trailer: %u + %u bytes, the region holds %u",
                  path, t->app_length, IMAGE_TRAILER_SIZE_SIGNED, lim.region_size);
        goto out;
    }
    *image = malloc((size_t)t->app_length + IMAGE_TRAILER_SIZE_SIGNED);
    if (!*image) {
        set_error("out of memory");
        goto out;
    }
    memcpy(*image, data, t->app_length);
    signed_trailer_prepare(*image, t);
    rc = 0;
out:
    free(data);
    return rc;
}

/* One DER INTEGER (X.690 8.3) of an ECDSA signature into 32 big-endian bytes: positive,
 * minimal, at most 32 value bytes. */
static int der_integer(const uint8_t **p, const uint8_t *end, uint8_t out[32], const char *name)
{
    if (end - *p < 2 || (*p)[0] != 0x02)
        return set_error("%s: no INTEGER where DER puts it", name);
    size_t n = (*p)[1];
    const uint8_t *v = *p + 2;
    if (n & 0x80 || n == 0 || (size_t)(end - v) < n)
        return set_error("%s: INTEGER length %zu does not fit the signature", name, n);
    if (v[0] & 0x80)
        return set_error("%s: negative INTEGER", name);
    if (n > 1 && v[0] == 0 && !(v[1] & 0x80))
        return set_error("%s: INTEGER not in minimal DER form", name);
    if (v[0] == 0)
        v++, n--;
    if (n > 32)
        return set_error("%s: INTEGER longer than 32 bytes, not a P-256 value", name);
    memset(out, 0, 32);
    memcpy(out + 32 - n, v, n);
    *p = v + n;
    return 0;
}

int signature_from_der(const uint8_t *der, size_t size, uint8_t sig[64])
{
    /* ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 2.2.3); for P-256 it is
     * at most 72 bytes, so the SEQUENCE length always has the short form. */
    if (size < 2 || der[0] != 0x30)
        return set_error("not a DER ECDSA signature (no SEQUENCE at the start)");
    if (der[1] & 0x80)
        return set_error("not a DER ECDSA signature of P-256 (SEQUENCE length in long form)");
    if ((size_t)der[1] + 2 > size)
        return set_error("DER signature truncated: the SEQUENCE says %u bytes, the file has %zu",
                         der[1] + 2u, size);
    if ((size_t)der[1] + 2 < size)
        return set_error("%zu bytes after the DER signature", size - der[1] - 2);
    const uint8_t *p = der + 2, *end = der + size;
    if (der_integer(&p, end, sig, "DER signature r") ||
        der_integer(&p, end, sig + 32, "DER signature s"))
        return -1;
    if (p != end)
        return set_error("DER signature: bytes after s inside the SEQUENCE");
    return 0;
}

enum image_result image_signature_check(const uint8_t *image, const struct image_trailer *t,
                                        uint32_t trailer_size, const uint8_t pub[64])
{
    if (!(t->flags & IMAGE_FLAG_SIGNED) || trailer_size != IMAGE_TRAILER_SIZE_SIGNED)
        return IMAGE_UNSIGNED;
    uint8_t digest[32];
    signed_digest(image, t->app_length, image + t->app_length, digest);
    return p256_ecdsa_verify(pub, digest, t->signature) ? IMAGE_OK : IMAGE_BAD_SIGNATURE;
}
