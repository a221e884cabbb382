/* The Cortex-M4 on libunicorn: memory map, instruction counting per block, MMIO callbacks,
 * the CPU events that become exceptions (exception.c), sleep (WFI/WFE), reset and the run
 * loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "cpu.h"
#include "cycles.h"
#include "exception.h"
#include "log.h"
#include "thumb.h"

#define COUNT_CACHE_SIZE 65536u
#define THUMB_B_SELF     0xE7FEu /* b . */
#define THUMB_WFI        0xBF30u
#define THUMB_WFE        0xBF20u
#define THUMB_SEV        0xBF40u
#define THUMB2_HINT_HI   0xF3AFu /* wfi.w/wfe.w/sev.w: F3AF 800x */

/* Why the CPU stopped, recorded by a hook and handled between two slices. */
enum cpu_event { EV_NONE, EV_INTR, EV_BAD_ACCESS, EV_INVALID_INSN, EV_BUS_ERROR };

#define MAX_MEM_INSNS 32 /* loads/stores of a block whose accesses are timed within it */
#define MEM_LISTS     512u

/* A block's loads and stores (cycles_mem_insns()), cached by block address. */
struct mem_list {
    uint32_t addr, size, gen;
    unsigned n;
    struct cyc_mem mem[MAX_MEM_INSNS];
};

struct count_entry {
    uint32_t addr, size, count, gen;
    uint8_t self_loop;
    uint8_t has_fp;      /* holds a floating-point instruction (lazy FP state preservation) */
    struct cyc_block cb; /* the m4 cycle model's decoding (cycles.c) */
};

/* --cycle-profile: the cycles from one block's start to the next block's start (its own cost,
 * stalls, bus cycles and time jumps in it), summed per block address. */
#define PROF_SIZE 65536u
struct prof_entry {
    uint32_t addr, used;
    uint64_t runs, cycles;
};

struct region {
    struct cpu *cpu;
    uint32_t base;
};

struct cpu {
    uc_engine *uc;
    struct machine *m;
    struct count_entry *cache;
    uint32_t gen;
    struct region regions[16];
    enum cpu_event ev;
    uint32_t ev_intno, ev_addr;
    int ev_write;
    char ev_what[96];
    uc_mem_type ev_type;
    int stopped_for_exception;
    uint32_t blk_addr, blk_size; /* the block being executed */
    /* Its time (docs/emulator.md, "Time within a block"): blk_cost cycles in all (timings,
     * refill, fetch stalls), of which blk_done are already in m->cycles; lead[i]: the refill
     * and fetch stalls before line i's instructions; the last access's instruction and the
     * index of that access within it (LDM/STM: one word a cycle). */
    struct count_entry *blk;
    uint64_t blk_cost, blk_done;
    uint32_t lead[CYC_MAX_LINES];
    int acc_i;              /* mem[] index of the last timed access's instruction, -1: none yet */
    unsigned acc_idx;       /* which of its transfers */
    struct mem_list *lists; /* MEM_LISTS of them */
    struct mem_list *ml;    /* the running block's, once one of its accesses was timed */
    struct prof_entry *prof;
    uint32_t prof_block;
    uint64_t prof_cycles;
};

static void profile_block(struct cpu *c, uint32_t addr)
{
    struct machine *m = c->m;
    uint32_t prev = c->prof_block;
    for (uint32_t i = 0, h = (prev >> 1) * 2654435761u; i < PROF_SIZE; i++, h++) {
        struct prof_entry *p = &c->prof[h & (PROF_SIZE - 1u)];
        if (p->used && p->addr != prev)
            continue;
        p->used = 1;
        p->addr = prev;
        p->runs++;
        p->cycles += m->cycles - c->prof_cycles;
        break;
    }
    c->prof_block = addr;
    c->prof_cycles = m->cycles;
}

static void profile_write(struct cpu *c)
{
    FILE *f = fopen(c->m->cycle_profile, "w");
    if (!f) {
        fprintf(stderr, "stickemu: cannot write %s\n", c->m->cycle_profile);
        return;
    }
    fprintf(f, "# block_start runs cycles (cycle model %s)\n", c->m->cyc ? "m4" : "simple");
    for (uint32_t i = 0; i < PROF_SIZE; i++)
        if (c->prof[i].used && c->prof[i].runs)
            fprintf(f, "0x%08x %llu %llu\n", c->prof[i].addr, (unsigned long long)c->prof[i].runs,
                    (unsigned long long)c->prof[i].cycles);
    fclose(f);
}

static struct cpu *current_cpu;

static void stop_cpu(struct machine *m)
{
    (void)m;
    if (current_cpu)
        uc_emu_stop(current_cpu->uc);
}

static uint32_t read_pc(struct cpu *c)
{
    uint32_t pc = 0;
    if (exc_next_pc(&pc))
        return pc & ~1u;
    uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
    return pc;
}

