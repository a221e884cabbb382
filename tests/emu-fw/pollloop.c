/* Polled register loops of the kind HAL code is made of, for the time-jump test
 * (tests/suites/emu_time_jumps.sh): waits on RCC ready bits, the flash BSY flag, the TIM2
 * update flag and the USART TC flag, each a tight loop that re-reads one register, plus a
 * CYCCNT delay. Every wait's length in cycles is reported; a run with time jumps and one
 * without must print the same. */
#include "emufw.h"

#define RCC_PLLCFGR REG(0x40023804u)
#define RCC_CFGR    REG(0x40023808u)
#define TIM2_CR1    REG(0x40000000u)
#define TIM2_SR     REG(0x40000010u)
#define TIM2_EGR    REG(0x40000014u)
#define TIM2_PSC    REG(0x40000028u)
#define TIM2_ARR    REG(0x4000002Cu)

static void report(const char *what, uint32_t t0)
{
    uint32_t cycles = DWT_CYCCNT - t0;
    uart_puts(what);
    uart_puts(" cycles ");
    uart_hex(cycles);
    uart_putc('\n');
}

int main(void)
{
    uart_init();
    DEMCR |= 1u << 24;
    DWT_CTRL |= 1u;

    uint32_t t0 = DWT_CYCCNT;
    RCC_CR |= 1u << 16; /* HSEON */
    while (!(RCC_CR & (1u << 17))) {
    }
    report("HSE ready", t0);

    t0 = DWT_CYCCNT;
    RCC_PLLCFGR = 8u | (336u << 6) | (1u << 22) | (7u << 24); /* HSE/8 x 336 / 2 = 168 MHz */
    RCC_CR |= 1u << 24;
    while (!(RCC_CR & (1u << 25))) {
    }
    report("PLL locked", t0);
    FLASH_ACR = 5u;
    RCC_CFGR = (5u << 10) | (4u << 13) | 2u; /* APB1 /4, APB2 /2, SYSCLK = PLL */
    while ((RCC_CFGR & 0xCu) != 0x8u) {
    }
    USART2_BRR = 365u; /* 42 MHz / 115200 */

    /* A sector erase: the wait runs from RAM so the flash stall does not hide it. */
    FLASH_KEYR = 0x45670123u;
    FLASH_KEYR = 0xCDEF89ABu;
    FLASH_CR = (2u << 8) | 2u | (3u << 3);
    t0 = DWT_CYCCNT;
    FLASH_CR = (2u << 8) | 2u | (3u << 3) | (1u << 16);
    static const uint16_t wait_bsy[] = {
        0x6803, /* ldr r3, [r0] */
        0x03DB, /* lsls r3, r3, #15 */
        0xD4FC, /* bmi . - 4 */
        0x4770, /* bx lr */
    };
    static uint16_t ram_code[4];
    for (int i = 0; i < 4; i++)
        ram_code[i] = wait_bsy[i];
    void (*wait)(volatile uint32_t *) = (void (*)(volatile uint32_t *))((uint32_t)ram_code | 1u);
    wait(&FLASH_SR);
    report("sector erase", t0);
    FLASH_CR = 1u << 31;

    /* TIM2: 84 MHz timer clock, PSC 8399 -> 10 kHz, ARR 99 -> 10 ms. */
    RCC_APB1ENR |= 1u;
    TIM2_PSC = 8399;
    TIM2_ARR = 99;
    TIM2_EGR = 1;
    TIM2_SR = 0;
    t0 = DWT_CYCCNT;
    TIM2_CR1 = 1;
    for (int n = 0; n < 5; n++) {
        while (!(TIM2_SR & 1u)) {
        }
        TIM2_SR = 0;
        report("TIM2 update", t0);
    }
    TIM2_CR1 = 0;

    /* CYCCNT delay: the loop reads a free-running counter, so it is never skipped. */
    t0 = DWT_CYCCNT;
    while (DWT_CYCCNT - t0 < 168000u) {
    }
    report("1 ms delay", t0);

    uart_flush();
    t0 = DWT_CYCCNT;
    USART2_DR = '.';
    while (!(USART2_SR & (1u << 6))) {
    }
    report("USART TC", t0);
    uart_flush();
    for (;;) {
    }
}
