/* Embedded flash and its interface (RM0090 section 3): sector map, KEYR/OPTKEYR unlock, CR/SR
 * semantics, 1->0 programming, BSY timing, option bytes with nWRP, power cuts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cycles.h"
#include "log.h"
#include "machine.h"

#define KEY1    0x45670123u
#define KEY2    0xCDEF89ABu
#define OPTKEY1 0x08192A3Bu
#define OPTKEY2 0x4C5D6E7Fu

#define CR_PG          (1u << 0)
#define CR_SER         (1u << 1)
#define CR_MER         (1u << 2)
#define CR_SNB_SHIFT   3
#define CR_SNB_MASK    (0x1Fu << CR_SNB_SHIFT) /* SNB[4] (bit 7): bank 2 on dual-bank parts */
#define CR_PSIZE_SHIFT 8
#define CR_PSIZE_MASK  (3u << CR_PSIZE_SHIFT)
#define CR_STRT        (1u << 16)
#define CR_EOPIE       (1u << 24)
#define CR_ERRIE       (1u << 25)
#define CR_LOCK        (1u << 31)
#define CR_WRITABLE    (CR_PG | CR_SER | CR_MER | CR_SNB_MASK | CR_PSIZE_MASK | CR_EOPIE | CR_ERRIE)

#define SR_EOP    (1u << 0)
#define SR_OPERR  (1u << 1)
#define SR_WRPERR (1u << 4)
#define SR_PGAERR (1u << 5)
#define SR_PGPERR (1u << 6)
#define SR_PGSERR (1u << 7)
#define SR_BSY    (1u << 16)
#define SR_ERRORS (SR_WRPERR | SR_PGAERR | SR_PGPERR | SR_PGSERR)
#define SR_W1C    (SR_EOP | SR_OPERR | SR_ERRORS)

#define OPTCR_OPTLOCK   (1u << 0)
#define OPTCR_OPTSTRT   (1u << 1)
#define OPTCR_USER_MASK 0xECu /* BOR_LEV 3:2, WDG_SW 5, nRST_STOP 6, nRST_STDBY 7 */
#define OPTCR_WDG_SW    (1u << 5)
#define OPTCR_OPT_MASK  (0x0FFF0000u | 0xFF00u | OPTCR_USER_MASK) /* nWRP, RDP, USER */

#define ACR_LATENCY_MASK 0x7u
#define ACR_ICEN         (1u << 9)
#define ACR_DCEN         (1u << 10)
#define ACR_ICRST        (1u << 11)
#define ACR_DCRST        (1u << 12)
#define ACR_WRITABLE     (ACR_LATENCY_MASK | (1u << 8) | ACR_ICEN | ACR_DCEN | ACR_ICRST | ACR_DCRST)

#define PROGRAM_NS        (16 * NS_PER_US)  /* DS8626 t_prog typical */
#define PROGRAM_MAX_NS    (100 * NS_PER_US) /* and maximum (--flash-times=max) */
#define OPTION_PROGRAM_NS (16 * NS_PER_MS)  /* not in the datasheet we have: see docs */
#define MAX_ERROR_LOGS    50

enum { OP_NONE, OP_PROGRAM, OP_SECTOR_ERASE, OP_MASS_ERASE, OP_OPTIONS };

static unsigned error_logs;

#define OPT_FACTORY_USER (0xAA00u | OPTCR_USER_MASK)

