/* DMA1 and DMA2 (RM0090 section 10; timing from AN4031): eight streams each with the registers
 * of RM0090 10.5, memory-to-memory transfers on DMA2 through the FIFO, the flags and their
 * interrupt lines, bus errors, and the configuration rules (write protection while EN=1, no
 * circular or direct mode in memory-to-memory). Peripheral-to-memory and memory-to-peripheral
 * streams wait for requests that no model raises (a warning). docs/emulator.md, "DMA".
 *
 * Timing is lazy and exact: a transfer is a recurrence over its items (the peripheral port
 * reads into the FIFO, the memory port writes out of it), evaluated when the firmware touches
 * the DMA or the CRC unit and at the scheduled events (half transfer, end, error), so virtual
 * time may jump over a transfer without changing what the firmware sees. */
#include <stdio.h>
#include <string.h>

#include "cycles.h"
#include "log.h"
#include "machine.h"

#define CR_EN     (1u << 0)
#define CR_DMEIE  (1u << 1)
#define CR_TEIE   (1u << 2)
#define CR_HTIE   (1u << 3)
#define CR_TCIE   (1u << 4)
#define CR_PFCTRL (1u << 5)
#define CR_DIR    (3u << 6)
#define CR_CIRC   (1u << 8)
#define CR_PINC   (1u << 9)
#define CR_MINC   (1u << 10)
#define CR_PINCOS (1u << 15)
#define CR_DBM    (1u << 18)
#define CR_CT     (1u << 19)
#define CR_MASK   0x0FEFFFFFu /* bit 20 reserved on the F407 (RM0090 10.5.5) */
/* Writable while EN=1 (RM0090 10.5.5: the other fields "can be written only if EN is 0"). */
#define CR_LIVE (CR_EN | CR_DMEIE | CR_TEIE | CR_HTIE | CR_TCIE)

#define DIR_P2M 0u
#define DIR_M2P 1u
#define DIR_M2M 2u

#define FCR_FTH   3u
#define FCR_DMDIS (1u << 2)
#define FCR_FEIE  (1u << 7)
#define FCR_RESET 0x21u /* FS = 100 (FIFO empty), FTH = 01 (RM0090 10.5.10) */

/* Flags of one stream, before the shift of dma_flag_shift() (RM0090 10.5.1). */
#define F_FEIF  (1u << 0)
#define F_DMEIF (1u << 2)
#define F_TEIF  (1u << 3)
#define F_HTIF  (1u << 4)
#define F_TCIF  (1u << 5)
#define F_ALL   0x3Du

#define FIFO_BYTES 16u /* four words (RM0090 10.3.13) */

/* AN4031 3.1.1 (tables 4 and 5), per access of a port (a single transfer, or a burst): one
 * AHB cycle of request arbitration (tPA/tMA) and one of address computation (tPAC/tMAC); the
 * bus matrix arbitration (tBMA) is 0 without a concurrent master; then the effective data
 * transfer (tEDT, tSRAM) is one AHB cycle a beat through the bus matrix (4 for an INCR4
 * burst), plus the slave's wait states. */
#define SERVICE_CYCLES 2u
#define BEAT_CYCLES    1u

/* RM0090 table 61. */
static const uint8_t stream_irq[2][8] = {
    {11, 12, 13, 14, 15, 16, 17, 47},
    {56, 57, 58, 59, 60, 68, 69, 70},
};

/* RM0090 10.5.1: stream 0/4 flags at bit 0, 1/5 at 6, 2/6 at 16, 3/7 at 22. */
static unsigned flag_shift(unsigned s)
{
    static const uint8_t sh[4] = {0, 6, 16, 22};
    return sh[s & 3u];
}

static uint32_t stream_flags(const struct dma_model *d, unsigned s)
{
    return (d->isr[s >> 2] >> flag_shift(s)) & F_ALL;
}

static void set_flags(struct dma_model *d, unsigned s, uint32_t f)
{
    d->isr[s >> 2] |= f << flag_shift(s);
}

static struct dma_model *ctrl(struct machine *m, const struct periph *p)
{
    return &m->dma[p->unit];
}

