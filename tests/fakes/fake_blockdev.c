/* See fake_blockdev.h. */
#include "fake_blockdev.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fake_blockdev_peek(struct fake_blockdev *fb, uint64_t offset, void *buf, size_t len)
{
    uint8_t *out = buf;
    if (offset > fb->bytes || len > fb->bytes - offset)
        return -1;
    if (fb->fd >= 0) {
        if (pread(fb->fd, out, len, (off_t)offset) != (ssize_t)len)
            return -1;
    } else {
        memcpy(out, fb->mem + offset, len);
    }
    for (unsigned i = 0; i < fb->patch_count; i++) {
        const struct fake_patch *p = &fb->patches[i];
        uint64_t from = p->offset > offset ? p->offset : offset;
        uint64_t to = p->offset + p->len < offset + len ? p->offset + p->len : offset + len;
        if (from < to)
            memcpy(out + (from - offset), p->data + (from - p->offset), (size_t)(to - from));
    }
    return 0;
}

static int fake_read(const struct blockdev *dev, uint32_t lba, uint32_t count, void *buf)
{
    struct fake_blockdev *fb = (struct fake_blockdev *)dev;
    fb->calls++;
    if (fb->logging) {
        if (fb->log_len == fb->log_cap) {
            fb->log_cap = fb->log_cap ? fb->log_cap * 2 : 256;
            fb->log = realloc(fb->log, fb->log_cap * sizeof *fb->log);
            if (!fb->log)
                abort();
        }
        fb->log[fb->log_len++] = (struct fake_read){lba, count, buf};
    }
    if (!count || count > dev->max_blocks || lba >= dev->block_count ||
        count > dev->block_count - lba) {
        fb->contract_errors++;
        return -1;
    }
    if (fb->fail_lba - lba < count)
        return -1;
    return fake_blockdev_peek(fb, (uint64_t)lba * dev->block_size, buf,
                              (size_t)count * dev->block_size);
}

static void init_common(struct fake_blockdev *fb, uint64_t bytes, uint32_t block_size,
                        uint32_t max_blocks)
{
    fb->bytes = bytes;
    fb->dev.block_size = block_size;
    fb->dev.block_count = (uint32_t)(bytes / block_size);
    fb->dev.max_blocks = max_blocks;
    fb->dev.read = fake_read;
    fb->fail_lba = UINT32_MAX;
}

int fake_blockdev_open(struct fake_blockdev *fb, const char *path, uint32_t block_size,
                       uint32_t max_blocks)
{
    struct stat st;
    memset(fb, 0, sizeof *fb);
    fb->fd = open(path, O_RDONLY);
    if (fb->fd < 0 || fstat(fb->fd, &st)) {
        if (fb->fd >= 0)
            close(fb->fd);
        fb->fd = -1;
        return -1;
    }
    init_common(fb, (uint64_t)st.st_size, block_size, max_blocks);
    return 0;
}

void fake_blockdev_init_mem(struct fake_blockdev *fb, const void *data, size_t bytes,
                            uint32_t block_size, uint32_t max_blocks)
{
    memset(fb, 0, sizeof *fb);
    fb->fd = -1;
    fb->mem = data;
    init_common(fb, bytes, block_size, max_blocks);
}

void fake_blockdev_patch(struct fake_blockdev *fb, uint64_t offset, const void *data, uint32_t len)
{
    fb->patches = realloc(fb->patches, (fb->patch_count + 1) * sizeof *fb->patches);
    uint8_t *copy = malloc(len ? len : 1);
    if (!fb->patches || !copy)
        abort();
    memcpy(copy, data, len);
    fb->patches[fb->patch_count++] = (struct fake_patch){offset, len, copy};
}

void fake_blockdev_clear_log(struct fake_blockdev *fb)
{
    fb->log_len = 0;
    fb->calls = 0;
}

void fake_blockdev_close(struct fake_blockdev *fb)
{
    if (fb->fd >= 0)
        close(fb->fd);
    for (unsigned i = 0; i < fb->patch_count; i++)
        free(fb->patches[i].data);
    free(fb->patches);
    free(fb->log);
    memset(fb, 0, sizeof *fb);
    fb->fd = -1;
}
