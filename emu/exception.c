/* Exception entry, return, tail-chaining and fault escalation for the Cortex-M4 on libunicorn
 * (ARMv7-M ARM B1.5.6-B1.5.8 PushStack/ExceptionTaken/ExceptionReturn, B1.5.15 unrecoverable
 * cases; PM0214 2.3.7). libunicorn 2.0.1 has no NVIC: it reports SVC, BKPT and exception
 * returns to a hook and stops; this module then changes the CPU state between two slices of
 * execution, so exceptions are taken at translated-block boundaries (docs/emulator.md). */
#include <stdio.h>
#include <string.h>

#include "exception.h"
#include "log.h"

#define CCR_NONBASETHRDENA (1u << 0)
#define CCR_STKALIGN       (1u << 9)
#define SCR_SLEEPONEXIT    (1u << 1)
#define CONTROL_NPRIV      1u
#define CONTROL_SPSEL      2u
#define CONTROL_FPCA       4u
#define XPSR_ALIGN         (1u << 9)
#define MAX_FAULT_LINES    16u
#define FPCCR_LSPACT       (1u << 0)
#define FPCCR_LSPEN        (1u << 30)

/* The PC to resume at, given to uc_emu_start() (see exc_set_next_pc()). */
static uint32_t next_pc;
static int next_pc_set;

void exc_set_next_pc(uint32_t pc, int valid)
{
    next_pc = pc;
    next_pc_set = valid;
}

int exc_next_pc(uint32_t *pc)
{
    if (next_pc_set)
        *pc = next_pc;
    return next_pc_set;
}

static uint32_t rd(uc_engine *uc, int reg)
{
    uint32_t v = 0;
    if (reg == UC_ARM_REG_PC && next_pc_set)
        return next_pc & ~1u;
    uc_reg_read(uc, reg, &v);
    return v;
}

static void wr(uc_engine *uc, int reg, uint32_t v)
{
    if (reg == UC_ARM_REG_PC)
        exc_set_next_pc(v, 1);
    else
        uc_reg_write(uc, reg, &v);
}

void exc_sync_masks(uc_engine *uc, struct machine *m)
{
    m->cx.primask = rd(uc, UC_ARM_REG_PRIMASK) & 1u;
    m->cx.faultmask = rd(uc, UC_ARM_REG_FAULTMASK) & 1u;
    m->cx.basepri = rd(uc, UC_ARM_REG_BASEPRI) & 0xFFu;
    m->cx.ipsr = rd(uc, UC_ARM_REG_IPSR) & 0x1FFu;
}

/* RAM that can hold a stack frame: SRAM, and the CCM where the board has it. */
static int in_ram(const struct machine *m, uint32_t addr, uint32_t len)
{
    if (addr - SRAM_BASE <= m->board->sram_size - len)
        return 1;
    return m->board->has_ccm && addr - CCM_BASE <= CCM_SIZE - len;
}

static int in_flash(const struct machine *m, uint32_t addr)
{
    return addr - FLASH_BASE < m->flash.size || addr < m->flash.size;
}

static int code_address(const struct machine *m, uint32_t addr)
{
    return in_flash(m, addr) || addr - SRAM_BASE < m->board->sram_size;
}

static void remember_root(struct machine *m, const char *what, uint32_t pc, int has_addr,
                          uint32_t addr)
{
    struct cortex_model *c = &m->cx;
    if (c->root_what[0])
        return;
    snprintf(c->root_what, sizeof c->root_what, "%s", what);
    c->root_pc = pc;
    c->root_has_addr = has_addr;
    c->root_addr = addr;
    c->root_ns = machine_now_ns(m);
}

/* Lockup (B1.5.15): the run ends as a fault, reported at the first fault of the chain. */
static void lockup(struct machine *m, uint32_t pc, const char *why)
{
    struct cortex_model *c = &m->cx;
    if (c->root_what[0] && strcmp(c->root_what, why) != 0)
        machine_fault(m, c->root_pc, c->root_has_addr, c->root_addr, "lockup: %s; first fault: %s",
                      why, c->root_what);
    else
        machine_fault(m, c->root_what[0] ? c->root_pc : pc, c->root_has_addr, c->root_addr,
                      "lockup: %s", why);
}