/* A model reported a bus error from inside an MMIO callback: libunicorn stops before the
 * access completes, and the fault is taken by handle_bus_error(). */
static void bus_error_hook(struct machine *m, uint32_t addr, int write, const char *what)
{
    (void)m;
    struct cpu *c = current_cpu;
    if (!c || c->ev != EV_NONE)
        return;
    c->ev = EV_BUS_ERROR;
    c->ev_addr = addr;
    c->ev_write = write;
    snprintf(c->ev_what, sizeof c->ev_what, "%s", what);
    uc_emu_stop(c->uc);
}

static uint32_t pc_hook(struct machine *m)
{
    (void)m;
    return current_cpu ? read_pc(current_cpu) : 0;
}

static struct count_entry *count_block(struct cpu *c, uint32_t addr, uint32_t size)
{
    struct count_entry *e = &c->cache[(addr >> 1) & (COUNT_CACHE_SIZE - 1u)];
    if (e->addr == addr && e->size == size && e->gen == c->gen && e->count)
        return e;
    uint8_t code[4096];
    uint32_t len = size < sizeof code ? size : sizeof code;
    e->addr = addr;
    e->size = size;
    e->gen = c->gen;
    e->count = 0;
    e->self_loop = 0;
    e->has_fp = 1; /* unknown: a lazy save that comes early is still exact */
    if (len == 0 || uc_mem_read(c->uc, addr, code, len) != UC_ERR_OK) {
        e->count = len / 2 ? len / 2 : 1;
        memset(&e->cb, 0, sizeof e->cb);
        e->cb.base = e->count;
        e->cb.nlines = 1;
        return e;
    }
    e->has_fp = 0;
    if (c->m->cyc)
        cycles_decode(&e->cb, code, addr, len);
    for (uint32_t i = 0; i + 1 < len;) {
        uint16_t hw = (uint16_t)(code[i] | code[i + 1] << 8);
        uint16_t top = hw >> 11;
        int wide = top == 0x1D || top == 0x1E || top == 0x1F;
        /* FP and Advanced SIMD register transfers, loads/stores and data processing: coprocessor
         * space 0xEC00-0xEFFF with coprocessor 10 or 11 (ARMv7-M A6.4, A7.5) */
        if (wide && (hw & 0xFC00u) == 0xEC00u && i + 3 < len &&
            ((code[i + 3] << 8) & 0x0E00u) == 0x0A00u)
            e->has_fp = 1;
        i += wide ? 4 : 2;
        e->count++;
    }
    if (e->count == 0)
        e->count = 1;
    if (c->m->cyc && e->cb.base == 0)
        e->cb.base = e->count;
    e->self_loop = len == 2 && (code[0] | code[1] << 8) == THUMB_B_SELF;
    return e;
}

static void flush_changed_code(struct cpu *c)
{
    struct flash_model *f = &c->m->flash;
    if (f->code_hi <= f->code_lo)
        return;
    cycles_flash_changed(c->m, f->code_lo, f->code_hi);
    uc_ctl_remove_cache(c->uc, FLASH_BASE + f->code_lo, FLASH_BASE + f->code_hi);
    uc_ctl_remove_cache(c->uc, f->code_lo, f->code_hi);
    if (f->code_hi - f->code_lo >= 1024)
        c->gen++;
    f->code_lo = UINT32_MAX;
    f->code_hi = 0;
}

/* The running block has ended (or the CPU stopped inside it): the rest of its cycles. */
static void block_end(struct cpu *c)
{
    if (c->blk && c->blk_cost > c->blk_done)
        c->m->cycles += c->blk_cost - c->blk_done;
    c->blk = NULL;
    c->blk_cost = c->blk_done = 0;
}

/* Which load or store of the running block makes the access to addr now (dir: CYC_READ or
 * CYC_WRITE), or -1. Accesses come in program order: it is the instruction of the last one
 * (an LDM/STM with words left) or a later one, of the right direction. When several could
 * be, the registers (exact at the access: TCG saves them before every load and store)
 * compute each one's address range (thumb.c), and the first that covers addr is taken.
 * (libunicorn's PC is not synced at every access: it can hold the block start.) */
