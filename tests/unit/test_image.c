/* Unit tests of firmware/core/image.c (trailer codec and checks) and of the host software CRC
 * (hostlib/crc_soft.c) against known vectors (srec_cat -STM32 and ST's CRC example agree). */
#define HARNESS_SUITE "test_image"
#include "harness.h"

#include "crc.h"
#include "image.h"

#include <string.h>

static const struct image_limits limits = {
    .app_base = 0x08004000u,
    .region_size = 0x100000u - 0x4000u,
    .sram_start = 0x20000000u,
    .sram_end = 0x20020000u,
    .board_id = 0x0407D15Cu,
};

static uint32_t crc_words(const uint32_t *words, uint32_t count)
{
    crc_reset();
    crc_feed_words(words, count);
    return crc_value();
}

static void crc_reference_vectors(void)
{
    uint32_t word = 0x12345678u;
    CHECK_EQ(crc_words(&word, 1), 0xDF8A8A2Bu);
    word = 0;
    CHECK_EQ(crc_words(&word, 1), 0xC704DD7Bu);
    /* "Hello, World!\n" + FF FF as little-endian words, as srec_cat -STM32 groups bytes. */
    const uint8_t text[16] = "Hello, World!\n\xff\xff";
    uint32_t words[4];
    for (int i = 0; i < 4; i++)
        words[i] = (uint32_t)text[4 * i] | (uint32_t)text[4 * i + 1] << 8 |
                   (uint32_t)text[4 * i + 2] << 16 | (uint32_t)text[4 * i + 3] << 24;
    CHECK_EQ(crc_words(words, 4), 0xC7FC77B9u);
    /* Appending the CRC as a word makes the CRC of the whole zero. */
    uint32_t with_crc[5] = {words[0], words[1], words[2], words[3], 0xC7FC77B9u};
    CHECK_EQ(crc_words(with_crc, 5), 0);
}

static struct image_trailer sample_trailer(uint16_t size)
{
    struct image_trailer t;
    memset(&t, 0, sizeof t);
    t.magic = IMAGE_MAGIC;
    t.format = IMAGE_FORMAT;
    t.size = size;
    t.app_length = 0x110;
    t.load_address = limits.app_base;
    t.app_crc = 0xCAFEF00Du;
    t.app_version = 0x01020003u;
    t.board_id = limits.board_id;
    t.flags = size == IMAGE_TRAILER_SIZE_SIGNED ? IMAGE_FLAG_SIGNED : 0;
    for (int i = 0; i < 64; i++)
        t.signature[i] = (uint8_t)(i * 7 + 1);
    return t;
}

