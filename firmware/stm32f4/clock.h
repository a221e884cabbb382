#ifndef STM32F4_CLOCK_H
#define STM32F4_CLOCK_H

#include <stdint.h>

/* SYSCLK in Hz: 16 MHz (HSI) until clock_init() succeeds, then the board's PLL clock. */
extern uint32_t sysclk_hz;

/* Starts the cycle counter, HSE (falling back to HSI if the crystal never starts) and the
 * PLL, then switches SYSCLK. 0 on success; 1 = running from the HSI-fed PLL (USB timing out
 * of spec); -1 = PLL did not lock, still on HSI. Every wait is bounded. */
int clock_init(void);

#endif
