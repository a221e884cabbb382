/* Thumb-2 decoding for fault reports (thumb.c). */
#ifndef EMU_THUMB_H
#define EMU_THUMB_H

#include <stdint.h>

/* The address of the first instruction in the straight-line code at start (len bytes, read
 * into code) whose data access, computed with the registers r[0..15], covers addr; start
 * when none does. */
uint32_t thumb_find_access(const uint8_t *code, uint32_t start, uint32_t len, const uint32_t r[16],
                           uint32_t addr);

#endif
