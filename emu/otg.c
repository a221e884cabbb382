/* STM32F407 OTG_FS (Synopsys DWC2 2.81a) in host mode, slave/FIFO mode, register by register,
 * with the full-speed bus timing and the USB stick of stick.c behind its one port.
 * Facts: RM0090 chapter 34 (OTG_FS), Linux dwc2, ST's HAL, TinyUSB; every behaviour we
 * could not confirm is listed in docs/emulator-otg.md ("OTG_FS model: unconfirmed"). */
#include "otg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "stick.h"

#define QDEPTH     8 /* non-periodic request queue */
#define MAX_PACKET 1024
#define NEVER      UINT64_MAX

#define MS 1000000ull
#define US 1000ull

/* Register offsets. */
enum {
    GOTGCTL = 0x000,
    GOTGINT = 0x004,
    GAHBCFG = 0x008,
    GUSBCFG = 0x00C,
    GRSTCTL = 0x010,
    GINTSTS = 0x014,
    GINTMSK = 0x018,
    GRXSTSR = 0x01C,
    GRXSTSP = 0x020,
    GRXFSIZ = 0x024,
    HNPTXFSIZ = 0x028,
    HNPTXSTS = 0x02C,
    GCCFG = 0x038,
    CID = 0x03C,
    GSNPSID = 0x040,
    GHWCFG1 = 0x044,
    GHWCFG2 = 0x048,
    GHWCFG3 = 0x04C,
    GHWCFG4 = 0x050,
    GDFIFOCFG = 0x05C,
    HPTXFSIZ = 0x100,
    HCFG = 0x400,
    HFIR = 0x404,
    HFNUM = 0x408,
    HPTXSTS = 0x410,
    HAINT = 0x414,
    HAINTMSK = 0x418,
    HPRT = 0x440,
    HC_BASE = 0x500,
    PCGCCTL = 0xE00,
    FIFO_BASE = 0x1000,
    FIFO_END = 0x9000,
};

/* GUSBCFG */
#define PHYSEL (1u << 6)
#define FHMOD  (1u << 29)
#define FDMOD  (1u << 30)
/* GRSTCTL */
#define CSRST   (1u << 0)
#define HSRST   (1u << 1)
#define FCRST   (1u << 2)
#define RXFFLSH (1u << 4)
#define TXFFLSH (1u << 5)
#define AHBIDL  (1u << 31)
#define TXFNUM  (0x1Fu << 6)
/* GINTSTS */
#define CMOD        (1u << 0)
#define MMIS        (1u << 1)
#define SOF         (1u << 3)
#define RXFLVL      (1u << 4)
#define NPTXFE      (1u << 5)
#define HPRTINT     (1u << 24)
#define HCINT_SUM   (1u << 25)
#define PTXFE       (1u << 26)
#define DISCINT     (1u << 29)
#define GINTSTS_W1C 0xF030FC0Au
/* GCCFG */
#define PWRDWN (1u << 16)
/* GAHBCFG */
#define TXFELVL (1u << 7)
/* HPRT */
#define PCSTS      (1u << 0)
#define PCDET      (1u << 1)
#define PENA       (1u << 2)
#define PENCHNG    (1u << 3)
#define POCCHNG    (1u << 5)
#define PRES       (1u << 6)
#define PSUSP      (1u << 7)
#define PRST       (1u << 8)
#define PLSTS_DP   (1u << 10)
#define PPWR       (1u << 12)
#define PTCTL_MASK (0xFu << 13)
#define PSPD_FS    (1u << 17)
/* HCCHAR */
#define CHDIS         (1u << 30)
#define CHENA         (1u << 31)
#define HCCHAR_STORED 0x3FFEFFFFu
/* HCINT */
#define XFRC       (1u << 0)
#define CHH        (1u << 1)
#define STALL      (1u << 3)
#define NAK        (1u << 4)
#define ACK        (1u << 5)
#define TXERR      (1u << 7)
#define BBERR      (1u << 8)
#define FRMOR      (1u << 9)
#define DTERR      (1u << 10)
#define HCINT_MASK 0x7BBu
/* PCGCCTL */
#define STPPCLK (1u << 0)

/* DPID / GRXSTSP DPID coding. */
enum { PID_DATA0 = 0, PID_DATA2 = 1, PID_DATA1 = 2, PID_SETUP = 3 };
/* GRXSTSP PKTSTS. */
enum { RX_IN_DATA = 2, RX_IN_DONE = 3, RX_TOGGLE_ERR = 5, RX_HALTED = 7 };

/* Full-speed bus budget, in bit times (12 Mbit/s): SYNC+PID+payload+CRC+EOP per packet,
 * a bus turnaround / inter-packet gap of 8 bits after each packet. */
#define TOKEN_BITS           35
#define HANDSHAKE_BITS       19
#define GAP_BITS             8
#define TIMEOUT_BITS         18
#define SOF_BITS             (TOKEN_BITS + GAP_BITS)
#define EOF_GUARD_BITS       32
#define PORT_ENABLE_DELAY_NS (50 * US)
#define RESET_MIN_NS         (10 * MS)
#define CMOD_DELAY_NS        (25 * MS)
#define SELF_CLEAR_NS        1000
/* The host scheduler's turn for a channel-disable request at the head of the queue, once the
 * bus is idle: one inter-packet gap (our choice; no source gives the figure). */
#define HALT_TURN_BITS GAP_BITS
/* USB 2.0 7.1.11: a full-speed host's data rate is 12 Mb/s +-0.25 %. */
#define PHY_CLOCK_HZ      48000000u
#define PHY_TOLERANCE_PPM 2500u

enum req_kind { REQ_IN, REQ_OUT, REQ_HALT };
struct request {
    uint8_t kind, chan;
    uint16_t len, words;
    uint64_t at; /* REQ_HALT: written at this time */
    uint8_t data[MAX_PACKET];
};

enum outcome { X_DATA, X_ACK, X_NAK, X_STALL, X_TXERR, X_BBERR, X_DTERR };
struct transaction {
    int chan, is_in, is_setup;
    enum outcome outcome;
    uint16_t len, words;
    unsigned pid;
    uint64_t end;
    uint8_t data[STICK_MAX_PACKET];
};

struct channel {
    uint32_t hcchar, hcint, hcintmsk, hctsiz;
    int active, halting, blocked, periodic_pending;
    int chdis;             /* CHDIS written without CHENA: the next CHENA write is a halt request */
    uint32_t out_inflight; /* bytes of OUT packets queued or on the bus */
    uint8_t partial[MAX_PACKET];
    uint32_t partial_words;
    uint32_t t_bytes, t_packets, t_naks; /* trace summary of the current transfer */
};

struct rx_word {
    uint32_t word;
    uint8_t is_status;
};

struct otg_model {
    const struct otg_core_cfg *core;
    int phy_fs; /* OTG_HS: PHYSEL was set at the last core soft reset */
    struct stick *stick;
    int clocked, plugged, vbus, stick_powered, pulled_up;
    uint32_t phy_hz; /* the 48 MHz clock as the RCC delivers it */
    int phy_off_tolerance;
    uint64_t now, pullup_at;
    unsigned trace;

    uint32_t gotgctl, gahbcfg, gusbcfg, gintsts, gintmsk, grxfsiz, hnptxfsiz, hptxfsiz;
    uint32_t gccfg, cid, hcfg, hfir, haintmsk, hprt, pcgcctl;
    int host_mode, ptx_overlap_reported;
    uint64_t cmod_at;
    uint32_t grstctl_busy, grstctl_txfnum;
    uint64_t grstctl_clear_at;
    uint64_t prst_since, enable_at;

    int frames_on;
    uint64_t frame_origin;
    uint32_t frame_origin_num, frame_len_x6; /* frame length in ns * 6 */
    int64_t sof_index;                       /* last frame whose SOF was seen */

    struct channel ch[OTG_MAX_CHAN];
    struct request q[QDEPTH];
    unsigned qhead, qcount;
    uint32_t tx_used_words;

    struct rx_word rx[OTG_MAX_FIFO_WORDS];
    unsigned rxhead, rxcount, rx_statuses;

