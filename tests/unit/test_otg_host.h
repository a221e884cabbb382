/* A small polled OTG_FS host driver for the model's unit tests: it talks to emu/otg.c only
 * through otg_read/otg_write, as firmware would, and lets virtual time jump to the model's
 * next event while it polls. */
#ifndef TEST_OTG_HOST_H
#define TEST_OTG_HOST_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../emu/log.h"
#include "../../emu/otg.h"

/* emu_log for the tests: lines are kept in a buffer the tests can search. */
static char test_log[1 << 16];
static size_t test_log_len;
static int test_log_echo;
void emu_log(uint64_t now_ns, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (test_log_echo)
        printf("  [%10.3f ms] %s\n", (double)now_ns / 1e6, line);
    int n = snprintf(test_log + test_log_len, sizeof(test_log) - test_log_len, "%s\n", line);
    if (n > 0 && test_log_len + (size_t)n < sizeof(test_log))
        test_log_len += (size_t)n;
}
static inline void test_log_clear(void)
{
    test_log_len = 0;
    test_log[0] = 0;
}

enum {
    R_GUSBCFG = 0x00C,
    R_GRSTCTL = 0x010,
    R_GINTSTS = 0x014,
    R_GRXSTSR = 0x01C,
    R_GRXSTSP = 0x020,
    R_GRXFSIZ = 0x024,
    R_HNPTXFSIZ = 0x028,
    R_HNPTXSTS = 0x02C,
    R_GCCFG = 0x038,
    R_HPTXFSIZ = 0x100,
    R_HCFG = 0x400,
    R_HFIR = 0x404,
    R_HFNUM = 0x408,
    R_HAINT = 0x414,
    R_HAINTMSK = 0x418,
    R_HPRT = 0x440,
    R_PCGCCTL = 0xE00,
};
#define R_HCCHAR(n)   (0x500 + 0x20 * (n))
#define R_HCINT(n)    (0x508 + 0x20 * (n))
#define R_HCINTMSK(n) (0x50C + 0x20 * (n))
#define R_HCTSIZ(n)   (0x510 + 0x20 * (n))
#define R_FIFO(n)     (0x1000 * ((n) + 1))

#define HPRT_W1C_BITS 0x2Eu /* PCDET PENA PENCHNG POCCHNG */
#define MS_NS         1000000ull

struct host {
    struct otg_model *m;
    uint64_t now;
};

static inline uint32_t rd(struct host *h, uint32_t off)
{
    h->now += 20; /* a few CPU cycles per access */
    return otg_read(h->m, off, 4, h->now);
}
static inline void wr(struct host *h, uint32_t off, uint32_t v)
{
    h->now += 20;
    otg_write(h->m, off, v, 4, h->now);
}
/* Busy-wait: time jumps to the model's next event (or the deadline). */
static inline void idle(struct host *h, uint64_t until)
{
    uint64_t t = otg_next_event_ns(h->m);
    if (t <= h->now)
        t = h->now + 100;
    h->now = t < until ? t : until;
    otg_advance(h->m, h->now);
}
static inline void sleep_ns(struct host *h, uint64_t ns)
{
    h->now += ns;
    otg_advance(h->m, h->now);
}
#define WAIT_FOR(h, cond, timeout_ns)                                                              \
    ({                                                                                             \
        uint64_t wait_deadline_ = (h)->now + (timeout_ns);                                         \
        int wait_ok_ = 0;                                                                          \
        for (;;) {                                                                                 \
            if (cond) {                                                                            \
                wait_ok_ = 1;                                                                      \
                break;                                                                             \
            }                                                                                      \
            if ((h)->now >= wait_deadline_)                                                        \
                break;                                                                             \
            idle((h), wait_deadline_);                                                             \
        }                                                                                          \
        wait_ok_;                                                                                  \
    })

static inline void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fwrite(data, 1, len, f);
    fclose(f);
}

/* A deterministic disk image: every byte depends on its offset. */
static inline uint8_t image_byte(uint64_t off)
{
    uint64_t x = off * 0x9E3779B97F4A7C15ull;
    return (uint8_t)(x >> 56 ^ off);
}
static const char *make_image(const char *path, size_t bytes)
{
    uint8_t *buf = malloc(bytes);
    for (size_t i = 0; i < bytes; i++)
        buf[i] = image_byte(i);
    write_file(path, buf, bytes);
    free(buf);
    return path;
}
static const char *make_profile(const char *path, const char *text)
{
    write_file(path, text, strlen(text));
    return path;
}

