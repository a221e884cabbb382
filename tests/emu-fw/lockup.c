/* A HardFault handler that faults itself: the core locks up (ARMv7-M B1.5.15) and the run
 * must end as state=fault, reported at the first fault. */
#include "emufw.h"

static uint32_t ram_vectors[16] __attribute__((aligned(512)));

static void bad_hardfault(void)
{
    (void)*(volatile uint32_t *)0x70000000u;
}

int main(void)
{
    uart_init();
    for (unsigned i = 0; i < 16; i++)
        ram_vectors[i] = ((const uint32_t *)vectors)[i];
    ram_vectors[3] = (uint32_t)bad_hardfault;
    SCB_VTOR = (uint32_t)ram_vectors;
    __asm volatile("dsb\n\tisb" ::: "memory");
    uart_puts("faulting\n");
    uart_flush();
    (void)*(volatile uint32_t *)0x60000000u;
    uart_puts("not reached\n");
    for (;;) {
    }
}
