/* Model checks through the real CPU path, across resets. Each boot looks at the reset flags:
 *   power-on: check the flags, leave a mark in SRAM, SYSRESETREQ
 *   software reset: SRAM mark kept; flash program/erase through CPU stores; start the IWDG
 *     and hang
 *   IWDG reset: report, then read an unmapped address (the run must end in a fault). */
#include "emufw.h"

#define MARK       (*(volatile uint32_t *)0x2000F000u)
#define MARK_VALUE 0xC0FFEE42u
#define PORRSTF    (1u << 27)
#define SFTRSTF    (1u << 28)
#define IWDGRSTF   (1u << 29)
#define TEST_WORD  (*(volatile uint32_t *)0x08008000u)

static void flash_wait(void)
{
    for (uint32_t i = 0; i < 10000000u && (FLASH_SR & (1u << 16)); i++) {
    }
}

static void flash_checks(void)
{
    FLASH_KEYR = 0x45670123u;
    FLASH_KEYR = 0xCDEF89ABu;
    check("flash unlocked", !(FLASH_CR & (1u << 31)));
    FLASH_CR = (2u << 8) | 1u; /* PSIZE x32, PG */
    TEST_WORD = 0x0F0F0F0Fu;
    flash_wait();
    TEST_WORD = 0xFFFF00FFu; /* cannot set bits */
    flash_wait();
    check("program only clears bits", TEST_WORD == 0x0F0F000Fu);
    *(volatile uint16_t *)0x08008004u = 0; /* halfword with PSIZE x32 */
    check("PGPERR on a halfword write", (FLASH_SR & (1u << 6)) != 0);
    check("nothing written", *(volatile uint32_t *)0x08008004u == 0xFFFFFFFFu);
    FLASH_SR = 0xF3u;
    FLASH_CR = (2u << 8) | 2u | (2u << 3); /* SER sector 2 */
    uint32_t t0 = DWT_CYCCNT;
    FLASH_CR = (2u << 8) | 2u | (2u << 3) | (1u << 16);
    flash_wait();
    uint32_t cycles = DWT_CYCCNT - t0;
    uart_puts("erase cycles ");
    uart_hex(cycles);
    uart_putc('\n');
    /* 250 ms at 16 MHz = 4,000,000 cycles */
    check("sector erase takes 250 ms", cycles >= 4000000u && cycles < 4100000u);
    check("sector erased", TEST_WORD == 0xFFFFFFFFu);
    FLASH_CR = 1u << 31;
}

int main(void)
{
    uart_init();
    DEMCR |= 1u << 24;
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1u;
    uint32_t flags = RCC_CSR;
    RCC_CSR |= 1u << 24; /* RMVF */
    if (flags & IWDGRSTF) {
        check("IWDG reset flag", (flags & SFTRSTF) == 0);
        uart_puts("now an unmapped read\n");
        uart_flush();
        (void)REG(0x60000000u);
        check("unreachable", 0);
    } else if (flags & SFTRSTF) {
        check("SRAM kept across a system reset", MARK == MARK_VALUE);
        flash_checks();
        uart_puts("starting the IWDG\n");
        uart_flush();
        IWDG_KR = 0x5555u;
        IWDG_PR = 0;   /* /4 */
        IWDG_RLR = 79; /* 10 ms */
        while (IWDG_SR) {
        }
        IWDG_KR = 0xCCCCu;
        IWDG_KR = 0xAAAAu;
        for (;;) {
        }
    } else {
        check("power-on reset flags", (flags & PORRSTF) != 0);
        MARK = MARK_VALUE;
        uart_flush();
        SCB_AIRCR = 0x05FA0004u;
    }
    for (;;) {
    }
}
