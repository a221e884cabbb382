/* Thumb-2 decoding of data accesses: fault reports, and accesses timed within a block (thumb.c). */
#ifndef EMU_THUMB_H
#define EMU_THUMB_H

#include <stdint.h>

/* The address of the first instruction in the straight-line code at start (len bytes, read
 * into code) whose data access, computed with the registers r[0..15], covers addr; start
 * when none does. */
uint32_t thumb_find_access(const uint8_t *code, uint32_t start, uint32_t len, const uint32_t r[16],
                           uint32_t addr);

/* The address range [*lo, *hi) that the load or store at pc (its bytes at insn, 4 readable)
 * accesses, computed with the registers r[0..15] as they are before it executes; 0 when it
 * is not a load or store this decoder knows. */
int thumb_access_range(const uint8_t *insn, uint32_t pc, const uint32_t r[16], uint32_t *lo,
                       uint32_t *hi);

#endif
