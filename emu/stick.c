/* The modeled USB stick: a full-speed function with EP0, bulk IN 0x81 and bulk OUT 0x02,
 * Bulk-Only transport (CBW / data / CSW) and the SCSI target of scsi.c. One call per
 * transaction from the host core model; the profile's quirks are applied here. */
#include "stick.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "scsi.h"

#define MAX_LUNS    16
#define EP_BULK_IN  1
#define EP_BULK_OUT 2
#define EP_INTR_IN  3 /* only declared with extra_descriptors=2 or composite=hid; always NAKs */
#define PATH_LEN    256
#define CONFIG_MAX  4096 /* longest configuration descriptor the model builds */
/* composite= bits: interfaces before the mass-storage one. */
#define COMPOSITE_HID 1u /* a HID interface (interrupt IN 0x83) */
#define COMPOSITE_CDC                                                                              \
    2u /* an IAD and a CDC ACM pair: comm (interrupt 0x84), data (bulk 0x85/0x06) */

#define MS 1000000ull
#define US 1000ull

struct profile {
    unsigned vid, pid, ep0_mps, bulk_mps, luns;
    enum scsi_lun_kind lun_kind[MAX_LUNS];
    unsigned connect_delay_ms, not_ready_count, unit_attention;
    int get_max_lun; /* >= 0 value, -1 stall, -2 zero-length reply, -3 luns - 1 */
    unsigned max_sectors, read_latency_us, csw_latency_us, nak_every;
    unsigned stall_csw_once, zlp_before_csw, bad_csw_signature_once, wrong_tag_once;
    unsigned bad_residue, skip_data_phase_once, capacity_off_by_one, inquiry_needs_36;
    unsigned txerr_every, babble_once;
    uint64_t disconnect_after_bytes;
    unsigned block_size, garbage_descriptors, stall_all, extra_descriptors, strings;
    unsigned write_protect, write_refused;
    /* per LUN: an image of its own, a raw READ CAPACITY(10) reply */
    char lun_image[MAX_LUNS][PATH_LEN];
    int has_capacity[MAX_LUNS];
    uint64_t capacity[MAX_LUNS];
    /* the medium changes after N READ(10)s: other data, other latency */
    char second_image[PATH_LEN];
    unsigned second_image_after_reads, second_read_latency_us;
    int has_second_latency;
    unsigned not_ready_ms, last_sector_bug, hang_above_sectors;
    /* composite devices and long configuration descriptors */
    unsigned composite, msc_alt_setting, config_padding, config_tail;
    /* a stick that stays alive on its capacitors through short VBUS gaps */
    unsigned vbus_off_min_ms, warm_reset_hang;
    unsigned deaf_after_reset_ms; /* answers nothing this long after reset recovery */
    unsigned ep0_nak_ms;          /* control data/status stages NAK this long after SETUP */
    /* USB 2.0 9.2.6.4 stage times: first data packet, status stage (after the data stage, or
     * after SETUP without one), and a class request's first answer (no limit in the spec) */
    unsigned ep0_data_ms, ep0_status_ms, ep0_class_ms;
    unsigned packet_gap_us; /* bulk IN data NAKs this long after each data packet */
};

enum ep0_phase { EP0_IDLE, EP0_DATA_IN, EP0_STATUS_IN, EP0_STATUS_OUT };
enum ep0_action { ACT_NONE, ACT_SET_ADDRESS, ACT_SET_CONFIG };
enum bot_phase { BOT_CBW, BOT_DATA_IN, BOT_DATA_OUT, BOT_CSW };
/* What an ACK of the pending IN packet means to the device. */
enum in_kind { IN_NONE, IN_EP0_DATA, IN_EP0_STATUS, IN_BULK_DATA, IN_BULK_ZLP, IN_BULK_CSW };

struct stick {
    struct profile p;
    struct scsi_lun lun[MAX_LUNS];
    struct scsi_quirks quirks;
    unsigned trace;

    int powered, on_bus, reset_seen;
    int hung;        /* warm_reset_hang: answers nothing until a long enough VBUS-off */
    uint64_t off_at; /* when VBUS went off (vbus_off_min_ms) */
    int image_lun;   /* the LUN holding the --stick image, or -1 */
    int second_fd;   /* second_image, or -1 */
    int first_fd;    /* the image LUN's first medium once switched */
    int ever_powered;
    int switched;         /* the second medium / latency is in effect */
    unsigned alt;         /* current alternate setting of the mass-storage interface */
    uint64_t moved_bytes; /* payload both ways, for disconnect_after_bytes */
    unsigned address;
    uint64_t ready_at; /* reset recovery / SET_ADDRESS recovery */
    int configured;

    struct {
        enum ep0_phase phase;
        uint8_t buf[CONFIG_MAX];
        size_t len, sent, wlength;
        int done, toggle, stalled;
        uint64_t ready_at; /* data and status stages NAK until then (ep0_nak_ms) */
        enum ep0_action action;
        unsigned action_value;
    } ep0;

    int in_halt, out_halt, in_toggle, out_toggle, reset_required;

    struct {
        enum bot_phase phase;
        uint32_t tag, host_len, dev_len, sent, residue;
        unsigned lun, cmd_index;
        uint8_t status, opcode;
        int from_medium, stall_after_data, zlp_sent, csw_stalled, read10;
        int hang;          /* last_sector_bug: the data never comes (until Reset Recovery) */
        uint32_t csw_sent; /* CSW bytes the host has ACKed (a CSW spans packets below 16) */
        uint8_t cbw[31];
        size_t cbw_len;
        uint64_t medium_offset, data_ready_at, csw_ready_at;
        uint8_t reply[36];
        uint32_t received; /* WRITE(10) data bytes taken so far */
    } bot;
    uint8_t *wblock; /* the WRITE(10) block being received (block_size bytes) */

    /* The IN packet offered to the host, applied when ACKed. */
    enum in_kind pending;
    size_t pending_len;

    uint32_t transactions, bulk_in_tokens, bulk_in_packets, in_data_cmds, cmds;
    uint64_t next_packet_at; /* packet_gap_us: no bulk IN data before then */
    int babbled;
    uint32_t scsi_cmds, read10_cmds, bot_resets;
    uint64_t read10_bytes;
    uint8_t medium_buf[STICK_MAX_PACKET];
};

/* --stick-rw: WRITE(10) goes to the --stick file itself (default: to a private copy). */
static int medium_rw;

void stick_medium_rw(int on)
{
    medium_rw = on;
}

/* ---- profile ---------------------------------------------------------------------------- */

static void set_err(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t len, const char *fmt, ...)
{
    if (!err || !len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
}

static void profile_defaults(struct profile *p)
{
    memset(p, 0, sizeof(*p));
    p->vid = 0x0781;
    p->pid = 0x5567;
    p->ep0_mps = 64;
    p->bulk_mps = 64;
    p->luns = 1;
    for (int i = 0; i < MAX_LUNS; i++)
        p->lun_kind[i] = SCSI_LUN_DISK;
    p->connect_delay_ms = 20;
    p->get_max_lun = -3;
    p->block_size = 512;
    p->strings = 1;
}

static int parse_number(const char *s, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || *s == '-')
        return 0;
    *out = v;
    return 1;
}

/* The unsigned keys: name, offset, lowest, highest value. */
struct num_key {
    const char *name;
    size_t offset;
    unsigned long long lo, hi;
};
#define K(field, lo, hi)                                                                           \
    {                                                                                              \
#field, offsetof(struct profile, field), lo, hi                                            \
    }
