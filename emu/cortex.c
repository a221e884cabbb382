/* Cortex-M4 system peripherals (ARMv7-M ARM, PM0214): SysTick and DWT CYCCNT in virtual time,
 * SCB (VTOR, AIRCR, ICSR, SHPR, SHCSR, fault status), FPU control registers. The NVIC and the
 * exception state are in nvic.c; the CPU glue (exception.c) delivers the exceptions. */
#include <string.h>

#include "log.h"
#include "machine.h"

#define SYST_ENABLE    (1u << 0)
#define SYST_TICKINT   (1u << 1)
#define SYST_CLKSOURCE (1u << 2)
#define SYST_COUNTFLAG (1u << 16)
#define DEMCR_TRCENA   (1u << 24)
#define DWT_CYCCNTENA  1u

void cortex_reset(struct machine *m, int power_on)
{
    struct cortex_model *c = &m->cx;
    uint32_t demcr = c->demcr, dwt_ctrl = c->dwt_ctrl;
    uint32_t cyc = dwt_cyccnt(m);
    /* Diagnostics are printed once per run, not once per reset. */
    unsigned logged = c->exc_logged;
    int vtor_warned = c->vtor_warned;
    uint32_t vec_warned[4];
    memcpy(vec_warned, c->vec_warned, sizeof vec_warned);
    memset(c, 0, sizeof *c);
    c->exc_logged = logged;
    c->vtor_warned = vtor_warned;
    memcpy(c->vec_warned, vec_warned, sizeof vec_warned);
    nvic_reset(m);
    c->ccr = 0x00000200u;   /* STKALIGN */
    c->fpccr = 0xC0000000u; /* ASPEN, LSPEN */
    c->syst_ref_tick = m->cycles;
    if (power_on) {
        c->dwt_ctrl = 0x40000000u; /* NUMCOMP = 4 */
    } else {
        /* Debug registers are reset by a power-on reset only, not by a system reset. */
        c->demcr = demcr;
        c->dwt_ctrl = dwt_ctrl;
        c->cyccnt_base = cyc;
    }
    c->cyccnt_ref = m->cycles;
}

/* ---- DWT ---- */

static int cyccnt_counting(const struct machine *m)
{
    return (m->cx.demcr & DEMCR_TRCENA) && (m->cx.dwt_ctrl & DWT_CYCCNTENA);
}

uint32_t dwt_cyccnt(const struct machine *m)
{
    if (!cyccnt_counting(m))
        return m->cx.cyccnt_base;
    return m->cx.cyccnt_base + (uint32_t)(m->cycles - m->cx.cyccnt_ref);
}

static void cyccnt_rebase(struct machine *m)
{
    m->cx.cyccnt_base = dwt_cyccnt(m);
    m->cx.cyccnt_ref = m->cycles;
}

/* ---- SysTick ---- */

static uint64_t syst_ticks(const struct machine *m)
{
    return (m->cx.syst_csr & SYST_CLKSOURCE) ? m->cycles : m->cycles / 8u;
}

/* Current value; *reached: the counter went from 1 to 0 since the reference point. */
static uint32_t syst_value(const struct machine *m, int *reached)
{
    const struct cortex_model *c = &m->cx;
    *reached = 0;
    if (!(c->syst_csr & SYST_ENABLE))
        return c->syst_value;
    uint64_t e = syst_ticks(m) - c->syst_ref_tick;
    uint64_t v0 = c->syst_value, r = c->syst_rvr;
    if (e == 0)
        return (uint32_t)v0;
    if (v0 > 0 && e <= v0) {
        *reached = e == v0;
        return (uint32_t)(v0 - e);
    }
    uint64_t after = e - v0 - 1; /* ticks after the first reload */
    if (r == 0) {
        *reached = v0 > 0;
        return 0;
    }
    *reached = v0 > 0 || after >= r;
    return (uint32_t)(r - after % (r + 1));
}

static void syst_rebase(struct machine *m)
{
    int reached;
    m->cx.syst_value = syst_value(m, &reached);
    if (reached)
        m->cx.syst_flag = 1;
    m->cx.syst_ref_tick = syst_ticks(m);
}

static uint64_t cycles_to_ns(const struct machine *m, uint64_t c)
{
    if (c <= m->base_cycles)
        return m->base_ns;
    unsigned __int128 d = (unsigned __int128)(c - m->base_cycles) * 1000000000u;
    return m->base_ns + (uint64_t)((d + m->hclk_hz - 1) / m->hclk_hz);
}