int flash_init(struct flash_model *f, uint32_t size, int dual_bank, char *err, size_t err_len)
{
    memset(f, 0, sizeof *f);
    if (size != 2048u * 1024u && size != 1024u * 1024u && size != 512u * 1024u &&
        size != 256u * 1024u) {
        snprintf(err, err_len, "flash size must be 2M, 1M, 512K or 256K");
        return -1;
    }
    f->mem = malloc(size);
    f->mem_before_mass = malloc(size);
    if (!f->mem || !f->mem_before_mass) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    memset(f->mem, 0xFF, size);
    f->size = size;
    /* Per bank 4 x 16 KB, 64 KB, then 128 KB (RM0090 3.3 tables 5 and 6). */
    uint32_t off = 0, bank = dual_bank ? size / 2u : size;
    int n = 0;
    f->dual_bank = dual_bank;
    while (off < size) {
        f->sector_off[n++] = off;
        uint32_t in_bank = off % bank;
        off += in_bank < 64u * 1024u    ? 16u * 1024u
               : in_bank < 128u * 1024u ? 64u * 1024u
                                        : 128u * 1024u;
    }
    f->sector_off[n] = off;
    f->nsectors = n;
    memset(f->otp_page, 0xFF, sizeof f->otp_page);
    /* U_ID (96 bits) at 0x1FFF7A10 and F_SIZE (KB) at 0x1FFF7A22. */
    static const uint8_t uid[12] = {0x35, 0x00, 0x3B, 0x00, 0x0B, 0x51,
                                    0x34, 0x37, 0x32, 0x38, 0x34, 0x39};
    memcpy(f->otp_page + 0x210, uid, sizeof uid);
    f->otp_page[0x222] = (uint8_t)((size / 1024u) & 0xFF);
    f->otp_page[0x223] = (uint8_t)((size / 1024u) >> 8);
    f->opt_nwrp = 0xFFF;
    f->opt_nwrp2 = 0xFFF;
    f->opt_user = OPT_FACTORY_USER; /* RDP level 0, all USER bits set */
    f->code_lo = UINT32_MAX;
    return 0;
}

void flash_free(struct flash_model *f)
{
    free(f->mem);
    free(f->mem_before_mass);
    f->mem = NULL;
    f->mem_before_mass = NULL;
}

/* The --flash file: the flash contents, then, when the option bytes differ from the factory
 * values, a 16-byte record (docs/emulator.md "Option bytes"): "STKEMUOB", the option word
 * nWRP << 16 | RDP << 8 | USER, and its complement (little endian). A file of exactly the flash
 * size (every file before the record existed) has the factory option bytes. */
#define OPT_RECORD_BYTES 16u
static const char opt_magic[8] = {'S', 'T', 'K', 'E', 'M', 'U', 'O', 'B'};

static uint32_t get_le32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int flash_load_file(struct flash_model *f, const char *path, char *err, size_t err_len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        if (errno == ENOENT)
            return 0; /* created erased */
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t got = fread(f->mem, 1, f->size, fp);
    uint8_t rec[OPT_RECORD_BYTES + 1];
    size_t rec_len = fread(rec, 1, sizeof rec, fp);
    fclose(fp);
    int ok = got == f->size && (rec_len == 0 || rec_len == OPT_RECORD_BYTES);
    if (ok && rec_len) {
        uint32_t word = get_le32(rec + 8);
        ok = memcmp(rec, opt_magic, sizeof opt_magic) == 0 && get_le32(rec + 12) == ~word &&
             !(word & 0xF0000000u);
        if (ok) {
            f->opt_nwrp = (word >> 16) & 0xFFFu;
            f->opt_user = word & (0xFF00u | OPTCR_USER_MASK);
        }
    }
    if (!ok) {
        snprintf(err, err_len, "%s: not a %u KB flash file (with an optional option-byte record)",
                 path, f->size / 1024);
        memset(f->mem, 0xFF, f->size);
        return -1;
    }
    return 0;
}

int flash_save_file(struct flash_model *f, const char *path, char *err, size_t err_len)
{
    flash_apply_fixups(f);
    uint8_t rec[OPT_RECORD_BYTES];
    uint32_t word = f->opt_nwrp << 16 | f->opt_user;
    size_t rec_len = f->opt_nwrp == 0xFFFu && f->opt_user == OPT_FACTORY_USER ? 0 : sizeof rec;
    memcpy(rec, opt_magic, sizeof opt_magic);
    for (int i = 0; i < 4; i++) {
        rec[8 + i] = (uint8_t)(word >> (8 * i));
        rec[12 + i] = (uint8_t)(~word >> (8 * i));
    }
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(f->mem, 1, f->size, fp) != f->size ||
        (rec_len && fwrite(rec, 1, rec_len, fp) != rec_len)) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        if (fp)
            fclose(fp);
        return -1;
    }
    if (fclose(fp) != 0) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int flash_sector_of(const struct flash_model *f, uint32_t offset)
{
    for (int i = 0; i < f->nsectors; i++)
        if (offset < f->sector_off[i + 1])
            return i;
    return -1;
}

