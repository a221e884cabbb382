/* The NVIC and exception priority model (emu/nvic.c) at register level, without a CPU:
 * level-sensitive lines, pending/active state, priorities and grouping, masking, ICSR/SHCSR
 * views, SysTick pending at a wrap. The special registers the CPU would hold (PRIMASK,
 * BASEPRI, FAULTMASK, IPSR) are set in m->cx as the CPU glue does. */
#include <stdlib.h>

#include "emu_machine.h"
#include "harness.h"
#include "machine.h"

#define HARNESS_SUITE "test_emu_nvic"

#define ISER(n) (0xE000E100u + 4u * (n))
#define ICER(n) (0xE000E180u + 4u * (n))
#define ISPR(n) (0xE000E200u + 4u * (n))
#define ICPR(n) (0xE000E280u + 4u * (n))
#define IABR(n) (0xE000E300u + 4u * (n))
#define IPR(n)  (0xE000E400u + 4u * (n))
#define STIR    0xE000EF00u
#define ICSR    0xE000ED04u
#define AIRCR   0xE000ED0Cu
#define SHPR2   0xE000ED1Cu
#define SHPR3   0xE000ED20u
#define SHCSR   0xE000ED24u
#define CFSR    0xE000ED28u

static struct machine *boot(void)
{
    return boot_board("f4discovery");
}

static uint32_t rd(struct machine *m, uint32_t addr)
{
    uint32_t v = 0;
    bus_read(m, addr, 4, &v);
    return v;
}

static void wr(struct machine *m, uint32_t addr, uint32_t v)
{
    bus_write(m, addr, 4, v);
}

/* PM0214 4.3.9: pending while high and not active; pending again after the ISR if still
 * high; a disabled interrupt still becomes pending. */
static void test_level_sensitive_lines(void)
{
    struct machine *m = boot();
    machine_irq_line(m, 67, 1); /* OTG_FS */
    CHECK(rd(m, ISPR(2)) & (1u << 3));
    CHECK_EQ(nvic_to_take(m), 0); /* disabled */
    wr(m, ISER(2), 1u << 3);
    CHECK_EQ(nvic_to_take(m), EXC_IRQ0 + 67);
    nvic_activate(m, EXC_IRQ0 + 67);
    CHECK_EQ(rd(m, ISPR(2)) & (1u << 3), 0); /* entry clears pending */
    CHECK(rd(m, IABR(2)) & (1u << 3));
    wr(m, ICPR(2), 1u << 3);
    CHECK_EQ(rd(m, ISPR(2)) & (1u << 3), 0); /* active: the high line does not re-pend */
    nvic_deactivate(m, EXC_IRQ0 + 67);
    CHECK(rd(m, ISPR(2)) & (1u << 3)); /* still high after the ISR: pending again */
    nvic_activate(m, EXC_IRQ0 + 67);
    machine_irq_line(m, 67, 0);
    nvic_deactivate(m, EXC_IRQ0 + 67);
    CHECK_EQ(rd(m, ISPR(2)) & (1u << 3), 0); /* deasserted in the ISR: done */
    /* A rising edge pends an active interrupt (PM0214 4.3.9). */
    nvic_activate(m, EXC_IRQ0 + 67);
    machine_irq_line(m, 67, 1);
    CHECK(rd(m, ISPR(2)) & (1u << 3));
    /* ICPR on a high inactive line: it stays pending. */
    nvic_deactivate(m, EXC_IRQ0 + 67);
    wr(m, ICPR(2), 1u << 3);
    CHECK(rd(m, ISPR(2)) & (1u << 3));
    done(m);
}