static void sample_irq(struct machine *m, unsigned unit, unsigned s)
{
    const struct dma_model *d = &m->dma[unit];
    const struct dma_stream *st = &d->st[s];
    uint32_t f = stream_flags(d, s), cr = st->cr;
    int level = ((f & F_TCIF) && (cr & CR_TCIE)) || ((f & F_HTIF) && (cr & CR_HTIE)) ||
                ((f & F_TEIF) && (cr & CR_TEIE)) || ((f & F_DMEIF) && (cr & CR_DMEIE)) ||
                ((f & F_FEIF) && (st->fcr & FCR_FEIE));
    machine_irq_line(m, stream_irq[unit][s], level);
}

static unsigned item_bytes(uint32_t cr, int mem)
{
    return 1u << ((cr >> (mem ? 13 : 11)) & 3u); /* MSIZE / PSIZE: 00 byte, 01 half, 10 word */
}

static unsigned burst_beats(uint32_t cr, int mem)
{
    static const uint8_t beats[4] = {1, 4, 8, 16};
    return beats[(cr >> (mem ? 23 : 21)) & 3u]; /* MBURST / PBURST */
}

/* ---- where an item goes: the regions a DMA2 port reaches through the bus matrix ---- */

enum region { R_NONE, R_FLASH, R_SRAM, R_ROM, R_PERIPH };

static enum region region_of(const struct machine *m, uint32_t addr, unsigned size)
{
    if (addr - FLASH_BASE < m->flash.size && addr - FLASH_BASE + size <= m->flash.size)
        return R_FLASH;
    if (addr - SRAM_BASE < m->board->sram_size && addr - SRAM_BASE + size <= m->board->sram_size)
        return R_SRAM;
    if ((addr - SYSMEM_BASE < SYSMEM_SIZE) || (addr - OTP_PAGE_BASE < OTP_PAGE_SIZE))
        return R_ROM;
    /* The CCM RAM is on the CPU's D-bus only (RM0090 2.3.1): a DMA access is a bus error, like
     * an unmapped address. Bit-band aliases are not modeled for the DMA (R_NONE). */
    if (addr >= 0x40000000u && addr < 0x42000000u && bus_find(m, addr))
        return R_PERIPH;
    if (addr >= 0xA0000000u && addr < 0xE0000000u && bus_find(m, addr))
        return R_PERIPH;
    return R_NONE;
}

/* The address of item i on a port (the registers keep their programmed values; the DMA
 * increments internal copies, RM0090 10.3.10). */
static uint32_t item_addr(const struct dma_stream *st, uint32_t i, int mem)
{
    uint32_t base = mem ? st->m0ar : st->par;
    uint32_t inc = mem ? (st->cr & CR_MINC) : (st->cr & CR_PINC);
    return inc ? base + i * item_bytes(st->cr, mem) : base;
}

static int is_crc_dr(const struct machine *m, uint32_t addr)
{
    const struct periph *p = bus_find(m, addr);
    return p && p->ops == &crc_ops && addr == p->base;
}

/* ---- the timing recurrence ---- */

/* Wait states of a beat on a slave: flash (a 128-bit line read per new line: LATENCY wait
 * states, m4 model only), the AHB/APB peripheral buses (cycles_bus, m4 only), SRAM none. */
static uint32_t slave_wait(const struct machine *m, struct dma_timing *t, uint32_t addr,
                           enum region r)
{
    if (r == R_FLASH || r == R_ROM) {
        uint32_t line = addr >> 4;
        int same = t->line_valid && t->line == line;
        t->line = line;
        t->line_valid = 1;
        return m->cyc && !same ? (m->flash.acr & 0xFu) : 0u;
    }
    if (r == R_PERIPH)
        return cycles_bus((struct machine *)m, addr);
    return 0;
}

/* Item i's read end (R) and write end (W) in HCLK cycles, from the state after item i-1; the
 * state moves on to item i. Returns 0, or -1 when item i hits a bus error (then *w is the
 * cycle the error is seen). */
