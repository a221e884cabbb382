/* An exception taken with the main stack pointer outside RAM: the frame cannot be stacked,
 * the core locks up, and the report names the stack pointer. */
#include "emufw.h"

int main(void)
{
    uart_init();
    uart_puts("bad stack\n");
    uart_flush();
    __asm volatile("msr msp, %0\n\tsvc #0" : : "r"(0x30000000u) : "memory");
    for (;;) {
    }
}
