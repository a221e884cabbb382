/* fs/ against disk images made by real tools (tests/tools/mkimages.sh -> build/fs-images/):
 * every image of the manifest read with several block limits and buffer sizes, compared with
 * the source file and mcopy's extraction, two passes, read accounting; then corruptions laid
 * over real images with the fake device's patches. */
#define HARNESS_SUITE "test_fs"
#include "fakes/fake_blockdev.h"
#include "fs.h"
#include "harness.h"
#include "status.h"
#include <stdlib.h>
#include <string.h>

#define DIR      "build/fs-images/"
#define MAX_SIZE (16u << 20)

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    long n;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc((size_t)n + 1);
    if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return data;
}

static int open_image(struct fake_blockdev *fb, const char *name, uint32_t bs, uint32_t max)
{
    char path[256];
    snprintf(path, sizeof path, DIR "%s", name);
    int r = fake_blockdev_open(fb, path, bs, max);
    if (r)
        printf("  cannot open %s (run tests/tools/mkimages.sh)\n", path);
    return r;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* One pass over the file into *out. Checks the pass's device reads: data goes straight into
 * buf, no block twice, exactly the blocks the file needs, no two reads that could have been
 * one. Returns the fs status; *runs gets the number of data reads. */
static int read_pass(struct fs_file *f, struct fake_blockdev *fb, uint32_t buf_size, uint8_t *out,
                     uint32_t *runs)
{
    uint8_t *buf = malloc(buf_size);
    uint32_t got, total = 0, limit = buf_size / fb->dev.block_size, blocks = 0, n = 0;
    int r;
    if (limit > fb->dev.max_blocks)
        limit = fb->dev.max_blocks;
    fake_blockdev_clear_log(fb);
    fb->logging = 1;
    while ((r = fs_read(f, buf, buf_size, &got)) == SB_OK && got) {
        CHECK(got <= buf_size);
        CHECK(total + got <= fs_size(f));
        if (total + got > fs_size(f))
            break;
        memcpy(out + total, buf, got);
        total += got;
    }
    fb->logging = 0;
    if (r == SB_OK)
        CHECK_EQ(total, fs_size(f));
    for (uint32_t i = 0; i < fb->log_len; i++)
        if (fb->log[i].buf == buf)
            blocks += fb->log[i].count;
    uint32_t *lbas = malloc((blocks + 1) * sizeof *lbas);
    const struct fake_read *prev = NULL;
    for (uint32_t i = 0; i < fb->log_len; i++) {
        const struct fake_read *rd = &fb->log[i];
        if (rd->buf != buf)
            continue;
        CHECK(rd->count <= limit);
        for (uint32_t k = 0; k < rd->count; k++)
            lbas[n++] = rd->lba + k;
        if (prev && prev->lba + prev->count == rd->lba && prev->count < limit) {
            printf("  reads at %u+%u and %u could have been one\n", prev->lba, prev->count,
                   rd->lba);
            CHECK(0);
        }
        prev = rd;
    }
    qsort(lbas, n, sizeof *lbas, cmp_u32);
    for (uint32_t i = 1; i < n; i++)
        if (lbas[i] == lbas[i - 1]) {
            printf("  block %u read twice in one pass\n", lbas[i]);
            CHECK(0);
            break;
        }
    if (r == SB_OK)
        CHECK_EQ(n, (fs_size(f) + fb->dev.block_size - 1) / fb->dev.block_size);
    *runs = 0;
    for (uint32_t i = 0; i < fb->log_len; i++)
        *runs += fb->log[i].buf == buf;
    free(lbas);
    free(buf);
    return r;
}

/* Every manifest line, with several device limits and caller buffers. */
static void test_manifest_images(void)
{
    static const uint32_t combos[][2] = {{128, 64}, {1, 1}, {7, 16}, {256, 3}}; /* max, buf */
    char line[512];
    int lines = 0;
    FILE *m = fopen(DIR "manifest.txt", "r");
    CHECK(m != NULL);
    if (!m)
        return;
    while (fgets(line, sizeof line, m)) {
        char img[128], want_name[128], mcopy_name[128], path[300];
        unsigned bs;
        int expect;
        size_t want_len = 0, mcopy_len = 0;
        if (sscanf(line, "%127s %u %d %127s %127s", img, &bs, &expect, want_name, mcopy_name) != 5)
            continue;
        lines++;
        snprintf(path, sizeof path, DIR "%s", want_name);
        uint8_t *want = strcmp(want_name, "-") ? slurp(path, &want_len) : NULL;
        snprintf(path, sizeof path, DIR "%s", mcopy_name);
        uint8_t *mcopy = strcmp(mcopy_name, "-") ? slurp(path, &mcopy_len) : NULL;
        for (unsigned c = 0; c < sizeof combos / sizeof combos[0]; c++) {
            struct fake_blockdev fb;
            struct fs_file f;
            uint32_t runs1 = 0, runs2 = 0, buf_size = combos[c][1] * bs;
            int before = harness_failed_checks;
            if (open_image(&fb, img, bs, combos[c][0])) {
                CHECK(0);
                continue;
            }
            int r = fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f);
            CHECK_EQ(r, expect);
            if (r == SB_OK && expect == SB_OK) {
                uint8_t *out = calloc(1, fs_size(&f) + 1);
                CHECK(want != NULL);
                CHECK_EQ(fs_size(&f), want_len);
                CHECK_EQ(read_pass(&f, &fb, buf_size, out, &runs1), SB_OK);
                CHECK(want && want_len == fs_size(&f) && !memcmp(out, want, want_len));
                if (mcopy)
                    CHECK(mcopy_len == fs_size(&f) && !memcmp(out, mcopy, mcopy_len));
                memset(out, 0, fs_size(&f));
                fs_rewind(&f);
                CHECK_EQ(read_pass(&f, &fb, buf_size, out, &runs2), SB_OK);
                CHECK(want && want_len == fs_size(&f) && !memcmp(out, want, want_len));
                CHECK_EQ(runs1, runs2);
                /* The fragmented images really are fragmented. */
                uint32_t limit = combos[c][0] < combos[c][1] ? combos[c][0] : combos[c][1];
                uint32_t minimal = (fs_size(&f) / bs + 1 + limit - 1) / limit;
                if (strstr(img, "frag") && limit > 1)
                    CHECK(runs1 > minimal + 10);
                free(out);
            }
            CHECK_EQ(fb.contract_errors, 0);
            if (harness_failed_checks != before)
                printf("  ^ %s, block %u, max_blocks %u, buffer %u\n", img, bs, combos[c][0],
                       buf_size);
            fake_blockdev_close(&fb);
        }
        free(want);
        free(mcopy);
    }
    fclose(m);
    CHECK(lines >= 40);
}

