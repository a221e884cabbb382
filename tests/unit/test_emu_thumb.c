/* emu/thumb.c: which instruction of a block made a faulting access, from the registers at the
 * fault (libunicorn leaves the PC at the block start). The block is real assembler output
 * (arm-none-eabi-as, listing in the comments). */
#include <stdint.h>

#include "harness.h"
#include "thumb.h"

#define HARNESS_SUITE "test_emu_thumb"

static const uint8_t block[] = {
    0x01, 0x25,             /*  0: movs r5, #1 */
    0x01, 0x68,             /*  2: ldr r1, [r0] */
    0x9a, 0x60,             /*  4: str r2, [r3, #8] */
    0x48, 0x79,             /*  6: ldrb r0, [r1, #5] */
    0xc8, 0x88,             /*  8: ldrh r0, [r1, #6] */
    0x04, 0x98,             /*  a: ldr r0, [sp, #16] */
    0x10, 0xb5,             /*  c: push {r4, lr} */
    0xd1, 0xf8, 0x23, 0x01, /*  e: ldr.w r0, [r1, #291] */
    0x51, 0xf8, 0x04, 0x0c, /* 12: ldr.w r0, [r1, #-4] */
    0x51, 0xf8, 0x22, 0x00, /* 16: ldr.w r0, [r1, r2, lsl #2] */
    0xd0, 0xe9, 0x02, 0x23, /* 1a: ldrd r2, r3, [r0, #8] */
    0x90, 0xe8, 0x0e, 0x00, /* 1e: ldmia.w r0, {r1, r2, r3} */
    0x2d, 0xe9, 0x70, 0x00, /* 22: stmdb sp!, {r4, r5, r6} */
    0x97, 0xed, 0x01, 0x0a, /* 26: vldr s0, [r7, #4] */
    0x01, 0x35,             /* 2a: adds r5, #1 */
};

static uint32_t find(uint32_t addr)
{
    uint32_t r[16] = {0x60000000u, 0x61000000u, 0x10u, 0x62000000u, 0, 0, 0, 0x63000000u};
    r[13] = 0x64000100u;
    return thumb_find_access(block, 0x08000100u, sizeof block, r, addr) - 0x08000100u;
}

static void test_each_encoding(void)
{
    CHECK_EQ(find(0x60000000u), 0x02); /* the first instruction that covers the address */
    CHECK_EQ(find(0x62000008u), 0x04);
    CHECK_EQ(find(0x61000005u), 0x06);
    CHECK_EQ(find(0x61000006u), 0x08);
    CHECK_EQ(find(0x64000110u), 0x0a);
    CHECK_EQ(find(0x640000F8u), 0x0c);
    CHECK_EQ(find(0x61000123u), 0x0e);
    CHECK_EQ(find(0x60FFFFFCu), 0x12);
    CHECK_EQ(find(0x61000040u), 0x16);
    CHECK_EQ(find(0x6000000Cu), 0x1a);
    CHECK_EQ(find(0x640000F4u), 0x22);
    CHECK_EQ(find(0x63000004u), 0x26);
}

static void test_no_match_is_block_start(void)
{
    CHECK_EQ(find(0x70000000u), 0);
}

int main(void)
{
    RUN_TEST(test_each_encoding);
    RUN_TEST(test_no_match_is_block_start);
    return HARNESS_EXIT();
}