    int busy;
    struct transaction x;

    struct otg_stats stats;
    unsigned violations;
    uint8_t scratch[MAX_PACKET];
};

/* ---- helpers ---------------------------------------------------------------------------- */

static void tlog(const struct otg_model *m, uint64_t t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void tlog(const struct otg_model *m, uint64_t t, const char *fmt, ...)
{
    if (!(m->trace & 1))
        return;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    emu_log(t, "usb: %s", buf);
}

/* The firmware did something RM0090 forbids or leaves undefined: always logged (the first
 * few), counted, and the model does the strict thing. */
static void violation(struct otg_model *m, uint64_t t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void violation(struct otg_model *m, uint64_t t, const char *fmt, ...)
{
    m->violations++;
    m->stats.protocol_errors++;
    if (m->violations > 20)
        return;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    emu_log(t, "otg: firmware error: %s%s", buf,
            m->violations == 20 ? " (further errors not shown)" : "");
}

static uint64_t bits_ns(unsigned bits)
{
    return ((uint64_t)bits * 250 + 2) / 3; /* 83.33 ns per bit */
}

static unsigned data_bits(unsigned len)
{
    return TOKEN_BITS + 8 * len; /* SYNC, PID, payload, CRC16, EOP: same 35-bit frame */
}

static unsigned ch_mps(const struct channel *c)
{
    return c->hcchar & 0x7FF;
}
static unsigned ch_epnum(const struct channel *c)
{
    return (c->hcchar >> 11) & 0xF;
}
static int ch_is_in(const struct channel *c)
{
    return (c->hcchar >> 15) & 1;
}
static unsigned ch_eptyp(const struct channel *c)
{
    return (c->hcchar >> 18) & 3;
}
static unsigned ch_dad(const struct channel *c)
{
    return (c->hcchar >> 22) & 0x7F;
}
static int ch_periodic(const struct channel *c)
{
    return ch_eptyp(c) == 1 || ch_eptyp(c) == 3;
}
static uint32_t ch_xfrsiz(const struct channel *c)
{
    return c->hctsiz & 0x7FFFF;
}
static uint32_t ch_pktcnt(const struct channel *c)
{
    return (c->hctsiz >> 19) & 0x3FF;
}
static unsigned ch_dpid(const struct channel *c)
{
    return (c->hctsiz >> 29) & 3;
}
static void ch_set_size(struct channel *c, uint32_t xfrsiz, uint32_t pktcnt, unsigned dpid)
{
    c->hctsiz = (c->hctsiz & 0x80000000u) | (xfrsiz & 0x7FFFF) | (pktcnt & 0x3FF) << 19 |
                (uint32_t)(dpid & 3) << 29;
}

static const char *ch_kind(const struct channel *c)
{
    static const char *const names[4] = {"CTRL", "ISOC", "BULK", "INTR"};
    return names[ch_eptyp(c)];
}

static unsigned rxfd(const struct otg_model *m)
{
    return m->grxfsiz & 0xFFFF;
}
static unsigned nptxfd(const struct otg_model *m)
{
    return m->hnptxfsiz >> 16;
}

static int ranges_overlap(unsigned a, unsigned alen, unsigned b, unsigned blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

/* RM0090 34.16.2 (GRXFSIZ, HNPTXFSIZ): RX FIFO at 0, non-periodic TX FIFO at its start
 * address, each 16..256 words in the 320 words of FIFO RAM (OTG_HS: 16..1024 in 1024, 35.12.2),
 * no overlap. Without that,
 * non-periodic requests do not start (the data would be corrupted). */
static int fifo_layout_ok(const struct otg_model *m)
{
    unsigned rx = rxfd(m), sa = m->hnptxfsiz & 0xFFFF, np = nptxfd(m);
    unsigned most = m->core->fifo_max;
    return rx >= 16 && rx <= most && np >= 16 && np <= most && sa >= rx &&
           sa + np <= m->core->fifo_words;
}

/* The periodic TX FIFO (HPTXFSIZ) overlapping the RX or non-periodic TX FIFO. Reported (once
 * per layout), but nothing is blocked: the model keeps no periodic TX data, and on silicon the
 * overlap corrupts data only once periodic OUT data is written (a host with no periodic
 * channels may even leave the reset value, which lies outside the RAM). */
static int ptx_overlaps(const struct otg_model *m)
{
    unsigned psa = m->hptxfsiz & 0xFFFF, pd = m->hptxfsiz >> 16;
    return ranges_overlap(0, rxfd(m), psa, pd) ||
           ranges_overlap(m->hnptxfsiz & 0xFFFF, nptxfd(m), psa, pd);
}

static unsigned rx_free(const struct otg_model *m)
{
    unsigned cap = rxfd(m) > m->core->fifo_words ? m->core->fifo_words : rxfd(m);
    return cap > m->rxcount ? cap - m->rxcount : 0;
}

static void rx_push(struct otg_model *m, uint32_t word, int is_status)
{
    unsigned i = (m->rxhead + m->rxcount) % OTG_MAX_FIFO_WORDS;
    m->rx[i].word = word;
    m->rx[i].is_status = (uint8_t)is_status;
    m->rxcount++;
    if (is_status)
        m->rx_statuses++;
}

static void rx_push_status(struct otg_model *m, unsigned chan, unsigned bcnt, unsigned dpid,
                           unsigned pktsts)
{
    rx_push(m, chan | bcnt << 4 | dpid << 15 | pktsts << 17, 1);
}

static struct rx_word rx_pop(struct otg_model *m)
{
    struct rx_word w = m->rx[m->rxhead];
    m->rxhead = (m->rxhead + 1) % OTG_MAX_FIFO_WORDS;
    m->rxcount--;
    if (w.is_status)
        m->rx_statuses--;
    return w;
}

static void rx_flush(struct otg_model *m)
{
    m->rxhead = m->rxcount = m->rx_statuses = 0;
}

/* ---- frames ----------------------------------------------------------------------------- */

/* Frame k starts at the first whole ns at or after origin + k * HFIR / 48 MHz (rounded up),
 * and frame_index(t) is the largest k with frame_start(k) <= t: the two agree exactly for
 * every HFIR, so a due SOF is always consumed (an HFIR of 47999, TinyUSB's value, is not a
 * whole number of ns). */
static uint64_t frame_start(const struct otg_model *m, int64_t k)
{
    return m->frame_origin + ((uint64_t)k * m->frame_len_x6 + 5) / 6;
}

static int64_t frame_index(const struct otg_model *m, uint64_t t)
{
    if (t < m->frame_origin)
        return 0;
    return (int64_t)((t - m->frame_origin) * 6 / m->frame_len_x6);
}

static void frames_start(struct otg_model *m, uint64_t t)
{
    uint32_t frivl = m->hfir & 0xFFFF;
    m->frames_on = 1;
    m->frame_origin = t;
    m->frame_len_x6 = (frivl ? frivl : 1) * 125u; /* 48 MHz PHY clocks -> ns * 6 */
    m->frame_origin_num = 0;
    m->sof_index = -1;
}

/* ---- the request queue ------------------------------------------------------------------ */

static struct request *q_at(struct otg_model *m, unsigned i)
{
    return &m->q[(m->qhead + i) % QDEPTH];
}

static struct request *q_push(struct otg_model *m, enum req_kind kind, unsigned chan)
{
    struct request *r = q_at(m, m->qcount);
    m->qcount++;
    r->kind = (uint8_t)kind;
    r->chan = (uint8_t)chan;
    r->len = r->words = 0;
    return r;
}

static void q_pop(struct otg_model *m)
{
    m->qhead = (m->qhead + 1) % QDEPTH;
    m->qcount--;
}

/* Removes the channel's requests (and their TX FIFO data) that have not started yet. */
static void q_flush_channel(struct otg_model *m, unsigned chan, int only_out)
{
    struct request keep[QDEPTH];
    unsigned n = 0;
    for (unsigned i = 0; i < m->qcount; i++) {
        struct request *r = q_at(m, i);
        int drop = r->chan == chan && (r->kind == REQ_OUT || (!only_out && r->kind == REQ_IN));
        if (!drop) {
            keep[n++] = *r;
            continue;
        }
        if (r->kind == REQ_OUT) {
            m->tx_used_words -= r->words;
            m->ch[chan].out_inflight -= r->len;
        }
    }
    m->qhead = 0;
    m->qcount = n;
    memcpy(m->q, keep, n * sizeof(keep[0]));
}

/* ---- port ------------------------------------------------------------------------------- */

static void complete_halt(struct otg_model *m, unsigned n)
{
    struct channel *c = &m->ch[n];
    c->hcint |= CHH;
    c->active = c->halting = c->blocked = c->periodic_pending = c->chdis = 0;
    m->tx_used_words -= c->partial_words;
    c->partial_words = 0;
}

/* A halt that does not go through the request queue (a disconnect). */
static void force_halt(struct otg_model *m, unsigned n)
{
    struct channel *c = &m->ch[n];
    if (!c->active)
        return;
    q_flush_channel(m, n, 0);
    struct request keep[QDEPTH]; /* and its queued halt entry, if any */
    unsigned k = 0;
    for (unsigned i = 0; i < m->qcount; i++)
        if (!(q_at(m, i)->chan == n && q_at(m, i)->kind == REQ_HALT))
            keep[k++] = *q_at(m, i);
    m->qhead = 0;
    m->qcount = k;
    memcpy(m->q, keep, k * sizeof(keep[0]));
    if (ch_is_in(c) && !ch_periodic(c) && rx_free(m) >= 1) {
        rx_push_status(m, n, 0, 0, RX_HALTED);
        c->halting = 1; /* CHH when the firmware pops the entry */
        m->tx_used_words -= c->partial_words;
        c->partial_words = 0;
    } else {
        complete_halt(m, n);
    }
}

static int line_connected(const struct otg_model *m)
{
    return m->stick && m->stick_powered && m->pulled_up && stick_on_bus(m->stick);
}

static int core_sees_device(const struct otg_model *m)
{
    return line_connected(m) && m->host_mode && (m->hprt & PPWR) && (m->gccfg & PWRDWN) &&
           (m->gusbcfg & PHYSEL) && (!m->core->hs || m->phy_fs) && !(m->pcgcctl & STPPCLK);
}

static void port_disable(struct otg_model *m)
{
    if (m->hprt & PENA)
        m->hprt |= PENCHNG;
    m->hprt &= ~(PENA | (3u << 17));
    m->frames_on = 0;
}

static void abort_transaction(struct otg_model *m)
{
    if (!m->busy)
        return;
    m->busy = 0;
    if (!m->x.is_in) /* the packet was taken from the queue: its data is gone */
        m->ch[m->x.chan].out_inflight -= m->x.len;
}

static void sense_port(struct otg_model *m, uint64_t t)
{
    int sees = core_sees_device(m);
    if (sees && !(m->hprt & PCSTS)) {
        m->hprt |= PCSTS | PCDET;
        tlog(m, t, "port: device connected");
    } else if (!sees && (m->hprt & PCSTS)) {
        m->hprt &= ~(PCSTS | PSUSP); /* a disconnect ends a suspend */
        m->gintsts |= DISCINT;
        port_disable(m);
        m->enable_at = NEVER;
        abort_transaction(m);
        for (unsigned n = 0; n < m->core->nchan; n++)
            force_halt(m, n);
        tlog(m, t, "port: device disconnected");
    }
}

static void stick_power_update(struct otg_model *m, uint64_t t)
{
    int on = m->stick && m->plugged && m->vbus;
    if (on == m->stick_powered)
        return;
    m->stick_powered = on;
    m->pulled_up = 0;
    m->pullup_at = NEVER;
    if (m->stick) {
        stick_power(m->stick, on, t);
        if (on)
            m->pullup_at = t + stick_connect_delay_ns(m->stick);
    }
    sense_port(m, t);
}

/* ---- registers to reset values ---------------------------------------------------------- */

static void channels_reset(struct otg_model *m)
{
    memset(m->ch, 0, sizeof(m->ch));
    m->qhead = m->qcount = 0;
    m->tx_used_words = 0;
    rx_flush(m);
    m->busy = 0;
}

static void registers_reset(struct otg_model *m)
{
    m->gotgctl = 0x00000800;
    m->gahbcfg = 0;
    m->gusbcfg = 0x00000A00;
    m->gintsts = 0;
    m->gintmsk = 0;
    m->grxfsiz = 0x00000200;
    m->hnptxfsiz = 0x00000200;
    m->hptxfsiz = 0x02000600;
    m->gccfg = 0;
    m->cid = m->core->cid;
    m->phy_fs = 0;
    m->hcfg = 0;
    m->hfir = 0xEA60;
    m->haintmsk = 0;
    m->hprt = 0;
    m->pcgcctl = 0;
    m->host_mode = 0;
    m->cmod_at = NEVER;
    m->grstctl_busy = 0;
    m->grstctl_clear_at = NEVER;
    m->enable_at = NEVER;
    m->frames_on = 0;
    channels_reset(m);
}

/* ---- life cycle ------------------------------------------------------------------------- */

/* OTG_FS: release 2.81a, hardware configuration as dumped from an F407 in TinyUSB's
 * src/portable/synopsys/dwc2/dwc2_info.md ("ST F207/F407/411/429 FS": 8 host channels, slave
 * only, 8-deep request queues); 1.25 KB (320 words) of FIFO RAM, RXFD/NPTXFD 16-256 words
 * (RM0090 34.1, 34.16.2). */
const struct otg_core_cfg otg_fs_core = {
    .name = "OTG_FS",
    .nchan = 8,
    .fifo_words = 320,
    .fifo_max = 256,
    .cid = 0x00001200u,
    .gsnpsid = 0x4F54281Au,
    .ghwcfg = {0x00000000u, 0x229DCD20u, 0x020001E8u, 0x0FF08030u},
};

/* OTG_HS: the same release; TinyUSB's dump "ST F407/429 HS": GHWCFG2 0x229ED590 = 12 host
 * channels, internal DMA, ULPI and dedicated FS PHY; CID 0x1100. 4 KB (1024 words) of FIFO
 * RAM, RXFD/NPTXFD 16-1024 words, 12 channels (RM0090 35.1, 35.12.2). */
const struct otg_core_cfg otg_hs_core = {
    .name = "OTG_HS",
    .nchan = 12,
    .fifo_words = 1024,
    .fifo_max = 1024,
    .cid = 0x00001100u,
    .gsnpsid = 0x4F54281Au,
    .ghwcfg = {0x00000000u, 0x229ED590u, 0x03F403E8u, 0x17F00030u},
    .hs = 1,
};

struct otg_model *otg_create(const char *disk_path, const char *profile_path, char *err,
                             size_t err_len)
{
    return otg_create_core(&otg_fs_core, disk_path, profile_path, err, err_len);
}

struct otg_model *otg_create_core(const struct otg_core_cfg *core, const char *disk_path,
                                  const char *profile_path, char *err, size_t err_len)
{
    struct otg_model *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    m->core = core;
    if (disk_path || profile_path) {
        struct stick *s = stick_create(disk_path, profile_path, err, err_len);
        if (!s) {
            free(m);
            return NULL;
        }
        if (disk_path)
            m->stick = s;
        else
            stick_destroy(s); /* profile checked, but no stick in the port */
    }
    m->plugged = 0; /* the core inserts it with otg_set_plugged() (--plug-at-ms) */
    m->clocked = 1;
    m->phy_hz = PHY_CLOCK_HZ;
    registers_reset(m);
    return m;
}

void otg_destroy(struct otg_model *m)
{
    if (!m)
        return;
    stick_destroy(m->stick);
    free(m);
}

void otg_power_on(struct otg_model *m, uint64_t now_ns)
{
    registers_reset(m);
    m->now = now_ns;
    m->vbus = 0;
    stick_power_update(m, now_ns);
}

void otg_core_reset(struct otg_model *m, uint64_t now_ns)
{
    otg_advance(m, now_ns);
    registers_reset(m);
    sense_port(m, now_ns);
}

void otg_set_vbus(struct otg_model *m, int on, uint64_t now_ns)
{
    otg_advance(m, now_ns);
    m->vbus = on != 0;
    stick_power_update(m, now_ns);
}

void otg_set_plugged(struct otg_model *m, int plugged, uint64_t now_ns)
{
    otg_advance(m, now_ns);
    m->plugged = plugged != 0;
    tlog(m, now_ns, "stick %s", plugged ? "inserted" : "removed");
    stick_power_update(m, now_ns);
}

void otg_set_clocked(struct otg_model *m, int clocked)
{
    m->clocked = clocked != 0;
}

void otg_set_phy_clock_hz(struct otg_model *m, uint32_t hz)
{
    uint32_t dev = hz > PHY_CLOCK_HZ ? hz - PHY_CLOCK_HZ : PHY_CLOCK_HZ - hz;
    int off = (uint64_t)dev * 1000000u > (uint64_t)PHY_CLOCK_HZ * PHY_TOLERANCE_PPM;
    if (off && (!m->phy_off_tolerance || hz != m->phy_hz))
        emu_log(m->now,
                "otg: 48 MHz clock at %u Hz, outside USB's +-0.25 %%: no transaction "
                "will succeed",
                hz);
    m->phy_hz = hz;
    m->phy_off_tolerance = off;
}

void otg_set_trace(struct otg_model *m, unsigned flags)
{
    m->trace = flags;
    if (m->stick)
        stick_set_trace(m->stick, flags);
}

void otg_get_stats(const struct otg_model *m, struct otg_stats *out)
{
    *out = m->stats;
    if (m->stick)
        stick_add_stats(m->stick, out);
}

/* ---- transactions ----------------------------------------------------------------------- */

static int port_running(const struct otg_model *m)
{
    return m->frames_on && (m->hprt & PENA) && !(m->hprt & PSUSP) && !(m->hprt & PRST);
}

static unsigned worst_bits(unsigned mps)
{
    return TOKEN_BITS + GAP_BITS + data_bits(mps) + GAP_BITS + HANDSHAKE_BITS + GAP_BITS;
}

/* Earliest time >= t at which a transaction of up to `bits` fits in a frame after the SOF
 * and before the end-of-frame guard. */
static uint64_t fit_in_frame(const struct otg_model *m, uint64_t t, unsigned bits)
{
    int64_t k = frame_index(m, t);
    for (int tries = 0; tries < 3; tries++, k++) {
        uint64_t fs = frame_start(m, k), fe = frame_start(m, k + 1);
        uint64_t start = t > fs + bits_ns(SOF_BITS) ? t : fs + bits_ns(SOF_BITS);
        if (start + bits_ns(bits) + bits_ns(EOF_GUARD_BITS) <= fe)
            return start;
    }
    return frame_start(m, k) + bits_ns(SOF_BITS); /* longer than a frame: start anyway */
}

/* A disable request at the head of the queue is handled by the scheduler once the bus is
 * idle: after the transaction in progress (the caller checks m->busy) and the SOF, plus the
 * scheduler's turn. RM0090 34.17.4 "Halting a channel": the core does not interrupt a
 * transaction already started on the bus; Linux dwc2 (hcd.c, dwc2_hc_halt) waits for CHH
 * for the same reason. */
static uint64_t halt_time(const struct otg_model *m, const struct request *r, uint64_t t)
{
    uint64_t when = r->at + bits_ns(HALT_TURN_BITS);
    if (when < t)
        when = t;
    uint64_t sof_end = frame_start(m, frame_index(m, when)) + bits_ns(SOF_BITS);
    return when < sof_end ? sof_end : when;
}

/* When the request at the head of the queue can start (>= t), or NEVER if it waits for the
 * firmware (RX FIFO space, a halt, a port) or the bus is busy. */
static uint64_t head_start_time(const struct otg_model *m, uint64_t t)
{
    if (m->busy || !m->qcount || !port_running(m))
        return NEVER;
    const struct request *r = &m->q[m->qhead];
    const struct channel *c = &m->ch[r->chan];
    if (r->kind == REQ_HALT)
        return (ch_is_in(c) && rx_free(m) < 1) ? NEVER : halt_time(m, r, t);
    if (c->blocked || !fifo_layout_ok(m))
        return NEVER;
    unsigned mps = ch_mps(c);
    if (r->kind == REQ_IN && rx_free(m) < 2 + (mps + 3) / 4)
        return NEVER;
    return fit_in_frame(m, t, worst_bits(r->kind == REQ_IN ? mps : r->len));
}

static void process_halt(struct otg_model *m, unsigned n)
{
    struct channel *c = &m->ch[n];
    if (ch_is_in(c)) {
        rx_push_status(m, n, 0, 0, RX_HALTED); /* CHH once popped */
        m->tx_used_words -= c->partial_words;
        c->partial_words = 0;
    } else {
        complete_halt(m, n);
    }
}

static void start_transaction(struct otg_model *m, uint64_t t)
{
    struct request *r = &m->q[m->qhead];
    unsigned n = r->chan;
    struct channel *c = &m->ch[n];
    struct transaction *x = &m->x;
    unsigned mps = ch_mps(c), dpid = ch_dpid(c), addr = ch_dad(c), ep = ch_epnum(c);
    /* FSLSPCS, LSDEV, or a 48 MHz clock outside USB's +-0.25 %: the device cannot decode
     * the token (no answer, TXERR) */
    int bad_phy = (m->hcfg & 3) != 1 || (c->hcchar & (1u << 17)) || m->phy_off_tolerance;
    unsigned bits;

    memset(x, 0, offsetof(struct transaction, data));
    x->chan = (int)n;
    x->is_in = r->kind == REQ_IN;
    m->busy = 1;
    m->stats.transactions++;

    if (x->is_in) {
        q_pop(m);
        size_t len = 0;
        unsigned pid = 0;
        enum stick_reply rep = bad_phy || !m->stick
                                   ? STICK_SILENT
                                   : stick_in(m->stick, addr, ep, x->data, &len, &pid, t);
        bits = TOKEN_BITS + GAP_BITS;
        switch (rep) {
        case STICK_DATA:
            bits += data_bits((unsigned)len);
            if (len > mps || len > ch_xfrsiz(c)) {
                stick_in_handshake(m->stick, 0, t); /* babble: no ACK from the host */
                x->outcome = X_BBERR;
                bits += TIMEOUT_BITS + GAP_BITS;
                break;
            }
            stick_in_handshake(m->stick, 1, t); /* the host ACKs even a toggle mismatch */
            bits += GAP_BITS + HANDSHAKE_BITS + GAP_BITS;
            x->len = (uint16_t)len;
            x->pid = pid;
            x->outcome = (dpid == PID_DATA0 && pid == 0) || (dpid == PID_DATA1 && pid == 1)
                             ? X_DATA
                             : X_DTERR;
            break;
        case STICK_NAK:
        case STICK_STALL:
            bits += HANDSHAKE_BITS + GAP_BITS;
            x->outcome = rep == STICK_NAK ? X_NAK : X_STALL;
            break;
        default:
            bits = TOKEN_BITS + TIMEOUT_BITS + GAP_BITS;
            x->outcome = X_TXERR;
            break;
        }
    } else {
        x->len = r->len;
        x->words = r->words;
        memcpy(x->data, r->data, r->len);
        q_pop(m);
        m->tx_used_words -= x->words; /* the core reads the packet out of the TX FIFO */
        x->is_setup = ch_eptyp(c) == 0 && dpid == PID_SETUP;
        enum stick_reply rep = STICK_SILENT;
        if (!bad_phy && m->stick) {
            if (x->is_setup)
                rep = stick_setup(m->stick, addr, ep, x->data, x->len, t);
            else
                rep = stick_out(m->stick, addr, ep,
                                dpid == PID_DATA0   ? 0
                                : dpid == PID_DATA1 ? 1
                                                    : 2,
                                x->data, x->len, t);
        }
        if (x->is_setup && (m->trace & 1)) {
            const uint8_t *d = x->data;
            tlog(m, t, "ch%u SETUP dev %u: %02x %02x %02x%02x %02x%02x %02x%02x", n, addr, d[0],
                 d[1], d[3], d[2], d[5], d[4], d[7], d[6]);
        }
        bits = TOKEN_BITS + GAP_BITS + data_bits(x->len);
        switch (rep) {
        case STICK_ACK:
        case STICK_NAK:
        case STICK_STALL:
            bits += GAP_BITS + HANDSHAKE_BITS + GAP_BITS;
            x->outcome = rep == STICK_ACK ? X_ACK : rep == STICK_NAK ? X_NAK : X_STALL;
            break;
        default:
            bits += TIMEOUT_BITS + GAP_BITS;
            x->outcome = X_TXERR;
            break;
        }
    }
    x->end = t + bits_ns(bits);
}

static void transfer_done_trace(struct otg_model *m, uint64_t t, unsigned n, const char *what)
{
    struct channel *c = &m->ch[n];
    tlog(m, t, "ch%u %s %s dev %u ep %u: %s, %u bytes in %u packets, %u NAKs", n, ch_kind(c),
         ch_is_in(c) ? "IN" : "OUT", ch_dad(c), ch_epnum(c), what, c->t_bytes, c->t_packets,
         c->t_naks);
    c->t_bytes = c->t_packets = c->t_naks = 0;
}

static void finish_transaction(struct otg_model *m, uint64_t t)
{
    struct transaction *x = &m->x;
    unsigned n = (unsigned)x->chan;
    struct channel *c = &m->ch[n];
    m->busy = 0;
    if (!x->is_in)
        c->out_inflight -= x->len;

    unsigned dpid = ch_dpid(c);
    unsigned next_pid = dpid == PID_DATA0 ? PID_DATA1 : dpid == PID_DATA1 ? PID_DATA0 : dpid;
    switch (x->outcome) {
    case X_DATA: {
        m->stats.usb_in_bytes += x->len;
        c->t_bytes += x->len;
        c->t_packets++;
        rx_push_status(m, n, x->len, x->pid ? PID_DATA1 : PID_DATA0, RX_IN_DATA);
        for (unsigned i = 0; i < x->len; i += 4) {
            uint8_t b[4] = {0xEE, 0xEE, 0xEE, 0xEE}; /* FIFO RAM leftovers past the packet */
            memcpy(b, x->data + i, x->len - i < 4 ? x->len - i : 4);
            rx_push(m,
                    (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                        (uint32_t)b[3] << 24,
                    0);
        }
        uint32_t pktcnt = ch_pktcnt(c) ? ch_pktcnt(c) - 1 : 0;
        ch_set_size(c, ch_xfrsiz(c) - x->len, pktcnt, next_pid);
        c->hcint |= ACK;
        if (pktcnt == 0 || x->len < ch_mps(c)) {
            rx_push_status(m, n, 0, next_pid, RX_IN_DONE); /* XFRC when popped */
            transfer_done_trace(m, t, n, "done");
        }
        break;
    }
    case X_ACK: {
        m->stats.usb_out_bytes += x->len;
        c->t_bytes += x->len;
        c->t_packets++;
        uint32_t pktcnt = ch_pktcnt(c) ? ch_pktcnt(c) - 1 : 0;
        uint32_t size = ch_xfrsiz(c) > x->len ? ch_xfrsiz(c) - x->len : 0;
        ch_set_size(c, size, pktcnt, x->is_setup ? PID_DATA1 : next_pid);
        c->hcint |= ACK;
        if (pktcnt == 0) {
            c->hcint |= XFRC;
            /* Slave mode: the core disables an OUT/SETUP channel itself when the transfer
             * completes (Linux dwc2 hcd_intr.c, dwc2_complete_non_periodic_xfer: "The channel
             * is automatically disabled by the core for OUT transfers in Slave mode"). CHENA
             * reads 0 and no CHH follows unless the firmware asks for a halt. */
            if (!c->halting)
                c->active = c->blocked = 0;
            if (!x->is_setup)
                transfer_done_trace(m, t, n, "done");
            else
                c->t_bytes = c->t_packets = c->t_naks = 0;
        }
        break;
    }
    case X_NAK:
        m->stats.naks++;
        c->t_naks++;
        c->hcint |= NAK;
        if (!x->is_in)
            c->blocked = 1; /* the packet is gone: halt and write it again */
        break;
    case X_STALL:
        m->stats.stalls++;
        c->hcint |= STALL;
        c->blocked = !x->is_in;
        transfer_done_trace(m, t, n, "STALL");
        break;
    case X_TXERR:
        m->stats.xact_errors++;
        c->hcint |= TXERR;
        c->blocked = !x->is_in;
        tlog(m, t, "ch%u %s dev %u ep %u: transaction error", n, ch_is_in(c) ? "IN" : "OUT",
             ch_dad(c), ch_epnum(c));
        break;
    case X_BBERR:
        m->stats.xact_errors++;
        c->hcint |= BBERR;
        tlog(m, t, "ch%u IN dev %u ep %u: babble", n, ch_dad(c), ch_epnum(c));
        break;
    case X_DTERR:
        m->stats.xact_errors++;
        rx_push_status(m, n, 0, x->pid ? PID_DATA1 : PID_DATA0, RX_TOGGLE_ERR);
        c->hcint |= ACK;
        tlog(m, t, "ch%u IN dev %u ep %u: data toggle error (got DATA%u)", n, ch_dad(c),
             ch_epnum(c), x->pid);
        break;
    }
    if (m->stick && !stick_on_bus(m->stick))
        sense_port(m, t);
}

/* Starts whatever can start at t: halts at the head of the queue, then one transaction. */
static void try_start(struct otg_model *m, uint64_t t)
{
    while (!m->busy && m->qcount && port_running(m)) {
        const struct request *r = &m->q[m->qhead];
        unsigned n = r->chan;
        if (r->kind == REQ_HALT) {
            if ((ch_is_in(&m->ch[n]) && rx_free(m) < 1) || halt_time(m, r, t) > t)
                break;
            q_pop(m);
            process_halt(m, n);
        } else if (r->kind == REQ_IN && ch_pktcnt(&m->ch[n]) == 0) {
            violation(m, t, "IN request on channel %u with PKTCNT = 0: dropped", n);
            q_pop(m);
        } else {
            break;
        }
    }
    if (head_start_time(m, t) == t)
        start_transaction(m, t);
}

/* ---- periodic channels (no periodic endpoint on the stick: see the docs) ---------------- */

static void periodic_frame(struct otg_model *m, uint64_t t, uint32_t frnum)
{
    for (unsigned n = 0; n < m->core->nchan; n++) {
        struct channel *c = &m->ch[n];
        if (!c->periodic_pending)
            continue;
        c->periodic_pending = 0;
        int odd = (c->hcchar >> 29) & 1;
        if ((int)(frnum & 1) != odd) {
            c->hcint |= FRMOR; /* scheduled for a frame that has already begun */
            continue;
        }
        m->stats.transactions++;
        m->stats.xact_errors++;
        c->hcint |= TXERR; /* the function has no such endpoint: no answer */
        tlog(m, t, "ch%u %s dev %u ep %u: no answer", n, ch_kind(c), ch_dad(c), ch_epnum(c));
    }
}

/* ---- time ------------------------------------------------------------------------------- */

uint64_t otg_next_event_ns(const struct otg_model *m)
{
    uint64_t t = NEVER;
#define CONSIDER(v)                                                                                \
    do {                                                                                           \
        uint64_t v_ = (v);                                                                         \
        if (v_ < t)                                                                                \
            t = v_;                                                                                \
    } while (0)
    CONSIDER(m->cmod_at);
    CONSIDER(m->grstctl_clear_at);
    if (m->stick_powered && !m->pulled_up)
        CONSIDER(m->pullup_at);
    CONSIDER(m->enable_at);
    if (m->busy)
        CONSIDER(m->x.end);
    if (m->frames_on)
        CONSIDER(frame_start(m, m->sof_index + 1));
    CONSIDER(head_start_time(m, m->now));
#undef CONSIDER
    return t < m->now ? m->now : t;
}

static void process_events(struct otg_model *m, uint64_t t)
{
    m->now = t;
    if (m->grstctl_clear_at <= t) {
        m->grstctl_busy = 0;
        m->grstctl_clear_at = NEVER;
    }
    if (m->cmod_at <= t) {
        m->cmod_at = NEVER;
        m->host_mode = 1;
        sense_port(m, t);
    }
    if (m->stick_powered && !m->pulled_up && m->pullup_at <= t) {
        m->pulled_up = 1;
        sense_port(m, t);
    }
    if (m->enable_at <= t) {
        m->enable_at = NEVER;
        if (m->hprt & PCSTS) {
            m->hprt |= PENA | PENCHNG | PSPD_FS;
            frames_start(m, t);
            tlog(m, t, "port: enabled, full speed");
        }
    }
    if (m->busy && m->x.end <= t)
        finish_transaction(m, t);
    if (m->frames_on && frame_start(m, m->sof_index + 1) <= t) {
        m->sof_index = frame_index(m, t);
        m->gintsts |= SOF;
        periodic_frame(m, t, (uint32_t)(m->frame_origin_num + m->sof_index) & 0x3FFF);
    }
    try_start(m, t);
}

void otg_advance(struct otg_model *m, uint64_t now_ns)
{
    for (;;) {
        uint64_t t = otg_next_event_ns(m);
        if (t > now_ns)
            break;
        process_events(m, t);
        /* Everything due at t has been handled, so the next event lies after t. If not, the
         * model would report the same event forever and the emulator would spin without
         * advancing time (a firmware in WFI waits for exactly that event): a model bug. */
        if (otg_next_event_ns(m) <= t) {
            fprintf(stderr,
                    "stickemu: internal error: OTG_FS model event at %llu ns never clears\n",
                    (unsigned long long)t);
            abort();
        }
    }
    if (now_ns > m->now)
        m->now = now_ns;
}

/* ---- register reads --------------------------------------------------------------------- */

static uint32_t haint(const struct otg_model *m)
{
    uint32_t v = 0;
    for (unsigned n = 0; n < m->core->nchan; n++)
        if (m->ch[n].hcint & m->ch[n].hcintmsk)
            v |= 1u << n;
    return v;
}

static uint32_t read_gintsts(const struct otg_model *m)
{
    uint32_t v = m->gintsts & GINTSTS_W1C;
    unsigned np = nptxfd(m);
    int empty = (m->gahbcfg & TXFELVL) ? m->tx_used_words == 0 : m->tx_used_words <= np / 2;
    if (empty)
        v |= NPTXFE;
    v |= PTXFE; /* nothing is ever left in the periodic TX FIFO (see the docs) */
    if (m->host_mode) {
        v |= CMOD;
        if (m->rx_statuses)
            v |= RXFLVL;
        if (m->hprt & (PCDET | PENCHNG | POCCHNG))
            v |= HPRTINT;
        if (haint(m) & m->haintmsk)
            v |= HCINT_SUM;
    }
    return v;
}

int otg_irq_level(const struct otg_model *m)
{
    return (m->gahbcfg & 1u) && (read_gintsts(m) & m->gintmsk) != 0;
}

static uint32_t read_hprt(const struct otg_model *m)
{
    uint32_t v = m->hprt;
    if ((v & PCSTS) && !(v & PRST))
        v |= PLSTS_DP; /* J state of a full-speed device; SE0 during reset */
    return v;
}

static uint32_t read_hfnum(const struct otg_model *m)
{
    if (!m->frames_on)
        return 0x3FFF;
    int64_t k = frame_index(m, m->now);
    uint32_t frnum = (uint32_t)(m->frame_origin_num + (uint64_t)k) & 0x3FFF;
    uint64_t into = m->now - frame_start(m, k);
    uint64_t clocks = into * 48 / 1000;
    uint32_t frivl = m->frame_len_x6 / 125;
    uint32_t ftrem = clocks < frivl ? frivl - (uint32_t)clocks : 0;
    return frnum | ftrem << 16;
}

static uint32_t read_hnptxsts(const struct otg_model *m)
{
    uint32_t avail = nptxfd(m) > m->tx_used_words ? nptxfd(m) - m->tx_used_words : 0;
    uint32_t v = avail | (uint32_t)(QDEPTH - m->qcount) << 16;
    if (m->qcount) {
        const struct request *r = &m->q[m->qhead];
        unsigned type = r->kind == REQ_HALT ? 3 : (r->kind == REQ_OUT && r->len == 0) ? 1 : 0;
        v |= (uint32_t)type << 25 | (uint32_t)r->chan << 27;
    }
    return v;
}

static uint32_t pop_rx_status(struct otg_model *m, uint64_t t)
{
    if (!m->rxcount) {
        violation(m, t, "GRXSTSP read with an empty RX FIFO");
        return 0;
    }
    if (!m->rx[m->rxhead].is_status) {
        unsigned dropped = 0;
        while (m->rxcount && !m->rx[m->rxhead].is_status) {
            rx_pop(m);
            dropped++;
        }
        violation(m, t, "GRXSTSP read with %u data words of the previous packet unread", dropped);
        if (!m->rxcount)
            return 0;
    }
    uint32_t w = rx_pop(m).word;
    unsigned n = w & 0xF, pktsts = (w >> 17) & 0xF;
    if (n < m->core->nchan) {
        struct channel *c = &m->ch[n];
        if (pktsts == RX_IN_DONE)
            c->hcint |= XFRC;
        else if (pktsts == RX_TOGGLE_ERR)
            c->hcint |= DTERR;
        else if (pktsts == RX_HALTED) {
            complete_halt(m, n);
        }
    }
    try_start(m, t); /* RX FIFO space may unblock an IN */
    return w;
}

static uint32_t read_fifo(struct otg_model *m, uint64_t t)
{
    if (!m->rxcount || m->rx[m->rxhead].is_status) {
        violation(m, t, "RX FIFO data read with no packet data pending");
        return 0;
    }
    uint32_t w = rx_pop(m).word;
    try_start(m, t);
    return w;
}

static uint32_t read_reg(struct otg_model *m, uint32_t off, uint64_t t)
{
    if (off >= FIFO_BASE && off < FIFO_END)
        return m->host_mode ? read_fifo(m, t) : 0;
    if (off >= 0x400 && off < 0x800 && !m->host_mode) {
        m->gintsts |= MMIS;
        return 0;
    }
    if (off >= 0x800 && off < 0xE00 && m->host_mode) {
        m->gintsts |= MMIS;
        return 0;
    }
    if (off >= HC_BASE && off < HC_BASE + 0x20 * m->core->nchan) {
        struct channel *c = &m->ch[(off - HC_BASE) / 0x20];
        switch (off & 0x1F) {
        case 0x00:
            return c->hcchar | (c->active ? CHENA : 0) | (c->halting || c->chdis ? CHDIS : 0);
        case 0x08:
            return c->hcint;
        case 0x0C:
            return c->hcintmsk;
        case 0x10:
            return c->hctsiz;
        default:
            return 0; /* HCSPLT/HCDMA exist only on OTG_HS */
        }
    }
    switch (off) {
    case GOTGCTL:
        return m->gotgctl;
    case GOTGINT:
        return 0;
    case GAHBCFG:
        return m->gahbcfg;
    case GUSBCFG:
        return m->gusbcfg;
    case GRSTCTL:
        return m->grstctl_busy | m->grstctl_txfnum | (m->grstctl_busy & CSRST ? 0 : AHBIDL);
    case GINTSTS:
        return read_gintsts(m);
    case GINTMSK:
        return m->gintmsk;
    case GRXSTSR:
        return m->rxcount && m->rx[m->rxhead].is_status ? m->rx[m->rxhead].word : 0;
    case GRXSTSP:
        return m->host_mode ? pop_rx_status(m, t) : 0;
    case GRXFSIZ:
        return m->grxfsiz;
    case HNPTXFSIZ:
        return m->hnptxfsiz;
    case HNPTXSTS:
        return read_hnptxsts(m);
    case GCCFG:
        return m->gccfg;
    case CID:
        return m->cid;
    /* Release and hardware configuration as dumped from silicon (struct otg_core_cfg). */
    case GSNPSID:
        return m->core->gsnpsid;
    case GHWCFG1:
    case GHWCFG2:
    case GHWCFG3:
    case GHWCFG4:
        return m->core->ghwcfg[(off - GHWCFG1) / 4u];
    case HPTXFSIZ:
        return m->hptxfsiz;
    case HCFG:
        return m->hcfg | 4u; /* FSLSS: FS/LS only, read-only */
    case HFIR:
        return m->hfir;
    case HFNUM:
        return read_hfnum(m);
    case HPTXSTS:
        return (m->hptxfsiz >> 16) | 8u << 16;
    case HAINT:
        return haint(m);
    case HAINTMSK:
        return m->haintmsk;
    case HPRT:
        return read_hprt(m);
    case PCGCCTL:
        return m->pcgcctl;
    default:
        return 0;
    }
}

/* ---- register writes -------------------------------------------------------------------- */

static void core_soft_reset(struct otg_model *m, uint64_t t)
{
    /* Interrupts, channels, FIFOs, the port and the mode go back to reset state; the
     * configuration registers (GAHBCFG, GUSBCFG, GCCFG, FIFO sizes, HCFG, HFIR, PCGCCTL, GINTMSK)
     * keep their values. */
    abort_transaction(m);
    channels_reset(m);
    m->gintsts = 0;
    m->haintmsk = 0;
    m->hprt = 0;
    m->enable_at = NEVER;
    m->frames_on = 0;
    m->host_mode = 0;
    m->cmod_at = (m->gusbcfg & FHMOD) && !(m->gusbcfg & FDMOD) ? t + CMOD_DELAY_NS : NEVER;
    m->phy_fs = (m->gusbcfg & PHYSEL) != 0; /* OTG_HS: the PHY the core restarts on */
    tlog(m, t, "core soft reset");
}

static void write_grstctl(struct otg_model *m, uint32_t v, uint64_t t)
{
    m->grstctl_txfnum = v & TXFNUM; /* a plain field: reads back what was written */
    if (v & CSRST) {
        core_soft_reset(m, t);
        m->grstctl_busy = CSRST;
        m->grstctl_clear_at = t + SELF_CLEAR_NS;
        return;
    }
    if (v & RXFFLSH) {
        rx_flush(m);
        for (unsigned n = 0; n < m->core->nchan; n++)
            if (m->ch[n].halting && ch_is_in(&m->ch[n]))
                violation(m, t, "RX FIFO flushed while channel %u waits for its halt entry", n);
        m->grstctl_busy |= RXFFLSH;
    }
    if (v & TXFFLSH) {
        unsigned num = (v >> 6) & 0x1F;
        if (num == 0 || num == 0x10) {
            for (unsigned n = 0; n < m->core->nchan; n++) {
                q_flush_channel(m, n, 1);
                m->tx_used_words -= m->ch[n].partial_words;
                m->ch[n].partial_words = 0;
            }
        }
        m->grstctl_busy |= TXFFLSH;
    }
    if (v & FCRST) {
        if (m->frames_on)
            m->frame_origin_num =
                (uint32_t)(0x4000 - (uint64_t)frame_index(m, t) % 0x4000) & 0x3FFF;
        m->grstctl_busy |= FCRST;
    }
    if (v & HSRST)
        m->grstctl_busy |= HSRST;
    if (m->grstctl_busy)
        m->grstctl_clear_at = t + SELF_CLEAR_NS;
}

static void write_hprt(struct otg_model *m, uint32_t v, uint64_t t)
{
    uint32_t old = m->hprt;
    m->hprt &= ~(v & (PCDET | PENCHNG | POCCHNG));
    if ((v & PENA) && (old & PENA)) {
        port_disable(m); /* PENA is write-1-to-disable */
        abort_transaction(m);
        tlog(m, t, "port: disabled by software");
    }
    m->hprt = (m->hprt & ~(PTCTL_MASK | PPWR | PRES)) | (v & (PTCTL_MASK | PPWR | PRES));
    if (v & PSUSP)
        m->hprt |= PSUSP;
    if ((old & PRES) && !(v & PRES))
        m->hprt &= ~PSUSP; /* end of resume signalling */
    if ((v & PRST) && !(old & PRST)) {
        m->hprt = (m->hprt | PRST) & ~PSUSP; /* a port reset ends a suspend */
        m->prst_since = t;
        port_disable(m);
        abort_transaction(m);
        m->enable_at = NEVER;
    } else if (!(v & PRST) && (old & PRST)) {
        m->hprt &= ~PRST;
        uint64_t held = t - m->prst_since;
        if (held < RESET_MIN_NS) {
            violation(m, t, "port reset held %llu us, RM0090 requires >= 10 ms: no reset",
                      (unsigned long long)(held / 1000));
        } else if (m->hprt & PCSTS) {
            stick_bus_reset(m->stick, t);
            m->stats.port_resets++;
            m->enable_at = t + PORT_ENABLE_DELAY_NS;
            tlog(m, t, "port: reset for %llu ms", (unsigned long long)(held / MS));
        }
    }
    sense_port(m, t);
}

static void queue_in_request(struct otg_model *m, unsigned n, uint64_t t)
{
    if (m->qcount >= QDEPTH) {
        violation(m, t, "channel %u enabled with the request queue full: IN request lost", n);
        return;
    }
    q_push(m, REQ_IN, n);
}

static void write_hcchar(struct otg_model *m, unsigned n, uint32_t v, uint64_t t)
{
    struct channel *c = &m->ch[n];
    c->hcchar = v & HCCHAR_STORED;
    /* CHDIS and CHENA are read/set bits that only the core clears (RM0090 34.16.3 OTG_FS_HCCHARx).
     * CHDIS alone flushes the channel's posted requests (RM0090 34.17.4 "Halting a channel":
     * the way to make room when the queue is full) and stays set; the next write with CHENA
     * is then a disable request, as with CHDIS and CHENA together. ST's HAL (USB_HC_Halt)
     * halts in these two steps. */
    if ((v & CHDIS) && !(v & CHENA) && !c->halting) {
        c->chdis = 1;
        q_flush_channel(m, n, 0);
    }
    if (!(v & CHENA))
        return;
    if ((v & CHDIS) || c->chdis) {
        if (c->halting)
            return; /* already halting */
        if (m->qcount >= QDEPTH) {
            violation(m, t, "channel %u halt with the request queue full: ignored", n);
            return;
        }
        /* Also on an idle channel (an OUT channel the core disabled at XFRC): the request
         * goes through the queue and ends in CHH. ST's HAL halts after every OUT XFRC and
         * waits for that CHH, which the silicon gives. */
        c->halting = 1;
        c->active = 1;
        c->chdis = 0;
        q_flush_channel(m, n, 0);
        q_push(m, REQ_HALT, n)->at = t;
        try_start(m, t);
        return;
    }
    if (c->halting) {
        violation(m, t, "channel %u re-enabled before its halt completed", n);
        return;
    }
    if (!fifo_layout_ok(m))
        violation(m, t,
                  "channel %u enabled with an invalid FIFO layout (GRXFSIZ=%u, "
                  "HNPTXFSIZ=0x%08x; RM0090: 16..%u words each, %u in all)",
                  n, rxfd(m), m->hnptxfsiz, m->core->fifo_max, m->core->fifo_words);
    if (!m->ptx_overlap_reported && ptx_overlaps(m)) {
        m->ptx_overlap_reported = 1;
        violation(m, t,
                  "FIFO layout: HPTXFSIZ=0x%08x overlaps GRXFSIZ=%u or HNPTXFSIZ=0x%08x (periodic "
                  "TX data would corrupt them)",
                  m->hptxfsiz, rxfd(m), m->hnptxfsiz);
    }
    int was_active = c->active;
    if (!was_active) {
        c->active = 1;
        c->blocked = 0;
        c->out_inflight = 0;
        c->t_bytes = c->t_packets = c->t_naks = 0;
    }
    if (ch_periodic(c)) {
        c->periodic_pending = 1;
        return;
    }
    /* RM0090, OTG_FS host programming model, "Bulk and control IN transactions" (slave
     * mode): each CHENA write puts one IN request in the queue, one request is one IN token,
     * and the application writes further requests until XFRC, whatever PKTCNT says. (Only
     * OTG_HS in DMA mode issues the packets of a transfer by itself.) */
    if (ch_is_in(c))
        queue_in_request(m, n, t);
    else if (!was_active && ch_xfrsiz(c) == 0) {
        if (m->qcount >= QDEPTH)
            violation(m, t, "channel %u zero-length OUT with the request queue full", n);
        else
            q_push(m, REQ_OUT, n);
    }
    try_start(m, t);
}

static void write_fifo(struct otg_model *m, unsigned n, uint32_t v, uint64_t t)
{
    struct channel *c = &m->ch[n];
    if (!c->active || c->halting || ch_is_in(c)) {
        violation(m, t, "TX FIFO write for channel %u, which is not an enabled OUT channel", n);
        return;
    }
    if (ch_periodic(c))
        return; /* periodic FIFO: accepted, never sent (see the docs) */
    if (m->tx_used_words >= nptxfd(m)) {
        violation(m, t, "TX FIFO overflow on channel %u (NPTXFSAV was 0): word lost", n);
        return;
    }
    uint32_t remaining = ch_xfrsiz(c) > c->out_inflight ? ch_xfrsiz(c) - c->out_inflight : 0;
    uint32_t target = remaining < ch_mps(c) ? remaining : ch_mps(c);
    if (target > MAX_PACKET)
        target = MAX_PACKET;
    if (target == 0 || c->partial_words * 4 >= target) {
        violation(m, t, "TX FIFO write past XFRSIZ on channel %u: word lost", n);
        return;
    }
    memcpy(c->partial + c->partial_words * 4, &v, 4);
    c->partial_words++;
    m->tx_used_words++;
    if (c->partial_words * 4 < target)
        return;
    if (m->qcount >= QDEPTH) {
        violation(m, t, "OUT packet on channel %u with the request queue full: packet lost", n);
        m->tx_used_words -= c->partial_words;
        c->partial_words = 0;
        return;
    }
    struct request *r = q_push(m, REQ_OUT, n);
    r->len = (uint16_t)target;
    r->words = (uint16_t)c->partial_words;
    memcpy(r->data, c->partial, target);
    c->out_inflight += target;
    c->partial_words = 0;
    try_start(m, t);
}

static void write_reg(struct otg_model *m, uint32_t off, uint32_t v, uint64_t t)
{
    if ((m->grstctl_busy & CSRST) && off != GRSTCTL) {
        violation(m, t, "write to 0x%03x during the core soft reset: ignored", off);
        return;
    }
    if (off >= FIFO_BASE && off < FIFO_END) {
        unsigned n = off / 0x1000 - 1;
        if (m->host_mode && n < m->core->nchan)
            write_fifo(m, n, v, t);
        return;
    }
    if (off >= 0x400 && off < 0x800 && !m->host_mode) {
        m->gintsts |= MMIS;
        return;
    }
    if (off >= 0x800 && off < 0xE00 && m->host_mode) {
        m->gintsts |= MMIS;
        return;
    }
    if (off >= HC_BASE && off < HC_BASE + 0x20 * m->core->nchan) {
        unsigned n = (off - HC_BASE) / 0x20;
        struct channel *c = &m->ch[n];
        switch (off & 0x1F) {
        case 0x00:
            write_hcchar(m, n, v, t);
            break;
        case 0x08:
            c->hcint &= ~(v & HCINT_MASK);
            break;
        case 0x0C:
            c->hcintmsk = v & HCINT_MASK;
            break;
        case 0x10:
            c->hctsiz = v & 0x7FFFFFFFu;
            break;
        case 0x04:
        case 0x14:
            /* OTG_HS has HCSPLT and HCDMA (RM0090 35.12.4), unused in slave mode; on OTG_FS
             * writing the reset value keeps a reserved register as RM0090 asks */
            if (v && !m->core->hs)
                violation(m, t, "write 0x%08x to %s of channel %u: reserved on OTG_FS", v,
                          (off & 0x1F) == 4 ? "HCSPLT" : "HCDMA", n);
            break;
        default:
            break;
        }
        return;
    }
    switch (off) {
    case GOTGCTL:
        m->gotgctl = (m->gotgctl & ~0xF02u) | (v & 0xF02u);
        break;
    case GAHBCFG:
        m->gahbcfg = v & 0x181u;
        break;
    case GUSBCFG: {
        uint32_t old = m->gusbcfg;
        m->gusbcfg = v & 0xE0003F47u;
        int want_host = (v & FHMOD) && !(v & FDMOD);
        int had_host = (old & FHMOD) && !(old & FDMOD);
        if (want_host && !had_host)
            m->cmod_at = t + CMOD_DELAY_NS;
        else if (!want_host && had_host) {
            m->cmod_at = NEVER;
            m->host_mode = 0;
        }
        sense_port(m, t);
        break;
    }
    case GRSTCTL:
        write_grstctl(m, v, t);
        break;
    case GINTSTS:
        m->gintsts &= ~(v & GINTSTS_W1C);
        break;
    case GINTMSK:
        m->gintmsk = v;
        break;
    case GRXFSIZ:
        m->grxfsiz = v & 0xFFFF;
        m->ptx_overlap_reported = 0;
        break;
    case HNPTXFSIZ:
        m->hnptxfsiz = v;
        m->ptx_overlap_reported = 0;
        break;
    case GCCFG:
        m->gccfg = v & 0x003D0000u;
        sense_port(m, t);
        break;
    case CID:
        m->cid = v;
        break;
    case HPTXFSIZ:
        m->hptxfsiz = v;
        m->ptx_overlap_reported = 0;
        break;
    case GDFIFOCFG:
        if (v)
            violation(m, t, "write 0x%08x to GDFIFOCFG: reserved on OTG_FS", v);
        break;
    case HCFG:
        m->hcfg = v & 3;
        break;
    case HFIR:
        m->hfir = v & 0xFFFF;
        if (m->frames_on) { /* the new interval applies from the next frame */
            int64_t next = m->sof_index + 1;
            uint64_t origin = frame_start(m, next);
            m->frame_origin_num = (uint32_t)(m->frame_origin_num + (uint64_t)next) & 0x3FFF;
            m->frame_origin = origin;
            m->frame_len_x6 = (m->hfir ? m->hfir : 1) * 125u;
            m->sof_index = -1;
        }
        break;
    case HAINTMSK:
        m->haintmsk = v & 0xFF;
        break;
    case HPRT:
        write_hprt(m, v, t);
        break;
    case PCGCCTL:
        m->pcgcctl = v & 3;
        sense_port(m, t);
        break;
    default:
        break; /* read-only or reserved */
    }
}

uint32_t otg_read(struct otg_model *m, uint32_t offset, unsigned size, uint64_t now_ns)
{
    otg_advance(m, now_ns);
    if (!m->clocked)
        return 0;
    if (size != 4 || (offset & 3)) {
        violation(m, now_ns, "%u-byte read at 0x%05x: OTG_FS registers are 32-bit only", size,
                  offset);
        return 0;
    }
    return read_reg(m, offset, now_ns);
}

void otg_write(struct otg_model *m, uint32_t offset, uint32_t value, unsigned size, uint64_t now_ns)
{
    otg_advance(m, now_ns);
    if (!m->clocked)
        return;
    if (size != 4 || (offset & 3)) {
        violation(m, now_ns, "%u-byte write at 0x%05x: ignored, 32-bit access only", size, offset);
        return;
    }
    write_reg(m, offset, value, now_ns);
}

void otg_power_cut(struct otg_model *m, uint64_t now_ns)
{
    if (m->stick && m->stick_powered)
        stick_power(m->stick, 0, now_ns);
    m->stick_powered = 0;
}