static int read_vector(uc_engine *uc, struct machine *m, unsigned exc, uint32_t *vector)
{
    uint32_t addr = m->cx.vtor + 4u * exc;
    if (!in_flash(m, addr) && !in_ram(m, addr, 4))
        return -1;
    return uc_mem_read(uc, addr, vector, 4) == UC_ERR_OK ? 0 : -1;
}

static void warn_vector(struct machine *m, unsigned exc, uint32_t vector)
{
    struct cortex_model *c = &m->cx;
    uint32_t bit = 1u << (exc % 32u);
    if (c->vec_warned[exc / 32u] & bit)
        return;
    if (code_address(m, vector & ~1u) && (vector & 1u))
        return;
    c->vec_warned[exc / 32u] |= bit;
    machine_warn(m, "%s vector (VTOR 0x%08x + 0x%03x) is 0x%08x: %s", exc_name(exc), c->vtor,
                 4u * exc, vector,
                 !code_address(m, vector & ~1u) ? "not an address in flash or RAM (no handler?)"
                                                : "no Thumb bit (UsageFault INVSTATE)");
}

static void fault_entry(uc_engine *uc, struct machine *m, unsigned exc, uint32_t return_pc);

/* Changes the CPU to Handler mode for exc: PC from the vector table, LR = exc_return. */
static void start_handler(uc_engine *uc, struct machine *m, unsigned exc, uint32_t exc_return,
                          uint32_t vector)
{
    struct cortex_model *c = &m->cx;
    nvic_activate(m, exc);
    wr(uc, UC_ARM_REG_LR, exc_return);
    c->event_reg = 1; /* SetEventRegister() on entry */
    if (!(vector & 1u)) {
        /* EPSR.T = 0: the first instruction of the handler faults (B1.4.2). */
        warn_vector(m, exc, vector);
        char what[96];
        snprintf(what, sizeof what, "%s vector 0x%08x has no Thumb bit (INVSTATE)", exc_name(exc),
                 vector);
        exc_fault(uc, m, EXC_USAGEFAULT, CFSR_INVSTATE, 0, 0, vector & ~1u, what);
        return;
    }
    wr(uc, UC_ARM_REG_PC, vector);
}

