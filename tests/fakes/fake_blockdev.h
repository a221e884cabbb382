/* A block device over a disk-image file or a memory buffer, for fs/ tests and the fuzzer.
 * Configurable block size and max_blocks; optional byte patches laid over the image (to
 * corrupt a real image without copying it); an optional log of every read; injected read
 * errors; and a count of reads that broke the blockdev contract. */
#ifndef TESTS_FAKE_BLOCKDEV_H
#define TESTS_FAKE_BLOCKDEV_H

#include "blockdev.h"
#include <stddef.h>
#include <stdint.h>

struct fake_read {
    uint32_t lba;
    uint32_t count;
    const void *buf;
};

struct fake_patch {
    uint64_t offset;
    uint32_t len;
    uint8_t *data;
};

struct fake_blockdev {
    struct blockdev dev; /* first, so the read callback can find the rest */
    int fd;              /* file backend, or -1 */
    const uint8_t *mem;  /* memory backend */
    uint64_t bytes;      /* image size */
    struct fake_patch *patches;
    unsigned patch_count;
    int logging;
    struct fake_read *log;
    uint32_t log_len, log_cap;
    uint32_t calls;           /* reads asked for */
    uint32_t contract_errors; /* count 0, above max_blocks or past block_count */
    uint32_t fail_lba;        /* a read touching this LBA fails (UINT32_MAX: never) */
};

/* block_count is the image size in blocks, rounded down. 0 on success. */
int fake_blockdev_open(struct fake_blockdev *fb, const char *path, uint32_t block_size,
                       uint32_t max_blocks);
void fake_blockdev_init_mem(struct fake_blockdev *fb, const void *data, size_t bytes,
                            uint32_t block_size, uint32_t max_blocks);
void fake_blockdev_close(struct fake_blockdev *fb);
/* Lays bytes over the image (later patches win). */
void fake_blockdev_patch(struct fake_blockdev *fb, uint64_t offset, const void *data, uint32_t len);
/* Reads image bytes as the device would (patches included). 0 on success. */
int fake_blockdev_peek(struct fake_blockdev *fb, uint64_t offset, void *buf, size_t len);
void fake_blockdev_clear_log(struct fake_blockdev *fb);

#endif
