/* The update report (docs/update-report.md): one line per board in STICKBOOT.LOG, a file of
 * fixed size that the stick already holds. The line goes into the first empty 128-byte slot
 * (first byte 0) of the file; the block holding it is read, the slot filled, and that one block
 * written back in place with WRITE(10). Nothing else on the stick is ever written: not the FAT,
 * not the directory entry, not the file size. */
#ifndef CORE_REPORT_H
#define CORE_REPORT_H

#include <stdint.h>

#include "blockdev.h"

#define REPORT_NAME      "STICKBOOT.LOG" /* on FAT its alias STICKB~1.LOG (fs.h, docs) */
#define REPORT_SLOT      128u            /* bytes per line, "\r\n" included */
#define REPORT_NONE      0xFFFFFFFFu     /* version not known: printed as "-" */
#define REPORT_MAX_BYTES (1u << 20)      /* a bigger file is not searched (its scan would take s) */

struct report {
    uint32_t uid[3];      /* the chip's unique ID: word 0 from the lowest address */
    uint32_t board_id;    /* BOARD_ID of this build */
    uint32_t old_version; /* installed before the session, or REPORT_NONE */
    uint32_t new_version; /* the file's, or REPORT_NONE (no file, unreadable trailer) */
    int result;           /* sb_status of the session */
    uint32_t ms;          /* the session's duration */
};

/* Formats rep into the REPORT_SLOT bytes at slot: text, spaces, "\r\n". */
void report_format(uint8_t *slot, const struct report *rep);

/* Appends rep to STICKBOOT.LOG on dev. SB_OK when written; otherwise why not, with nothing
 * written: dev->write NULL (SB_ERR_MEDIUM), no file (fs_open's status), the file full
 * (SB_ERR_TOO_BIG), a read or the write failed (a write-protected stick: SB_ERR_MEDIUM). */
int report_write(const struct blockdev *dev, const struct report *rep);

#endif