/* PushStack() and ExceptionTaken(): returns 0, or -1 after a lockup. */
static int enter(uc_engine *uc, struct machine *m, unsigned exc, uint32_t return_pc)
{
    struct cortex_model *c = &m->cx;
    uint32_t xpsr = rd(uc, UC_ARM_REG_XPSR);
    uint32_t control = rd(uc, UC_ARM_REG_CONTROL) & 7u;
    uint32_t msp = rd(uc, UC_ARM_REG_MSP), psp = rd(uc, UC_ARM_REG_PSP);
    int handler = (xpsr & 0x1FFu) != 0;
    int fpca = (control & CONTROL_FPCA) != 0;
    int use_psp = !handler && (control & CONTROL_SPSEL);
    uint32_t sp = use_psp ? psp : msp;
    uint32_t framesize = fpca ? 0x68u : 0x20u;
    int forcealign = fpca || (c->ccr & CCR_STKALIGN);
    uint32_t frame = (sp - framesize) & (forcealign ? ~7u : ~3u);
    int realigned = forcealign && (sp & 4u);

    uint32_t vector;
    if (read_vector(uc, m, exc, &vector) != 0) {
        if (exc == EXC_HARDFAULT) {
            lockup(m, return_pc, "HardFault vector unreadable (VTOR outside flash/RAM)");
            return -1;
        }
        char what[96];
        snprintf(what, sizeof what, "vector table read for %s at 0x%08x failed (VTOR)",
                 exc_name(exc), c->vtor + 4u * exc);
        remember_root(m, what, return_pc, 0, 0);
        c->hfsr |= HFSR_VECTTBL;
        if (nvic_exec_priority(m, 0) <= -1) {
            lockup(m, return_pc, what);
            return -1;
        }
        exc = EXC_HARDFAULT;
        if (read_vector(uc, m, exc, &vector) != 0) {
            lockup(m, return_pc, "HardFault vector unreadable (VTOR outside flash/RAM)");
            return -1;
        }
    }
    if (!in_ram(m, frame, framesize)) {
        char what[110];
        c->cfsr |= CFSR_STKERR;
        snprintf(what, sizeof what, "stacking for %s failed: %s 0x%08x is outside RAM",
                 exc_name(exc), use_psp ? "PSP" : "MSP", sp);
        remember_root(m, what, return_pc, 0, 0);
        /* STKERR pends BusFault (or HardFault); its own stacking uses the same stack pointer
         * and fails again, which ends in lockup. */
        lockup(m, return_pc, what);
        return -1;
    }
    uint32_t w[26];
    static const int stacked[6] = {UC_ARM_REG_R0, UC_ARM_REG_R1,  UC_ARM_REG_R2,
                                   UC_ARM_REG_R3, UC_ARM_REG_R12, UC_ARM_REG_LR};
    for (int i = 0; i < 6; i++)
        w[i] = rd(uc, stacked[i]);
    w[6] = return_pc & ~1u;
    w[7] = (xpsr & ~XPSR_ALIGN) | (realigned ? XPSR_ALIGN : 0);
    uc_mem_write(uc, frame, w, 0x20u);
    if (fpca) {
        /* Space for S0-S15 and FPSCR; with FPCCR.LSPEN they are written later, by the first FP
         * instruction (lazy state preservation, AN298), else now. */
        c->fpcar = frame + 0x20u;
        c->fpccr |= FPCCR_LSPACT;
        if (!(c->fpccr & FPCCR_LSPEN))
            exc_lazy_fp_save(uc, m);
    }
    if (use_psp)
        psp = frame;
    else
        msp = frame;

    uint32_t exc_return = handler ? 0xFFFFFFF1u : use_psp ? 0xFFFFFFFDu : 0xFFFFFFF9u;
    if (fpca)
        exc_return &= ~0x10u;
    /* Order matters for libunicorn: the XPSR write switches the mode (and the banked SP);
     * CONTROL.SPSEL can only be written in Thread mode, by privileged code. */
    if (!handler && (control & CONTROL_SPSEL) && !(control & CONTROL_NPRIV))
        wr(uc, UC_ARM_REG_CONTROL, control & ~CONTROL_SPSEL);
    wr(uc, UC_ARM_REG_XPSR, (xpsr & 0xF80F0000u) | (1u << 24) | exc);
    wr(uc, UC_ARM_REG_CONTROL, control & ~(CONTROL_FPCA | CONTROL_SPSEL));
    wr(uc, UC_ARM_REG_MSP, msp);
    wr(uc, UC_ARM_REG_PSP, psp);
    start_handler(uc, m, exc, exc_return, vector);
    return 0;
}

static void note_async(struct machine *m, unsigned exc)
{
    struct cortex_model *c = &m->cx;
    /* Item of issue 14: an application that left VTOR at the bootloader's table. */
    if (m->in_app && !c->vtor_warned && in_flash(m, c->vtor) &&
        ((c->vtor - FLASH_BASE < APP_REGION_BASE - FLASH_BASE) ||
         c->vtor < APP_REGION_BASE - FLASH_BASE)) {
        c->vtor_warned = 1;
        machine_warn(m,
                     "%s taken while the application runs with VTOR=0x%08x, the bootloader's "
                     "vector table: the application must set SCB->VTOR to its own table",
                     exc_name(exc), c->vtor);
    }
}

int exc_take_pending(uc_engine *uc, struct machine *m)
{
    if (m->stop != STOP_NONE || !nvic_any_pending(m))
        return 0;
    exc_sync_masks(uc, m);
    unsigned exc = nvic_to_take(m);
    if (!exc)
        return 0;
    note_async(m, exc);
    uint32_t vector;
    if (read_vector(uc, m, exc, &vector) == 0)
        warn_vector(m, exc, vector);
    enter(uc, m, exc, rd(uc, UC_ARM_REG_PC));
    return 1;
}

void exc_svc(uc_engine *uc, struct machine *m)
{
    exc_sync_masks(uc, m);
    uint32_t pc = rd(uc, UC_ARM_REG_PC);
    if (nvic_group_priority(m, EXC_SVCALL) >= nvic_exec_priority(m, 0)) {
        /* SVCall cannot preempt (PRIMASK, or called from a handler of higher or equal
         * priority): escalation to HardFault (B1.5.15). */
        exc_fault(uc, m, EXC_HARDFAULT, 0, HFSR_FORCED, 0, pc,
                  "SVC executed where SVCall cannot be taken (priority or PRIMASK)");
        return;
    }
    nvic_set_pending(m, EXC_SVCALL);
    exc_take_pending(uc, m);
}

