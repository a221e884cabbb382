/* The m4 cycle model (docs/emulator.md, "Cycle model"):
 * - instruction timings of the Cortex-M4 TRM r0p1 (ARM DDI 0439) section 3.3, table 3-1, and
 *   its load/store pairing rules (section 3.3.2, same text as the Cortex-M3 TRM section 18.3);
 *   the FPU's from the Cortex-M4 TRM section 7.2 (FPU instruction set table);
 * - the flash interface of RM0090 section 3.4-3.5 and 3.9.1 (FLASH_ACR): LATENCY wait states,
 *   128-bit lines, prefetch of the next sequential line, a 64-line instruction cache and an
 *   8-line data cache, ICRST/DCRST;
 * - a wait state per AHB peripheral access and the AHB-APB bridge at the APB prescaler.
 * Decoding is per translated block and cached by the CPU glue, so a block costs a table sum
 * plus a few cache look-ups when it runs from flash. */
#include <stdlib.h>
#include <string.h>

#include "cycles.h"
#include "machine.h"

#define IC_LINES 64 /* RM0090 3.5.2: 64 lines of 128 bits */
#define DC_LINES 8  /* RM0090 3.5.2: 8 lines of 128 bits */
#define NO_LINE  UINT32_MAX
#define DIV_CYCLES                                                                                 \
    12 /* SDIV/UDIV: the TRM's 2-12 with early termination; the worst case (docs/emulator.md) */

#define ACR_LATENCY_MASK 0x7u
#define ACR_PRFTEN       (1u << 8)
#define ACR_ICEN         (1u << 9)
#define ACR_DCEN         (1u << 10)
#define ACR_ICRST        (1u << 11)
#define ACR_DCRST        (1u << 12)

struct cache_line {
    uint32_t tag; /* flash offset >> 4 */
    uint64_t used;
    uint8_t valid, stale;
};

struct cycles {
    enum cycle_model model;
    uint32_t prev_end;         /* address after the previous block */
    uint8_t prev_kind;         /* its CYC_END_* */
    uint16_t prev_last_cycles; /* cycles of its last line's instructions */
    uint32_t cur_line, pf_line;
    struct cache_line ic[IC_LINES], dc[DC_LINES];
    uint8_t *ic_where; /* per flash line: its I-cache slot + 1, 0 when not cached */
    uint32_t nlines;   /* flash lines (size / 16) */
    uint64_t tick;
    int warned_ic, warned_dc;
};

/* ---------------------------------------------------------------- decoding (TRM 3.3) */

enum kind { K_ALU, K_LOAD, K_STORE, K_OTHER_MEM, K_BRANCH, K_IT };

struct insn {
    uint8_t kind, cycles, end;
    uint16_t dest;  /* registers written by an ALU instruction (the AGU stall) */
    uint16_t addr;  /* registers a load/store forms its address from */
    uint16_t ldest; /* the register a single load writes */
    uint8_t xfers;  /* data transfers (words): its last cycles are their data phases */
    uint8_t dir;    /* CYC_READ and/or CYC_WRITE */
};

static uint16_t popcount(uint32_t v)
{
    return (uint16_t)__builtin_popcount(v);
}

static struct insn alu(unsigned rd)
{
    struct insn i = {K_ALU, 1, CYC_END_NONE, (uint16_t)(1u << rd), 0, 0, 0, 0};
    if (rd == 15) { /* MOV PC / ADD PC: 1 + P */
        i.kind = K_BRANCH;
        i.end = CYC_END_INDIRECT;
    }
    return i;
}

static struct insn alu_nodest(void)
{
    struct insn i = {K_ALU, 1, CYC_END_NONE, 0, 0, 0, 0, 0};
    return i;
}

static struct insn mem(int load, unsigned rt, uint16_t addr_regs)
{
    struct insn i = {(uint8_t)(load ? K_LOAD : K_STORE),    2, CYC_END_NONE, 0, addr_regs, 0, 1,
                     (uint8_t)(load ? CYC_READ : CYC_WRITE)};
    if (load) {
        i.ldest = (uint16_t)(1u << rt);
        if (rt == 15) { /* LDR PC: 2 + P */
            i.kind = K_BRANCH;
            i.end = CYC_END_INDIRECT;
        }
    }
    return i;
}