static const struct num_key num_keys[] = {
    K(vid, 0, 0xFFFF),
    K(pid, 0, 0xFFFF),
    K(ep0_mps, 8, 64),
    K(bulk_mps, 8, 64),
    K(luns, 1, MAX_LUNS),
    K(connect_delay_ms, 0, 60000),
    K(not_ready_count, 0, 1000000),
    K(unit_attention, 0, 1),
    K(max_sectors, 0, 65535),
    K(read_latency_us, 0, 100000000),
    K(csw_latency_us, 0, 100000000),
    K(nak_every, 0, 1000000),
    K(stall_csw_once, 0, 1000000),
    K(zlp_before_csw, 0, 1000000),
    K(bad_csw_signature_once, 0, 1000000),
    K(wrong_tag_once, 0, 1000000),
    K(bad_residue, 0, 1),
    K(skip_data_phase_once, 0, 1000000),
    K(capacity_off_by_one, 0, 1),
    K(inquiry_needs_36, 0, 1),
    K(txerr_every, 0, 1000000),
    K(babble_once, 0, 1000000),
    K(block_size, 128, 65536),
    K(garbage_descriptors, 0, 2),
    K(stall_all, 0, 1),
    K(extra_descriptors, 0, 2),
    K(strings, 0, 1),
    K(second_image_after_reads, 0, 100000000),
    K(not_ready_ms, 0, 600000),
    K(last_sector_bug, 0, 1024),
    K(hang_above_sectors, 0, 65535),
    K(msc_alt_setting, 0, 1),
    K(config_padding, 0, 3800),
    K(config_tail, 0, 3800),
    K(vbus_off_min_ms, 0, 60000),
    K(warm_reset_hang, 0, 1),
    K(deaf_after_reset_ms, 0, 5000),
    K(ep0_nak_ms, 0, 600000),
    K(ep0_data_ms, 0, 600000),
    K(ep0_status_ms, 0, 600000),
    K(ep0_class_ms, 0, 600000),
    K(packet_gap_us, 0, 100000000),
    K(write_protect, 0, 1),
    K(write_refused, 0, 1),
};
#undef K

static int profile_set(struct profile *p, const char *key, const char *val, char *err,
                       size_t err_len, const char *where)
{
    unsigned long long v;
    if (!strncmp(key, "lun.", 4)) {
        unsigned long long n;
        char num[8] = "", *dot = strchr(key + 4, '.');
        size_t len = dot ? (size_t)(dot - (key + 4)) : strlen(key + 4);
        if (len && len < sizeof num)
            memcpy(num, key + 4, len);
        if (!parse_number(num, &n) || n >= MAX_LUNS) {
            set_err(err, err_len, "%s: bad LUN number in key '%s'", where, key);
            return 0;
        }
        if (dot && !strcmp(dot, ".image")) {
            if (!*val || strlen(val) >= PATH_LEN) {
                set_err(err, err_len, "%s: %s needs a path", where, key);
                return 0;
            }
            snprintf(p->lun_image[n], PATH_LEN, "%s", val);
            return 1;
        }
        if (dot && !strcmp(dot, ".read_capacity")) {
            if (!parse_number(val, &v)) {
                set_err(err, err_len, "%s: %s needs a 64-bit number", where, key);
                return 0;
            }
            p->has_capacity[n] = 1;
            p->capacity[n] = v;
            return 1;
        }
        if (dot) {
            set_err(err, err_len, "%s: unknown key '%s'", where, key);
            return 0;
        }
        if (!strcmp(val, "disk"))
            p->lun_kind[n] = SCSI_LUN_DISK;
        else if (!strcmp(val, "empty"))
            p->lun_kind[n] = SCSI_LUN_EMPTY;
        else if (!strcmp(val, "cdrom"))
            p->lun_kind[n] = SCSI_LUN_CDROM;
        else {
            set_err(err, err_len, "%s: %s must be disk, empty or cdrom", where, key);
            return 0;
        }
        return 1;
    }
    if (!strcmp(key, "get_max_lun")) {
        if (!strcmp(val, "stall"))
            p->get_max_lun = -1;
        else if (!strcmp(val, "zlp"))
            p->get_max_lun = -2;
        else if (parse_number(val, &v) && v <= 255)
            p->get_max_lun = (int)v;
        else {
            set_err(err, err_len, "%s: get_max_lun must be 0..255, stall or zlp", where);
            return 0;
        }
        return 1;
    }
    if (!strcmp(key, "read_capacity")) {
        if (!parse_number(val, &v)) {
            set_err(err, err_len, "%s: read_capacity needs a 64-bit number", where);
            return 0;
        }
        for (int i = 0; i < MAX_LUNS; i++) {
            p->has_capacity[i] = 1;
            p->capacity[i] = v;
        }
        return 1;
    }
    if (!strcmp(key, "second_image")) {
        if (!*val || strlen(val) >= PATH_LEN) {
            set_err(err, err_len, "%s: second_image needs a path", where);
            return 0;
        }
        snprintf(p->second_image, PATH_LEN, "%s", val);
        return 1;
    }
    if (!strcmp(key, "second_read_latency_us")) {
        if (!parse_number(val, &v) || v > 100000000) {
            set_err(err, err_len, "%s: second_read_latency_us must be a number in 0..100000000",
                    where);
            return 0;
        }
        p->second_read_latency_us = (unsigned)v;
        p->has_second_latency = 1;
        return 1;
    }
    if (!strcmp(key, "composite")) {
        if (!strcmp(val, "none"))
            p->composite = 0;
        else if (!strcmp(val, "hid"))
            p->composite = COMPOSITE_HID;
        else if (!strcmp(val, "cdc"))
            p->composite = COMPOSITE_CDC;
        else if (!strcmp(val, "cdc+hid"))
            p->composite = COMPOSITE_CDC | COMPOSITE_HID;
        else {
            set_err(err, err_len, "%s: composite must be none, hid, cdc or cdc+hid", where);
            return 0;
        }
        return 1;
    }
    if (!strcmp(key, "disconnect_after_bytes")) {
        if (!parse_number(val, &v)) {
            set_err(err, err_len, "%s: disconnect_after_bytes needs a number", where);
            return 0;
        }
        p->disconnect_after_bytes = v;
        return 1;
    }
    for (size_t i = 0; i < sizeof(num_keys) / sizeof(num_keys[0]); i++) {
        const struct num_key *k = &num_keys[i];
        if (strcmp(key, k->name))
            continue;
        if (!parse_number(val, &v) || v < k->lo || v > k->hi) {
            set_err(err, err_len, "%s: %s must be a number in %llu..%llu", where, key, k->lo,
                    k->hi);
            return 0;
        }
        *(unsigned *)((char *)p + k->offset) = (unsigned)v;
        return 1;
    }
    set_err(err, err_len, "%s: unknown key '%s'", where, key);
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = 0;
    return s;
}