static int step(const struct machine *m, const struct dma_stream *st, struct dma_timing *t,
                uint32_t i, uint64_t *w)
{
    unsigned psize = item_bytes(st->cr, 0), msize = item_bytes(st->cr, 1);
    uint32_t src = item_addr(st, i, 0), dst = item_addr(st, i, 1);
    enum region rs = region_of(m, src, psize), rd = region_of(m, dst, msize);
    unsigned depth = FIFO_BYTES / psize;
    /* Peripheral port: the read of item i starts when item i-1 is read and the FIFO has room
     * (item i-depth written out). */
    uint64_t r = t->r_last;
    uint64_t room = i >= depth ? t->w_hist[(i - depth) % DMA_HIST] : 0;
    if (room > r)
        r = room;
    if (rs == R_FLASH && flash_read_stalls(&m->flash, src - FLASH_BASE)) {
        uint64_t end = machine_ns_to_cycles(m, m->flash.op.end_ns); /* RM0090 3.6 */
        if (end > r)
            r = end;
    }
    if (i % burst_beats(st->cr, 0) == 0)
        r += SERVICE_CYCLES;
    if (rs == R_NONE || rd == R_NONE || rd == R_FLASH || rd == R_ROM ||
        i + 1u == m->dma_error_item) {
        *w = r + 1;
        return -1;
    }
    r += BEAT_CYCLES + slave_wait(m, t, src, rs) + m->dma_slow_cycles;
    /* Memory port: after the read and the previous write; a write to CRC_DR waits for the
     * unit (4 HCLK a word, RM0090 4.3), overlapping the DMA's own cycles. */
    uint64_t wr = r > t->w_last ? r : t->w_last;
    if (i % burst_beats(st->cr, 1) == 0)
        wr += SERVICE_CYCLES;
    wr += BEAT_CYCLES + slave_wait(m, t, dst, rd);
    if (is_crc_dr(m, dst) && t->crc_ready > wr)
        wr = t->crc_ready;
    if (is_crc_dr(m, dst))
        t->crc_ready = wr + 4;
    t->r_last = r;
    t->w_last = wr;
    t->w_hist[i % DMA_HIST] = wr;
    *w = wr;
    return 0;
}

/* Cycles to ns, rounded up (the event must not come before the cycle). */
static uint64_t cycles_to_ns(const struct machine *m, uint64_t c)
{
    if (c <= m->base_cycles)
        return m->base_ns;
    unsigned __int128 d = (unsigned __int128)(c - m->base_cycles) * 1000000000u;
    return m->base_ns + (uint64_t)((d + m->hclk_hz - 1) / m->hclk_hz);
}

/* The cycle of the stream's next flag change (half transfer, end, error or software stop),
 * from a copy of the recurrence: nothing changes meanwhile that the firmware can see. */
static void predict(const struct machine *m, struct dma_stream *st)
{
    struct dma_timing t = st->t;
    uint32_t half = (st->total + 1u) / 2u;
    for (uint32_t i = st->done; i < st->total; i++) {
        uint64_t w;
        int err = step(m, st, &t, i, &w);
        if (err || i + 1u == st->total || st->stop || (!st->ht_done && i + 1u >= half)) {
            st->event_cycles = w;
            return;
        }
    }
    st->event_cycles = UINT64_MAX;
}

static void finish(struct machine *m, unsigned unit, unsigned s, uint32_t flags)
{
    struct dma_stream *st = &m->dma[unit].st[s];
    st->active = 0;
    st->stop = 0;
    st->cr &= ~CR_EN;
    st->event_cycles = UINT64_MAX;
    set_flags(&m->dma[unit], s, flags);
    sample_irq(m, unit, s);
}

static uint32_t read_item(struct machine *m, uint32_t addr, unsigned size, enum region r)
{
    uint32_t v = 0;
    if (r == R_FLASH) {
        if (m->flash.nfix)
            flash_apply_fixups(&m->flash);
        memcpy(&v, m->flash.mem + (addr - FLASH_BASE), size);
    } else if (r == R_SRAM) {
        memcpy(&v, m->sram + (addr - SRAM_BASE), size);
    } else if (r == R_ROM) {
        if (addr - SYSMEM_BASE < SYSMEM_SIZE)
            memcpy(&v, m->sysmem + (addr - SYSMEM_BASE), size);
        else
            memcpy(&v, m->flash.otp_page + (addr - OTP_PAGE_BASE), size);
    } else {
        bus_dma_access(m, addr, size, 0, &v);
    }
    return v;
}

