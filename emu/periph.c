/* CRC unit, USART1/2/3/6 and the independent watchdog. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "machine.h"

/* ---- CRC (RM0090 section 4): CRC-32 poly 0x04C11DB7, MSB first, 4 HCLK per word ---- */

void crc_reset(struct machine *m)
{
    m->crc.dr = 0xFFFFFFFFu;
    m->crc.idr = 0;
    m->crc.busy_until_cycles = 0;
}

static void crc_wait(struct machine *m)
{
    if (m->crc.busy_until_cycles > m->cycles)
        m->cycles = m->crc.busy_until_cycles; /* the AHB stalls until the result is ready */
}

uint32_t crc_read(struct machine *m, uint32_t off)
{
    dma_sync_all(m); /* the words a DMA stream fed so far */
    crc_wait(m);
    if (off == 0x00)
        return m->crc.dr;
    if (off == 0x04)
        return m->crc.idr;
    return 0;
}

static uint32_t crc_step(uint32_t crc, uint32_t v)
{
    crc ^= v;
    for (int i = 0; i < 32; i++)
        crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
    return crc;
}

void crc_feed_at(struct machine *m, uint32_t value, uint64_t at)
{
    m->crc.dr = crc_step(m->crc.dr, value);
    m->crc.busy_until_cycles = at + 4;
}

int crc_write(struct machine *m, uint32_t off, unsigned size, uint32_t v)
{
    dma_sync_all(m);
    crc_wait(m);
    if (off == 0x00) {
        if (size != 4)
            return -1;
        m->crc.dr = crc_step(m->crc.dr, v);
        m->crc.busy_until_cycles = m->cycles + 4;
    } else if (off == 0x04) {
        m->crc.idr = v & 0xFFu;
    } else if (off == 0x08) {
        if (v & 1u)
            m->crc.dr = 0xFFFFFFFFu;
    }
    return 0;
}

static int crc_op_read(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                       uint32_t *value)
{
    (void)p;
    (void)size;
    *value = crc_read(m, off);
    return 0;
}

static int crc_op_write(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                        uint32_t value)
{
    if (crc_write(m, off, size, value) != 0) {
        machine_fault(m, m->cur_block, 1, p->base + off, "CRC_DR written with a %u-byte access",
                      size);
        return -1;
    }
    return 0;
}

static void crc_op_reset(struct machine *m, const struct periph *p, enum periph_reset kind)
{
    (void)p;
    (void)kind;
    crc_reset(m);
}

static unsigned crc_reg_flags(const struct periph *p, uint32_t off)
{
    (void)p;
    return off == 0x00 ? REG_WORD_ONLY : 0;
}

const struct periph_ops crc_ops = {
    .read = crc_op_read,
    .write = crc_op_write,
    .reset = crc_op_reset,
    .reg_flags = crc_reg_flags,
};

/* ---- USART1/2/3/6 (RM0090 section 30): transmitter with TDR and shift register, receiver fed
 * from --uart-rx / --uart-rx-file, TXE/TC/RXNE/ORE flags and the interrupt line ---- */

#define USART_SR_ORE     (1u << 3)
#define USART_SR_RXNE    (1u << 5)
#define USART_SR_TC      (1u << 6)
#define USART_SR_TXE     (1u << 7)
#define USART_CR1_RE     (1u << 2)
#define USART_CR1_TE     (1u << 3)
#define USART_CR1_RXNEIE (1u << 5)
#define USART_CR1_TCIE   (1u << 6)
#define USART_CR1_TXEIE  (1u << 7)
#define USART_CR1_M      (1u << 12)
#define USART_CR1_UE     (1u << 13)
#define USART_CR1_OVER8  (1u << 15)

static const char *const usart_names[USART_COUNT] = {"USART1", "USART2", "USART3", "USART6"};
/* The log prefix: USART2 (the boards' console) keeps the plain "uart". */
static const char *const usart_log[USART_COUNT] = {"uart1", "uart", "uart3", "uart6"};