static int profile_load(struct profile *p, const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        set_err(err, err_len, "profile %s: %s", path, strerror(errno));
        return 0;
    }
    char line[512], where[600];
    int lineno = 0, ok = 1;
    while (ok && fgets(line, sizeof(line), f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        char *s = trim(line);
        if (!*s)
            continue;
        snprintf(where, sizeof(where), "profile %s:%d", path, lineno);
        char *eq = strchr(s, '=');
        if (!eq) {
            set_err(err, err_len, "%s: expected key=value", where);
            ok = 0;
            break;
        }
        *eq = 0;
        ok = profile_set(p, trim(s), trim(eq + 1), err, err_len, where);
    }
    fclose(f);
    if (ok && (p->ep0_mps & (p->ep0_mps - 1))) {
        set_err(err, err_len, "profile %s: ep0_mps must be 8, 16, 32 or 64", path);
        ok = 0;
    }
    if (ok && (p->bulk_mps & (p->bulk_mps - 1))) {
        set_err(err, err_len, "profile %s: bulk_mps must be 8, 16, 32 or 64", path);
        ok = 0;
    }
    if (ok && (p->second_image[0] || p->has_second_latency) && !p->second_image_after_reads) {
        set_err(err, err_len,
                "profile %s: second_image/second_read_latency_us need "
                "second_image_after_reads >= 1",
                path);
        ok = 0;
    }
    if (ok && p->config_padding + p->config_tail > CONFIG_MAX - 200) {
        set_err(err, err_len, "profile %s: config_padding + config_tail above %d", path,
                CONFIG_MAX - 200);
        ok = 0;
    }
    return ok;
}

/* ---- life cycle ------------------------------------------------------------------------- */

static void trace_usb(const struct stick *s, uint64_t now, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void trace_usb(const struct stick *s, uint64_t now, const char *fmt, ...)
{
    if (!(s->trace & 1))
        return;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    emu_log(now, "usb: stick %s", buf);
}

static int open_image(const char *path, int *fd, uint64_t *bytes, char *err, size_t err_len)
{
    struct stat st;
    *fd = open(path, medium_rw ? O_RDWR : O_RDONLY);
    if (*fd < 0 || fstat(*fd, &st) < 0) {
        set_err(err, err_len, "disk image %s: %s", path, strerror(errno));
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        return 0;
    }
    *bytes = (uint64_t)st.st_size;
    return 1;
}

struct stick *stick_create(const char *disk_path, const char *profile_path, char *err,
                           size_t err_len)
{
    struct stick *s = calloc(1, sizeof(*s));
    if (!s) {
        set_err(err, err_len, "out of memory");
        return NULL;
    }
    profile_defaults(&s->p);
    s->image_lun = -1;
    s->second_fd = s->first_fd = -1;
    for (unsigned i = 0; i < MAX_LUNS; i++)
        s->lun[i].fd = -1;
    if (profile_path && !profile_load(&s->p, profile_path, err, err_len)) {
        free(s);
        return NULL;
    }
    int fd = -1;
    uint64_t image_bytes = 0;
    if (disk_path && !open_image(disk_path, &fd, &image_bytes, err, err_len)) {
        free(s);
        return NULL;
    }
    for (unsigned i = 0; i < MAX_LUNS; i++) {
        struct scsi_lun *l = &s->lun[i];
        l->kind = s->p.lun_kind[i];
        l->block_size = s->p.block_size;
        l->raw_capacity = s->p.has_capacity[i];
        for (int b = 0; b < 8; b++)
            l->capacity_reply[b] = (uint8_t)(s->p.capacity[i] >> (56 - 8 * b));
        uint64_t bytes;
        if (l->kind == SCSI_LUN_CDROM) {
            l->block_size = 2048;
            l->blocks = 1024; /* a 2 MB zero-filled "installer" disc */
        } else if (l->kind == SCSI_LUN_DISK && s->p.lun_image[i][0]) {
            if (!open_image(s->p.lun_image[i], &l->fd, &bytes, err, err_len))
                goto fail;
            l->blocks = bytes / l->block_size;
        } else if (l->kind == SCSI_LUN_DISK && i < s->p.luns && s->image_lun < 0 && fd >= 0) {
            s->image_lun = (int)i;
            l->fd = fd;
            l->fd_writable = medium_rw;
            l->blocks = image_bytes / l->block_size;
        } else if (l->kind == SCSI_LUN_DISK) {
            l->blocks = (1u << 20) / l->block_size; /* further disks: 1 MB of zeros */
        }
    }
    if (s->image_lun < 0 && fd >= 0)
        close(fd);
    if (s->p.second_image[0] &&
        !open_image(s->p.second_image, &s->second_fd, &image_bytes, err, err_len))
        goto fail;
    for (unsigned i = 0; i < MAX_LUNS; i++) {
        s->lun[i].write_protect = (int)s->p.write_protect;
        s->lun[i].write_refused = (int)s->p.write_refused;
    }
    s->wblock = malloc(s->p.block_size);
    if (!s->wblock) {
        set_err(err, err_len, "out of memory");
        goto fail;
    }
    s->quirks.capacity_off_by_one = (int)s->p.capacity_off_by_one;
    s->quirks.inquiry_needs_36 = (int)s->p.inquiry_needs_36;
    s->quirks.max_sectors = s->p.max_sectors;
    return s;
fail:
    stick_destroy(s);
    return NULL;
}

void stick_destroy(struct stick *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < MAX_LUNS; i++)
        if (s->lun[i].fd >= 0 && s->lun[i].fd != s->second_fd)
            close(s->lun[i].fd);
    if (s->second_fd >= 0)
        close(s->second_fd);
    if (s->first_fd >= 0)
        close(s->first_fd);
    free(s->wblock);
    free(s);
}

uint64_t stick_connect_delay_ns(const struct stick *s)
{
    return (uint64_t)s->p.connect_delay_ms * MS;
}

int stick_on_bus(const struct stick *s)
{
    return s->powered && s->on_bus;
}

void stick_set_trace(struct stick *s, unsigned flags)
{
    s->trace = flags;
}

void stick_add_stats(const struct stick *s, struct otg_stats *out)
{
    out->scsi_cmds += s->scsi_cmds;
    out->read10_cmds += s->read10_cmds;
    out->read10_bytes += s->read10_bytes;
    out->bot_resets += s->bot_resets;
}

/* Everything a USB reset returns to default (the SCSI state survives a bus reset except for
 * the unit attention it raises). */
static void device_reset(struct stick *s)
{
    s->address = 0;
    s->configured = 0;
    memset(&s->ep0, 0, sizeof(s->ep0));
    s->in_halt = s->out_halt = s->in_toggle = s->out_toggle = s->reset_required = 0;
    memset(&s->bot, 0, sizeof(s->bot));
    s->pending = IN_NONE;
}

