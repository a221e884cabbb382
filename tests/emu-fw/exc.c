/* Exception model checks through the real CPU path (ARMv7-M B1.5, PM0214 2.3): a vector table
 * in RAM (VTOR), PendSV pended from SVC, tail-chaining order, preemption with and without
 * priority grouping, BASEPRI and PRIMASK masking, BusFault with BFAR, HardFault escalation,
 * BKPT, SysTick waking WFI (PRIMASK set or not), WFE with SEV and SEVONPEND, an exception
 * taken on the process stack, and the extended (FP) frame. One "ok NAME" line per check. */
#include "emufw.h"

#define NVIC_ISER(n) REG(0xE000E100u + 4u * (n))
#define NVIC_ISPR(n) REG(0xE000E200u + 4u * (n))
#define NVIC_ICPR(n) REG(0xE000E280u + 4u * (n))
#define NVIC_IABR(n) REG(0xE000E300u + 4u * (n))
#define NVIC_IPR(n)  (*(volatile uint8_t *)(0xE000E400u + (n)))
#define NVIC_STIR    REG(0xE000EF00u)
#define SCB_ICSR     REG(0xE000ED04u)
#define SCB_SCR      REG(0xE000ED10u)
#define SCB_SHPR2    REG(0xE000ED1Cu)
#define SCB_SHPR3    REG(0xE000ED20u)
#define SCB_SHCSR    REG(0xE000ED24u)
#define SCB_CFSR     REG(0xE000ED28u)
#define SCB_HFSR     REG(0xE000ED2Cu)
#define SCB_BFAR     REG(0xE000ED38u)
#define SCB_CPACR    REG(0xE000ED88u)
#define FPU_FPCAR    REG(0xE000EF38u)
#define SYST_CSR     REG(0xE000E010u)
#define SYST_RVR     REG(0xE000E014u)
#define SYST_CVR     REG(0xE000E018u)

static uint32_t ram_vectors[16 + 82] __attribute__((aligned(512)));
static volatile char seq[32];
static volatile unsigned seq_len;
static volatile uint32_t ticks;

static void mark(char ch)
{
    if (seq_len < sizeof seq - 1u)
        seq[seq_len++] = ch;
    seq[seq_len] = 0;
}

static int seq_is(const char *want)
{
    unsigned i = 0;
    for (; want[i]; i++)
        if (i >= seq_len || seq[i] != want[i])
            return 0;
    return i == seq_len;
}

static void seq_reset(void)
{
    seq_len = 0;
    seq[0] = 0;
}

static void barrier(void)
{
    __asm volatile("dsb\n\tisb" ::: "memory");
}

static uint32_t ipsr(void)
{
    uint32_t v;
    __asm volatile("mrs %0, ipsr" : "=r"(v));
    return v;
}

static void set_basepri(uint32_t v)
{
    __asm volatile("msr basepri, %0\n\tisb" : : "r"(v) : "memory");
}

static void irq_enable(unsigned irq, uint8_t prio)
{
    NVIC_IPR(irq) = prio;
    NVIC_ISER(irq / 32u) = 1u << (irq % 32u);
}

/* ---- handlers ---- */

static void svc_handler(void)
{
    mark('S');
    SCB_ICSR = 1u << 28; /* PENDSVSET */
    mark('s');
}

static void pendsv_handler(void)
{
    mark('P');
}

static volatile uint32_t sleepy_ticks;

static void systick_handler(void)
{
    ticks++;
    if ((SCB_SCR & 2u) && ++sleepy_ticks == 3)
        SCB_SCR = 0; /* the third tick lets Thread mode run again */
}

static void irq_handler(void)
{
    unsigned irq = ipsr() - 16u;
    switch (irq) {
    case 13:
        mark('D');
        NVIC_STIR = 14; /* higher priority: preempts at once */
        NVIC_STIR = 15; /* same priority: waits, then tail-chains */
        barrier();
        mark('d');
        break;
    case 16:
        mark('G');
        NVIC_STIR = 17;
        barrier();
        mark('g');
        break;
    default:
        mark((char)('A' + (irq - 10u)));
        break;
    }
}

/* ---- faults: the handler records what it saw and skips the faulting instruction ---- */

