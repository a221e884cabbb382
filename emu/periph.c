/* CRC unit, USART2 (transmit side) and the independent watchdog. */
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
    crc_wait(m);
    if (off == 0x00)
        return m->crc.dr;
    if (off == 0x04)
        return m->crc.idr;
    return 0;
}

int crc_write(struct machine *m, uint32_t off, unsigned size, uint32_t v)
{
    crc_wait(m);
    if (off == 0x00) {
        if (size != 4)
            return -1;
        uint32_t crc = m->crc.dr ^ v;
        for (int i = 0; i < 32; i++)
            crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
        m->crc.dr = crc;
        m->crc.busy_until_cycles = m->cycles + 4;
    } else if (off == 0x04) {
        m->crc.idr = v & 0xFFu;
    } else if (off == 0x08) {
        if (v & 1u)
            m->crc.dr = 0xFFFFFFFFu;
    }
    return 0;
}

/* ---- USART2 transmitter (RM0090 section 30) ---- */

#define USART_SR_TC     (1u << 6)
#define USART_SR_TXE    (1u << 7)
#define USART_CR1_TE    (1u << 3)
#define USART_CR1_M     (1u << 12)
#define USART_CR1_UE    (1u << 13)
#define USART_CR1_OVER8 (1u << 15)

void usart_reset(struct machine *m)
{
    usart_flush_line(m);
    memset(&m->usart, 0, sizeof m->usart);
    m->usart.sr = USART_SR_TXE | USART_SR_TC;
}

static uint64_t char_ns(const struct machine *m)
{
    const struct usart_model *u = &m->usart;
    uint32_t div = (u->cr1 & USART_CR1_OVER8) ? ((u->brr >> 4) * 8u + (u->brr & 7u)) : u->brr;
    if (div == 0)
        return 0;
    unsigned stop = (u->cr2 >> 12) & 3u;
    unsigned bits = 1 + ((u->cr1 & USART_CR1_M) ? 9 : 8) + (stop == 2 ? 2 : 1);
    uint64_t pclk = rcc_pclk1_hz(m);
    return (uint64_t)bits * div * 1000000000ull / pclk;
}

void usart_flush_line(struct machine *m)
{
    struct usart_model *u = &m->usart;
    if (u->line_len == 0)
        return;
    u->line[u->line_len] = 0;
    emu_log(machine_now_ns(m), "uart: %s", u->line);
    u->line_len = 0;
}

static void emit_char(struct machine *m, uint8_t c, uint64_t at)
{
    struct usart_model *u = &m->usart;
    if (c == '\n' || u->line_len + 5 >= sizeof u->line - 56) {
        u->line[u->line_len] = 0;
        emu_log(at, "uart: %s", u->line);
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

void usart_advance(struct machine *m, uint64_t now_ns)
{
    struct usart_model *u = &m->usart;
    while (u->shift_busy && u->shift_done_ns <= now_ns) {
        emit_char(m, u->shift, u->shift_done_ns);
        if (u->tdr_full) {
            u->shift = u->tdr;
            u->tdr_full = 0;
            u->sr |= USART_SR_TXE;
            u->shift_done_ns += char_ns(m);
        } else {
            u->shift_busy = 0;
            u->sr |= USART_SR_TC;
        }
    }
}

uint64_t usart_next_event_ns(const struct machine *m)
{
    return m->usart.shift_busy ? m->usart.shift_done_ns : TIME_NEVER;
}

uint32_t usart_read(struct machine *m, uint32_t off)
{
    struct usart_model *u = &m->usart;
    usart_advance(m, machine_now_ns(m));
    switch (off) {
    case 0x00:
        return u->sr;
    case 0x04:
        return 0; /* no receiver modeled */
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

void usart_write(struct machine *m, uint32_t off, uint32_t v)
{
    struct usart_model *u = &m->usart;
    uint64_t now = machine_now_ns(m);
    usart_advance(m, now);
    switch (off) {
    case 0x00: /* TC and RXNE are cleared by writing 0 */
        u->sr &= v | ~((1u << 5) | USART_SR_TC);
        break;
    case 0x04: {
        uint64_t t = char_ns(m);
        if (!(u->cr1 & USART_CR1_UE) || !(u->cr1 & USART_CR1_TE) || t == 0) {
            if (!u->warned) {
                u->warned = 1;
                machine_warn(m, "USART2 DR written with UE/TE off or BRR 0: not sent");
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
                machine_warn(m, "USART2 DR written while TXE=0: a character is lost");
            }
            u->tdr = (uint8_t)v;
            u->tdr_full = 1;
            u->sr &= ~(USART_SR_TXE | USART_SR_TC);
        }
        machine_update_deadline(m);
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
    if ((m->trace & TRACE_UART) && off != 0x04)
        emu_log(now, "uart: USART2+0x%02x = 0x%08x", off, v);
}

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
            if (w->running)
                iwdg_schedule(m, w->rlr, now);
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