static inline struct host host_new(const char *image, const char *profile_text)
{
    char err[256] = "";
    const char *prof = NULL;
    char ppath[64];
    if (profile_text) {
        snprintf(ppath, sizeof(ppath), "/tmp/test_otg_%d.prof", (int)getpid());
        prof = make_profile(ppath, profile_text);
    }
    struct host h = {otg_create(image, prof, err, sizeof(err)), 0};
    if (!h.m) {
        printf("otg_create: %s\n", err);
        exit(2);
    }
    if (prof)
        unlink(prof);
    otg_power_on(h.m, 0);
    otg_set_plugged(h.m, 1, 0);
    return h;
}

/* Core init in the order of RM0090 34.17.1-2 (core, then host initialisation); VBUS on last. */
static inline int host_core_init(struct host *h)
{
    wr(h, R_GUSBCFG, rd(h, R_GUSBCFG) | (1u << 6));
    if (!WAIT_FOR(h, rd(h, R_GRSTCTL) & (1u << 31), MS_NS))
        return 0;
    wr(h, R_GRSTCTL, 1);
    if (!WAIT_FOR(h, !(rd(h, R_GRSTCTL) & 1), MS_NS))
        return 0;
    wr(h, R_GCCFG, (1u << 16) | (1u << 21));
    wr(h, R_GUSBCFG, rd(h, R_GUSBCFG) | (1u << 29));
    if (!WAIT_FOR(h, rd(h, R_GINTSTS) & 1, 100 * MS_NS))
        return 0;
    wr(h, R_PCGCCTL, 0);
    wr(h, R_HCFG, 1);
    wr(h, R_GRXFSIZ, 0x80);
    wr(h, R_HNPTXFSIZ, 0x60u << 16 | 0x80);
    wr(h, R_HPTXFSIZ, 0x40u << 16 | 0xE0);
    wr(h, R_GRSTCTL, 0x10u << 6 | (1u << 5));
    WAIT_FOR(h, !(rd(h, R_GRSTCTL) & (1u << 5)), MS_NS);
    wr(h, R_GRSTCTL, 1u << 4);
    WAIT_FOR(h, !(rd(h, R_GRSTCTL) & (1u << 4)), MS_NS);
    for (int n = 0; n < 8; n++) {
        wr(h, R_HCINT(n), 0xFFFFFFFF);
        wr(h, R_HCINTMSK(n), 0x7FF);
    }
    wr(h, R_HAINTMSK, 0xFF);
    wr(h, R_GINTSTS, 0xFFFFFFFF);
    uint32_t hprt = rd(h, R_HPRT) & ~HPRT_W1C_BITS;
    wr(h, R_HPRT, hprt | (1u << 12));
    otg_set_vbus(h->m, 1, h->now);
    return 1;
}

static inline void hprt_write(struct host *h, uint32_t set, uint32_t clear)
{
    uint32_t v = rd(h, R_HPRT) & ~HPRT_W1C_BITS;
    wr(h, R_HPRT, (v | set) & ~clear);
}

static inline int host_port_reset(struct host *h, uint64_t hold_ns)
{
    hprt_write(h, 1u << 8, 0);
    sleep_ns(h, hold_ns);
    hprt_write(h, 0, 1u << 8);
    if (!WAIT_FOR(h, rd(h, R_HPRT) & (1u << 2), 5 * MS_NS))
        return 0;
    wr(h, R_HPRT, (rd(h, R_HPRT) & ~HPRT_W1C_BITS) | (1u << 3)); /* clear PENCHNG only */
    wr(h, R_HFIR, 48000);
    sleep_ns(h, 10 * MS_NS); /* reset recovery */
    return 1;
}

/* Init, wait for connect, debounce, reset: the device answers at address 0. */
static inline int host_bring_up(struct host *h)
{
    if (!host_core_init(h))
        return 0;
    if (!WAIT_FOR(h, rd(h, R_HPRT) & 1, 2000 * MS_NS))
        return 0;
    sleep_ns(h, 100 * MS_NS);
    return host_port_reset(h, 15 * MS_NS);
}

enum xfer_result { XR_OK, XR_STALL, XR_NAK_TIMEOUT, XR_XACT, XR_BABBLE, XR_TOGGLE, XR_TIMEOUT };

