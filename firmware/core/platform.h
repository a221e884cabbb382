/* What portable layers (core/, usb/, fs/) may ask of the target. Implemented in stm32f4/
 * for the chip and by fakes in tests/. Portable code never touches a register. */
#ifndef CORE_PLATFORM_H
#define CORE_PLATFORM_H

#include <stdint.h>

/* Milliseconds since clock setup. Monotonic; call at least every 20 s. */
uint32_t plat_ms(void);
/* Busy-wait; bounded by definition. */
void plat_delay_ms(uint32_t ms);
void plat_delay_us(uint32_t us);

#endif