/* A contiguous file is read in exactly ceil(blocks / limit) device reads. */
static void test_contiguous_reads_merged(void)
{
    static const char *images[] = {"exfat-c4k.img", "fat32-s8.img", "fat16-S4096.img"};
    for (unsigned i = 0; i < 3; i++) {
        struct fake_blockdev fb;
        struct fs_file f;
        uint32_t runs;
        if (open_image(&fb, images[i], 512, 100)) {
            CHECK(0);
            continue;
        }
        CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_OK);
        uint8_t *out = malloc(fs_size(&f) + 1);
        CHECK_EQ(read_pass(&f, &fb, 256 * 512, out, &runs), SB_OK);
        CHECK_EQ(runs, ((fs_size(&f) + 511) / 512 + 99) / 100);
        free(out);
        fake_blockdev_close(&fb);
    }
}

static void test_case_insensitive_and_max_size(void)
{
    static const char *images[] = {"fat16-s4.img", "exfat-c4k.img", "fat12-s1.img"};
    for (unsigned i = 0; i < 3; i++) {
        struct fake_blockdev fb;
        struct fs_file f;
        if (open_image(&fb, images[i], 512, 64)) {
            CHECK(0);
            continue;
        }
        CHECK_EQ(fs_open(&fb.dev, "image.bin", MAX_SIZE, &f), SB_OK);
        uint32_t size = fs_size(&f);
        CHECK_EQ(size, 300001);
        fake_blockdev_clear_log(&fb);
        CHECK_EQ(fs_open(&fb.dev, "Image.Bin", size, &f), SB_OK);
        uint32_t calls_ok = fb.calls;
        fake_blockdev_clear_log(&fb);
        CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", size - 1, &f), SB_ERR_TOO_BIG);
        CHECK_EQ(fb.calls, calls_ok); /* refused before any data read */
        CHECK_EQ(fs_open(&fb.dev, "IMAGE.BI", MAX_SIZE, &f), SB_ERR_NO_FILE);
        CHECK_EQ(fs_open(&fb.dev, "IMAGE.BINX", MAX_SIZE, &f), SB_ERR_NO_FILE);
        fake_blockdev_close(&fb);
    }
}