static int access_insn(struct cpu *c, const struct mem_list *ml, const uint8_t *code, uint32_t addr,
                       unsigned dir)
{
    int cand[MAX_MEM_INSNS], n = 0;
    if (c->acc_i >= 0 && (ml->mem[c->acc_i].dir & dir) && c->acc_idx + 1u < ml->mem[c->acc_i].xfers)
        cand[n++] = c->acc_i;
    for (int i = c->acc_i + 1; i < (int)ml->n; i++)
        if (ml->mem[i].dir & dir)
            cand[n++] = i;
    if (n <= 1)
        return n ? cand[0] : -1;
    static const int ids[16] = {UC_ARM_REG_R0,  UC_ARM_REG_R1, UC_ARM_REG_R2,  UC_ARM_REG_R3,
                                UC_ARM_REG_R4,  UC_ARM_REG_R5, UC_ARM_REG_R6,  UC_ARM_REG_R7,
                                UC_ARM_REG_R8,  UC_ARM_REG_R9, UC_ARM_REG_R10, UC_ARM_REG_R11,
                                UC_ARM_REG_R12, UC_ARM_REG_SP, UC_ARM_REG_LR,  UC_ARM_REG_PC};
    uint32_t r[16];
    void *vals[16];
    for (int i = 0; i < 16; i++)
        vals[i] = &r[i];
    uc_reg_read_batch(c->uc, (int *)ids, vals, 16);
    for (int k = 0; k < n; k++) {
        const struct cyc_mem *mi = &ml->mem[cand[k]];
        uint32_t lo, hi;
        if (thumb_access_range(code + mi->off, c->blk_addr + mi->off, r, &lo, &hi) &&
            addr - lo < hi - lo)
            return cand[k];
    }
    return cand[0];
}

/* A data access of the running block is being made: time advances to its instruction's data
 * phase within the block (block start + the cycles before it, stalls of earlier accesses
 * included), so that the access, and any stall it causes, happens at its own cycle
 * (docs/emulator.md, "Time within a block"). Under the simple model every access of an
 * instruction happens at its one cycle. */
static void access_time(struct cpu *c, uint32_t addr, unsigned dir)
{
    struct machine *m = c->m;
    struct count_entry *e = c->blk;
    if (!e)
        return;
    const uint8_t *code = machine_code_bytes(m, e->addr, e->size);
    if (!code)
        return;
    struct mem_list *ml = c->ml;
    if (!ml) {
        ml = &c->lists[(e->addr >> 1) % MEM_LISTS];
        if (ml->addr != e->addr || ml->size != e->size || ml->gen != c->gen || !ml->size) {
            ml->n = cycles_mem_insns(code, e->addr, e->size, ml->mem, MAX_MEM_INSNS);
            ml->addr = e->addr;
            ml->size = e->size;
            ml->gen = c->gen;
        }
        c->ml = ml;
    }
    int i = access_insn(c, ml, code, addr, dir);
    if (i < 0)
        return;
    if (i == c->acc_i) {
        c->acc_idx++;
    } else {
        c->acc_i = i;
        c->acc_idx = 0;
    }
    const struct cyc_mem *mi = &ml->mem[i];
    uint64_t t = m->cyc ? c->lead[mi->line] + mi->at + c->acc_idx : mi->insn;
    if (t > c->blk_cost)
        t = c->blk_cost;
    if (t > c->blk_done) {
        m->cycles += t - c->blk_done;
        c->blk_done = t;
    }
}

static void hook_block(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
    struct cpu *c = user;
    struct machine *m = c->m;
    (void)uc;
    uint32_t addr = (uint32_t)address;
    block_end(c); /* the previous block */
    if (c->prof)
        profile_block(c, addr);
    c->blk_addr = addr;
    c->blk_size = size;
    struct count_entry *e = count_block(c, addr, size);
    m->cur_block = addr;
    uint32_t flash_off = addr - FLASH_BASE;
    if (flash_off >= m->flash.size && addr < m->flash.size)
        flash_off = addr; /* boot alias */
    if (flash_off < m->flash.size) {
        m->in_app = flash_off >= APP_REGION_BASE - FLASH_BASE;
        if (m->in_app && m->app_entry_ns == TIME_NEVER) {
            m->app_entry_ns = machine_now_ns(m);
            m->app_entry_pc = addr;
            emu_log(m->app_entry_ns, "app entry at 0x%08x", addr);
            machine_update_deadline(m);
        }
    }
    /* Events due by the block's start (those due within it: at its accesses or the next
     * block's start). */
    if (m->cycles >= m->deadline_cycles) {
        machine_slow_path(m, addr);
        flush_changed_code(c);
    }
    /* FPCCR.LSPACT: the first FP instruction of the handler saves the interrupted context's
     * S0-S15/FPSCR into the frame first (AN298). Saving at the start of its block is exact: no
     * FP instruction ran since the exception entry. */
    if ((m->cx.fpccr & 1u) && e->has_fp)
        exc_lazy_fp_save(uc, m);
    int takeable = 0;
    if (m->stop == STOP_NONE && nvic_any_pending(m)) {
        exc_sync_masks(uc, m);
        takeable = nvic_to_take(m) != 0;
    }
    if (e->self_loop && m->stop == STOP_NONE && !takeable) {
        /* "b .": nothing changes until the next event (which may pend an interrupt). */
        machine_advance_to(m, machine_next_event_ns(m));
        flush_changed_code(c);
        if (m->stop == STOP_NONE && nvic_any_pending(m)) {
            exc_sync_masks(uc, m);
            takeable = nvic_to_take(m) != 0;
        }
    }
    /* Interrupts are taken at block boundaries: stop before this block runs (it costs
     * nothing: it runs, and is counted, after the handler). */
    if (takeable && m->stop == STOP_NONE) {
        c->stopped_for_exception = 1;
        uc_emu_stop(uc);
        return;
    }
    m->insns += e->count;
    c->blk = e;
    c->blk_cost = m->cyc ? cycles_block(m, &e->cb, addr, size, c->lead) : e->count;
    c->blk_done = 0;
    c->acc_i = -1;
    c->acc_idx = 0;
    c->ml = NULL;
}

