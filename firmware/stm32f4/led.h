#ifndef STM32F4_LED_H
#define STM32F4_LED_H

#include <stdint.h>

void led_init(void);
/* Turn on exactly the LEDs whose pin bits are set in pin_mask (board LED port). */
void led_show(uint32_t pin_mask);

#endif