static struct insn multi(unsigned n, int load, int loads_pc)
{
    struct insn i = {K_OTHER_MEM,
                     (uint8_t)(1u + n),
                     CYC_END_NONE,
                     0,
                     0,
                     0,
                     (uint8_t)n,
                     (uint8_t)(load ? CYC_READ : CYC_WRITE)};
    if (loads_pc) {
        i.kind = K_BRANCH;
        i.end = CYC_END_INDIRECT;
    }
    return i;
}

static struct insn plain(uint8_t kind, uint8_t cycles)
{
    /* a load/store: one transfer, or 1 + N cycles for N (LDRD/STRD, VLDM/VSTM) */
    uint8_t xfers = kind == K_LOAD || kind == K_STORE ? 1 : kind == K_OTHER_MEM ? cycles - 1 : 0;
    uint8_t dir = kind == K_LOAD    ? CYC_READ
                  : kind == K_STORE ? CYC_WRITE
                  : xfers           ? CYC_READ | CYC_WRITE
                                    : 0;
    struct insn i = {kind, cycles, CYC_END_NONE, 0, 0, 0, xfers, dir};
    return i;
}

static struct insn branch(uint8_t end)
{
    struct insn i = {K_BRANCH, 1, end, 0, 0, 0, 0, 0};
    return i;
}

static struct insn decode16(uint16_t h)
{
    unsigned r0 = h & 7u, r3 = (h >> 3) & 7u, r6 = (h >> 6) & 7u, r8 = (h >> 8) & 7u;
    if (h < 0x2000u)
        return alu(r0); /* shifts, ADD/SUB reg/imm3 */
    if ((h & 0xF800u) == 0x2800u)
        return alu_nodest(); /* CMP imm8 */
    if (h < 0x4000u)
        return alu(r8); /* MOV/ADD/SUB imm8 */
    if ((h & 0xFC00u) == 0x4000u) {
        unsigned op = (h >> 6) & 0xFu;
        if (op == 8 || op == 10 || op == 11)
            return alu_nodest(); /* TST, CMP, CMN */
        return alu(r0);          /* data processing; MUL is 1 cycle too */
    }
    if ((h & 0xFC00u) == 0x4400u) {
        unsigned op = (h >> 8) & 3u, rdn = (h & 7u) | ((h >> 4) & 8u);
        if (op == 3)
            return branch(CYC_END_INDIRECT); /* BX, BLX */
        if (op == 1)
            return alu_nodest(); /* CMP high registers */
        return alu(rdn);
    }
    if ((h & 0xF800u) == 0x4800u) /* LDR literal */
        return mem(1, r8, 1u << 15);
    if ((h & 0xF000u) == 0x5000u) {
        unsigned op = (h >> 9) & 7u;
        return mem(op >= 3, r0, (uint16_t)(1u << r3 | 1u << r6));
    }
    if (h >= 0x6000u && h < 0x9000u)
        return mem((h >> 11) & 1u, r0, (uint16_t)(1u << r3));
    if ((h & 0xF000u) == 0x9000u)
        return mem((h >> 11) & 1u, r8, 1u << 13);
    if ((h & 0xF000u) == 0xA000u)
        return alu(r8); /* ADR, ADD Rd, SP */
    if ((h & 0xFF00u) == 0xB000u)
        return alu(13); /* ADD/SUB SP, #imm */
    if ((h & 0xF500u) == 0xB100u)
        return branch(CYC_END_COND); /* CBZ, CBNZ */
    if ((h & 0xFE00u) == 0xB400u)    /* PUSH: 1 + N */
        return multi(popcount(h & 0x1FFu), 0, 0);
    if ((h & 0xFE00u) == 0xBC00u) /* POP: 1 + N, + P with PC */
        return multi(popcount(h & 0x1FFu), 1, (h >> 8) & 1u);
    if ((h & 0xFF00u) == 0xBF00u && (h & 0xFu))
        return plain(K_IT, 1);
    if ((h & 0xFF00u) == 0xBF00u || (h & 0xFFE0u) == 0xB660u || (h & 0xFF00u) == 0xBE00u)
        return alu_nodest(); /* NOP, WFI, WFE, SEV, YIELD, CPS, BKPT */
    if ((h & 0xF000u) == 0xB000u)
        return alu(r0);           /* extend, REV, CPS, hints */
    if ((h & 0xF000u) == 0xC000u) /* LDM/STM: 1 + N */
        return multi(popcount(h & 0xFFu), (h >> 11) & 1u, 0);
    if ((h & 0xF000u) == 0xD000u) {
        if (((h >> 8) & 0xFu) < 14u)
            return branch(CYC_END_COND);
        return plain(K_ALU, 1); /* UDF, SVC: the exception is not timed */
    }
    if ((h & 0xF800u) == 0xE000u)
        return branch(CYC_END_DIRECT);
    return plain(K_ALU, 1);
}

