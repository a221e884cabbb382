#include "flash_ram.h"

#include <string.h>

#include "board.h"
#include "flash.h"

#define FLASH_START 0x08000000u

static uint32_t memory[BOARD_FLASH_SIZE / 4];
static int locked = 1;
struct flash_ram_stats flash_ram_stats;
int flash_ram_boot_protected;
unsigned flash_ram_fail_at_op;

void flash_ram_reset(void)
{
    memset(memory, 0xFF, sizeof memory);
    memset(&flash_ram_stats, 0, sizeof flash_ram_stats);
    flash_ram_fail_at_op = 0;
    flash_ram_boot_protected = 0;
    locked = 1;
}

uint8_t *flash_ram_at(uint32_t addr)
{
    return (uint8_t *)memory + (addr - FLASH_START);
}

const uint32_t *flash_words(uint32_t addr)
{
    return (const uint32_t *)flash_ram_at(addr);
}

void flash_unlock(void)
{
    locked = 0;
}

void flash_lock(void)
{
    locked = 1;
}

void flash_caches_reset(void)
{
}

static int operation_fails(void)
{
    unsigned n = flash_ram_stats.erases + flash_ram_stats.programs;
    return locked || (flash_ram_fail_at_op && n == flash_ram_fail_at_op);
}

int flash_erase_sector(unsigned sector)
{
    flash_ram_stats.erases++;
    if (sector >= flash_sector_count() || operation_fails() ||
        (sector == 0 && flash_ram_boot_protected))
        return -1;
    memset(flash_ram_at(flash_sector_start(sector)), 0xFF, flash_sector_size(sector));
    flash_ram_stats.erased_sectors |= 1u << sector;
    return 0;
}

int flash_program_word(uint32_t addr, uint32_t word)
{
    flash_ram_stats.programs++;
    if (addr % 4 || flash_sector_of(addr) < 0 || operation_fails() ||
        (flash_sector_of(addr) == 0 && flash_ram_boot_protected))
        return -1;
    memory[(addr - FLASH_START) / 4] &= word; /* flash can only clear bits */
    return memory[(addr - FLASH_START) / 4] == word ? 0 : -1;
}

/* The overlapped steps: the RAM flash is never busy; an operation fails at once. */
int flash_idle(int stall)
{
    (void)stall;
    return 1;
}

int flash_erase_start(unsigned sector)
{
    return flash_erase_sector(sector);
}

int flash_program_start(uint32_t addr, uint32_t word)
{
    return flash_program_word(addr, word);
}

int flash_boot_protection(int on)
{
    if (flash_ram_boot_protected != on)
        flash_ram_stats.option_writes++;
    flash_ram_boot_protected = on;
    return 0;
}
