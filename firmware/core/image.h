/* Image format (docs/image-format.md): the bytes that end up in flash from APP_BASE on.
 *   [0, L)       the application; vector-table word 7 (offset 0x1C) holds L
 *   [L, L+T)     the trailer, T = IMAGE_TRAILER_SIZE or IMAGE_TRAILER_SIZE_SIGNED
 * L is a multiple of 4 (the tool pads with 0xFF). All fields little endian.
 * Trailer layout:
 *   0  magic "SBT1"          16 app_crc (STM32 CRC of [0, L))   32 signature[64] (signed only)
 *   4  format (u16), size    20 app_version (major<<24|minor<<16|patch)
 *   8  app_length L          24 board_id
 *   12 load_address          28 flags
 *   T-4 trailer_crc: STM32 CRC of trailer bytes [0, T-4)
 * Shared by the bootloader (pass 1, boot check) and stickimg (pack/info/verify). */
#ifndef CORE_IMAGE_H
#define CORE_IMAGE_H

#include <stdint.h>

#define IMAGE_MAGIC               0x31544253u /* "SBT1" in memory order */
#define IMAGE_FORMAT              1u
#define IMAGE_TRAILER_SIZE        36u
#define IMAGE_TRAILER_SIZE_SIGNED 100u
#define IMAGE_LENGTH_WORD_OFFSET  0x1Cu
#define IMAGE_SIGNATURE_OFFSET    32u
#define IMAGE_FLAG_SIGNED         0x1u /* trailer carries an ECDSA P-256 signature */
#define IMAGE_FLAG_RAW            0x2u /* trailer built by the bootloader from a raw binary */

struct image_trailer {
    uint32_t magic;
    uint16_t format;
    uint16_t size; /* trailer bytes, IMAGE_TRAILER_SIZE or IMAGE_TRAILER_SIZE_SIGNED */
    uint32_t app_length;
    uint32_t load_address;
    uint32_t app_crc;
    uint32_t app_version;
    uint32_t board_id;
    uint32_t flags;
    uint8_t signature[64]; /* r || s, big endian each; only when size is the signed size */
    uint32_t trailer_crc;
};

/* What an image must fit: one board and build configuration. */
struct image_limits {
    uint32_t app_base;    /* load address; also where word 0 goes */
    uint32_t region_size; /* bytes available from app_base, trailer included */
    uint32_t sram_start;  /* initial SP must be in (sram_start, sram_end] and word aligned */
    uint32_t sram_end;
    uint32_t board_id;
};

enum image_result {
    IMAGE_OK = 0,
    IMAGE_BAD_MAGIC,
    IMAGE_BAD_FORMAT, /* unknown format or trailer size */
    IMAGE_BAD_TRAILER_CRC,
    IMAGE_BAD_LENGTH, /* L not a multiple of 4, too small for a vector table, or != word 7 */
    IMAGE_BAD_LOAD_ADDRESS,
    IMAGE_BAD_BOARD,
    IMAGE_TOO_BIG,          /* L + trailer exceeds the region */
    IMAGE_BAD_CRC,          /* app_crc does not match the data */
    IMAGE_BAD_STACK,        /* initial SP outside SRAM */
    IMAGE_BAD_RESET_VECTOR, /* reset handler not Thumb or not inside [app_base, app_base+L) */
    IMAGE_BAD_VECTOR,       /* another handler not Thumb, or outside the application */
    IMAGE_WRONG_BASE,       /* the vector table fits another base better (image_base_check) */
    IMAGE_UNSIGNED,         /* secure build: no signature */
    IMAGE_BAD_SIGNATURE,
    IMAGE_ROLLBACK,
    /* Reasons only (LOG=1 log, image_why): what the file is instead of an image. */
    IMAGE_FILE_ELF,
    IMAGE_FILE_HEX,
    IMAGE_FILE_SREC,
};

/* Decode a trailer from size bytes (36 or 100) at p; checks magic, format, size field and
 * trailer CRC. */
enum image_result image_trailer_decode(const uint8_t *p, uint32_t size, struct image_trailer *t);
/* Encode t (including a fresh trailer_crc) into p; returns the bytes written (t->size). */
uint32_t image_trailer_encode(struct image_trailer *t, uint8_t *p);
/* Field checks against the limits: length, load address, board, fit. Not the CRC. */
enum image_result image_trailer_check(const struct image_trailer *t,
                                      const struct image_limits *lim);
