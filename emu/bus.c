/* The peripheral bus: address decode through the chip's table (periph.h), RCC clock gating,
 * bit-band aliases, the once-per-run warning for unmodeled peripherals, and polling
 * detection: a firmware reading the same register from the same code with nothing else
 * happening makes virtual time jump towards the next event. No peripheral is named here. */
#include <stdio.h>

#include "log.h"
#include "machine.h"

#define POLL_START 2 /* reads of one loop (with the same values) before time may jump */

/* Bit-band regions (PM0214 2.2.5, ARMv7-M ARM A3.7): each word of the 32 MB alias maps one bit
 * of the first 1 MB of the SRAM and of the peripheral region. */
#define SRAM_BB_ALIAS   0x22000000u
#define PERIPH_BASE     0x40000000u
#define PERIPH_BB_ALIAS 0x42000000u
#define BB_ALIAS_SIZE   0x02000000u

#define WARN_UNMODELED 1u
#define WARN_GATED     2u

/* ---- the table ---- */

static const struct chip *chip_of(const struct machine *m)
{
    return m->board->chip;
}

const struct periph *bus_find(const struct machine *m, uint32_t addr)
{
    /* A small cache by 1 KB page: polling loops alternate between a few instances. */
    unsigned slot = (addr >> 10) & (PERIPH_CACHE - 1u);
    const struct periph *last = m->periph_cache[slot];
    if (last && addr - last->base < last->size)
        return last;
    const struct chip *c = chip_of(m);
    size_t lo = 0, hi = c->nperiphs; /* the table is sorted by base (checked by a unit test) */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const struct periph *p = &c->periphs[mid];
        if (addr < p->base)
            hi = mid;
        else if (addr - p->base >= p->size)
            lo = mid + 1;
        else {
            ((struct machine *)m)->periph_cache[slot] = p;
            return p;
        }
    }
    return NULL;
}

unsigned periph_index(const struct machine *m, const struct periph *p)
{
    return (unsigned)(p - chip_of(m)->periphs);
}

int periph_clocked(const struct machine *m, const struct periph *p)
{
    if (!p->en_reg)
        return 1;
    uint32_t en = rcc_read((struct machine *)m, p->en_reg);
    uint32_t rst = rcc_read((struct machine *)m, p->en_reg - 0x20u);
    return ((en >> p->en_bit) & 1u) && !((rst >> p->en_bit) & 1u);
}

int periph_apb(const struct periph *p)
{
    return p->en_reg == 0x40 ? 1 : p->en_reg == 0x44 ? 2 : 0;
}

void periph_irq(struct machine *m, const struct periph *p, int level)
{
    for (int i = 0; i < 2; i++)
        if (p->irq[i] >= 0)
            machine_irq_line(m, (unsigned)p->irq[i], level);
}

void bus_reset_all(struct machine *m, enum periph_reset kind)
{
    const struct chip *c = chip_of(m);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < c->nperiphs; i++) {
            const struct periph *p = &c->periphs[i];
            if (((p->ops->flags & PERIPH_RESET_FIRST) != 0) != (pass == 0))
                continue;
            m->periph_warned[i] &= (uint8_t)~WARN_GATED;
            if (p->ops->reset)
                p->ops->reset(m, p, kind);
        }
}

void bus_reset_rcc(struct machine *m, uint8_t rstr_off, uint32_t bits)
{
    const struct chip *c = chip_of(m);
    for (size_t i = 0; i < c->nperiphs; i++) {
        const struct periph *p = &c->periphs[i];
        if (p->en_reg && p->en_reg - 0x20u == rstr_off && ((bits >> p->en_bit) & 1u) &&
            p->ops->reset)
            p->ops->reset(m, p, PERIPH_RCC);
    }
}

/* The instances that schedule events, eager ones (in the CPU deadline) first. */
static void timed_init(struct machine *m)
{
    const struct chip *c = chip_of(m);
    m->ntimed = 0;
    for (int lazy = 0; lazy < 2; lazy++) {
        for (size_t i = 0; i < c->nperiphs; i++) {
            const struct periph *p = &c->periphs[i];
            if (p->ops->next_event_ns && ((p->ops->flags & PERIPH_LAZY) != 0) == lazy)
                m->timed[m->ntimed++] = p;
        }
        if (!lazy)
            m->ntimed_eager = m->ntimed;
    }
}