static void write_item(struct machine *m, uint32_t addr, unsigned size, enum region r, uint32_t v,
                       uint64_t at)
{
    if (r == R_SRAM)
        memcpy(m->sram + (addr - SRAM_BASE), &v, size);
    else if (is_crc_dr(m, addr) && size == 4 && periph_clocked(m, bus_find(m, addr)))
        crc_feed_at(m, v, at);
    else
        bus_dma_access(m, addr, size, 1, &v);
}

/* Moves item done of the stream (its write ended at cycle w). */
static void commit(struct machine *m, unsigned unit, unsigned s, uint64_t w)
{
    struct dma_stream *st = &m->dma[unit].st[s];
    uint32_t i = st->done;
    unsigned psize = item_bytes(st->cr, 0);
    uint32_t src = item_addr(st, i, 0), dst = item_addr(st, i, 1);
    uint32_t v = read_item(m, src, psize, region_of(m, src, psize));
    write_item(m, dst, psize, region_of(m, dst, psize), v, w);
    st->done++;
    st->ndtr = st->total - st->done;
}

/* Brings one stream up to cycle now: every item whose write ended by then. */
static void sync_stream(struct machine *m, unsigned unit, unsigned s, uint64_t now)
{
    struct dma_stream *st = &m->dma[unit].st[s];
    uint32_t half = (st->total + 1u) / 2u;
    while (st->active) {
        uint64_t w;
        struct dma_timing t = st->t;
        int err = step(m, st, &t, st->done, &w);
        if (w > now) {
            if (st->event_cycles <= now)
                predict(m, st); /* something changed (a flash operation): later than thought */
            break;
        }
        if (err) {
            uint32_t a = item_addr(st, st->done, 0);
            if (region_of(m, a, item_bytes(st->cr, 0)) != R_NONE)
                a = item_addr(st, st->done, 1);
            if (m->trace & TRACE_MMIO)
                emu_log(machine_now_ns(m), "dma: DMA%u stream %u bus error at 0x%08x", unit + 1u, s,
                        a);
            finish(m, unit, s, F_TEIF); /* RM0090 10.3.18: TEIF, EN cleared */
            break;
        }
        st->t = t;
        commit(m, unit, s, w);
        if (st->done == st->total || st->stop) {
            /* The end, or EN cleared by software: stops after this item, TCIF (RM0090
             * 10.3.17; ST's HAL_DMA_Abort_IT relies on the TCIF of a stopped stream). */
            if (!st->ht_done && st->done >= half)
                set_flags(&m->dma[unit], s, F_HTIF);
            finish(m, unit, s, F_TCIF);
            break;
        }
        if (!st->ht_done && st->done >= half) {
            st->ht_done = 1;
            set_flags(&m->dma[unit], s, F_HTIF);
            sample_irq(m, unit, s);
            predict(m, st);
        }
    }
}

static void sync_ctrl(struct machine *m, unsigned unit)
{
    struct dma_model *d = &m->dma[unit];
    if (!d->nactive || d->syncing)
        return;
    d->syncing = 1; /* a write to a peripheral (CRC) comes back here */
    unsigned n = 0;
    for (unsigned s = 0; s < 8; s++) {
        sync_stream(m, unit, s, m->cycles);
        n += d->st[s].active;
    }
    d->nactive = n;
    d->syncing = 0;
}

void dma_sync_all(struct machine *m)
{
    sync_ctrl(m, 0);
    sync_ctrl(m, 1);
}

/* ---- enabling a stream ---- */

static void warn_once(struct machine *m, unsigned unit, unsigned bit, const char *fmt, unsigned s)
{
    struct dma_model *d = &m->dma[unit];
    if (d->warned & bit)
        return;
    d->warned |= bit;
    char text[200];
    snprintf(text, sizeof text, fmt, unit + 1u, s);
    machine_warn(m, "%s", text);
}

