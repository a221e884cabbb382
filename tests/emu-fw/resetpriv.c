/* A system reset requested from unprivileged Thread mode on the process stack: the core must
 * restart privileged, on MSP, with CONTROL = 0 (ARMv7-M B1.5.5 TakeReset). */
#include "emufw.h"

#define MARK (*(volatile uint32_t *)0x2000F000u)

static uint32_t process_stack[64] __attribute__((aligned(8)));

int main(void)
{
    uint32_t control, sp;
    __asm volatile("mrs %0, control\n\tmov %1, sp" : "=r"(control), "=r"(sp));
    uart_init();
    if (MARK == 0x5EB00700u) {
        MARK = 0;
        check("reset_clears_control", control == 0);
        check("reset_runs_on_msp",
              sp > (uint32_t)&process_stack[64] || sp < (uint32_t)process_stack);
        uart_flush();
        for (;;) {
        }
    }
    MARK = 0x5EB00700u;
    __asm volatile("msr psp, %0\n\t"
                   "movs r0, #3\n\t" /* nPRIV, SPSEL */
                   "msr control, r0\n\t"
                   "isb\n\t"
                   :
                   : "r"(&process_stack[64])
                   : "r0", "memory");
    SCB_AIRCR = 0x05FA0004u; /* SYSRESETREQ (no nPRIV check in stickemu) */
    for (;;) {
    }
}