/* Issue 14 item 7: what a bus fault address usually means (RM0090 2.3 memory map). */
static const char *likely_cause(uint32_t addr)
{
    if ((addr >= 0x22000000u && addr < 0x24000000u) || (addr >= 0x42000000u && addr < 0x44000000u))
        return "a bit-band alias (RM0090 2.3.3) that this stickemu does not map";
    if (addr >= 0x40000000u && addr < 0x60000000u)
        return "a peripheral address that RM0090's memory map reserves or stickemu does not model";
    if (addr >= 0x60000000u && addr < 0xA0000000u)
        return "the FSMC external memory region, with no memory on this board";
    if (addr < 0x00100000u || (addr >= 0x08100000u && addr < 0x10000000u))
        return "past the end of flash";
    if (addr >= 0x20020000u && addr < 0x22000000u)
        return "past the end of SRAM (a stack or buffer overrun?)";
    return NULL;
}

static const char *fault_detail(uint32_t cfsr, uint32_t hfsr)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {
        {CFSR_IACCVIOL, "IACCVIOL"},
        {CFSR_DACCVIOL, "DACCVIOL"},
        {CFSR_MSTKERR, "MSTKERR"},
        {CFSR_MUNSTKERR, "MUNSTKERR"},
        {CFSR_IBUSERR, "IBUSERR"},
        {CFSR_PRECISERR, "PRECISERR"},
        {CFSR_IMPRECISERR, "IMPRECISERR"},
        {CFSR_STKERR, "STKERR"},
        {CFSR_UNSTKERR, "UNSTKERR"},
        {CFSR_UNDEFINSTR, "UNDEFINSTR"},
        {CFSR_INVSTATE, "INVSTATE"},
        {CFSR_INVPC, "INVPC"},
        {CFSR_NOCP, "NOCP"},
        {CFSR_UNALIGNED, "UNALIGNED"},
        {CFSR_DIVBYZERO, "DIVBYZERO"},
    };
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        if (cfsr & names[i].bit)
            return names[i].name;
    if (hfsr & HFSR_DEBUGEVT)
        return "DEBUGEVT";
    if (hfsr & HFSR_VECTTBL)
        return "VECTTBL";
    return "";
}

void exc_fault(uc_engine *uc, struct machine *m, unsigned fault, uint32_t cfsr, uint32_t hfsr,
               uint32_t addr, uint32_t return_pc, const char *what)
{
    struct cortex_model *c = &m->cx;
    if (m->stop != STOP_NONE)
        return;
    exc_sync_masks(uc, m);
    int has_addr = (cfsr & (CFSR_MMARVALID | CFSR_BFARVALID)) != 0 || (cfsr & CFSR_IMPRECISERR);
    remember_root(m, what, return_pc, has_addr, addr);
    c->cfsr |= cfsr;
    if (cfsr & CFSR_MMARVALID)
        c->mmfar = addr;
    if (cfsr & CFSR_BFARVALID)
        c->bfar = addr;
    c->hfsr |= hfsr;
    if (hfsr & HFSR_DEBUGEVT)
        c->dfsr |= 2u; /* DFSR.BKPT */
    int exec = nvic_exec_priority(m, 0);
    unsigned target = fault;
    if (target != EXC_HARDFAULT &&
        (!nvic_is_enabled(m, target) || nvic_group_priority(m, target) >= exec)) {
        target = EXC_HARDFAULT; /* escalation (B1.5.15) */
        c->hfsr |= HFSR_FORCED;
    }
    const char *detail = fault_detail(cfsr, hfsr);
    if (target == EXC_HARDFAULT && exec <= -1) {
        char why[200];
        snprintf(why, sizeof why, "%s %s%s%s while %s", exc_name(fault), detail,
                 *detail ? ": " : "", what,
                 exec == -1 ? (c->faultmask ? "FAULTMASK is set" : "in the HardFault handler")
                            : "in the NMI handler");
        lockup(m, return_pc, why);
        return;
    }
    if (c->exc_logged < MAX_FAULT_LINES) {
        c->exc_logged++;
        char at[40] = "";
        if (has_addr)
            snprintf(at, sizeof at, " addr=0x%08x", addr);
        if (target != fault)
            emu_log(machine_now_ns(m),
                    "exception: HardFault (escalated from %s %s: %s) at pc=0x%08x%s",
                    exc_name(fault), detail, what, return_pc, at);
        else
            emu_log(machine_now_ns(m), "exception: %s (%s: %s) at pc=0x%08x%s", exc_name(fault),
                    detail, what, return_pc, at);
        const char *cause = has_addr ? likely_cause(addr) : NULL;
        if (cause)
            machine_warn(m, "likely cause of the %s at 0x%08x: %s", exc_name(fault), addr, cause);
        if (c->exc_logged == MAX_FAULT_LINES)
            emu_log(machine_now_ns(m), "exception: further fault lines are not printed");
    }
    fault_entry(uc, m, target, return_pc);
}

