/* Unit tests of stickimg's readers and writers (under ASan/UBSan): sparse memory, Intel HEX in
 * and out, the ELF reader on hand-made files. */
#define HARNESS_SUITE "test_stickimg"
#include "harness.h"

#include "stickimg.h"

#include <stdlib.h>
#include <string.h>

static int parse_text(const char *text, struct memimage *m)
{
    mem_init(m);
    return ihex_parse((const uint8_t *)text, strlen(text), m);
}

static void memory_merges_and_refuses_overlap(void)
{
    struct memimage m;
    mem_init(&m);
    uint8_t a[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    CHECK_EQ(mem_add(&m, 0x100, a, 4), 0);
    CHECK_EQ(mem_add(&m, 0x108, a + 4, 4), 0);
    CHECK_EQ(m.count, 2);
    CHECK_EQ(mem_add(&m, 0x104, a, 4), 0); /* closes the gap: one segment */
    CHECK_EQ(m.count, 1);
    CHECK_EQ(mem_high(&m), 0x10C);
    CHECK(mem_add(&m, 0x10B, a, 1) != 0);
    CHECK(mem_add(&m, 0xFE, a, 3) != 0);
    CHECK_EQ(mem_add(&m, 0xFC, a, 4), 0); /* adjacent below */
    CHECK_EQ(m.count, 1);
    CHECK_EQ(mem_low(&m), 0xFC);
    CHECK(mem_add(&m, 0xFFFFFFFEu, a, 4) != 0); /* past 4 GB */
    CHECK_EQ(mem_fill(&m, 0xF0, 0x110, 0xEE), 0);
    CHECK_EQ(m.count, 1);
    CHECK_EQ(mem_bytes(&m), 0x20);
    uint8_t flat[0x20];
    mem_flatten(&m, 0xF0, sizeof flat, 0, flat);
    CHECK_EQ(flat[0], 0xEE);
    CHECK_EQ(flat[0x0C], 1);
    CHECK_EQ(flat[0x1F], 0xEE);
    CHECK_EQ(mem_crop(&m, 0x101, 0x103), 0);
    CHECK_EQ(mem_bytes(&m), 2);
    CHECK_EQ(m.seg[0].data[0], 2);
    mem_free(&m);
}

static void hex_reads_all_address_modes(void)
{
    struct memimage m;
    /* I8HEX, then extended linear (04), a start address (05). */
    CHECK_EQ(parse_text(":0400100001020304E2\n"
                        ":020000040800F2\n"
                        ":02000000AABB99\n"
                        ":0400000508000041AE\n"
                        ":00000001FF\n",
                        &m),
             0);
    CHECK_EQ(m.count, 2);
    CHECK_EQ(m.seg[0].address, 0x10);
    CHECK_EQ(m.seg[1].address, 0x08000000u);
    CHECK_EQ(m.seg[1].data[1], 0xBB);
    CHECK(m.has_start);
    CHECK_EQ(m.start, 0x08000041u);
    mem_free(&m);
    /* Extended segment (02) with a record that wraps inside its 64 KB segment, CRLF lines. */
    CHECK_EQ(parse_text(":020000021000EC\r\n:04FFFE001122334455\r\n:00000001FF\r\n", &m), 0);
    CHECK_EQ(m.count, 2);
    CHECK_EQ(m.seg[0].address, 0x10000u);
    CHECK_EQ(m.seg[0].data[0], 0x33);
    CHECK_EQ(m.seg[1].address, 0x1FFFEu);
    mem_free(&m);
}

static void hex_errors(void)
{
    static const struct {
        const char *text, *error;
    } cases[] = {
        {":0400100001020304E3\n:00000001FF\n", "line 1: checksum mismatch"},
        {":0400100001020304\n:00000001FF\n", "line 1: byte count"},
        {":04001000010203G4E2\n:00000001FF\n", "line 1: bad hex digit"},
        {":00000007F9\n:00000001FF\n", "line 1: unknown record type 0x07"},
        {":0400100001020304E2\n:020012000506E1\n:00000001FF\n", "line 2: data at 0x00000012"},
        {":0400100001020304E2\n", "no end-of-file record"},
        {":00000001FF\n", "no data"},
        {"junk\n", "line 1: not an Intel HEX record"},
        {":0300000408000AE7\n:00000001FF\n", "line 1: type 04 record must have 2"},
        {":020001040800F1\n:00000001FF\n", "line 1: type 04 record must have address"},
        {":020000041000EA\n:01FFFF0055AC\n:01FFFF0055AC\n:00000001FF\n", "overlaps"},
        {":", "truncated"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct memimage m;
        int r = parse_text(cases[i].text, &m);
        CHECK(r != 0);
        if (!strstr(last_error(), cases[i].error))
            printf("  case %zu: got '%s', wanted '%s'\n", i, last_error(), cases[i].error);
        CHECK(strstr(last_error(), cases[i].error) != NULL);
        mem_free(&m);
    }
}

static void hex_write_then_read_is_identity(void)
{
    struct memimage m, back;
    mem_init(&m);
    uint8_t data[5000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 37 + 11);
    CHECK_EQ(mem_add(&m, 0x0800FF03u, data, sizeof data), 0);
    CHECK_EQ(mem_add(&m, 0x08020000u, data, 3), 0);
    m.has_start = 1;
    m.start = 0x08000041u;
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    CHECK_EQ(ihex_write(f, &m), 0);
    fclose(f);
    CHECK(strncmp(text, ":020000040800F2\n", 16) == 0);
    CHECK_EQ(parse_text(text, &back), 0);
    CHECK_EQ(back.count, 2);
    CHECK_EQ(back.seg[0].address, 0x0800FF03u);
    CHECK_EQ(back.seg[0].length, sizeof data);
    CHECK(memcmp(back.seg[0].data, data, sizeof data) == 0);
    CHECK_EQ(back.seg[1].length, 3);
    CHECK(back.has_start && back.start == 0x08000041u);
    /* No record longer than 32 bytes, none crossing a 1792-byte chunk boundary. */
    unsigned upper = 0;
    for (char *line = text; *line; line = strchr(line, '\n') + 1) {
        unsigned n, addr, type;
        CHECK_EQ(sscanf(line, ":%2x%4x%2x", &n, &addr, &type), 3);
        if (type == 4)
            sscanf(line + 9, "%4x", &upper);
        if (type == 0) {
            unsigned long a = (unsigned long)upper << 16 | addr;
            CHECK(n <= 32);
            CHECK_EQ(a / 1792, (a + n - 1) / 1792);
        }
    }
    free(text);
    mem_free(&m);
    mem_free(&back);
}

/* A minimal ELF32 ARM executable: one PT_LOAD at paddr 0x08004000 holding two sections. */
static size_t make_elf(uint8_t *buf, uint16_t machine)
{
    memset(buf, 0, 512);
    memcpy(buf,
           "\x7F"
           "ELF\x01\x01\x01",
           7);
    buf[16] = 2;
    buf[18] = (uint8_t)machine;
    buf[19] = (uint8_t)(machine >> 8);
    put_le32(buf + 28, 52);  /* phoff */
    put_le32(buf + 32, 128); /* shoff */
    buf[42] = 32;
    buf[44] = 1;
    buf[46] = 40;
    buf[48] = 3;
    uint8_t *ph = buf + 52;
    put_le32(ph, 1);
    put_le32(ph + 4, 256);
    put_le32(ph + 8, 0x08004000u);
    put_le32(ph + 12, 0x08004000u);
    put_le32(ph + 16, 16);
    /* section 1: .text 8 bytes at 256; section 2: .data 8 bytes at 264, VMA in RAM */
    uint8_t *sh = buf + 128 + 40;
    put_le32(sh + 4, 1);
    put_le32(sh + 8, 6);
    put_le32(sh + 12, 0x08004000u);
    put_le32(sh + 16, 256);
    put_le32(sh + 20, 8);
    sh += 40;
    put_le32(sh + 4, 1);
    put_le32(sh + 8, 3);
    put_le32(sh + 12, 0x20000000u);
    put_le32(sh + 16, 264);
    put_le32(sh + 20, 8);
    for (int i = 0; i < 16; i++)
        buf[256 + i] = (uint8_t)(0xA0 + i);
    return 272;
}

static void elf_reader(void)
{
    uint8_t buf[512];
    struct memimage m;
    size_t size = make_elf(buf, 40);
    mem_init(&m);
    CHECK_EQ(elf_parse(buf, size, &m), 0);
    CHECK_EQ(m.count, 1); /* .data at its load address, right after .text */
    CHECK_EQ(m.seg[0].address, 0x08004000u);
    CHECK_EQ(m.seg[0].length, 16);
    CHECK_EQ(m.seg[0].data[15], 0xAF);
    mem_free(&m);

    size = make_elf(buf, 62);
    CHECK(elf_parse(buf, size, &m) != 0);
    CHECK(strstr(last_error(), "x86-64") != NULL);
    mem_free(&m);
    size = make_elf(buf, 40);
    CHECK(elf_parse(buf, 200, &m) != 0); /* cut before the sections */
    CHECK(strstr(last_error(), "outside the file") != NULL);
    mem_free(&m);
    put_le32(buf + 128 + 80 + 20, 0xFFFFFFF0u); /* a section size past the end */
    CHECK(elf_parse(buf, size, &m) != 0);
    mem_free(&m);
    size = make_elf(buf, 40);
    buf[4] = 2;
    CHECK(elf_parse(buf, size, &m) != 0);
    CHECK(strstr(last_error(), "64-bit") != NULL);
    mem_free(&m);
}

static void version_and_numbers(void)
{
    uint32_t v;
    CHECK_EQ(parse_version("1.2.3", &v), 0);
    CHECK_EQ(v, 0x01020003u);
    CHECK_EQ(parse_version("255.255.65535", &v), 0);
    CHECK_EQ(v, 0xFFFFFFFFu);
    CHECK(parse_version("1.2", &v) != 0);
    CHECK(parse_version("1.2.3.4", &v) != 0);
    CHECK(parse_version("256.0.0", &v) != 0);
    CHECK(parse_version("1.2.65536", &v) != 0);
    char text[24];
    format_version(0x0A0B0102u, text);
    CHECK(strcmp(text, "10.11.258") == 0);
    CHECK_EQ(parse_u32("0x08004000", "x", &v), 0);
    CHECK_EQ(v, 0x08004000u);
    CHECK(parse_u32("0x100000000", "x", &v) != 0);
    CHECK(parse_u32("12abc", "x", &v) != 0);
    CHECK(parse_u32("-1", "x", &v) != 0);
}

int main(void)
{
    RUN_TEST(memory_merges_and_refuses_overlap);
    RUN_TEST(hex_reads_all_address_modes);
    RUN_TEST(hex_errors);
    RUN_TEST(hex_write_then_read_is_identity);
    RUN_TEST(elf_reader);
    RUN_TEST(version_and_numbers);
    return HARNESS_EXIT();
}
