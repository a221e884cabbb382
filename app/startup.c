/* Example application startup: the table must sit at APP_BASE, 512-byte aligned for VTOR. */
#include <stdint.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);
void Reset_Handler(void);

static void default_handler(void)
{
    *(volatile uint32_t *)0xE000ED0Cu = 0x05FA0004u; /* AIRCR SYSRESETREQ */
    for (;;) {
    }
}

/* Word 7 (offset 0x1C) is reserved by ARMv7-M; stickimg stores the image length there. */
__attribute__((section(".isr_vector"), used)) const void *const app_vector_table[16] = {
    &_estack,
    Reset_Handler,
    default_handler,
    default_handler,
    default_handler,
    default_handler,
    default_handler,
    0,
    0,
    0,
    0,
    default_handler,
    default_handler,
    0,
    default_handler,
    default_handler,
};

void Reset_Handler(void)
{
    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;)
        *dst++ = *src++;
    for (uint32_t *dst = &_sbss; dst < &_ebss;)
        *dst++ = 0;
    main();
    default_handler();
}