/* Halts channel n (CHDIS + CHENA) and waits for CHH, popping RX status entries meanwhile. */
static inline int host_halt(struct host *h, int n)
{
    uint32_t c = rd(h, R_HCCHAR(n));
    wr(h, R_HCCHAR(n), c | (1u << 30) | (1u << 31));
    int ok = WAIT_FOR(h, ({
                          if (rd(h, R_GINTSTS) & (1u << 4)) {
                              uint32_t st = rd(h, R_GRXSTSP);
                              for (unsigned i = 0; i < ((st >> 4 & 0x7FF) + 3) / 4; i++)
                                  rd(h, R_FIFO(0));
                          }
                          rd(h, R_HCINT(n)) & 2;
                      }),
                      20 * MS_NS);
    wr(h, R_HCINT(n), 0x7FF);
    return ok;
}

struct chan_cfg {
    int n;
    unsigned dev, ep, type, mps; /* type: 0 control, 2 bulk */
};

static inline uint32_t hcchar_of(const struct chan_cfg *c, int in)
{
    return c->mps | c->ep << 11 | (unsigned)in << 15 | c->type << 18 | c->dev << 22;
}

static unsigned nak_total;
static int host_xact_retries = 3; /* TXERR retries per packet, as the firmware does */

/* OUT transfer of len bytes (one packet at a time), DPID code pid (0 D0, 2 D1, 3 SETUP).
 * Retries NAKs until nak_budget_ns passes. Returns the final DPID through *pid_out. */
static inline int host_out(struct host *h, const struct chan_cfg *c, unsigned pid,
                           const uint8_t *data, uint32_t len, unsigned *pid_out,
                           uint64_t nak_budget_ns)
{
    uint64_t deadline = h->now + nak_budget_ns;
    uint32_t done = 0;
    int errors = 0;
    for (;;) {
        uint32_t chunk = len - done < c->mps ? len - done : c->mps;
        wr(h, R_HCINT(c->n), 0x7FF);
        wr(h, R_HCTSIZ(c->n), chunk | 1u << 19 | pid << 29);
        wr(h, R_HCCHAR(c->n), hcchar_of(c, 0) | (1u << 31));
        for (uint32_t i = 0; i < chunk; i += 4) {
            uint32_t w = 0;
            memcpy(&w, data + done + i, chunk - i < 4 ? chunk - i : 4);
            wr(h, R_FIFO(c->n), w);
        }
        uint32_t hcint = 0;
        if (!WAIT_FOR(h, (hcint = rd(h, R_HCINT(c->n))) & 0x799, 50 * MS_NS))
            return XR_TIMEOUT;
        host_halt(h, c->n);
        if (hcint & 1) {
            pid = (rd(h, R_HCTSIZ(c->n)) >> 29) & 3;
            done += chunk;
            if (done >= len)
                break;
            continue;
        }
        if (hcint & (1u << 3))
            return XR_STALL;
        if (hcint & (1u << 7)) {
            if (++errors > host_xact_retries)
                return XR_XACT;
            continue;
        }
        if (hcint & (1u << 4)) {
            nak_total++;
            if (h->now > deadline)
                return XR_NAK_TIMEOUT;
            continue; /* NAK: write the packet again */
        }
        return XR_XACT;
    }
    if (pid_out)
        *pid_out = pid;
    return XR_OK;
}

/* IN transfer of up to len bytes with PKTCNT = ceil(len / mps): re-enables the channel after
 * each full packet while PKTCNT > 0, retries NAKs. *actual gets the bytes received. */
