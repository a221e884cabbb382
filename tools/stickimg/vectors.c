/* What an application's vector table says about where it was linked, in words: the bootloader's
 * checks (image_vectors_check, image_base_check in firmware/core/image.c) plus, when they
 * refuse, the base the table does fit and what to change. */
#include "stickimg.h"

#include <stdio.h>
#include <string.h>

/* The pass-1 vector checks for lim->app_base; s holds the finished scan. */
static enum image_result vectors_result(struct image_base_scan *s, const uint8_t *image,
                                        uint32_t length, const struct image_limits *lim)
{
    uint32_t vectors[2] = {get_le32(image), get_le32(image + 4)};
    enum image_result r = image_vectors_check(vectors, length, lim);
    return r == IMAGE_OK ? image_base_check(s, lim) : r;
}

int linked_base(const uint8_t *image, uint32_t length, const struct image_limits *lim,
                uint32_t *base)
{
    struct image_base_scan s;
    image_base_begin(&s, length);
    image_base_feed(&s, image, 0, length);
    for (uint32_t b = 0; b < IMAGE_BASES_MAX; b++) {
        struct image_limits other = *lim;
        other.app_base = IMAGE_FLASH_START + b * IMAGE_BASE_GRID;
        if (vectors_result(&s, image, length, &other) == IMAGE_OK) {
            *base = other.app_base;
            return 1;
        }
    }
    return 0;
}

/* What to change for an application linked for base instead of lim->app_base. */
static void remedy(uint32_t base, const struct image_limits *lim, char *out, size_t size)
{
    int n = snprintf(out, size,
                     "set FLASH ORIGIN = 0x%08X in the application's linker script "
                     "(docs/moving-your-app.md, \"Linker script\")",
                     lim->app_base);
    if (base != IMAGE_FLASH_START && n > 0 && (size_t)n < size)
        snprintf(out + n, size - (size_t)n,
                 ", or, if the bootloader was built with APP_BASE=0x%08X, give --app-base 0x%08X",
                 base, base);
}

/* "; it is linked for X: <remedy>", or "" when no base fits. */
static void advice(const uint8_t *image, uint32_t length, const struct image_limits *lim, char *out,
                   size_t size)
{
    uint32_t base;
    char what[250];
    *out = '\0';
    if (!linked_base(image, length, lim, &base) || base == lim->app_base)
        return;
    remedy(base, lim, what, sizeof what);
    snprintf(out, size, "; it is linked for 0x%08X%s: %s", base,
             base == IMAGE_FLASH_START ? ", where the bootloader is" : "", what);
}

enum image_result vectors_explain(const uint8_t *image, uint32_t length,
                                  const struct image_limits *lim, char *out, size_t size)
{
    struct image_base_scan s;
    image_base_begin(&s, length);
    image_base_feed(&s, image, 0, length);
    enum image_result r = vectors_result(&s, image, length, lim);
    uint32_t sp = get_le32(image), reset = get_le32(image + 4);
    char hint[400];
    switch (r) {
    case IMAGE_OK:
        *out = '\0';
        break;
    case IMAGE_BAD_STACK:
        snprintf(out, size,
                 "initial SP 0x%08X is not a word-aligned address in SRAM (0x%08X, 0x%08X]: "
                 "not a Cortex-M application for this board",
                 sp, lim->sram_start, lim->sram_end);
        break;
    case IMAGE_BAD_RESET_VECTOR:
        if (!(reset & 1u)) {
            snprintf(out, size,
                     "reset vector 0x%08X is not a Thumb address (bit 0 clear): Cortex-M runs "
                     "Thumb code only",
                     reset);
            break;
        }
        advice(image, length, lim, hint, sizeof hint);
        snprintf(out, size, "reset vector 0x%08X points outside the application [0x%08X, 0x%08X)%s",
                 reset, lim->app_base, lim->app_base + length, hint);
        break;
    case IMAGE_BAD_VECTOR:
        advice(image, length, lim, hint, sizeof hint);
        if (!(s.bad_vector & 1u))
            snprintf(out, size, "vector 0x%08X is not a Thumb address (bit 0 clear)%s",
                     s.bad_vector, hint);
        else
            snprintf(out, size, "vector 0x%08X points outside the application [0x%08X, 0x%08X)%s",
                     s.bad_vector, lim->app_base + s.table_bytes, lim->app_base + length, hint);
        break;
    case IMAGE_WRONG_BASE:
        remedy(s.other_base, lim, hint, sizeof hint);
        snprintf(out, size,
                 "linked for 0x%08X, not for APP_BASE 0x%08X (its vector table points at code "
                 "only for that base; docs/image-format.md, \"Raw images linked for another "
                 "base\"): %s",
                 s.other_base, lim->app_base, hint);
        break;
    default:
        snprintf(out, size, "%s", image_result_name(r));
        break;
    }
    return r;
}