/* --- corruptions laid over real images --- */

static uint32_t get_fat(struct fake_blockdev *fb, const struct fs_file *f, uint32_t c)
{
    uint8_t b[4] = {0};
    uint64_t bit = (uint64_t)c * f->fat_bits;
    fake_blockdev_peek(fb, ((uint64_t)f->fat_lba << f->block_shift) + bit / 8, b,
                       (f->fat_bits + 4) / 8);
    uint32_t v = (uint32_t)b[0] | b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return (v >> (bit & 7)) & f->fat_mask;
}

static void set_fat(struct fake_blockdev *fb, const struct fs_file *f, uint32_t c, uint32_t v)
{
    uint8_t b[4] = {0};
    uint64_t bit = (uint64_t)c * f->fat_bits,
             off = ((uint64_t)f->fat_lba << f->block_shift) + bit / 8;
    uint32_t n = (f->fat_bits + 4) / 8, old;
    fake_blockdev_peek(fb, off, b, n);
    old = (uint32_t)b[0] | b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    old = (old & ~(f->fat_mask << (bit & 7))) | (v & f->fat_mask) << (bit & 7);
    for (uint32_t i = 0; i < n; i++)
        b[i] = (uint8_t)(old >> (8 * i));
    fake_blockdev_patch(fb, off, b, n);
}

/* Reads the whole file; returns the first error or SB_OK. */
static int read_all(struct fs_file *f)
{
    static uint8_t buf[64 * 1024];
    uint32_t got, total = 0;
    int r;
    while ((r = fs_read(f, buf, sizeof buf, &got)) == SB_OK && got) {
        total += got;
        if (total > fs_size(f))
            return -1;
    }
    return r;
}

enum chain_damage { LOOP_TO_SELF, LOOP_AT_END, OUT_OF_RANGE, FREE_ENTRY, ENDS_EARLY, TOO_LONG };

/* Opens img, damages IMAGE.BIN's chain, reopens and reads: the damage must be reported. */
static int damaged_chain(const char *img, enum chain_damage how)
{
    struct fake_blockdev fb;
    struct fs_file f;
    int r;
    if (open_image(&fb, img, 512, 64))
        return -1;
    if ((r = fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f)) != SB_OK)
        goto out;
    uint32_t first = f.first_cluster, last = first, n = 1;
    while (get_fat(&fb, &f, last) < f.fat_mask - 7 && n++ < f.max_cluster)
        last = get_fat(&fb, &f, last);
    switch (how) {
    case LOOP_TO_SELF:
        set_fat(&fb, &f, first, first);
        break;
    case LOOP_AT_END:
        set_fat(&fb, &f, last, first);
        break;
    case OUT_OF_RANGE:
        set_fat(&fb, &f, first, f.max_cluster + 1);
        break;
    case FREE_ENTRY:
        set_fat(&fb, &f, first, 0);
        break;
    case ENDS_EARLY: /* the size is larger than the chain */
        set_fat(&fb, &f, first, f.fat_mask);
        break;
    case TOO_LONG: /* the chain goes on past the size: a free cluster appended */
        set_fat(&fb, &f, last, f.max_cluster);
        set_fat(&fb, &f, f.max_cluster, f.fat_mask);
        break;
    }
    r = fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f);
    if (r == SB_OK)
        r = read_all(&f);
    CHECK_EQ(fb.contract_errors, 0);
out:
    fake_blockdev_close(&fb);
    return r;
}

static void test_chain_damage(void)
{
    static const char *images[] = {"fat12-s1.img",   "fat16-s4.img",   "fat32-s1.img",
                                   "exfat-c512.img", "exfat-frag.img", "fat16-frag.img"};
    for (unsigned i = 0; i < sizeof images / sizeof images[0]; i++) {
        for (int how = LOOP_TO_SELF; how <= TOO_LONG; how++) {
            int r = damaged_chain(images[i], how);
            if (r != SB_ERR_FS_CORRUPT)
                printf("  %s damage %d: status %d\n", images[i], how, r);
            CHECK_EQ(r, SB_ERR_FS_CORRUPT);
        }
    }
}