static uint64_t mmio_read(uc_engine *uc, uint64_t offset, unsigned size, void *user)
{
    struct region *r = user;
    struct machine *m = r->cpu->m;
    uint32_t v = 0;
    (void)uc;
    if (m->flash.nfix)
        flash_apply_fixups(&m->flash);
    access_time(r->cpu, r->base + (uint32_t)offset, CYC_READ);
    if (m->cyc)
        m->cycles += cycles_bus(m, r->base + (uint32_t)offset);
    if (m->cycles >= m->deadline_cycles)
        machine_process_events(m); /* events due within the block, before this access */
    bus_read(m, r->base + (uint32_t)offset, size, &v);
    flush_changed_code(r->cpu);
    return v;
}

static void mmio_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *user)
{
    struct region *r = user;
    struct machine *m = r->cpu->m;
    (void)uc;
    if (m->flash.nfix)
        flash_apply_fixups(&m->flash);
    access_time(r->cpu, r->base + (uint32_t)offset, CYC_WRITE);
    if (m->cyc)
        m->cycles += cycles_bus(m, r->base + (uint32_t)offset);
    if (m->cycles >= m->deadline_cycles)
        machine_process_events(m);
    bus_write(m, r->base + (uint32_t)offset, size, (uint32_t)value);
    flush_changed_code(r->cpu);
}

/* m4 cycle model: data reads from flash go through the ART's data cache (cycles.c). */
static void hook_flash_read(uc_engine *uc, uc_mem_type type, uint64_t address, int size,
                            int64_t value, void *user)
{
    struct cpu *c = user;
    (void)uc;
    (void)type;
    (void)size;
    (void)value;
    access_time(c, (uint32_t)address, CYC_READ);    /* the time of the load itself */
    machine_flash_read(c->m, (uint32_t)address, 0); /* stalls while the flash is busy */
    c->m->cycles += cycles_flash_data(c->m, (uint32_t)address);
}

static uint64_t optbytes_read(uc_engine *uc, uint64_t offset, unsigned size, void *user)
{
    struct region *r = user;
    struct flash_model *f = &r->cpu->m->flash;
    (void)uc;
    uint32_t word = 0xFFFFFFFFu;
    if ((offset & ~3u) == 0)
        word = 0xFFFF0000u | f->opt_user;
    else if ((offset & ~3u) == 8)
        word = 0xFFFF0000u | f->opt_nwrp;
    word >>= 8u * (offset & 3u);
    return size < 4 ? word & ((1u << (8u * size)) - 1u) : word;
}

static void optbytes_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value,
                           void *user)
{
    struct region *r = user;
    (void)uc;
    (void)size;
    (void)value;
    machine_fault(r->cpu->m, read_pc(r->cpu), 1, OPTBYTES_BASE + (uint32_t)offset,
                  "write to the option bytes memory (use FLASH_OPTCR)");
}

static bool hook_write_prot(uc_engine *uc, uc_mem_type type, uint64_t address, int size,
                            int64_t value, void *user)
{
    struct cpu *c = user;
    (void)uc;
    (void)type;
    access_time(c, (uint32_t)address, CYC_WRITE);
    bus_flash_store(c->m, (uint32_t)address, (unsigned)size, (uint32_t)value);
    return c->m->stop != STOP_FAULT;
}

/* Unmapped or protected accesses stop the CPU before the access completes (the PC is the
 * faulting instruction); the fault is taken by handle_bad_access(). */
static bool hook_bad_access(uc_engine *uc, uc_mem_type type, uint64_t address, int size,
                            int64_t value, void *user)
{
    struct cpu *c = user;
    (void)uc;
    (void)size;
    (void)value;
    c->ev = EV_BAD_ACCESS;
    c->ev_type = type;
    c->ev_addr = (uint32_t)address;
    return false;
}

/* SVC (2), BKPT (7), exception return (8) and QEMU's M-profile fault numbers. */
static void hook_intr(uc_engine *uc, uint32_t intno, void *user)
{
    struct cpu *c = user;
    c->ev = EV_INTR;
    c->ev_intno = intno;
    uc_emu_stop(uc);
}