static void usart_flush_one(struct machine *m, int unit)
{
    struct usart_model *u = &m->usart[unit];
    if (u->line_len == 0)
        return;
    u->line[u->line_len] = 0;
    emu_log(machine_now_ns(m), "%s: %s", usart_log[unit], u->line);
    u->line_len = 0;
}

void usart_flush_line(struct machine *m)
{
    for (int i = 0; i < USART_COUNT; i++)
        usart_flush_one(m, i);
}

static void usart_reset_unit(struct machine *m, int unit)
{
    struct usart_model *u = &m->usart[unit];
    const uint8_t *data = u->rx_data;
    size_t len = u->rx_len, pos = u->rx_pos;
    usart_flush_one(m, unit);
    memset(u, 0, sizeof *u);
    u->sr = USART_SR_TXE | USART_SR_TC;
    u->rx_next_ns = TIME_NEVER;
    /* The scripted sender is outside the chip: a reset does not rewind it. */
    u->rx_data = data;
    u->rx_len = len;
    u->rx_pos = pos;
}

void usart_reset(struct machine *m)
{
    for (int i = 0; i < USART_COUNT; i++)
        usart_reset_unit(m, i);
}

void usart_set_rx(struct machine *m, int unit, const uint8_t *data, size_t len)
{
    m->usart[unit].rx_data = data;
    m->usart[unit].rx_len = len;
    m->usart[unit].rx_pos = 0;
}

/* USART1 and USART6 are on APB2, USART2 and USART3 on APB1 (RM0090 figure 21). */
static uint64_t char_ns(const struct machine *m, int unit)
{
    const struct usart_model *u = &m->usart[unit];
    uint32_t div = (u->cr1 & USART_CR1_OVER8) ? ((u->brr >> 4) * 8u + (u->brr & 7u)) : u->brr;
    if (div == 0)
        return 0;
    unsigned stop = (u->cr2 >> 12) & 3u;
    unsigned bits = 1 + ((u->cr1 & USART_CR1_M) ? 9 : 8) + (stop == 2 ? 2 : 1);
    uint64_t pclk = rcc_apb_hz(m, unit == 0 || unit == 3 ? 2 : 1, 0);
    return (uint64_t)bits * div * 1000000000ull / pclk;
}

static void emit_char(struct machine *m, int unit, uint8_t c, uint64_t at)
{
    struct usart_model *u = &m->usart[unit];
    if (c == '\n' || u->line_len + 5 >= sizeof u->line - 56) {
        u->line[u->line_len] = 0;
        emu_log(at, "%s: %s", usart_log[unit], u->line);
        u->line_len = 0;
        if (c == '\n')
            return;
    }
    if (c == '\r')
        return;
    if (c >= 0x20 && c < 0x7F)
        u->line[u->line_len++] = (char)c;
    else
        u->line_len +=
            (size_t)snprintf(u->line + u->line_len, sizeof u->line - u->line_len, "\\x%02x", c);
}

static int rx_enabled(const struct usart_model *u)
{
    return (u->cr1 & (USART_CR1_UE | USART_CR1_RE)) == (USART_CR1_UE | USART_CR1_RE);
}

/* RM0090 30.7, table 147: TXE, TC, RXNE and ORE (with RXNEIE) share the USART's line. */
static void usart_sample_irq(struct machine *m, const struct periph *p)
{
    const struct usart_model *u = &m->usart[p->unit];
    uint32_t cr1 = u->cr1, sr = u->sr;
    int level = ((sr & USART_SR_TXE) && (cr1 & USART_CR1_TXEIE)) ||
                ((sr & USART_SR_TC) && (cr1 & USART_CR1_TCIE)) ||
                ((sr & (USART_SR_RXNE | USART_SR_ORE)) && (cr1 & USART_CR1_RXNEIE));
    periph_irq(m, p, level);
}

