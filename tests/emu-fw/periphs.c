/* The peripherals a Cube application touches, through the real CPU path: bit-band aliases
 * (RCC_CR.PLLON as HAL writes it, an SRAM bit), the system memory, TIM2 counting and its update
 * flag, USART2 receiving what --uart-rx sends, an unmodeled peripheral (SPI1) that stores
 * writes, then a read of a reserved address (the run must end in a fault there). */
#include "emufw.h"

#define BB_PERIPH(addr, bit) REG(0x42000000u + ((addr)-0x40000000u) * 32u + (bit)*4u)
#define BB_SRAM(addr, bit)   REG(0x22000000u + ((addr)-0x20000000u) * 32u + (bit)*4u)
#define RCC_PLLCFGR          REG(0x40023804u)
#define RCC_APB2ENR          REG(0x40023844u)
#define TIM2_CR1             REG(0x40000000u)
#define TIM2_SR              REG(0x40000010u)
#define TIM2_EGR             REG(0x40000014u)
#define TIM2_CNT             REG(0x40000024u)
#define TIM2_PSC             REG(0x40000028u)
#define TIM2_ARR             REG(0x4000002Cu)
#define SPI1_CR1             REG(0x40013000u)
#define SPI1_SR              REG(0x40013008u)

static volatile uint32_t flags_word;

int main(void)
{
    uart_init();
    DEMCR |= 1u << 24;
    DWT_CTRL |= 1u;

    /* HAL's __HAL_RCC_PLL_ENABLE(): a bit-band store to 0x42470060. */
    RCC_PLLCFGR = 16u | (336u << 6) | (7u << 24); /* HSI/16 x 336 / 2 = 168 MHz (not used) */
    BB_PERIPH(0x40023800u, 24) = 1;
    for (uint32_t i = 0; i < 100000u && !BB_PERIPH(0x40023800u, 25); i++) {
    }
    check("PLL locked after a bit-band PLLON", (RCC_CR & (3u << 24)) == (3u << 24));

    flags_word = 0x80000000u;
    uint32_t addr = (uint32_t)&flags_word;
    BB_SRAM(addr, 5) = 1;
    BB_SRAM(addr, 31) = 0;
    check("SRAM bit-band alias", flags_word == 0x20u && BB_SRAM(addr, 5) == 1u);

    check("system memory reads", REG(0x1FFF0004u) == 0x1FFF0101u);

    /* TIM2 at 16 MHz (APB1 /1): PSC 15 -> 1 MHz, ARR 999 -> an update every 1 ms. */
    RCC_APB1ENR |= 1u;
    TIM2_PSC = 15;
    TIM2_ARR = 999;
    TIM2_EGR = 1;
    TIM2_SR = 0;
    uint32_t t0 = DWT_CYCCNT;
    TIM2_CR1 = 1;
    int updates = 0;
    for (uint32_t i = 0; i < 10000000u && updates < 10; i++) {
        if (TIM2_SR & 1u) {
            TIM2_SR = 0;
            updates++;
        }
    }
    uint32_t cycles = DWT_CYCCNT - t0;
    uart_puts("tim2 10 updates in cycles ");
    uart_hex(cycles);
    uart_putc('\n');
    check("TIM2 updates every 1 ms", updates == 10 && cycles >= 159900u && cycles < 160200u);
    TIM2_CR1 = 0;

    /* USART2 receive: a line from --uart-rx 2:... echoed back. */
    USART2_CR1 |= 1u << 2; /* RE */
    char line[32];
    unsigned n = 0;
    for (uint32_t i = 0; i < 1000000u && n < sizeof line - 1; i++) {
        if (USART2_SR & (1u << 5)) {
            char c = (char)USART2_DR;
            if (c == '\n')
                break;
            line[n++] = c;
        }
    }
    line[n] = 0;
    uart_puts("rx: ");
    uart_puts(line);
    uart_putc('\n');

    RCC_APB2ENR |= 1u << 12;
    check("SPI1 (unmodeled) reads its reset value", SPI1_SR == 2u);
    SPI1_CR1 = 0x344u;
    check("SPI1 (unmodeled) stores writes", SPI1_CR1 == 0x344u);
    uart_puts("now a reserved address\n");
    uart_flush();
    (void)REG(0x40002400u);
    check("unreachable", 0);
    return 0;
}
