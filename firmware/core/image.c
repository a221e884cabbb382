/* Image trailer codec and checks (docs/image-format.md). Shared by the bootloader and stickimg,
 * so its fields go through bytes.h: no alignment or host-endianness assumptions. */
#include "image.h"

#include "bytes.h"

#include "crc.h"

/* STM32 CRC of n bytes (n a multiple of 4), each 4 bytes a little-endian word. */
__attribute__((noinline)) static uint32_t crc_of_bytes(const uint8_t *p, uint32_t n)
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
        return IMAGE_WHY(IMAGE_BAD_LOAD_ADDRESS, t->load_address, lim->app_base);
    if (t->board_id != lim->board_id)
        return IMAGE_WHY(IMAGE_BAD_BOARD, t->board_id, lim->board_id);
    /* Written so that nothing overflows: length + size <= region_size. */
    if (length > lim->region_size || t->size > lim->region_size - length)
        return IMAGE_WHY(IMAGE_TOO_BIG, length + t->size, lim->region_size);
    return IMAGE_OK;
}

enum image_result image_vectors_check(const uint32_t vectors[2], uint32_t app_length,
                                      const struct image_limits *lim)
{
    uint32_t sp = vectors[0];
    if (sp % 4 != 0 || sp <= lim->sram_start || sp > lim->sram_end)
        return IMAGE_WHY(IMAGE_BAD_STACK, sp, lim->sram_end);
    uint32_t reset = vectors[1];
    /* Cortex-M runs Thumb only: bit 0 must be set. Offset from app_base, so no overflow. */
    if ((reset & 1u) == 0 || reset < lim->app_base || (reset & ~1u) - lim->app_base >= app_length)
        return IMAGE_WHY(IMAGE_BAD_RESET_VECTOR, reset, lim->app_base);
    return IMAGE_OK;
}

void image_base_begin(struct image_base_scan *s, uint32_t length)
{
    __builtin_memset(s, 0, sizeof *s);
    s->length = length;
}

/* How compilers start a function (GCC, Clang, the CubeMX startup): first halfword & mask ==
 * value. ARMv7-M ARM A6/A7 encodings. */
static const uint16_t function_entries[][2] = {
    {0xFE00u, 0xB400u}, /* push {...} */
    {0xFFFFu, 0xE92Du}, /* push.w {...} (stmdb sp!) */
    {0xFFFFu, 0xED2Du}, /* vpush */
    {0xFF80u, 0xB080u}, /* sub sp, #imm */
    {0xFFFFu, 0x4770u}, /* bx lr */
    {0xFFFFu, 0xE7FEu}, /* b . */
    {0xF800u, 0x4800u}, /* ldr rN, [pc, #imm] */
    {0xFFFFu, 0xF8DFu}, /* ldr.w rN, [pc, #imm] */
    {0xF800u, 0xF000u}, /* b.w / bl: a tail call */
    {0xFFEFu, 0xB662u}, /* cpsie i / cpsid i */
};

static uint32_t function_entry(uint32_t h)
{
    for (uint32_t i = 0; i < sizeof function_entries / sizeof function_entries[0]; i++) {
        if ((h & function_entries[i][0]) == function_entries[i][1])
            return 1;
    }
    return 0;
}