static void usart_advance_unit(struct machine *m, int unit, uint64_t now_ns)
{
    struct usart_model *u = &m->usart[unit];
    while (u->shift_busy && u->shift_done_ns <= now_ns) {
        emit_char(m, unit, u->shift, u->shift_done_ns);
        if (u->tdr_full) {
            u->shift = u->tdr;
            u->tdr_full = 0;
            u->sr |= USART_SR_TXE;
            u->shift_done_ns += char_ns(m, unit);
        } else {
            u->shift_busy = 0;
            u->sr |= USART_SR_TC;
        }
    }
    /* RM0090 30.3.3: a character arriving with RXNE still set sets ORE and is lost (RDR keeps
     * the previous one). */
    while (u->rx_next_ns <= now_ns) {
        uint64_t at = u->rx_next_ns;
        uint8_t c = u->rx_data[u->rx_pos++];
        if (u->sr & USART_SR_RXNE) {
            u->sr |= USART_SR_ORE;
        } else {
            u->rdr = c;
            u->sr |= USART_SR_RXNE;
        }
        uint64_t t = char_ns(m, unit);
        u->rx_next_ns = u->rx_pos < u->rx_len && rx_enabled(u) && t ? at + t : TIME_NEVER;
    }
}

static void usart_rx_schedule(struct machine *m, int unit, uint64_t now)
{
    struct usart_model *u = &m->usart[unit];
    uint64_t t = char_ns(m, unit);
    if (!rx_enabled(u) || t == 0 || u->rx_pos >= u->rx_len)
        u->rx_next_ns = TIME_NEVER;
    else if (u->rx_next_ns == TIME_NEVER)
        u->rx_next_ns = now + t; /* the first character's frame starts now */
}

static uint32_t usart_read_unit(struct machine *m, int unit, uint32_t off)
{
    struct usart_model *u = &m->usart[unit];
    usart_advance_unit(m, unit, machine_now_ns(m));
    switch (off) {
    case 0x00:
        u->sr_read = 1;
        return u->sr;
    case 0x04: {
        /* RXNE clears on the read; ORE after a read of SR then DR (RM0090 30.6.1). */
        uint32_t v = u->rdr;
        u->sr &= ~USART_SR_RXNE;
        if (u->sr_read)
            u->sr &= ~USART_SR_ORE;
        u->sr_read = 0;
        return v;
    }
    case 0x08:
        return u->brr;
    case 0x0C:
        return u->cr1;
    case 0x10:
        return u->cr2;
    case 0x14:
        return u->cr3;
    case 0x18:
        return u->gtpr;
    default:
        return 0;
    }
}

static void usart_write_unit(struct machine *m, int unit, uint32_t off, uint32_t v)
{
    struct usart_model *u = &m->usart[unit];
    uint64_t now = machine_now_ns(m);
    usart_advance_unit(m, unit, now);
    switch (off) {
    case 0x00: /* TC and RXNE are cleared by writing 0 */
        u->sr &= v | ~(USART_SR_RXNE | USART_SR_TC);
        break;
    case 0x04: {
        uint64_t t = char_ns(m, unit);
        if (!(u->cr1 & USART_CR1_UE) || !(u->cr1 & USART_CR1_TE) || t == 0) {
            if (!u->warned) {
                u->warned = 1;
                machine_warn(m, "%s DR written with UE/TE off or BRR 0: not sent",
                             usart_names[unit]);
            }
            break;
        }
        if (!u->shift_busy) {
            u->shift = (uint8_t)v;
            u->shift_busy = 1;
            u->shift_done_ns = now + t;
            u->sr &= ~USART_SR_TC;
        } else {
            if (u->tdr_full && !u->warned) {
                u->warned = 1;
                machine_warn(m, "%s DR written while TXE=0: a character is lost",
                             usart_names[unit]);
            }
            u->tdr = (uint8_t)v;
            u->tdr_full = 1;
            u->sr &= ~(USART_SR_TXE | USART_SR_TC);
        }
        break;
    }
    case 0x08:
        u->brr = v & 0xFFFFu;
        break;
    case 0x0C:
        u->cr1 = v & 0xBFFFu;
        break;
    case 0x10:
        u->cr2 = v & 0x7F7Fu;
        break;
    case 0x14:
        u->cr3 = v & 0x0FFFu;
        break;
    case 0x18:
        u->gtpr = v & 0xFFFFu;
        break;
    default:
        break;
    }
    usart_rx_schedule(m, unit, now);
    if ((m->trace & TRACE_UART) && off != 0x04)
        emu_log(now, "uart: %s+0x%02x = 0x%08x", usart_names[unit], off, v);
}