struct fault_seen {
    uint32_t exc, cfsr, hfsr, bfar, pc, exc_return;
};
static volatile struct fault_seen seen;

__attribute__((used)) void fault_record(uint32_t *frame, uint32_t exc_return)
{
    seen.exc = ipsr();
    seen.cfsr = SCB_CFSR;
    seen.hfsr = SCB_HFSR;
    seen.bfar = SCB_BFAR;
    seen.pc = frame[6];
    seen.exc_return = exc_return;
    if (!(seen.cfsr & (1u << 10))) { /* imprecise: the stacked PC is already past the store */
        uint16_t hw = *(volatile uint16_t *)frame[6];
        frame[6] += (hw >> 11) >= 0x1Du ? 4u : 2u;
    }
    SCB_CFSR = seen.cfsr; /* write 1 to clear */
    SCB_HFSR = seen.hfsr;
}

__attribute__((naked)) static void fault_entry(void)
{
    __asm volatile("tst lr, #4\n\t"
                   "ite eq\n\t"
                   "mrseq r0, msp\n\t"
                   "mrsne r0, psp\n\t"
                   "mov r1, lr\n\t"
                   "b fault_record\n\t");
}

extern const char read_insn[], udf_insn[], bkpt_insn[];

__attribute__((noinline)) static uint32_t read_unmapped(void)
{
    uint32_t v;
    __asm volatile(".global read_insn\n"
                   "read_insn: ldr %0, [%1]"
                   : "=r"(v)
                   : "r"(0x60000000u)
                   : "memory");
    return v;
}

__attribute__((noinline)) static void do_udf(void)
{
    __asm volatile(".global udf_insn\n"
                   "udf_insn: udf #7" ::
                       : "memory");
}

__attribute__((noinline)) static void do_bkpt(void)
{
    __asm volatile(".global bkpt_insn\n"
                   "bkpt_insn: bkpt #1" ::
                       : "memory");
}

/* ---- process stack and FP frame ---- */

static uint32_t psp_stack[64] __attribute__((aligned(8)));
static volatile uint32_t irq_lr, irq_sp, irq_control;

__attribute__((used)) void record_irq(uint32_t sp, uint32_t lr)
{
    irq_sp = sp;
    irq_lr = lr;
}

/* IRQ 22: records its stack and EXC_RETURN. IRQ 21: the same, then clobbers S0-S15. */
__attribute__((naked)) static void sp_irq_entry(void)
{
    __asm volatile("tst lr, #4\n\t"
                   "ite eq\n\t"
                   "mrseq r0, msp\n\t"
                   "mrsne r0, psp\n\t"
                   "mov r1, lr\n\t"
                   "b record_irq\n\t");
}

static const uint32_t fp_in[16] = {
    0x3F800000u, 0x40000000u, 0x40400000u, 0x40800000u, 0x40A00000u, 0x40C00000u,
    0x40E00000u, 0x41000000u, 0x41100000u, 0x41200000u, 0x41300000u, 0x41400000u,
    0x41500000u, 0x41600000u, 0x41700000u, 0x41800000u,
};
static const uint32_t fp_junk[16] = {0xDEADBEEFu, 1, 2,  3,  4,  5,  6,  7,
                                     8,           9, 10, 11, 12, 13, 14, 15};
static uint32_t fp_out[16];

static void fp_irq_handler(void)
{
    uint32_t control, sp, lr;
    __asm volatile("mrs %0, control\n\tmrs %1, msp\n\tmov %2, lr"
                   : "=r"(control), "=r"(sp), "=r"(lr));
    irq_control = control;
    __asm volatile(".fpu fpv4-sp-d16\n\t"
                   "vldm %0, {s0-s15}\n\t"
                   "vadd.f32 s0, s0, s1\n\t" ::"r"(fp_junk)
                   : "memory");
    (void)sp;
    (void)lr;
}

/* IRQ 24: no FP instruction, so the FP part of the frame stays unsaved (LSPACT = 1). */
static volatile uint32_t nofp_fpccr;

static void nofp_handler(void)
{
    nofp_fpccr = REG(0xE000EF34u);
}