#define W_PROTECT  1u
#define W_FLAGS    2u
#define W_DMA1M2M  4u
#define W_PERIPH   8u
#define W_MODE     16u
#define W_FIFO     32u
#define W_PACK     64u
#define W_ALIGN    128u
#define W_CCM      256u
#define W_M2M_CIRC 512u
#define W_BURST_1K 1024u

/* RM0090 10.3.11: a burst must not cross a 1 KB address boundary. Whether one of the
 * transfer's bursts on a port (incrementing, more than one beat) would. */
static int burst_crosses_1k(const struct dma_stream *st, int mem)
{
    uint32_t inc = mem ? (st->cr & CR_MINC) : (st->cr & CR_PINC);
    uint32_t bytes = burst_beats(st->cr, mem) * item_bytes(st->cr, mem);
    uint32_t base = mem ? st->m0ar : st->par;
    if (!inc || bytes == item_bytes(st->cr, mem))
        return 0;
    uint64_t end = (uint64_t)base + (uint64_t)st->ndtr * item_bytes(st->cr, mem);
    for (uint64_t a = base; a < end; a += bytes)
        if ((a & 1023u) + bytes > 1024u)
            return 1;
    return 0;
}

static void enable(struct machine *m, unsigned unit, unsigned s)
{
    struct dma_model *d = &m->dma[unit];
    struct dma_stream *st = &d->st[s];
    uint32_t cr = st->cr;
    unsigned dir = (cr & CR_DIR) >> 6;
    if (stream_flags(d, s))
        warn_once(m, unit, W_FLAGS,
                  "DMA%u stream %u enabled with flags of its last transfer still set (RM0090 "
                  "10.3.17: clear them first)",
                  s);
    if (dir != DIR_M2M) {
        /* No model raises DMA requests: the stream stays enabled and waits. */
        warn_once(m, unit, W_PERIPH,
                  "DMA%u stream %u: peripheral-to-memory/memory-to-peripheral transfers are not "
                  "modeled (no request comes)",
                  s);
        st->cr |= CR_EN;
        return;
    }
    if (unit == 0) {
        /* RM0090 10.3.6: only DMA2 does memory-to-memory (DMA1's peripheral port reaches
         * APB1 alone): a transfer error. */
        warn_once(m, unit, W_DMA1M2M,
                  "DMA%u stream %u: memory-to-memory is DMA2 only (RM0090 10.3.6): transfer error",
                  s);
        st->cr |= CR_EN;
        finish(m, unit, s, F_TEIF);
        return;
    }
    if (cr & (CR_CIRC | CR_DBM)) {
        /* RM0090 10.5.5: circular (and double-buffer) mode not allowed in memory-to-memory;
         * CIRC is forced to 0 by hardware. */
        warn_once(m, unit, W_M2M_CIRC,
                  "DMA%u stream %u: circular/double-buffer mode in memory-to-memory (RM0090 "
                  "10.3.6): cleared",
                  s);
        st->cr &= ~(CR_CIRC | CR_DBM);
        cr = st->cr;
    }
    if (cr & (CR_PFCTRL | CR_PINCOS))
        warn_once(m, unit, W_MODE, "DMA%u stream %u: PFCTRL/PINCOS set: ignored in this model", s);
    /* RM0090 10.5.10: DMDIS is set by hardware in memory-to-memory (no direct mode). */
    st->fcr |= FCR_DMDIS;
    unsigned psize = item_bytes(cr, 0), msize = item_bytes(cr, 1);
    if (((cr >> 11) & 3u) == 3u || ((cr >> 13) & 3u) == 3u || psize != msize) {
        warn_once(m, unit, W_PACK,
                  "DMA%u stream %u: PSIZE != MSIZE (packing) or a reserved size: not modeled, "
                  "transfer error",
                  s);
        st->cr |= CR_EN;
        finish(m, unit, s, F_TEIF);
        return;
    }
    /* RM0090 10.3.14, table 48: the FIFO threshold must hold whole memory bursts; FEIF and the
     * stream does not start (strict reading, docs). The same rule for the peripheral port. */
    uint32_t thr = ((st->fcr & FCR_FTH) + 1u) * 4u;
    uint32_t mb = burst_beats(cr, 1) * msize, pb = burst_beats(cr, 0) * psize;
    if ((mb > 1u * msize && (mb > thr || thr % mb)) ||
        (pb > 1u * psize && (pb > thr || thr % pb))) {
        warn_once(m, unit, W_FIFO,
                  "DMA%u stream %u: burst size incompatible with the FIFO threshold (RM0090 "
                  "table 48): FEIF, not enabled",
                  s);
        set_flags(d, s, F_FEIF);
        sample_irq(m, unit, s);
        return;
    }
    if ((st->par & (psize - 1u)) || (st->m0ar & (msize - 1u))) {
        warn_once(m, unit, W_ALIGN,
                  "DMA%u stream %u: PAR/M0AR not aligned to the item size (RM0090 10.5.7): "
                  "transfer error",
                  s);
        st->cr |= CR_EN;
        finish(m, unit, s, F_TEIF);
        return;
    }
    if (burst_crosses_1k(st, 0) || burst_crosses_1k(st, 1))
        warn_once(
            m, unit, W_BURST_1K,
            "DMA%u stream %u: a burst crosses a 1 KB address boundary (RM0090 10.3.11: an AHB "
            "error the DMA registers do not report); moved as if it did not",
            s);
    st->cr |= CR_EN;
    st->total = st->ndtr;
    st->done = 0;
    st->ht_done = 0;
    st->stop = 0;
    memset(&st->t, 0, sizeof st->t);
    st->t.r_last = st->t.w_last = m->cycles;
    st->t.crc_ready = m->crc.busy_until_cycles;
    if (st->total == 0) {
        /* NDTR = 0: nothing to move (RM0090 10.5.6 asks for NDTR > 0); ends at once. */
        finish(m, unit, s, F_TCIF);
        return;
    }
    uint32_t a = st->par;
    if (a >= CCM_BASE && a < CCM_BASE + CCM_SIZE)
        warn_once(m, unit, W_CCM, "DMA%u stream %u: the CCM RAM is not on the DMA's bus", s);
    st->active = 1;
    d->nactive++;
    predict(m, st);
    machine_update_deadline(m);
}

