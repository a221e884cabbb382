/* Address decode for the memory-mapped registers, clock gating, and polling detection: a
 * firmware reading the same register from the same code with nothing else happening makes
 * virtual time jump towards the next event. */
#include "log.h"
#include "machine.h"

#define POLL_START          2       /* reads of one loop before time starts jumping */
#define POLL_QUANTUM_MAX_NS 1000000 /* 1 ms */

enum periph {
    P_NONE,
    P_GPIO,
    P_CRC,
    P_RCC,
    P_FLASH,
    P_USART2,
    P_PWR,
    P_IWDG,
    P_OTG,
    P_PPB,
};

static enum periph decode(uint32_t addr, uint32_t *off, int *port)
{
    if (addr >= 0x40020000u && addr < 0x40022400u) {
        *port = (int)((addr - 0x40020000u) / 0x400u);
        *off = addr & 0x3FFu;
        return P_GPIO;
    }
    *off = addr & 0x3FFu;
    if ((addr & ~0x3FFu) == 0x40023000u)
        return P_CRC;
    if ((addr & ~0x3FFu) == 0x40023800u)
        return P_RCC;
    if ((addr & ~0x3FFu) == 0x40023C00u)
        return P_FLASH;
    if ((addr & ~0x3FFu) == 0x40004400u)
        return P_USART2;
    if ((addr & ~0x3FFu) == 0x40007000u)
        return P_PWR;
    if ((addr & ~0x3FFu) == 0x40003000u)
        return P_IWDG;
    if (addr - OTG_FS_BASE_ADDR < OTG_FS_SPAN) {
        *off = addr - OTG_FS_BASE_ADDR;
        return P_OTG;
    }
    if (addr >= 0xE0000000u && addr < 0xE0100000u) {
        *off = addr;
        return P_PPB;
    }
    return P_NONE;
}

static int clocked(struct machine *m, enum periph p, int port)
{
    switch (p) {
    case P_GPIO:
        return rcc_gpio_clocked(m, port);
    case P_CRC:
        return rcc_crc_clocked(m);
    case P_USART2:
        return rcc_usart2_clocked(m);
    case P_PWR:
        return rcc_pwr_clocked(m);
    default:
        return 1;
    }
}

static void warn_unclocked(struct machine *m, enum periph p, int port, uint32_t addr, int write)
{
    static const char *const names[] = {"", "GPIO", "CRC", "", "", "USART2", "PWR"};
    unsigned bit = p == P_GPIO ? (unsigned)port : 8u + (unsigned)p;
    if (m->gated_warned & (1u << bit))
        return;
    m->gated_warned |= 1u << bit;
    machine_warn(m, "%s at 0x%08x with the %s%s clock off: %s", write ? "write" : "read", addr,
                 names[p], p == P_GPIO ? (const char[]){(char)('A' + port), 0} : "",
                 write ? "ignored" : "reads 0");
}

/* Reads with a side effect are no polling; they count like writes. */
static int read_has_side_effect(enum periph p, uint32_t off)
{
    if (p == P_OTG)
        return off == 0x20 || off >= 0x1000;
    if (p == P_USART2)
        return off == 0x04;
    return 0;
}

static void note_write(struct machine *m)
{
    m->poll_epoch++;
    m->poll_streak = 0;
}

/* Free-running counters: a new value there is time passing, not progress. */
static int is_time_register(uint32_t addr)
{
    return addr == 0xE0001004u || addr == 0xE000E018u || addr == OTG_FS_BASE_ADDR + 0x408u;
}

/* A value that differs from the last one read there means the loop saw progress: the next
 * reads start again from the smallest time step. */
static void poll_note_value(struct machine *m, struct poll_site *site, uint32_t value)
{
    if (!site)
        return;
    if (site->last_value != value && !is_time_register(site->addr))
        m->poll_streak = 0;
    site->last_value = value;
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
        site->interval = UINT64_MAX;
        site->epoch = m->poll_epoch;
        site->last_value = 0;
        m->poll_streak = 0;
        return site;
    }
    uint64_t interval = m->insns - site->last_insns;
    int same = site->epoch == m->poll_epoch && interval == site->interval;
    site->interval = interval;
    site->last_insns = m->insns;
    site->epoch = m->poll_epoch;
    if (!same) {
        m->poll_streak = 0;
        return site;
    }
    if (++m->poll_streak < POLL_START)
        return site;
    unsigned shift = m->poll_streak - POLL_START;
    uint64_t quantum = shift >= 10 ? POLL_QUANTUM_MAX_NS : (NS_PER_US << shift);
    if (quantum > POLL_QUANTUM_MAX_NS)
        quantum = POLL_QUANTUM_MAX_NS;
    uint64_t now = machine_now_ns(m);
    uint64_t next = machine_next_event_ns(m);
    uint64_t target = now + quantum < next ? now + quantum : next;
    if (target > now)
        machine_advance_to(m, target);
    if (target == next) {
        /* An event happened: the loop must see its effect before time may jump again. Without
         * this, a read of another register of the same loop (not yet re-read since the
         * event) would jump on by a whole quantum past data that is already there. */
        m->poll_epoch++;
        m->poll_streak = 0;
    }
    return site;
}

static int read_register(struct machine *m, enum periph p, int port, uint32_t addr, uint32_t off,
                         unsigned size, uint32_t *value);