static struct insn decode_fp(uint16_t h1, uint16_t h2)
{
    if ((h1 & 0xEE00u) == 0xEC00u) {   /* extension register load/store, 64-bit moves */
        if ((h1 & 0xFFE0u) == 0xEC40u) /* VMOV two core registers */
            return plain(K_ALU, 2);
        unsigned p = (h1 >> 8) & 1u, w = (h1 >> 5) & 1u, l = (h1 >> 4) & 1u;
        if (p && !w) { /* VLDR/VSTR: 2 */
            struct insn i = plain((uint8_t)(l ? K_LOAD : K_STORE), 2);
            i.addr = (uint16_t)(1u << (h1 & 0xFu));
            return i;
        }
        struct insn i = plain(K_OTHER_MEM, (uint8_t)(1u + (h2 & 0xFFu))); /* VLDM/VSTM: 1 + N */
        i.dir = l ? CYC_READ : CYC_WRITE;
        return i;
    }
    if ((h2 & 0x10u) != 0)
        return plain(K_ALU, 1); /* VMOV core/single, VMRS, VMSR */
    unsigned opc1 = (h1 >> 4) & 0xBu, opc2 = h1 & 0xFu, opc3 = (h2 >> 6) & 3u;
    if (opc1 == 0x8u)
        return plain(K_ALU, 14); /* VDIV */
    if (opc1 == 0xBu && opc2 == 1u && opc3 == 3u)
        return plain(K_ALU, 14); /* VSQRT */
    if (opc1 == 0x0u || opc1 == 0x1u || opc1 == 0x9u || opc1 == 0xAu)
        return plain(K_ALU, 3); /* VMLA/VMLS/VNMLA/VNMLS, VFMA/VFMS/VFNMA/VFNMS */
    return plain(K_ALU, 1);     /* VADD/VSUB/VMUL/VNMUL, VMOV, VABS, VNEG, VCMP, VCVT */
}

