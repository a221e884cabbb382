/* NVIC and the exception priority model of the Cortex-M4 (ARMv7-M ARM B1.5 "exception
 * model", B3.4 "NVIC"; PM0214 2.3 and 4.3). Enable, pending and active state for the 82
 * STM32F407 interrupt lines and the system exceptions, priorities with AIRCR.PRIGROUP,
 * execution priority with PRIMASK/FAULTMASK/BASEPRI, the choice of the exception to take.
 * No CPU here: the CPU glue (exception.c) mirrors the special registers into m->cx before
 * asking, and does the stacking. */
#include "log.h"
#include "machine.h"

/* The F407 implements 4 priority bits (PM0214 4.3.7): the low nibble reads 0. */
#define PRIO_MASK 0xF0u

static const uint32_t irq_valid[3] = {0xFFFFFFFFu, 0xFFFFFFFFu, (1u << (NVIC_IRQS - 64)) - 1u};

/* RM0090 table 61 (vector table for STM32F405xx/07xx and STM32F415xx/17xx). */
static const char *const irq_names[NVIC_IRQS] = {
    "WWDG",
    "PVD",
    "TAMP_STAMP",
    "RTC_WKUP",
    "FLASH",
    "RCC",
    "EXTI0",
    "EXTI1",
    "EXTI2",
    "EXTI3",
    "EXTI4",
    "DMA1_Stream0",
    "DMA1_Stream1",
    "DMA1_Stream2",
    "DMA1_Stream3",
    "DMA1_Stream4",
    "DMA1_Stream5",
    "DMA1_Stream6",
    "ADC",
    "CAN1_TX",
    "CAN1_RX0",
    "CAN1_RX1",
    "CAN1_SCE",
    "EXTI9_5",
    "TIM1_BRK_TIM9",
    "TIM1_UP_TIM10",
    "TIM1_TRG_COM_TIM11",
    "TIM1_CC",
    "TIM2",
    "TIM3",
    "TIM4",
    "I2C1_EV",
    "I2C1_ER",
    "I2C2_EV",
    "I2C2_ER",
    "SPI1",
    "SPI2",
    "USART1",
    "USART2",
    "USART3",
    "EXTI15_10",
    "RTC_Alarm",
    "OTG_FS_WKUP",
    "TIM8_BRK_TIM12",
    "TIM8_UP_TIM13",
    "TIM8_TRG_COM_TIM14",
    "TIM8_CC",
    "DMA1_Stream7",
    "FSMC",
    "SDIO",
    "TIM5",
    "SPI3",
    "UART4",
    "UART5",
    "TIM6_DAC",
    "TIM7",
    "DMA2_Stream0",
    "DMA2_Stream1",
    "DMA2_Stream2",
    "DMA2_Stream3",
    "DMA2_Stream4",
    "ETH",
    "ETH_WKUP",
    "CAN2_TX",
    "CAN2_RX0",
    "CAN2_RX1",
    "CAN2_SCE",
    "OTG_FS",
    "DMA2_Stream5",
    "DMA2_Stream6",
    "DMA2_Stream7",
    "USART6",
    "I2C3_EV",
    "I2C3_ER",
    "OTG_HS_EP1_OUT",
    "OTG_HS_EP1_IN",
    "OTG_HS_WKUP",
    "OTG_HS",
    "DCMI",
    "CRYP",
    "HASH_RNG",
    "FPU",
};

const char *exc_name(unsigned exc)
{
    static const char *const sys[16] = {
        "Thread",     "Reset",        "NMI",         "HardFault",   "MemManage",    "BusFault",
        "UsageFault", "exception 7",  "exception 8", "exception 9", "exception 10", "SVCall",
        "DebugMon",   "exception 13", "PendSV",      "SysTick",
    };
    if (exc < 16)
        return sys[exc];
    if (exc < EXC_COUNT)
        return irq_names[exc - EXC_IRQ0];
    return "unknown exception";
}

