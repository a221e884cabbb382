/* The update itself: pass 1 checks the whole file without touching flash, pass 2 erases what
 * it must, programs, verifies, and seals with the trailer last. Portable: it reaches the chip
 * only through core/flash.h, core/crc.h and core/platform.h. */
#ifndef CORE_UPDATE_H
#define CORE_UPDATE_H

#include <stdint.h>

#include "config.h"
#include "image.h"

/* Where the file comes from: fs/ on target, memory in tests. read() fills buf with the next
 * bytes of the file (buf_size is a multiple of 512; *got is 0 at the end); rewind() starts over. */
struct image_source {
    uint32_t size;
    int (*read)(void *ctx, void *buf, uint32_t buf_size, uint32_t *got);
    void (*rewind)(void *ctx);
    void *ctx;
};

/* The image installed at APP_BASE, if its trailer and CRC check out: 1 and *t filled, else 0. */
int installed_image(struct image_trailer *t);

/* Install the file. Returns SB_OK when installed, SB_UP_TO_DATE when it equals the installed
 * image (nothing written), or an error status. A rejected file changes no flash. */
int update_install(const struct image_source *src);

#if LOG
/* LOG=1: for a file the file system refused as too big, notes why (image_why): what the file
 * is (ELF, Intel HEX, S-record) or its size. */
void update_name_file(const struct image_source *src);
#endif

#ifdef SREC_CRC_ADDR
/* Program the whole-flash CRC word at SREC_CRC_ADDR (flash must be unlocked). */
int seal_whole_flash(void);
#endif

#if REPORT_LOG
/* app_version of the file the last update_install checked, once its trailer was read (a raw
 * binary: 0); 0xFFFFFFFF before that. For the update report. */
extern uint32_t update_file_version;
#endif

/* Limits of this build (board id, region, SRAM) for image checks. */
extern const struct image_limits update_limits;

#endif
