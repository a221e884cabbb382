#ifndef STM32F4_CLOCK_H
#define STM32F4_CLOCK_H

#include <stdint.h>

/* SYSCLK in Hz: 16 MHz (HSI) until clock_init() succeeds, then the board's PLL clock. */
extern uint32_t sysclk_hz;

/* Starts the cycle counter and runs SYSCLK from the PLL at the board's frequency. use_hse=0
 * feeds the PLL from HSI (no crystal wait: the fast boot path, where USB is not used);
 * use_hse=1 starts the crystal and falls back to HSI if it never starts. Can be called again
 * to switch source. 0 on success; 1 = on the HSI-fed PLL although HSE was asked for (USB
 * timing out of spec); -1 = PLL did not lock, still on HSI. Every wait is bounded. */
int clock_init(int use_hse);

/* Starts the PLL from HSI with the board's configuration and returns at once, so that the
 * lock (~100 us, DS8626) overlaps other work; a later clock_init(0) finds it running and only
 * waits for the lock. Touches no memory: may run before RAM is initialised. */
void clock_pll_start_hsi(void);

/* SysTick counts 1 ms periods from now, SYST_CSR COUNTFLAG set at the end of each (no
 * interrupt); SYST_CSR = 0 stops it. */
void systick_ms_start(void);

#endif
