/* Vector table and reset handler. The bootloader takes no interrupts, so the table holds
 * only the fault vectors; any fault resets the chip. */
#include <stdint.h>

#include "clock.h"
#include "config.h"
#include "regs.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);
void Reset_Handler(void);

static void fault_handler(void)
{
    SCB_AIRCR = SCB_AIRCR_RESET;
    for (;;) {
    }
}

__attribute__((section(".isr_vector"), used)) static const void *const vector_table[] = {
    &_estack,      Reset_Handler, fault_handler, fault_handler,
    fault_handler, fault_handler, fault_handler,
};

void Reset_Handler(void)
{
    /* Handover: the bootloader verified the image, set the flag and reset the chip. Start the
     * application now, before anything is initialised: it gets a chip in reset state. */
    volatile uint32_t *slot = (volatile uint32_t *)SLOT_ADDR;
    if (slot[0] == SLOT_HANDOVER_MAGIC && slot[1] == ~SLOT_HANDOVER_MAGIC) {
        slot[0] = 0;
        const volatile uint32_t *app = (const volatile uint32_t *)APP_BASE;
        SCB_VTOR = APP_BASE;
        __asm volatile("msr msp, %0\n\tbx %1" : : "r"(app[0]), "r"(app[1]) : "memory");
    }
#if PROBE_MS == 0
    /* The fast boot path (main.c): the PLL locks while RAM is initialised. */
    clock_pll_start_hsi();
#endif
    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;)
        *dst++ = *src++;
    uint32_t *bss = &_sbss;
#if PROBE_MS == 0
    /* Four words a turn: at 16 MHz, one word a turn (1.1 KB) outlasted the PLL's lock by
     * 20 us of the boot under the m4 cycle model. */
    uint32_t *whole = bss + ((uint32_t)(&_ebss - bss) & ~3u);
    if (bss < whole)
        __asm volatile("movs r2, #0\n\tmovs r3, #0\n\tmovs r4, #0\n\tmovs r5, #0\n"
                       "1:\tstmia %0!, {r2, r3, r4, r5}\n\tcmp %0, %1\n\tbcc 1b"
                       : "+l"(bss)
                       : "l"(whole)
                       : "r2", "r3", "r4", "r5", "cc", "memory");
#endif
    while (bss < &_ebss)
        *bss++ = 0;
    main();
    fault_handler();
}