static void fault_entry(uc_engine *uc, struct machine *m, unsigned exc, uint32_t return_pc)
{
    uint32_t vector;
    if (read_vector(uc, m, exc, &vector) == 0)
        warn_vector(m, exc, vector);
    enter(uc, m, exc, return_pc);
}

/* ExceptionReturn() integrity failure: UsageFault INVPC. */
static void bad_return(uc_engine *uc, struct machine *m, uint32_t exc_return, const char *what)
{
    char text[120];
    snprintf(text, sizeof text, "exception return with EXC_RETURN 0x%08x: %s", exc_return, what);
    exc_fault(uc, m, EXC_USAGEFAULT, CFSR_INVPC, 0, 0, exc_return, text);
}

void exc_return(uc_engine *uc, struct machine *m, uint32_t exc_return)
{
    struct cortex_model *c = &m->cx;
    exc_sync_masks(uc, m);
    unsigned cur = c->ipsr;
    int to_thread = (exc_return & 8u) != 0;
    uint32_t base = exc_return | 0x10u;
    if (base != 0xFFFFFFF1u && base != 0xFFFFFFF9u && base != 0xFFFFFFFDu) {
        bad_return(uc, m, exc_return, "not a valid EXC_RETURN value");
        return;
    }
    if (cur == 0 || !nvic_is_active(m, cur)) {
        bad_return(uc, m, exc_return, "the current exception is not active");
        return;
    }
    unsigned nested = nvic_active_count(m);
    if (!to_thread && nested <= 1) {
        bad_return(uc, m, exc_return, "return to Handler mode with no other active exception");
        return;
    }
    if (to_thread && nested > 1 && !(c->ccr & CCR_NONBASETHRDENA)) {
        bad_return(uc, m, exc_return, "return to Thread mode with other exceptions active");
        return;
    }
    nvic_deactivate(m, cur);
    if (cur != EXC_NMI) {
        wr(uc, UC_ARM_REG_FAULTMASK, 0);
        c->faultmask = 0;
    }
    c->event_reg = 1;

    /* Tail-chaining (B1.5.12): a pending exception that can preempt the context being
     * returned to is entered at once, with the frame already on the stack. */
    unsigned next = nvic_to_take(m);
    if (next) {
        uint32_t vector;
        if (read_vector(uc, m, next, &vector) != 0) {
            lockup(m, exc_return, "vector table read failed while tail-chaining");
            return;
        }
        warn_vector(m, next, vector);
        uint32_t xpsr = rd(uc, UC_ARM_REG_XPSR);
        wr(uc, UC_ARM_REG_XPSR, (xpsr & 0xF80F0000u) | (1u << 24) | next);
        wr(uc, UC_ARM_REG_CONTROL, rd(uc, UC_ARM_REG_CONTROL) & 7u & ~CONTROL_FPCA);
        start_handler(uc, m, next, exc_return, vector);
        return;
    }

    /* PopStack() */
    int use_psp = to_thread && (exc_return & 4u);
    int fp_frame = !(exc_return & 0x10u);
    uint32_t msp = rd(uc, UC_ARM_REG_MSP), psp = rd(uc, UC_ARM_REG_PSP);
    uint32_t sp = use_psp ? psp : msp;
    uint32_t framesize = fp_frame ? 0x68u : 0x20u;
    uint32_t w[26];
    if (!in_ram(m, sp, framesize) || uc_mem_read(uc, sp, w, framesize) != UC_ERR_OK) {
        char what[100];
        c->cfsr |= CFSR_UNSTKERR;
        snprintf(what, sizeof what, "unstacking from %s 0x%08x failed: outside RAM",
                 use_psp ? "PSP" : "MSP", sp);
        lockup(m, exc_return, what);
        return;
    }
    uint32_t xpsr = w[7];
    int forcealign = fp_frame || (c->ccr & CCR_STKALIGN);
    sp += framesize;
    if (forcealign && (xpsr & XPSR_ALIGN))
        sp |= 4u;
    if (use_psp)
        psp = sp;
    else
        msp = sp;
    uint32_t control = rd(uc, UC_ARM_REG_CONTROL) & 7u;
    uint32_t fpca = fp_frame ? CONTROL_FPCA : 0;
    wr(uc, UC_ARM_REG_CONTROL, (control & CONTROL_SPSEL) | fpca); /* privileged for now */
    wr(uc, UC_ARM_REG_XPSR, xpsr & ~XPSR_ALIGN);
    wr(uc, UC_ARM_REG_MSP, msp);
    wr(uc, UC_ARM_REG_PSP, psp);
    if (to_thread)
        wr(uc, UC_ARM_REG_CONTROL,
           (control & CONTROL_NPRIV) | (use_psp ? CONTROL_SPSEL : 0) | fpca);
    else
        wr(uc, UC_ARM_REG_CONTROL, (control & CONTROL_NPRIV) | fpca);
    static const int stacked[6] = {UC_ARM_REG_R0, UC_ARM_REG_R1,  UC_ARM_REG_R2,
                                   UC_ARM_REG_R3, UC_ARM_REG_R12, UC_ARM_REG_LR};
    for (int i = 0; i < 6; i++)
        wr(uc, stacked[i], w[i]);
    if (fp_frame && (c->fpccr & FPCCR_LSPACT)) {
        c->fpccr &= ~FPCCR_LSPACT; /* never saved: the registers still hold the context */
    } else if (fp_frame) {
        for (int i = 0; i < 8; i++) {
            uint64_t d = (uint64_t)w[9 + 2 * i] << 32 | w[8 + 2 * i];
            uc_reg_write(uc, UC_ARM_REG_D0 + i, &d);
        }
        wr(uc, UC_ARM_REG_FPSCR, w[24]);
    }
    c->ipsr = xpsr & 0x1FFu;
    if (!(xpsr & (1u << 24))) {
        wr(uc, UC_ARM_REG_PC, w[6] | 1u);
        exc_fault(uc, m, EXC_USAGEFAULT, CFSR_INVSTATE, 0, 0, w[6] & ~1u,
                  "return to a stacked xPSR without the Thumb bit");
        return;
    }
    wr(uc, UC_ARM_REG_PC, w[6] | 1u);
    if (to_thread && (c->scr & SCR_SLEEPONEXIT))
        c->sleep_on_exit = 1;
}