uint64_t systick_next_event_ns(struct machine *m)
{
    const struct cortex_model *c = &m->cx;
    if (!(c->syst_csr & SYST_ENABLE))
        return TIME_NEVER;
    int reached;
    uint32_t v = syst_value(m, &reached);
    uint64_t to_zero = v > 0 ? v : (uint64_t)c->syst_rvr + 1;
    if (v == 0 && c->syst_rvr == 0)
        return TIME_NEVER;
    uint64_t tick = syst_ticks(m) + to_zero;
    uint64_t cyc = (c->syst_csr & SYST_CLKSOURCE) ? tick : tick * 8u;
    return cycles_to_ns(m, cyc);
}

/* The counter reached 0 since the last look: COUNTFLAG sets, and with TICKINT the SysTick
 * exception pends (PM0214 4.5.1). Several wraps between two looks pend it once, as a pending
 * bit would. */
int systick_interrupt_due(struct machine *m)
{
    if ((m->cx.syst_csr & (SYST_ENABLE | SYST_TICKINT)) != (SYST_ENABLE | SYST_TICKINT))
        return 0;
    int reached;
    syst_value(m, &reached);
    if (reached) {
        syst_rebase(m);
        nvic_set_pending(m, EXC_SYSTICK);
    }
    return reached;
}

/* ---- register map ---- */

int cortex_read(struct machine *m, uint32_t addr, uint32_t *out)
{
    struct cortex_model *c = &m->cx;
    uint32_t v = 0;
    if (addr < 0xE0001000u) { /* ITM: disabled, reads 0 */
        *out = 0;
        return 0;
    }
    if (addr >= 0xE0040000u && addr < 0xE0100000u) { /* TPIU, ETM, ROM table */
        *out = 0;
        return 0;
    }
    if (addr >= 0xE0001000u && addr < 0xE0002000u) {
        if (addr == 0xE0001000u)
            v = c->dwt_ctrl;
        else if (addr == 0xE0001004u)
            v = dwt_cyccnt(m);
        *out = v;
        return 0;
    }
    if (addr >= 0xE0002000u && addr < 0xE0003000u) { /* FPB */
        *out = 0;
        return 0;
    }
    if (nvic_read(m, addr, out) == 0)
        return 0;
    if (addr >= 0xE000ED40u && addr < 0xE000ED80u) { /* feature ID registers */
        *out = 0;
        return 0;
    }
    switch (addr) {
    case 0xE000E004u: /* ICTR: 96 interrupt lines */
        v = 2;
        break;
    case 0xE000E008u: /* ACTLR */
        break;
    case 0xE000E010u: {
        syst_rebase(m);
        v = c->syst_csr | (c->syst_flag ? SYST_COUNTFLAG : 0);
        c->syst_flag = 0; /* COUNTFLAG clears on read */
        break;
    }
    case 0xE000E014u:
        v = c->syst_rvr;
        break;
    case 0xE000E018u:
        syst_rebase(m);
        v = c->syst_value;
        break;
    case 0xE000E01Cu: /* CALIB: 1 ms at HCLK/8 = 21 MHz; see docs */
        v = 0x40000000u | 20999u;
        break;
    case 0xE000ED00u:
        v = 0x410FC241u;
        break;
    case 0xE000ED04u:
        v = nvic_icsr(m);
        break;
    case 0xE000ED08u:
        v = c->vtor;
        break;
    case 0xE000ED0Cu:
        v = 0xFA050000u | (c->aircr_prigroup << 8);
        break;
    case 0xE000ED10u:
        v = c->scr;
        break;
    case 0xE000ED14u:
        v = c->ccr;
        break;
    case 0xE000ED18u:
    case 0xE000ED1Cu:
    case 0xE000ED20u:
        v = c->shpr[(addr - 0xE000ED18u) / 4u];
        break;
    case 0xE000ED24u:
        v = nvic_shcsr(m);
        break;
    case 0xE000ED28u:
        v = c->cfsr;
        break;
    case 0xE000ED2Cu:
        v = c->hfsr;
        break;
    case 0xE000ED30u:
        v = c->dfsr;
        break;
    case 0xE000ED34u:
        v = c->mmfar;
        break;
    case 0xE000ED38u:
        v = c->bfar;
        break;
    case 0xE000ED3Cu: /* AFSR: no auxiliary faults */
        break;
    case 0xE000ED88u:
        v = c->cpacr;
        break;
    case 0xE000EDF0u: /* DHCSR: no debugger */
    case 0xE000EDF4u:
    case 0xE000EDF8u:
        break;
    case 0xE000EDFCu:
        v = c->demcr;
        break;
    case 0xE000EF34u:
        v = c->fpccr;
        break;
    case 0xE000EF38u:
        v = c->fpcar;
        break;
    case 0xE000EF3Cu:
        v = c->fpdscr;
        break;
    default:
        return -1;
    }
    *out = v;
    return 0;
}

