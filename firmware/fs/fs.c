/* FAT12/16/32 and exFAT, read-only and streaming, over MBR, GPT or an unpartitioned medium.
 * Both families share one cluster-chain walker (a FAT-entry getter parameterised by entry
 * width) and one directory-scan loop; the root directory is read as a file through the same
 * streaming code. Every on-disk number is range-checked before it addresses anything. */
#include "fs.h"

#include "bytes.h"
#include "noinit.h"
#include "ramfunc.h"
#include "status.h"

#define DIR_BYTES_MAX     (65536u * 32u) /* FAT's directory limit; a longer chain is a loop */
#define GPT_ENTRIES_MAX   128u           /* the standard array; bounds the scan of a bad header */
#define EXFAT_SIGNATURE   0x2020205441465845ull /* "EXFAT   " */
#define GPT_SIGNATURE     0x5452415020494645ull /* "EFI PART" */
#define GPT_BASIC_DATA_LO 0x4433B9E5EBD0A0A2ull /* EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 */
#define GPT_BASIC_DATA_HI 0xC79926B7B668C087ull
/* MBR partition types that may hold FAT or exFAT: 01 04 06 07 0B 0C 0E. */
#define MBR_FAT_TYPES 0x58D2u

/* All state in one place (one base register on the target). sector_buf: one block of BPB,
 * FAT or partition table; cache_dev == 0 means empty. Directory data has its own buffer, so
 * walking a directory's chain finds its FAT block still cached. scanned: the first blocks of
 * the volumes tried, so that a partition table listing one volume many times gets it tried
 * once. Not zeroed at reset (NOINIT): fs_open() sets cache_dev, search_result and
 * scanned_count before anything reads them, and the rest is read only after it was filled. */
static NOINIT struct {
    const struct blockdev *cache_dev;
    uint32_t cache_lba;
    int search_result; /* most telling outcome over the volumes tried so far */
    uint32_t scanned_count;
    uint32_t scanned[GPT_ENTRIES_MAX + 1];
    uint8_t sector_buf[4096];
    uint8_t dir_buf[4096];
} fs;
#define cache_dev     fs.cache_dev
#define cache_lba     fs.cache_lba
#define search_result fs.search_result
#define scanned_count fs.scanned_count
#define scanned       fs.scanned
#define sector_buf    fs.sector_buf
#define dir_buf       fs.dir_buf