void exc_lazy_fp_save(uc_engine *uc, struct machine *m)
{
    struct cortex_model *c = &m->cx;
    uint32_t w[18];
    for (int i = 0; i < 8; i++) {
        uint64_t d = 0;
        uc_reg_read(uc, UC_ARM_REG_D0 + i, &d);
        w[2 * i] = (uint32_t)d;
        w[2 * i + 1] = (uint32_t)(d >> 32);
    }
    w[16] = rd(uc, UC_ARM_REG_FPSCR);
    w[17] = 0;
    c->fpccr &= ~FPCCR_LSPACT;
    if (!in_ram(m, c->fpcar, sizeof w)) {
        lockup(m, rd(uc, UC_ARM_REG_PC), "lazy FP state preservation outside RAM (FPCAR)");
        return;
    }
    uc_mem_write(uc, c->fpcar, w, sizeof w);
}

void exc_end_of_run(struct machine *m)
{
    struct cortex_model *c = &m->cx;
    static const unsigned faults[] = {EXC_HARDFAULT, EXC_MEMMANAGE, EXC_BUSFAULT, EXC_USAGEFAULT};
    if (m->stop != STOP_END)
        return;
    for (unsigned i = 0; i < 4; i++)
        if (nvic_is_active(m, faults[i])) {
            machine_fault(m, c->root_pc, c->root_has_addr, c->root_addr,
                          "the run ended in the %s handler; first fault: %s", exc_name(faults[i]),
                          c->root_what[0] ? c->root_what : "unknown");
            return;
        }
}
