/* NOINIT: a large buffer that is always written before it is read needs no zeroing at reset;
 * on target it goes to .noinit (the linker script keeps it out of .bss), which shortens the
 * reset-to-main time (startup.c zeroes .bss at 16 MHz, before the PLL runs). */
#ifndef CORE_NOINIT_H
#define CORE_NOINIT_H

#ifdef __arm__
#define NOINIT __attribute__((section(".noinit")))
#else
#define NOINIT
#endif

#endif
