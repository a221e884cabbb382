/* See report.h. A line, for example:
 *   35003B00 0B513437 32383439 board 0407D15C 1.0.0 -> 2.0.0 installed 1234 ms
 * The unique ID is printed as its three words, word 0 (lowest address) first. */
#include "report.h"

#include "config.h"
#include "fs.h"
#include "status.h"

static NOINIT uint8_t buf[4096]; /* a few blocks of the log, one device read */

static uint8_t *put_str(uint8_t *p, const char *s)
{
    while (*s)
        *p++ = (uint8_t)*s++;
    return p;
}

static uint8_t *put_hex(uint8_t *p, uint32_t v)
{
    for (int shift = 28; shift >= 0; shift -= 4)
        *p++ = (uint8_t) "0123456789ABCDEF"[(v >> shift) & 15u];
    return p;
}

static uint8_t *put_dec(uint8_t *p, uint32_t v)
{
    uint8_t digits[10];
    unsigned n = 0;
    do
        digits[n++] = (uint8_t)('0' + v % 10u);
    while (v /= 10u);
    while (n)
        *p++ = digits[--n];
    return p;
}

static uint8_t *put_version(uint8_t *p, uint32_t v)
{
    if (v == REPORT_NONE)
        return put_str(p, "-");
    p = put_dec(p, v >> 24);
    *p++ = '.';
    p = put_dec(p, (v >> 16) & 0xFFu);
    *p++ = '.';
    return put_dec(p, v & 0xFFFFu);
}

/* What the red LED would blink, in words (README "Status LEDs"): text number r follows the
 * r-th NUL (one string: no table of pointers). */
#define RESULT_TEXTS 14u
static const char result_text[] = "installed\0no device\0USB error\0not mass storage\0"
                                  "medium error\0no FAT/exFAT volume\0no " IMAGE_NAME "\0"
                                  "file system corrupt\0too big\0image refused\0"
                                  "signature refused\0flash error\0stick data changed\0"
                                  "no crystal";

void report_format(uint8_t *slot, const struct report *rep)
{
    __builtin_memset(slot, ' ', REPORT_SLOT);
    uint8_t *p = slot;
    for (int i = 0; i < 3; i++) {
        p = put_hex(p, rep->uid[i]);
        *p++ = ' ';
    }
    p = put_str(p, "board ");
    p = put_hex(p, rep->board_id);
    *p++ = ' ';
    p = put_version(p, rep->old_version);
    if (rep->result == SB_UP_TO_DATE) {
        p = put_str(p, " up to date");
    } else {
        p = put_str(p, " -> ");
        p = put_version(p, rep->new_version);
        *p++ = ' ';
        unsigned r = (unsigned)rep->result;
        if (r) {
            p = put_str(p, "error ");
            p = put_dec(p, r);
            *p++ = ' ';
        }
        const char *text = "?";
        if (r < RESULT_TEXTS)
            for (text = result_text; r--;)
                while (*text++)
                    ;
        p = put_str(p, text);
    }
    *p++ = ' ';
    p = put_dec(p, rep->ms);
    put_str(p, " ms"); /* at most 115 bytes so far: the slot's end stays free */
    slot[REPORT_SLOT - 2] = '\r';
    slot[REPORT_SLOT - 1] = '\n';
}

int report_write(const struct blockdev *dev, const struct report *rep)
{
    struct fs_file f;
    uint32_t bs = dev->block_size, got;
    if (!dev->write || bs > sizeof buf)
        return SB_ERR_MEDIUM;
    /* One search: the name on exFAT, its alias STICKB~1.LOG on FAT (fs.h). */
    int r = fs_open(dev, REPORT_NAME, REPORT_MAX_BYTES, &f);
    while (r == SB_OK) {
        /* One device read of up to sizeof buf: its blocks are adjacent on the device. */
        r = fs_read(&f, buf, sizeof buf, &got);
        if (r != SB_OK)
            break;
        if (!got)
            return SB_ERR_TOO_BIG; /* full */
        uint32_t blocks = (got + bs - 1) / bs;
        for (uint32_t slot = 0; slot + REPORT_SLOT <= got; slot += REPORT_SLOT) {
            if (buf[slot])
                continue;
            uint32_t block = slot / bs;
            report_format(buf + slot, rep);
            return dev->write(dev, fs_last_lba(&f) - (blocks - 1u - block), buf + block * bs)
                       ? SB_ERR_MEDIUM
                       : SB_OK;
        }
    }
    return r;
}
