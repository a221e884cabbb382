/* Basic and general-purpose timers TIM2-TIM7 (RM0090 sections 18 and 20): up-counting from the
 * APB1 timer clock (x2 when the APB1 prescaler is not 1, RM0090 6.2) through PSC, update event
 * at ARR with the UIF flag, UG, URS, UDIS, OPM, ARPE, and the update interrupt. Capture/compare,
 * down/center-aligned counting, slave modes and DMA are stored but not modeled (a warning). The
 * counter is computed from virtual time, so time may jump over it exactly: the next update is a
 * scheduled event. */
#include "log.h"
#include "machine.h"

#define CR1_CEN  (1u << 0)
#define CR1_UDIS (1u << 1)
#define CR1_URS  (1u << 2)
#define CR1_OPM  (1u << 3)
#define CR1_DIR  (1u << 4)
#define CR1_CMS  (3u << 5)
#define CR1_ARPE (1u << 7)
#define DIER_UIE (1u << 0)
#define SR_UIF   (1u << 0)
#define EGR_UG   (1u << 0)

/* TIM2 and TIM5 have 32-bit counters (RM0090 18.1); TIM3/4 and TIM6/7 16-bit. */
static uint32_t width_max(int unit)
{
    return unit == 0 || unit == 3 ? 0xFFFFFFFFu : 0xFFFFu;
}

static int basic(int unit)
{
    return unit >= 4; /* TIM6, TIM7 */
}

static uint32_t tim_clock(const struct machine *m)
{
    return rcc_apb_hz(m, 1, 1);
}

/* The update event (RM0090 18.3.1): counter and prescaler counter restart, the preloaded
 * PSC (and ARR with ARPE) take effect, UIF is set unless UDIS; OPM stops the counter. */
static void update_event(struct tim_model *t, int set_flag)
{
    t->cnt = 0;
    t->psc_cnt = 0;
    t->psc = t->psc_pre;
    t->arr = t->arr_pre;
    if (set_flag)
        t->sr |= SR_UIF;
    if (t->cr1 & CR1_OPM)
        t->cr1 &= ~CR1_CEN;
}

/* Timer-clock ticks from the current state to the next overflow; 0: none (counter blocked
 * with ARR = 0, RM0090 18.3.2, or stopped). */
static uint64_t ticks_to_update(const struct tim_model *t, int unit)
{
    if (!(t->cr1 & CR1_CEN) || t->arr == 0)
        return 0;
    /* Above ARR (ARR lowered without preload) the counter runs on to the top and wraps. */
    uint64_t steps =
        t->cnt <= t->arr ? (uint64_t)t->arr - t->cnt + 1 : (uint64_t)width_max(unit) - t->cnt + 1;
    return (uint64_t)(t->psc + 1u) * steps - t->psc_cnt;
}

static void count_ticks(struct tim_model *t, int unit, uint64_t ticks)
{
    while (ticks && (t->cr1 & CR1_CEN) && t->arr != 0) {
        uint64_t tu = ticks_to_update(t, unit);
        if (ticks < tu) {
            uint64_t total = t->psc_cnt + ticks;
            t->cnt += (uint32_t)(total / (t->psc + 1u));
            t->psc_cnt = (uint32_t)(total % (t->psc + 1u));
            return;
        }
        ticks -= tu;
        if (t->cnt > t->arr) { /* the wrap at the top is no overflow (see docs) */
            t->cnt = 0;
            t->psc_cnt = 0;
            continue;
        }
        if (t->cr1 & CR1_UDIS) {
            t->cnt = 0;
            t->psc_cnt = 0;
        } else {
            update_event(t, 1);
        }
        /* From 0 with steady PSC/ARR the period is fixed: skip whole periods at once. */
        uint64_t period = (uint64_t)(t->psc + 1u) * ((uint64_t)t->arr + 1u);
        if ((t->cr1 & CR1_CEN) && t->psc == t->psc_pre && t->arr == t->arr_pre && period &&
            ticks >= period) {
            uint64_t n = ticks / period;
            ticks -= n * period;
            if (!(t->cr1 & CR1_UDIS))
                t->sr |= SR_UIF;
            if (t->cr1 & CR1_OPM)
                t->cr1 &= ~CR1_CEN;
        }
    }
}

static void sample_irq(struct machine *m, const struct periph *p)
{
    const struct tim_model *t = &m->tim[p->unit];
    periph_irq(m, p, (t->sr & SR_UIF) && (t->dier & DIER_UIE));
}

/* Counts the ticks from sync_ns to now at the clock in effect, then takes the current clock. */
static void tim_sync(struct machine *m, const struct periph *p, uint64_t now)
{
    struct tim_model *t = &m->tim[p->unit];
    if (now > t->sync_ns && (t->cr1 & CR1_CEN) && t->clk_hz) {
        unsigned __int128 x = (unsigned __int128)(now - t->sync_ns) * t->clk_hz + t->frac;
        uint64_t ticks = (uint64_t)(x / 1000000000u);
        t->frac = (uint64_t)(x % 1000000000u);
        count_ticks(t, p->unit, ticks);
    } else if (!(t->cr1 & CR1_CEN)) {
        t->frac = 0;
    }
    if (now > t->sync_ns)
        t->sync_ns = now;
    t->clk_hz = tim_clock(m);
    sample_irq(m, p);
}

static void check_mode(struct machine *m, const struct periph *p)
{
    struct tim_model *t = &m->tim[p->unit];
    if (t->warned_mode)
        return;
    const char *what = NULL;
    if (t->cr1 & (CR1_DIR | CR1_CMS))
        what = "down or center-aligned counting";
    else if (t->smcr & 7u)
        what = "a slave mode";
    else if (t->dier & ~DIER_UIE)
        what = "capture/compare or DMA requests";
    if (what) {
        t->warned_mode = 1;
        machine_warn(m, "%s uses %s: not modeled (the counter counts up)", p->name, what);
    }
}

