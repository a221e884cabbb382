/* Which instruction of a straight-line Thumb block made a data access to a given address.
 * libunicorn 2.0.1 does not restore the PC of an instruction whose access faults (without a
 * per-instruction code hook the PC is the block start), but the registers are exact at that
 * instruction (TCG saves them before every access that can fault). The stacked PC of a
 * precise BusFault is found by computing, with those registers, the address range each load
 * or store of the block touches (ARMv7-M ARM A5.2-A5.3, A7.7 encodings). */
#include "thumb.h"

static uint32_t popcount16(uint32_t v)
{
    return (uint32_t)__builtin_popcount(v & 0xFFFFu);
}

/* Address range [*lo, *hi) of the access of the instruction at pc; 0 if it has none. */
static int access_range(uint16_t hw1, uint16_t hw2, uint32_t pc, const uint32_t r[16], uint32_t *lo,
                        uint32_t *hi)
{
    uint32_t lit = (pc + 4u) & ~3u; /* Align(PC, 4) as literal loads see it */
    if ((hw1 >> 11) < 0x1Du) {      /* 16-bit */
        uint32_t rn = (hw1 >> 3) & 7u, imm5 = (hw1 >> 6) & 0x1Fu;
        if ((hw1 >> 12) == 0x5u) {
            *lo = r[rn] + r[(hw1 >> 6) & 7u];
            *hi = *lo + 4u;
        } else if ((hw1 >> 12) == 0x6u) {
            *lo = r[rn] + imm5 * 4u;
            *hi = *lo + 4u;
        } else if ((hw1 >> 12) == 0x7u) {
            *lo = r[rn] + imm5;
            *hi = *lo + 1u;
        } else if ((hw1 >> 12) == 0x8u) {
            *lo = r[rn] + imm5 * 2u;
            *hi = *lo + 2u;
        } else if ((hw1 >> 12) == 0x9u) {
            *lo = r[13] + (hw1 & 0xFFu) * 4u;
            *hi = *lo + 4u;
        } else if ((hw1 >> 11) == 0x9u) {
            *lo = lit + (hw1 & 0xFFu) * 4u;
            *hi = *lo + 4u;
        } else if ((hw1 >> 12) == 0xCu) {
            *lo = r[(hw1 >> 8) & 7u];
            *hi = *lo + 4u * popcount16(hw1 & 0xFFu);
        } else if ((hw1 & 0xFE00u) == 0xB400u) { /* PUSH */
            *hi = r[13];
            *lo = *hi - 4u * popcount16(hw1 & 0x1FFu);
        } else if ((hw1 & 0xFE00u) == 0xBC00u) { /* POP */
            *lo = r[13];
            *hi = *lo + 4u * popcount16(hw1 & 0x1FFu);
        } else {
            return 0;
        }
        return 1;
    }
    uint32_t rn = hw1 & 0xFu;
    uint32_t base = rn == 15u ? lit : r[rn];
    if ((hw1 & 0xFE40u) == 0xE800u) { /* LDM/STM (and RFE/SRS, not on M) */
        uint32_t n = popcount16(hw2);
        if (((hw1 >> 7) & 3u) == 2u) { /* DB */
            *lo = base - 4u * n;
            *hi = base;
        } else {
            *lo = base;
            *hi = base + 4u * n;
        }
        return 1;
    }
    if ((hw1 & 0xFE40u) == 0xE840u) { /* LDRD/STRD, LDREX/STREX, TBB/TBH */
        uint32_t off = (hw2 & 0xFFu) * 4u;
        if ((hw1 & 0xFFF0u) == 0xE8D0u && (hw2 & 0xFFE0u) == 0xF000u) { /* TBB/TBH */
            *lo = base + r[hw2 & 0xFu] * ((hw2 & 0x10u) ? 2u : 1u);
            *hi = *lo + 2u;
            return 1;
        }
        if (hw1 & 0x0100u) /* P */
            *lo = (hw1 & 0x0080u) ? base + off : base - off;
        else
            *lo = base;
        *hi = *lo + 8u;
        return 1;
    }
    if ((hw1 & 0xFE00u) == 0xF800u) { /* single loads and stores, preload */
        if (rn == 15u) {
            *lo = (hw1 & 0x0080u) ? lit + (hw2 & 0xFFFu) : lit - (hw2 & 0xFFFu);
        } else if (hw1 & 0x0080u) {
            *lo = base + (hw2 & 0xFFFu);
        } else if (hw2 & 0x0800u) {
            uint32_t imm8 = hw2 & 0xFFu;
            if (hw2 & 0x0400u) /* P */
                *lo = (hw2 & 0x0200u) ? base + imm8 : base - imm8;
            else
                *lo = base;
        } else if ((hw2 & 0x0FC0u) == 0) {
            *lo = base + (r[hw2 & 0xFu] << ((hw2 >> 4) & 3u));
        } else {
            return 0;
        }
        *hi = *lo + 4u;
        return 1;
    }
    if ((hw1 & 0xEE00u) == 0xEC00u && (hw2 & 0x0E00u) == 0x0A00u) { /* VLDR/VSTR/VLDM/VSTM */
        uint32_t off = (hw2 & 0xFFu) * 4u;
        int p = (hw1 >> 8) & 1u, u = (hw1 >> 7) & 1u, w = (hw1 >> 5) & 1u;
        if ((hw1 & 0xFFE0u) == 0xEC40u)
            return 0;  /* VMOV between core and FP registers */
        if (p && !w) { /* VLDR/VSTR */
            *lo = u ? base + off : base - off;
            *hi = *lo + 8u;
        } else if (u) {
            *lo = base;
            *hi = base + off;
        } else {
            *lo = base - off;
            *hi = base;
        }
        return 1;
    }
    return 0;
}

int thumb_access_range(const uint8_t *insn, uint32_t pc, const uint32_t r[16], uint32_t *lo,
                       uint32_t *hi)
{
    uint16_t hw1 = (uint16_t)(insn[0] | insn[1] << 8);
    uint16_t hw2 = (hw1 >> 11) >= 0x1Du ? (uint16_t)(insn[2] | insn[3] << 8) : 0;
    return access_range(hw1, hw2, pc, r, lo, hi);
}

uint32_t thumb_find_access(const uint8_t *code, uint32_t start, uint32_t len, const uint32_t r[16],
                           uint32_t addr)
{
    for (uint32_t off = 0; off + 1u < len;) {
        uint16_t hw1 = (uint16_t)(code[off] | code[off + 1u] << 8);
        int wide = (hw1 >> 11) >= 0x1Du;
        uint16_t hw2 = 0;
        if (wide) {
            if (off + 3u >= len)
                break;
            hw2 = (uint16_t)(code[off + 2u] | code[off + 3u] << 8);
        }
        uint32_t lo, hi;
        if (access_range(hw1, hw2, start + off, r, &lo, &hi) && addr - lo < hi - lo)
            return start + off;
        off += wide ? 4u : 2u;
    }
    return start;
}