/* ---- registers ---- */

static int dma_read(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                    uint32_t *value)
{
    struct dma_model *d = ctrl(m, p);
    (void)size;
    sync_ctrl(m, (unsigned)p->unit);
    uint32_t v = 0;
    if (off == 0x00 || off == 0x04) {
        v = d->isr[off >> 2];
    } else if (off >= 0x10 && off < 0x10 + 8 * 0x18) {
        struct dma_stream *st = &d->st[(off - 0x10) / 0x18];
        switch ((off - 0x10) % 0x18) {
        case 0x00:
            v = st->cr;
            break;
        case 0x04:
            v = st->ndtr;
            break;
        case 0x08:
            v = st->par;
            break;
        case 0x0C:
            v = st->m0ar;
            break;
        case 0x10:
            v = st->m1ar;
            break;
        case 0x14:
            /* FS: the FIFO is empty between items in this model (100 when it is). */
            v = (st->fcr & (FCR_FTH | FCR_DMDIS | FCR_FEIE)) | (4u << 3);
            break;
        default:
            break;
        }
    }
    *value = v;
    return 0;
}

static void protected_write(struct machine *m, unsigned unit, unsigned s)
{
    warn_once(m, unit, W_PROTECT,
              "DMA%u stream %u: configuration register written while EN=1 (RM0090 10.5.5-10.5.10: "
              "ignored)",
              s);
}