static int usart_op_read(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                         uint32_t *value)
{
    (void)size;
    *value = usart_read_unit(m, p->unit, off);
    usart_sample_irq(m, p);
    return 0;
}

static int usart_op_write(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                          uint32_t value)
{
    (void)size;
    usart_write_unit(m, p->unit, off, value);
    usart_sample_irq(m, p);
    return 0;
}

static void usart_op_reset(struct machine *m, const struct periph *p, enum periph_reset kind)
{
    (void)kind;
    usart_reset_unit(m, p->unit);
    usart_sample_irq(m, p);
}

static uint64_t usart_op_next(struct machine *m, const struct periph *p)
{
    const struct usart_model *u = &m->usart[p->unit];
    uint64_t t = u->shift_busy ? u->shift_done_ns : TIME_NEVER;
    return u->rx_next_ns < t ? u->rx_next_ns : t;
}

static void usart_op_advance(struct machine *m, const struct periph *p, uint64_t now_ns)
{
    usart_advance_unit(m, p->unit, now_ns);
    usart_sample_irq(m, p);
}

static void usart_op_flush(struct machine *m, const struct periph *p)
{
    usart_flush_one(m, p->unit);
}

static unsigned usart_reg_flags(const struct periph *p, uint32_t off)
{
    (void)p;
    return off == 0x04 ? REG_READ_SIDE_EFFECT : 0; /* a DR read clears RXNE */
}

const struct periph_ops usart_ops = {
    .read = usart_op_read,
    .write = usart_op_write,
    .reset = usart_op_reset,
    .next_event_ns = usart_op_next,
    .advance = usart_op_advance,
    .reg_flags = usart_reg_flags,
    .flush = usart_op_flush,
};

/* ---- IWDG (RM0090 section 19), LSI at 32 kHz nominal ---- */

#define LSI_TICK_NS    31250ull /* 1 / 32 kHz */
#define IWDG_UPDATE_NS (5 * LSI_TICK_NS)

static uint64_t iwdg_tick_ns(uint32_t pr)
{
    return (4ull << (pr > 6 ? 6 : pr)) * LSI_TICK_NS;
}

void iwdg_reset(struct machine *m)
{
    memset(&m->iwdg, 0, sizeof m->iwdg);
    m->iwdg.rlr = m->iwdg.rlr_pending = 0xFFF;
    m->iwdg.expire_ns = TIME_NEVER;
}

/* Counter value `value` at `at`: the counter reaches 0 and resets the chip (value+1) ticks on. */
static void iwdg_schedule(struct machine *m, uint32_t value, uint64_t at)
{
    m->iwdg.reload_ns = at;
    m->iwdg.expire_ns = at + (uint64_t)(value + 1) * iwdg_tick_ns(m->iwdg.pr);
    machine_update_deadline(m);
}

/* Apply register updates whose write has gone through to the LSI domain. */
static void iwdg_sync(struct machine *m, uint64_t now)
{
    struct iwdg_model *w = &m->iwdg;
    if (w->pvu_until && w->pvu_until <= now) {
        if (w->running && w->pr_pending != w->pr) {
            uint64_t at = w->pvu_until;
            uint64_t left = w->expire_ns > at ? (w->expire_ns - at) / iwdg_tick_ns(w->pr) : 0;
            w->pr = w->pr_pending;
            iwdg_schedule(m, left ? (uint32_t)(left - 1) : 0, at);
        }
        w->pr = w->pr_pending;
        w->pvu_until = 0;
    }
    if (w->rvu_until && w->rvu_until <= now) {
        w->rlr = w->rlr_pending;
        w->rvu_until = 0;
    }
}

