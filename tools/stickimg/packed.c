/* Checks of a packed image file, in the order of the bootloader's pass 1, with image.c. */
#include "stickimg.h"

#include <stdarg.h>
#include <string.h>

static enum image_result fail(struct packed_report *rep, enum image_result r, const char *fmt, ...)
    PRINTF_LIKE(3, 4);
static enum image_result fail(struct packed_report *rep, enum image_result r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->detail, sizeof rep->detail, fmt, ap);
    va_end(ap);
    rep->result = r;
    return r;
}

static const char *board_name(uint32_t id)
{
    const struct board *b = board_by_id(id);
    return b ? b->name : "unknown board";
}

enum image_result packed_check(const uint8_t *data, size_t size, const struct image_limits *lim,
                               int require_signed, struct packed_report *rep)
{
    memset(rep, 0, sizeof *rep);
    if (size < IMAGE_LENGTH_WORD_OFFSET + 4 + IMAGE_TRAILER_SIZE)
        return fail(rep, IMAGE_BAD_LENGTH, "%zu bytes: too short for a vector table and a trailer",
                    size);
    uint32_t length = get_le32(data + IMAGE_LENGTH_WORD_OFFSET);
    rep->app_length = length;
    rep->vectors[0] = get_le32(data);
    rep->vectors[1] = get_le32(data + 4);
    if (length == 0 || length == 0xFFFFFFFFu)
        return fail(rep, IMAGE_BAD_MAGIC,
                    "no trailer: word 7 is 0x%08X, a raw binary (stickimg pack makes an image)",
                    length);
    if (length > size ||
        (size - length != IMAGE_TRAILER_SIZE && size - length != IMAGE_TRAILER_SIZE_SIGNED))
        return fail(rep, IMAGE_BAD_LENGTH,
                    "word 7 gives an application of %u bytes, which leaves %lld bytes of %zu for "
                    "the trailer (36 or 100)",
                    length, (long long)size - length, size);
    rep->trailer_size = (uint32_t)(size - length);
    enum image_result r = image_trailer_decode(data + length, rep->trailer_size, &rep->trailer);
    if (r != IMAGE_OK)
        return fail(rep, r, "trailer at offset 0x%X: %s", length, image_result_name(r));
    rep->trailer_decoded = 1;
    const struct image_trailer *t = &rep->trailer;
    if (t->app_length != length)
        return fail(rep, IMAGE_BAD_LENGTH, "trailer gives L = %u, word 7 gives %u", t->app_length,
                    length);
    rep->computed_crc = stm32_crc(data, length);
    if (rep->computed_crc != t->app_crc)
        return fail(rep, IMAGE_BAD_CRC, "application CRC is 0x%08X, the trailer says 0x%08X",
                    rep->computed_crc, t->app_crc);
    if (lim) {
        r = image_trailer_check(t, lim);
        switch (r) {
        case IMAGE_OK:
            break;
        case IMAGE_BAD_LENGTH:
            return fail(rep, r, "application length %u is not a multiple of 4 or under 32 bytes",
                        length);
        case IMAGE_BAD_LOAD_ADDRESS:
            return fail(rep, r, "load address 0x%08X, but APP_BASE is 0x%08X", t->load_address,
                        lim->app_base);
        case IMAGE_BAD_BOARD:
            return fail(rep, r, "built for board 0x%08X (%s), not 0x%08X (%s)", t->board_id,
                        board_name(t->board_id), lim->board_id, board_name(lim->board_id));
        default:
            return fail(rep, r, "%u bytes with the trailer, the region from 0x%08X holds %u",
                        length + t->size, lim->app_base, lim->region_size);
        }
        char why[sizeof rep->detail];
        r = vectors_explain(data, length, lim, why, sizeof why);
        if (r != IMAGE_OK)
            return fail(rep, r, "%s", why);
    }
    if (require_signed && !(t->flags & IMAGE_FLAG_SIGNED))
        return fail(rep, IMAGE_UNSIGNED, "the image is not signed");
    rep->result = IMAGE_OK;
    return IMAGE_OK;
}
