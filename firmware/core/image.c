/* Image trailer codec and checks (docs/image-format.md). Shared by the bootloader and stickimg,
 * so its fields go through bytes.h: no alignment or host-endianness assumptions. */
#include "image.h"

#include "bytes.h"

#include "crc.h"

/* STM32 CRC of n bytes (n a multiple of 4), each 4 bytes a little-endian word. */
static uint32_t crc_of_bytes(const uint8_t *p, uint32_t n)
{
    crc_reset();
    for (; n >= 4; n -= 4, p += 4) {
        uint32_t word = get_le32(p);
        crc_feed_words(&word, 1);
    }
    return crc_value();
}

enum image_result image_trailer_decode(const uint8_t *p, uint32_t size, struct image_trailer *t)
{
    if (get_le32(p) != IMAGE_MAGIC)
        return IMAGE_BAD_MAGIC;
    uint32_t format_size = get_le32(p + 4);
    if (format_size != (IMAGE_FORMAT | size << 16) ||
        (size != IMAGE_TRAILER_SIZE && size != IMAGE_TRAILER_SIZE_SIGNED))
        return IMAGE_BAD_FORMAT;
    t->trailer_crc = get_le32(p + size - 4);
    if (crc_of_bytes(p, size - 4) != t->trailer_crc)
        return IMAGE_BAD_TRAILER_CRC;
    t->magic = IMAGE_MAGIC;
    t->format = IMAGE_FORMAT;
    t->size = (uint16_t)size;
    t->app_length = get_le32(p + 8);
    t->load_address = get_le32(p + 12);
    t->app_crc = get_le32(p + 16);
    t->app_version = get_le32(p + 20);
    t->board_id = get_le32(p + 24);
    t->flags = get_le32(p + 28);
    uint32_t signed_size = size == IMAGE_TRAILER_SIZE_SIGNED;
    for (uint32_t i = 0; i < sizeof t->signature; i++)
        t->signature[i] = signed_size ? p[IMAGE_SIGNATURE_OFFSET + i] : 0;
    /* Unknown flags may change the meaning of the image: refuse rather than ignore them. The
     * signed flag and the signed size go together. */
    if ((t->flags & ~(IMAGE_FLAG_SIGNED | IMAGE_FLAG_RAW)) != 0 ||
        (t->flags & IMAGE_FLAG_SIGNED) != signed_size)
        return IMAGE_BAD_FORMAT;
    return IMAGE_OK;
}

uint32_t image_trailer_encode(struct image_trailer *t, uint8_t *p)
{
    uint32_t size = t->size;
    if (size != IMAGE_TRAILER_SIZE && size != IMAGE_TRAILER_SIZE_SIGNED)
        return 0;
    put_le32(p, t->magic);
    put_le32(p + 4, (uint32_t)t->format | size << 16);
    put_le32(p + 8, t->app_length);
    put_le32(p + 12, t->load_address);
    put_le32(p + 16, t->app_crc);
    put_le32(p + 20, t->app_version);
    put_le32(p + 24, t->board_id);
    put_le32(p + 28, t->flags);
    if (size == IMAGE_TRAILER_SIZE_SIGNED)
        for (uint32_t i = 0; i < sizeof t->signature; i++)
            p[IMAGE_SIGNATURE_OFFSET + i] = t->signature[i];
    t->trailer_crc = crc_of_bytes(p, size - 4);
    put_le32(p + size - 4, t->trailer_crc);
    return size;
}

enum image_result image_trailer_check(const struct image_trailer *t, const struct image_limits *lim)
{
    uint32_t length = t->app_length;
    /* Words 0-7 at least: SP, reset vector, and word 7 which holds L. */
    if (length % 4 != 0 || length < (IMAGE_LENGTH_WORD_OFFSET + 4))
        return IMAGE_BAD_LENGTH;
    if (t->load_address != lim->app_base)
        return IMAGE_BAD_LOAD_ADDRESS;
    if (t->board_id != lim->board_id)
        return IMAGE_BAD_BOARD;
    /* Written so that nothing overflows: length + size <= region_size. */
    if (length > lim->region_size || t->size > lim->region_size - length)
        return IMAGE_TOO_BIG;
    return IMAGE_OK;
}

enum image_result image_vectors_check(const uint32_t vectors[2], uint32_t app_length,
                                      const struct image_limits *lim)
{
    uint32_t sp = vectors[0];
    if (sp % 4 != 0 || sp <= lim->sram_start || sp > lim->sram_end)
        return IMAGE_BAD_STACK;
    uint32_t reset = vectors[1];
    /* Cortex-M runs Thumb only: bit 0 must be set. Offset from app_base, so no overflow. */
    if ((reset & 1u) == 0 || reset < lim->app_base || (reset & ~1u) - lim->app_base >= app_length)
        return IMAGE_BAD_RESET_VECTOR;
    return IMAGE_OK;
}

const char *image_result_name(enum image_result r)
{
    static const char *const names[] = {
        [IMAGE_OK] = "ok",
        [IMAGE_BAD_MAGIC] = "bad magic",
        [IMAGE_BAD_FORMAT] = "bad format",
        [IMAGE_BAD_TRAILER_CRC] = "bad trailer crc",
        [IMAGE_BAD_LENGTH] = "bad length",
        [IMAGE_BAD_LOAD_ADDRESS] = "bad load address",
        [IMAGE_BAD_BOARD] = "wrong board",
        [IMAGE_TOO_BIG] = "too big",
        [IMAGE_BAD_CRC] = "bad crc",
        [IMAGE_BAD_STACK] = "bad stack pointer",
        [IMAGE_BAD_RESET_VECTOR] = "bad reset vector",
        [IMAGE_UNSIGNED] = "unsigned",
        [IMAGE_BAD_SIGNATURE] = "bad signature",
        [IMAGE_ROLLBACK] = "rollback",
    };
    if ((unsigned)r < sizeof names / sizeof names[0])
        return names[r];
    return "unknown";
}
