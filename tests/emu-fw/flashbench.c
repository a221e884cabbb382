/* Erases sectors 5-8 and programs 512 KB word by word through CPU stores, then checks the
 * content: the path a real update takes (speed of the emulated flash path). */
#include "emufw.h"

#define BASE  0x08020000u
#define WORDS (512u * 1024u / 4u)

static void flash_wait(void)
{
    for (uint32_t i = 0; i < 100000000u && (FLASH_SR & (1u << 16)); i++) {
    }
}

int main(void)
{
    uart_init();
    FLASH_KEYR = 0x45670123u;
    FLASH_KEYR = 0xCDEF89ABu;
    for (uint32_t s = 5; s <= 8; s++) {
        FLASH_CR = (2u << 8) | 2u | (s << 3);
        FLASH_CR = (2u << 8) | 2u | (s << 3) | (1u << 16);
        flash_wait();
    }
    FLASH_CR = (2u << 8) | 1u;
    volatile uint32_t *p = (volatile uint32_t *)BASE;
    for (uint32_t i = 0; i < WORDS; i++) {
        p[i] = i * 2654435761u;
        flash_wait();
    }
    FLASH_CR = 1u << 31;
    uint32_t bad = 0;
    for (uint32_t i = 0; i < WORDS; i++)
        bad += p[i] != i * 2654435761u;
    check("512 KB programmed and read back", bad == 0 && FLASH_SR == 0);
    uart_flush();
    for (;;)
        __asm volatile("wfi");
}
