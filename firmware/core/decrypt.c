/* See decrypt.h. */
#include "config.h"

#if ENCRYPT
#include "decrypt.h"

#include <string.h>

#include "aes.h"
#include "bytes.h"
#include "device_key.h" /* generated from the AES key file given at build time */
#include "status.h"

static struct {
    const struct image_source *file;
    struct aes128 aes; /* the image key once unwrapped */
    uint8_t counter[16];
    uint32_t pos, length;
    int started;
} dec;

static int parse_header(const uint8_t *h)
{
    uint8_t key[16];
    aes128_init(&dec.aes, device_key);
    int ok = get_le32(h) == DECRYPT_MAGIC && aes128_unwrap(&dec.aes, h + 24, key);
    aes128_init(&dec.aes, key);
    memset(key, 0, sizeof key);
    dec.length = get_le32(h + 4);
    memcpy(dec.counter, h + 8, 16);
    return ok ? SB_OK : SB_ERR_SIGNATURE;
}

static int dec_read(void *ctx, void *buf, uint32_t buf_size, uint32_t *got)
{
    (void)ctx;
    uint8_t *p = buf;
    int r = dec.file->read(dec.file->ctx, buf, buf_size, got);
    uint32_t n = *got;
    if (r != SB_OK || n > buf_size)
        return r ? r : SB_ERR_FS_CORRUPT;
    if (!dec.started) {
        dec.started = 1;
        if (n < DECRYPT_HEADER_SIZE || (r = parse_header(p)) != SB_OK)
            return n < DECRYPT_HEADER_SIZE ? SB_ERR_SIGNATURE : r;
        n -= DECRYPT_HEADER_SIZE;
        for (uint32_t i = 0; i < n; i++) /* forward: the source lies above (no memmove here) */
            p[i] = p[i + DECRYPT_HEADER_SIZE];
    }
    /* Every read before the one holding L delivers whole blocks of 512, the first 48 bytes
     * fewer: file offsets of whole 16-byte counter blocks. */
    uint32_t secret = dec.pos < dec.length ? dec.length - dec.pos : 0;
    aes128_ctr(&dec.aes, dec.counter, p, n < secret ? n : secret);
    dec.pos += n;
    *got = n;
    return SB_OK;
}

static void dec_rewind(void *ctx)
{
    (void)ctx;
    dec.started = 0;
    dec.pos = 0;
    dec.file->rewind(dec.file->ctx);
}

void decrypt_open(struct image_source *out, const struct image_source *file)
{
    dec.file = file;
    out->size = file->size > DECRYPT_HEADER_SIZE ? file->size - DECRYPT_HEADER_SIZE : 0;
    out->read = dec_read;
    out->rewind = dec_rewind;
    out->ctx = &dec;
}
#endif