/* A lazy instance whose interrupt is enabled in the NVIC must have its events on time. */
static int irq_enabled(const struct machine *m, const struct periph *p)
{
    for (int i = 0; i < 2; i++)
        if (p->irq[i] >= 0 && nvic_is_enabled(m, EXC_IRQ0 + (unsigned)p->irq[i]))
            return 1;
    return 0;
}

uint64_t bus_next_event_ns(struct machine *m, int include_lazy)
{
    if (m->ntimed == 0)
        timed_init(m);
    uint64_t t = TIME_NEVER;
    for (unsigned i = 0; i < m->ntimed; i++) {
        const struct periph *p = m->timed[i];
        if (i >= m->ntimed_eager && !include_lazy && !irq_enabled(m, p))
            continue;
        uint64_t e = p->ops->next_event_ns(m, p);
        if (e < t)
            t = e;
    }
    return t;
}

const struct periph *bus_due_instance(struct machine *m, uint64_t now_ns)
{
    if (m->ntimed == 0)
        timed_init(m);
    for (unsigned i = 0; i < m->ntimed; i++)
        if (m->timed[i]->ops->next_event_ns(m, m->timed[i]) <= now_ns)
            return m->timed[i];
    return NULL;
}

void bus_advance_all(struct machine *m, uint64_t now_ns)
{
    const struct chip *c = chip_of(m);
    for (size_t i = 0; i < c->nperiphs; i++) {
        const struct periph *p = &c->periphs[i];
        if (p->ops->advance)
            p->ops->advance(m, p, now_ns);
    }
}

void bus_pins_changed(struct machine *m)
{
    const struct chip *c = chip_of(m);
    for (size_t i = 0; i < c->nperiphs; i++)
        if (c->periphs[i].ops->pins_changed)
            c->periphs[i].ops->pins_changed(m, &c->periphs[i]);
}

void bus_clock_sync(struct machine *m)
{
    const struct chip *c = chip_of(m);
    for (size_t i = 0; i < c->nperiphs; i++)
        if (c->periphs[i].ops->clock_sync)
            c->periphs[i].ops->clock_sync(m, &c->periphs[i]);
}

void bus_flush_all(struct machine *m)
{
    const struct chip *c = chip_of(m);
    for (size_t i = 0; i < c->nperiphs; i++)
        if (c->periphs[i].ops->flush)
            c->periphs[i].ops->flush(m, &c->periphs[i]);
}

static unsigned reg_flags(const struct periph *p, uint32_t off)
{
    return p->ops->reg_flags ? p->ops->reg_flags(p, off) : 0;
}

static void warn_unclocked(struct machine *m, const struct periph *p, uint32_t addr, int write)
{
    uint8_t *w = &m->periph_warned[periph_index(m, p)];
    if (*w & WARN_GATED)
        return;
    *w |= WARN_GATED;
    machine_warn(m, "%s at 0x%08x with the %s clock off: %s", write ? "write" : "read", addr,
                 p->name, write ? "ignored" : "reads 0");
}

static void warn_unmodeled(struct machine *m, const struct periph *p)
{
    uint8_t *w = &m->periph_warned[periph_index(m, p)];
    if (*w & WARN_UNMODELED)
        return;
    *w |= WARN_UNMODELED;
    machine_warn(m, "unmodeled peripheral %s", p->name);
}

static void trace(struct machine *m, const struct periph *p, int write, uint32_t addr,
                  unsigned size, uint32_t value)
{
    if (m->trace & TRACE_MMIO)
        emu_log(machine_now_ns(m), "mmio: %c%u %s+0x%03x = 0x%08x", write ? 'W' : 'R', size,
                p->name, addr - p->base, value);
}

/* ---- polling detection and exact time jumps ---- */

static void note_write(struct machine *m)
{
    m->poll_epoch++;
    m->poll_streak = 0;
}

/* A value that differs from the last one read there means the loop saw progress. */
static void poll_note_value(struct machine *m, struct poll_site *site, uint32_t value, int time_reg)
{
    if (!site)
        return;
    if (site->last_value != value && !time_reg)
        m->poll_streak = 0;
    site->last_value = value;
}