/* One BPB field set to zero: the volume is not accepted. */
static int patched_open(const char *img, uint32_t bs, uint64_t off, const void *bytes, uint32_t len)
{
    struct fake_blockdev fb;
    struct fs_file f;
    if (open_image(&fb, img, bs, 64))
        return -1;
    fake_blockdev_patch(&fb, off, bytes, len);
    int r = fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f);
    if (r == SB_OK)
        r = read_all(&f);
    CHECK_EQ(fb.contract_errors, 0);
    fake_blockdev_close(&fb);
    return r;
}

static void test_zero_bpb_fields(void)
{
    static const uint8_t zero[8];
    static const struct {
        const char *img;
        uint32_t off, len;
    } fields[] = {
        {"fat16-s4.img", 11, 2},   /* bytes per sector */
        {"fat16-s4.img", 13, 1},   /* sectors per cluster */
        {"fat16-s4.img", 14, 2},   /* reserved sectors */
        {"fat16-s4.img", 16, 1},   /* number of FATs */
        {"fat16-s4.img", 22, 2},   /* FAT size */
        {"fat12-s1.img", 19, 2},   /* total sectors (16-bit; the 32-bit one is 0 already) */
        {"fat32-s1.img", 36, 4},   /* FAT32 FAT size */
        {"fat32-s1.img", 32, 4},   /* FAT32 total sectors */
        {"fat32-s1.img", 44, 4},   /* FAT32 root cluster */
        {"exfat-c4k.img", 108, 1}, /* BytesPerSectorShift */
        {"exfat-c4k.img", 84, 4},  /* FatLength */
        {"exfat-c4k.img", 88, 4},  /* ClusterHeapOffset */
        {"exfat-c4k.img", 72, 8},  /* VolumeLength */
        {"exfat-c4k.img", 96, 4},  /* FirstClusterOfRootDirectory */
    };
    static const uint8_t odd[] = {0x00, 0x03}; /* 768 bytes per sector: not a power of two */
    for (unsigned i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        int r = patched_open(fields[i].img, 512, fields[i].off, zero, fields[i].len);
        if (r != SB_ERR_NO_FS)
            printf("  %s offset %u zeroed: status %d\n", fields[i].img, fields[i].off, r);
        CHECK_EQ(r, SB_ERR_NO_FS);
    }
    CHECK_EQ(patched_open("fat16-s4.img", 512, 11, odd, 2), SB_ERR_NO_FS);
    /* The same zeroed field in a partitioned disk: that volume is skipped. */
    CHECK_EQ(patched_open("mbr-fat32-p1.img", 512, (2048 * 512) + 13, zero, 1), SB_ERR_NO_FS);
    /* A partition entry pointing past the end of the disk is ignored. */
    static const uint8_t huge[4] = {0xff, 0xff, 0xff, 0x00};
    CHECK_EQ(patched_open("mbr-fat32-p1.img", 512, 446 + 12, huge, 4), SB_ERR_NO_FS);
    /* GPT: a bad header signature, a bad entry size. */
    CHECK_EQ(patched_open("gpt-esp-fat32.img", 512, 512, zero, 1), SB_ERR_NO_FS);
    static const uint8_t size_100[4] = {100};
    CHECK_EQ(patched_open("gpt-esp-fat32.img", 512, 512 + 84, size_100, 4), SB_ERR_NO_FS);
}

/* BPB fields whose sums and products leave 32 bits: refused, not wrapped into something that
 * looks valid (fs.c checks the volume's layout in 32 bits). */
static void test_bpb_fields_past_32_bits(void)
{
    /* exFAT VolumeLength 2^32 more than the real one. */
    static const uint8_t one[4] = {1};
    CHECK_EQ(patched_open("exfat-c4k.img", 512, 76, one, 4), SB_ERR_NO_FS);
    /* exFAT FatOffset 1, FatLength 2^32 - 1: the FAT's end wraps to block 0. */
    static const uint8_t fat_wraps[8] = {1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF};
    CHECK_EQ(patched_open("exfat-c4k.img", 512, 80, fat_wraps, 8), SB_ERR_NO_FS);
    /* FAT32 with two FATs of 2^31 + 1 sectors: their sum wraps to 2. */
    static const uint8_t half[4] = {1, 0, 0, 0x80};
    CHECK_EQ(patched_open("fat32-s1.img", 512, 36, half, 4), SB_ERR_NO_FS);
    /* exFAT ClusterCount 2^32 - 16 at 8 sectors per cluster. */
    static const uint8_t many[4] = {0xF0, 0xFF, 0xFF, 0xFF};
    CHECK_EQ(patched_open("exfat-c4k.img", 512, 92, many, 4), SB_ERR_NO_FS);
}

