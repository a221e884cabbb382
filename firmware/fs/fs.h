/* Read-only, streaming access to one file in the root directory of a FAT12/16/32 or exFAT
 * volume, found on an unpartitioned medium, behind an MBR or behind a GPT.
 *
 * Volume discovery order: LBA 0 as a boot sector; else a GPT (protective MBR whose first entry
 * is type 0xEE): Microsoft basic data partitions in entry order (at most 128 entries; the
 * header signature and sizes are checked, its CRC is not); else the four MBR entries of types
 * 01/04/06/0B/0C/0E/07 in order. A volume without the file (or a corrupt one) passes the
 * search on to the next; the first volume holding the file wins. Entries naming a volume
 * already tried (same first block) are skipped.
 *
 * The file system sector size must be a power of two, 512..4096, and at least the device block
 * size. exFAT: ValidDataLength must equal DataLength (a partly written file is refused with
 * SB_ERR_FS_CORRUPT); only the first FAT is used. The file's chain must end exactly where its
 * size does: a loop or a chain longer or shorter than the size is SB_ERR_FS_CORRUPT. A loop in
 * a directory's chain is found within about twice the loop's length (Brent's method), so a
 * chain is never walked further than the volume's cluster count. */
#ifndef FS_FS_H
#define FS_FS_H

#include "blockdev.h"
#include <stdint.h>

/* Volume geometry and read position. Opaque to callers; blocks are device blocks. */
struct fs_file {
    const struct blockdev *dev;
    uint32_t fat_lba;       /* first block of the (first) FAT */
    uint32_t heap_lba;      /* first block of cluster 2 */
    uint32_t root_lba;      /* FAT12/16: first block of the fixed root directory */
    uint32_t max_cluster;   /* highest valid cluster number */
    uint32_t fat_mask;      /* FAT entry mask; end-of-chain marks are >= fat_mask - 7 */
    uint32_t first_cluster; /* 0 for an empty file */
    uint32_t cluster;       /* cluster holding the block at pos; 0 = fixed root directory */
    uint32_t size;
    uint32_t pos;
    uint32_t loop_mark;    /* chain loop detection (Brent): a cluster met before */
    uint32_t loop_steps;   /* clusters moved to since the rewind */
    uint8_t block_shift;   /* log2 of the device block size */
    uint8_t cluster_shift; /* log2 of device blocks per cluster */
    uint8_t fat_bits;      /* 12, 16 or 32 */
    uint8_t exfat;
    uint8_t contiguous; /* exFAT NoFatChain: clusters follow each other, the FAT is not used */
};

/* Find the volume(s) and open the named file (case-insensitive; an 8.3 name such as
 * "IMAGE.BIN", or a longer base name, which FAT volumes hold under its first VFAT alias:
 * "STICKBOOT.LOG" matches STICKB~1.LOG there and the name itself on exFAT)
 * in a root directory. Files larger than max_size fail with SB_ERR_TOO_BIG without being read.
 * Returns SB_OK, SB_ERR_NO_FS, SB_ERR_NO_FILE, SB_ERR_FS_CORRUPT, SB_ERR_TOO_BIG or
 * SB_ERR_MEDIUM (a device read failed). */
int fs_open(const struct blockdev *dev, const char *name, uint32_t max_size, struct fs_file *f);

uint32_t fs_size(const struct fs_file *f);

/* Next chunk of the file into buf; buf_size is a multiple of the device block size (the last,
 * partial block of the file is read whole into buf). Sets *got to the file bytes delivered,
 * 0 at the end of the file. Contiguous clusters are read with one device read each, up to
 * min(buf_size, max_blocks) blocks, straight into buf. */
int fs_read(struct fs_file *f, void *buf, uint32_t buf_size, uint32_t *got);

/* Device LBA of the block that holds the last byte fs_read delivered (f->pos - 1): after a read
 * of one block, where that block lies, so that it can be written back in place (the update
 * report). Only after a successful fs_read that delivered bytes. */
uint32_t fs_last_lba(const struct fs_file *f);

/* Back to the start of the file, for a second pass without walking the directory again. */
void fs_rewind(struct fs_file *f);

#endif
