/* Boards stickimg knows: --board NAME gives the id written into trailers and the flash size.
 * The table is every header in firmware/boards/, read through the generated stickimg_boards.h (one
 * BOARD_ENTRY per header, mk/stickimg.mk), so a new board header is known here unchanged. */
#include "stickimg.h"

#include <string.h>

#define BOARD_ENTRY                                                                                \
    {BOARD_NAME, BOARD_ID, BOARD_FLASH_SIZE, 0x20000000u, 0x20000000u + BOARD_SRAM_SIZE},

static const struct board boards[] = {
#include "stickimg_boards.h"
};

const struct board *board_list(size_t *count)
{
    *count = sizeof boards / sizeof boards[0];
    return boards;
}

const struct board *board_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof boards / sizeof boards[0]; i++)
        if (strcmp(boards[i].name, name) == 0)
            return &boards[i];
    char known[256] = "";
    for (size_t i = 0; i < sizeof boards / sizeof boards[0]; i++) {
        strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
        strncat(known, boards[i].name, sizeof known - strlen(known) - 1);
    }
    set_error("unknown board '%s' (known: %s)", name, known);
    return NULL;
}

const struct board *board_by_id(uint32_t id)
{
    for (size_t i = 0; i < sizeof boards / sizeof boards[0]; i++)
        if (boards[i].id == id)
            return &boards[i];
    return NULL;
}

/* STM32F4 sector map: 4 x 16 KB, 64 KB, then 128 KB sectors. The bootloader erases whole
 * sectors, so the application must begin at one. */
static int is_sector_start(uint32_t offset)
{
    if (offset < 0x10000u)
        return offset % 0x4000u == 0;
    return offset == 0x10000u || offset % 0x20000u == 0;
}

int board_limits(const struct board *b, uint32_t app_base, uint32_t region_end,
                 struct image_limits *lim)
{
    uint32_t flash_end = FLASH_BASE + b->flash_size;
    if (app_base < FLASH_BASE + 0x4000u || app_base >= flash_end ||
        !is_sector_start(app_base - FLASH_BASE))
        return set_error("APP_BASE 0x%08X is not a flash sector start after the bootloader's "
                         "sector on %s (e.g. 0x08004000, 0x08008000)",
                         app_base, b->name);
    if (region_end == 0)
        region_end = flash_end;
    if (region_end <= app_base || region_end > flash_end)
        return set_error("region end 0x%08X is not between APP_BASE 0x%08X and the end of "
                         "flash 0x%08X",
                         region_end, app_base, flash_end);
    lim->app_base = app_base;
    lim->region_size = region_end - app_base;
    lim->sram_start = b->sram_start;
    lim->sram_end = b->sram_end;
    lim->board_id = b->id;
    return 0;
}