/* Finds the 32-byte entry starting with type whose bytes at name_off spell name (ASCII or
 * UTF-16), scanning the first MB of a volume. Returns its byte offset or 0. */
static uint64_t find_entry(struct fake_blockdev *fb, uint8_t type, const char *name, int utf16,
                           uint32_t name_off, uint64_t from, uint64_t bytes)
{
    uint8_t e[32];
    for (uint64_t off = from; off < from + bytes; off += 32) {
        if (fake_blockdev_peek(fb, off, e, 32))
            break;
        if (e[0] != type)
            continue;
        size_t i;
        for (i = 0; name[i]; i++)
            if (e[name_off + (utf16 ? 2 * i : i)] != (uint8_t)name[i])
                break;
        if (!name[i])
            return off;
    }
    return 0;
}

static uint16_t exfat_set_checksum(const uint8_t *set, unsigned len)
{
    uint16_t sum = 0;
    for (unsigned i = 0; i < len; i++)
        if (i != 2 && i != 3)
            sum = (uint16_t)(((sum & 1) << 15) + (sum >> 1) + set[i]);
    return sum;
}

/* Rewrites IMAGE.BIN's exFAT entry set through edit() (checksum fixed up unless keep_sum). */
static int exfat_edit(const char *img, void (*edit)(uint8_t *set, const struct fs_file *f),
                      int keep_sum)
{
    struct fake_blockdev fb;
    struct fs_file f;
    uint8_t set[96];
    int r;
    if (open_image(&fb, img, 512, 64))
        return -1;
    CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_OK);
    uint64_t name = find_entry(&fb, 0xC1, "IMAGE.BIN", 1, 2, (uint64_t)f.heap_lba * 512, 4 << 20);
    CHECK(name != 0);
    fake_blockdev_peek(&fb, name - 64, set, sizeof set);
    CHECK_EQ(set[0], 0x85);
    CHECK_EQ(set[32], 0xC0);
    uint16_t sum = exfat_set_checksum(set, sizeof set);
    CHECK_EQ(set[2] | set[3] << 8, sum);
    edit(set, &f);
    if (!keep_sum) {
        sum = exfat_set_checksum(set, sizeof set);
        set[2] = (uint8_t)sum;
        set[3] = (uint8_t)(sum >> 8);
    }
    fake_blockdev_patch(&fb, name - 64, set, sizeof set);
    r = fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f);
    if (r == SB_OK)
        r = read_all(&f);
    CHECK_EQ(fb.contract_errors, 0);
    fake_blockdev_close(&fb);
    return r;
}

static void flip_name_byte(uint8_t *set, const struct fs_file *f)
{
    (void)f;
    set[64 + 2 + 2 * 8] ^= 0x01; /* 'N' -> 'O', checksum left stale */
}
static void flip_checksum(uint8_t *set, const struct fs_file *f)
{
    (void)f;
    set[2] ^= 0x40;
}
static void no_change(uint8_t *set, const struct fs_file *f)
{
    (void)set;
    (void)f;
}
static void contiguous_past_end(uint8_t *set, const struct fs_file *f)
{
    uint32_t first = f->max_cluster - 2; /* NoFatChain run would pass the last cluster */
    set[33] |= 2;
    memcpy(set + 32 + 20, &first, 4);
}
static void first_out_of_range(uint8_t *set, const struct fs_file *f)
{
    uint32_t first = f->max_cluster + 1;
    memcpy(set + 32 + 20, &first, 4);
}
static void huge_length(uint8_t *set, const struct fs_file *f)
{
    (void)f;
    set[32 + 24 + 4] = 1; /* DataLength and ValidDataLength above 4 GB */
    set[32 + 8 + 4] = 1;
}
static void valid_short(uint8_t *set, const struct fs_file *f)
{
    (void)f;
    set[32 + 8] ^= 0x10; /* ValidDataLength != DataLength */
}
static void is_directory(uint8_t *set, const struct fs_file *f)
{
    (void)f;
    set[4] |= 0x10;
}
static void name_length_short(uint8_t *set, const struct fs_file *f)
{
    (void)f;
    set[32 + 3] = 8; /* "IMAGE.BI" */
}