static inline int host_in(struct host *h, const struct chan_cfg *c, unsigned pid, uint8_t *buf,
                          uint32_t len, uint32_t *actual, unsigned *pid_out, uint64_t nak_budget_ns)
{
    uint64_t deadline = h->now + nak_budget_ns;
    uint32_t pkts = len ? (len + c->mps - 1) / c->mps : 1;
    uint32_t got = 0;
    int result = -1, errors = 0;
    wr(h, R_HCINT(c->n), 0x7FF);
    wr(h, R_HCTSIZ(c->n), pkts * c->mps | pkts << 19 | pid << 29);
    wr(h, R_HCCHAR(c->n), hcchar_of(c, 1) | (1u << 31));
    while (result < 0) {
        if (!WAIT_FOR(h, (rd(h, R_GINTSTS) & (1u << 4)) || (rd(h, R_HCINT(c->n)) & 0x799),
                      50 * MS_NS)) {
            result = XR_TIMEOUT;
            break;
        }
        if (rd(h, R_GINTSTS) & (1u << 4)) {
            uint32_t st = rd(h, R_GRXSTSP);
            unsigned bcnt = st >> 4 & 0x7FF, pktsts = st >> 17 & 0xF;
            if (pktsts == 2) {
                for (unsigned i = 0; i < bcnt; i += 4) {
                    uint32_t w = rd(h, R_FIFO(0));
                    for (unsigned k = 0; k < 4 && i + k < bcnt; k++)
                        if (got + i + k < len)
                            buf[got + i + k] = (uint8_t)(w >> 8 * k);
                }
                got += bcnt;
                uint32_t tsiz = rd(h, R_HCTSIZ(c->n));
                if (bcnt == c->mps && (tsiz >> 19 & 0x3FF) > 0)
                    wr(h, R_HCCHAR(c->n), (rd(h, R_HCCHAR(c->n)) & ~(1u << 30)) | (1u << 31));
            }
            continue;
        }
        uint32_t hcint = rd(h, R_HCINT(c->n));
        if (hcint & 1)
            result = XR_OK;
        else if (hcint & (1u << 3))
            result = XR_STALL;
        else if ((hcint & (1u << 7)) && ++errors <= host_xact_retries) {
            wr(h, R_HCINT(c->n), 1u << 7);
            wr(h, R_HCCHAR(c->n), (rd(h, R_HCCHAR(c->n)) & ~(1u << 30)) | (1u << 31));
        } else if (hcint & (1u << 7))
            result = XR_XACT;
        else if (hcint & (1u << 8))
            result = XR_BABBLE;
        else if (hcint & (1u << 10))
            result = XR_TOGGLE;
        else if (hcint & (1u << 4)) {
            nak_total++;
            wr(h, R_HCINT(c->n), 1u << 4);
            if (h->now > deadline) {
                result = XR_NAK_TIMEOUT;
                break;
            }
            wr(h, R_HCCHAR(c->n), (rd(h, R_HCCHAR(c->n)) & ~(1u << 30)) | (1u << 31));
        }
    }
    host_halt(h, c->n);
    if (pid_out)
        *pid_out = (rd(h, R_HCTSIZ(c->n)) >> 29) & 3;
    if (actual)
        *actual = got;
    return result;
}

/* Control transfer on channels 0 (OUT) and 1 (IN). */
static inline int host_control(struct host *h, unsigned dev, unsigned mps, const uint8_t setup[8],
                               uint8_t *data, uint32_t *actual)
{
    struct chan_cfg out = {0, dev, 0, 0, mps}, in = {1, dev, 0, 0, mps};
    uint16_t wlength = (uint16_t)(setup[6] | setup[7] << 8);
    uint32_t got = 0;
    int r = host_out(h, &out, 3, setup, 8, NULL, 100 * MS_NS);
    if (r != XR_OK)
        return r;
    if (setup[0] & 0x80) {
        if (wlength) {
            r = host_in(h, &in, 2, data, wlength, &got, NULL, 1000 * MS_NS);
            if (r != XR_OK)
                return r;
        }
        r = host_out(h, &out, 2, NULL, 0, NULL, 100 * MS_NS);
    } else {
        r = host_in(h, &in, 2, NULL, 0, NULL, NULL, 100 * MS_NS);
    }
    if (actual)
        *actual = got;
    return r;
}

static inline int get_descriptor(struct host *h, unsigned dev, unsigned mps, unsigned type,
                                 unsigned len, uint8_t *buf, uint32_t *actual)
{
    uint8_t s[8] = {0x80, 6, 0, (uint8_t)type, 0, 0, (uint8_t)len, (uint8_t)(len >> 8)};
    return host_control(h, dev, mps, s, buf, actual);
}

static inline int set_request(struct host *h, unsigned dev, unsigned mps, uint8_t type, uint8_t req,
                              uint16_t value, uint16_t index)
{
    uint8_t s[8] = {
        type, req, (uint8_t)value, (uint8_t)(value >> 8), (uint8_t)index, (uint8_t)(index >> 8),
        0,    0};
    return host_control(h, dev, mps, s, NULL, NULL);
}