void iwdg_start(struct machine *m)
{
    if (m->iwdg.running)
        return;
    m->iwdg.running = 1;
    iwdg_schedule(m, 0xFFF, machine_now_ns(m)); /* counts down from the reset value */
}

uint32_t iwdg_read(struct machine *m, uint32_t off)
{
    struct iwdg_model *w = &m->iwdg;
    uint64_t now = machine_now_ns(m);
    iwdg_sync(m, now);
    switch (off) {
    case 0x04:
        return w->pvu_until ? w->pr_pending : w->pr;
    case 0x08:
        return w->rvu_until ? w->rlr_pending : w->rlr;
    case 0x0C:
        return (w->pvu_until ? 1u : 0u) | (w->rvu_until ? 2u : 0u);
    default:
        return 0;
    }
}

void iwdg_write(struct machine *m, uint32_t off, uint32_t v)
{
    struct iwdg_model *w = &m->iwdg;
    uint64_t now = machine_now_ns(m);
    iwdg_sync(m, now);
    switch (off) {
    case 0x00:
        v &= 0xFFFFu;
        if (v == 0xCCCC) {
            w->write_access = 0;
            if (!w->running)
                emu_log(now, "iwdg: started");
            iwdg_start(m);
        } else if (v == 0xAAAA) {
            w->write_access = 0;
            if (w->running) {
                if (now - w->reload_ns > m->iwdg_max_gap_ns)
                    m->iwdg_max_gap_ns = now - w->reload_ns;
                iwdg_schedule(m, w->rlr, now);
            }
        } else if (v == 0x5555) {
            w->write_access = 1;
        } else {
            w->write_access = 0;
        }
        break;
    case 0x04:
        if (w->write_access) {
            w->pr_pending = v & 7u;
            w->pvu_until = now + IWDG_UPDATE_NS;
        }
        break;
    case 0x08:
        if (w->write_access) {
            w->rlr_pending = v & 0xFFFu;
            w->rvu_until = now + IWDG_UPDATE_NS;
        }
        break;
    default:
        break;
    }
}

static int iwdg_op_read(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                        uint32_t *value)
{
    (void)p;
    (void)size;
    *value = iwdg_read(m, off);
    return 0;
}

static int iwdg_op_write(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                         uint32_t value)
{
    (void)p;
    (void)size;
    iwdg_write(m, off, value);
    return 0;
}

/* A software-started IWDG stops at reset; the hardware-watchdog option starts it again. */
static void iwdg_op_reset(struct machine *m, const struct periph *p, enum periph_reset kind)
{
    (void)p;
    (void)kind;
    iwdg_reset(m);
    if (m->iwdg_hw)
        iwdg_start(m);
}

static uint64_t iwdg_op_next(struct machine *m, const struct periph *p)
{
    const struct iwdg_model *w = &m->iwdg;
    uint64_t t = w->running ? w->expire_ns : TIME_NEVER;
    (void)p;
    /* The end of a PR/RLR update changes IWDG_SR (PVU/RVU): an event for time jumps. */
    if (w->pvu_until && w->pvu_until < t)
        t = w->pvu_until;
    if (w->rvu_until && w->rvu_until < t)
        t = w->rvu_until;
    return t;
}

/* Expiry: a system reset (RM0090 19.3.2). */
static void iwdg_op_advance(struct machine *m, const struct periph *p, uint64_t now_ns)
{
    (void)p;
    iwdg_sync(m, now_ns);
    if (m->iwdg.running && m->iwdg.expire_ns <= now_ns) {
        m->reset_cause = RESET_IWDG;
        machine_request_stop(m, STOP_RESET);
    }
}

static unsigned iwdg_reg_flags(const struct periph *p, uint32_t off)
{
    (void)p;
    return off == 0x00 ? REG_NO_MERGE : 0; /* IWDG_KR is write-only */
}

const struct periph_ops iwdg_ops = {
    .read = iwdg_op_read,
    .write = iwdg_op_write,
    .reset = iwdg_op_reset,
    .next_event_ns = iwdg_op_next,
    .advance = iwdg_op_advance,
    .reg_flags = iwdg_reg_flags,
};
