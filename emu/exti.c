/* SYSCFG (RM0090 section 9) and EXTI (section 12). EXTI lines 0-15 take the pin selected by
 * SYSCFG_EXTICRx (port A-I) through the GPIO input (emu/gpio.c, where the board's button is an
 * input); an edge enabled in RTSR/FTSR sets PR when the line is unmasked in IMR (figure 41),
 * and PR drives the EXTI interrupt lines of table 61. Lines 16-22 (PVD, RTC, USB wakeup,
 * Ethernet wakeup) have no source here; SWIER reaches them as any other line. */
#include "log.h"
#include "machine.h"

#define EXTI_LINES_MASK 0x007FFFFFu

static uint32_t sample_lines(const struct machine *m)
{
    uint32_t v = 0, idr[9];
    for (int port = 0; port < 9; port++)
        idr[port] = gpio_idr(m, port);
    for (unsigned line = 0; line < 16; line++) {
        unsigned port = (m->syscfg.exticr[line / 4] >> (4 * (line % 4))) & 0xFu;
        if (port < 9)
            v |= ((idr[port] >> line) & 1u) << line;
    }
    return v;
}

/* RM0090 table 61: EXTI0-4 have their own lines; 5-9 and 10-15 share one each. */
static void exti_sample_irq(struct machine *m)
{
    uint32_t pr = m->exti.pr;
    for (unsigned line = 0; line < 5; line++)
        machine_irq_line(m, 6 + line, (pr >> line) & 1u);
    machine_irq_line(m, 23, (pr & 0x03E0u) != 0);
    machine_irq_line(m, 40, (pr & 0xFC00u) != 0);
}

static void exti_edges(struct machine *m, int detect)
{
    struct exti_model *e = &m->exti;
    uint32_t now = sample_lines(m);
    if (detect) {
        uint32_t rising = now & ~e->level, falling = e->level & ~now;
        uint32_t trig = ((rising & e->rtsr) | (falling & e->ftsr)) & e->imr;
        if (trig && (m->trace & TRACE_GPIO))
            emu_log(machine_now_ns(m), "exti: lines 0x%05x pending", trig);
        e->pr |= trig;
    }
    e->level = now;
    exti_sample_irq(m);
}

static void exti_pins_changed(struct machine *m, const struct periph *p)
{
    (void)p;
    exti_edges(m, 1);
}

static int exti_read(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                     uint32_t *value)
{
    const struct exti_model *e = &m->exti;
    (void)p;
    (void)size;
    switch (off) {
    case 0x00:
        *value = e->imr;
        break;
    case 0x04:
        *value = e->emr;
        break;
    case 0x08:
        *value = e->rtsr;
        break;
    case 0x0C:
        *value = e->ftsr;
        break;
    case 0x10:
        *value = e->swier;
        break;
    case 0x14:
        *value = e->pr;
        break;
    default:
        *value = 0;
        break;
    }
    return 0;
}

static int exti_write(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                      uint32_t v)
{
    struct exti_model *e = &m->exti;
    (void)p;
    (void)size;
    v &= EXTI_LINES_MASK;
    switch (off) {
    case 0x00:
        e->imr = v;
        break;
    case 0x04:
        e->emr = v;
        break;
    case 0x08:
        e->rtsr = v;
        break;
    case 0x0C:
        e->ftsr = v;
        break;
    case 0x10: /* RM0090 12.3.5: a 0->1 write sets PR where IMR allows it */
        e->pr |= v & ~e->swier & e->imr;
        e->swier |= v;
        break;
    case 0x14: /* rc_w1; clearing PR clears SWIER too */
        e->pr &= ~v;
        e->swier &= ~v;
        break;
    default:
        break;
    }
    exti_sample_irq(m);
    return 0;
}

static void exti_reset(struct machine *m, const struct periph *p, enum periph_reset kind)
{
    struct exti_model zero = {0};
    (void)p;
    (void)kind;
    m->exti = zero;
    exti_edges(m, 0);
}

static unsigned exti_reg_flags(const struct periph *p, uint32_t off)
{
    (void)p;
    return off == 0x14 ? REG_NO_MERGE : 0;
}

const struct periph_ops exti_ops = {
    .read = exti_read,
    .write = exti_write,
    .reset = exti_reset,
    .reg_flags = exti_reg_flags,
    .pins_changed = exti_pins_changed,
};

/* ---- SYSCFG ---- */

#define CMPCR_CMP_PD (1u << 0)
#define CMPCR_READY  (1u << 8)

static int syscfg_read(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                       uint32_t *value)
{
    const struct syscfg_model *s = &m->syscfg;
    (void)p;
    (void)size;
    if (off == 0x00)
        *value = s->memrmp;
    else if (off == 0x04)
        *value = s->pmc;
    else if (off >= 0x08 && off <= 0x14)
        *value = s->exticr[(off - 0x08) / 4];
    else if (off == 0x20) /* READY follows CMP_PD at once (see docs) */
        *value = s->cmpcr | ((s->cmpcr & CMPCR_CMP_PD) ? CMPCR_READY : 0);
    else
        *value = 0;
    return 0;
}

static int syscfg_write(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                        uint32_t v)
{
    struct syscfg_model *s = &m->syscfg;
    (void)size;
    if (off == 0x00) {
        s->memrmp = v & 3u;
        if (s->memrmp)
            machine_warn(m,
                         "%s_MEMRMP.MEM_MODE=%u: memory remapping at 0 is not modeled "
                         "(flash stays there)",
                         p->name, s->memrmp);
    } else if (off == 0x04) {
        s->pmc = v & (1u << 23);
    } else if (off >= 0x08 && off <= 0x14) {
        s->exticr[(off - 0x08) / 4] = v & 0xFFFFu;
        exti_edges(m, 0); /* a new selection is sampled, not taken as an edge (see docs) */
    } else if (off == 0x20) {
        s->cmpcr = v & CMPCR_CMP_PD;
    }
    return 0;
}

static void syscfg_reset(struct machine *m, const struct periph *p, enum periph_reset kind)
{
    struct syscfg_model zero = {0};
    (void)p;
    (void)kind;
    m->syscfg = zero;
    exti_edges(m, 0);
}

const struct periph_ops syscfg_ops = {
    .read = syscfg_read,
    .write = syscfg_write,
    .reset = syscfg_reset,
};