__attribute__((naked)) static void fp_irq_entry(void)
{
    __asm volatile("push {r4, lr}\n\t"
                   "mrs r0, msp\n\t"
                   "adds r0, #8\n\t"
                   "mov r1, lr\n\t"
                   "bl record_irq\n\t"
                   "pop {r4, lr}\n\t"
                   "b fp_irq_handler_tail\n\t");
}

__attribute__((used, noinline)) void fp_irq_handler_tail(void)
{
    fp_irq_handler();
}

int main(void)
{
    uart_init();
    for (unsigned i = 0; i < 16u + 82u; i++)
        ram_vectors[i] = ((const uint32_t *)vectors)[i < 16u ? i : 2u];
    for (unsigned i = 16; i < 16u + 82u; i++)
        ram_vectors[i] = (uint32_t)irq_handler;
    ram_vectors[3] = ram_vectors[5] = ram_vectors[6] = (uint32_t)fault_entry;
    ram_vectors[11] = (uint32_t)svc_handler;
    ram_vectors[14] = (uint32_t)pendsv_handler;
    ram_vectors[15] = (uint32_t)systick_handler;
    ram_vectors[16 + 21] = (uint32_t)fp_irq_entry;
    ram_vectors[16 + 22] = (uint32_t)sp_irq_entry;
    ram_vectors[16 + 24] = (uint32_t)nofp_handler;
    SCB_VTOR = (uint32_t)ram_vectors;
    barrier();
    check("VTOR reads back the RAM table", SCB_VTOR == (uint32_t)ram_vectors);

    /* PendSV pended by the SVC handler runs after it, before Thread mode resumes. */
    SCB_SHPR2 = 0x80u << 24;                   /* SVCall */
    SCB_SHPR3 = (0xF0u << 16) | (0x10u << 24); /* PendSV lowest, SysTick high */
    __asm volatile("svc #0" ::: "memory");
    mark('T');
    check("svc_then_pendsv_tail_chained", seq_is("SsPT"));

    /* Three pended under PRIMASK: highest priority first, then by IRQ number. */
    seq_reset();
    irq_enable(10, 0x80);
    irq_enable(11, 0x40);
    irq_enable(12, 0x80);
    __asm volatile("cpsid i" ::: "memory");
    NVIC_ISPR(0) = (1u << 10) | (1u << 12) | (1u << 11);
    barrier();
    check("primask_holds_three_pending", seq_len == 0 && (NVIC_ISPR(0) & 0x1C00u) == 0x1C00u);
    __asm volatile("cpsie i\n\tisb" ::: "memory");
    check("tail_chain_order_priority_then_number", seq_is("BAC"));
    check("nothing_active_or_pending_after", (NVIC_IABR(0) | NVIC_ISPR(0)) == 0);

    /* Preemption by a higher group priority; the equal one waits. */
    seq_reset();
    irq_enable(13, 0x80);
    irq_enable(14, 0x20);
    irq_enable(15, 0x80);
    NVIC_STIR = 13;
    barrier();
    check("preemption_and_tail_chain", seq_is("DEdF"));

    /* PRIGROUP 5: 0x40 and 0x60 share group priority 0x40, so no preemption. */
    irq_enable(16, 0x60);
    irq_enable(17, 0x40);
    seq_reset();
    SCB_AIRCR = 0x05FA0000u | (5u << 8);
    NVIC_STIR = 16;
    barrier();
    check("prigroup5_subpriority_does_not_preempt", seq_is("GgH"));
    seq_reset();
    SCB_AIRCR = 0x05FA0000u;
    NVIC_STIR = 16;
    barrier();
    check("prigroup0_preempts", seq_is("GHg"));

    /* BASEPRI masks priorities at or below it; PRIMASK masks all but keeps VECTPENDING. */
    irq_enable(18, 0x80);
    irq_enable(19, 0x20);
    seq_reset();
    set_basepri(0x40);
    NVIC_STIR = 18;
    barrier();
    check("basepri_masks_lower_priority", seq_len == 0 && (SCB_ICSR & (1u << 22)));
    NVIC_STIR = 19;
    barrier();
    check("basepri_lets_higher_through", seq_is("J"));
    set_basepri(0);
    check("basepri_cleared_takes_pending", seq_is("JI"));
    seq_reset();
    __asm volatile("cpsid i" ::: "memory");
    NVIC_STIR = 18;
    barrier();
    check("primask_masks", seq_len == 0 && ((SCB_ICSR >> 12) & 0x1FFu) == 16u + 18u);
    __asm volatile("cpsie i\n\tisb" ::: "memory");
    check("primask_cleared_takes_pending", seq_is("I"));

    /* BusFault with BFAR, its own handler enabled. */
    SCB_SHCSR |= 1u << 17; /* BUSFAULTENA */
    seen.exc = 0;
    read_unmapped();
    check("busfault_taken", seen.exc == 5u);
    check("busfault_preciserr_bfarvalid",
          (seen.cfsr & 0x8200u) == 0x8200u && seen.bfar == 0x60000000u);
    check("busfault_stacked_pc",
          seen.pc == ((uint32_t)read_insn & ~1u) && seen.exc_return == 0xFFFFFFF9u);
    check("cfsr_write_one_clears", SCB_CFSR == 0);

    /* A wrong flash key sequence is a bus error (RM0090 3.5.1): an imprecise BusFault. */
    seen.exc = 0;
    FLASH_KEYR = 0x11111111u;
    barrier();
    check("flash_key_bus_error_is_busfault",
          seen.exc == 5u && (seen.cfsr & (1u << 10)) && !(seen.cfsr & (1u << 15)));

    /* Disabled BusFault escalates to HardFault (FORCED). */
    SCB_SHCSR &= ~(1u << 17);
    seen.exc = 0;
    read_unmapped();
    check("hardfault_escalation",
          seen.exc == 3u && (seen.hfsr & (1u << 30)) && (seen.cfsr & 0x8200u) == 0x8200u);
    seen.exc = 0;
    do_udf();
    check("udf_escalates_undefinstr",
          seen.exc == 3u && (seen.cfsr & (1u << 16)) && seen.pc == ((uint32_t)udf_insn & ~1u));
    SCB_SHCSR |= 1u << 18; /* USGFAULTENA */
    seen.exc = 0;
    do_udf();
    check("udf_usagefault_enabled", seen.exc == 6u && (seen.cfsr & (1u << 16)));
    seen.exc = 0;
    do_bkpt();
    check("bkpt_hardfault_debugevt",
          seen.exc == 3u && (seen.hfsr & (1u << 31)) && seen.pc == ((uint32_t)bkpt_insn & ~1u));

    /* SysTick wakes WFI; with PRIMASK set it wakes without being taken. */
    DEMCR |= 1u << 24;
    DWT_CTRL |= 1u;
    SYST_RVR = 3999u; /* 250 us at 16 MHz */
    SYST_CVR = 0;
    SYST_CSR = 7u;
    uint32_t t0 = DWT_CYCCNT, n0 = ticks;
    __asm volatile("wfi" ::: "memory");
    uint32_t dt = DWT_CYCCNT - t0;
    check("wfi_woken_by_systick", ticks == n0 + 1u && dt > 100u && dt <= 4100u);
    __asm volatile("cpsid i" ::: "memory");
    n0 = ticks;
    __asm volatile("wfi" ::: "memory");
    check("wfi_wakes_with_primask_not_taken", ticks == n0 && (SCB_ICSR & (1u << 26)));
    __asm volatile("cpsie i\n\tisb" ::: "memory");
    check("taken_after_cpsie", ticks == n0 + 1u);

    /* WFE: SEV sets the event register; SEVONPEND wakes on a new pending exception. */
    __asm volatile("cpsid i" ::: "memory");
    t0 = DWT_CYCCNT;
    __asm volatile("sev\n\twfe" ::: "memory");
    dt = DWT_CYCCNT - t0;
    check("wfe_after_sev_returns_at_once", dt < 100u);
    SCB_SCR = 1u << 4;   /* SEVONPEND */
    SCB_ICSR = 1u << 25; /* PENDSTCLR: the next wrap is a new pend */
    SYST_CVR = 0;
    n0 = ticks;
    t0 = DWT_CYCCNT;
    __asm volatile("wfe" ::: "memory");
    dt = DWT_CYCCNT - t0;
    check("wfe_sevonpend_wakes", ticks == n0 && (SCB_ICSR & (1u << 26)) && dt > 1000u);
    __asm volatile("cpsie i\n\tisb" ::: "memory");
    SYST_CSR = 0;
    SCB_SCR = 0;
    SCB_ICSR = 1u << 25; /* PENDSTCLR */

    /* An interrupt on the process stack: frame on PSP, EXC_RETURN 0xFFFFFFFD. */
    irq_enable(22, 0x80);
    uint32_t top = (uint32_t)&psp_stack[64];
    __asm volatile("msr psp, %0\n\t"
                   "movs r0, #2\n\t"
                   "msr control, r0\n\t"
                   "isb\n\t"
                   "str %1, [%2]\n\t"
                   "dsb\n\t"
                   "isb\n\t"
                   "nop\n\t"
                   "movs r0, #0\n\t"
                   "msr control, r0\n\t"
                   "isb\n\t"
                   :
                   : "r"(top), "r"(22u), "r"(&NVIC_STIR)
                   : "r0", "memory");
    check("psp_exc_return", irq_lr == 0xFFFFFFFDu);
    check("psp_frame_on_process_stack", irq_sp == top - 32u);

    /* Extended frame: Thread mode uses S0-S15, the handler clobbers them. */
    SCB_CPACR |= 0xFu << 20;
    barrier();
    irq_enable(21, 0x80);
    __asm volatile(".fpu fpv4-sp-d16\n\t"
                   "vldm %0, {s0-s15}\n\t"
                   "str %2, [%3]\n\t"
                   "dsb\n\t"
                   "isb\n\t"
                   "nop\n\t"
                   "vstm %1, {s0-s15}\n\t"
                   :
                   : "r"(fp_in), "r"(fp_out), "r"(21u), "r"(&NVIC_STIR)
                   : "memory", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10",
                     "s11", "s12", "s13", "s14", "s15");
    int same = 1;
    for (unsigned i = 0; i < 16; i++)
        same &= fp_out[i] == fp_in[i];
    check("fp_exc_return_e9", irq_lr == 0xFFFFFFE9u);
    check("fp_frame_fpcar", FPU_FPCAR == irq_sp + 0x20u);
    check("fp_fpca_clear_in_handler", (irq_control & 4u) == 0);
    check("fp_s0_s15_restored", same);

    /* Lazy state preservation (FPCCR.LSPEN, reset value 1): a handler with no FP instruction
     * runs with LSPACT set, and the context comes back without being saved. */
    irq_enable(24, 0x80);
    for (unsigned i = 0; i < 16; i++)
        fp_out[i] = 0;
    __asm volatile(".fpu fpv4-sp-d16\n\t"
                   "vldm %0, {s0-s15}\n\t"
                   "str %2, [%3]\n\t"
                   "dsb\n\t"
                   "isb\n\t"
                   "nop\n\t"
                   "vstm %1, {s0-s15}\n\t"
                   :
                   : "r"(fp_in), "r"(fp_out), "r"(24u), "r"(&NVIC_STIR)
                   : "memory", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10",
                     "s11", "s12", "s13", "s14", "s15");
    same = 1;
    for (unsigned i = 0; i < 16; i++)
        same &= fp_out[i] == fp_in[i];
    check("lazy_lspact_set_in_handler_without_fp", (nofp_fpccr & 1u) && (nofp_fpccr >> 30) == 3u);
    check("lazy_context_kept", same && (REG(0xE000EF34u) & 1u) == 0);

    /* SLEEPONEXIT (PM0214 2.5.3): the return to Thread mode goes to sleep instead; the core runs
     * handlers only, until the third SysTick clears the bit. */
    irq_enable(23, 0x80);
    SYST_CVR = 0;
    SYST_CSR = 7u;
    sleepy_ticks = 0;
    SCB_SCR = 2u;
    seq_reset();
    t0 = DWT_CYCCNT;
    NVIC_STIR = 23;
    barrier();
    dt = DWT_CYCCNT - t0;
    SYST_CSR = 0;
    check("sleeponexit_sleeps_until_cleared", seq_is("N") && sleepy_ticks == 3 && dt > 8000u);

    uart_puts("done\n");
    uart_flush();
    for (;;)
        __asm volatile("wfi");
}
