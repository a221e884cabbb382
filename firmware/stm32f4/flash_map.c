/* STM32F4 sector map: per bank 4 x 16 KB, 1 x 64 KB, then 128 KB sectors (RM0090 3.3 tables
 * 5 and 6, RM0383/RM0368/RM0390 3.3). A dual-bank part (BOARD_FLASH_DUAL_BANK, 2 MB F42x/43x)
 * has two such banks of BOARD_FLASH_SIZE / 2; sectors are numbered on through bank 2 (12-23).
 * No registers here: host tests and the emulator's checks use the same map. */
#include "board.h"
#include "flash.h"

#define FLASH_BASE_ADDR 0x08000000u
#if BOARD_FLASH_DUAL_BANK
#define BANK_SIZE   (BOARD_FLASH_SIZE / 2u)
#define BANKS       2u
#define BANK_OF(x)  ((x) / BANK_SECTORS) /* sector -> bank */
#define IN_BANK(x)  ((x) % BANK_SECTORS)
#define OFF_BANK(o) ((o) / BANK_SIZE) /* offset -> bank */
#define OFF_IN(o)   ((o) % BANK_SIZE)
#else /* no bank arithmetic in a single-bank build */
#define BANK_SIZE   BOARD_FLASH_SIZE
#define BANKS       1u
#define BANK_OF(x)  0u
#define IN_BANK(x)  (x)
#define OFF_BANK(o) 0u
#define OFF_IN(o)   (o)
#endif
#define BANK_SECTORS (5u + (BANK_SIZE - 128u * 1024u) / (128u * 1024u))

unsigned flash_sector_count(void)
{
    return BANKS * BANK_SECTORS;
}

uint32_t flash_sector_size(unsigned sector)
{
    sector = IN_BANK(sector);
    return sector < 4 ? 16u * 1024u : sector == 4 ? 64u * 1024u : 128u * 1024u;
}

uint32_t flash_sector_start(unsigned sector)
{
    uint32_t bank = FLASH_BASE_ADDR + BANK_OF(sector) * BANK_SIZE;
    sector = IN_BANK(sector);
    if (sector <= 4)
        return bank + sector * 16u * 1024u;
    return bank + (sector - 4u) * 128u * 1024u;
}

int flash_sector_of(uint32_t addr)
{
    uint32_t offset = addr - FLASH_BASE_ADDR;
    if (addr < FLASH_BASE_ADDR || offset >= BOARD_FLASH_SIZE)
        return -1;
    int first = (int)(OFF_BANK(offset) * BANK_SECTORS);
    offset = OFF_IN(offset);
    if (offset < 64u * 1024u)
        return first + (int)(offset / (16u * 1024u));
    if (offset < 128u * 1024u)
        return first + 4;
    return first + (int)(4u + offset / (128u * 1024u));
}
