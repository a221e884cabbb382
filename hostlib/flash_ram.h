/* RAM-backed flash for host tests (core/flash.h): the real sector map, programming only
 * clears bits, every operation is counted, and one operation can be made to fail. */
#ifndef HOSTLIB_FLASH_RAM_H
#define HOSTLIB_FLASH_RAM_H

#include <stdint.h>

struct flash_ram_stats {
    unsigned erases;
    unsigned programs;
    uint32_t erased_sectors; /* bit n: sector n was erased */
    unsigned option_writes;  /* flash_boot_protection calls that changed the protection */
};

extern struct flash_ram_stats flash_ram_stats;
/* 1-based number of the operation that fails (0: none). */
extern unsigned flash_ram_fail_at_op;
/* Sector 0 write-protected (nWRP0 clear): its erases and programs fail, as WRPERR does. */
extern int flash_ram_boot_protected;

/* Everything erased (0xFF), counters cleared. */
void flash_ram_reset(void);
/* Direct access for test setup: bytes at absolute address addr. */
uint8_t *flash_ram_at(uint32_t addr);

#endif