/* UDF and other undefined encodings, and WFE (libunicorn stops on it the same way). */
static bool hook_invalid_insn(uc_engine *uc, void *user)
{
    struct cpu *c = user;
    (void)uc;
    c->ev = EV_INVALID_INSN;
    return false;
}

static uint16_t read_hw(struct cpu *c, uint32_t addr)
{
    uint16_t hw = 0;
    if (uc_mem_read(c->uc, addr, &hw, 2) != UC_ERR_OK)
        return 0;
    return hw;
}

/* The hint instruction (0xBF30 WFI, 0xBF20 WFE) that ends just before pc, 16- or 32-bit. */
static int hint_before(struct cpu *c, uint32_t pc, uint16_t hint16)
{
    if (read_hw(c, pc - 2u) == hint16)
        return 2;
    if (read_hw(c, pc - 4u) == THUMB2_HINT_HI &&
        read_hw(c, pc - 2u) == (0x8000u | (hint16 >> 4 & 0xFu)))
        return 4;
    return 0;
}

static uint32_t insn_length(struct cpu *c, uint32_t pc)
{
    uint16_t top = read_hw(c, pc) >> 11;
    return (top == 0x1D || top == 0x1E || top == 0x1F) ? 4u : 2u;
}

/* SEV executed in this straight-line block before the WFE at wfe_pc: libunicorn runs SEV as
 * a no-op, so the event register is set here. */
static int sev_in_block(struct cpu *c, uint32_t block, uint32_t wfe_pc)
{
    if (wfe_pc < block || wfe_pc - block > 4096u)
        return 0;
    for (uint32_t a = block; a < wfe_pc; a += insn_length(c, a)) {
        uint16_t hw = read_hw(c, a);
        if (hw == THUMB_SEV || (hw == THUMB2_HINT_HI && read_hw(c, a + 2u) == 0x8004u))
            return 1;
    }
    return 0;
}

/* Address ranges that the default memory map makes Execute Never (ARMv7-M B3.1 table B3-1):
 * Peripheral, Device and System. */
static int execute_never(uint32_t addr)
{
    return (addr >= 0x40000000u && addr < 0x60000000u) || addr >= 0xA0000000u;
}

/* The instruction of the current block that accessed addr (thumb.c): libunicorn leaves the
 * PC at the block start after a faulting access. */
static uint32_t access_pc(struct cpu *c, uint32_t addr)
{
    uint8_t code[4096];
    uint32_t len = c->blk_size < sizeof code ? c->blk_size : (uint32_t)sizeof code;
    if (len == 0 || uc_mem_read(c->uc, c->blk_addr, code, len) != UC_ERR_OK)
        return read_pc(c);
    uint32_t r[16];
    for (int i = 0; i < 13; i++)
        uc_reg_read(c->uc, UC_ARM_REG_R0 + i, &r[i]);
    uc_reg_read(c->uc, UC_ARM_REG_SP, &r[13]);
    uc_reg_read(c->uc, UC_ARM_REG_LR, &r[14]);
    r[15] = c->blk_addr;
    return thumb_find_access(code, c->blk_addr, len, r, addr);
}

static void handle_bad_access(struct cpu *c, uint32_t pc)
{
    struct machine *m = c->m;
    uint32_t a = c->ev_addr;
    if (c->ev_type == UC_MEM_READ_UNMAPPED || c->ev_type == UC_MEM_READ_PROT ||
        c->ev_type == UC_MEM_WRITE_UNMAPPED)
        pc = access_pc(c, a);
    char what[96];
    switch (c->ev_type) {
    case UC_MEM_READ_UNMAPPED:
    case UC_MEM_READ_PROT:
        snprintf(what, sizeof what, "read of %s address 0x%08x",
                 c->ev_type == UC_MEM_READ_PROT ? "a protected" : "an unmapped", a);
        exc_fault(c->uc, m, EXC_BUSFAULT, CFSR_PRECISERR | CFSR_BFARVALID, 0, a, pc, what);
        break;
    case UC_MEM_WRITE_UNMAPPED:
        /* A store is buffered: the BusFault is imprecise, BFAR not valid, and the stacked PC
         * is past the store (PM0214 4.4.11). */
        snprintf(what, sizeof what, "write to an unmapped address 0x%08x", a);
        exc_fault(c->uc, m, EXC_BUSFAULT, CFSR_IMPRECISERR, 0, a, pc + insn_length(c, pc), what);
        break;
    case UC_MEM_FETCH_UNMAPPED:
    case UC_MEM_FETCH_PROT:
        if (execute_never(a)) {
            snprintf(what, sizeof what, "instruction fetch from Execute Never address 0x%08x", a);
            exc_fault(c->uc, m, EXC_MEMMANAGE, CFSR_IACCVIOL, 0, a, a, what);
        } else {
            snprintf(what, sizeof what, "instruction fetch from %s address 0x%08x",
                     c->ev_type == UC_MEM_FETCH_PROT ? "a non-executable" : "an unmapped", a);
            exc_fault(c->uc, m, EXC_BUSFAULT, CFSR_IBUSERR, 0, a, a, what);
        }
        break;
    default:
        machine_fault(m, pc, 1, a, "bad memory access (type %d)", (int)c->ev_type);
        break;
    }
}

