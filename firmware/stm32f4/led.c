#include "led.h"

#include "board.h"
#include "regs.h"

#define LED_ALL                                                                                    \
    ((1u << BOARD_LED_GREEN) | (1u << BOARD_LED_ORANGE) | (1u << BOARD_LED_RED) |                  \
     (1u << BOARD_LED_BLUE))

void led_init(void)
{
    RCC_AHB1ENR |= 1u << BOARD_LED_PORT;
    (void)RCC_AHB1ENR; /* RM0090: a dummy read delays the first access after enable */
#if BOARD_LED_ACTIVE_LOW
    GPIO_BSRR(BOARD_LED_PORT) = LED_ALL; /* off (high) before the pins become outputs */
#endif
    uint32_t moder = GPIO_MODER(BOARD_LED_PORT);
    for (unsigned pin = 0; pin < 16; pin++) {
        if (LED_ALL & (1u << pin))
            moder = (moder & ~(3u << (2 * pin))) | (1u << (2 * pin));
    }
    GPIO_MODER(BOARD_LED_PORT) = moder;
}

__attribute__((noinline)) void led_show(uint32_t pin_mask)
{
#if BOARD_LED_ACTIVE_LOW
    pin_mask = ~pin_mask; /* lit when the pin is low */
#endif
    GPIO_BSRR(BOARD_LED_PORT) = (pin_mask & LED_ALL) | ((~pin_mask & LED_ALL) << 16);
}
