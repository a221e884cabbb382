/* STM32F405/407/446 single-bank sector map: 4 x 16 KB, 1 x 64 KB, then 128 KB sectors.
 * No registers here: host tests and the emulator's checks use the same map. */
#include "board.h"
#include "flash.h"

#define FLASH_BASE_ADDR 0x08000000u

unsigned flash_sector_count(void)
{
    /* 4 x 16 KB, 1 x 64 KB, then 128 KB sectors (single bank). */
    return 5u + (BOARD_FLASH_SIZE - 128u * 1024u) / (128u * 1024u);
}

uint32_t flash_sector_size(unsigned sector)
{
    return sector < 4 ? 16u * 1024u : sector == 4 ? 64u * 1024u : 128u * 1024u;
}

uint32_t flash_sector_start(unsigned sector)
{
    if (sector <= 4)
        return FLASH_BASE_ADDR + sector * 16u * 1024u;
    return FLASH_BASE_ADDR + (sector - 4u) * 128u * 1024u;
}

int flash_sector_of(uint32_t addr)
{
    uint32_t offset = addr - FLASH_BASE_ADDR;
    if (addr < FLASH_BASE_ADDR || offset >= BOARD_FLASH_SIZE)
        return -1;
    if (offset < 64u * 1024u)
        return (int)(offset / (16u * 1024u));
    if (offset < 128u * 1024u)
        return 4;
    return (int)(4u + offset / (128u * 1024u));
}
