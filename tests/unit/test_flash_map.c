/* firmware/stm32f4/flash_map.c for the board given by BOARD_HEADER: sector numbering, starts,
 * sizes and the address -> sector map, against RM0090 3.3 tables 5 and 6 (and RM0368/RM0383
 * 3.3 for the 256/512 KB parts), including the two banks of a 2 MB F42x. */
#include "board.h"
#include "flash.h"
#include "harness.h"

#define HARNESS_SUITE "test_flash_map_" BOARD_NAME

static void test_map(void)
{
    static const uint32_t kb[] = {16, 16, 16, 16, 64, 128, 128, 128, 128, 128, 128, 128};
    unsigned per_bank = BOARD_FLASH_SIZE == 256u * 1024u   ? 6
                        : BOARD_FLASH_SIZE == 512u * 1024u ? 8
                                                           : 12;
    unsigned banks = BOARD_FLASH_DUAL_BANK ? 2 : 1;
    CHECK_EQ(flash_sector_count(), banks * per_bank);
    uint32_t addr = 0x08000000u;
    for (unsigned s = 0; s < flash_sector_count(); s++) {
        CHECK_EQ(flash_sector_start(s), addr);
        CHECK_EQ(flash_sector_size(s), kb[s % per_bank] * 1024u);
        CHECK_EQ(flash_sector_of(addr), (int)s);
        CHECK_EQ(flash_sector_of(addr + flash_sector_size(s) - 1u), (int)s);
        addr += flash_sector_size(s);
    }
    CHECK_EQ(addr, 0x08000000u + BOARD_FLASH_SIZE);
    CHECK_EQ(flash_sector_of(addr), -1);
    CHECK_EQ(flash_sector_of(0x07FFFFFFu), -1);
#if BOARD_FLASH_DUAL_BANK
    CHECK_EQ(flash_sector_of(0x08100000u), 12); /* bank 2 starts with its 16 KB sectors */
    CHECK_EQ(flash_sector_start(16), 0x08110000u);
    CHECK_EQ(flash_sector_size(16), 64u * 1024u);
#endif
}

int main(void)
{
    RUN_TEST(test_map);
    return HARNESS_EXIT();
}
