/* Example application: green LED 100 ms on, 900 ms off, as in the tutorial. It runs on the
 * reset clock (HSI 16 MHz), because stickboot hands over a chip in reset state. */
#include <stdint.h>

#include "board.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define RCC_AHB1ENR REG(0x40023830u)
#define GPIO_MODER(port) REG(0x40020000u + 0x400u * (port))
#define GPIO_BSRR(port) REG(0x40020018u + 0x400u * (port))
#define SCB_VTOR REG(0xE000ED08u)
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)

#define HSI_HZ 16000000u

extern const void *const app_vector_table[];

static void delay_ms(uint32_t ms)
{
    while (ms--) {
        while (!(SYST_CSR & (1u << 16))) { /* COUNTFLAG: one tick per ms */
        }
    }
}

int main(void)
{
    SCB_VTOR = (uint32_t)(uintptr_t)app_vector_table;
    SYST_RVR = HSI_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = 5u; /* processor clock, enabled, no interrupt */

    RCC_AHB1ENR |= 1u << BOARD_LED_PORT;
    (void)RCC_AHB1ENR;
    GPIO_MODER(BOARD_LED_PORT) |= 1u << (2 * BOARD_LED_GREEN);
    for (;;) {
        GPIO_BSRR(BOARD_LED_PORT) = 1u << BOARD_LED_GREEN;
        delay_ms(100);
        GPIO_BSRR(BOARD_LED_PORT) = 1u << (BOARD_LED_GREEN + 16);
        delay_ms(900);
    }
}
