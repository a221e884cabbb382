/* Flash as seen by core/: a sector map plus erase/program. stm32f4/flash.c on target,
 * a RAM-backed fake in tests/. Addresses are absolute (0x08000000-based on target). */
#ifndef CORE_FLASH_H
#define CORE_FLASH_H

#include <stdint.h>

/* Sector index holding addr, or -1. */
int flash_sector_of(uint32_t addr);
uint32_t flash_sector_start(unsigned sector);
uint32_t flash_sector_size(unsigned sector);
unsigned flash_sector_count(void);

/* Flash contents at addr, readable as words (memory-mapped on target, a RAM copy on host). */
const uint32_t *flash_words(uint32_t addr);

void flash_unlock(void);
/* Locks the flash interface and resets the ART caches (flash_caches_reset). */
void flash_lock(void);
/* Empties the ART instruction and data caches, which may hold lines of flash erased or
 * programmed since (RM0090 3.5.2): before reading back what was written. */
void flash_caches_reset(void);
/* Each returns 0 on success, nonzero on a flash error flag or timeout. */
int flash_erase_sector(unsigned sector);
int flash_program_word(uint32_t addr, uint32_t word);

/* Overlapped steps (update pass 2): each runs from SRAM, so it may be called while the flash
 * is busy. flash_idle: 1 no operation in progress, 0 still busy, -1 the last operation set an
 * error flag (flags cleared); stall = 1 first waits for the operation in progress by reading
 * the flash (the bus stalls until it ends, RM0090 3.6: for a word program, never for an
 * erase). flash_erase_start / flash_program_start start one operation on an idle, unlocked
 * flash and return at once: 0 started, -1 refused (host fake). */
int flash_idle(int stall);
int flash_erase_start(unsigned sector);
int flash_program_start(uint32_t addr, uint32_t word);

/* Write protection of sector 0, the bootloader's (nWRP0 in the option bytes, RM0090 3.6.4):
 * on = 1 protects, 0 removes it. Writes the option bytes only when they differ; every other
 * option is kept. 0 on success (or nothing to do), -1 on a flash error or timeout.
 * Docs: docs/self-protection.md. */
int flash_boot_protection(int on);

#endif