void stick_power(struct stick *s, int on, uint64_t now_ns)
{
    uint64_t min_off = (uint64_t)s->p.vbus_off_min_ms * MS;
    if (!on && s->powered && s->bot.phase == BOT_DATA_OUT) {
        /* Power lost inside a WRITE(10): the block being received is left undefined (here
         * pseudo-random bytes); the blocks before it are written, those after it untouched.
         * Unconfirmed: a real stick's translation layer may lose more (docs/emulator-otg.md). */
        struct scsi_lun *l = &s->lun[s->bot.lun];
        uint32_t bs = l->block_size, part = s->bot.received % bs;
        if (part) {
            uint64_t x = 0x9E3779B97F4A7C15ull ^ now_ns;
            for (uint32_t i = part; i < bs; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                s->wblock[i] = (uint8_t)x;
            }
            uint64_t off = s->bot.medium_offset + s->bot.received - part;
            scsi_write_medium(l, off, s->wblock, bs);
            emu_log(now_ns, "stick: power lost during WRITE(10): block %llu left undefined",
                    (unsigned long long)(off / bs));
        }
    }
    if (!on) {
        s->powered = s->on_bus = 0;
        s->off_at = now_ns;
        if (min_off)
            return; /* vbus_off_min_ms: the state waits on the device's capacitors */
    } else if (min_off && s->ever_powered && now_ns - s->off_at < min_off) {
        /* Off too briefly: address, configuration, SCSI state and a hang all survive. */
        s->powered = s->on_bus = 1;
        trace_usb(s, now_ns, "VBUS back after %llu us: state kept",
                  (unsigned long long)((now_ns - s->off_at) / US));
        return;
    }
    s->powered = on;
    s->on_bus = on;
    s->reset_seen = 0;
    s->moved_bytes = 0;
    s->hung = 0;
    device_reset(s);
    if (!on)
        return;
    s->ever_powered = 1;
    for (unsigned i = 0; i < MAX_LUNS; i++) {
        struct scsi_lun *l = &s->lun[i];
        l->sense_key = l->asc = l->ascq = 0;
        l->unit_attention = (int)s->p.unit_attention;
        l->not_ready_left = l->fd >= 0 ? s->p.not_ready_count : 0;
        l->ready_at_ns = l->fd >= 0 ? now_ns + (uint64_t)s->p.not_ready_ms * MS : 0;
    }
}

void stick_bus_reset(struct stick *s, uint64_t now_ns)
{
    if (!stick_on_bus(s))
        return;
    if (s->p.warm_reset_hang && s->configured && !s->hung) {
        /* Some USB 3.0 sticks: a reset that finds them configured (the host restarted, VBUS
         * stayed up) leaves them dead until power goes away for long enough. */
        s->hung = 1;
        trace_usb(s, now_ns, "bus reset while configured: hangs until VBUS is off");
    }
    device_reset(s);
    s->reset_seen = 1;
    /* reset recovery time, and a device that needs longer to wake up */
    s->ready_at = now_ns + 10 * MS + (uint64_t)s->p.deaf_after_reset_ms * MS;
    for (unsigned i = 0; i < MAX_LUNS; i++)
        s->lun[i].unit_attention = (int)s->p.unit_attention;
    trace_usb(s, now_ns, "bus reset");
}

/* Common checks for every token: on the bus, reset seen, recovered, our address, and the
 * injected transaction errors. */
static int token_for_us(struct stick *s, unsigned addr, uint64_t now)
{
    if (!stick_on_bus(s) || s->hung || !s->reset_seen || now < s->ready_at || addr != s->address)
        return 0;
    s->transactions++;
    if (s->p.txerr_every && s->transactions % s->p.txerr_every == 0)
        return 0; /* corrupted on the wire: the other side never sees a valid packet */
    return 1;
}

static void count_moved(struct stick *s, size_t n, uint64_t now)
{
    s->moved_bytes += n;
    if (s->p.disconnect_after_bytes && s->moved_bytes >= s->p.disconnect_after_bytes && s->on_bus) {
        s->on_bus = 0;
        trace_usb(s, now, "drops off the bus after %llu bytes", (unsigned long long)s->moved_bytes);
    }
}

/* ---- descriptors ------------------------------------------------------------------------ */

static size_t device_descriptor(const struct stick *s, uint8_t *d)
{
    static const uint8_t tmpl[18] = {18, 1, 0x00, 0x02, 0,    0, 0, 64, 0,
                                     0,  0, 0,    0x00, 0x01, 1, 2, 3,  1};
    memcpy(d, tmpl, 18);
    d[7] = (uint8_t)s->p.ep0_mps;
    if (s->p.composite & COMPOSITE_CDC) {
        d[4] = 0xEF; /* Miscellaneous, Common Class, Interface Association (IAD ECN) */
        d[5] = 0x02;
        d[6] = 0x01;
    }
    d[8] = (uint8_t)s->p.vid;
    d[9] = (uint8_t)(s->p.vid >> 8);
    d[10] = (uint8_t)s->p.pid;
    d[11] = (uint8_t)(s->p.pid >> 8);
    if (!s->p.strings)
        d[14] = d[15] = d[16] = 0;
    if (s->p.garbage_descriptors == 2) {
        d[0] = 0x00; /* zero length */
        d[1] = 0x07; /* not a device descriptor */
        d[17] = 0;   /* no configurations */
    }
    return 18;
}

static size_t put_endpoint(uint8_t *d, uint8_t addr, uint8_t attr, unsigned mps, uint8_t ival)
{
    d[0] = 7;
    d[1] = 5;
    d[2] = addr;
    d[3] = attr;
    d[4] = (uint8_t)mps;
    d[5] = (uint8_t)(mps >> 8);
    d[6] = ival;
    return 7;
}

/* The mass-storage interface's number: one per interface declared before it. */
static unsigned msc_iface(const struct stick *s)
{
    return (s->p.composite & COMPOSITE_CDC ? 2u : 0u) + (s->p.composite & COMPOSITE_HID ? 1u : 0u);
}

static int has_intr_in(const struct stick *s)
{
    return s->p.extra_descriptors >= 2 || (s->p.composite & COMPOSITE_HID);
}

/* The bulk pair exists once configured, and in the mass-storage alternate setting. */
static int bulk_active(const struct stick *s)
{
    return s->configured && s->alt == s->p.msc_alt_setting;
}

static size_t put_bytes(uint8_t *d, const uint8_t *src, size_t n)
{
    memcpy(d, src, n);
    return n;
}

/* n bytes of vendor-specific descriptors (type 0xFF, at most 255 bytes each, none shorter
 * than 2): what a long configuration descriptor is made of, for a host to skip by bLength. */
static size_t put_padding(uint8_t *d, unsigned n)
{
    size_t pos = 0;
    while (n) {
        unsigned len = n > 255 ? 255 : n;
        if (n - len == 1)
            len--; /* never leave a 1-byte remainder */
        memset(d + pos, 0xA5, len);
        d[pos] = (uint8_t)len;
        d[pos + 1] = 0xFF;
        pos += len;
        n -= len;
    }
    return pos;
}

