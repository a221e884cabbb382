/* Says hello, then sleeps with WFI: with no interrupt the run must end at --run-ms. */
#include "emufw.h"

int main(void)
{
    uart_init();
    uart_puts("sleeping\n");
    uart_flush();
    for (;;)
        __asm volatile("wfi");
}
