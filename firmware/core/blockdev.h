/* Block device seen by fs/: implemented by usb/msc over SCSI, and by fakes in tests/. */
#ifndef CORE_BLOCKDEV_H
#define CORE_BLOCKDEV_H

#include <stdint.h>

struct blockdev {
    uint32_t block_size;  /* power of two, 512..4096 */
    uint32_t block_count; /* usable blocks: LBAs 0..block_count-1 may be read */
    uint32_t max_blocks;  /* most blocks one read may ask for (READ(10) chunk limit) */
    /* Read count blocks from lba into buf (count*block_size bytes). 0 on success. */
    int (*read)(const struct blockdev *dev, uint32_t lba, uint32_t count, void *buf);
    /* Write one block at lba from buf; NULL when the device cannot write. 0 on success. Used
     * only for the update report (core/report.h). */
    int (*write)(const struct blockdev *dev, uint32_t lba, const void *buf);
};

#endif