static void test_exfat_entry_sets(void)
{
    CHECK_EQ(exfat_edit("exfat-c4k.img", no_change, 0), SB_OK);
    CHECK_EQ(exfat_edit("exfat-c4k.img", flip_name_byte, 1), SB_ERR_NO_FILE);
    CHECK_EQ(exfat_edit("exfat-c4k.img", flip_checksum, 1), SB_ERR_NO_FILE);
    CHECK_EQ(exfat_edit("exfat-c4k.img", contiguous_past_end, 0), SB_ERR_FS_CORRUPT);
    CHECK_EQ(exfat_edit("exfat-c4k.img", first_out_of_range, 0), SB_ERR_FS_CORRUPT);
    CHECK_EQ(exfat_edit("exfat-c4k.img", huge_length, 0), SB_ERR_TOO_BIG);
    CHECK_EQ(exfat_edit("exfat-c4k.img", valid_short, 0), SB_ERR_FS_CORRUPT);
    CHECK_EQ(exfat_edit("exfat-c4k.img", is_directory, 0), SB_ERR_NO_FILE);
    CHECK_EQ(exfat_edit("exfat-c4k.img", name_length_short, 0), SB_ERR_NO_FILE);
}

/* Root directories without an end marker. */
static void test_directory_without_end(void)
{
    struct fake_blockdev fb;
    struct fs_file f;
    /* FAT32 / exFAT: the root cluster chained to itself, full of deleted entries. */
    static const char *chained[] = {"fat32-s1.img", "exfat-c512.img"};
    for (unsigned i = 0; i < 2; i++) {
        if (open_image(&fb, chained[i], 512, 64)) {
            CHECK(0);
            continue;
        }
        CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_OK);
        uint8_t boot[512];
        fake_blockdev_peek(&fb, 0, boot, sizeof boot);
        uint32_t root;
        memcpy(&root, boot + (f.exfat ? 96 : 44), 4);
        uint32_t cluster_bytes = 512u << f.cluster_shift;
        uint8_t *junk = malloc(cluster_bytes);
        for (uint32_t k = 0; k < cluster_bytes; k += 32) {
            memset(junk + k, 'A', 32);
            junk[k] = f.exfat ? 0x05 : 0xE5;
        }
        fake_blockdev_patch(&fb, ((uint64_t)f.heap_lba + ((root - 2) << f.cluster_shift)) * 512,
                            junk, cluster_bytes);
        set_fat(&fb, &f, root, root);
        fake_blockdev_clear_log(&fb);
        CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_ERR_FS_CORRUPT);
        /* Found as a loop at the first step (Brent), not after the 2 MB directory limit
         * (8,192 reads before issue 15). */
        CHECK(fb.calls < 16);
        if (fb.calls >= 16)
            printf("  %s: %u reads for a root directory chained to itself\n", chained[i], fb.calls);
        CHECK_EQ(fb.contract_errors, 0);
        free(junk);
        fake_blockdev_close(&fb);
    }
    /* FAT16: a full fixed root directory ends without a marker: simply not found. */
    if (open_image(&fb, "fat16-s4.img", 512, 64) == 0) {
        CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_OK);
        uint32_t bytes = (f.heap_lba - f.root_lba) * 512;
        uint8_t *junk = malloc(bytes);
        for (uint32_t k = 0; k < bytes; k += 32) {
            memset(junk + k, 'A', 32);
            junk[k] = 0xE5;
        }
        fake_blockdev_patch(&fb, (uint64_t)f.root_lba * 512, junk, bytes);
        CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_ERR_NO_FILE);
        free(junk);
        fake_blockdev_close(&fb);
    }
}

