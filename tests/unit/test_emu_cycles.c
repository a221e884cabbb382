/* emu/cycles.c: the m4 cycle model's decoding of a block (Cortex-M4 TRM r0p1 3.3 timings, as
 * listed in docs/emulator.md "Cycle model"). Encodings are arm-none-eabi-as output (listing in
 * the comments); the flash and bus parts are checked by the micro-benchmarks (emu_cycles). */
#include <stdint.h>

#include "cycles.h"
#include "harness.h"

#define HARNESS_SUITE "test_emu_cycles"

static struct cyc_block decode_at(uint32_t addr, const uint8_t *code, uint32_t len)
{
    struct cyc_block b;
    cycles_decode(&b, code, addr, len);
    return b;
}

#define DECODE(...)                                                                                \
    decode_at(0x20000000u, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static void test_branches_and_multiples(void)
{
    struct cyc_block b = DECODE(0x10, 0xbd); /* pop {r4, pc}: 1 + N, + P */
    CHECK_EQ(b.base, 3);
    CHECK_EQ(b.end, CYC_END_INDIRECT);
    b = DECODE(0xb0, 0xe8, 0x0e, 0x80); /* ldmia.w r0!, {r1, r2, r3, pc} */
    CHECK_EQ(b.base, 5);
    CHECK_EQ(b.end, CYC_END_INDIRECT);
    b = DECODE(0xdf, 0xe8, 0x01, 0xf0); /* tbb [pc, r1]: 2 + 1 + P */
    CHECK_EQ(b.base, 3);
    CHECK_EQ(b.end, CYC_END_INDIRECT);
    b = DECODE(0x70, 0x47); /* bx lr */
    CHECK_EQ(b.base, 1);
    CHECK_EQ(b.end, CYC_END_INDIRECT);
    b = DECODE(0x8f, 0x46); /* mov pc, r1 */
    CHECK_EQ(b.end, CYC_END_INDIRECT);
    b = DECODE(0xff, 0xf7, 0xfe, 0xff); /* bl */
    CHECK_EQ(b.base, 1);
    CHECK_EQ(b.end, CYC_END_DIRECT);
    b = DECODE(0x10, 0xb1); /* cbz r0 */
    CHECK_EQ(b.end, CYC_END_COND);
    b = DECODE(0x00, 0xf0, 0x30, 0x80); /* beq.w */
    CHECK_EQ(b.base, 1);
    CHECK_EQ(b.end, CYC_END_COND);
    CHECK_EQ(b.first_wide, 1);
    b = DECODE(0xd0, 0xe9, 0x02, 0x23); /* ldrd r2, r3, [r0, #8] */
    CHECK_EQ(b.base, 3);
    CHECK_EQ(b.end, CYC_END_NONE);
}

static void test_arithmetic_and_fpu(void)
{
    CHECK_EQ(DECODE(0x91, 0xfb, 0xf2, 0xf0).base, 12); /* sdiv: the TRM's upper bound */
    CHECK_EQ(DECODE(0xa2, 0xfb, 0x03, 0x01).base, 1);  /* umull */
    CHECK_EQ(DECODE(0x00, 0xee, 0x81, 0x0a).base, 3);  /* vmla.f32 */
    CHECK_EQ(DECODE(0x2d, 0xed, 0x10, 0x8a).base, 17); /* vpush {s16-s31}: 1 + 16 */
    CHECK_EQ(DECODE(0xbf, 0xf3, 0x6f, 0x8f).base, 3);  /* isb */
    /* cmp r0, #1; it eq; moveq r0, r1: IT folded onto the 16-bit CMP */
    CHECK_EQ(DECODE(0x01, 0x28, 0x08, 0xbf, 0x08, 0x46).base, 2);
}

static void test_load_store_pairing(void)
{
    /* ldr r0, [r1]; ldr r2, [r3]; str r2, [r4]: 2 + 1 (pipelined) + 1 (pipelined) */
    CHECK_EQ(DECODE(0x08, 0x68, 0x1a, 0x68, 0x22, 0x60).base, 4);
    /* ... then ldr r0, [r5]: nothing pipelines after a store, 2 + 1 */
    CHECK_EQ(DECODE(0x08, 0x68, 0x1a, 0x68, 0x22, 0x60, 0x28, 0x68).base, 7);
    /* ldr r2, [r3]; ldr r0, [r2]: the second uses the first's result for its address: 2 + 2 */
    CHECK_EQ(DECODE(0x1a, 0x68, 0x10, 0x68).base, 4);
    /* adds r1, #4; ldr r0, [r1]: address from the instruction before, one stall */
    CHECK_EQ(DECODE(0x04, 0x31, 0x08, 0x68).base, 4);
    /* cmp r1, #4; ldr r0, [r1]: a compare writes no register, no stall */
    CHECK_EQ(DECODE(0x04, 0x29, 0x08, 0x68).base, 3);
}

static void test_mem_insns(void)
{
    /* ldmia r0!, {r2-r5}; str r2..r5, [r7]; cmp r0, r6; bne: the bootloader's CRC loop. Data
     * phases: the LDM's last 4 of 5 cycles (from 1), then each store in its last cycle, a
     * store after a store taking 2. */
    const uint8_t code[] = {0x3c, 0xc8, 0x3a, 0x60, 0x3b, 0x60, 0x3c,
                            0x60, 0x3d, 0x60, 0xb0, 0x42, 0xf8, 0xd1};
    struct cyc_mem mem[8];
    CHECK_EQ(cycles_mem_insns(code, 0x20000000u, sizeof code, mem, 8), 5);
    const unsigned at[5] = {1, 5, 7, 9, 11}, off[5] = {0, 2, 4, 6, 8};
    for (unsigned i = 0; i < 5; i++) {
        CHECK_EQ(mem[i].at, at[i]);
        CHECK_EQ(mem[i].off, off[i]);
        CHECK_EQ(mem[i].insn, i);
        CHECK_EQ(mem[i].xfers, i ? 1 : 4);
        CHECK_EQ(mem[i].dir, i ? CYC_WRITE : CYC_READ);
        CHECK_EQ(mem[i].line, 0);
    }
    /* pop {r4, pc}: reads; push {r4, lr}: writes; ldrd: reads 2 words (data at 1 of 3) */
    const uint8_t pp[] = {0x10, 0xb5, 0xd0, 0xe9, 0x02, 0x23, 0x10, 0xbd};
    CHECK_EQ(cycles_mem_insns(pp, 0x20000000u, sizeof pp, mem, 8), 3);
    CHECK_EQ(mem[0].dir, CYC_WRITE);
    CHECK_EQ(mem[1].dir, CYC_READ);
    CHECK_EQ(mem[1].xfers, 2);
    CHECK_EQ(mem[1].at, 3 + 1);
    CHECK_EQ(mem[2].dir, CYC_READ);
}

static void test_lines(void)
{
    /* 8 x adds r4, #1 from 0x20000008: 4 in the line at 0x20000000, 4 in the next */
    const uint8_t adds[16] = {0x01, 0x34, 0x01, 0x34, 0x01, 0x34, 0x01, 0x34,
                              0x01, 0x34, 0x01, 0x34, 0x01, 0x34, 0x01, 0x34};
    struct cyc_block b = decode_at(0x20000008u, adds, sizeof adds);
    CHECK_EQ(b.nlines, 2);
    CHECK_EQ(b.line_cycles[0], 4);
    CHECK_EQ(b.line_cycles[1], 4);
    CHECK_EQ(b.base, 8);
}

int main(void)
{
    RUN_TEST(test_branches_and_multiples);
    RUN_TEST(test_arithmetic_and_fpu);
    RUN_TEST(test_load_store_pairing);
    RUN_TEST(test_lines);
    RUN_TEST(test_mem_insns);
    return HARNESS_EXIT();
}
