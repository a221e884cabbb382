/* libFuzzer target: the image trailer codec (core/image.c) and the whole update pipeline
 * (core/update.c) over a file in memory and a RAM flash holding an old image.
 *
 * Input: byte 0 chooses fix-ups that let the fuzzer get past the CRCs (bit 0: word 7 = L for a
 * 36-byte trailer; bit 1: correct app_crc; bit 2: correct trailer CRC; bit 3: flip a byte of the
 * file when pass 2 starts; bits 4-6: the source returns at most (n+1) x 512 bytes per read);
 * the rest is the file.
 * Properties:
 *   - decode/encode round trip: a trailer that decodes re-encodes to the same bytes;
 *   - an independent validity oracle written from docs/image-format.md agrees with
 *     update_install: valid <=> SB_OK or SB_UP_TO_DATE (pass 1 sees the unchanged file);
 *   - a rejected file causes no flash operation at all and leaves flash as it was;
 *   - an installed file is in flash byte-exact (packed) or sealed as a raw binary, and
 *     installed_image() accepts it; a file changed during pass 2 is never sealed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "flash_ram.h"
#include "image.h"
#include "status.h"
#include "update.h"

#define REGION   (APP_REGION_SIZE)
#define MAX_FILE 8192u

static uint8_t file[MAX_FILE];
static uint8_t flash_before[64 * 1024];

static uint32_t le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}

/* The STM32 CRC, bit by bit (independent of hostlib/crc_soft.c). */
static uint32_t oracle_crc(const uint8_t *p, uint32_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (uint32_t i = 0; i + 4 <= len; i += 4) {
        crc ^= le32(p + i);
        for (int b = 0; b < 32; b++)
            crc = crc & 0x80000000u ? crc << 1 ^ 0x04C11DB7u : crc << 1;
    }
    return crc;
}

/* docs/image-format.md, "Raw images linked for another base", rules 1-3: size is the bytes the
 * file has of the application (a raw file may end short of L). */
static int oracle_base(const uint8_t *app, uint32_t length, uint32_t size)
{
    static const uint16_t entry[][2] = {{0xFE00, 0xB400}, {0xFFFF, 0xE92D}, {0xFFFF, 0xED2D},
                                        {0xFF80, 0xB080}, {0xFFFF, 0x4770}, {0xFFFF, 0xE7FE},
                                        {0xF800, 0x4800}, {0xFFFF, 0xF8DF}, {0xF800, 0xF000},
                                        {0xFFFF, 0xB662}, {0xFFFF, 0xB672}};
    uint32_t handlers[128], count = 0, table = 1, avail = size < length ? size : length;
    for (; table < 128 && 4 * table + 4 <= avail; table++) {
        uint32_t v = le32(app + 4 * table);
        int vector_like = v == 0 || ((v & 1) && v >= 0x08000000u && v < 0x08100000u);
        if (table >= 16 && !vector_like)
            break;
        int reserved = table == 7 || table == 8 || table == 9 || table == 10 || table == 13;
        int seen = 0;
        for (uint32_t k = 0; k < count; k++)
            seen |= handlers[k] == v;
        if (v && !reserved && !seen)
            handlers[count++] = v;
    }
    uint32_t table_bytes = 4 * table, score[64] = {0};
    int fits[64];
    for (uint32_t b = 0; b < 64; b++) {
        uint32_t base = 0x08000000u + b * 0x4000u;
        fits[b] = 1;
        for (uint32_t k = 0; k < count; k++) {
            uint64_t at = (uint64_t)(handlers[k] & ~1u);
            if (!(handlers[k] & 1) || at < (uint64_t)base + table_bytes ||
                at >= (uint64_t)base + length)
                fits[b] = 0;
            if (at < base || at - base + 2 > avail)
                continue;
            uint32_t h = app[at - base] | app[at - base + 1] << 8;
            for (uint32_t e = 0; e < sizeof entry / sizeof entry[0]; e++) {
                if ((h & entry[e][0]) == entry[e][1]) {
                    score[b]++;
                    break;
                }
            }
        }
    }
    uint32_t own = (APP_BASE - 0x08000000u) / 0x4000u;
    if (!fits[own])
        return 0;
    for (uint32_t b = 0; b < 64; b++) {
        if (fits[b] && score[b] >= score[own] + 2)
            return 0;
    }
    return 1;
}