/* Re-seals a modified trailer byte buffer so that only the field under test is wrong. */
static void reseal(uint8_t *p, uint32_t size)
{
    uint32_t words[24];
    for (uint32_t i = 0; i < (size - 4) / 4; i++)
        words[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
                   (uint32_t)p[4 * i + 3] << 24;
    uint32_t crc = crc_words(words, (size - 4) / 4);
    for (int i = 0; i < 4; i++)
        p[size - 4 + i] = (uint8_t)(crc >> (8 * i));
}

static void encode_layout_is_the_documented_one(void)
{
    struct image_trailer t = sample_trailer(IMAGE_TRAILER_SIZE);
    uint8_t buf[IMAGE_TRAILER_SIZE_SIGNED];
    memset(buf, 0xAA, sizeof buf);
    CHECK_EQ(image_trailer_encode(&t, buf), 36);
    CHECK(memcmp(buf, "SBT1", 4) == 0);
    CHECK_EQ(buf[4], 1);
    CHECK_EQ(buf[5], 0);
    CHECK_EQ(buf[6], 36);
    CHECK_EQ(buf[7], 0);
    CHECK_EQ(buf[8], 0x10); /* app_length 0x110, little endian */
    CHECK_EQ(buf[9], 0x01);
    CHECK_EQ(buf[15], 0x08); /* load address 0x08004000 */
    CHECK_EQ(buf[16], 0x0D); /* app_crc */
    CHECK_EQ(buf[23], 0x01); /* version major in the top byte */
    CHECK_EQ(buf[24], 0x5C); /* board id */
    CHECK_EQ(buf[36], 0xAA); /* nothing written past the trailer */
    uint8_t copy[36];
    memcpy(copy, buf, 36);
    reseal(copy, 36);
    CHECK(memcmp(copy, buf, 36) == 0); /* trailer CRC = STM32 CRC of bytes [0, 32) */
    CHECK_EQ(t.trailer_crc, (uint32_t)buf[32] | (uint32_t)buf[33] << 8 | (uint32_t)buf[34] << 16 |
                                (uint32_t)buf[35] << 24);
    t.size = 40;
    CHECK_EQ(image_trailer_encode(&t, buf), 0);
}

static void round_trip_both_sizes(void)
{
    uint16_t sizes[2] = {IMAGE_TRAILER_SIZE, IMAGE_TRAILER_SIZE_SIGNED};
    for (int s = 0; s < 2; s++) {
        struct image_trailer t = sample_trailer(sizes[s]), back;
        uint8_t buf[IMAGE_TRAILER_SIZE_SIGNED];
        CHECK_EQ(image_trailer_encode(&t, buf), sizes[s]);
        memset(&back, 0x55, sizeof back);
        CHECK_EQ(image_trailer_decode(buf, sizes[s], &back), IMAGE_OK);
        CHECK_EQ(back.magic, IMAGE_MAGIC);
        CHECK_EQ(back.format, IMAGE_FORMAT);
        CHECK_EQ(back.size, sizes[s]);
        CHECK_EQ(back.app_length, t.app_length);
        CHECK_EQ(back.load_address, t.load_address);
        CHECK_EQ(back.app_crc, t.app_crc);
        CHECK_EQ(back.app_version, t.app_version);
        CHECK_EQ(back.board_id, t.board_id);
        CHECK_EQ(back.flags, t.flags);
        CHECK_EQ(back.trailer_crc, t.trailer_crc);
        if (sizes[s] == IMAGE_TRAILER_SIZE_SIGNED)
            CHECK(memcmp(back.signature, t.signature, 64) == 0);
        else
            for (int i = 0; i < 64; i++)
                CHECK_EQ(back.signature[i], 0);
    }
}

static void decode_rejects_every_single_byte_flip(void)
{
    uint16_t sizes[2] = {IMAGE_TRAILER_SIZE, IMAGE_TRAILER_SIZE_SIGNED};
    for (int s = 0; s < 2; s++) {
        struct image_trailer t = sample_trailer(sizes[s]), back;
        uint8_t buf[IMAGE_TRAILER_SIZE_SIGNED];
        image_trailer_encode(&t, buf);
        for (uint32_t i = 0; i < sizes[s]; i++) {
            buf[i] ^= 0x01;
            enum image_result r = image_trailer_decode(buf, sizes[s], &back);
            CHECK(r != IMAGE_OK);
            if (i >= 8 && i < sizes[s]) /* beyond magic/format/size: the CRC catches it */
                CHECK_EQ(r, IMAGE_BAD_TRAILER_CRC);
            buf[i] ^= 0x01;
        }
    }
}

static void decode_results(void)
{
    struct image_trailer t = sample_trailer(IMAGE_TRAILER_SIZE), back;
    uint8_t buf[IMAGE_TRAILER_SIZE_SIGNED];

    image_trailer_encode(&t, buf);
    buf[3] = '2'; /* "SBT2" */
    reseal(buf, 36);
    CHECK_EQ(image_trailer_decode(buf, 36, &back), IMAGE_BAD_MAGIC);

    image_trailer_encode(&t, buf);
    buf[4] = 2; /* format 2 */
    reseal(buf, 36);
    CHECK_EQ(image_trailer_decode(buf, 36, &back), IMAGE_BAD_FORMAT);

    image_trailer_encode(&t, buf); /* size argument does not match the size field */
    CHECK_EQ(image_trailer_decode(buf, 100, &back), IMAGE_BAD_FORMAT);
    buf[6] = 40; /* neither 36 nor 100 */
    CHECK_EQ(image_trailer_decode(buf, 40, &back), IMAGE_BAD_FORMAT);

    t.flags = 0x4; /* unknown flag */
    image_trailer_encode(&t, buf);
    CHECK_EQ(image_trailer_decode(buf, 36, &back), IMAGE_BAD_FORMAT);
    t.flags = IMAGE_FLAG_SIGNED; /* signed flag without a signature */
    image_trailer_encode(&t, buf);
    CHECK_EQ(image_trailer_decode(buf, 36, &back), IMAGE_BAD_FORMAT);
    t.flags = IMAGE_FLAG_RAW;
    image_trailer_encode(&t, buf);
    CHECK_EQ(image_trailer_decode(buf, 36, &back), IMAGE_OK);
    CHECK_EQ(back.flags, IMAGE_FLAG_RAW);

    struct image_trailer u = sample_trailer(IMAGE_TRAILER_SIZE_SIGNED);
    u.flags = 0; /* a signature but no signed flag */
    image_trailer_encode(&u, buf);
    CHECK_EQ(image_trailer_decode(buf, 100, &back), IMAGE_BAD_FORMAT);

    /* The CRC word itself damaged. */
    t = sample_trailer(IMAGE_TRAILER_SIZE);
    image_trailer_encode(&t, buf);
    buf[35] ^= 0x80;
    CHECK_EQ(image_trailer_decode(buf, 36, &back), IMAGE_BAD_TRAILER_CRC);
}

static void check_results(void)
{
    struct image_trailer t = sample_trailer(IMAGE_TRAILER_SIZE);
    CHECK_EQ(image_trailer_check(&t, &limits), IMAGE_OK);

    t.app_length = 0x112;
    CHECK_EQ(image_trailer_check(&t, &limits), IMAGE_BAD_LENGTH);
    t.app_length = 28; /* word 7 would not be part of the application */
    CHECK_EQ(image_trailer_check(&t, &limits), IMAGE_BAD_LENGTH);
    t.app_length = 32;
    CHECK_EQ(image_trailer_check(&t, &limits), IMAGE_OK);

    t = sample_trailer(IMAGE_TRAILER_SIZE);
    t.load_address = 0x08008000u;
    CHECK_EQ(image_trailer_check(&t, &limits), IMAGE_BAD_LOAD_ADDRESS);

    t = sample_trailer(IMAGE_TRAILER_SIZE);
    t.board_id = 0x0446E144u;
    CHECK_EQ(image_trailer_check(&t, &limits), IMAGE_BAD_BOARD);

    /* Fit: exactly the region is fine, one word more is not, and no overflow tricks. */
    t = sample_trailer(IMAGE_TRAILER_SIZE);
    t.app_length = limits.region_size - IMAGE_TRAILER_SIZE;
    CHECK_EQ(image_trailer_check(&t, &limits), IMAGE_OK);
    t.app_length += 4;
    CHECK_EQ(image_trailer_check(&t, &limits), IMAGE_TOO_BIG);
    t.app_length = 0xFFFFFFFCu;
    CHECK_EQ(image_trailer_check(&t, &limits), IMAGE_TOO_BIG);
    t = sample_trailer(IMAGE_TRAILER_SIZE_SIGNED);
    t.app_length = limits.region_size - IMAGE_TRAILER_SIZE_SIGNED;
    CHECK_EQ(image_trailer_check(&t, &limits), IMAGE_OK);
    t.app_length = limits.region_size - IMAGE_TRAILER_SIZE; /* fits unsigned, not signed */
    CHECK_EQ(image_trailer_check(&t, &limits), IMAGE_TOO_BIG);
}

static void vector_results(void)
{
    uint32_t v[2] = {0x2001FFF0u, 0x08004051u};
    CHECK_EQ(image_vectors_check(v, 0x110, &limits), IMAGE_OK);
    v[0] = 0x20020000u; /* top of SRAM is a valid initial SP (full descending stack) */
    CHECK_EQ(image_vectors_check(v, 0x110, &limits), IMAGE_OK);
    v[0] = 0x20020004u;
    CHECK_EQ(image_vectors_check(v, 0x110, &limits), IMAGE_BAD_STACK);
    v[0] = 0x20000000u;
    CHECK_EQ(image_vectors_check(v, 0x110, &limits), IMAGE_BAD_STACK);
    v[0] = 0x2001FFF2u;
    CHECK_EQ(image_vectors_check(v, 0x110, &limits), IMAGE_BAD_STACK);
    v[0] = 0xFFFFFFFFu; /* erased flash */
    CHECK_EQ(image_vectors_check(v, 0x110, &limits), IMAGE_BAD_STACK);
    v[0] = 0x2001FFF0u;

    v[1] = 0x08004050u; /* ARM state */
    CHECK_EQ(image_vectors_check(v, 0x110, &limits), IMAGE_BAD_RESET_VECTOR);
    v[1] = 0x08003FFFu; /* below the image */
    CHECK_EQ(image_vectors_check(v, 0x110, &limits), IMAGE_BAD_RESET_VECTOR);
    v[1] = 0x08004111u; /* just past L */
    CHECK_EQ(image_vectors_check(v, 0x110, &limits), IMAGE_BAD_RESET_VECTOR);
    v[1] = 0x0800410Fu; /* last halfword of the image */
    CHECK_EQ(image_vectors_check(v, 0x110, &limits), IMAGE_OK);
    v[1] = 0x08004001u; /* first byte: odd but legal */
    CHECK_EQ(image_vectors_check(v, 0x110, &limits), IMAGE_OK);
    v[1] = 0xFFFFFFFFu;
    CHECK_EQ(image_vectors_check(v, 0x110, &limits), IMAGE_BAD_RESET_VECTOR);
}

static void every_result_has_a_distinct_name(void)
{
    for (int a = IMAGE_OK; a <= IMAGE_FILE_SREC; a++) {
        CHECK(strcmp(image_result_name((enum image_result)a), "unknown") != 0);
        for (int b = a + 1; b <= IMAGE_FILE_SREC; b++)
            CHECK(strcmp(image_result_name((enum image_result)a),
                         image_result_name((enum image_result)b)) != 0);
    }
    CHECK(strcmp(image_result_name((enum image_result)(IMAGE_FILE_SREC + 1)), "unknown") == 0);
    CHECK(strcmp(image_result_name(IMAGE_BAD_CRC), "bad crc") == 0);
}

int main(void)
{
    RUN_TEST(crc_reference_vectors);
    RUN_TEST(encode_layout_is_the_documented_one);
    RUN_TEST(round_trip_both_sizes);
    RUN_TEST(decode_rejects_every_single_byte_flip);
    RUN_TEST(decode_results);
    RUN_TEST(check_results);
    RUN_TEST(vector_results);
    RUN_TEST(every_result_has_a_distinct_name);
    return HARNESS_EXIT();
}