void image_base_feed(struct image_base_scan *s, const uint8_t *bytes, uint32_t pos, uint32_t n)
{
    if (pos >= s->length)
        return;
    if (n > s->length - pos)
        n = s->length - pos;
    if (pos == 0) {
        uint32_t i = 1;
        for (; i < IMAGE_TABLE_MAX && 4 * i + 4 <= n; i++) {
            uint32_t v = get_le32(bytes + 4 * i);
            if (i >= 16 && v &&
                !(v & 1u && v - IMAGE_FLASH_START < IMAGE_BASES_MAX * IMAGE_BASE_GRID))
                break; /* the table has ended: code follows */
            /* 0 (unused) and the reserved entries 7-10 and 13 (ARMv7-M B1.5.3; 7 holds L). */
            if (!v || (i < 16 && (0x2780u >> i & 1u)))
                continue;
            uint32_t k = 0;
            while (k < s->count && s->target[k] != v)
                k++;
            s->target[k] = v; /* k <= count < i: always room */
            s->count += k == s->count;
        }
        s->table_bytes = 4 * i;
    }
    if (n < 2)
        return;
    /* Score each handler at each candidate base C that puts its first halfword in this chunk:
     * pos <= handler - C <= pos + n - 2. Unsigned: offsets before pos wrap to large values. */
    for (uint32_t k = 0; k < s->count; k++) {
        uint32_t offset = (s->target[k] & ~1u) - IMAGE_FLASH_START - pos;
        for (uint32_t b = 0; b < IMAGE_BASES_MAX; b++, offset -= IMAGE_BASE_GRID) {
            if (offset <= n - 2 && function_entry(get_le16(bytes + offset)))
                s->score[b]++;
        }
    }
}

/* Rule 2 for base: 0 when every handler is Thumb and inside the application, else the first
 * that is not. */
static uint32_t handler_outside(const struct image_base_scan *s, uint32_t base)
{
    for (uint32_t k = 0; k < s->count; k++) {
        uint32_t v = s->target[k], offset = v - 1u - base;
        if (!(v & 1u) || offset < s->table_bytes || offset >= s->length)
            return v ? v : 1u;
    }
    return 0;
}

enum image_result image_base_check(struct image_base_scan *s, const struct image_limits *lim)
{
    s->bad_vector = handler_outside(s, lim->app_base);
    if (s->bad_vector)
        return IMAGE_WHY(IMAGE_BAD_VECTOR, s->bad_vector, lim->app_base);
    uint32_t own = (lim->app_base - IMAGE_FLASH_START) / IMAGE_BASE_GRID, best = own;
    if (own >= IMAGE_BASES_MAX)
        return IMAGE_OK;
    for (uint32_t b = 0; b < IMAGE_BASES_MAX; b++) {
        if (s->score[b] >= s->score[best] + 2u &&
            !handler_outside(s, IMAGE_FLASH_START + b * IMAGE_BASE_GRID))
            best = b;
    }
    s->other_base = IMAGE_FLASH_START + best * IMAGE_BASE_GRID;
    return best == own ? IMAGE_OK : IMAGE_WHY(IMAGE_WRONG_BASE, s->other_base, lim->app_base);
}

#if defined(LOG) && LOG
struct image_why image_why;

enum image_result image_why_note(enum image_result r, uint32_t found, uint32_t expected)
{
    if (image_why.result == IMAGE_OK) {
        image_why.result = r;
        image_why.found = found;
        image_why.expected = expected;
    }
    return r;
}

void image_why_clear(void)
{
    image_why.result = IMAGE_OK;
}

void image_why_file(const uint8_t *first, uint32_t n)
{
    if (n < 4)
        return;
    uint32_t word = get_le32(first);
    if (word == 0x464C457Fu) /* "\x7FELF" */
        image_why_note(IMAGE_FILE_ELF, 0, 0);
    else if (first[0] == ':' && first[1] >= '0' && first[1] <= '9')
        image_why_note(IMAGE_FILE_HEX, 0, 0);
    else if (first[0] == 'S' && first[1] >= '0' && first[1] <= '9')
        image_why_note(IMAGE_FILE_SREC, 0, 0);
}
#endif

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
        [IMAGE_BAD_VECTOR] = "bad vector",
        [IMAGE_WRONG_BASE] = "linked for another base",
        [IMAGE_UNSIGNED] = "unsigned",
        [IMAGE_BAD_SIGNATURE] = "bad signature",
        [IMAGE_ROLLBACK] = "rollback",
        [IMAGE_FILE_ELF] = "an ELF file, not an image",
        [IMAGE_FILE_HEX] = "an Intel HEX file, not an image",
        [IMAGE_FILE_SREC] = "an S-record file, not an image",
    };
    if ((unsigned)r < sizeof names / sizeof names[0])
        return names[r];
    return "unknown";
}