static int oracle_vectors(const uint8_t *app, uint32_t length, uint32_t size)
{
    uint32_t sp = le32(app), reset = le32(app + 4);
    return sp % 4 == 0 && sp > CHIP_SRAM_START && sp <= CHIP_SRAM_END && (reset & 1) &&
           reset >= APP_BASE && (reset & ~1u) - APP_BASE < length && oracle_base(app, length, size);
}

/* docs/image-format.md, read independently of image.c. */
static int oracle_valid(const uint8_t *f, uint32_t size)
{
    if (size < 32)
        return 0;
    uint32_t word7 = le32(f + 28);
    if (word7 == 0 || word7 == 0xFFFFFFFFu) { /* raw binary: the bootloader seals it */
        uint32_t length = (size + 3) & ~3u;
        return RAW_IMAGES && !SECURE && length + IMAGE_TRAILER_SIZE <= REGION &&
               oracle_vectors(f, length, size);
    }
    uint32_t length = word7, t_size = size - length;
    if (length > size || length % 4 || length < 32 || (t_size != 36 && t_size != 100))
        return 0;
    const uint8_t *t = f + length;
    uint32_t flags = le32(t + 28);
    return le32(t) == IMAGE_MAGIC && (t[4] | t[5] << 8) == 1 &&
           (uint32_t)(t[6] | t[7] << 8) == t_size && (flags & ~3u) == 0 &&
           ((flags & 1u) != 0) == (t_size == 100) &&
           oracle_crc(t, t_size - 4) == le32(t + t_size - 4) && le32(t + 8) == length &&
           le32(t + 12) == APP_BASE && le32(t + 24) == BOARD_ID && length + t_size <= REGION &&
           oracle_crc(f, length) == le32(t + 16) && oracle_vectors(f, length, size);
}

struct source_state {
    uint32_t pos, limit, rewinds;
    int corrupt;
};
static struct source_state src_state;
static uint32_t file_size;

static int source_read(void *ctx, void *buf, uint32_t buf_size, uint32_t *got)
{
    struct source_state *s = ctx;
    uint32_t n = file_size - s->pos;
    if (n > buf_size)
        n = buf_size;
    if (n > s->limit)
        n = s->limit;
    memcpy(buf, file + s->pos, n);
    s->pos += n;
    *got = n;
    return SB_OK;
}

static void source_rewind(void *ctx)
{
    struct source_state *s = ctx;
    s->pos = 0;
    if (++s->rewinds == 2 && s->corrupt && file_size)
        file[file_size / 2] ^= 0x10;
}

/* A valid old image of 2 KB, installed before every run. */
static void install_old(void)
{
    static uint8_t old[2048 + IMAGE_TRAILER_SIZE];
    if (!le32(old)) {
        for (uint32_t i = 0; i < 2048; i++)
            old[i] = (uint8_t)(i * 7 + 3);
        put32(old, CHIP_SRAM_END);
        put32(old + 4, APP_BASE + 0x101);
        put32(old + 28, 2048);
        struct image_trailer t = {IMAGE_MAGIC,
                                  IMAGE_FORMAT,
                                  IMAGE_TRAILER_SIZE,
                                  2048,
                                  APP_BASE,
                                  oracle_crc(old, 2048),
                                  0x01000000,
                                  BOARD_ID,
                                  0,
                                  {0},
                                  0};
        image_trailer_encode(&t, old + 2048);
    }
    flash_ram_reset();
    memcpy(flash_ram_at(APP_BASE), old, sizeof old);
}

