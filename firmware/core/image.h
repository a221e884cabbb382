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
    IMAGE_UNSIGNED,         /* secure build: no signature */
    IMAGE_BAD_SIGNATURE,
    IMAGE_ROLLBACK,
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
/* Human-readable name of a result, for stickimg and the UART log. */
const char *image_result_name(enum image_result r);

#endif