/* FAT directory entries: attributes decide what is a file. */
static void test_fat_entry_kinds(void)
{
    struct fake_blockdev fb;
    struct fs_file f;
    if (open_image(&fb, "fat16-s4.img", 512, 64)) {
        CHECK(0);
        return;
    }
    CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_OK);
    uint64_t entry = find_entry(&fb, 'I', "IMAGE   BIN", 0, 0, (uint64_t)f.root_lba * 512, 16384);
    CHECK(entry != 0);
    static const uint8_t kinds[] = {0x0F, 0x08, 0x10, 0x18};
    for (unsigned i = 0; i < sizeof kinds; i++) {
        fake_blockdev_patch(&fb, entry + 11, &kinds[i], 1);
        CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_ERR_NO_FILE);
    }
    static const uint8_t archive_readonly = 0x21, deleted = 0xE5, end = 0x00;
    fake_blockdev_patch(&fb, entry + 11, &archive_readonly, 1);
    CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_OK);
    fake_blockdev_patch(&fb, entry, &deleted, 1);
    CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_ERR_NO_FILE);
    /* A size of zero with no cluster: an empty file; a size with cluster 0: corrupt. */
    fake_blockdev_patch(&fb, entry, "I", 1);
    static const uint8_t zero4[4];
    fake_blockdev_patch(&fb, entry + 26, zero4, 2);
    CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_ERR_FS_CORRUPT);
    fake_blockdev_patch(&fb, entry + 28, zero4, 4);
    CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_OK);
    CHECK_EQ(fs_size(&f), 0);
    uint32_t got = 1;
    uint8_t buf[512];
    CHECK_EQ(fs_read(&f, buf, sizeof buf, &got), SB_OK);
    CHECK_EQ(got, 0);
    /* A 0x00 entry ends the directory: nothing after it is seen. */
    fake_blockdev_patch(&fb, entry, &end, 1);
    CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_ERR_NO_FILE);
    fake_blockdev_close(&fb);
}

/* A long root directory without the file: 64 clusters of deleted entries, chained through
 * free clusters near the end of the volume, offset blocks into the device. */
static void long_root(struct fake_blockdev *fb, const struct fs_file *f, uint32_t root)
{
    uint32_t cluster_bytes = 512u << f->cluster_shift, c = root;
    uint8_t *junk = malloc(cluster_bytes);
    for (uint32_t k = 0; k < cluster_bytes; k += 32) {
        memset(junk + k, 'A', 32);
        junk[k] = 0xE5;
    }
    for (uint32_t i = 0; i < 64; i++) {
        fake_blockdev_patch(fb, ((uint64_t)f->heap_lba + ((c - 2) << f->cluster_shift)) * 512, junk,
                            cluster_bytes);
        uint32_t next = i == 63 ? 0x0FFFFFFFu : f->max_cluster - 200 + 2 * i; /* not adjacent */
        set_fat(fb, f, c, next);
        c = next;
    }
    free(junk);
}

/* Walking a directory's chain must find its FAT block cached: the FAT is read once per
 * block it spans, not once per directory block (issue 15). */
static void test_fat_cache_survives_directory_reads(void)
{
    struct fake_blockdev fb;
    struct fs_file f;
    if (open_image(&fb, "fat32-s1.img", 512, 64)) {
        CHECK(0);
        return;
    }
    CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_OK);
    uint8_t boot[512];
    fake_blockdev_peek(&fb, 0, boot, sizeof boot);
    uint32_t root;
    memcpy(&root, boot + 44, 4);
    long_root(&fb, &f, root);
    fb.logging = 1;
    fake_blockdev_clear_log(&fb);
    CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_ERR_NO_FILE);
    uint32_t fat_reads = 0;
    for (uint32_t i = 0; i < fb.log_len; i++)
        fat_reads += fb.log[i].lba >= f.fat_lba && fb.log[i].lba < f.heap_lba;
    /* The chain touches two FAT blocks (the root's, and the one near the end); 64 before. */
    CHECK(fat_reads <= 3);
    CHECK(fb.calls <= 64 + 8);
    if (fat_reads > 3)
        printf("  %u FAT reads for a 64-cluster root directory\n", fat_reads);
    fake_blockdev_close(&fb);
}