static void mark_code_changed(struct flash_model *f, uint32_t offset, uint32_t len)
{
    if (offset < f->code_lo)
        f->code_lo = offset;
    if (offset + len > f->code_hi)
        f->code_hi = offset + len;
}

void flash_erase_range_raw(struct flash_model *f, uint32_t offset, uint32_t len)
{
    memset(f->mem + offset, 0xFF, len);
    mark_code_changed(f, offset, len);
}

void flash_reset(struct machine *m, int power_on)
{
    struct flash_model *f = &m->flash;
    (void)power_on;
    flash_apply_fixups(f);
    f->acr = 0;
    f->sr = 0;
    f->cr = CR_LOCK;
    f->key_stage = 0;
    f->optkey_stage = 0;
    f->locked_until_reset = 0;
    f->opt_locked_until_reset = 0;
    f->op.kind = OP_NONE;
    if (m->iwdg_hw)
        f->opt_user &= ~OPTCR_WDG_SW;
    f->optcr = (f->opt_nwrp << 16) | f->opt_user | OPTCR_OPTLOCK;
}

void flash_apply_fixups(struct flash_model *f)
{
    for (int i = 0; i < f->nfix; i++)
        memcpy(f->fix[i].dst, f->fix[i].bytes, f->fix[i].size);
    f->nfix = 0;
}

int flash_busy(const struct flash_model *f)
{
    return f->op.kind != OP_NONE;
}

/* RM0090 3.6 (introduction): any read of the flash memory while it is being written or erased
 * stalls the bus until the operation ends; on the dual-bank F42x/F43x a read of the other bank
 * proceeds (read-while-write). Option-byte, OTP and mass operations stall every read (strict:
 * RM0090 names no bank for them). */
int flash_read_stalls(const struct flash_model *f, uint32_t offset)
{
    const struct flash_op *op = &f->op;
    if (op->kind == OP_NONE)
        return 0;
    if (!f->dual_bank || op->kind == OP_OPTIONS || op->kind == OP_MASS_ERASE || op->len == 0)
        return 1;
    uint32_t half = f->size / 2u;
    return (offset >= half) == (op->offset >= half);
}

uint32_t flash_max_hclk(const struct machine *m)
{
    /* 2.7-3.6 V: the chip's table (RM0090 table 10: 30 MHz per wait state). */
    return m->board->chip->ws_max_hz[m->flash.acr & ACR_LATENCY_MASK];
}

static uint64_t rng_next(struct machine *m)
{
    uint64_t x = m->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return m->rng = x;
}

static int psize_bytes(const struct flash_model *f)
{
    return 1 << ((f->cr & CR_PSIZE_MASK) >> CR_PSIZE_SHIFT);
}

static uint64_t erase_ns(const struct flash_model *f, uint32_t sector_len, int mass)
{
    /* DS8626 typical times per parallelism x8 / x16 / x32 (x64 treated as x32); its maximum
     * column is twice each (--flash-times=max). */
    static const uint32_t ms16k[3] = {400, 300, 250}, ms64k[3] = {1200, 700, 550},
                          ms128k[3] = {2000, 1300, 1000}, msmass[3] = {16000, 11000, 8000};
    int p = (int)((f->cr & CR_PSIZE_MASK) >> CR_PSIZE_SHIFT);
    if (p > 2)
        p = 2;
    uint64_t ms = mass                        ? msmass[p]
                  : sector_len == 16u * 1024u ? ms16k[p]
                  : sector_len == 64u * 1024u ? ms64k[p]
                                              : ms128k[p];
    return (f->max_times ? 2u : 1u) * ms * NS_PER_MS;
}

static void set_error(struct machine *m, uint32_t flags, const char *what, uint32_t addr)
{
    struct flash_model *f = &m->flash;
    f->sr |= flags;
    if (f->cr & CR_ERRIE)
        f->sr |= SR_OPERR;
    if (error_logs < MAX_ERROR_LOGS || (m->trace & TRACE_FLASH)) {
        error_logs++;
        emu_log(machine_now_ns(m), "flash: %s%s%s%s (%s) at 0x%08x, nothing written",
                flags & SR_PGSERR ? "PGSERR " : "", flags & SR_PGPERR ? "PGPERR " : "",
                flags & SR_PGAERR ? "PGAERR " : "", flags & SR_WRPERR ? "WRPERR " : "", what, addr);
    }
}