/* Enumerates as a real host does: 8 bytes, address 1, full descriptor, configuration 1. */
static inline int host_enumerate(struct host *h, unsigned *ep0_mps)
{
    uint8_t d[18];
    uint32_t n;
    if (get_descriptor(h, 0, 64, 1, 8, d, &n) != XR_OK || n < 8)
        return 0;
    *ep0_mps = d[7];
    if (set_request(h, 0, *ep0_mps, 0x00, 5, 1, 0) != XR_OK)
        return 0;
    sleep_ns(h, 3 * MS_NS);
    if (get_descriptor(h, 1, *ep0_mps, 1, 18, d, &n) != XR_OK || n != 18)
        return 0;
    return set_request(h, 1, *ep0_mps, 0x00, 9, 1, 0) == XR_OK;
}

/* Bulk-Only command state for the tests. */
struct msc {
    struct host *h;
    unsigned mps0, bulk_mps;
    unsigned in_pid, out_pid; /* DPID codes */
    uint32_t tag;
};

static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static inline uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline int msc_open(struct msc *s, struct host *h, unsigned bulk_mps)
{
    memset(s, 0, sizeof(*s));
    s->h = h;
    s->bulk_mps = bulk_mps;
    s->tag = 0x1000;
    return host_bring_up(h) && host_enumerate(h, &s->mps0);
}

static inline int msc_send_cbw(struct msc *s, uint8_t lun, const uint8_t *cdb, unsigned cdb_len,
                               uint32_t data_len, int dir_in)
{
    uint8_t cbw[31] = {0};
    put32(cbw, 0x43425355u);
    put32(cbw + 4, ++s->tag);
    put32(cbw + 8, data_len);
    cbw[12] = dir_in ? 0x80 : 0;
    cbw[13] = lun;
    cbw[14] = (uint8_t)cdb_len;
    memcpy(cbw + 15, cdb, cdb_len);
    struct chan_cfg out = {2, 1, 2, 2, s->bulk_mps};
    return host_out(s->h, &out, s->out_pid, cbw, 31, &s->out_pid, 1000 * MS_NS);
}

static inline int msc_in(struct msc *s, uint8_t *buf, uint32_t len, uint32_t *actual)
{
    struct chan_cfg in = {3, 1, 1, 2, s->bulk_mps};
    return host_in(s->h, &in, s->in_pid, buf, len, actual, &s->in_pid, 1000 * MS_NS);
}

static inline int clear_halt(struct msc *s, uint8_t ep)
{
    int r = set_request(s->h, 1, s->mps0, 0x02, 1, 0, ep);
    if (ep & 0x80)
        s->in_pid = 0;
    else
        s->out_pid = 0;
    return r;
}

/* Runs one command: CBW, data IN (if any), CSW. Returns the CSW status, or -1 on a transport
 * failure; csw receives the 13 raw bytes. */
static inline int msc_command(struct msc *s, uint8_t lun, const uint8_t *cdb, unsigned cdb_len,
                              uint8_t *data, uint32_t data_len, uint32_t *actual, uint8_t csw[13])
{
    if (msc_send_cbw(s, lun, cdb, cdb_len, data_len, 1) != XR_OK)
        return -1;
    uint32_t got = 0;
    if (data_len) {
        int r = msc_in(s, data, data_len, &got);
        if (r == XR_STALL)
            clear_halt(s, 0x81);
        else if (r != XR_OK)
            return -1;
    }
    if (actual)
        *actual = got;
    uint32_t n = 0;
    int r = msc_in(s, csw, 13, &n);
    if (r == XR_STALL) {
        clear_halt(s, 0x81);
        r = msc_in(s, csw, 13, &n);
    }
    if (r == XR_OK && n == 0) /* a zero-length packet before the CSW */
        r = msc_in(s, csw, 13, &n);
    if (r != XR_OK || n != 13)
        return -1;
    return csw[12];
}

static inline void cdb_read10(uint8_t *cdb, uint32_t lba, uint16_t blocks)
{
    memset(cdb, 0, 10);
    cdb[0] = 0x28;
    cdb[2] = (uint8_t)(lba >> 24);
    cdb[3] = (uint8_t)(lba >> 16);
    cdb[4] = (uint8_t)(lba >> 8);
    cdb[5] = (uint8_t)lba;
    cdb[7] = (uint8_t)(blocks >> 8);
    cdb[8] = (uint8_t)blocks;
}

#endif
