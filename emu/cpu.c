/* The Cortex-M4 on libunicorn: memory map, instruction counting per block, MMIO callbacks,
 * faults, reset and the run loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "cpu.h"
#include "log.h"

#define COUNT_CACHE_SIZE 65536u
#define THUMB_B_SELF     0xE7FEu /* b . */
#define THUMB_WFI        0xBF30u

struct count_entry {
    uint32_t addr, size, count, gen;
    uint8_t self_loop;
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
};

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
    uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
    return pc;
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
    if (len == 0 || uc_mem_read(c->uc, addr, code, len) != UC_ERR_OK) {
        e->count = len / 2 ? len / 2 : 1;
        return e;
    }
    for (uint32_t i = 0; i + 1 < len;) {
        uint16_t hw = (uint16_t)(code[i] | code[i + 1] << 8);
        uint16_t top = hw >> 11;
        i += (top == 0x1D || top == 0x1E || top == 0x1F) ? 4 : 2;
        e->count++;
    }
    if (e->count == 0)
        e->count = 1;
    e->self_loop = len == 2 && (code[0] | code[1] << 8) == THUMB_B_SELF;
    return e;
}

static void flush_changed_code(struct cpu *c)
{
    struct flash_model *f = &c->m->flash;
    if (f->code_hi <= f->code_lo)
        return;
    uc_ctl_remove_cache(c->uc, FLASH_BASE + f->code_lo, FLASH_BASE + f->code_hi);
    uc_ctl_remove_cache(c->uc, f->code_lo, f->code_hi);
    if (f->code_hi - f->code_lo >= 1024)
        c->gen++;
    f->code_lo = UINT32_MAX;
    f->code_hi = 0;
}

static void hook_block(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
    struct cpu *c = user;
    struct machine *m = c->m;
    (void)uc;
    uint32_t addr = (uint32_t)address;
    struct count_entry *e = count_block(c, addr, size);
    m->insns += e->count;
    m->cycles += e->count;
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
    if (m->cycles >= m->deadline_cycles) {
        machine_slow_path(m, addr);
        flush_changed_code(c);
    }
    if (e->self_loop && m->stop == STOP_NONE) {
        /* "b ." with no interrupts: nothing changes until the next event. */
        machine_advance_to(m, machine_next_event_ns(m));
        flush_changed_code(c);
    }
}

static uint64_t mmio_read(uc_engine *uc, uint64_t offset, unsigned size, void *user)
{
    struct region *r = user;
    struct machine *m = r->cpu->m;
    uint32_t v = 0;
    (void)uc;
    if (m->flash.nfix)
        flash_apply_fixups(&m->flash);
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
    bus_write(m, r->base + (uint32_t)offset, size, (uint32_t)value);
    flush_changed_code(r->cpu);
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
    bus_flash_store(c->m, (uint32_t)address, (unsigned)size, (uint32_t)value);
    return c->m->stop != STOP_FAULT;
}

static bool hook_bad_access(uc_engine *uc, uc_mem_type type, uint64_t address, int size,
                            int64_t value, void *user)
{
    struct cpu *c = user;
    (void)uc;
    (void)size;
    (void)value;
    const char *what = "bad access";
    switch (type) {
    case UC_MEM_READ_UNMAPPED:
        what = "bus fault: read of unmapped address";
        break;
    case UC_MEM_WRITE_UNMAPPED:
        what = "bus fault: write to unmapped address";
        break;
    case UC_MEM_FETCH_UNMAPPED:
        what = "bus fault: instruction fetch from unmapped address";
        break;
    case UC_MEM_FETCH_PROT:
        what = "bus fault: instruction fetch from non-executable memory";
        break;
    case UC_MEM_READ_PROT:
        what = "bus fault: read of protected memory";
        break;
    default:
        break;
    }
    machine_fault(c->m, read_pc(c), 1, (uint32_t)address, "%s", what);
    return false;
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *user)
{
    struct cpu *c = user;
    (void)uc;
    uint32_t pc = read_pc(c);
    switch (intno) {
    case 1:
        machine_fault(c->m, pc, 0, 0, "undefined instruction (UsageFault -> HardFault)");
        break;
    case 2:
        machine_fault(c->m, pc, 0, 0, "SVC: exceptions are not delivered");
        break;
    case 7:
        machine_fault(c->m, pc, 0, 0, "BKPT with no debugger (HardFault)");
        break;
    case 8:
        machine_fault(c->m, pc, 0, 0, "exception return with no exception active");
        break;
    default:
        machine_fault(c->m, pc, 0, 0, "CPU exception %u", intno);
        break;
    }
}

