#include "led.h"

#include "board.h"
#include "regs.h"

#define LED_ALL                                                                                    \
    ((1u << BOARD_LED_GREEN) | (1u << BOARD_LED_ORANGE) | (1u << BOARD_LED_RED) |                  \
     (1u << BOARD_LED_BLUE))

#define MODER_OUT(pin) (1u << (2u * (pin)))
#define LED_MODER_OUT                                                                              \
    (MODER_OUT(BOARD_LED_GREEN) | MODER_OUT(BOARD_LED_ORANGE) | MODER_OUT(BOARD_LED_RED) |         \
     MODER_OUT(BOARD_LED_BLUE))

void led_init(void)
{
    RCC_AHB1ENR |= 1u << BOARD_LED_PORT;
    (void)RCC_AHB1ENR; /* RM0090: a dummy read delays the first access after enable */
#if BOARD_LED_ACTIVE_LOW
    GPIO_BSRR(BOARD_LED_PORT) = LED_ALL; /* off (high) before the pins become outputs */
#endif
    /* MODER 01 (output) for each LED pin, computed by the compiler. */
    GPIO_MODER(BOARD_LED_PORT) =
        (GPIO_MODER(BOARD_LED_PORT) & ~(3u * LED_MODER_OUT)) | LED_MODER_OUT;
}

__attribute__((noinline)) void led_show(uint32_t pin_mask)
{
#if BOARD_LED_ACTIVE_LOW
    pin_mask = ~pin_mask; /* lit when the pin is low */
#endif
    GPIO_BSRR(BOARD_LED_PORT) = (pin_mask & LED_ALL) | ((~pin_mask & LED_ALL) << 16);
}