static void test_register_masks(void)
{
    struct machine *m = boot();
    wr(m, ISER(2), 0xFFFFFFFFu);
    CHECK_EQ(rd(m, ISER(2)), 0x3FFFFu); /* IRQ 64-81 exist, 82-95 read 0 */
    wr(m, ICER(2), 1u << 17);
    CHECK_EQ(rd(m, ISER(2)), 0x1FFFFu);
    wr(m, IPR(0), 0x12345678u);
    CHECK_EQ(rd(m, IPR(0)), 0x10305070u);      /* 4 priority bits */
    bus_write(m, 0xE000E400u + 81u, 1, 0xA5u); /* byte access as CMSIS NVIC_SetPriority */
    CHECK_EQ(nvic_priority(m, EXC_IRQ0 + 81), 0xA0);
    wr(m, SHPR2, 0xFFFFFFFFu);
    CHECK_EQ(rd(m, SHPR2), 0xF0000000u);
    wr(m, SHPR3, 0xFFFFFFFFu);
    CHECK_EQ(rd(m, SHPR3), 0xF0F000F0u);
    wr(m, STIR, 30);
    CHECK(rd(m, ISPR(0)) & (1u << 30));
    wr(m, ISPR(0), 1u << 31);
    CHECK(rd(m, ISPR(0)) & (1u << 31));
    wr(m, ICPR(0), 0xFFFFFFFFu);
    CHECK_EQ(rd(m, ISPR(0)), 0);
    done(m);
}

static void test_priority_and_grouping(void)
{
    struct machine *m = boot();
    wr(m, ISER(0), 0x7u);
    wr(m, IPR(0), 0x00406080u); /* IRQ0 0x80, IRQ1 0x60, IRQ2 0x40 */
    wr(m, ISPR(0), 0x7u);
    CHECK_EQ(nvic_to_take(m), EXC_IRQ0 + 2);
    nvic_activate(m, EXC_IRQ0 + 2);
    CHECK_EQ(nvic_exec_priority(m, 0), 0x40);
    CHECK_EQ(nvic_to_take(m), 0); /* 0x60 cannot preempt 0x40 */
    CHECK_EQ(nvic_highest_pending(m), EXC_IRQ0 + 1);
    nvic_deactivate(m, EXC_IRQ0 + 2);
    nvic_activate(m, EXC_IRQ0);
    CHECK_EQ(nvic_to_take(m), EXC_IRQ0 + 1); /* 0x60 preempts 0x80 */
    /* PRIGROUP 5: group = bits 7:6, so 0x60 and 0x40 are group 0x40: no preemption of 0x40
     * by 0x60 and none of 0x60 by 0x40 either. */
    wr(m, AIRCR, 0x05FA0500u);
    CHECK_EQ(rd(m, AIRCR) & 0x700u, 0x500u);
    CHECK_EQ(nvic_group_priority(m, EXC_IRQ0 + 1), 0x40);
    nvic_deactivate(m, EXC_IRQ0);
    nvic_activate(m, EXC_IRQ0 + 1);
    wr(m, ISPR(0), 0x4u);
    CHECK_EQ(nvic_to_take(m), 0);
    wr(m, AIRCR, 0x05FA0000u);
    CHECK_EQ(nvic_to_take(m), EXC_IRQ0 + 2);
    /* Equal priority: the lower exception number first. */
    struct machine *n = boot();
    wr(n, ISER(0), 0x30u);
    wr(n, ISPR(0), 0x30u);
    CHECK_EQ(nvic_to_take(n), EXC_IRQ0 + 4);
    done(n);
    done(m);
}

static void test_masks(void)
{
    struct machine *m = boot();
    wr(m, ISER(0), 0x3u);
    wr(m, IPR(0), 0x00002080u); /* IRQ0 0x80, IRQ1 0x20 */
    wr(m, ISPR(0), 0x1u);
    m->cx.basepri = 0x40;
    CHECK_EQ(nvic_to_take(m), 0);
    CHECK_EQ((rd(m, ICSR) >> 12) & 0x1FFu, 0); /* VECTPENDING includes BASEPRI */
    CHECK(rd(m, ICSR) & (1u << 22));           /* ISRPENDING */
    wr(m, ISPR(0), 0x2u);
    CHECK_EQ(nvic_to_take(m), EXC_IRQ0 + 1);
    m->cx.basepri = 0;
    m->cx.primask = 1;
    CHECK_EQ(nvic_to_take(m), 0);
    CHECK(nvic_wfi_wake(m));                              /* WFI wakes with PRIMASK set */
    CHECK_EQ((rd(m, ICSR) >> 12) & 0x1FFu, EXC_IRQ0 + 1); /* not PRIMASK */
    m->cx.primask = 0;
    m->cx.faultmask = 1;
    CHECK_EQ(nvic_exec_priority(m, 0), -1);
    CHECK_EQ(nvic_to_take(m), 0);
    done(m);
}