static void handle_bus_error(struct cpu *c)
{
    uint32_t pc = access_pc(c, c->ev_addr);
    char what[120];
    snprintf(what, sizeof what, "%s at 0x%08x", c->ev_what, c->ev_addr);
    if (c->ev_write)
        exc_fault(c->uc, c->m, EXC_BUSFAULT, CFSR_IMPRECISERR, 0, c->ev_addr,
                  pc + insn_length(c, pc), what);
    else
        exc_fault(c->uc, c->m, EXC_BUSFAULT, CFSR_PRECISERR | CFSR_BFARVALID, 0, c->ev_addr, pc,
                  what);
}

static void cpu_sleep(struct cpu *c, int wfe);

static void handle_intr(struct cpu *c, uint32_t pc)
{
    struct machine *m = c->m;
    uc_engine *uc = c->uc;
    switch (c->ev_intno) {
    case 1:
        exc_fault(uc, m, EXC_USAGEFAULT, CFSR_UNDEFINSTR, 0, 0, pc, "undefined instruction");
        break;
    case 2:
        exc_svc(uc, m);
        break;
    case 3:
        exc_fault(uc, m, EXC_BUSFAULT, CFSR_IBUSERR, 0, pc, pc, "instruction fetch abort");
        break;
    case 4:
        exc_fault(uc, m, EXC_BUSFAULT, CFSR_PRECISERR, 0, 0, pc, "data abort");
        break;
    case 7:
        /* No debugger: BKPT escalates to HardFault with HFSR.DEBUGEVT (ARMv7-M C1.7). */
        exc_fault(uc, m, EXC_HARDFAULT, 0, HFSR_DEBUGEVT, 0, pc, "BKPT with no debugger");
        break;
    case 8:
        exc_return(uc, m, pc | 1u);
        break;
    case 17:
        exc_fault(uc, m, EXC_USAGEFAULT, CFSR_NOCP, 0, 0, pc, "coprocessor access (CPACR)");
        break;
    case 18:
        exc_fault(uc, m, EXC_USAGEFAULT, CFSR_INVSTATE, 0, 0, pc, "invalid EPSR state");
        break;
    case 22:
        exc_fault(uc, m, EXC_USAGEFAULT, CFSR_UNALIGNED, 0, 0, pc, "unaligned access");
        break;
    case 23:
        exc_fault(uc, m, EXC_USAGEFAULT, CFSR_DIVBYZERO, 0, 0, pc, "division by zero");
        break;
    default:
        machine_fault(m, pc, 0, 0, "CPU exception %u (not modeled)", c->ev_intno);
        break;
    }
}

static void handle_invalid_insn(struct cpu *c, uint32_t pc)
{
    struct machine *m = c->m;
    int len = hint_before(c, pc, THUMB_WFE);
    if (len && pc - (uint32_t)len >= m->cur_block) {
        if (sev_in_block(c, m->cur_block, pc - (uint32_t)len))
            m->cx.event_reg = 1;
        cpu_sleep(c, 1);
        return;
    }
    exc_fault(c->uc, m, EXC_USAGEFAULT, CFSR_UNDEFINSTR, 0, 0, pc, "undefined instruction");
}

static int map_mmio(struct cpu *c, int idx, uint32_t base, uint32_t size, uc_cb_mmio_read_t rd,
                    uc_cb_mmio_write_t wr)
{
    c->regions[idx].cpu = c;
    c->regions[idx].base = base;
    return uc_mmio_map(c->uc, base, size, rd, &c->regions[idx], wr, &c->regions[idx]) == UC_ERR_OK
               ? 0
               : -1;
}

