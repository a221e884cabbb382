/* What portable layers (core/, usb/, fs/) may ask of the target. Implemented in stm32f4/
 * for the chip and by fakes in tests/. Portable code never touches a register. */
#ifndef CORE_PLATFORM_H
#define CORE_PLATFORM_H

#include <stdint.h>

/* Milliseconds since boot (main() zeroes the cycle counter after every kind of reset).
 * Monotonic and wrap-safe as long as it is called at least every 25 s (CYCCNT wraps every
 * 25.6 s at 168 MHz); every wait loop of the bootloader calls it. */
uint32_t plat_ms(void);
/* Called by plat_ms() when set, so from every bounded wait (the USB transfers of update pass 2
 * program flash behind the reads: core/update.c). Must run from SRAM (RAMFUNC). */
extern void (*plat_background)(void);
/* Busy-wait; bounded by definition. us below 25,000,000 (one CYCCNT period). */
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

/* The chip's 96-bit unique ID (RM0090 39.1: U_ID at 0x1FFF7A10), word 0 from the lowest
 * address. */
void plat_unique_id(uint32_t id[3]);

/* Refresh the independent watchdog; harmless when it is not running. */
void plat_watchdog_kick(void);

#endif