/* 128 GPT entries, all naming the same FAT32 volume: it is scanned once (issue 15). */
static void test_gpt_duplicate_volumes(void)
{
    size_t vol_bytes;
    uint8_t *vol = slurp(DIR "fat32-s1.img", &vol_bytes);
    if (!vol) {
        CHECK(0);
        return;
    }
    const uint32_t start = 2048;
    size_t bytes = (size_t)start * 512 + vol_bytes + 512;
    uint8_t *disk = calloc(1, bytes);
    memcpy(disk + (size_t)start * 512, vol, vol_bytes);
    disk[446 + 4] = 0xEE;
    disk[510] = 0x55;
    disk[511] = 0xAA;
    uint8_t *h = disk + 512;
    memcpy(h, "EFI PART", 8);
    h[12] = 92;
    h[72] = 2;   /* entry array at LBA 2 */
    h[80] = 128; /* entries */
    h[84] = 128; /* entry size */
    static const uint8_t basic_data[16] = {0xA2, 0xA0, 0xD0, 0xEB, 0xE5, 0xB9, 0x33, 0x44,
                                           0x87, 0xC0, 0x68, 0xB6, 0xB7, 0x26, 0x99, 0xC7};
    uint64_t last = start + vol_bytes / 512 - 1;
    for (unsigned i = 0; i < 128; i++) {
        uint8_t *e = disk + 1024 + 128 * i;
        memcpy(e, basic_data, 16);
        memcpy(e + 32, &(uint64_t){start}, 8);
        memcpy(e + 40, &last, 8);
    }
    struct fake_blockdev fb;
    struct fs_file f;
    fake_blockdev_init_mem(&fb, disk, bytes, 512, 64);
    CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_OK);
    uint32_t root;
    memcpy(&root, vol + 44, 4);
    long_root(&fb, &f, root);
    fake_blockdev_clear_log(&fb);
    fb.calls = 0;
    CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_ERR_NO_FILE);
    /* One scan: MBR, header, 32 blocks of entries, boot sector, 64 directory clusters, 2 FAT
     * blocks: 103 reads (128 scans, 16,642 reads before). */
    CHECK(fb.calls <= 104);
    if (fb.calls > 104)
        printf("  %u reads for 128 GPT entries naming one volume\n", fb.calls);
    fake_blockdev_close(&fb);
    free(disk);
    free(vol);
}

static void test_read_errors(void)
{
    struct fake_blockdev fb;
    struct fs_file f;
    uint8_t buf[4096];
    uint32_t got;
    if (open_image(&fb, "mbr-fat32-p1.img", 512, 8)) {
        CHECK(0);
        return;
    }
    fb.fail_lba = 0;
    CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_ERR_MEDIUM);
    fb.fail_lba = 2048;
    CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_ERR_MEDIUM);
    fb.fail_lba = UINT32_MAX;
    CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_OK);
    CHECK_EQ(fs_read(&f, buf, sizeof buf, &got), SB_OK);
    fb.fail_lba = f.heap_lba + ((f.first_cluster - 2) << f.cluster_shift) + 8;
    CHECK_EQ(fs_read(&f, buf, sizeof buf, &got), SB_ERR_MEDIUM);
    fb.fail_lba = UINT32_MAX;
    CHECK_EQ(fs_read(&f, buf, sizeof buf, &got), SB_OK); /* the failed chunk again */
    CHECK_EQ(got, sizeof buf);
    CHECK(fs_read(&f, buf, 100, &got) != SB_OK); /* smaller than a block: not "end of file" */
    /* Device geometry the fs cannot use. */
    fb.dev.block_size = 768;
    CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_ERR_MEDIUM);
    fb.dev.block_size = 512;
    fb.dev.max_blocks = 0;
    CHECK_EQ(fs_open(&fb.dev, "IMAGE.BIN", MAX_SIZE, &f), SB_ERR_MEDIUM);
    fake_blockdev_close(&fb);
}

int main(void)
{
    RUN_TEST(test_manifest_images);
    RUN_TEST(test_contiguous_reads_merged);
    RUN_TEST(test_case_insensitive_and_max_size);
    RUN_TEST(test_chain_damage);
    RUN_TEST(test_zero_bpb_fields);
    RUN_TEST(test_bpb_fields_past_32_bits);
    RUN_TEST(test_exfat_entry_sets);
    RUN_TEST(test_directory_without_end);
    RUN_TEST(test_fat_entry_kinds);
    RUN_TEST(test_read_errors);
    RUN_TEST(test_fat_cache_survives_directory_reads);
    RUN_TEST(test_gpt_duplicate_volumes);
    return HARNESS_EXIT();
}