/* Vector sanity for an application of app_length bytes: vectors[0] = SP, [1] = reset. */
enum image_result image_vectors_check(const uint32_t vectors[2], uint32_t app_length,
                                      const struct image_limits *lim);
/* Which base the vector table links the application to (docs/image-format.md, "Raw images
 * linked for another base"). A raw binary does not say where it was linked; its vector table
 * does: every handler vector is an absolute Thumb address. The rule:
 *  1. The table is entries 0..15 (ARMv7-M B1.5.3) and then every following entry that is 0 or an
 *     odd address in flash, up to IMAGE_TABLE_MAX entries (512 bytes: the first read of any
 *     stick holds them all; the largest STM32F4 table has 113). Entries 7-10 and 13 are
 *     reserved (7 holds L) and skipped, like 0s.
 *  2. Every handler must be Thumb (bit 0 set) and point into [base + table, base + L).
 *  3. A base C on the IMAGE_BASE_GRID other than APP_BASE that also passes 2 competes: for each
 *     base, count the distinct handlers whose first halfword, read at (handler - base) in the
 *     file, starts a function the way compilers emit one (push, push.w, vpush, sub sp, bx lr,
 *     b ., ldr literal, b.w/bl, cpsid). If a competitor counts at least 2 more than APP_BASE,
 *     the image is linked for it: IMAGE_WRONG_BASE. Closer counts keep APP_BASE: a table with
 *     few handlers is too little evidence to refuse an image.
 * Fed in file order, a chunk at a time (pass 1 streams the file once). */
#define IMAGE_FLASH_START 0x08000000u /* STM32 main flash (RM0090 2.3.1): lowest possible base */
#define IMAGE_BASE_GRID   0x4000u     /* smallest STM32F4 sector: every base is a multiple */
#define IMAGE_BASES_MAX   64u         /* candidate bases: IMAGE_FLASH_START + k * grid, 1 MB */
#define IMAGE_TABLE_MAX   128u        /* entries examined: the first 512 bytes, one block */
#define IMAGE_TARGETS_MAX IMAGE_TABLE_MAX /* distinct handlers: all of them */
struct image_base_scan {
    uint32_t length;                    /* L */
    uint32_t table_bytes;               /* vector-table bytes found (rule 1) */
    uint32_t count;                     /* distinct handlers in target[] */
    uint32_t target[IMAGE_TARGETS_MAX]; /* handler vectors as found (Thumb bit included) */
    uint8_t score[IMAGE_BASES_MAX];     /* function-like handler entries per candidate base */
    /* Filled by image_base_check for messages: the offending vector, or the base the table
     * fits better. */
    uint32_t bad_vector, other_base;
};
/* Starts a scan of an application of length bytes (L). */
void image_base_begin(struct image_base_scan *s, uint32_t length);
/* The next n bytes of the file at offset pos (in order, from 0; the first call with at least
 * the table). Bytes at or after L are ignored. */
void image_base_feed(struct image_base_scan *s, const uint8_t *bytes, uint32_t pos, uint32_t n);
/* Rules 2 and 3 for lim->app_base: IMAGE_OK, IMAGE_BAD_VECTOR (s->bad_vector) or
 * IMAGE_WRONG_BASE (s->other_base). The reset vector and SP: image_vectors_check. */
enum image_result image_base_check(struct image_base_scan *s, const struct image_limits *lim);

/* LOG=1 builds: why the last update was refused, for the UART log. The first reason a check
 * notes wins until image_why_clear(); found and expected are the values compared (0 when the
 * reason has none). Other builds compile the notes away: IMAGE_WHY(r, f, e) is just r. */
#if defined(LOG) && LOG
struct image_why {
    enum image_result result;
    uint32_t found, expected;
};
extern struct image_why image_why;
enum image_result image_why_note(enum image_result r, uint32_t found, uint32_t expected);
void image_why_clear(void);
/* Notes IMAGE_FILE_ELF/HEX/SREC when the first n bytes of a file are one of those. */
void image_why_file(const uint8_t *first, uint32_t n);
#define IMAGE_WHY(r, found, expected) image_why_note((r), (found), (expected))
#else
#define IMAGE_WHY(r, found, expected) (r)
#endif

/* Human-readable name of a result, for stickimg and the UART log. */
const char *image_result_name(enum image_result r);

#endif
