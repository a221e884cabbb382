/* Code that runs while the flash erases or programs: any read of the flash stalls the CPU then
 * (RM0090 3.6), so it lives in SRAM (.ramfunc, copied by stm32f4/main.c once the clock is up).
 * Host builds ignore it. OVERLAP_PASS2 (default: on except with ENCRYPT=1, which has not the bytes
 * for it) overlaps update pass 2's reads with the flash's erases and programs (core/update.c). */
#ifndef CORE_RAMFUNC_H
#define CORE_RAMFUNC_H

#ifndef OVERLAP_PASS2
#if defined(ENCRYPT) && ENCRYPT
#define OVERLAP_PASS2 0
#else
#define OVERLAP_PASS2 1
#endif
#endif

#if defined(__arm__) && OVERLAP_PASS2
#define RAMFUNC __attribute__((section(".ramfunc")))
#else
#define RAMFUNC
#endif

#endif