/* An option programming cut short. OPTSTRT erases the user configuration sector, then
 * programs every option byte from OPTCR (PM0081 2.6.2 note; RM0090 3.6.2): the first half of
 * the time is modeled as the erase (each bit of the old bytes may have gone to 1), the second as
 * the program (each bit the new bytes clear may still be 1). Erased option bytes read RDP 0xFF,
 * level 1 (PM0081 2.6.3: "the default level after option byte erase"), no nWRP, USER 0xFF. A
 * clean cut has no effect. Unconfirmed: docs/emulator.md. */
static void cut_options(struct machine *m, int undefined)
{
    struct flash_model *f = &m->flash;
    uint32_t old = f->opt_nwrp << 16 | f->opt_user;
    if (undefined) {
        uint64_t t = machine_now_ns(m), mid = f->op.start_ns + (f->op.end_ns - f->op.start_ns) / 2;
        uint32_t r = (uint32_t)rng_next(m);
        uint32_t word = (t < mid ? old | r : f->opt_target | r) & OPTCR_OPT_MASK;
        f->opt_nwrp = (word >> 16) & 0xFFFu;
        f->opt_user = word & (0xFF00u | OPTCR_USER_MASK);
    }
    uint32_t rdp = (f->opt_user >> 8) & 0xFFu;
    emu_log(machine_now_ns(m),
            "flash: option programming cut (%s): nWRP=0x%03x RDP=0x%02x (level %d) USER=0x%02x",
            undefined ? "undefined result" : "no effect", f->opt_nwrp, rdp,
            rdp == 0xAA   ? 0
            : rdp == 0xCC ? 2
                          : 1,
            f->opt_user & 0xFFu);
    f->op.kind = OP_NONE;
    f->sr &= ~SR_BSY;
    f->optcr &= ~OPTCR_OPTSTRT;
}

/* Apply the interrupted operation's undefined result (or restore, for a clean cut). */
void flash_cut(struct machine *m, int undefined)
{
    struct flash_model *f = &m->flash;
    struct flash_op *op = &f->op;
    if (op->kind == OP_OPTIONS) {
        cut_options(m, undefined);
        return;
    }
    if (op->kind == OP_NONE)
        return;
    flash_apply_fixups(f);
    uint8_t *dst = f->mem + op->offset;
    if (!undefined) {
        memcpy(dst, op->before, op->len);
    } else if (op->kind == OP_PROGRAM) {
        for (uint32_t i = 0; i < op->len; i++)
            dst[i] = op->before[i] & (uint8_t)rng_next(m);
    } else {
        for (uint32_t i = 0; i < op->len; i += 8) {
            uint64_t r = rng_next(m);
            for (uint32_t k = 0; k < 8 && i + k < op->len; k++)
                dst[i + k] = op->before[i + k] | (uint8_t)(r >> (8 * k));
        }
    }
    mark_code_changed(f, op->offset, op->len);
    op->kind = OP_NONE;
    f->sr &= ~SR_BSY;
}

/* Starts an operation: returns 0 when started, -1 when the power was cut at its start. */
static int start_op(struct machine *m, int kind, uint32_t offset, uint32_t len, uint64_t dur)
{
    struct flash_model *f = &m->flash;
    struct flash_op *op = &f->op;
    uint64_t now = machine_now_ns(m);
    op->kind = kind;
    op->offset = offset;
    op->len = len;
    op->start_ns = now;
    op->end_ns = now + dur;
    if (kind != OP_OPTIONS) {
        op->before = f->before_buf;
        if (len <= sizeof f->before_buf) {
            memcpy(f->before_buf, f->mem + offset, len);
        } else {
            /* Mass erase: keep the undefined result simple, per-sector copies would be big. */
            op->before = f->mem_before_mass;
            memcpy(op->before, f->mem + offset, len);
        }
        if (m->cut_after_ops >= 0 && f->ops == (uint64_t)m->cut_after_ops) {
            int undefined = m->cut_mode == CUT_UNDEFINED;
            flash_cut(m, undefined);
            char why[96];
            snprintf(why, sizeof why, "at the start of flash operation %llu (%s)",
                     (unsigned long long)f->ops + 1, undefined ? "undefined result" : "no effect");
            machine_cut_power(m, why);
            return -1;
        }
        f->ops++;
    }
    f->sr |= SR_BSY;
    return 0;
}

