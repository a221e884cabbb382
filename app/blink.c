/* Example application: green LED 100 ms on, 900 ms off, as in the tutorial. It runs on the
 * reset clock (HSI 16 MHz), because stickboot hands over a chip in reset state. Pressing the
 * user button asks stickboot for an update (stickboot_app.h). */
#include <stdint.h>

#include "board.h"
#include "stickboot_app.h"

#define REG(addr)        (*(volatile uint32_t *)(addr))
#define RCC_AHB1ENR      REG(0x40023830u)
#define GPIO_MODER(port) REG(0x40020000u + 0x400u * (port))
#define GPIO_PUPDR(port) REG(0x4002000Cu + 0x400u * (port))
#define GPIO_IDR(port)   REG(0x40020010u + 0x400u * (port))
#define GPIO_BSRR(port)  REG(0x40020018u + 0x400u * (port))
#define SCB_VTOR         REG(0xE000ED08u)
#define SYST_CSR         REG(0xE000E010u)
#define SYST_RVR         REG(0xE000E014u)
#define SYST_CVR         REG(0xE000E018u)

#define HSI_HZ 16000000u

extern const void *const app_vector_table[];

static int button_pressed(void)
{
    uint32_t level = (GPIO_IDR(BOARD_BUTTON_PORT) >> BOARD_BUTTON_PIN) & 1u;
    return level == (BOARD_BUTTON_ACTIVE_HIGH ? 1u : 0u);
}

/* Test builds (emulator lifecycle scenarios) end their run after TEST_AFTER_MS of uptime:
 * TEST_REQUEST asks for an update, TEST_RESET resets without asking. */
#ifdef TEST_AFTER_MS
static uint32_t uptime_ms;
#endif

static void delay_ms(uint32_t ms)
{
    while (ms--) {
        while (!(SYST_CSR & (1u << 16))) { /* COUNTFLAG: one tick per ms */
        }
        if (button_pressed())
            stickboot_request_update();
#ifdef TEST_AFTER_MS
        if (++uptime_ms == TEST_AFTER_MS) {
#ifdef TEST_REQUEST
            stickboot_request_update();
#else
            *(volatile uint32_t *)0xE000ED0Cu = 0x05FA0004u; /* AIRCR: SYSRESETREQ */
#endif
        }
#endif
    }
}

int main(void)
{
    SCB_VTOR = (uint32_t)(uintptr_t)app_vector_table;
#ifdef REQUEST_UPDATE_AT_START /* test build: exercises the request path at once */
    stickboot_request_update();
#endif
#ifdef TEST_FLASH_CR /* test build: a bug that erases sector 0 (SER, SNB 0) or the chip (MER) */
    REG(0x40023C04u) = 0x45670123u; /* FLASH_KEYR */
    REG(0x40023C04u) = 0xCDEF89ABu;
    REG(0x40023C10u) = (2u << 8) | TEST_FLASH_CR;              /* FLASH_CR: PSIZE x32 */
    REG(0x40023C10u) = (2u << 8) | TEST_FLASH_CR | (1u << 16); /* STRT */
    while (REG(0x40023C0Cu) & (1u << 16)) {                    /* FLASH_SR: BSY */
    }
    REG(0x40023C10u) = 1u << 31; /* LOCK */
#endif
#ifdef TEST_IWDG /* test build: starts the watchdog and never refreshes it */
    *(volatile uint32_t *)0x40003000u = 0xCCCCu; /* IWDG_KR: start */
#endif
    SYST_RVR = HSI_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = 5u; /* processor clock, enabled, no interrupt */

    RCC_AHB1ENR |= (1u << BOARD_LED_PORT) | (1u << BOARD_BUTTON_PORT);
    (void)RCC_AHB1ENR;
#if !BOARD_BUTTON_ACTIVE_HIGH
    /* A button to ground with no resistor on the board (Black Pill KEY): pull the pin up. */
    GPIO_PUPDR(BOARD_BUTTON_PORT) |= 1u << (2 * BOARD_BUTTON_PIN);
#endif
#if BOARD_LED_ACTIVE_LOW
    const uint32_t on = 16u, off = 0; /* lit when the pin is low */
#else
    const uint32_t on = 0, off = 16u;
#endif
    GPIO_BSRR(BOARD_LED_PORT) = 1u << (BOARD_LED_GREEN + off);
    GPIO_MODER(BOARD_LED_PORT) |= 1u << (2 * BOARD_LED_GREEN);
    for (;;) {
        GPIO_BSRR(BOARD_LED_PORT) = 1u << (BOARD_LED_GREEN + on);
        delay_ms(100);
        GPIO_BSRR(BOARD_LED_PORT) = 1u << (BOARD_LED_GREEN + off);
        delay_ms(900);
    }
}