/* The firmware is in a loop that re-reads this register: skip whole iterations up to the
 * first one at or after the next event of any model. Exact: every skipped iteration would
 * have read the same values (nothing changes before the event, and the loop reads no
 * free-running counter), and the block leaves no state behind (loop_block_skippable), so the
 * CPU continues as it would have after those iterations, at the same cycle and instruction
 * count. */
/* The next event of any model, lazy ones included. A lazy model (OTG_FS) is advanced only when
 * it is accessed, so its event may already be due: advance the models to now first, as the
 * lazy model's next access would (the polling loop does not read it, so it sees nothing
 * earlier or later than it would have). */
static uint64_t next_event_after_now(struct machine *m)
{
    uint64_t next = machine_next_event_ns(m);
    if (next != TIME_NEVER && next <= machine_now_ns(m)) {
        machine_process_events(m);
        next = machine_next_event_ns(m);
    }
    return next;
}

static void poll_jump(struct machine *m, struct poll_site *site, uint64_t prev_insns,
                      uint64_t prev_next)
{
    uint64_t period = site->cycle_interval; /* cycles per iteration; site->interval: insns */
    if (m->no_time_jumps || m->time_read_insns >= prev_insns)
        return;
    /* An event may have come due since the previous read: this read must see it first. */
    if (prev_next == TIME_NEVER || m->cycles + 1 >= machine_ns_to_cycles(m, prev_next))
        return;
    if (site->skippable < 0)
        site->skippable = loop_block_skippable(m, site->block, site->interval);
    if (!site->skippable)
        return;
    uint64_t next = next_event_after_now(m);
    if (next == TIME_NEVER)
        return;
    /* Events in cycles (SysTick) are reported at the next whole ns, which can be one cycle
     * late: aim one cycle early. A jump that falls short is harmless (the loop runs on and
     * jumps again); one that overshoots would not be. The read lands at or before the target:
     * the loop's other reads happen at their own cycles within the iteration (cpu.c), so in
     * the iteration before a later landing one of them could already have seen the event. */
    uint64_t target = machine_ns_to_cycles(m, next) - 1;
    if (target <= m->cycles)
        return;
    uint64_t n = (target - m->cycles) / period;
    if (n == 0)
        return;
    uint64_t before = machine_now_ns(m);
    m->cycles += n * period;
    m->insns += n * site->interval;
    site->last_insns = m->insns;
    site->last_cycles = m->cycles;
    m->jumps++;
    m->jumped_ns += machine_now_ns(m) - before;
    machine_process_events(m);
}

static struct poll_site *poll_check(struct machine *m, uint32_t addr)
{
    struct poll_site *site = NULL;
    for (unsigned i = 0; i < 4; i++)
        if (m->poll[i].addr == addr && m->poll[i].block == m->cur_block) {
            site = &m->poll[i];
            break;
        }
    if (!site) {
        site = &m->poll[m->poll_next++ & 3u];
        site->addr = addr;
        site->block = m->cur_block;
        site->last_insns = m->insns;
        site->last_cycles = m->cycles;
        site->interval = UINT64_MAX;
        site->cycle_interval = UINT64_MAX;
        site->epoch = m->poll_epoch;
        site->last_value = 0;
        site->skippable = -1;
        site->next_at_read = TIME_NEVER;
        m->poll_streak = 0;
        return site;
    }
    uint64_t interval = m->insns - site->last_insns;
    uint64_t prev_insns = site->last_insns;
    /* The same instructions and cycles as the iteration before. The simple cycle model also
     * asks for one cycle per instruction: no stall (CRC, flash) inside the loop. Under the m4
     * model (cycles.c) an iteration's cost includes its branch refill and, in a steady loop,
     * the same cache hits: two equal intervals in a row make every further iteration equal. */
    uint64_t cycle_interval = m->cycles - site->last_cycles;
    int same = site->epoch == m->poll_epoch && interval == site->interval &&
               (m->cyc ? cycle_interval == site->cycle_interval : cycle_interval == interval);
    site->cycle_interval = cycle_interval;
    if (interval != site->interval)
        site->skippable = -1;
    site->interval = interval;
    site->last_insns = m->insns;
    site->last_cycles = m->cycles;
    site->epoch = m->poll_epoch;
    uint64_t prev_next = site->next_at_read;
    site->next_at_read = TIME_NEVER;
    if (!same) {
        m->poll_streak = 0;
        return site;
    }
    /* Only a candidate loop pays for the next-event time. */
    if (++m->poll_streak >= POLL_START - 1 && !m->no_time_jumps &&
        m->time_read_insns < prev_insns) {
        if (site->skippable < 0)
            site->skippable = loop_block_skippable(m, site->block, interval);
        if (!site->skippable)
            return site;
        if (m->poll_streak >= POLL_START)
            poll_jump(m, site, prev_insns, prev_next);
        site->next_at_read = next_event_after_now(m);
    }
    return site;
}