static void test_system_exceptions(void)
{
    struct machine *m = boot();
    wr(m, ICSR, 1u << 28); /* PENDSVSET */
    CHECK(rd(m, ICSR) & (1u << 28));
    CHECK_EQ(nvic_to_take(m), EXC_PENDSV);
    wr(m, ICSR, 1u << 27); /* PENDSVCLR */
    CHECK_EQ(rd(m, ICSR) & (1u << 28), 0);
    CHECK_EQ(nvic_to_take(m), 0);
    wr(m, ICSR, 1u << 26); /* PENDSTSET */
    wr(m, SHPR3, 0x40000000u);
    CHECK_EQ(nvic_to_take(m), EXC_SYSTICK);
    nvic_activate(m, EXC_SYSTICK);
    CHECK(rd(m, SHCSR) & (1u << 11)); /* SYSTICKACT */
    uint32_t icsr = rd(m, ICSR);
    CHECK_EQ(icsr & 0x1FFu, EXC_SYSTICK); /* VECTACTIVE */
    CHECK(icsr & (1u << 11));             /* RETTOBASE: only one active */
    wr(m, ICSR, 1u << 28);
    nvic_activate(m, EXC_PENDSV); /* as if nested */
    CHECK_EQ(rd(m, ICSR) & (1u << 11), 0);
    /* SHCSR enables and the fault pending bits */
    wr(m, SHCSR, (1u << 16) | (1u << 17) | (1u << 18));
    CHECK_EQ(rd(m, SHCSR) & 0x70000u, 0x70000u);
    CHECK(nvic_is_enabled(m, EXC_BUSFAULT));
    /* CFSR is write-one-to-clear */
    m->cx.cfsr = 0x8200u;
    wr(m, CFSR, 0x0200u);
    CHECK_EQ(rd(m, CFSR), 0x8000u);
    CHECK(exc_name(EXC_IRQ0 + 67)[0] == 'O' && exc_name(EXC_IRQ0 + 67)[3] == '_');
    CHECK_EQ(exc_name(EXC_SYSTICK)[0], 'S');
    done(m);
}

/* SysTick with TICKINT pends the exception at the wrap (it used to end the run). */
static void test_systick_pends(void)
{
    struct machine *m = boot();
    wr(m, 0xE000E014u, 15999u);
    wr(m, 0xE000E018u, 0);
    wr(m, 0xE000E010u, 7u); /* ENABLE, TICKINT, HCLK */
    machine_add_stall_cycles(m, 100);
    CHECK_EQ(nvic_is_pending(m, EXC_SYSTICK), 0);
    machine_add_stall_cycles(m, 16000);
    CHECK(nvic_is_pending(m, EXC_SYSTICK));
    CHECK_EQ(m->stop, STOP_NONE);
    CHECK(rd(m, 0xE000E010u) & (1u << 16)); /* COUNTFLAG too */
    done(m);
}

int main(void)
{
    log_set_output(fopen("/dev/null", "w"));
    RUN_TEST(test_level_sensitive_lines);
    RUN_TEST(test_register_masks);
    RUN_TEST(test_priority_and_grouping);
    RUN_TEST(test_masks);
    RUN_TEST(test_system_exceptions);
    RUN_TEST(test_systick_pends);
    return HARNESS_EXIT();
}
