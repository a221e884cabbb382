/* Unit tests of the wrong-base check (firmware/core/image.c: image_base_begin/feed/check;
 * docs/image-format.md, "Raw images linked for another base") on hand-made images. The corpus
 * of real applications is checked by tests/suites/stickimg_wrongbase.sh. */
#define HARNESS_SUITE "test_image_base"
#include "harness.h"

#include "image.h"

#include <string.h>

static const struct image_limits limits = {
    .app_base = 0x08004000u,
    .region_size = 0x100000u - 0x4000u,
    .sram_start = 0x20000000u,
    .sram_end = 0x20020000u,
    .board_id = 0x0407D15Cu,
};

static uint8_t image[64 * 1024];

static void put(uint32_t offset, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        image[offset + (uint32_t)i] = (uint8_t)(v >> (8 * i));
}

static void put16(uint32_t offset, uint32_t v)
{
    image[offset] = (uint8_t)v;
    image[offset + 1] = (uint8_t)(v >> 8);
}

/* A 98-entry table linked for base: handlers at base + 0x200, 0x300, 0x400 (each a "push
 * {r7, lr}"), the rest 0x12 bytes of "movs r0, r0" filler, Default_Handler for every IRQ. */
static void make(uint32_t base, uint32_t length)
{
    memset(image, 0, sizeof image);
    put(0, 0x20020000u);
    for (uint32_t i = 1; i < 98; i++)
        put(4 * i, base + (i == 1 ? 0x200u : i < 16 ? 0x300u : 0x400u) + 1);
    put(7 * 4, length); /* word 7 = L */
    for (uint32_t i = 8; i <= 10; i++)
        put(4 * i, 0);
    put(13 * 4, 0);
    put(98 * 4, 0x4B044803u); /* code after the table */
    for (uint32_t f = 0x200; f <= 0x400; f += 0x100)
        put16(f, 0xB580u);
}

static enum image_result check(uint32_t length, uint32_t chunk)
{
    struct image_base_scan s;
    image_base_begin(&s, length);
    for (uint32_t pos = 0; pos < length; pos += chunk)
        image_base_feed(&s, image + pos, pos, length - pos < chunk ? length - pos : chunk);
    return image_base_check(&s, &limits);
}

static void own_base_accepted(void)
{
    make(0x08004000u, 0x8000u);
    CHECK_EQ(check(0x8000u, 0x8000u), IMAGE_OK);
    CHECK_EQ(check(0x8000u, 512u), IMAGE_OK); /* chunking does not matter */
}

static void other_base_caught_when_the_range_fits(void)
{
    /* Linked for 0x08008000, 40 KB: every handler also lies inside [0x08004000, +L). */
    make(0x08008000u, 0xA000u);
    CHECK_EQ(check(0xA000u, 0x8000u), IMAGE_WRONG_BASE);
    struct image_base_scan s;
    image_base_begin(&s, 0xA000u);
    image_base_feed(&s, image, 0, 0xA000u);
    CHECK_EQ(image_base_check(&s, &limits), IMAGE_WRONG_BASE);
    CHECK_EQ(s.other_base, 0x08008000u);
}

static void handler_outside_or_not_thumb(void)
{
    make(0x08004000u, 0x1000u);
    put(4 * 40, 0x08005001u); /* past L */
    CHECK_EQ(check(0x1000u, 0x1000u), IMAGE_BAD_VECTOR);
    make(0x08004000u, 0x1000u);
    put(4 * 3, 0x08004300u); /* HardFault without the Thumb bit */
    CHECK_EQ(check(0x1000u, 0x1000u), IMAGE_BAD_VECTOR);
    make(0x08004000u, 0x1000u);
    put(4 * 20, 0x08004011u); /* into the vector table itself */
    CHECK_EQ(check(0x1000u, 0x1000u), IMAGE_BAD_VECTOR);
}

static void reserved_entries_and_table_end(void)
{
    make(0x08004000u, 0x1000u);
    put(4 * 8, 0xDEADBEEFu); /* reserved entries are not vectors */
    put(4 * 13, 0x12345678u);
    CHECK_EQ(check(0x1000u, 0x1000u), IMAGE_OK);
    /* A 16-entry table: the words after it are code, not vectors. */
    make(0x08004000u, 0x1000u);
    for (uint32_t i = 16; i < 98; i++)
        put(4 * i, 0x46C04770u);
    CHECK_EQ(check(0x1000u, 0x1000u), IMAGE_OK);
}

static void weak_evidence_keeps_app_base(void)
{
    /* At APP_BASE one handler of three starts like a function, at 0x08000000 two do: one more
     * is not enough to refuse (the margin is 2). */
    make(0x08004000u, 0xA000u);
    put16(0x200, 0x0000u);
    put16(0x400, 0x0000u);
    put16(0x4200, 0xB580u);
    put16(0x4400, 0xB580u);
    CHECK_EQ(check(0xA000u, 0x8000u), IMAGE_OK);
    put16(0x4300, 0xB580u); /* three against one: refused */
    CHECK_EQ(check(0xA000u, 0x8000u), IMAGE_WRONG_BASE);
}

int main(void)
{
    RUN_TEST(own_base_accepted);
    RUN_TEST(other_base_caught_when_the_range_fits);
    RUN_TEST(handler_outside_or_not_thumb);
    RUN_TEST(reserved_entries_and_table_end);
    RUN_TEST(weak_evidence_keeps_app_base);
    return HARNESS_EXIT();
}