/* ---- register access through the table ---- */

/* A reserved address: the bus answers with an error, a BusFault for the CPU. */
static int reserved(struct machine *m, uint32_t addr, int write)
{
    machine_bus_error(m, addr, write,
                      write ? "bus fault: write to a reserved address"
                            : "bus fault: read of a reserved address");
    return -1;
}

/* The access itself: clock gate, handler, byte extraction. */
static int periph_read(struct machine *m, const struct periph *p, uint32_t addr, unsigned size,
                       uint32_t *value)
{
    uint32_t off = addr - p->base;
    if (!periph_clocked(m, p)) {
        warn_unclocked(m, p, addr, 0);
        *value = 0;
        return 0;
    }
    if (p->ops->flags & PERIPH_UNMODELED)
        warn_unmodeled(m, p);
    if (p->ops->flags & PERIPH_RAW) {
        int rc = p->ops->read(m, p, off, size, value);
        trace(m, p, 0, addr, size, *value);
        return rc;
    }
    uint32_t v = 0;
    if (p->ops->read(m, p, off & ~3u, 4, &v) != 0) {
        *value = 0;
        return -1;
    }
    v >>= 8u * (addr & 3u);
    if (size < 4)
        v &= (1u << (8u * size)) - 1u;
    *value = v;
    trace(m, p, 0, addr, size, v);
    return 0;
}

static int read_polled(struct machine *m, const struct periph *p, uint32_t addr, uint32_t poll_addr,
                       unsigned size, uint32_t *value, uint32_t bit)
{
    unsigned flags = reg_flags(p, (addr - p->base) & ~3u);
    struct poll_site *site = NULL;
    if (flags & REG_TIME)
        m->time_read_insns = m->insns;
    if (flags & REG_READ_SIDE_EFFECT)
        note_write(m);
    else
        site = poll_check(m, poll_addr);
    int rc = periph_read(m, p, addr, size, value);
    if (bit < 32)
        *value = (*value >> bit) & 1u;
    poll_note_value(m, site, *value, (flags & REG_TIME) != 0);
    return rc;
}

static int periph_write(struct machine *m, const struct periph *p, uint32_t addr, unsigned size,
                        uint32_t value)
{
    uint32_t off = addr - p->base;
    if (!periph_clocked(m, p)) {
        warn_unclocked(m, p, addr, 1);
        return 0;
    }
    if (p->ops->flags & PERIPH_UNMODELED)
        warn_unmodeled(m, p);
    trace(m, p, 1, addr, size, value);
    int rc;
    unsigned flags = reg_flags(p, off & ~3u);
    if ((p->ops->flags & PERIPH_RAW) || (flags & REG_WORD_ONLY)) {
        rc = p->ops->write(m, p, (p->ops->flags & PERIPH_RAW) ? off : off & ~3u, size, value);
    } else {
        uint32_t v = value;
        if (size < 4) {
            unsigned shift = 8u * (addr & 3u);
            uint32_t mask = ((1u << (8u * size)) - 1u) << shift;
            uint32_t old = 0;
            if (!(flags & REG_NO_MERGE)) {
                uint32_t saved = m->poll_streak;
                read_polled(m, p, addr & ~3u, addr & ~3u, 4, &old, 32);
                m->poll_streak = saved;
            }
            v = (old & ~mask) | ((value << shift) & mask);
        }
        rc = p->ops->write(m, p, off & ~3u, size, v);
    }
    machine_update_deadline(m);
    return rc;
}

/* ---- bit-band ---- */