static size_t config_descriptor(const struct stick *s, uint8_t *d)
{
    size_t n = 0;
    if (s->p.garbage_descriptors) {
        /* A header that promises 255 bytes, then a zero-length descriptor (a walker that does
         * not check bLength loops forever) and no mass-storage interface at all. */
        static const uint8_t junk[] = {9, 2, 0xFF, 0x00, 1,    1, 0,    0x80, 50,   0, 4, 0,
                                       0, 2, 8,    6,    0x50, 0, 0xFF, 5,    0x81, 2, 64};
        memcpy(d, junk, sizeof(junk));
        if (s->p.garbage_descriptors == 2)
            d[0] = 0x03; /* the header itself is truncated */
        return sizeof(junk);
    }
    static const uint8_t cfg[9] = {9, 2, 0, 0, 1, 1, 0, 0x80, 50};
    n = put_bytes(d, cfg, 9);
    if (s->p.composite & COMPOSITE_CDC) {
        /* USB CDC 1.2 ACM: IAD, communication interface with its functional descriptors and
         * notification endpoint, data interface with a bulk pair of its own. */
        static const uint8_t cdc[] = {
            8, 0x0B, 0,    2,    0x02, 0x02, 0x01, 0,       /* IAD: interfaces 0-1 */
            9, 4,    0,    0,    1,    0x02, 0x02, 0x01, 0, /* comm interface 0 */
            5, 0x24, 0,    0x10, 0x01,                      /* header */
            5, 0x24, 1,    0x00, 0x01,                      /* call management */
            4, 0x24, 2,    0x02,                            /* ACM */
            5, 0x24, 6,    0,    1,                         /* union: 0 controls 1 */
            7, 5,    0x84, 3,    8,    0,    16,            /* notification IN */
            9, 4,    1,    0,    2,    0x0A, 0x00, 0x00, 0, /* data interface 1 */
            7, 5,    0x85, 2,    64,   0,    0,             /* data IN: bulk, not ours */
            7, 5,    0x06, 2,    64,   0,    0};            /* data OUT */
        n += put_bytes(d + n, cdc, sizeof cdc);
    }
    if (s->p.composite & COMPOSITE_HID) {
        uint8_t hid[] = {9, 4,    0,    0,    1, 0x03, 0x00, 0x00, 0, /* HID interface, no boot */
                         9, 0x21, 0x11, 0x01, 0, 1,    0x22, 34,   0};
        hid[2] = (uint8_t)(msc_iface(s) - 1);
        n += put_bytes(d + n, hid, sizeof hid);
        n += put_endpoint(d + n, 0x80 | EP_INTR_IN, 0x03, 8, 10);
    }
    n += put_padding(d + n, s->p.config_padding);
    static const uint8_t itf_tmpl[9] = {9, 4, 0, 0, 2, 0x08, 0x06, 0x50, 0};
    if (s->p.msc_alt_setting) {
        /* Alternate setting 0 has no endpoints and is not mass storage; 1 is. */
        static const uint8_t alt0[9] = {9, 4, 0, 0, 0, 0xFF, 0x00, 0x00, 0};
        n += put_bytes(d + n, alt0, 9);
        d[n - 7] = (uint8_t)msc_iface(s);
    }
    uint8_t *itf = d + n;
    n += put_bytes(itf, itf_tmpl, 9);
    itf[2] = (uint8_t)msc_iface(s);
    itf[3] = (uint8_t)s->p.msc_alt_setting;
    if (s->p.extra_descriptors >= 1) {
        /* A class/vendor-specific descriptor a host must skip by bLength. */
        static const uint8_t extra[5] = {5, 0x24, 0x01, 0x10, 0x01};
        n += put_bytes(d + n, extra, 5);
    }
    if (s->p.extra_descriptors >= 2) {
        itf[4] = 3; /* plus an interrupt IN endpoint the host must ignore */
        n += put_endpoint(d + n, 0x80 | EP_INTR_IN, 0x03, 8, 10);
    }
    n += put_endpoint(d + n, 0x80 | EP_BULK_IN, 0x02, s->p.bulk_mps, 0);
    n += put_endpoint(d + n, EP_BULK_OUT, 0x02, s->p.bulk_mps, 0);
    n += put_padding(d + n, s->p.config_tail);
    d[2] = (uint8_t)n;
    d[3] = (uint8_t)(n >> 8);
    d[4] = (uint8_t)(msc_iface(s) + 1);
    return n;
}

static size_t string_descriptor(const struct stick *s, unsigned index, uint8_t *d)
{
    static const char *const strings[] = {NULL, "stickemu", "Modeled USB Stick", "0123456789AB"};
    if (!s->p.strings || index > 3)
        return 0;
    if (index == 0) {
        d[0] = 4;
        d[1] = 3;
        d[2] = 0x09;
        d[3] = 0x04;
        return 4;
    }
    size_t len = strlen(strings[index]);
    d[0] = (uint8_t)(2 + 2 * len);
    d[1] = 3;
    for (size_t i = 0; i < len; i++) {
        d[2 + 2 * i] = (uint8_t)strings[index][i];
        d[3 + 2 * i] = 0;
    }
    return 2 + 2 * len;
}

/* ---- EP0 -------------------------------------------------------------------------------- */

static void ep0_stall(struct stick *s)
{
    s->ep0.stalled = 1;
    s->ep0.phase = EP0_IDLE;
}

static void bot_reset(struct stick *s, uint64_t now)
{
    memset(&s->bot, 0, sizeof(s->bot));
    s->reset_required = 0; /* halts and toggles survive (BOT 3.1) */
    s->bot_resets++;
    trace_usb(s, now, "Bulk-Only Mass Storage Reset");
}

/* Handles a request; returns 0 to stall. IN requests fill ep0.buf/len. */
static int ep0_request(struct stick *s, const uint8_t *r, uint64_t now)
{
    unsigned type = r[0], req = r[1];
    unsigned value = r[2] | r[3] << 8, index = r[4] | r[5] << 8;
    uint8_t *b = s->ep0.buf;
    size_t n = 0;

    switch (type << 8 | req) {
    case 0x8006: { /* GET_DESCRIPTOR */
        unsigned dtype = value >> 8, di = value & 0xFF;
        if (dtype == 1 && di == 0)
            n = device_descriptor(s, b);
        else if (dtype == 2 && di == 0)
            n = config_descriptor(s, b);
        else if (dtype == 3)
            n = string_descriptor(s, di, b);
        if (!n)
            return 0; /* device qualifier and the rest: a full-speed-only device stalls */
        break;
    }
    case 0x0005: /* SET_ADDRESS */
        if (value > 127 || index || s->configured)
            return 0;
        s->ep0.action = ACT_SET_ADDRESS;
        s->ep0.action_value = value;
        return 1;
    case 0x0009: /* SET_CONFIGURATION */
        if (value > 1 || s->address == 0)
            return 0;
        s->ep0.action = ACT_SET_CONFIG;
        s->ep0.action_value = value;
        return 1;
    case 0x8008: /* GET_CONFIGURATION */
        b[0] = (uint8_t)s->configured;
        n = 1;
        break;
    case 0x8000: /* GET_STATUS device */
    case 0x8100: /* interface */
        b[0] = b[1] = 0;
        n = 2;
        break;
    case 0x8200: /* GET_STATUS endpoint */
        b[1] = 0;
        if ((index & 0x7F) == 0)
            b[0] = 0;
        else if (s->configured && index == (0x80 | EP_BULK_IN))
            b[0] = (uint8_t)s->in_halt;
        else if (s->configured && index == EP_BULK_OUT)
            b[0] = (uint8_t)s->out_halt;
        else
            return 0;
        n = 2;
        break;
    case 0x0201: /* CLEAR_FEATURE(ENDPOINT_HALT) */
    case 0x0203: /* SET_FEATURE(ENDPOINT_HALT) */
        if (value != 0)
            return 0;
        if ((index & 0x7F) == 0)
            return 1;
        if (!s->configured)
            return 0;
        if (index == (0x80 | EP_BULK_IN)) {
            if (req == 3) {
                s->in_halt = 1;
            } else {
                s->in_toggle = 0;
                if (!s->reset_required)
                    s->in_halt = 0;
            }
        } else if (index == EP_BULK_OUT) {
            if (req == 3) {
                s->out_halt = 1;
            } else {
                s->out_toggle = 0;
                if (!s->reset_required)
                    s->out_halt = 0;
            }
        } else if (index == (0x80 | EP_INTR_IN) && has_intr_in(s)) {
            /* nothing to clear */
        } else {
            return 0;
        }
        trace_usb(s, now, "%s_FEATURE(HALT) ep 0x%02x", req == 3 ? "SET" : "CLEAR", index);
        return 1;
    case 0x0001: /* CLEAR_FEATURE device (remote wakeup) */
        return value == 1;
    case 0x010B: /* SET_INTERFACE */
        if (!s->configured || index > msc_iface(s) ||
            value > (index == msc_iface(s) ? s->p.msc_alt_setting : 0))
            return 0;
        if (index == msc_iface(s)) {
            s->alt = value;
            s->in_toggle = s->out_toggle = 0;
            s->in_halt = s->out_halt = 0;
            trace_usb(s, now, "interface %u alternate setting %u", index, value);
        }
        return 1;
    case 0x810A: /* GET_INTERFACE */
        if (!s->configured || index > msc_iface(s))
            return 0;
        b[0] = (uint8_t)(index == msc_iface(s) ? s->alt : 0);
        n = 1;
        break;
    case 0xA1FE: /* GET_MAX_LUN: wIndex names the mass-storage interface, or STALL */
        if (!s->configured || value || index != msc_iface(s) || (r[6] | r[7] << 8) != 1)
            return 0;
        if (s->p.get_max_lun == -1)
            return 0;
        if (s->p.get_max_lun == -2) {
            n = 0; /* a zero-length reply */
            break;
        }
        b[0] = (uint8_t)(s->p.get_max_lun == -3 ? s->p.luns - 1 : (unsigned)s->p.get_max_lun);
        n = 1;
        break;
    case 0x21FF: /* Bulk-Only Mass Storage Reset */
        if (!s->configured || value || index != msc_iface(s) || r[6] || r[7])
            return 0;
        bot_reset(s, now);
        return 1;
    default:
        return 0;
    }
    s->ep0.len = n;
    return 1;
}