int cortex_write(struct machine *m, uint32_t addr, uint32_t v)
{
    struct cortex_model *c = &m->cx;
    if (addr < 0xE0001000u || (addr >= 0xE0040000u && addr < 0xE0100000u) ||
        (addr >= 0xE0002000u && addr < 0xE0003000u))
        return 0; /* ITM, FPB, TPIU, ETM: ignored */
    if (addr >= 0xE0001000u && addr < 0xE0002000u) {
        if (addr == 0xE0001000u) {
            cyccnt_rebase(m);
            c->dwt_ctrl = (c->dwt_ctrl & 0xF0000000u) | (v & 0x0FFFFFFFu);
        } else if (addr == 0xE0001004u) {
            c->cyccnt_base = v;
            c->cyccnt_ref = m->cycles;
        }
        return 0;
    }
    if (nvic_write(m, addr, v) == 0) {
        machine_update_deadline(m);
        return 0;
    }
    switch (addr) {
    case 0xE000E008u:
        return 0;
    case 0xE000E010u:
        syst_rebase(m);
        c->syst_csr = v & (SYST_ENABLE | SYST_TICKINT | SYST_CLKSOURCE);
        c->syst_ref_tick = syst_ticks(m);
        machine_update_deadline(m);
        return 0;
    case 0xE000E014u:
        syst_rebase(m);
        c->syst_rvr = v & 0x00FFFFFFu;
        machine_update_deadline(m);
        return 0;
    case 0xE000E018u: /* any write clears the counter and COUNTFLAG */
        c->syst_value = 0;
        c->syst_flag = 0;
        c->syst_ref_tick = syst_ticks(m);
        machine_update_deadline(m);
        return 0;
    case 0xE000E01Cu:
    case 0xE000ED00u:
        return 0;
    case 0xE000ED04u:
        nvic_icsr_write(m, v);
        return 0;
    case 0xE000ED08u:
        c->vtor = v & 0x3FFFFE00u;
        return 0;
    case 0xE000ED0Cu:
        if ((v >> 16) != 0x05FAu)
            return 0; /* no VECTKEY: ignored */
        c->aircr_prigroup = (v >> 8) & 7u;
        if (v & (1u << 2)) {
            m->reset_cause = RESET_SOFTWARE;
            machine_request_stop(m, STOP_RESET);
        } else if (v & 1u) {
            machine_warn(m, "AIRCR VECTRESET outside debug is unpredictable: ignored");
        }
        return 0;
    case 0xE000ED10u:
        c->scr = v & 0x16u;
        return 0;
    case 0xE000ED14u:
        c->ccr = v & 0x31Bu;
        return 0;
    case 0xE000ED18u: /* SHPR1-3: 4 priority bits; reserved bytes read 0 (PM0214 4.4.8) */
        c->shpr[0] = v & 0x00F0F0F0u;
        return 0;
    case 0xE000ED1Cu:
        c->shpr[1] = v & 0xF0000000u;
        return 0;
    case 0xE000ED20u:
        c->shpr[2] = v & 0xF0F000F0u;
        return 0;
    case 0xE000ED24u:
        nvic_shcsr_write(m, v);
        return 0;
    case 0xE000ED28u:
        c->cfsr &= ~v;
        return 0;
    case 0xE000ED2Cu:
        c->hfsr &= ~v;
        return 0;
    case 0xE000ED30u:
        c->dfsr &= ~v;
        return 0;
    case 0xE000ED34u:
        c->mmfar = v;
        return 0;
    case 0xE000ED38u:
        c->bfar = v;
        return 0;
    case 0xE000ED3Cu:
        return 0;
    case 0xE000ED88u:
        c->cpacr = v & 0x00F00000u;
        return 0;
    case 0xE000EDF0u:
    case 0xE000EDF4u:
    case 0xE000EDF8u:
        return 0;
    case 0xE000EDFCu:
        cyccnt_rebase(m);
        c->demcr = v & 0x010F07F1u;
        return 0;
    case 0xE000EF34u:
        c->fpccr = v & 0xC00001FBu;
        return 0;
    case 0xE000EF38u:
        c->fpcar = v & ~7u;
        return 0;
    case 0xE000EF3Cu:
        c->fpdscr = v & 0x07C00000u;
        return 0;
    default:
        return -1;
    }
}