static struct insn decode32(uint16_t h1, uint16_t h2)
{
    unsigned rn = h1 & 0xFu, rd = (h2 >> 8) & 0xFu, rt = h2 >> 12;
    if ((h1 & 0xFE40u) == 0xE800u) { /* LDM/STM: 1 + N (+ P with PC) */
        int load = (h1 >> 4) & 1u;
        return multi(popcount(h2 & 0xDFFFu), load, load && (h2 & 0x8000u));
    }
    if ((h1 & 0xFE40u) == 0xE840u) {
        if ((h1 & 0xFFF0u) == 0xE8D0u && (h2 & 0xFFE0u) == 0xF000u) {
            struct insn i = branch(CYC_END_INDIRECT); /* TBB/TBH: 2 load + 1 add + P */
            i.cycles = 3;
            i.xfers = 1;
            i.dir = CYC_READ;
            return i;
        }
        if ((h1 & 0xFFE0u) == 0xE840u || (h1 & 0xFFF0u) == 0xE8C0u || (h1 & 0xFFF0u) == 0xE8D0u)
            return mem((h1 >> 4) & 1u, rt, (uint16_t)(1u << rn)); /* LDREX/STREX: as LDR */
        struct insn i = plain(K_OTHER_MEM, 3);                    /* LDRD/STRD: 1 + N, N = 2 */
        i.dir = (h1 >> 4) & 1u ? CYC_READ : CYC_WRITE;
        return i;
    }
    if ((h1 & 0xFE00u) == 0xEA00u)
        return rd == 15 ? alu_nodest() : alu(rd); /* shifted register; Rd 15: TST/TEQ/CMP/CMN */
    if ((h1 & 0xEC00u) == 0xEC00u) {
        if ((h2 & 0x0E00u) == 0x0A00u)
            return decode_fp(h1, h2);
        return plain(K_ALU, 1); /* other coprocessor space */
    }
    if ((h1 & 0xF800u) == 0xF000u && (h2 & 0x8000u)) {
        if ((h2 & 0xD000u) == 0x8000u) {
            if (((h1 >> 6) & 0xEu) != 0xEu)
                return branch(CYC_END_COND); /* B<cond>.W */
            if ((h1 & 0xFFF0u) == 0xF3B0u && ((h2 >> 4) & 0xFu) == 6u) {
                struct insn i = plain(K_ALU, 1); /* ISB: 1 + B, B = a refill (TRM 3.3.1) */
                i.end = CYC_END_NONE;
                i.cycles = 3;
                return i;
            }
            return plain(K_ALU, 1); /* MSR, MRS, hints, DSB, DMB */
        }
        return branch(CYC_END_DIRECT); /* B.W, BL */
    }
    if ((h1 & 0xF800u) == 0xF000u)
        return rd == 15 ? alu_nodest() : alu(rd); /* data processing, immediate */
    if ((h1 & 0xFE00u) == 0xF800u) {              /* single loads/stores, preload */
        int load = (h1 >> 4) & 1u;
        unsigned size = (h1 >> 5) & 3u;
        if (load && rt == 15 && size != 2u)
            return plain(K_LOAD, 2); /* PLD, PLI */
        uint16_t regs = (uint16_t)(1u << rn);
        if (!(h1 & 0x0080u) && rn != 15 && !(h2 & 0x0800u))
            regs |= (uint16_t)(1u << (h2 & 0xFu)); /* register offset */
        return mem(load, rt, regs);
    }
    if ((h1 & 0xFF80u) == 0xFB80u && (((h1 >> 4) & 7u) == 1u || ((h1 >> 4) & 7u) == 3u)) {
        struct insn i = alu(rd); /* SDIV, UDIV */
        i.cycles = DIV_CYCLES;
        return i;
    }
    if ((h1 & 0xFF00u) == 0xFB00u) /* multiplies: all 1 cycle on the M4; Rd (RdHi in long ones) */
        return alu(rd);
    return rd == 15 ? alu_nodest() : alu(rd); /* register data processing (FA00-FAFF), rest */
}

/* Walks the block's instructions with the TRM's pairing rules: fills *b when b is not NULL,
 * and lists up to max loads/stores in mem (cycles_mem_insns()). Returns how many it listed. */