static void ep0_finish_status(struct stick *s, uint64_t now)
{
    if (s->ep0.action == ACT_SET_ADDRESS) {
        s->address = s->ep0.action_value;
        s->ready_at = now + 2 * MS; /* SET_ADDRESS recovery interval */
        trace_usb(s, now, "address %u", s->address);
    } else if (s->ep0.action == ACT_SET_CONFIG) {
        s->configured = (int)s->ep0.action_value;
        s->alt = 0;
        s->in_halt = s->out_halt = s->in_toggle = s->out_toggle = s->reset_required = 0;
        memset(&s->bot, 0, sizeof(s->bot));
        trace_usb(s, now, "configuration %u", s->configured);
    }
    s->ep0.action = ACT_NONE;
    s->ep0.phase = EP0_IDLE;
}

enum stick_reply stick_setup(struct stick *s, unsigned addr, unsigned ep, const uint8_t *data,
                             size_t len, uint64_t now_ns)
{
    if (!token_for_us(s, addr, now_ns) || ep != 0 || len != 8)
        return STICK_SILENT;
    /* A SETUP is always accepted and ends any previous control transfer and EP0 stall. */
    s->pending = IN_NONE;
    s->ep0.stalled = 0;
    s->ep0.action = ACT_NONE;
    s->ep0.len = s->ep0.sent = 0;
    s->ep0.done = 0;
    s->ep0.toggle = 1;
    s->ep0.wlength = (size_t)(data[6] | data[7] << 8);
    /* The first answer after SETUP: a class request's (bmRequestType type 1) after
     * ep0_class_ms, a standard one's data stage after ep0_data_ms, its status stage (no data
     * stage) after ep0_status_ms; ep0_nak_ms on top. */
    unsigned first = (data[0] & 0x60) == 0x20 ? s->p.ep0_class_ms
                     : s->ep0.wlength         ? s->p.ep0_data_ms
                                              : s->p.ep0_status_ms;
    s->ep0.ready_at = now_ns + (uint64_t)(s->p.ep0_nak_ms + first) * MS;
    count_moved(s, 8, now_ns);
    if (s->p.stall_all || !ep0_request(s, data, now_ns)) {
        ep0_stall(s);
        trace_usb(s, now_ns, "stalls request %02x %02x", data[0], data[1]);
        return STICK_ACK;
    }
    if (data[0] & 0x80) {
        if (s->ep0.len > s->ep0.wlength)
            s->ep0.len = s->ep0.wlength;
        s->ep0.phase = s->ep0.wlength ? EP0_DATA_IN : EP0_STATUS_OUT;
    } else if (s->ep0.wlength) {
        ep0_stall(s); /* no supported request has an OUT data stage */
    } else {
        s->ep0.phase = EP0_STATUS_IN;
    }
    return STICK_ACK;
}

static enum stick_reply ep0_in(struct stick *s, uint8_t *buf, size_t *len, unsigned *pid,
                               uint64_t now)
{
    if (s->ep0.stalled)
        return STICK_STALL;
    if (now < s->ep0.ready_at)
        return STICK_NAK;
    if (s->ep0.phase == EP0_STATUS_IN) {
        *len = 0;
        *pid = 1;
        s->pending = IN_EP0_STATUS;
        return STICK_DATA;
    }
    if (s->ep0.phase != EP0_DATA_IN || s->ep0.done) {
        ep0_stall(s);
        return STICK_STALL;
    }
    size_t n = s->ep0.len - s->ep0.sent;
    if (n > s->p.ep0_mps)
        n = s->p.ep0_mps;
    memcpy(buf, s->ep0.buf + s->ep0.sent, n);
    *len = n;
    *pid = (unsigned)s->ep0.toggle;
    s->pending = IN_EP0_DATA;
    s->pending_len = n;
    return STICK_DATA;
}

static enum stick_reply ep0_out(struct stick *s, unsigned pid, size_t len, uint64_t now)
{
    if (s->ep0.stalled)
        return STICK_STALL;
    if (now < s->ep0.ready_at)
        return STICK_NAK;
    if ((s->ep0.phase == EP0_DATA_IN || s->ep0.phase == EP0_STATUS_OUT) && len == 0) {
        if (pid != 1)
            return STICK_ACK; /* toggle mismatch: acknowledged and ignored */
        ep0_finish_status(s, now);
        return STICK_ACK;
    }
    ep0_stall(s);
    return STICK_STALL;
}

/* ---- Bulk-Only transport ---------------------------------------------------------------- */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void invalid_cbw(struct stick *s, const char *why, uint64_t now)
{
    s->in_halt = s->out_halt = s->reset_required = 1;
    trace_usb(s, now, "invalid CBW (%s): both bulk endpoints stall until Reset Recovery", why);
}

static void scsi_trace(const struct stick *s, uint64_t now, const uint8_t *cdb,
                       const struct scsi_reply *r, uint32_t host_len)
{
    if (!(s->trace & 2))
        return;
    const struct scsi_lun *l = &s->lun[s->bot.lun];
    char status[48];
    if (s->bot.status == 2)
        snprintf(status, sizeof(status), "phase error");
    else if (r->status == SCSI_GOOD)
        snprintf(status, sizeof(status), "good");
    else
        snprintf(status, sizeof(status), "check %02X/%02X/%02X", l->sense_key, l->asc, l->ascq);
    if (r->is_read10 || r->is_write10)
        emu_log(now, "scsi: lun%u %s lba=%u blocks=%u len=%u -> %s", s->bot.lun,
                scsi_opcode_name(cdb[0]), r->lba, r->blocks, host_len, status);
    else
        emu_log(now, "scsi: lun%u %s (0x%02X) len=%u -> %s", s->bot.lun, scsi_opcode_name(cdb[0]),
                cdb[0], host_len, status);
}