struct cpu *cpu_create(struct machine *m, char *err, size_t err_len)
{
    struct cpu *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    c->m = m;
    c->cache = calloc(COUNT_CACHE_SIZE, sizeof *c->cache);
    c->lists = calloc(MEM_LISTS, sizeof *c->lists);
    uc_err e = uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &c->uc);
    if (e != UC_ERR_OK || !c->cache || !c->lists) {
        snprintf(err, err_len, "unicorn: %s", uc_strerror(e));
        free(c->cache);
        free(c->lists);
        free(c);
        return NULL;
    }
    uc_ctl_set_cpu_model(c->uc, UC_CPU_ARM_CORTEX_M4);
    int bad = 0;
    bad |= uc_mem_map_ptr(c->uc, FLASH_BASE, m->flash.size, UC_PROT_READ | UC_PROT_EXEC,
                          m->flash.mem) != UC_ERR_OK;
    bad |= uc_mem_map_ptr(c->uc, 0, m->flash.size, UC_PROT_READ | UC_PROT_EXEC, m->flash.mem) !=
           UC_ERR_OK;
    bad |= uc_mem_map_ptr(c->uc, SRAM_BASE, m->board->sram_size, UC_PROT_ALL, m->sram) != UC_ERR_OK;
    if (m->board->has_ccm) /* data only: the CCM is not on the instruction bus */
        bad |= uc_mem_map_ptr(c->uc, CCM_BASE, CCM_SIZE, UC_PROT_READ | UC_PROT_WRITE, m->ccm) !=
               UC_ERR_OK;
    bad |= uc_mem_map_ptr(c->uc, OTP_PAGE_BASE, OTP_PAGE_SIZE, UC_PROT_READ, m->flash.otp_page) !=
           UC_ERR_OK;
    bad |= map_mmio(c, 0, OPTBYTES_BASE, 0x400, optbytes_read, optbytes_write);
    /* System memory: a read-only placeholder, not ST's bootloader (docs/emulator.md). */
    bad |= uc_mem_map_ptr(c->uc, SYSMEM_BASE, SYSMEM_SIZE, UC_PROT_READ, m->sysmem) != UC_ERR_OK;
    const struct chip *chip = m->board->chip;
    for (size_t i = 0; i < chip->nwindows && i + 1 < sizeof c->regions / sizeof c->regions[0]; i++)
        bad |= map_mmio(c, (int)i + 1, chip->windows[i].base, chip->windows[i].size, mmio_read,
                        mmio_write);
    uc_hook h;
    bad |= uc_hook_add(c->uc, &h, UC_HOOK_BLOCK, (void *)hook_block, c, 1, 0) != UC_ERR_OK;
    bad |= uc_hook_add(c->uc, &h, UC_HOOK_MEM_WRITE_PROT, (void *)hook_write_prot, c, 1, 0) !=
           UC_ERR_OK;
    bad |= uc_hook_add(c->uc, &h,
                       UC_HOOK_MEM_UNMAPPED | UC_HOOK_MEM_FETCH_PROT | UC_HOOK_MEM_READ_PROT,
                       (void *)hook_bad_access, c, 1, 0) != UC_ERR_OK;
    bad |= uc_hook_add(c->uc, &h, UC_HOOK_INTR, (void *)hook_intr, c, 1, 0) != UC_ERR_OK;
    bad |= uc_hook_add(c->uc, &h, UC_HOOK_INSN_INVALID, (void *)hook_invalid_insn, c, 1, 0) !=
           UC_ERR_OK;
    /* Data reads of flash: stalls while BSY (both models), D-cache and wait states (m4). */
    bad |= uc_hook_add(c->uc, &h, UC_HOOK_MEM_READ, (void *)hook_flash_read, c, FLASH_BASE,
                       FLASH_BASE + m->flash.size - 1u) != UC_ERR_OK;
    bad |= uc_hook_add(c->uc, &h, UC_HOOK_MEM_READ, (void *)hook_flash_read, c, 0,
                       m->flash.size - 1u) != UC_ERR_OK;
    bad |= uc_ctl_exits_enable(c->uc) != UC_ERR_OK;
    if (bad) {
        snprintf(err, err_len, "unicorn: memory map or hook setup failed");
        cpu_destroy(c);
        return NULL;
    }
    if (m->cycle_profile && !(c->prof = calloc(PROF_SIZE, sizeof *c->prof))) {
        snprintf(err, err_len, "out of memory");
        cpu_destroy(c);
        return NULL;
    }
    current_cpu = c;
    machine_stop_cpu_hook = stop_cpu;
    machine_pc_hook = pc_hook;
    machine_bus_error_hook = bus_error_hook;
    return c;
}

void cpu_destroy(struct cpu *c)
{
    if (!c)
        return;
    if (current_cpu == c)
        current_cpu = NULL;
    if (c->prof) {
        profile_write(c);
        free(c->prof);
    }
    uc_close(c->uc);
    free(c->cache);
    free(c->lists);
    free(c);
}

static uint32_t flash_word(const struct machine *m, uint32_t offset)
{
    uint32_t v;
    memcpy(&v, m->flash.mem + offset, 4);
    return v;
}