static uint64_t le64(const uint8_t *p)
{
    return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static uint32_t upper(uint32_t c)
{
    return c - 'a' < 26u ? c - 32 : c;
}

/* log2 of a power of two; 32 (out of every valid range) for anything else. */
static uint32_t log2_exact(uint32_t v)
{
    return v && !(v & (v - 1)) ? (uint32_t)__builtin_ctz(v) : 32;
}

RAMFUNC static int load(const struct blockdev *dev, uint32_t lba)
{
    if (cache_dev == dev && cache_lba == lba)
        return SB_OK;
    if (lba >= dev->block_count)
        return SB_ERR_FS_CORRUPT;
    cache_dev = 0;
    if (dev->read(dev, lba, 1, sector_buf))
        return SB_ERR_MEDIUM;
    cache_dev = dev;
    cache_lba = lba;
    return SB_OK;
}

/* One step along a chain: SB_OK with *c moved on, SB_ERR_NO_FILE at an end-of-chain mark,
 * SB_ERR_FS_CORRUPT at a free, bad or out-of-range cluster. FAT12 entries may straddle two
 * blocks, so the entry is assembled byte by byte. */
RAMFUNC static int next_cluster(const struct fs_file *f, uint32_t *c)
{
    uint32_t next = *c + 1;
    if (!f->contiguous) {
        uint64_t bit = (uint64_t)*c * f->fat_bits;
        next = 0;
        for (uint32_t i = (f->fat_bits + 4u) >> 3; i--;) {
            uint64_t byte = (bit >> 3) + i;
            int r = load(f->dev, f->fat_lba + (uint32_t)(byte >> f->block_shift));
            if (r)
                return r;
            next = next << 8 | sector_buf[byte & ((1u << f->block_shift) - 1)];
        }
        next = (next >> (bit & 7)) & f->fat_mask;
        if (next >= f->fat_mask - 7)
            return SB_ERR_NO_FILE;
    }
    if (next < 2 || next > f->max_cluster)
        return SB_ERR_FS_CORRUPT;
    *c = next;
    return SB_OK;
}

/* fs_read, except that a chain ending early is reported as SB_ERR_NO_FILE (the normal end of
 * a directory). cluster 0 streams the fixed FAT12/16 root directory. */
RAMFUNC static int read_run(struct fs_file *f, void *buf, uint32_t buf_size, uint32_t *got)
{
    const struct blockdev *dev = f->dev;
    uint32_t left = f->size - f->pos, c = f->cluster, lba, n, want, stepped = 0;
    int r;
    *got = 0;
    if (!left)
        return SB_OK;
    want = buf_size >> f->block_shift;
    if (want > dev->max_blocks)
        want = dev->max_blocks;
    n = ((left - 1) >> f->block_shift) + 1;
    if (want > n)
        want = n;
    if (!want)
        return SB_ERR_MEDIUM;
    if (c) {
        uint32_t per_cluster = 1u << f->cluster_shift;
        uint32_t block = (f->pos >> f->block_shift) & (per_cluster - 1);
        stepped = !block && f->pos;
        if (stepped && (r = next_cluster(f, &c)))
            return r;
        lba = f->heap_lba + ((c - 2) << f->cluster_shift) + block;
        /* Merge the following clusters while they are adjacent and still wanted. */
        for (n = per_cluster - block; n < want; n += per_cluster) {
            uint32_t next = c;
            r = next_cluster(f, &next);
            if (r == SB_ERR_NO_FILE)
                break; /* a directory's chain may end here; the next call reports it */
            if (r)
                return r;
            if (next != c + 1)
                break;
            c = next;
        }
    } else {
        lba = f->root_lba + (f->pos >> f->block_shift);
        n = want;
    }
    if (n > want)
        n = want;
    /* A volume may reach the device's last block, which is never read (blockdev.h). */
    if (lba >= dev->block_count || n > dev->block_count - lba)
        return SB_ERR_FS_CORRUPT;
    if (dev->read(dev, lba, n, buf))
        return SB_ERR_MEDIUM;
    if (stepped) {
        /* Brent's cycle detection over the clusters this file moves to: one met again is a
         * loop, found within about twice the loop's length, not after the size limit. */
        if (c == f->loop_mark)
            return SB_ERR_FS_CORRUPT;
        uint32_t steps = ++f->loop_steps;
        if (!(steps & (steps - 1)))
            f->loop_mark = c; /* after 1, 2, 4, 8... steps */
    }
    f->cluster = c;
    n <<= f->block_shift;
    if (n > left)
        n = left;
    f->pos += n;
    *got = n;
    /* At the end the chain must end too: a loop or a chain longer than the size is corrupt. */
    if (f->pos == f->size && c && !f->contiguous) {
        r = next_cluster(f, &c);
        if (r != SB_ERR_NO_FILE)
            return r ? r : SB_ERR_FS_CORRUPT;
    }
    return SB_OK;
}

/* Reads and checks the boot sector at start; sets f up to stream the root directory. */
static int mount(struct fs_file *f, uint32_t start, uint32_t count)
{
    const uint8_t *b = sector_buf;
    uint32_t bps_shift, spc_shift, fat_off, fat_len, clusters, root = 0, root_bytes = 0, shift;
    uint32_t total, heap_off, root_off = 0;
    int r = load(f->dev, start);
    if (r)
        return r;
    f->exfat = le64(b + 3) == EXFAT_SIGNATURE;
    f->contiguous = 0;
    f->fat_bits = 32;
    f->fat_mask = 0xFFFFFFFFu;
    if (f->exfat) {
        if (get_le32(b + 76))
            return SB_ERR_NO_FS; /* 2^32 sectors or more: larger than any partition */
        total = get_le32(b + 72);
        fat_off = get_le32(b + 80);
        fat_len = get_le32(b + 84);
        heap_off = get_le32(b + 88);
        clusters = get_le32(b + 92);
        root = get_le32(b + 96);
        bps_shift = b[108];
        spc_shift = b[109];
    } else {
        uint32_t fats = b[16];
        if ((b[0] != 0xEB && b[0] != 0xE9) || fats - 1 > 1u)
            return SB_ERR_NO_FS;
        bps_shift = log2_exact(get_le16(b + 11));
        spc_shift = log2_exact(b[13]);
        fat_off = get_le16(b + 14);
        fat_len = get_le16(b + 22) ? get_le16(b + 22) : get_le32(b + 36);
        total = get_le16(b + 19) ? get_le16(b + 19) : get_le32(b + 32);
        root_bytes = get_le16(b + 17) * 32u;
        if (bps_shift > 12 || spc_shift > 7 || !fat_off || !fat_len)
            return SB_ERR_NO_FS;
        /* 64 bits until the heap is known to start inside the volume; 32 from then on. */
        uint64_t heap = fat_off + (uint64_t)fats * fat_len;
        root_off = (uint32_t)heap;
        heap += (root_bytes + (1u << bps_shift) - 1) >> bps_shift;
        if (heap >= total)
            return SB_ERR_NO_FS;
        heap_off = (uint32_t)heap;
        /* The FAT type follows from the cluster count alone (Microsoft's rule). */
        clusters = (total - heap_off) >> spc_shift;
        if (clusters < 65525) {
            f->fat_bits = clusters < 4085 ? 12 : 16;
            f->fat_mask = (1u << f->fat_bits) - 1;
        } else {
            f->fat_mask = 0x0FFFFFFFu;
            root = get_le32(b + 44);
        }
    }
    if (bps_shift - 9 > 3u || bps_shift < f->block_shift || spc_shift + bps_shift > 25)
        return SB_ERR_NO_FS;
    shift = bps_shift - f->block_shift;
    /* Inside its partition; FAT before heap; heap inside the volume; FAT covers every cluster;
     * cluster numbers stay below the reserved values; the root cluster exists. Each sum is
     * written as a difference, so that nothing wraps in 32 bits. */
    if (total > (count >> shift) || fat_len > heap_off || fat_off > heap_off - fat_len ||
        heap_off > total || clusters > (total - heap_off) >> spc_shift ||
        ((uint64_t)fat_len << (bps_shift + 3)) < ((uint64_t)clusters + 2) * f->fat_bits ||
        clusters > f->fat_mask - 10 || (f->fat_bits == 32 && root - 2 >= clusters))
        return SB_ERR_NO_FS;
    f->fat_lba = start + (fat_off << shift);
    f->root_lba = start + (root_off << shift);
    f->heap_lba = start + (heap_off << shift);
    f->cluster_shift = (uint8_t)(spc_shift + shift);
    f->max_cluster = clusters + 1;
    /* A chain without a loop holds each cluster of the volume once at most. */
    f->size = root ? DIR_BYTES_MAX : root_bytes;
    f->first_cluster = root;
    fs_rewind(f);
    return SB_OK;
}

/* Scans the root directory (set up by mount) for name and turns f into that file. */
static int find_in_root(struct fs_file *f, const char *name, uint32_t max_size)
{
    uint8_t short_name[11];
    uint32_t name_len, i = 0, got, set_left = 0, sum = 0, want_sum = 0, is_dir = 0, name_pos = 0;
    uint32_t match = 0, name_field = 0, flags = 0, first = 0;
    uint64_t length = 0, valid = 0;
    int r;
    __builtin_memset(short_name, ' ', sizeof short_name);
    /* FAT matches the 8.3 name; a base longer than 8 characters by its first VFAT alias, the
     * basis name's first 6 characters and "~1" (what Windows and mtools give a new long name
     * without a clash: STICKBOOT.LOG is STICKB~1.LOG). exFAT compares the name itself. */
    uint32_t in_ext = 0;
    for (name_len = 0; name[name_len]; name_len++) {
        uint8_t ch = (uint8_t)upper((uint8_t)name[name_len]);
        if (ch == '.' && !in_ext) {
            in_ext = 1;
            i = 8;
        } else if (!in_ext && i == 8) {
            short_name[6] = '~';
            short_name[7] = '1';
        } else if (i < 11 && ch != '.') {
            short_name[i++] = ch;
        } else {
            short_name[0] = 0; /* no 8.3 form: no FAT entry can match */
        }
    }
    for (;;) {
        r = read_run(f, dir_buf, sizeof dir_buf, &got);
        if (r || !got)
            return r ? r : SB_ERR_NO_FILE;
        for (const uint8_t *e = dir_buf; e < dir_buf + got; e += 32) {
            uint32_t type = e[0];
            if (!type)
                return SB_ERR_NO_FILE;
            if (!f->exfat) {
                /* Skip deleted entries, LFN parts, volume labels and directories. */
                if (type == 0xE5 || (e[11] & 0x18))
                    continue;
                for (i = 0; i < 11 && upper(e[i]) == short_name[i]; i++)
                    ;
                if (i < 11)
                    continue;
                first = get_le16(e + 26) | (f->fat_bits == 32 ? get_le16(e + 20) << 16 : 0);
                length = valid = get_le32(e + 28);
                goto found;
            }
            /* exFAT: a file entry 0x85 opens a set of e[1] secondaries (stream 0xC0,
             * names 0xC1); the set is judged once its last entry is in. */
            if (!set_left) {
                if (type != 0x85)
                    continue;
                set_left = e[1] + 1u;
                want_sum = get_le16(e + 2);
                is_dir = e[4] & 0x10;
                sum = name_pos = name_field = 0;
                match = 1;
            }
            for (i = 0; i < 32; i++) {
                if (type != 0x85 || (i | 1) != 3) /* the checksum field itself is left out */
                    sum = (uint16_t)(((sum & 1) << 15) + (sum >> 1) + e[i]);
            }
            if (type == 0xC0) {
                flags = e[1];
                name_field = e[3];
                valid = le64(e + 8);
                first = get_le32(e + 20);
                length = le64(e + 24);
            } else if (type == 0xC1) {
                for (i = 0; i < 15; i++, name_pos++) {
                    uint32_t ch = get_le16(e + 2 + 2 * i);
                    if (name_pos < name_len &&
                        (ch > 127 || upper(ch) != upper((uint8_t)name[name_pos])))
                        match = 0;
                }
            }
            if (--set_left)
                continue;
            if (sum == want_sum && match && name_field == name_len && name_pos >= name_len &&
                !is_dir) {
                f->contiguous = (flags >> 1) & 1;
                goto found;
            }
        }
    }
found:
    /* Filled before the size check: a LOG=1 build reads the start of a file that is too big
     * to say what it is (update_name_file). */
    f->size = (uint32_t)length;
    f->first_cluster = first;
    fs_rewind(f);
    if (length > max_size)
        return SB_ERR_TOO_BIG;
    /* exFAT: refuse a partly written file rather than deliver zeros or a truncated image. */
    if (valid != length || (length && first - 2 >= f->max_cluster - 1))
        return SB_ERR_FS_CORRUPT;
    return SB_OK;
}

/* Tries one volume; nonzero when the search is over (file found, too big, or read error). */
static int try_volume(struct fs_file *f, const char *name, uint32_t max_size, uint32_t start,
                      uint32_t count)
{
    for (uint32_t i = 0; i < scanned_count; i++) {
        if (scanned[i] == start)
            return 0; /* tried before: nothing new there */
    }
    scanned[scanned_count++] = start;
    int r = mount(f, start, count);
    if (!r)
        r = find_in_root(f, name, max_size);
    if (r > search_result || r < SB_ERR_NO_FS)
        search_result = r;
    return r < SB_ERR_NO_FS || r == SB_ERR_TOO_BIG;
}

int fs_open(const struct blockdev *dev, const char *name, uint32_t max_size, struct fs_file *f)
{
    uint32_t block_size = dev->block_size, shift = log2_exact(block_size), lba = 0;
    uint32_t entries = 4, entry_size = 16, offset = 446, gpt = 0;
    const uint8_t *e;
    int r;
    search_result = SB_ERR_NO_FS;
    scanned_count = 0;
    cache_dev = 0;
    f->dev = dev;
    f->block_shift = (uint8_t)shift;
    if (shift - 9 > 3u || !dev->max_blocks)
        return SB_ERR_MEDIUM;
    /* The device's last block exists but is never read (quirky capacities, blockdev.h), so a
     * volume may end one block after block_count. A boot sector at LBA 0: no partition table. */
    if (try_volume(f, name, max_size, 0, dev->block_count + 1) || search_result != SB_ERR_NO_FS)
        return search_result;
    if ((r = load(dev, 0)))
        return r;
    if (get_le16(sector_buf + 510) != 0xAA55)
        return SB_ERR_NO_FS;
    if (sector_buf[446 + 4] == 0xEE) {
        if ((r = load(dev, 1)))
            return r;
        e = sector_buf;
        uint64_t array_lba = le64(e + 72);
        entries = get_le32(e + 80);
        entry_size = get_le32(e + 84);
        if (le64(e) != GPT_SIGNATURE || get_le32(e + 12) < 92 || get_le32(e + 12) > block_size ||
            array_lba >= dev->block_count || log2_exact(entry_size) - 7 > shift - 7)
            return SB_ERR_NO_FS;
        lba = (uint32_t)array_lba;
        offset = 0;
        gpt = 1;
        if (entries > GPT_ENTRIES_MAX)
            entries = GPT_ENTRIES_MAX;
    }
    for (uint32_t i = 0; i < entries; i++, offset += entry_size) {
        uint64_t start, end;
        if ((r = load(dev, lba + (offset >> shift))))
            return r;
        e = sector_buf + (offset & (block_size - 1));
        if (gpt) {
            if (le64(e) != GPT_BASIC_DATA_LO || le64(e + 8) != GPT_BASIC_DATA_HI)
                continue;
            start = le64(e + 32);
            end = le64(e + 40) + 1;
        } else {
            if (e[4] >= 16 || !((MBR_FAT_TYPES >> e[4]) & 1))
                continue;
            start = get_le32(e + 8);
            end = start + get_le32(e + 12);
        }
        if (!start || end <= start || end > (uint64_t)dev->block_count + 1)
            continue;
        if (try_volume(f, name, max_size, (uint32_t)start, (uint32_t)(end - start)))
            break;
    }
    return search_result;
}

uint32_t fs_size(const struct fs_file *f)
{
    return f->size;
}

RAMFUNC int fs_read(struct fs_file *f, void *buf, uint32_t buf_size, uint32_t *got)
{
    int r = read_run(f, buf, buf_size, got);
    return r == SB_ERR_NO_FILE ? SB_ERR_FS_CORRUPT : r;
}

uint32_t fs_last_lba(const struct fs_file *f)
{
    uint32_t block = (f->pos - 1) >> f->block_shift;
    return f->heap_lba + ((f->cluster - 2) << f->cluster_shift) +
           (block & ((1u << f->cluster_shift) - 1));
}

void fs_rewind(struct fs_file *f)
{
    f->pos = 0;
    f->cluster = f->first_cluster;
    f->loop_mark = f->first_cluster;
    f->loop_steps = 0;
}