static void handle_cbw(struct stick *s, const uint8_t *d, size_t len, uint64_t now)
{
    if (len != 31 || le32(d) != 0x43425355u) {
        invalid_cbw(s, len != 31 ? "length" : "signature", now);
        return;
    }
    uint8_t flags = d[12], lun = d[13], cblen = d[14];
    if ((flags & 0x7F) || lun >= s->p.luns || cblen < 1 || cblen > 16) {
        invalid_cbw(s, "not meaningful", now);
        return;
    }
    struct scsi_reply r;
    uint8_t cdb[16];
    memcpy(cdb, d + 15, 16);
    s->scsi_cmds++;
    s->cmds++;
    memset(&s->bot, 0, sizeof(s->bot));
    s->bot.tag = le32(d + 4);
    s->bot.host_len = le32(d + 8);
    s->bot.lun = lun;
    s->bot.cmd_index = s->cmds;
    s->bot.opcode = cdb[0];
    if (cdb[0] == 0x28 && s->p.second_image_after_reads && !s->switched &&
        s->read10_cmds >= s->p.second_image_after_reads) {
        /* From this READ(10) on, the medium (and its latency) is the second one. */
        s->switched = 1;
        if (s->second_fd >= 0 && s->image_lun >= 0) {
            s->first_fd = s->lun[s->image_lun].fd;
            s->lun[s->image_lun].fd = s->second_fd;
            s->lun[s->image_lun].fd_writable = 0;
            s->second_fd = -1;
        }
        trace_usb(s, now, "medium changes after %u READ(10)s", s->read10_cmds);
    }
    scsi_command(&s->lun[lun], &s->quirks, cdb, now, &r);
    if (r.is_read10 && r.status == SCSI_GOOD)
        s->read10_cmds++;

    uint32_t H = s->bot.host_len, D = r.data_len;
    int host_in = (flags & 0x80) != 0;
    s->bot.status = r.status == SCSI_GOOD ? 0 : 1;
    s->bot.phase = BOT_CSW;
    s->bot.residue = H;
    if (H == 0) {
        s->bot.residue = 0;
        if (D > 0)
            s->bot.status = 2; /* case 2: the device has data the host does not expect */
    } else if (!host_in && r.data_out_len && r.data_out_len == H) {
        s->bot.phase = BOT_DATA_OUT; /* case 12: WRITE(10), the data the host announced */
        s->bot.dev_len = H;
        s->bot.residue = 0;
        s->bot.medium_offset = r.medium_offset;
    } else if (!host_in) {
        s->out_halt = 1; /* cases 9-11 and 13: the OUT data is not taken */
        if (D > 0 || r.data_out_len)
            s->bot.status = 2;
    } else if (D == 0 || r.stall_data) {
        s->in_halt = 1; /* case 4 */
    } else if (s->p.skip_data_phase_once && s->in_data_cmds + 1 == s->p.skip_data_phase_once) {
        s->in_data_cmds++;
        /* the CSW arrives where the host expects data: residue H, "good" */
    } else {
        s->in_data_cmds++;
        s->bot.phase = BOT_DATA_IN;
        if (D > H) {
            s->bot.dev_len = H;
            s->bot.status = 2; /* case 7 */
            s->bot.residue = 0;
        } else {
            s->bot.dev_len = D;
            s->bot.residue = H - D;
            /* case 5: data ending on a packet boundary is ended by a STALL */
            s->bot.stall_after_data = D < H && D % s->p.bulk_mps == 0;
        }
        s->bot.from_medium = r.from_medium;
        s->bot.medium_offset = r.medium_offset;
        s->bot.read10 = r.is_read10;
        memcpy(s->bot.reply, r.data, sizeof(r.data));
        unsigned latency = s->switched && s->p.has_second_latency ? s->p.second_read_latency_us
                                                                  : s->p.read_latency_us;
        s->bot.data_ready_at = now + (r.is_read10 ? (uint64_t)latency * US : 0);
        /* last_sector_bug: a multi-block READ(10) touching the last N blocks hangs the
         * reader's firmware; single-block reads work (Linux sd.c SD_LAST_BUGGY_SECTORS). */
        uint64_t blocks = s->lun[lun].blocks;
        s->bot.hang =
            r.is_read10 && ((s->p.last_sector_bug && r.blocks > 1 &&
                             (uint64_t)r.lba + r.blocks + s->p.last_sector_bug > blocks) ||
                            (s->p.hang_above_sectors && r.blocks > s->p.hang_above_sectors));
    }
    if (s->bot.phase == BOT_CSW)
        s->bot.csw_ready_at = now + (uint64_t)s->p.csw_latency_us * US;
    scsi_trace(s, now, cdb, &r, H);
}

static enum stick_reply bulk_in(struct stick *s, uint8_t *buf, size_t *len, unsigned *pid,
                                uint64_t now)
{
    if (s->in_halt)
        return STICK_STALL;
    s->bulk_in_tokens++;
    if (s->p.nak_every && s->bulk_in_tokens % s->p.nak_every == 0)
        return STICK_NAK;
    *pid = (unsigned)s->in_toggle;
    if (s->bot.phase == BOT_DATA_IN) {
        if (now < s->bot.data_ready_at || now < s->next_packet_at || s->bot.hang)
            return STICK_NAK;
        uint32_t n = s->bot.dev_len - s->bot.sent;
        if (n > s->p.bulk_mps)
            n = s->p.bulk_mps;
        if (s->bot.from_medium)
            scsi_read_medium(&s->lun[s->bot.lun], s->bot.medium_offset + s->bot.sent, buf, n);
        else
            memcpy(buf, s->bot.reply + s->bot.sent, n);
        *len = n;
        s->pending = IN_BULK_DATA;
        s->pending_len = n;
        if (s->p.babble_once && s->bulk_in_packets + 1 == s->p.babble_once && !s->babbled) {
            s->babbled = 1;
            memset(buf + n, 0xBA, s->p.bulk_mps + 16 - n);
            *len = s->p.bulk_mps + 16; /* longer than wMaxPacketSize: babble */
        }
        return STICK_DATA;
    }
    if (s->bot.phase != BOT_CSW)
        return STICK_NAK; /* no command: nothing to send */
    if (now < s->bot.csw_ready_at)
        return STICK_NAK;
    if (s->p.zlp_before_csw && !s->bot.zlp_sent && s->bot.cmd_index % s->p.zlp_before_csw == 0) {
        *len = 0;
        s->pending = IN_BULK_ZLP;
        return STICK_DATA;
    }
    if (s->p.stall_csw_once && s->bot.cmd_index == s->p.stall_csw_once && !s->bot.csw_stalled) {
        s->bot.csw_stalled = 1;
        s->in_halt = 1;
        trace_usb(s, now, "stalls the CSW (stall_csw_once)");
        return STICK_STALL;
    }
    uint32_t residue = s->bot.residue;
    if (s->p.bad_residue && s->bot.host_len)
        residue = s->bot.host_len; /* claims nothing was transferred */
    uint8_t csw[13];
    put_le32(csw, s->p.bad_csw_signature_once == s->bot.cmd_index ? 0x53425356u : 0x53425355u);
    put_le32(csw + 4, s->p.wrong_tag_once == s->bot.cmd_index ? ~s->bot.tag : s->bot.tag);
    put_le32(csw + 8, residue);
    csw[12] = s->bot.status;
    uint32_t n = 13 - s->bot.csw_sent;
    if (n > s->p.bulk_mps)
        n = s->p.bulk_mps;
    memcpy(buf, csw + s->bot.csw_sent, n);
    *len = n;
    s->pending = IN_BULK_CSW;
    s->pending_len = n;
    return STICK_DATA;
}