void flash_advance(struct machine *m, uint64_t now_ns)
{
    struct flash_model *f = &m->flash;
    if (f->op.kind == OP_NONE || now_ns < f->op.end_ns)
        return;
    if (f->op.kind == OP_OPTIONS) {
        f->opt_nwrp = (f->opt_target >> 16) & 0xFFFu;
        f->opt_user = f->opt_target & (0xFF00u | OPTCR_USER_MASK);
        f->opt_programs++;
        emu_log(f->op.end_ns, "flash: option bytes programmed (nWRP=0x%03x RDP=0x%02x USER=0x%02x)",
                f->opt_nwrp, (f->opt_user >> 8) & 0xFFu, f->opt_user & 0xFFu);
        f->optcr &= ~OPTCR_OPTSTRT;
    } else if (f->op.kind != OP_PROGRAM && (m->trace & TRACE_FLASH)) {
        emu_log(f->op.end_ns, "flash: erase done");
    }
    f->op.kind = OP_NONE;
    f->sr &= ~SR_BSY;
    f->cr &= ~CR_STRT;
    if (f->cr & CR_EOPIE)
        f->sr |= SR_EOP;
}

static void stall_until_idle(struct machine *m)
{
    if (flash_busy(&m->flash))
        machine_advance_to(m, m->flash.op.end_ns);
}

static int sector_protected(const struct flash_model *f, int sector)
{
    if (sector >= 12) /* bank 2: FLASH_OPTCR1 nWRP (RM0090 3.9.11) */
        return !((f->opt_nwrp2 >> (sector - 12)) & 1u);
    return !((f->opt_nwrp >> sector) & 1u);
}

static void start_erase(struct machine *m)
{
    struct flash_model *f = &m->flash;
    uint64_t now = machine_now_ns(m);
    if (f->sr & SR_ERRORS) {
        set_error(m, SR_PGSERR, "erase with error flags still set", FLASH_BASE);
        return;
    }
    if ((f->cr & CR_PG) || ((f->cr & CR_SER) && (f->cr & CR_MER))) {
        set_error(m, SR_PGSERR, "erase with PG or SER+MER set", FLASH_BASE);
        return;
    }
    if (f->cr & CR_MER) {
        for (int s = 0; s < f->nsectors; s++) {
            if (sector_protected(f, s)) {
                set_error(m, SR_WRPERR, "mass erase with a protected sector", FLASH_BASE);
                return;
            }
        }
        if ((f->cr & CR_PSIZE_MASK) == CR_PSIZE_MASK)
            machine_warn(m, "flash erase with PSIZE x64 needs VPP; timed as x32");
        if (start_op(m, OP_MASS_ERASE, 0, f->size, erase_ns(f, 0, 1)) != 0)
            return;
        flash_erase_range_raw(f, 0, f->size);
        f->erases++;
        strncat(f->erase_list, f->erase_list[0] ? ",M" : "M",
                sizeof f->erase_list - strlen(f->erase_list) - 1);
        emu_log(now, "flash: mass erase (%llu ms)",
                (unsigned long long)((f->op.end_ns - now) / NS_PER_MS));
        return;
    }
    int snb = (int)((f->cr & CR_SNB_MASK) >> CR_SNB_SHIFT);
    /* Dual bank (RM0090 3.9.8): SNB 0-11 are bank 1, 16-27 bank 2's sectors 12-23; 12-15 are
     * not allowed. Single bank: SNB[4] must be 0. */
    if (f->dual_bank && snb >= 16)
        snb -= 4;
    else if (snb >= 12)
        snb = f->nsectors; /* no such sector */
    if (snb >= f->nsectors) {
        set_error(m, SR_PGSERR, "erase of a sector that does not exist", FLASH_BASE);
        return;
    }
    uint32_t off = f->sector_off[snb], len = f->sector_off[snb + 1] - off;
    if (sector_protected(f, snb)) {
        set_error(m, SR_WRPERR, "erase of a write-protected sector", FLASH_BASE + off);
        return;
    }
    if ((f->cr & CR_PSIZE_MASK) == CR_PSIZE_MASK)
        machine_warn(m, "flash erase with PSIZE x64 needs VPP; timed as x32");
    if (start_op(m, OP_SECTOR_ERASE, off, len, erase_ns(f, len, 0)) != 0)
        return;
    flash_erase_range_raw(f, off, len);
    f->erases++;
    char num[16];
    snprintf(num, sizeof num, "%s%d", f->erase_list[0] ? "," : "", snb);
    strncat(f->erase_list, num, sizeof f->erase_list - strlen(f->erase_list) - 1);
    emu_log(now, "flash: erase sector %d (%u KB, x%d, %llu ms)", snb, len / 1024,
            8 * psize_bytes(f) > 32 ? 64 : 8 * psize_bytes(f),
            (unsigned long long)((f->op.end_ns - now) / NS_PER_MS));
}