void nvic_reset(struct machine *m)
{
    struct cortex_model *c = &m->cx;
    for (int i = 0; i < 3; i++) {
        c->nvic_iser[i] = c->nvic_ispr[i] = c->nvic_iabr[i] = 0;
    }
    for (unsigned i = 0; i < sizeof c->nvic_ipr; i++)
        c->nvic_ipr[i] = 0;
    c->sys_pending = c->sys_active = 0;
    c->primask = c->faultmask = c->basepri = c->ipsr = 0;
    c->event_reg = 0;
    /* Lines that are high stay high across a reset of the core: they pend again. */
    for (int i = 0; i < 3; i++)
        c->nvic_ispr[i] = c->irq_level[i] & irq_valid[i];
}

static int irq_bit(unsigned exc, unsigned *word, uint32_t *bit)
{
    if (exc < EXC_IRQ0 || exc >= EXC_COUNT)
        return 0;
    unsigned n = exc - EXC_IRQ0;
    *word = n / 32u;
    *bit = 1u << (n % 32u);
    return 1;
}

int nvic_priority(const struct machine *m, unsigned exc)
{
    const struct cortex_model *c = &m->cx;
    switch (exc) {
    case 1:
        return -3;
    case EXC_NMI:
        return -2;
    case EXC_HARDFAULT:
        return -1;
    default:
        break;
    }
    if (exc >= EXC_IRQ0)
        return exc < EXC_COUNT ? c->nvic_ipr[exc - EXC_IRQ0] : 0;
    if (exc >= 4 && exc < 16) /* SHPR1-3: byte (exc - 4) */
        return (int)((c->shpr[(exc - 4u) / 4u] >> (8u * ((exc - 4u) % 4u))) & 0xFFu);
    return 0;
}

/* B1.5.4: the subpriority field (bits PRIGROUP:0) does not take part in preemption. */
static int group_of(const struct machine *m, int prio)
{
    if (prio < 0)
        return prio;
    int groupvalue = 2 << m->cx.aircr_prigroup;
    return prio - prio % groupvalue;
}

int nvic_group_priority(const struct machine *m, unsigned exc)
{
    return group_of(m, nvic_priority(m, exc));
}

int nvic_is_active(const struct machine *m, unsigned exc)
{
    unsigned w;
    uint32_t b;
    if (irq_bit(exc, &w, &b))
        return (m->cx.nvic_iabr[w] & b) != 0;
    return exc < 16 && (m->cx.sys_active >> exc) & 1u;
}

int nvic_is_pending(const struct machine *m, unsigned exc)
{
    unsigned w;
    uint32_t b;
    if (irq_bit(exc, &w, &b))
        return (m->cx.nvic_ispr[w] & b) != 0;
    return exc < 16 && (m->cx.sys_pending >> exc) & 1u;
}

int nvic_is_enabled(const struct machine *m, unsigned exc)
{
    unsigned w;
    uint32_t b;
    if (irq_bit(exc, &w, &b))
        return (m->cx.nvic_iser[w] & b) != 0;
    switch (exc) {
    case EXC_MEMMANAGE:
        return (m->cx.shcsr >> 16) & 1u;
    case EXC_BUSFAULT:
        return (m->cx.shcsr >> 17) & 1u;
    case EXC_USAGEFAULT:
        return (m->cx.shcsr >> 18) & 1u;
    case EXC_NMI:
    case EXC_HARDFAULT:
    case EXC_SVCALL:
    case EXC_PENDSV:
    case EXC_SYSTICK:
        return 1;
    default:
        return 0; /* DebugMon (no monitor debug) and reserved numbers */
    }
}

void nvic_set_pending(struct machine *m, unsigned exc)
{
    unsigned w;
    uint32_t b;
    int was = nvic_is_pending(m, exc);
    if (irq_bit(exc, &w, &b))
        m->cx.nvic_ispr[w] |= b;
    else if (exc < 16)
        m->cx.sys_pending |= 1u << exc;
    /* SEVONPEND: an exception entering the pending state is a WFE wake-up event (B1.5.18). */
    if (!was && (m->cx.scr & (1u << 4)))
        m->cx.event_reg = 1;
}

