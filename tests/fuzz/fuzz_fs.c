/* libFuzzer target: fs_open + fs_read + fs_rewind + fs_read over an in-memory disk.
 * Input: a small sparse disk, so that partitioned layouts with volumes megabytes away from
 * LBA 0 fit in a few KB:
 *   byte 0: block size 512 << (b & 3); byte 1: max_blocks (0 -> 256); byte 2: buffer blocks;
 *   bytes 3..6: disk size in 512-byte sectors (little endian);
 *   then records of a 4-byte sector number and 512 bytes of that sector (later ones win).
 * Sectors without a record read as zeros. Properties checked beyond "no crash": the device
 * is only asked for blocks it has, never more than max_blocks at once; reads stay within the
 * caller's buffer; both passes deliver the same bytes, no more than the file size. */
#include "blockdev.h"
#include "fs.h"
#include "status.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RECORD 516u

struct sparse_disk {
    struct blockdev dev;
    const uint8_t *records;
    uint32_t record_count;
    uint32_t sectors;
};

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int sparse_read(const struct blockdev *dev, uint32_t lba, uint32_t count, void *buf)
{
    const struct sparse_disk *d = (const struct sparse_disk *)dev;
    uint32_t per_block = dev->block_size / 512;
    if (!count || count > dev->max_blocks || lba >= dev->block_count ||
        count > dev->block_count - lba)
        __builtin_trap(); /* fs/ broke the block-device contract */
    memset(buf, 0, (size_t)count * dev->block_size);
    uint64_t first = (uint64_t)lba * per_block, end = first + (uint64_t)count * per_block;
    for (uint32_t i = 0; i < d->record_count; i++) {
        const uint8_t *r = d->records + (size_t)i * RECORD;
        uint32_t sector = rd32(r);
        if (sector >= first && sector < end)
            memcpy((uint8_t *)buf + (sector - first) * 512, r + 4, 512);
    }
    return 0;
}

static int read_pass(struct fs_file *f, uint8_t *buf, uint32_t buf_size, uint8_t *out,
                     uint32_t out_size)
{
    uint32_t got, total = 0;
    int r;
    /* Every call delivers at least one byte or ends: size / 1 + 2 calls at most. */
    for (uint32_t calls = 0; calls <= fs_size(f) + 1; calls++) {
        r = fs_read(f, buf, buf_size, &got);
        if (r != SB_OK || !got)
            return r;
        if (got > buf_size || got > fs_size(f) - total)
            __builtin_trap();
        if (out && total + got <= out_size)
            memcpy(out + total, buf, got);
        total += got;
    }
    __builtin_trap(); /* fs_read never reached the end */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[8 * 4096], pass1[256 * 1024], pass2[256 * 1024];
    struct sparse_disk d;
    struct fs_file f;
    if (size < 7)
        return 0;
    d.dev.block_size = 512u << (data[0] & 3);
    d.dev.max_blocks = data[1] ? data[1] : 256;
    d.sectors = rd32(data + 3);
    d.dev.block_count = d.sectors / (d.dev.block_size / 512);
    d.dev.read = sparse_read;
    d.records = data + 7;
    d.record_count = (uint32_t)((size - 7) / RECORD);
    uint32_t buf_size = (1u + data[2] % 8) * d.dev.block_size;
    if (fs_open(&d.dev, "IMAGE.BIN", 1u << 20, &f) != SB_OK)
        return 0;
    uint32_t keep = fs_size(&f) < sizeof pass1 ? fs_size(&f) : sizeof pass1;
    int r1 = read_pass(&f, buf, buf_size, pass1, sizeof pass1);
    fs_rewind(&f);
    int r2 = read_pass(&f, buf, buf_size, pass2, sizeof pass2);
    if (r1 != r2 || (r1 == SB_OK && memcmp(pass1, pass2, keep)))
        __builtin_trap(); /* the second pass must repeat the first */
    return 0;
}