static void check_round_trip(const uint8_t *data, size_t size)
{
    for (uint32_t t_size = IMAGE_TRAILER_SIZE; t_size <= IMAGE_TRAILER_SIZE_SIGNED; t_size += 64) {
        if (size < t_size)
            return;
        struct image_trailer t;
        if (image_trailer_decode(data, t_size, &t) != IMAGE_OK)
            continue;
        uint8_t again[IMAGE_TRAILER_SIZE_SIGNED];
        if (image_trailer_encode(&t, again) != t_size || memcmp(again, data, t_size) != 0)
            abort();
        (void)image_trailer_check(&t, &update_limits);
        uint32_t vectors[2] = {le32(data), le32(data + 4)};
        (void)image_vectors_check(vectors, t.app_length, &update_limits);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size - 1 > MAX_FILE)
        return 0;
    check_round_trip(data + 1, size - 1);
    unsigned control = data[0];
    file_size = (uint32_t)size - 1;
    memcpy(file, data + 1, file_size);
    if (file_size >= 32 + IMAGE_TRAILER_SIZE) {
        uint32_t length = (file_size - IMAGE_TRAILER_SIZE) & ~3u;
        uint8_t *t = file + length;
        if (control & 1) {
            file_size = length + IMAGE_TRAILER_SIZE;
            put32(file + 28, length);
        }
        uint32_t l = le32(file + 28);
        if ((control & 2) && l <= file_size && l % 4 == 0 && file_size - l >= 20)
            put32(file + l + 16, oracle_crc(file, l));
        if ((control & 4) && le32(file + 28) == length)
            put32(t + 32, oracle_crc(t, 32));
    }
    int valid = oracle_valid(file, file_size);
    uint8_t original[MAX_FILE];
    memcpy(original, file, file_size);

    install_old();
    memcpy(flash_before, flash_ram_at(APP_BASE), sizeof flash_before);
    src_state = (struct source_state){0, 512u * (1 + (control >> 4 & 7)), 0, (control & 8) != 0};
    struct image_source source = {file_size, source_read, source_rewind, &src_state};
    int r = update_install(&source);
    unsigned ops = flash_ram_stats.erases + flash_ram_stats.programs;
    int accepted = r == SB_OK || r == SB_UP_TO_DATE;
    int changed_in_pass2 = src_state.corrupt && src_state.rewinds >= 2;

    if (!changed_in_pass2 && accepted != valid)
        abort(); /* the bootloader and the format description disagree */
    if (!accepted && r != SB_ERR_CHANGED) {
        /* Rejected in pass 1: not one flash operation, flash unchanged. */
        if (ops != 0 || memcmp(flash_before, flash_ram_at(APP_BASE), sizeof flash_before) != 0)
            abort();
    }
    if (r == SB_UP_TO_DATE && ops != 0)
        abort();
    struct image_trailer installed;
    int sealed = installed_image(&installed);
    if (r == SB_OK) {
        if (!sealed)
            abort();
        uint32_t word7 = le32(original + 28);
        if (word7 != 0 && word7 != 0xFFFFFFFFu) {
            if (memcmp(flash_ram_at(APP_BASE), original, file_size) != 0)
                abort(); /* a packed image goes to flash byte-exact */
        } else if (memcmp(flash_ram_at(APP_BASE + 32), original + 32, file_size - 32) != 0 ||
                   memcmp(flash_ram_at(APP_BASE), original, 28) != 0 ||
                   le32(flash_ram_at(APP_BASE + 28)) != ((file_size + 3) & ~3u)) {
            abort(); /* a raw binary goes to flash with word 7 = L */
        }
    } else if (!accepted && ops != 0 && sealed) {
        abort(); /* pass 2 failed, but something looks installed */
    }
    return 0;
}