/* PM0214 4.3.9: a line that is high pends its interrupt when the interrupt is not active. */
static void sample_levels(struct machine *m)
{
    struct cortex_model *c = &m->cx;
    for (int i = 0; i < 3; i++) {
        uint32_t add = c->irq_level[i] & ~c->nvic_iabr[i] & ~c->nvic_ispr[i] & irq_valid[i];
        if (add) {
            c->nvic_ispr[i] |= add;
            if (c->scr & (1u << 4))
                c->event_reg = 1;
        }
    }
}

void nvic_clear_pending(struct machine *m, unsigned exc)
{
    unsigned w;
    uint32_t b;
    if (irq_bit(exc, &w, &b)) {
        m->cx.nvic_ispr[w] &= ~b;
        sample_levels(m);
    } else if (exc < 16) {
        m->cx.sys_pending &= ~(1u << exc);
    }
}

void machine_irq_line(struct machine *m, unsigned irqn, int level)
{
    if (irqn >= 96)
        return;
    uint32_t bit = 1u << (irqn % 32u);
    uint32_t *lv = &m->cx.irq_level[irqn / 32u];
    int was = (*lv & bit) != 0;
    if (level)
        *lv |= bit;
    else
        *lv &= ~bit;
    if (irqn >= NVIC_IRQS)
        return;
    /* A rising edge pends even an active interrupt; a high line pends an inactive one. */
    if (level && !was)
        nvic_set_pending(m, EXC_IRQ0 + irqn);
    else if (level)
        sample_levels(m);
}

void nvic_activate(struct machine *m, unsigned exc)
{
    unsigned w;
    uint32_t b;
    if (irq_bit(exc, &w, &b)) {
        m->cx.nvic_ispr[w] &= ~b;
        m->cx.nvic_iabr[w] |= b;
    } else if (exc < 16) {
        m->cx.sys_pending &= ~(1u << exc);
        m->cx.sys_active |= 1u << exc;
    }
    m->cx.ipsr = exc;
}

void nvic_deactivate(struct machine *m, unsigned exc)
{
    unsigned w;
    uint32_t b;
    if (irq_bit(exc, &w, &b))
        m->cx.nvic_iabr[w] &= ~b;
    else if (exc < 16)
        m->cx.sys_active &= ~(1u << exc);
    /* B3.4.1 / PM0214 4.3.9: a level-sensitive line still high pends again. */
    sample_levels(m);
}

unsigned nvic_active_count(const struct machine *m)
{
    unsigned n = (unsigned)__builtin_popcount(m->cx.sys_active);
    for (int i = 0; i < 3; i++)
        n += (unsigned)__builtin_popcount(m->cx.nvic_iabr[i]);
    return n;
}

/* The priority boost of BASEPRI, PRIMASK and FAULTMASK (B1.5.4 ExecutionPriority()). */
static int boosted_priority(const struct machine *m, int ignore_primask)
{
    const struct cortex_model *c = &m->cx;
    int boost = PRIO_THREAD;
    if (c->basepri & PRIO_MASK)
        boost = group_of(m, (int)(c->basepri & PRIO_MASK));
    if (c->primask & 1u && !ignore_primask)
        boost = 0;
    if (c->faultmask & 1u)
        boost = -1;
    return boost;
}

int nvic_exec_priority(const struct machine *m, int ignore_primask)
{
    const struct cortex_model *c = &m->cx;
    int hp = PRIO_THREAD;
    for (unsigned e = 1; e < 16; e++)
        if ((c->sys_active >> e) & 1u) {
            int p = nvic_group_priority(m, e);
            if (p < hp)
                hp = p;
        }
    for (unsigned i = 0; i < 3; i++)
        for (uint32_t a = c->nvic_iabr[i]; a; a &= a - 1u) {
            int p = group_of(m, c->nvic_ipr[i * 32u + (unsigned)__builtin_ctz(a)]);
            if (p < hp)
                hp = p;
        }
    int boost = boosted_priority(m, ignore_primask);
    return boost < hp ? boost : hp;
}