static unsigned walk(struct cyc_block *b, const uint8_t *code, uint32_t addr, uint32_t len,
                     struct cyc_mem *mem, unsigned max)
{
    struct insn prev = plain(K_ALU, 1);
    int have_prev = 0, prev_wide = 1;
    uint32_t first_line = addr >> 4, sum = 0, ninsn = 0;
    unsigned n = 0;
    for (uint32_t off = 0; off + 1u < len;) {
        uint16_t h1 = (uint16_t)(code[off] | code[off + 1u] << 8);
        int wide = (h1 >> 11) >= 0x1Du;
        struct insn in;
        if (wide) {
            if (off + 3u >= len)
                break;
            in = decode32(h1, (uint16_t)(code[off + 2u] | code[off + 3u] << 8));
        } else {
            in = decode16(h1);
        }
        if (off == 0 && b)
            b->first_wide = (uint8_t)wide;
        uint32_t c = in.cycles;
        if (in.kind == K_LOAD || in.kind == K_STORE) {
            /* TRM 3.3.2: a load or store right after a single load whose result it does not
             * use for its address is pipelined (one cycle less); a store alone is one cycle
             * ("STR Rx,[Ry,#imm] is always one cycle") unless a load or store follows it,
             * since nothing pipelines after a store (charged to the next one below). */
            if (have_prev && prev.kind == K_LOAD && !(prev.ldest & in.addr))
                c = 1;
            else if (in.kind == K_STORE)
                c = 1;
            if (have_prev && prev.kind == K_STORE)
                c += 1;
            /* An address register written by the instruction before: no forwarding path,
             * one stall cycle. */
            if (have_prev && prev.kind == K_ALU && (prev.dest & in.addr))
                c += 1;
        } else if (in.kind == K_IT && have_prev && !prev_wide) {
            c = 0; /* IT folded onto the preceding 16-bit instruction */
        }
        uint32_t idx = ((addr + off) >> 4) - first_line;
        if (idx >= CYC_MAX_LINES)
            idx = CYC_MAX_LINES - 1u;
        if (mem && in.dir && n < max) {
            mem[n].off = (uint16_t)off;
            mem[n].insn = (uint16_t)ninsn;
            mem[n].at = (uint16_t)(sum + (c > in.xfers ? c - in.xfers : 0u));
            mem[n].line = (uint8_t)idx;
            mem[n].xfers = in.xfers;
            mem[n].dir = in.dir;
            n++;
        }
        if (b) {
            if (idx + 1u > b->nlines)
                b->nlines = (uint8_t)(idx + 1u);
            b->line_cycles[idx] = (uint16_t)(b->line_cycles[idx] + c);
            b->base += c;
            b->end = in.end;
        }
        sum += c;
        ninsn++;
        prev = in;
        prev_wide = wide;
        have_prev = 1;
        off += wide ? 4u : 2u;
    }
    return n;
}

void cycles_decode(struct cyc_block *b, const uint8_t *code, uint32_t addr, uint32_t len)
{
    memset(b, 0, sizeof *b);
    walk(b, code, addr, len, NULL, 0);
    if (b->nlines == 0)
        b->nlines = 1;
}

unsigned cycles_mem_insns(const uint8_t *code, uint32_t addr, uint32_t len, struct cyc_mem *mem,
                          unsigned max)
{
    return walk(NULL, code, addr, len, mem, max);
}

/* ---------------------------------------------------------------- state */

int cycles_init(struct machine *m, enum cycle_model model)
{
    m->cycle_model = model;
    m->cyc = NULL;
    if (model == CYCLE_SIMPLE)
        return 0;
    m->cyc = calloc(1, sizeof *m->cyc);
    if (!m->cyc)
        return -1;
    m->cyc->model = model;
    m->cyc->nlines = m->flash.size / 16u;
    m->cyc->ic_where = calloc(m->cyc->nlines, 1);
    if (!m->cyc->ic_where) {
        free(m->cyc);
        m->cyc = NULL;
        return -1;
    }
    cycles_reset(m);
    return 0;
}

void cycles_free(struct machine *m)
{
    if (m->cyc)
        free(m->cyc->ic_where);
    free(m->cyc);
    m->cyc = NULL;
}

void cycles_reset(struct machine *m)
{
    struct cycles *c = m->cyc;
    if (!c)
        return;
    memset(c->ic, 0, sizeof c->ic);
    memset(c->ic_where, 0, c->nlines);
    memset(c->dc, 0, sizeof c->dc);
    c->prev_kind = CYC_END_NONE;
    c->prev_end = 0;
    c->cur_line = c->pf_line = NO_LINE;
}

/* Flash offset of a code or data address (main flash or its alias at 0), or -1. */
static int64_t flash_offset(const struct machine *m, uint32_t addr)
{
    if (addr - FLASH_BASE < m->flash.size)
        return addr - FLASH_BASE;
    if (addr < m->flash.size)
        return addr;
    return -1;
}

/* Looks tag up in a fully associative LRU cache (RM0090 3.5.2: the least recently used line
 * is replaced); fills it on a miss. Returns 1 on a hit. */
static int cache_access(struct cycles *c, struct cache_line *lines, unsigned n, uint32_t tag,
                        int *stale)
{
    struct cache_line *victim = &lines[0];
    c->tick++;
    for (unsigned i = 0; i < n; i++) {
        if (lines[i].valid && lines[i].tag == tag) {
            lines[i].used = c->tick;
            *stale = lines[i].stale;
            return 1;
        }
        if (victim->valid && (!lines[i].valid || lines[i].used < victim->used))
            victim = &lines[i];
    }
    victim->valid = 1;
    victim->stale = 0;
    victim->tag = tag;
    victim->used = c->tick;
    *stale = 0;
    return 0;
}