static bool hook_invalid_insn(uc_engine *uc, void *user)
{
    struct cpu *c = user;
    (void)uc;
    machine_fault(c->m, read_pc(c), 0, 0, "invalid instruction (UsageFault -> HardFault)");
    return false;
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
    uc_err e = uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &c->uc);
    if (e != UC_ERR_OK || !c->cache) {
        snprintf(err, err_len, "unicorn: %s", uc_strerror(e));
        free(c->cache);
        free(c);
        return NULL;
    }
    uc_ctl_set_cpu_model(c->uc, UC_CPU_ARM_CORTEX_M4);
    int bad = 0;
    bad |= uc_mem_map_ptr(c->uc, FLASH_BASE, m->flash.size, UC_PROT_READ | UC_PROT_EXEC,
                          m->flash.mem) != UC_ERR_OK;
    bad |= uc_mem_map_ptr(c->uc, 0, m->flash.size, UC_PROT_READ | UC_PROT_EXEC, m->flash.mem) !=
           UC_ERR_OK;
    bad |= uc_mem_map_ptr(c->uc, SRAM_BASE, SRAM_SIZE, UC_PROT_ALL, m->sram) != UC_ERR_OK;
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
    bad |= uc_ctl_exits_enable(c->uc) != UC_ERR_OK;
    if (bad) {
        snprintf(err, err_len, "unicorn: memory map or hook setup failed");
        cpu_destroy(c);
        return NULL;
    }
    current_cpu = c;
    machine_stop_cpu_hook = stop_cpu;
    machine_pc_hook = pc_hook;
    return c;
}

void cpu_destroy(struct cpu *c)
{
    if (!c)
        return;
    if (current_cpu == c)
        current_cpu = NULL;
    uc_close(c->uc);
    free(c->cache);
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
    uc_reg_write(c->uc, UC_ARM_REG_CONTROL, &zero);
    uc_reg_write(c->uc, UC_ARM_REG_PRIMASK, &zero);
    uc_reg_write(c->uc, UC_ARM_REG_BASEPRI, &zero);
    uc_reg_write(c->uc, UC_ARM_REG_FAULTMASK, &zero);
    uc_reg_write(c->uc, UC_ARM_REG_XPSR, &xpsr);
    uc_reg_write(c->uc, UC_ARM_REG_LR, &lr);
    uint32_t sp = flash_word(m, 0) & ~3u, pc = flash_word(m, 4);
    uc_reg_write(c->uc, UC_ARM_REG_MSP, &sp);
    uc_reg_write(c->uc, UC_ARM_REG_PSP, &zero);
    if (!(pc & 1u)) {
        machine_fault(m, pc, 0, 0, "reset vector 0x%08x without the Thumb bit (lockup)", pc);
        return -1;
    }
    pc &= ~1u;
    uc_reg_write(c->uc, UC_ARM_REG_PC, &pc);
    return 0;
}

static void run_until_stop(struct cpu *c)
{
    struct machine *m = c->m;
    while (m->stop == STOP_NONE) {
        machine_update_deadline(m);
        uint32_t pc = read_pc(c);
        uc_err e = uc_emu_start(c->uc, pc | 1u, 0, 0, 0);
        if (m->flash.nfix)
            flash_apply_fixups(&m->flash);
        flush_changed_code(c);
        if (m->stop != STOP_NONE)
            break;
        pc = read_pc(c);
        if (e != UC_ERR_OK) {
            machine_fault(m, pc, 0, 0, "CPU stopped: %s", uc_strerror(e));
            break;
        }
        uint16_t prev = 0;
        if (uc_mem_read(c->uc, pc - 2, &prev, 2) == UC_ERR_OK && prev == THUMB_WFI) {
            /* WFI: no interrupt can wake the core; only a reset or the end of the run. */
            while (m->stop == STOP_NONE)
                machine_advance_to(m, machine_next_event_ns(m));
        }
    }
}

void cpu_run(struct cpu *c)
{
    struct machine *m = c->m;
    if (cpu_boot(c) != 0)
        return;
    for (;;) {
        run_until_stop(c);
        if (m->stop != STOP_RESET)
            return;
        machine_system_reset(m, m->reset_cause);
        if (cpu_boot(c) != 0)
            return;
    }
}
