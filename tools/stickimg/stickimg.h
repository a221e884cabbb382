/* stickimg internals: shared by the subcommands (cmd_*.c), the readers and the writers. */
#ifndef STICKIMG_H
#define STICKIMG_H

#include "image.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes: documented in --help and docs/image-format.md. */
#define EXIT_OK     0
#define EXIT_FAILED 1 /* refused, bad input, failed check, I/O error */
#define EXIT_USAGE  2 /* bad command line */

/* printf-style checking of format strings. MinGW builds use MinGW's own C99 printf
 * (__USE_MINGW_ANSI_STDIO, so %zu and %llu work on Windows), which GCC checks as gnu_printf. */
#ifdef __MINGW32__
#define PRINTF_LIKE(f, a) __attribute__((format(gnu_printf, f, a)))
#else
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#endif

/* Errors: the function that detects one records a single line and returns -1; main prints it. */
int set_error(const char *fmt, ...) PRINTF_LIKE(1, 2);
const char *last_error(void);
void warn(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Prints "stickimg: <last error>" (prefixed by what, e.g. a file name) and returns EXIT_FAILED. */
int report_failure(const char *what);

/* ---- Sparse memory: what a .bin/.hex/.elf puts where. Segments sorted, never overlapping. ---- */
struct segment {
    uint32_t address;
    uint32_t length;
    uint8_t *data;
};
struct memimage {
    struct segment *seg;
    size_t count, capacity;
    int has_start; /* an execution start address (Intel HEX type 03/05) */
    uint32_t start;
};
void mem_init(struct memimage *m);
void mem_free(struct memimage *m);
/* Adds bytes at address; refuses overlap with what is there and data past 4 GB. */
int mem_add(struct memimage *m, uint32_t address, const uint8_t *data, uint32_t length);
int mem_empty(const struct memimage *m);
uint32_t mem_low(const struct memimage *m);  /* lowest address (m not empty) */
uint64_t mem_high(const struct memimage *m); /* one past the highest address */
uint64_t mem_bytes(const struct memimage *m);
/* Keeps only [low, high). */
int mem_crop(struct memimage *m, uint64_t low, uint64_t high);
/* Fills every byte of [low, high) that holds no data with fill. */
int mem_fill(struct memimage *m, uint64_t low, uint64_t high, uint8_t fill);
/* Copies [low, low+length) into out, fill where there is no data. */
void mem_flatten(const struct memimage *m, uint32_t low, uint32_t length, uint8_t fill,
                 uint8_t *out);
/* 1 when any byte of [low, high) holds data. */
int mem_overlaps(const struct memimage *m, uint64_t low, uint64_t high);

/* ---- Readers ---- */
enum input_format { FORMAT_AUTO, FORMAT_BIN, FORMAT_HEX, FORMAT_ELF };
int parse_format(const char *name, enum input_format *out);
/* Intel HEX text -> memory. Strict: checksums, record types, overlaps, EOF record. */
int ihex_parse(const uint8_t *text, size_t size, struct memimage *m);
/* ELF32 little-endian ARM executable -> memory at load (physical) addresses. */
int elf_parse(const uint8_t *buf, size_t size, struct memimage *m);
/* What a file is, by its contents (never by its name). */
enum content { CONTENT_RAW, CONTENT_ELF, CONTENT_IHEX, CONTENT_SREC, CONTENT_PACKED };
enum content content_of(const uint8_t *data, size_t size);
const char *content_name(enum content c); /* "an ELF file", ... */
/* Loads a file; raw binaries are placed at bin_base. Format from the option, else the
 * contents (ELF magic, an Intel HEX record), else the extension. SREC is refused by name. */
int input_load(const char *path, enum input_format format, uint32_t bin_base, struct memimage *m);

/* ---- Writers ---- */
/* Intel HEX laid out exactly as srec_cat -o x -Intel writes it (see ihex.c). */
int ihex_write(FILE *f, const struct memimage *m);
/* Whole file at once, through a temporary name so a failure leaves no half-written output;
 * path "-" is stdout. */
int write_file(const char *path, const uint8_t *data, size_t size);
int write_hex_file(const char *path, const struct memimage *m);
int read_file(const char *path, uint8_t **data, size_t *size);
int has_extension(const char *path, const char *ext);

/* ---- Numbers ---- */
int parse_u32(const char *text, const char *what, uint32_t *out);
int parse_version(const char *text, uint32_t *out);
void format_version(uint32_t version, char out[24]);
uint32_t get_le32(const uint8_t *p);
void put_le32(uint8_t *p, uint32_t v);
/* STM32 CRC unit over whole little-endian words (length a multiple of 4). */
uint32_t stm32_crc(const uint8_t *data, size_t length);

/* ---- Boards and limits ---- */
struct board {
    const char *name;
    uint32_t id;
    uint32_t flash_size;
    uint32_t sram_start, sram_end; /* initial SP must be in (start, end] */
};
#define FLASH_BASE       0x08000000u
#define DEFAULT_APP_BASE 0x08004000u
const struct board *board_by_name(const char *name);
const struct board *board_by_id(uint32_t id);
const struct board *board_list(size_t *count);
/* Limits for an image at app_base on board; region_end 0 means the end of flash. Checks that
 * app_base is a flash sector start after the bootloader's sector. */
int board_limits(const struct board *b, uint32_t app_base, uint32_t region_end,
                 struct image_limits *lim);

/* ---- Packed images (image.bin): the bootloader's pass-1 rules, with image.c ---- */
struct packed_report {
    uint32_t app_length;   /* word 7 */
    uint32_t trailer_size; /* file size - L */
    struct image_trailer trailer;
    int trailer_decoded;
    uint32_t computed_crc;
    uint32_t vectors[2];
    enum image_result result; /* the first failing check, IMAGE_OK when none */
    char detail[700];         /* one line about that failure */
};
/* Runs every check the bootloader's pass 1 runs. lim NULL: only the image's own consistency
 * (trailer, length, CRC); the board/placement checks are left out. */
enum image_result packed_check(const uint8_t *data, size_t size, const struct image_limits *lim,
                               int require_signed, struct packed_report *rep);

/* ---- Vector table (vectors.c) ---- */
/* The bootloader's vector checks of an application of length bytes for lim, with one line
 * (into out) that names the mistake: the base it is linked for and what to change. */
enum image_result vectors_explain(const uint8_t *image, uint32_t length,
                                  const struct image_limits *lim, char *out, size_t size);
/* The base on IMAGE_BASE_GRID the vector table fits (the checks pass there): 1 and *base, or 0. */
int linked_base(const uint8_t *image, uint32_t length, const struct image_limits *lim,
                uint32_t *base);

/* ---- Command line ---- */
/* "stickimg CMD: message" + a hint to --help on stderr; returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* The options several commands share, each with one letter and one meaning everywhere. A
 * command sets its defaults, then passes every letter it does not handle itself here. */
struct common_options {
    const char *output;       /* -o, --output FILE */
    const char *key_path;     /* -k, --key (or --pubkey) FILE */
    const char *board_name;   /* -b, --board NAME */
    uint32_t app_base;        /* -a, --app-base ADDR */
    uint32_t region_end;      /* --srec-crc-addr ADDR ('s'); 0: the end of flash */
    enum input_format format; /* -f, --format bin|hex|elf */
    int quiet;                /* -q, --quiet */
};
#define OPTION_TAKEN (-1)
/* Takes getopt_long's c (with optarg) into o. Returns OPTION_TAKEN; EXIT_OK after printing
 * help for -h; usage_error()'s EXIT_USAGE for a bad value or a letter no command shares. */
int common_option(int c, const char *cmd, const char *help, struct common_options *o);
/* Prepares getopt_long for a fresh pass over a subcommand's arguments. */
void options_reset(void);

/* ---- Subcommands ---- */
int cmd_pack(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_crc(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_factory(int argc, char **argv);

#endif