static void start_option_program(struct machine *m)
{
    struct flash_model *f = &m->flash;
    if (start_op(m, OP_OPTIONS, 0, 0, OPTION_PROGRAM_NS) != 0)
        return;
    f->opt_target = f->optcr & OPTCR_OPT_MASK;
    f->optcr |= OPTCR_OPTSTRT;
    emu_log(machine_now_ns(m),
            "flash: option programming started (nWRP=0x%03x RDP=0x%02x USER=0x%02x)",
            (f->opt_target >> 16) & 0xFFFu, (f->opt_target >> 8) & 0xFFu, f->opt_target & 0xFFu);
}

uint32_t flash_reg_read(struct machine *m, uint32_t off)
{
    struct flash_model *f = &m->flash;
    switch (off) {
    case 0x00:
        return f->acr;
    case 0x04:
    case 0x08:
        return 0; /* write-only key registers */
    case 0x0C:
        return f->sr;
    case 0x10:
        return f->cr;
    case 0x14:
        return f->optcr;
    default:
        return 0;
    }
}

int flash_reg_write(struct machine *m, uint32_t off, uint32_t value)
{
    struct flash_model *f = &m->flash;
    if ((off == 0x08 || off == 0x14) && m->cut_at_opt_write >= 0 &&
        ++f->opt_reg_writes == (uint64_t)m->cut_at_opt_write) {
        char why[80];
        snprintf(why, sizeof why, "instead of option register write %u (%s = 0x%08x)",
                 f->opt_reg_writes, off == 0x08 ? "OPTKEYR" : "OPTCR", value);
        machine_cut_power(m, why);
        return 0;
    }
    switch (off) {
    case 0x00: { /* ACR */
        uint32_t v = value & ACR_WRITABLE;
        if ((v & ACR_ICRST) && (f->acr & ACR_ICEN) && (v & ACR_ICEN)) {
            machine_warn(m, "FLASH_ACR ICRST written with the I-cache enabled: ignored");
            v &= ~ACR_ICRST;
        }
        if ((v & ACR_DCRST) && (f->acr & ACR_DCEN) && (v & ACR_DCEN)) {
            machine_warn(m, "FLASH_ACR DCRST written with the D-cache enabled: ignored");
            v &= ~ACR_DCRST;
        }
        f->acr = v;
        cycles_acr_written(m, v);
        if (m->hclk_hz > flash_max_hclk(m))
            machine_fault(m, m->cur_block, 0, 0,
                          "flash wait states too low: %u WS for HCLK %u Hz (max %u Hz)",
                          f->acr & ACR_LATENCY_MASK, m->hclk_hz, flash_max_hclk(m));
        return 0;
    }
    case 0x04: /* KEYR */
        if (f->locked_until_reset || !(f->cr & CR_LOCK)) {
            f->locked_until_reset = 1;
            f->cr |= CR_LOCK;
            emu_log(machine_now_ns(m), "flash: KEYR write out of sequence: bus error, CR locked "
                                       "until reset");
            return -1;
        }
        if (f->key_stage == 0 && value == KEY1) {
            f->key_stage = 1;
        } else if (f->key_stage == 1 && value == KEY2) {
            f->key_stage = 0;
            f->cr &= ~CR_LOCK;
        } else {
            f->locked_until_reset = 1;
            f->key_stage = 0;
            emu_log(machine_now_ns(m),
                    "flash: wrong KEYR sequence (0x%08x): bus error, CR "
                    "locked until reset",
                    value);
            return -1;
        }
        return 0;
    case 0x08: /* OPTKEYR */
        if (f->opt_locked_until_reset || !(f->optcr & OPTCR_OPTLOCK)) {
            f->opt_locked_until_reset = 1;
            f->optcr |= OPTCR_OPTLOCK;
            emu_log(machine_now_ns(m), "flash: OPTKEYR write out of sequence: bus error");
            return -1;
        }
        if (f->optkey_stage == 0 && value == OPTKEY1) {
            f->optkey_stage = 1;
        } else if (f->optkey_stage == 1 && value == OPTKEY2) {
            f->optkey_stage = 0;
            f->optcr &= ~OPTCR_OPTLOCK;
        } else {
            f->opt_locked_until_reset = 1;
            f->optkey_stage = 0;
            emu_log(machine_now_ns(m), "flash: wrong OPTKEYR sequence: bus error, OPTCR locked "
                                       "until reset");
            return -1;
        }
        return 0;
    case 0x0C: /* SR: write 1 to clear */
        f->sr &= ~(value & SR_W1C);
        return 0;
    case 0x10: /* CR: writes stall while BSY */
        stall_until_idle(m);
        if (f->cr & CR_LOCK)
            return 0; /* locked: ignored (LOCK reads 1) */
        f->cr = (f->cr & ~CR_WRITABLE) | (value & CR_WRITABLE);
        if (value & CR_LOCK) {
            f->cr |= CR_LOCK;
            return 0;
        }
        if (value & CR_STRT) {
            if (f->cr & (CR_SER | CR_MER)) {
                f->cr |= CR_STRT;
                start_erase(m);
                if (!flash_busy(f))
                    f->cr &= ~CR_STRT;
            }
        }
        machine_update_deadline(m);
        return 0;
    case 0x14: /* OPTCR */
        stall_until_idle(m);
        if (f->optcr & OPTCR_OPTLOCK) {
            return 0;
        }
        f->optcr = (value & (0x0FFF0000u | 0xFF00u | OPTCR_USER_MASK)) | (value & OPTCR_OPTLOCK);
        if ((value & OPTCR_OPTSTRT) && !(value & OPTCR_OPTLOCK))
            start_option_program(m);
        machine_update_deadline(m);
        return 0;
    default:
        return 0;
    }
}

