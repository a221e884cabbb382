/* Which polling loops may be skipped exactly (docs/emulator.md, "Virtual time"). A loop may be
 * skipped over whole iterations only if an iteration leaves nothing behind that the next one
 * or the code after the loop could see: one basic block branching back to its own start, made
 * of loads, register arithmetic, compares and the branch, with no register or flag carried
 * from one iteration to the next (each is written in the block before it is read, or never
 * written), no store, no stack change, no call. The loop's loads then return the same values
 * until a model's next event, so every skipped iteration is identical to the one executed.
 * Thumb-2 encodings: ARMv7-M Architecture Reference Manual, A5 and A7. */
#include <string.h>

#include "machine.h"

#define FLAGS          (1u << 16) /* APSR.NZCV as a pseudo-register */
#define MAX_LOOP_INSNS 64

struct use {
    uint32_t read, written, live_in;
};

static void rd(struct use *u, unsigned r)
{
    uint32_t bit = 1u << r;
    if (!(u->written & bit))
        u->live_in |= bit;
    u->read |= bit;
}

static void wr(struct use *u, unsigned r)
{
    u->written |= 1u << r;
}

static uint16_t half(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static int32_t sext(uint32_t v, unsigned bits)
{
    uint32_t sign = 1u << (bits - 1);
    return (int32_t)((v ^ sign) - sign);
}

/* A 16-bit instruction. Returns 1 (ok), 0 (not allowed), 2 (the block's final branch; *target
 * is its destination). */
static int insn16(uint16_t h, uint32_t pc, struct use *u, uint32_t *target)
{
    unsigned top5 = h >> 11;
    unsigned r0 = h & 7u, r3 = (h >> 3) & 7u, r6 = (h >> 6) & 7u, r8 = (h >> 8) & 7u;
    if (top5 <= 2) { /* LSL/LSR/ASR #imm */
        rd(u, r3);
        wr(u, r0);
        wr(u, 16);
        return 1;
    }
    if (top5 == 3) { /* ADDS/SUBS reg or imm3 */
        rd(u, r3);
        if (!(h & (1u << 10)))
            rd(u, r6);
        wr(u, r0);
        wr(u, 16);
        return 1;
    }
    if (top5 >= 4 && top5 <= 7) { /* MOVS/CMP/ADDS/SUBS #imm8 */
        unsigned op = top5 & 3u;
        if (op != 0)
            rd(u, r8);
        if (op != 1)
            wr(u, r8);
        wr(u, 16);
        return 1;
    }
    if ((h & 0xFC00u) == 0x4000u) { /* data processing, register */
        unsigned op = (h >> 6) & 0xFu;
        if (op == 5 || op == 6 || op == 7) /* ADC, SBC read the carry; ROR kept simple */
            rd(u, 16);
        if (op != 9 && op != 15) /* RSB and MVN do not read Rdn */
            rd(u, r0);
        rd(u, r3);
        if (op != 8 && op != 10 && op != 11) /* TST, CMP, CMN write no register */
            wr(u, r0);
        wr(u, 16);
        return 1;
    }
    if ((h & 0xFC00u) == 0x4400u) { /* ADD/CMP/MOV high registers, BX/BLX */
        unsigned op = (h >> 8) & 3u, rdn = (h & 7u) | ((h >> 4) & 8u), rm = (h >> 3) & 0xFu;
        if (op == 3 || rdn >= 13 || rm == 15)
            return 0;
        rd(u, rm);
        if (op != 2)
            rd(u, rdn);
        if (op == 1)
            wr(u, 16);
        else
            wr(u, rdn);
        return 1;
    }
    if (top5 == 9) { /* LDR literal */
        wr(u, r8);
        return 1;
    }
    if ((h & 0xF000u) == 0x5000u) { /* load/store register offset: loads only */
        unsigned op = (h >> 9) & 7u;
        if (op < 3)
            return 0;
        rd(u, r3);
        rd(u, r6);
        wr(u, r0);
        return 1;
    }
    if (top5 == 0x0D || top5 == 0x0F || top5 == 0x11) { /* LDR, LDRB, LDRH #imm */
        rd(u, r3);
        wr(u, r0);
        return 1;
    }
    if (top5 == 0x13) { /* LDR Rt, [SP, #imm] */
        rd(u, 13);
        wr(u, r8);
        return 1;
    }
    if (top5 == 0x14 || top5 == 0x15) { /* ADR, ADD Rd, SP, #imm */
        if (top5 == 0x15)
            rd(u, 13);
        wr(u, r8);
        return 1;
    }
    if ((h & 0xFF00u) == 0xB200u) { /* SXTH, SXTB, UXTH, UXTB */
        rd(u, r3);
        wr(u, r0);
        return 1;
    }
    if (h == 0xBF00u) /* NOP */
        return 1;
    if ((h & 0xF500u) == 0xB100u) { /* CBZ, CBNZ */
        rd(u, r0);
        *target = pc + 4u + ((((h >> 9) & 1u) << 6) | (((h >> 3) & 0x1Fu) << 1));
        return 2;
    }
    if ((h & 0xF000u) == 0xD000u && ((h >> 8) & 0xFu) < 14u) { /* B<cond> */
        rd(u, 16);
        *target = pc + 4u + (uint32_t)sext((h & 0xFFu) << 1, 9);
        return 2;
    }
    if (top5 == 0x1C) { /* B */
        *target = pc + 4u + (uint32_t)sext((h & 0x7FFu) << 1, 12);
        return 2;
    }
    return 0;
}

static int insn32(uint16_t h1, uint16_t h2, uint32_t pc, struct use *u, uint32_t *target)
{
    unsigned rn = h1 & 0xFu, rdx = (h2 >> 8) & 0xFu, rt = h2 >> 12;
    /* LDR/LDRB/LDRH/LDRSB/LDRSH (immediate 12, immediate 8 without writeback, register) */
    if ((h1 & 0xFE50u) == 0xF810u || (h1 & 0xFE50u) == 0xF850u) {
        unsigned size = (h1 >> 5) & 3u;
        if (size == 3 || rt >= 13 || (h1 & 0x0100u && size == 2))
            return 0; /* LDRSW does not exist; no loads into SP/PC */
        if (!(h1 & 0x0080u) && rn != 15) {
            if (h2 & 0x0800u) { /* imm8 with P/U/W */
                if (h2 & 0x0100u)
                    return 0; /* writeback */
                if (!(h2 & 0x0400u))
                    return 0; /* post-indexed */
            } else if ((h2 & 0x0FC0u) != 0) {
                return 0;
            } else {
                rd(u, h2 & 0xFu); /* register offset */
            }
        }
        if (rn != 15)
            rd(u, rn);
        wr(u, rt);
        return 1;
    }
    /* data processing, modified immediate */
    if ((h1 & 0xFA00u) == 0xF000u && !(h2 & 0x8000u)) {
        unsigned op = (h1 >> 5) & 0xFu, s = (h1 >> 4) & 1u;
        int test = rdx == 15 && s && (op == 0 || op == 4 || op == 8 || op == 13);
        if ((!test && rdx >= 13) || op == 10 || op == 11)
            return 0; /* ADC/SBC: carry chains kept out */
        if (!((op == 2 || op == 3) && rn == 15))
            rd(u, rn);
        if (!test)
            wr(u, rdx);
        if (s)
            wr(u, 16);
        return 1;
    }
    /* plain binary immediate: ADDW, SUBW, MOVW, UBFX, SBFX */
    if ((h1 & 0xFA00u) == 0xF200u && !(h2 & 0x8000u)) {
        unsigned op = (h1 >> 4) & 0x1Fu;
        if (rdx >= 13 || !(op == 0 || op == 10 || op == 4 || op == 28 || op == 20))
            return 0;
        if (op != 4)
            rd(u, rn);
        wr(u, rdx);
        return 1;
    }
    /* data processing, shifted register */
    if ((h1 & 0xFE00u) == 0xEA00u) {
        unsigned op = (h1 >> 5) & 0xFu, s = (h1 >> 4) & 1u;
        int test = rdx == 15 && s && (op == 0 || op == 4 || op == 8 || op == 13);
        if ((!test && rdx >= 13) || op == 10 || op == 11 || op == 6 || op == 12 || op == 15)
            return 0;
        if (!((op == 2 || op == 3) && rn == 15))
            rd(u, rn);
        rd(u, h2 & 0xFu);
        if (!test)
            wr(u, rdx);
        if (s)
            wr(u, 16);
        return 1;
    }
    /* LSL/LSR/ASR/ROR (register) */
    if ((h1 & 0xFF80u) == 0xFA00u && (h2 & 0xF0F0u) == 0xF000u) {
        if (rdx >= 13)
            return 0;
        rd(u, rn);
        rd(u, h2 & 0xFu);
        wr(u, rdx);
        if (h1 & 0x10u)
            wr(u, 16);
        return 1;
    }
    /* B<cond>.W, B.W */
    if ((h1 & 0xF800u) == 0xF000u && (h2 & 0xD000u) == 0x8000u && ((h1 >> 6) & 0xEu) != 0xEu) {
        uint32_t s = (h1 >> 10) & 1u, j1 = (h2 >> 13) & 1u, j2 = (h2 >> 11) & 1u;
        uint32_t imm =
            (s << 20) | (j2 << 19) | (j1 << 18) | ((h1 & 0x3Fu) << 12) | ((h2 & 0x7FFu) << 1);
        rd(u, 16);
        *target = pc + 4u + (uint32_t)sext(imm, 21);
        return 2;
    }
    if ((h1 & 0xF800u) == 0xF000u && (h2 & 0xD000u) == 0x9000u) {
        uint32_t s = (h1 >> 10) & 1u, j1 = (h2 >> 13) & 1u, j2 = (h2 >> 11) & 1u;
        uint32_t i1 = !(j1 ^ s), i2 = !(j2 ^ s);
        uint32_t imm =
            (s << 24) | (i1 << 23) | (i2 << 22) | ((h1 & 0x3FFu) << 12) | ((h2 & 0x7FFu) << 1);
        *target = pc + 4u + (uint32_t)sext(imm, 25);
        return 2;
    }
    return 0;
}

int loop_block_skippable(const struct machine *m, uint32_t addr, uint64_t insns)
{
    if (insns == 0 || insns > MAX_LOOP_INSNS)
        return 0;
    const uint8_t *code = machine_code_bytes(m, addr, 4u * MAX_LOOP_INSNS);
    if (!code)
        return 0;
    struct use u = {0, 0, 0};
    uint32_t off = 0;
    for (uint64_t n = 1; n <= insns; n++) {
        uint16_t h1 = half(code + off);
        uint32_t pc = addr + off, target = 0;
        int r;
        if ((h1 >> 11) >= 0x1D) {
            r = insn32(h1, half(code + off + 2), pc, &u, &target);
            off += 4;
        } else {
            r = insn16(h1, pc, &u, &target);
            off += 2;
        }
        if (r == 0)
            return 0;
        if (r == 2) /* the block ends here: it must be the last one, back to the start */
            return n == insns && target == addr && !(u.live_in & u.written);
        if (u.written & (1u << 15))
            return 0;
    }
    return 0; /* no branch back within the counted instructions */
}