int nvic_any_pending(const struct machine *m)
{
    const struct cortex_model *c = &m->cx;
    return c->sys_pending || (c->nvic_ispr[0] & c->nvic_iser[0]) ||
           (c->nvic_ispr[1] & c->nvic_iser[1]) || (c->nvic_ispr[2] & c->nvic_iser[2]);
}

/* Highest-priority pending enabled exception whose group priority is below limit. */
static unsigned best_pending(const struct machine *m, int limit)
{
    const struct cortex_model *c = &m->cx;
    unsigned best = 0;
    int best_prio = PRIO_THREAD;
    for (unsigned e = 2; e < 16; e++) {
        if (!((c->sys_pending >> e) & 1u) || !nvic_is_enabled(m, e))
            continue;
        int p = nvic_priority(m, e);
        if (group_of(m, p) < limit && (best == 0 || p < best_prio)) {
            best = e;
            best_prio = p;
        }
    }
    for (unsigned i = 0; i < 3; i++)
        for (uint32_t a = c->nvic_ispr[i] & c->nvic_iser[i]; a; a &= a - 1u) {
            unsigned n = i * 32u + (unsigned)__builtin_ctz(a);
            int p = c->nvic_ipr[n];
            if (group_of(m, p) < limit && (best == 0 || p < best_prio)) {
                best = EXC_IRQ0 + n;
                best_prio = p;
            }
        }
    return best;
}

unsigned nvic_highest_pending(const struct machine *m)
{
    return best_pending(m, PRIO_THREAD + 1);
}

unsigned nvic_to_take(const struct machine *m)
{
    if (!nvic_any_pending(m))
        return 0;
    return best_pending(m, nvic_exec_priority(m, 0));
}

int nvic_wfi_wake(const struct machine *m)
{
    if (!nvic_any_pending(m))
        return 0;
    return best_pending(m, nvic_exec_priority(m, 1)) != 0;
}

/* ---- registers ---- */

uint32_t nvic_icsr(const struct machine *m)
{
    const struct cortex_model *c = &m->cx;
    uint32_t v = c->ipsr & 0x1FFu;
    unsigned active = nvic_active_count(m);
    if (active == 0 || (active == 1 && c->ipsr && nvic_is_active(m, c->ipsr)))
        v |= 1u << 11; /* RETTOBASE */
    /* VECTPENDING includes the effect of BASEPRI and FAULTMASK, not of PRIMASK (PM0214
     * 4.4.3). */
    v |= (best_pending(m, boosted_priority(m, 1)) & 0x1FFu) << 12;
    if (c->nvic_ispr[0] | c->nvic_ispr[1] | c->nvic_ispr[2])
        v |= 1u << 22; /* ISRPENDING */
    if (nvic_is_pending(m, EXC_SYSTICK))
        v |= 1u << 26;
    if (nvic_is_pending(m, EXC_PENDSV))
        v |= 1u << 28;
    if (nvic_is_pending(m, EXC_NMI))
        v |= 1u << 31;
    return v;
}

void nvic_icsr_write(struct machine *m, uint32_t v)
{
    if (v & (1u << 31))
        nvic_set_pending(m, EXC_NMI);
    if (v & (1u << 27))
        nvic_clear_pending(m, EXC_PENDSV);
    else if (v & (1u << 28))
        nvic_set_pending(m, EXC_PENDSV);
    if (v & (1u << 25))
        nvic_clear_pending(m, EXC_SYSTICK);
    else if (v & (1u << 26))
        nvic_set_pending(m, EXC_SYSTICK);
}

/* SHCSR (PM0214 4.4.9): active and pending bits of the system handlers, fault enables. */
static const struct {
    uint8_t bit, exc, pending;
} shcsr_bits[] = {
    {0, EXC_MEMMANAGE, 0},  {1, EXC_BUSFAULT, 0},  {3, EXC_USAGEFAULT, 0}, {7, EXC_SVCALL, 0},
    {8, EXC_DEBUGMON, 0},   {10, EXC_PENDSV, 0},   {11, EXC_SYSTICK, 0},   {12, EXC_USAGEFAULT, 1},
    {13, EXC_MEMMANAGE, 1}, {14, EXC_BUSFAULT, 1}, {15, EXC_SVCALL, 1},
};