/* Reset sequence of the core: MSP and PC from the table at 0 (flash, BOOT0 low). */
static int cpu_boot(struct cpu *c)
{
    struct machine *m = c->m;
    flash_apply_fixups(&m->flash);
    /* Translated code stays valid across a reset: flash changes drop it as they happen, and
     * unicorn tracks stores into RAM that holds code. (A full TB flush costs seconds.) */
    c->gen++;
    uint32_t zero = 0, lr = 0xFFFFFFFFu, xpsr = 0x01000000u;
    static const int gprs[] = {UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2,  UC_ARM_REG_R3,
                               UC_ARM_REG_R4, UC_ARM_REG_R5, UC_ARM_REG_R6,  UC_ARM_REG_R7,
                               UC_ARM_REG_R8, UC_ARM_REG_R9, UC_ARM_REG_R10, UC_ARM_REG_R11,
                               UC_ARM_REG_R12};
    for (size_t i = 0; i < sizeof gprs / sizeof gprs[0]; i++)
        uc_reg_write(c->uc, gprs[i], &zero);
    /* A reset can come from unprivileged Thread mode, where libunicorn ignores CONTROL and
     * mask writes: clear them from Handler mode, then return to Thread mode on MSP. */
    uint32_t handler = xpsr | EXC_HARDFAULT;
    uc_reg_write(c->uc, UC_ARM_REG_XPSR, &handler);
    uc_reg_write(c->uc, UC_ARM_REG_CONTROL, &zero);
    uc_reg_write(c->uc, UC_ARM_REG_PRIMASK, &zero);
    uc_reg_write(c->uc, UC_ARM_REG_BASEPRI, &zero);
    uc_reg_write(c->uc, UC_ARM_REG_FAULTMASK, &zero);
    uc_reg_write(c->uc, UC_ARM_REG_XPSR, &xpsr);
    uc_reg_write(c->uc, UC_ARM_REG_CONTROL, &zero);
    uc_reg_write(c->uc, UC_ARM_REG_LR, &lr);
    uint32_t sp = flash_word(m, 0) & ~3u, pc = flash_word(m, 4);
    uc_reg_write(c->uc, UC_ARM_REG_MSP, &sp);
    uc_reg_write(c->uc, UC_ARM_REG_PSP, &zero);
    if (!(pc & 1u)) {
        machine_fault(m, pc, 0, 0, "reset vector 0x%08x without the Thumb bit (lockup)", pc);
        return -1;
    }
    exc_set_next_pc(pc, 1);
    return 0;
}

/* WFI sleeps until an exception would preempt with PRIMASK ignored; WFE until the event
 * register is set or an exception can be taken (ARMv7-M B1.5.18, B1.5.19; PM0214 2.5.2).
 * Time jumps from event to event of every model. */
static void cpu_sleep(struct cpu *c, int wfe)
{
    struct machine *m = c->m;
    if (wfe && m->cx.event_reg) {
        m->cx.event_reg = 0;
        return;
    }
    while (m->stop == STOP_NONE) {
        exc_sync_masks(c->uc, m);
        if (wfe ? (m->cx.event_reg || nvic_to_take(m)) : nvic_wfi_wake(m))
            break;
        machine_advance_to(m, machine_next_event_ns(m));
        flush_changed_code(c);
    }
    if (wfe)
        m->cx.event_reg = 0;
}

static void run_until_stop(struct cpu *c)
{
    struct machine *m = c->m;
    while (m->stop == STOP_NONE) {
        machine_update_deadline(m);
        c->ev = EV_NONE;
        c->stopped_for_exception = 0;
        /* The PC is set through uc_emu_start() only: after a uc_reg_write() of the PC,
         * libunicorn 2.0.1 no longer syncs the PC on a faulting access (unicorn PR 2181). */
        uint32_t pc = read_pc(c);
        exc_set_next_pc(0, 0);
        uc_err e = uc_emu_start(c->uc, pc | 1u, 0, 0, 0);
        block_end(c);
        if (m->flash.nfix)
            flash_apply_fixups(&m->flash);
        flush_changed_code(c);
        if (m->stop != STOP_NONE)
            break;
        pc = read_pc(c);
        switch (c->ev) {
        case EV_INTR:
            handle_intr(c, pc);
            break;
        case EV_BAD_ACCESS:
            handle_bad_access(c, pc);
            break;
        case EV_INVALID_INSN:
            handle_invalid_insn(c, pc);
            break;
        case EV_BUS_ERROR:
            handle_bus_error(c);
            break;
        case EV_NONE:
            if (e != UC_ERR_OK) {
                machine_fault(m, pc, 0, 0, "CPU stopped: %s", uc_strerror(e));
                break;
            }
            if (!c->stopped_for_exception && hint_before(c, pc, THUMB_WFI))
                cpu_sleep(c, 0);
            break;
        }
        if (m->cx.sleep_on_exit) {
            m->cx.sleep_on_exit = 0;
            cpu_sleep(c, 0);
        }
        exc_take_pending(c->uc, m);
    }
}

void cpu_run(struct cpu *c)
{
    struct machine *m = c->m;
    if (cpu_boot(c) != 0)
        return;
    for (;;) {
        run_until_stop(c);
        if (m->stop != STOP_RESET) {
            exc_end_of_run(m);
            return;
        }
        machine_system_reset(m, m->reset_cause);
        if (cpu_boot(c) != 0)
            return;
    }
}