static void warn_stale(struct machine *m, int *warned, const char *what, uint32_t tag)
{
    if (*warned)
        return;
    *warned = 1;
    machine_warn(m,
                 "%s from a flash line cached before that flash was erased or programmed "
                 "(0x%08x; RM0090 3.5.2: reset the ART caches, ICRST/DCRST, after changing code)",
                 what, FLASH_BASE + tag * 16u);
}

/* The I-cache: cache_access() with an index from flash line to slot, as a block's lines are
 * looked up on every run. */
static int icache_access(struct cycles *c, uint32_t tag, int *stale)
{
    unsigned slot = tag < c->nlines ? c->ic_where[tag] : 0;
    if (slot) {
        struct cache_line *l = &c->ic[slot - 1u];
        l->used = ++c->tick;
        *stale = l->stale;
        return 1;
    }
    struct cache_line *victim = &c->ic[0];
    for (unsigned i = 0; i < IC_LINES && victim->valid; i++)
        if (!c->ic[i].valid || c->ic[i].used < victim->used)
            victim = &c->ic[i];
    if (victim->valid && victim->tag < c->nlines)
        c->ic_where[victim->tag] = 0;
    victim->valid = 1;
    victim->stale = 0;
    victim->tag = tag;
    victim->used = ++c->tick;
    if (tag < c->nlines)
        c->ic_where[tag] = (uint8_t)(victim - c->ic + 1);
    *stale = 0;
    return 0;
}

/* Stall cycles of fetching flash line tag: 0 if the current line, the prefetched line or the
 * I-cache holds it, else the wait states (RM0090 3.5.2: a 128-bit line costs LATENCY + 1
 * cycles, one of which the fetch costs anyway). seq_cycles: cycles the CPU spent on the
 * previous sequential line while the prefetcher read this one; -1 after a branch. */
static uint32_t fetch_line(struct machine *m, struct cycles *c, uint32_t tag, int seq_cycles)
{
    uint32_t acr = m->flash.acr, lat = acr & ACR_LATENCY_MASK, stall = 0;
    if (tag == c->cur_line)
        return 0;
    int stale = 0;
    if (acr & ACR_ICEN) {
        if (icache_access(c, tag, &stale)) {
            if (stale)
                warn_stale(m, &c->warned_ic, "instruction fetch", tag);
            goto done;
        }
    }
    if ((acr & ACR_PRFTEN) && tag == c->pf_line) {
        /* Read while the CPU executed the previous line; after a branch the prefetch of the
         * line after the old one is taken as complete (an approximation). */
        if (seq_cycles >= 0 && (uint32_t)seq_cycles < lat + 1u)
            stall = lat + 1u - (uint32_t)seq_cycles;
    } else {
        stall = lat;
    }
done:
    c->cur_line = tag;
    c->pf_line = (acr & ACR_PRFTEN) ? tag + 1u : NO_LINE;
    return stall;
}

uint64_t cycles_block(struct machine *m, const struct cyc_block *b, uint32_t addr, uint32_t size,
                      uint32_t *lead)
{
    struct cycles *c = m->cyc;
    uint32_t before = 0; /* refill and fetch stalls before each line's instructions */
    /* TRM 3.3.1: a taken branch costs 1 + P, P = 1 to 3 by the target's alignment and width
     * and whether the address is speculated early: P = 1 for an immediate target (fetched
     * from decode), 2 for a register one, + 1 for a 32-bit target that is not word aligned. */
    int taken = c->prev_kind == CYC_END_DIRECT || c->prev_kind == CYC_END_INDIRECT ||
                (c->prev_kind == CYC_END_COND && addr != c->prev_end);
    if (taken)
        before += (c->prev_kind == CYC_END_INDIRECT ? 2u : 1u) + (b->first_wide && (addr & 2u));
    int seq = c->prev_last_cycles;
    c->prev_kind = b->end;
    c->prev_end = addr + size;
    c->prev_last_cycles = b->line_cycles[b->nlines - 1u];
    int64_t fo = flash_offset(m, addr);
    if (fo < 0) {
        c->cur_line = c->pf_line = NO_LINE; /* SRAM: zero wait states; the flash buffer idles */
        for (unsigned i = 0; lead && i < b->nlines; i++)
            lead[i] = before;
        return b->base + before;
    }
    uint32_t first = (uint32_t)fo >> 4;
    before += fetch_line(m, c, first, taken ? -1 : seq);
    if (lead)
        lead[0] = before;
    for (unsigned i = 1; i < b->nlines; i++) {
        before += fetch_line(m, c, first + i, b->line_cycles[i - 1]);
        if (lead)
            lead[i] = before;
    }
    return b->base + before;
}

