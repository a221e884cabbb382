/* SCSI commands of a USB stick (SPC/SBC subset): INQUIRY, TEST UNIT READY, REQUEST SENSE,
 * READ CAPACITY(10), READ(10), WRITE(10), SYNCHRONIZE CACHE(10), MODE SENSE(6). Everything else is
 * ILLEGAL REQUEST. */
#include "scsi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    OP_TEST_UNIT_READY = 0x00,
    OP_REQUEST_SENSE = 0x03,
    OP_INQUIRY = 0x12,
    OP_MODE_SENSE6 = 0x1A,
    OP_READ_CAPACITY10 = 0x25,
    OP_READ10 = 0x28,
    OP_WRITE10 = 0x2A,
    OP_SYNC_CACHE10 = 0x35,
};

const char *scsi_opcode_name(uint8_t opcode)
{
    switch (opcode) {
    case OP_TEST_UNIT_READY:
        return "TEST_UNIT_READY";
    case OP_REQUEST_SENSE:
        return "REQUEST_SENSE";
    case OP_INQUIRY:
        return "INQUIRY";
    case OP_MODE_SENSE6:
        return "MODE_SENSE(6)";
    case OP_READ_CAPACITY10:
        return "READ_CAPACITY(10)";
    case OP_READ10:
        return "READ(10)";
    case OP_WRITE10:
        return "WRITE(10)";
    case OP_SYNC_CACHE10:
        return "SYNCHRONIZE_CACHE(10)";
    default:
        return "unsupported";
    }
}

static void set_sense(struct scsi_lun *lun, uint8_t key, uint8_t asc, uint8_t ascq)
{
    lun->sense_key = key;
    lun->asc = asc;
    lun->ascq = ascq;
}