static int tim_read(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                    uint32_t *value)
{
    struct tim_model *t = &m->tim[p->unit];
    (void)size;
    tim_sync(m, p, machine_now_ns(m));
    uint32_t v = 0;
    switch (off) {
    case 0x00:
        v = t->cr1;
        break;
    case 0x04:
        v = t->cr2;
        break;
    case 0x08:
        v = t->smcr;
        break;
    case 0x0C:
        v = t->dier;
        break;
    case 0x10:
        v = t->sr;
        break;
    case 0x18:
        v = t->ccmr1;
        break;
    case 0x1C:
        v = t->ccmr2;
        break;
    case 0x20:
        v = t->ccer;
        break;
    case 0x24:
        v = t->cnt;
        break;
    case 0x28:
        v = t->psc_pre; /* reads the preload value (RM0090 18.4.11) */
        break;
    case 0x2C:
        v = t->arr_pre;
        break;
    case 0x34:
    case 0x38:
    case 0x3C:
    case 0x40:
        v = t->ccr[(off - 0x34) / 4];
        break;
    case 0x48:
        v = t->dcr;
        break;
    case 0x50:
        v = t->or_;
        break;
    default:
        break;
    }
    *value = v;
    return 0;
}

static int tim_write(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                     uint32_t v)
{
    struct tim_model *t = &m->tim[p->unit];
    uint32_t wmax = width_max(p->unit);
    (void)size;
    tim_sync(m, p, machine_now_ns(m));
    switch (off) {
    case 0x00:
        t->cr1 = v & (basic(p->unit) ? 0x8Fu : 0x3FFu);
        break;
    case 0x04:
        t->cr2 = v & 0xF8u;
        break;
    case 0x08:
        if (!basic(p->unit))
            t->smcr = v & 0xFFF7u;
        break;
    case 0x0C:
        t->dier = v & (basic(p->unit) ? 0x101u : 0x5F5Fu);
        break;
    case 0x10: /* rc_w0 */
        t->sr &= v;
        break;
    case 0x14:
        if (v & EGR_UG) { /* RM0090 18.4.6: re-initializes the counter, updates the registers */
            if (t->cr1 & CR1_UDIS) {
                t->cnt = 0;
                t->psc_cnt = 0;
            } else {
                uint32_t cen = t->cr1 & CR1_CEN; /* UG does not stop a one-pulse counter */
                update_event(t, !(t->cr1 & CR1_URS));
                t->cr1 |= cen;
            }
        }
        break;
    case 0x18:
        t->ccmr1 = v & 0xFFFFu;
        break;
    case 0x1C:
        t->ccmr2 = v & 0xFFFFu;
        break;
    case 0x20:
        t->ccer = v & 0xBBBBu;
        break;
    case 0x24:
        t->cnt = v & wmax;
        break;
    case 0x28:
        t->psc_pre = v & 0xFFFFu;
        break;
    case 0x2C:
        t->arr_pre = v & wmax;
        if (!(t->cr1 & CR1_ARPE))
            t->arr = t->arr_pre;
        break;
    case 0x34:
    case 0x38:
    case 0x3C:
    case 0x40:
        if (!basic(p->unit))
            t->ccr[(off - 0x34) / 4] = v & wmax;
        break;
    case 0x48:
        t->dcr = v & 0x1F1Fu;
        break;
    case 0x50:
        t->or_ = v;
        break;
    default:
        break;
    }
    check_mode(m, p);
    sample_irq(m, p);
    return 0;
}

static void tim_reset(struct machine *m, const struct periph *p, enum periph_reset kind)
{
    struct tim_model *t = &m->tim[p->unit];
    struct tim_model zero = {0};
    (void)kind;
    *t = zero;
    t->arr = t->arr_pre = width_max(p->unit); /* see docs: reset value of ARR */
    t->sync_ns = machine_now_ns(m);
    t->clk_hz = 0; /* taken at the first sync: the RCC may not be reset yet */
    sample_irq(m, p);
}

static uint64_t tim_next(struct machine *m, const struct periph *p)
{
    struct tim_model *t = &m->tim[p->unit];
    if (!(t->cr1 & CR1_CEN) || (t->cr1 & CR1_UDIS) || t->clk_hz == 0)
        return TIME_NEVER;
    uint64_t tu = ticks_to_update(t, p->unit);
    if (tu == 0)
        return TIME_NEVER;
    /* The update happens at the first ns where sync would count tu ticks. */
    unsigned __int128 need = (unsigned __int128)tu * 1000000000u - t->frac;
    return t->sync_ns + (uint64_t)((need + t->clk_hz - 1) / t->clk_hz);
}

static void tim_advance(struct machine *m, const struct periph *p, uint64_t now_ns)
{
    tim_sync(m, p, now_ns);
}

static void tim_clock_sync(struct machine *m, const struct periph *p)
{
    tim_sync(m, p, machine_now_ns(m));
}

static unsigned tim_reg_flags(const struct periph *p, uint32_t off)
{
    (void)p;
    if (off == 0x24)
        return REG_TIME;                                  /* CNT */
    return off == 0x10 || off == 0x14 ? REG_NO_MERGE : 0; /* SR rc_w0, EGR write-only */
}

const struct periph_ops tim_ops = {
    .read = tim_read,
    .write = tim_write,
    .reset = tim_reset,
    .next_event_ns = tim_next,
    .advance = tim_advance,
    .reg_flags = tim_reg_flags,
    .clock_sync = tim_clock_sync,
};