int bus_read(struct machine *m, uint32_t addr, unsigned size, uint32_t *value)
{
    uint32_t off = 0;
    int port = 0;
    uint32_t word_addr = addr & ~3u;
    enum periph p = decode(addr, &off, &port);
    if (p == P_NONE) {
        machine_fault(m, m->cur_block, 1, addr, "read of an unmodeled peripheral address");
        *value = 0;
        return -1;
    }
    struct poll_site *site = NULL;
    if (read_has_side_effect(p, off))
        note_write(m);
    else
        site = poll_check(m, word_addr);
    int rc = read_register(m, p, port, addr, off, size, value);
    poll_note_value(m, site, *value);
    return rc;
}

static int read_register(struct machine *m, enum periph p, int port, uint32_t addr, uint32_t off,
                         unsigned size, uint32_t *value)
{
    uint32_t word_addr = addr & ~3u;
    if (!clocked(m, p, port)) {
        warn_unclocked(m, p, port, addr, 0);
        *value = 0;
        return 0;
    }
    uint32_t word_off = off & ~3u;
    uint32_t v = 0;
    switch (p) {
    case P_GPIO:
        v = gpio_read(m, port, word_off);
        break;
    case P_CRC:
        v = crc_read(m, word_off);
        break;
    case P_RCC:
        rcc_advance(m, machine_now_ns(m));
        v = rcc_read(m, word_off);
        break;
    case P_FLASH:
        flash_advance(m, machine_now_ns(m));
        v = flash_reg_read(m, word_off);
        break;
    case P_USART2:
        v = usart_read(m, word_off);
        break;
    case P_PWR:
        v = pwr_read(m, word_off);
        break;
    case P_IWDG:
        v = iwdg_read(m, word_off);
        break;
    case P_OTG: {
        uint64_t now = machine_now_ns(m);
        otg_advance(m->otg, now);
        *value = otg_read(m->otg, off, size, now);
        machine_irq_line(m, 67, otg_irq_level(m->otg)); /* OTG_FS, RM0090 table 61 */
        machine_update_deadline(m);
        return 0;
    }
    case P_PPB:
        if (cortex_read(m, word_addr, &v) != 0) {
            machine_fault(m, m->cur_block, 1, addr, "read of an unmodeled system register");
            *value = 0;
            return -1;
        }
        break;
    case P_NONE:
        break;
    }
    v >>= 8u * (addr & 3u);
    if (size < 4)
        v &= (1u << (8u * size)) - 1u;
    *value = v;
    return 0;
}

/* Registers where a narrow write must not merge the other bytes from a read. */
static int write_only_or_w1c(enum periph p, uint32_t word_off)
{
    return (p == P_GPIO && word_off == 0x18) ||
           (p == P_FLASH && (word_off == 0x04 || word_off == 0x08 || word_off == 0x0C)) ||
           (p == P_IWDG && word_off == 0x00) || (p == P_RCC && word_off == 0x74);
}

int bus_write(struct machine *m, uint32_t addr, unsigned size, uint32_t value)
{
    uint32_t off = 0;
    int port = 0;
    enum periph p = decode(addr, &off, &port);
    note_write(m);
    if (p == P_NONE) {
        machine_fault(m, m->cur_block, 1, addr, "write to an unmodeled peripheral address");
        return -1;
    }
    if (!clocked(m, p, port)) {
        warn_unclocked(m, p, port, addr, 1);
        return 0;
    }
    if (p == P_OTG) {
        uint64_t now = machine_now_ns(m);
        otg_advance(m->otg, now);
        otg_write(m->otg, off, value, size, now);
        machine_irq_line(m, 67, otg_irq_level(m->otg));
        machine_update_deadline(m);
        return 0;
    }
    if (p == P_CRC && (off & ~3u) == 0 && (size != 4 || (addr & 3u))) {
        machine_fault(m, m->cur_block, 1, addr, "CRC_DR written with a %u-byte access", size);
        return -1;
    }
    uint32_t word_off = off & ~3u;
    uint32_t word_addr = addr & ~3u;
    uint32_t v = value;
    if (size < 4) {
        unsigned shift = 8u * (addr & 3u);
        uint32_t mask = ((1u << (8u * size)) - 1u) << shift;
        uint32_t old = 0;
        if (!write_only_or_w1c(p, word_off)) {
            uint32_t saved = m->poll_streak;
            bus_read(m, word_addr, 4, &old);
            m->poll_streak = saved;
        }
        v = (old & ~mask) | ((value << shift) & mask);
    }
    switch (p) {
    case P_GPIO:
        gpio_write(m, port, word_off, v);
        break;
    case P_CRC:
        crc_write(m, word_off, 4, v);
        break;
    case P_RCC:
        rcc_advance(m, machine_now_ns(m));
        rcc_write(m, word_off, v);
        break;
    case P_FLASH:
        flash_advance(m, machine_now_ns(m));
        if (flash_reg_write(m, word_off, v) != 0) {
            machine_bus_error(m, addr, 1, "bus error on a flash key register (wrong sequence)");
            return -1;
        }
        break;
    case P_USART2:
        usart_write(m, word_off, v);
        break;
    case P_PWR:
        pwr_write(m, word_off, v);
        break;
    case P_IWDG:
        iwdg_write(m, word_off, v);
        break;
    case P_PPB:
        if (cortex_write(m, word_addr, v) != 0) {
            machine_fault(m, m->cur_block, 1, addr, "write to an unmodeled system register");
            return -1;
        }
        break;
    default:
        break;
    }
    machine_update_deadline(m);
    return 0;
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