static void fail(struct scsi_lun *lun, struct scsi_reply *r, uint8_t key, uint8_t asc, uint8_t ascq)
{
    set_sense(lun, key, asc, ascq);
    r->status = SCSI_CHECK_CONDITION;
    r->data_len = 0;
    r->from_medium = 0;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* Media-access commands need a medium that has become ready. */
static int medium_ready(struct scsi_lun *lun, struct scsi_reply *r, int is_tur, uint64_t now)
{
    if (lun->kind == SCSI_LUN_EMPTY || lun->blocks == 0) {
        fail(lun, r, 0x02, 0x3A, 0x00); /* MEDIUM NOT PRESENT */
        return 0;
    }
    /* Readiness by count and by time: a host that polls faster does not get ready sooner. */
    if (lun->not_ready_left > 0 || now < lun->ready_at_ns) {
        if (is_tur && lun->not_ready_left > 0)
            lun->not_ready_left--;
        fail(lun, r, 0x02, 0x04, 0x01); /* BECOMING READY */
        return 0;
    }
    return 1;
}

void scsi_command(struct scsi_lun *lun, const struct scsi_quirks *quirks, const uint8_t cdb[16],
                  uint64_t now, struct scsi_reply *r)
{
    memset(r, 0, sizeof(*r));
    uint8_t op = cdb[0];

    /* A pending unit attention is reported to any command but INQUIRY and REQUEST SENSE. */
    if (lun->unit_attention && op != OP_INQUIRY && op != OP_REQUEST_SENSE) {
        lun->unit_attention = 0;
        fail(lun, r, 0x06, 0x28, 0x00);
        return;
    }

    switch (op) {
    case OP_TEST_UNIT_READY:
        if (!medium_ready(lun, r, 1, now))
            return;
        break;

    case OP_REQUEST_SENSE: {
        uint8_t *d = r->data;
        memset(d, 0, 18);
        d[0] = 0x70; /* current error, fixed format */
        if (lun->unit_attention) {
            lun->unit_attention = 0;
            set_sense(lun, 0x06, 0x28, 0x00);
        }
        d[2] = lun->sense_key;
        d[7] = 10; /* additional sense length */
        d[12] = lun->asc;
        d[13] = lun->ascq;
        r->data_len = min_u32(18, cdb[4]);
        set_sense(lun, 0, 0, 0); /* reported: cleared */
        return;
    }

    case OP_INQUIRY: {
        uint32_t alloc = (uint32_t)cdb[3] << 8 | cdb[4];
        if ((cdb[1] & 0x01) || cdb[2] != 0) { /* EVPD pages are not supported */
            fail(lun, r, 0x05, 0x24, 0x00);
            return;
        }
        if (quirks->inquiry_needs_36 && alloc != 36) {
            fail(lun, r, 0x05, 0x24, 0x00);
            r->stall_data = 1;
            return;
        }
        uint8_t *d = r->data;
        memset(d, ' ', 36);
        d[0] = lun->kind == SCSI_LUN_CDROM ? 0x05 : 0x00;
        d[1] = 0x80; /* removable medium */
        d[2] = 0x04; /* SPC-2 */
        d[3] = 0x02; /* response data format */
        d[4] = 31;   /* additional length */
        d[5] = d[6] = d[7] = 0;
        memcpy(d + 8, "STICKEMU", 8);
        memcpy(d + 16, lun->kind == SCSI_LUN_CDROM ? "Virtual CD-ROM  " : "Modeled USB Disk", 16);
        memcpy(d + 32, "1.00", 4);
        r->data_len = min_u32(36, alloc);
        break;
    }

    case OP_MODE_SENSE6: {
        uint8_t *d = r->data;
        d[0] = 3;                             /* mode data length */
        d[1] = 0;                             /* medium type */
        d[2] = lun->write_protect ? 0x80 : 0; /* WP (SBC-3 6.5.1, device-specific parameter) */
        d[3] = 0;                             /* no block descriptors */
        r->data_len = min_u32(4, cdb[4]);
        break;
    }

    case OP_READ_CAPACITY10: {
        if (!medium_ready(lun, r, 0, now))
            return;
        uint64_t last = quirks->capacity_off_by_one ? lun->blocks : lun->blocks - 1;
        put_be32(r->data, last > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)last);
        put_be32(r->data + 4, lun->block_size);
        if (lun->raw_capacity)
            memcpy(r->data, lun->capacity_reply, 8);
        r->data_len = 8;
        break;
    }

    case OP_READ10: {
        uint32_t lba = be32(cdb + 2);
        uint32_t count = (uint32_t)cdb[7] << 8 | cdb[8];
        r->is_read10 = 1;
        r->lba = lba;
        r->blocks = count;
        if (!medium_ready(lun, r, 0, now))
            return;
        if (quirks->max_sectors && count > quirks->max_sectors) {
            fail(lun, r, 0x05, 0x24, 0x00); /* INVALID FIELD IN CDB */
            return;
        }
        if ((uint64_t)lba + count > lun->blocks) {
            fail(lun, r, 0x05, 0x21, 0x00); /* LBA OUT OF RANGE */
            return;
        }
        r->data_len = count * lun->block_size;
        r->from_medium = 1;
        r->medium_offset = (uint64_t)lba * lun->block_size;
        break;
    }

    case OP_SYNC_CACHE10: /* no cache in the model: nothing to store (SBC-3 5.22) */
        if (!medium_ready(lun, r, 0, now))
            return;
        break;

    case OP_WRITE10: {
        uint32_t lba = be32(cdb + 2);
        uint32_t count = (uint32_t)cdb[7] << 8 | cdb[8];
        r->is_write10 = 1;
        r->lba = lba;
        r->blocks = count;
        if (lun->write_refused) {
            fail(lun, r, 0x05, 0x20, 0x00); /* INVALID COMMAND OPERATION CODE */
            return;
        }
        if (!medium_ready(lun, r, 0, now))
            return;
        if (lun->write_protect) {
            fail(lun, r, 0x07, 0x27, 0x00); /* DATA PROTECT, WRITE PROTECTED (SPC-4 D.2) */
            return;
        }
        if ((uint64_t)lba + count > lun->blocks) {
            fail(lun, r, 0x05, 0x21, 0x00); /* LBA OUT OF RANGE */
            return;
        }
        r->data_out_len = count * lun->block_size;
        r->medium_offset = (uint64_t)lba * lun->block_size;
        break;
    }

    default:
        fail(lun, r, 0x05, 0x20, 0x00); /* INVALID COMMAND OPERATION CODE */
        return;
    }
    r->status = SCSI_GOOD;
    set_sense(lun, 0, 0, 0);
}

void scsi_read_medium(const struct scsi_lun *lun, uint64_t offset, uint8_t *buf, size_t len)
{
    memset(buf, 0, len);
    if (lun->fd < 0)
        return;
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(lun->fd, buf + done, len - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* past the end of the file: zeros */
        done += (size_t)n;
    }
}

/* The private copy: an unlinked temporary file with the medium's bytes. */
static int make_private_copy(struct scsi_lun *lun)
{
    FILE *tmp = tmpfile();
    if (!tmp)
        return -1;
    int fd = dup(fileno(tmp));
    fclose(tmp);
    if (fd < 0)
        return -1;
    uint8_t buf[65536];
    uint64_t total = lun->blocks * lun->block_size;
    for (uint64_t off = 0; lun->fd >= 0 && off < total; off += sizeof buf) {
        size_t n = total - off < sizeof buf ? (size_t)(total - off) : sizeof buf;
        scsi_read_medium(lun, off, buf, n);
        if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n) {
            close(fd);
            return -1;
        }
    }
    if (lun->fd >= 0)
        close(lun->fd);
    lun->fd = fd;
    lun->fd_writable = 1;
    return 0;
}

int scsi_write_medium(struct scsi_lun *lun, uint64_t offset, const uint8_t *buf, size_t len)
{
    if (!lun->fd_writable && make_private_copy(lun) != 0)
        return -1;
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(lun->fd, buf + done, len - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    return 0;
}