uint32_t nvic_shcsr(const struct machine *m)
{
    uint32_t v = m->cx.shcsr & 0x00070000u;
    for (unsigned i = 0; i < sizeof shcsr_bits / sizeof shcsr_bits[0]; i++) {
        uint32_t mask = 1u << shcsr_bits[i].exc;
        uint32_t state = shcsr_bits[i].pending ? m->cx.sys_pending : m->cx.sys_active;
        if (state & mask)
            v |= 1u << shcsr_bits[i].bit;
    }
    return v;
}

void nvic_shcsr_write(struct machine *m, uint32_t v)
{
    m->cx.shcsr = v & 0x00070000u;
    for (unsigned i = 0; i < sizeof shcsr_bits / sizeof shcsr_bits[0]; i++) {
        uint32_t mask = 1u << shcsr_bits[i].exc;
        uint32_t *state = shcsr_bits[i].pending ? &m->cx.sys_pending : &m->cx.sys_active;
        if (v & (1u << shcsr_bits[i].bit))
            *state |= mask;
        else
            *state &= ~mask;
    }
}

int nvic_read(struct machine *m, uint32_t addr, uint32_t *out)
{
    struct cortex_model *c = &m->cx;
    unsigned n = (addr & 0x7Fu) / 4u;
    uint32_t v = 0;
    if (addr >= 0xE000E100u && addr < 0xE000E320u) {
        uint32_t *set = NULL;
        switch ((addr - 0xE000E100u) / 0x80u) {
        case 0: /* ISER */
        case 1: /* ICER */
            set = c->nvic_iser;
            break;
        case 2: /* ISPR */
        case 3: /* ICPR */
            set = c->nvic_ispr;
            break;
        case 4: /* IABR */
            set = c->nvic_iabr;
            break;
        default:
            break;
        }
        *out = set && n < 3 ? set[n] : 0;
        return 0;
    }
    if (addr >= 0xE000E400u && addr < 0xE000E4F0u) {
        unsigned i = addr - 0xE000E400u;
        for (unsigned k = 0; k < 4; k++)
            if (i + k < NVIC_IRQS)
                v |= (uint32_t)c->nvic_ipr[i + k] << (8u * k);
        *out = v;
        return 0;
    }
    if (addr == 0xE000EF00u) { /* STIR: write-only */
        *out = 0;
        return 0;
    }
    return -1;
}

int nvic_write(struct machine *m, uint32_t addr, uint32_t v)
{
    struct cortex_model *c = &m->cx;
    unsigned n = (addr & 0x7Fu) / 4u;
    if (addr >= 0xE000E100u && addr < 0xE000E320u) {
        if (n >= 3)
            return 0;
        v &= irq_valid[n];
        switch ((addr - 0xE000E100u) / 0x80u) {
        case 0:
            c->nvic_iser[n] |= v;
            break;
        case 1:
            c->nvic_iser[n] &= ~v;
            break;
        case 2:
            for (uint32_t b = v; b; b &= b - 1u)
                nvic_set_pending(m, EXC_IRQ0 + n * 32u + (unsigned)__builtin_ctz(b));
            break;
        case 3:
            c->nvic_ispr[n] &= ~v;
            sample_levels(m);
            break;
        default: /* IABR, reserved: read-only */
            break;
        }
        return 0;
    }
    if (addr >= 0xE000E400u && addr < 0xE000E4F0u) {
        unsigned i = addr - 0xE000E400u;
        for (unsigned k = 0; k < 4; k++)
            if (i + k < NVIC_IRQS)
                c->nvic_ipr[i + k] = (uint8_t)((v >> (8u * k)) & PRIO_MASK);
        return 0;
    }
    if (addr == 0xE000EF00u) {
        if ((v & 0x1FFu) < NVIC_IRQS)
            nvic_set_pending(m, EXC_IRQ0 + (v & 0x1FFu));
        return 0;
    }
    return -1;
}
