/* A minimal stand-in bootloader: starts the application at 0x08004000 at once. */
#include "emufw.h"

#define APP_BASE 0x08004000u

int main(void)
{
    const uint32_t *app = (const uint32_t *)APP_BASE;
    SCB_VTOR = APP_BASE;
    __asm volatile("msr msp, %0\n bx %1" ::"r"(app[0]), "r"(app[1]) : "memory");
    return 0;
}
