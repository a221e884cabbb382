/* Exception entry and return on libunicorn's Cortex-M4, which has no NVIC of its own: the
 * emulator stacks, unstacks, tail-chains and escalates faults as the ARMv7-M ARM (B1.5) says,
 * between two uc_emu_start() slices. */
#ifndef EMU_EXCEPTION_H
#define EMU_EXCEPTION_H

#include <unicorn/unicorn.h>

#include "machine.h"

/* CFSR bits (PM0214 4.4.11). */
#define CFSR_IACCVIOL    (1u << 0)
#define CFSR_DACCVIOL    (1u << 1)
#define CFSR_MUNSTKERR   (1u << 3)
#define CFSR_MSTKERR     (1u << 4)
#define CFSR_MMARVALID   (1u << 7)
#define CFSR_IBUSERR     (1u << 8)
#define CFSR_PRECISERR   (1u << 9)
#define CFSR_IMPRECISERR (1u << 10)
#define CFSR_UNSTKERR    (1u << 11)
#define CFSR_STKERR      (1u << 12)
#define CFSR_BFARVALID   (1u << 15)
#define CFSR_UNDEFINSTR  (1u << 16)
#define CFSR_INVSTATE    (1u << 17)
#define CFSR_INVPC       (1u << 18)
#define CFSR_NOCP        (1u << 19)
#define CFSR_UNALIGNED   (1u << 24)
#define CFSR_DIVBYZERO   (1u << 25)
#define HFSR_VECTTBL     (1u << 1)
#define HFSR_FORCED      (1u << 30)
#define HFSR_DEBUGEVT    (1u << 31)

/* The PC to resume at (bit 0: Thumb). The CPU glue passes it to uc_emu_start() instead of
 * writing the PC register: libunicorn 2.0.1 stops syncing the PC on faulting accesses once
 * the PC was written with uc_reg_write() (fixed upstream by unicorn PR 2181). */
void exc_set_next_pc(uint32_t pc, int valid);
int exc_next_pc(uint32_t *pc); /* 1: *pc set */
/* Copies PRIMASK, FAULTMASK, BASEPRI and IPSR from the CPU into m->cx. */
void exc_sync_masks(uc_engine *uc, struct machine *m);
/* Enters the highest-priority pending exception if it can preempt. 1: entered. */
int exc_take_pending(uc_engine *uc, struct machine *m);
/* SVC executed; the PC is the instruction after it. */
void exc_svc(uc_engine *uc, struct machine *m);
/* The CPU loaded EXC_RETURN (exc_return, bit 0 included) into the PC in Handler mode. */
void exc_return(uc_engine *uc, struct machine *m, uint32_t exc_return);
/* A synchronous fault: fault = EXC_MEMMANAGE/BUSFAULT/USAGEFAULT or EXC_HARDFAULT (with hfsr
 * bits), cfsr bits to set, the faulting address (with MMARVALID/BFARVALID in cfsr), the
 * return address to stack (the faulting instruction, or the next one for imprecise faults)
 * and a text for the timeline. Escalates to HardFault or locks up as B1.5.15 says. */
void exc_fault(uc_engine *uc, struct machine *m, unsigned fault, uint32_t cfsr, uint32_t hfsr,
               uint32_t addr, uint32_t return_pc, const char *what);
/* Lazy FP state preservation (FPCCR.LSPACT set): writes S0-S15 and FPSCR to FPCAR and clears
 * LSPACT. Called before the first FP instruction after an exception entry. */
void exc_lazy_fp_save(uc_engine *uc, struct machine *m);
/* The run ends while a fault handler is active: report it as state=fault. */
void exc_end_of_run(struct machine *m);

#endif
