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

/* What the user sees. The target maps phases to LED patterns (README) and, with LOG=1, to
 * UART lines. arg: percent for PHASE_READING/PHASE_WRITING, the sb_status for PHASE_ERROR. */
enum plat_phase {
    PHASE_WAITING,
    PHASE_READING,
    PHASE_WRITING,
    PHASE_DONE,
    PHASE_ERROR,
};
void plat_show(enum plat_phase phase, unsigned arg);

/* Refresh the independent watchdog; harmless when it is not running. */
void plat_watchdog_kick(void);

#endif