/* WRITE(10) data: each block goes to the medium once all of its bytes are in, so a power cut
 * can only catch the block being received (stick_power). A short packet ends the data phase
 * early: the CSW then reports the residue. */
static void data_out(struct stick *s, const uint8_t *data, size_t len, uint64_t now)
{
    struct scsi_lun *l = &s->lun[s->bot.lun];
    uint32_t bs = l->block_size;
    for (size_t i = 0; i < len && s->bot.received < s->bot.dev_len; i++) {
        s->wblock[s->bot.received % bs] = data[i];
        if (++s->bot.received % bs == 0) {
            uint64_t off = s->bot.medium_offset + s->bot.received - bs;
            if (scsi_write_medium(l, off, s->wblock, bs) != 0) {
                s->bot.status = 1;
                l->sense_key = 0x03; /* MEDIUM ERROR, WRITE ERROR (SPC-4 D.2) */
                l->asc = 0x0C;
                l->ascq = 0x00;
                trace_usb(s, now, "WRITE(10): host I/O error on the medium copy");
            }
            l->blocks_written++;
        }
    }
    if (s->bot.received == s->bot.dev_len || len < s->p.bulk_mps) {
        s->bot.residue = s->bot.dev_len - s->bot.received;
        s->bot.phase = BOT_CSW;
        s->bot.csw_ready_at = now + (uint64_t)s->p.csw_latency_us * US;
    }
}

static enum stick_reply bulk_out(struct stick *s, unsigned pid, const uint8_t *data, size_t len,
                                 uint64_t now)
{
    if (s->out_halt)
        return STICK_STALL;
    if (len > s->p.bulk_mps)
        return STICK_SILENT; /* longer than wMaxPacketSize: the function ignores it */
    if (s->bot.phase != BOT_CBW && s->bot.phase != BOT_DATA_OUT)
        return STICK_NAK; /* the previous command's data or CSW has not been read */
    if (pid != (unsigned)s->out_toggle)
        return STICK_ACK; /* a repeated packet: acknowledged and dropped */
    s->out_toggle ^= 1;
    count_moved(s, len, now);
    if (s->bot.phase == BOT_DATA_OUT) {
        data_out(s, data, len, now);
        return STICK_ACK;
    }
    /* A CBW may span several packets (bulk_mps < 31); a short packet or 31 bytes ends it. */
    size_t room = sizeof(s->bot.cbw) - s->bot.cbw_len;
    memcpy(s->bot.cbw + s->bot.cbw_len, data, len < room ? len : room);
    s->bot.cbw_len += len;
    if (len == s->p.bulk_mps && s->bot.cbw_len < sizeof(s->bot.cbw))
        return STICK_ACK;
    size_t total = s->bot.cbw_len;
    uint8_t cbw[31];
    memcpy(cbw, s->bot.cbw, sizeof(cbw));
    s->bot.cbw_len = 0;
    handle_cbw(s, cbw, total, now);
    return STICK_ACK;
}

/* ---- transactions ----------------------------------------------------------------------- */

enum stick_reply stick_out(struct stick *s, unsigned addr, unsigned ep, unsigned pid,
                           const uint8_t *data, size_t len, uint64_t now_ns)
{
    if (!token_for_us(s, addr, now_ns) || pid > 1)
        return STICK_SILENT;
    s->pending = IN_NONE;
    if (ep == 0) {
        if (len > s->p.ep0_mps)
            return STICK_SILENT;
        return ep0_out(s, pid, len, now_ns);
    }
    if (ep == EP_BULK_OUT && s->configured && !bulk_active(s))
        return STICK_SILENT; /* not part of the current alternate setting */
    if (ep == EP_BULK_OUT && !s->p.stall_all)
        return s->configured ? bulk_out(s, pid, data, len, now_ns) : STICK_STALL;
    if (ep == EP_BULK_OUT)
        return STICK_STALL;
    return STICK_SILENT; /* no such OUT endpoint */
}

enum stick_reply stick_in(struct stick *s, unsigned addr, unsigned ep, uint8_t *buf, size_t *len,
                          unsigned *pid, uint64_t now_ns)
{
    s->pending = IN_NONE;
    *len = 0;
    *pid = 0;
    if (!token_for_us(s, addr, now_ns))
        return STICK_SILENT;
    if (ep == 0)
        return ep0_in(s, buf, len, pid, now_ns);
    if (s->p.stall_all && (ep == EP_BULK_IN || ep == EP_INTR_IN))
        return STICK_STALL;
    if (ep == EP_BULK_IN && s->configured && !bulk_active(s))
        return STICK_SILENT; /* not part of the current alternate setting */
    if (ep == EP_BULK_IN)
        return s->configured ? bulk_in(s, buf, len, pid, now_ns) : STICK_STALL;
    if (ep == EP_INTR_IN && has_intr_in(s) && s->configured)
        return STICK_NAK;
    return STICK_SILENT;
}

void stick_in_handshake(struct stick *s, int acked, uint64_t now_ns)
{
    enum in_kind k = s->pending;
    s->pending = IN_NONE;
    if (!acked || k == IN_NONE)
        return;
    switch (k) {
    case IN_EP0_DATA:
        s->ep0.sent += s->pending_len;
        s->ep0.toggle ^= 1;
        if (s->pending_len < s->p.ep0_mps || s->ep0.sent == s->ep0.wlength) {
            s->ep0.done = 1; /* the status stage NAKs ep0_status_ms from here */
            s->ep0.ready_at = now_ns + (uint64_t)s->p.ep0_status_ms * MS;
        }
        count_moved(s, s->pending_len, now_ns);
        break;
    case IN_EP0_STATUS:
        ep0_finish_status(s, now_ns);
        break;
    case IN_BULK_DATA:
        s->in_toggle ^= 1;
        s->bulk_in_packets++;
        s->next_packet_at = now_ns + (uint64_t)s->p.packet_gap_us * US;
        s->bot.sent += (uint32_t)s->pending_len;
        if (s->bot.read10)
            s->read10_bytes += s->pending_len;
        if (s->bot.sent == s->bot.dev_len) {
            s->bot.phase = BOT_CSW;
            s->bot.csw_ready_at = now_ns + (uint64_t)s->p.csw_latency_us * US;
            if (s->bot.stall_after_data)
                s->in_halt = 1;
            s->bot.stall_after_data = 0;
        }
        count_moved(s, s->pending_len, now_ns);
        break;
    case IN_BULK_ZLP:
        s->in_toggle ^= 1;
        s->bot.zlp_sent = 1;
        break;
    case IN_BULK_CSW:
        s->in_toggle ^= 1;
        s->bot.csw_sent += (uint32_t)s->pending_len;
        if (s->bot.csw_sent == 13)
            s->bot.phase = BOT_CBW;
        count_moved(s, s->pending_len, now_ns);
        break;
    case IN_NONE:
        break;
    }
}