/* Alias address -> target address and bit for an access of size bytes: the target is
 * accessed with the alias access's size (Cortex-M4 TRM 3.7), so the bit lies within it. */
static int bitband(uint32_t addr, unsigned size, uint32_t *target, uint32_t *bit)
{
    uint32_t region;
    if (addr - SRAM_BB_ALIAS < BB_ALIAS_SIZE)
        region = SRAM_BASE;
    else if (addr - PERIPH_BB_ALIAS < BB_ALIAS_SIZE)
        region = PERIPH_BASE;
    else
        return 0;
    uint32_t off = addr - (region == SRAM_BASE ? SRAM_BB_ALIAS : PERIPH_BB_ALIAS);
    uint32_t byte = region + off / 32u;
    uint32_t bitnum = (off / 4u) & 7u;
    *target = byte & ~(size - 1u);
    *bit = (byte - *target) * 8u + bitnum;
    return 1;
}

static int sram_bitband(struct machine *m, uint32_t addr, uint32_t target, uint32_t bit,
                        unsigned size, int write, uint32_t *value)
{
    uint32_t off = target - SRAM_BASE;
    if (off >= m->board->sram_size)
        return reserved(m, addr, write);
    uint8_t *b = &m->sram[off + bit / 8u];
    (void)size;
    if (!write) {
        *value = (*b >> (bit % 8u)) & 1u;
        return 0;
    }
    note_write(m);
    if (*value & 1u)
        *b = (uint8_t)(*b | (1u << (bit % 8u)));
    else
        *b = (uint8_t)(*b & ~(1u << (bit % 8u)));
    return 0;
}

int bus_read(struct machine *m, uint32_t addr, unsigned size, uint32_t *value)
{
    uint32_t target, bit;
    *value = 0;
    if (bitband(addr, size, &target, &bit)) {
        if (target < PERIPH_BASE)
            return sram_bitband(m, addr, target, bit, size, 0, value);
        const struct periph *p = bus_find(m, target);
        if (!p)
            return reserved(m, addr, 0);
        return read_polled(m, p, target, addr, size, value, bit);
    }
    const struct periph *p = bus_find(m, addr);
    if (!p)
        return reserved(m, addr, 0);
    return read_polled(m, p, addr, addr & ~3u, size, value, 32);
}

int bus_write(struct machine *m, uint32_t addr, unsigned size, uint32_t value)
{
    uint32_t target, bit;
    note_write(m);
    if (bitband(addr, size, &target, &bit)) {
        if (target < PERIPH_BASE)
            return sram_bitband(m, addr, target, bit, size, 1, &value);
        const struct periph *p = bus_find(m, target);
        if (!p)
            return reserved(m, addr, 1);
        /* An atomic read-modify-write of the target (PM0214 2.2.5): the read and the write
         * both reach the peripheral, with their side effects. */
        uint32_t old = 0;
        if (periph_read(m, p, target, size, &old) != 0)
            return -1;
        uint32_t v = (value & 1u) ? old | (1u << bit) : old & ~(1u << bit);
        return periph_write(m, p, target, size, v);
    }
    const struct periph *p = bus_find(m, addr);
    if (!p)
        return reserved(m, addr, 1);
    return periph_write(m, p, addr, size, value);
}

int bus_dma_access(struct machine *m, uint32_t addr, unsigned size, int write, uint32_t *value)
{
    const struct periph *p = bus_find(m, addr);
    if (!p)
        return -1;
    note_write(m); /* the firmware's polling loop may see a change */
    return write ? periph_write(m, p, addr, size, *value) : periph_read(m, p, addr, size, value);
}

void bus_flash_store(struct machine *m, uint32_t addr, unsigned size, uint32_t value)
{
    note_write(m);
    if (addr - FLASH_BASE < m->flash.size)
        flash_store(m, addr - FLASH_BASE, size, value);
    else if (addr < m->flash.size)
        flash_store(m, addr, size, value); /* boot alias of the flash at 0 */
    else if (addr - OTP_PAGE_BASE < OTP_PAGE_SIZE)
        flash_otp_store(m, addr - OTP_PAGE_BASE, size, value);
    else
        machine_fault(m, m->cur_block, 1, addr, "write to read-only memory");
}