/* A CPU store into main flash at offset. The CPU's own store writes the raw value after this
 * returns; the fix-up puts back what the flash really holds. */
void flash_store(struct machine *m, uint32_t offset, unsigned size, uint32_t value)
{
    struct flash_model *f = &m->flash;
    flash_apply_fixups(f);
    stall_until_idle(m); /* the AHB stalls a write while BSY */
    uint32_t addr = FLASH_BASE + offset;
    if (offset + size > f->size)
        size = f->size - offset;
    int fi = f->nfix < 16 ? f->nfix++ : 15;
    uint8_t *cell = f->mem + offset;
    f->fix[fi].dst = cell;
    f->fix[fi].size = size;
    memcpy(f->fix[fi].bytes, cell, size);
    machine_update_deadline(m);

    if (!(f->cr & CR_PG) || (f->cr & (CR_SER | CR_MER)) || (f->cr & CR_LOCK)) {
        set_error(m, SR_PGSERR, "write to flash without PG", addr);
        return;
    }
    if (f->sr & SR_ERRORS) {
        set_error(m, SR_PGSERR, "program with error flags still set", addr);
        return;
    }
    if ((f->cr & CR_PSIZE_MASK) == CR_PSIZE_MASK || (unsigned)psize_bytes(f) != size) {
        set_error(m, SR_PGPERR, "access size differs from PSIZE", addr);
        return;
    }
    if (offset % size) {
        set_error(m, SR_PGAERR, "unaligned program", addr);
        return;
    }
    int sector = flash_sector_of(f, offset);
    if (sector < 0 || sector_protected(f, sector)) {
        set_error(m, SR_WRPERR, "program of a write-protected sector", addr);
        return;
    }
    if (start_op(m, OP_PROGRAM, offset, size, f->max_times ? PROGRAM_MAX_NS : PROGRAM_NS) != 0) {
        /* power cut: the cut's result must survive the CPU's raw store */
        memcpy(f->fix[fi].bytes, cell, size);
        f->nfix = fi + 1;
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        cell[i] &= (uint8_t)(value >> (8 * i));
        f->fix[fi].bytes[i] = cell[i];
    }
    mark_code_changed(f, offset, size);
    if (size == 4)
        f->program_words++;
    f->programmed_bytes += size;
    if (m->trace & TRACE_FLASH)
        emu_log(machine_now_ns(m), "flash: program 0x%08x size %u value 0x%0*x", addr, size,
                (int)size * 2, value);
    machine_update_deadline(m);
}