uint32_t cycles_flash_data(struct machine *m, uint32_t addr)
{
    struct cycles *c = m->cyc;
    int64_t fo = flash_offset(m, addr);
    if (!c || fo < 0)
        return 0;
    uint32_t acr = m->flash.acr, tag = (uint32_t)fo >> 4;
    int stale = 0;
    if (acr & ACR_DCEN) {
        if (cache_access(c, c->dc, DC_LINES, tag, &stale)) {
            if (stale)
                warn_stale(m, &c->warned_dc, "data read", tag);
            return 0;
        }
    }
    return acr & ACR_LATENCY_MASK;
}

uint32_t cycles_bus(struct machine *m, uint32_t addr)
{
    if (!m->cyc)
        return 0;
    if (addr >= 0x42000000u && addr < 0x44000000u) /* bit-band alias: its target's bus */
        addr = 0x40000000u + ((addr - 0x42000000u) >> 5);
    uint32_t cfgr = m->rcc.cfgr;
    unsigned ppre = 0;
    if (addr >= 0x40000000u && addr < 0x40010000u)
        ppre = (cfgr >> 10) & 7u; /* APB1 */
    else if (addr >= 0x40010000u && addr < 0x40020000u)
        ppre = (cfgr >> 13) & 7u; /* APB2 */
    else if ((addr >= 0x40020000u && addr < 0x50070000u) ||
             (addr >= 0xA0000000u && addr < 0xE0000000u))
        return 1; /* AHB1/AHB2/AHB3 peripheral: one wait state (unconfirmed) */
    else
        return 0; /* PPB (SysTick, NVIC, DWT, SCB): no wait state */
    unsigned div = ppre & 4u ? 2u << (ppre & 3u) : 1u;
    /* An APB transfer takes two PCLK cycles (setup, access: AMBA APB protocol); one HCLK of
     * it is the load's own data phase. */
    return 2u * div - 1u;
}

void cycles_flash_changed(struct machine *m, uint32_t lo, uint32_t hi)
{
    struct cycles *c = m->cyc;
    if (!c || hi <= lo)
        return;
    uint32_t t0 = lo >> 4, t1 = (hi + 15u) >> 4;
    for (unsigned i = 0; i < IC_LINES; i++)
        if (c->ic[i].valid && c->ic[i].tag >= t0 && c->ic[i].tag < t1)
            c->ic[i].stale = 1;
    for (unsigned i = 0; i < DC_LINES; i++)
        if (c->dc[i].valid && c->dc[i].tag >= t0 && c->dc[i].tag < t1)
            c->dc[i].stale = 1;
    if (c->cur_line >= t0 && c->cur_line < t1)
        c->cur_line = NO_LINE; /* the line buffers are refilled from flash */
    if (c->pf_line >= t0 && c->pf_line < t1)
        c->pf_line = NO_LINE;
}

void cycles_acr_written(struct machine *m, uint32_t acr)
{
    struct cycles *c = m->cyc;
    if (!c)
        return;
    if (acr & ACR_ICRST) {
        memset(c->ic, 0, sizeof c->ic);
        memset(c->ic_where, 0, c->nlines);
        c->warned_ic = 0;
    }
    if (acr & ACR_DCRST) {
        memset(c->dc, 0, sizeof c->dc);
        c->warned_dc = 0;
    }
}