static int dma_write(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                     uint32_t v)
{
    struct dma_model *d = ctrl(m, p);
    unsigned unit = (unsigned)p->unit;
    (void)size;
    sync_ctrl(m, unit);
    if (off == 0x08 || off == 0x0C) { /* LIFCR/HIFCR: write 1 to clear (RM0090 10.5.3) */
        unsigned hi = off == 0x0C;
        uint32_t mask = 0;
        for (unsigned k = 0; k < 4; k++)
            mask |= F_ALL << flag_shift(k);
        d->isr[hi] &= ~(v & mask);
        for (unsigned k = 0; k < 4; k++)
            sample_irq(m, unit, hi * 4u + k);
        return 0;
    }
    if (off < 0x10 || off >= 0x10 + 8 * 0x18)
        return 0;
    unsigned s = (off - 0x10) / 0x18;
    struct dma_stream *st = &d->st[s];
    int en = (st->cr & CR_EN) != 0;
    switch ((off - 0x10) % 0x18) {
    case 0x00: {
        v &= CR_MASK;
        if (en) {
            if ((v ^ st->cr) & ~CR_LIVE & CR_MASK)
                protected_write(m, unit, s);
            st->cr = (st->cr & ~CR_LIVE) | (v & CR_LIVE);
            st->cr |= CR_EN; /* EN reads 1 until the current item ends */
            if (!(v & CR_EN)) {
                if (st->active) {
                    st->stop = 1; /* RM0090 10.3.17: effective after the current transfer */
                    predict(m, st);
                    machine_update_deadline(m);
                } else {
                    finish(m, unit, s, 0); /* waiting for a request: stops at once */
                }
            }
        } else {
            st->cr = v;
            if (v & CR_EN) {
                st->cr &= ~CR_EN;
                enable(m, unit, s);
            }
        }
        sample_irq(m, unit, s);
        break;
    }
    case 0x04:
        if (en)
            protected_write(m, unit, s);
        else
            st->ndtr = v & 0xFFFFu;
        break;
    case 0x08:
        if (en)
            protected_write(m, unit, s);
        else
            st->par = v;
        break;
    case 0x0C:
        if (en)
            protected_write(m, unit, s);
        else
            st->m0ar = v;
        break;
    case 0x10:
        if (en)
            protected_write(m, unit, s);
        else
            st->m1ar = v;
        break;
    case 0x14:
        if (en) {
            if ((v ^ st->fcr) & (FCR_FTH | FCR_DMDIS))
                protected_write(m, unit, s);
            st->fcr = (st->fcr & ~FCR_FEIE) | (v & FCR_FEIE);
        } else {
            st->fcr = v & (FCR_FTH | FCR_DMDIS | FCR_FEIE);
        }
        sample_irq(m, unit, s);
        break;
    default:
        break;
    }
    return 0;
}

static void dma_reset(struct machine *m, const struct periph *p, enum periph_reset kind)
{
    struct dma_model *d = ctrl(m, p);
    (void)kind;
    memset(d, 0, sizeof *d);
    for (unsigned s = 0; s < 8; s++) {
        d->st[s].fcr = FCR_RESET & (FCR_FTH | FCR_DMDIS | FCR_FEIE);
        d->st[s].event_cycles = UINT64_MAX;
        sample_irq(m, (unsigned)p->unit, s);
    }
}

static uint64_t dma_next(struct machine *m, const struct periph *p)
{
    const struct dma_model *d = ctrl(m, p);
    uint64_t c = UINT64_MAX;
    if (!d->nactive)
        return TIME_NEVER;
    for (unsigned s = 0; s < 8; s++)
        if (d->st[s].active && d->st[s].event_cycles < c)
            c = d->st[s].event_cycles;
    return c == UINT64_MAX ? TIME_NEVER : cycles_to_ns(m, c);
}

static void dma_advance(struct machine *m, const struct periph *p, uint64_t now_ns)
{
    (void)now_ns; /* m->cycles is now */
    sync_ctrl(m, (unsigned)p->unit);
}

static unsigned dma_reg_flags(const struct periph *p, uint32_t off)
{
    (void)p;
    if (off == 0x08 || off == 0x0C)
        return REG_NO_MERGE; /* write-1-to-clear */
    return 0;
}

const struct periph_ops dma_ops = {
    .read = dma_read,
    .write = dma_write,
    .reset = dma_reset,
    .next_event_ns = dma_next,
    .advance = dma_advance,
    .reg_flags = dma_reg_flags,
};