/* OTP: programmed like flash, never erased. Offsets past the OTP are read-only IDs. */
void flash_otp_store(struct machine *m, uint32_t offset, unsigned size, uint32_t value)
{
    struct flash_model *f = &m->flash;
    flash_apply_fixups(f);
    if (offset + size > OTP_PAGE_SIZE)
        size = OTP_PAGE_SIZE - offset;
    int fi = f->nfix < 16 ? f->nfix++ : 15;
    f->fix[fi].dst = f->otp_page + offset;
    f->fix[fi].size = size;
    memcpy(f->fix[fi].bytes, f->otp_page + offset, size);
    machine_update_deadline(m);
    if (offset >= OTP_SIZE || !(f->cr & CR_PG) || (f->cr & CR_LOCK) ||
        (unsigned)psize_bytes(f) != size || offset % size) {
        set_error(m, SR_PGSERR, "bad OTP write", OTP_PAGE_BASE + offset);
        return;
    }
    stall_until_idle(m);
    if (start_op(m, OP_PROGRAM, 0, 0, PROGRAM_NS) != 0)
        return;
    for (unsigned i = 0; i < size; i++) {
        f->otp_page[offset + i] &= (uint8_t)(value >> (8 * i));
        f->fix[fi].bytes[i] = f->otp_page[offset + i];
    }
    machine_update_deadline(m);
}

/* ---- the bus instance (FLASH interface registers, RM0090 3.8) ---- */

/* RM0090 3.7 / table 17: the FLASH global interrupt is EOP with EOPIE, or an error flag with
 * ERRIE. */
static void flash_sample_irq(struct machine *m, const struct periph *p)
{
    const struct flash_model *f = &m->flash;
    int level = ((f->sr & SR_EOP) && (f->cr & CR_EOPIE)) ||
                ((f->sr & (SR_OPERR | SR_ERRORS)) && (f->cr & CR_ERRIE));
    periph_irq(m, p, level);
}

static int flash_op_read(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                         uint32_t *value)
{
    (void)size;
    flash_advance(m, machine_now_ns(m));
    *value = flash_reg_read(m, off);
    flash_sample_irq(m, p);
    return 0;
}

static int flash_op_write(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                          uint32_t value)
{
    (void)size;
    flash_advance(m, machine_now_ns(m));
    int rc = flash_reg_write(m, off, value);
    flash_sample_irq(m, p);
    if (rc != 0) {
        machine_bus_error(m, p->base + off, 1,
                          "bus error on a flash key register (wrong sequence)");
        return -1;
    }
    return 0;
}

static void flash_op_reset(struct machine *m, const struct periph *p, enum periph_reset kind)
{
    if (flash_busy(&m->flash)) { /* a system or brown-out reset during an operation */
        emu_log(machine_now_ns(m), "flash: reset during an operation, contents undefined");
        flash_cut(m, 1);
    }
    flash_reset(m, kind == PERIPH_POWER_ON);
    flash_sample_irq(m, p);
}

static uint64_t flash_op_next(struct machine *m, const struct periph *p)
{
    (void)p;
    return flash_busy(&m->flash) ? m->flash.op.end_ns : TIME_NEVER;
}

static void flash_op_advance(struct machine *m, const struct periph *p, uint64_t now_ns)
{
    flash_advance(m, now_ns);
    flash_sample_irq(m, p);
}

static unsigned flash_reg_flags(const struct periph *p, uint32_t off)
{
    (void)p;
    return off == 0x04 || off == 0x08 || off == 0x0C ? REG_NO_MERGE : 0; /* keys, SR (w1c) */
}

const struct periph_ops flash_ops = {
    .read = flash_op_read,
    .write = flash_op_write,
    .reset = flash_op_reset,
    .next_event_ns = flash_op_next,
    .advance = flash_op_advance,
    .reg_flags = flash_reg_flags,
    .flags = PERIPH_RESET_FIRST,
};
