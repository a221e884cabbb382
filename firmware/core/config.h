/* Build configuration: the board header plus -D options from the Makefile, with defaults. */
#ifndef CORE_CONFIG_H
#define CORE_CONFIG_H

#include "board.h"

#ifndef APP_BASE
#define APP_BASE 0x08004000u
#endif
#ifndef PROBE_MS
#define PROBE_MS 300u
#endif
#ifndef LOG
#define LOG 0
#endif
/* The release (the VERSION file, given by the build); LOG=1 builds print it once per reset. */
#ifndef STICKBOOT_VERSION
#define STICKBOOT_VERSION "unknown"
#endif
#ifndef RAW_IMAGES
#define RAW_IMAGES 1
#endif
#ifndef SECURE
#define SECURE 0
#endif
/* The bootloader write-protects its own sector (nWRP0) at the first boot, so no application
 * bug or mass erase can remove it (docs/self-protection.md). */
#ifndef PROTECT_BOOT
#define PROTECT_BOOT 1
#endif
/* The update report: one line per board in STICKBOOT.LOG, when the stick has that file
 * (docs/update-report.md). Off by default in LOG=1 SECURE=1 builds, which tell the same over
 * the UART and would not fit the sector with both (REPORT_LOG=1 there fails to link). */
#ifndef REPORT_LOG
#define REPORT_LOG (!(LOG && SECURE))
#endif
/* The report's own bound: the search for the file, its scan and the write. */
#ifndef REPORT_MS
#define REPORT_MS 3000u
#endif
/* Encrypted images (docs/encryption.md): SECURE=1 builds only. */
#ifndef ENCRYPT
#define ENCRYPT 0
#endif
#if ENCRYPT && !SECURE
#error "ENCRYPT=1 needs SECURE=1: the signature is what makes a decrypted image trustworthy"
#endif
/* Secure builds refuse an image whose version is below the installed one. */
#ifndef ANTI_ROLLBACK
#define ANTI_ROLLBACK 1
#endif
#ifndef IMAGE_NAME
#define IMAGE_NAME "IMAGE.BIN"
#endif
/* One stick for many boards: a file named after this board's id (BOARD_ID in 8 upper-case hex
 * digits, e.g. 0407D15C.BIN, `stickimg info` prints it) is preferred to IMAGE_NAME on every
 * LUN. 0: IMAGE_NAME only. */
#ifndef BOARD_FILES
#define BOARD_FILES 1
#endif
/* With a valid app, a forced update (button, app request) waits this long for a stick. */
#ifndef FORCED_WAIT_MS
#define FORCED_WAIT_MS 30000u
#endif

/* Session bound: from the moment a stick is connected, the mount, the search for IMAGE.BIN and
 * pass 1 over it end within SESSION_MS milliseconds (every wait on the stick is clipped to that
 * deadline, usb_host.h), and the search within SESSION_READS READ(10) commands. A search cut
 * short fails with SB_ERR_FS_CORRUPT (7). A sane stick needs a few READ(10)s (README
 * "Hostile sticks"). */
#ifndef SESSION_MS
#define SESSION_MS 20000u
#endif
#ifndef SESSION_READS
#define SESSION_READS 1024u
#endif

/* Rollback floor (SECURE=1 with ANTI_ROLLBACK): a log of (version, ~version) word pairs in the
 * last FLOOR_BYTES of sector 0, which the linker script keeps free and no update erases
 * (docs/image-format.md "Rollback floor"). */
#define FLOOR_BYTES 512u
#define FLOOR_ADDR  (CHIP_FLASH_BASE + 0x4000u - FLOOR_BYTES)

#include "noinit.h"  /* NOINIT: large buffers that need no zeroing at reset */
#include "ramfunc.h" /* RAMFUNC: code that runs while the flash is busy */

#define CHIP_FLASH_BASE 0x08000000u
#define CHIP_SRAM_START 0x20000000u
#define CHIP_SRAM_END   (CHIP_SRAM_START + BOARD_SRAM_SIZE)

/* The application region ends at the end of flash, or before the whole-flash CRC word. */
#ifdef SREC_CRC_ADDR
#define APP_REGION_END (SREC_CRC_ADDR)
#else
#define APP_REGION_END (CHIP_FLASH_BASE + BOARD_FLASH_SIZE)
#endif
#define APP_REGION_SIZE (APP_REGION_END - APP_BASE)

/* The application starts a flash sector above sector 0 (RM0090 3.3: 4 x 16 KB, 64 KB, then
 * 128 KB sectors): the bootloader owns sector 0, and an update erases whole sectors. */
#define APP_OFFSET (APP_BASE - CHIP_FLASH_BASE)
#if APP_BASE < CHIP_FLASH_BASE + 0x4000u
#error "APP_BASE is inside sector 0 (the bootloader's): use 0x08004000 or a later sector start"
#elif APP_OFFSET >= BOARD_FLASH_SIZE
#error "APP_BASE is past the end of flash"
#elif APP_OFFSET < 0x10000u ? APP_OFFSET % 0x4000u != 0                                            \
                            : APP_OFFSET != 0x10000u && APP_OFFSET % 0x20000u != 0
#error                                                                                             \
    "APP_BASE is not a sector start: 0x08004000, 0x08008000, 0x0800C000, 0x08010000 or 0x08020000 + n * 0x20000"
#endif

#ifdef SREC_CRC_ADDR
/* The update erases the sector holding the region's last word: the CRC word must share it, or
 * an update programs the new word over the old one (their AND). So: a word of flash, above
 * APP_BASE, not at a sector start (RM0090 3.3; a 2 MB part's bank 2 starts over). */
#define SREC_OFFSET (SREC_CRC_ADDR - CHIP_FLASH_BASE)
#define SREC_IN_BANK                                                                               \
    (SREC_OFFSET % (BOARD_FLASH_DUAL_BANK ? BOARD_FLASH_SIZE / 2u : BOARD_FLASH_SIZE))
#if SREC_CRC_ADDR % 4u || SREC_CRC_ADDR <= APP_BASE || SREC_OFFSET >= BOARD_FLASH_SIZE
#error "SREC_CRC_ADDR must be a word address above APP_BASE inside flash, e.g. the last word"
#elif SREC_IN_BANK < 0x10000u ? SREC_IN_BANK % 0x4000u == 0                                        \
                              : SREC_IN_BANK == 0x10000u || SREC_IN_BANK % 0x20000u == 0
#error                                                                                             \
    "SREC_CRC_ADDR is a sector start: the update would never erase its word (use the word before)"
#endif
#endif

/* Slot shared with the application in the last 16 bytes of SRAM (app/stickboot_app.h). */
#define SLOT_ADDR           (CHIP_SRAM_END - 16u) /* 0x2001FFF0 with 128 KB */
#define SLOT_HANDOVER_MAGIC 0x5B0A7A11u /* bootloader -> early reset path: start the app */
#define SLOT_REQUEST_MAGIC  0x5B0055B7u /* app -> bootloader: enter update mode */
#define SLOT_SESSION_MAGIC  0x5B05E551u /* slot[2]: a session runs while a valid app waits */

#endif
