/* RCC and PWR (RM0090 sections 5 and 7): oscillators with start-up delays, the main PLL with
 * its valid ranges, the SYSCLK switch, bus prescalers, enables, resets and reset flags. */
#include <stdio.h>

#include "log.h"
#include "machine.h"

#define HSI_HZ         16000000u
#define HSE_STARTUP_NS (2 * NS_PER_MS)
#define PLL_LOCK_NS    (100 * NS_PER_US)

#define CR_HSION        (1u << 0)
#define CR_HSIRDY       (1u << 1)
#define CR_HSITRIM_MASK (0x1Fu << 3)
#define CR_HSEON        (1u << 16)
#define CR_HSERDY       (1u << 17)
#define CR_HSEBYP       (1u << 18)
#define CR_CSSON        (1u << 19)
#define CR_PLLON        (1u << 24)
#define CR_PLLRDY       (1u << 25)
#define CR_PLLI2SON     (1u << 26)
#define CR_PLLI2SRDY    (1u << 27)
#define PLLCFGR_SRC_HSE (1u << 22)
#define CSR_LSION       (1u << 0)
#define CSR_LSIRDY      (1u << 1)
#define CSR_RMVF        (1u << 24)
#define CSR_FLAGS       0xFE000000u

#define AHB2_OTGFS       (1u << 7)
#define AHB1_OTGHS       (1u << 29)
#define AHB1_OTGHSULPILP (1u << 30)

#define PWR_CR_VOS     (1u << 14)
#define PWR_CSR_VOSRDY (1u << 14)

static void update_clocks(struct machine *m);

void rcc_set_reset_flag(struct machine *m, uint32_t flag)
{
    m->rcc.csr |= flag;
}

void rcc_reset(struct machine *m, int power_on)
{
    struct rcc_model *r = &m->rcc;
    uint32_t flags =
        power_on ? (RCC_CSR_PORRSTF | RCC_CSR_BORRSTF | RCC_CSR_PINRSTF) : (r->csr & CSR_FLAGS);
    r->cr = 0x00000083u; /* HSION, HSIRDY, HSITRIM=16; HSICAL reads 0 here */
    r->pllcfgr = 0x24003010u;
    r->cfgr = 0;
    r->cir = 0;
    r->ahb1rstr = r->ahb2rstr = r->ahb3rstr = r->apb1rstr = r->apb2rstr = 0;
    r->ahb1enr = 0x00100000u; /* CCMDATARAMEN */
    r->ahb2enr = r->ahb3enr = r->apb1enr = r->apb2enr = 0;
    r->ahb1lpenr = 0x7E6791FFu;
    r->ahb2lpenr = 0x000000F1u;
    r->ahb3lpenr = 0x00000001u;
    r->apb1lpenr = 0x36FEC9FFu;
    r->apb2lpenr = 0x00075F33u;
    if (power_on)
        r->bdcr = 0; /* backup domain: kept across a system reset */
    r->csr = flags;
    r->sscgr = 0;
    r->plli2scfgr = 0x20003000u;
    r->hse_ready_ns = TIME_NEVER;
    r->pll_ready_ns = TIME_NEVER;
    r->sws = 0;
    r->warned_pllcfg = 0;
    r->warned_ulpilp = 0;
    machine_set_hclk(m, HSI_HZ);
}

static uint32_t pll_source_hz(const struct machine *m)
{
    return (m->rcc.pllcfgr & PLLCFGR_SRC_HSE) ? m->board->hse_hz : HSI_HZ;
}

/* VCO output in Hz, or 0 when the configuration is outside RM0090's ranges. */
static uint64_t pll_vco_hz(const struct machine *m, const char **why)
{
    uint32_t c = m->rcc.pllcfgr;
    uint32_t pm = c & 0x3Fu, pn = (c >> 6) & 0x1FFu, pq = (c >> 24) & 0xFu;
    if (pm < 2) {
        *why = "PLLM below 2";
        return 0;
    }
    uint64_t in = pll_source_hz(m) / pm;
    if (in < 1000000u || in > 2000000u) {
        *why = "PLL input outside 1-2 MHz";
        return 0;
    }
    if (pn < 50 || pn > 432) {
        *why = "PLLN outside 50-432";
        return 0;
    }
    uint64_t vco = (uint64_t)pll_source_hz(m) * pn / pm;
    if (vco < m->board->chip->vco_min_hz || vco > 432000000u) {
        *why = m->board->chip->vco_min_hz == 100000000u ? "VCO outside 100-432 MHz"
                                                        : "VCO outside 192-432 MHz";
        return 0;
    }
    if (pq < 2) {
        *why = "PLLQ below 2";
        return 0;
    }
    return vco;
}

static uint32_t pll_p(const struct machine *m)
{
    return 2u * (((m->rcc.pllcfgr >> 16) & 3u) + 1u);
}

static uint32_t source_hz(const struct machine *m, int src)
{
    const char *why;
    if (src == 1)
        return m->board->hse_hz;
    if (src == 2)
        return (uint32_t)(pll_vco_hz(m, &why) / pll_p(m));
    return HSI_HZ;
}

uint32_t rcc_sysclk_hz(const struct machine *m)
{
    return source_hz(m, m->rcc.sws);
}

uint32_t rcc_hclk_hz(const struct machine *m)
{
    static const uint16_t hpre_div[8] = {2, 4, 8, 16, 64, 128, 256, 512};
    uint32_t hpre = (m->rcc.cfgr >> 4) & 0xFu;
    uint32_t div = hpre & 8u ? hpre_div[hpre & 7u] : 1u;
    return rcc_sysclk_hz(m) / div;
}

static uint32_t apb_div(uint32_t ppre)
{
    return ppre & 4u ? 2u << (ppre & 3u) : 1u;
}

uint32_t rcc_pclk1_hz(const struct machine *m)
{
    return rcc_hclk_hz(m) / apb_div((m->rcc.cfgr >> 10) & 7u);
}

static int source_ready(const struct machine *m, int src)
{
    if (src == 1)
        return (m->rcc.cr & CR_HSERDY) != 0;
    if (src == 2)
        return (m->rcc.cr & CR_PLLRDY) != 0;
    return (m->rcc.cr & CR_HSIRDY) != 0;
}

static void schedule_pll(struct machine *m)
{
    struct rcc_model *r = &m->rcc;
    if (!(r->cr & CR_PLLON) || (r->cr & CR_PLLRDY))
        return;
    r->pll_ready_ns = TIME_NEVER;
    const char *why = "";
    if (pll_vco_hz(m, &why) == 0) {
        if (!r->warned_pllcfg) {
            r->warned_pllcfg = 1;
            machine_warn(m, "PLL will not lock: %s (PLLCFGR=0x%08x)", why, r->pllcfgr);
        }
        return;
    }
    uint64_t src_ready;
    if (r->pllcfgr & PLLCFGR_SRC_HSE) {
        if (!(r->cr & CR_HSEON))
            return; /* no input clock */
        src_ready = (r->cr & CR_HSERDY) ? 0 : r->hse_ready_ns;
    } else {
        src_ready = 0; /* HSI is on whenever the PLL may use it */
    }
    if (src_ready == TIME_NEVER)
        return;
    uint64_t now = machine_now_ns(m);
    r->pll_ready_ns = (src_ready > now ? src_ready : now) + PLL_LOCK_NS;
}

/* OTG_FS: RCC_AHB2ENR.OTGFSEN; OTG_HS: RCC_AHB1ENR.OTGHSEN (RM0090 7.3.10, 7.3.11). With a
 * full-speed PHY both need the 48 MHz PLL48CK. */
static void update_one_otg_clock(struct machine *m, int hs)
{
    struct rcc_model *r = &m->rcc;
    int *was;
    struct otg_model *o = machine_otg(m, hs, &was);
    int clocked = 0;
    int enabled = hs ? (r->ahb1enr & AHB1_OTGHS) && !(r->ahb1rstr & AHB1_OTGHS)
                     : (r->ahb2enr & AHB2_OTGFS) && !(r->ahb2rstr & AHB2_OTGFS);
    /* The ULPI clock must not run in Sleep mode while the embedded PHY is used (RM0090
     * RCC_AHB1LPENR.OTGHSULPILPEN; docs/emulator-otg.md "Two cores"). Sleep is not modeled for
     * USB: the rule is checked whenever the core is clocked for the board's port. */
    if (hs && enabled && o == m->otg && (r->ahb1lpenr & AHB1_OTGHSULPILP) && !r->warned_ulpilp) {
        r->warned_ulpilp = 1;
        machine_warn(m, "OTG_HS with the embedded PHY but RCC_AHB1LPENR.OTGHSULPILPEN set: "
                        "USB stops in Sleep mode");
    }
    if (enabled && (r->cr & CR_PLLRDY)) {
        const char *why;
        uint64_t vco = pll_vco_hz(m, &why);
        uint32_t q = (r->pllcfgr >> 24) & 0xFu;
        uint64_t usb = q ? vco / q : 0;
        /* USB needs 48 MHz within 0.25 % */
        clocked = usb >= 47880000u && usb <= 48120000u;
        if (!clocked && !r->warned_pllcfg) {
            r->warned_pllcfg = 1;
            machine_warn(m, "%s enabled but PLL48CK is %llu Hz, not 48 MHz",
                         hs ? "OTG_HS" : "OTG_FS", (unsigned long long)usb);
        }
    }
    if (clocked != *was) {
        *was = clocked;
        otg_set_clocked(o, clocked);
        if (clocked) {
            /* A PLL fed from HSI carries HSI's error: +-1 % at 25 C (DS8626, HSI oscillator
             * characteristics), four times USB's +-0.25 %. Strict reading: the worst case. */
            const char *why;
            uint64_t usb = pll_vco_hz(m, &why) / ((r->pllcfgr >> 24) & 0xFu);
            if (!(r->pllcfgr & PLLCFGR_SRC_HSE))
                usb += usb / 100;
            otg_set_phy_clock_hz(o, (uint32_t)usb);
        }
    }
}

static void update_otg_clock(struct machine *m)
{
    update_one_otg_clock(m, 0);
    update_one_otg_clock(m, 1);
}

static void update_clocks(struct machine *m)
{
    struct rcc_model *r = &m->rcc;
    bus_clock_sync(m);
    int sw = (int)(r->cfgr & 3u);
    if (sw != 3 && sw != r->sws && source_ready(m, sw)) {
        r->sws = sw;
        emu_log(machine_now_ns(m), "rcc: SYSCLK from %s, %u Hz",
                sw == 0   ? "HSI"
                : sw == 1 ? "HSE"
                          : "PLL",
                source_hz(m, sw));
    }
    uint32_t hclk = rcc_hclk_hz(m);
    if (hclk != m->hclk_hz) {
        if (hclk > flash_max_hclk(m))
            machine_fault(m, m->cur_block, 0, 0,
                          "flash wait states too low: HCLK %u Hz needs more than %u WS", hclk,
                          m->flash.acr & 7u);
        const struct chip *chip = m->board->chip;
        if (hclk > chip->max_hclk_hz)
            machine_warn(m, "HCLK %u Hz above the chip's maximum %u Hz", hclk, chip->max_hclk_hz);
        uint32_t vos = (r->pwr_cr >> 14) & (chip->vos_two_bits ? 3u : 1u);
        if (hclk > chip->vos_max_hz[vos])
            machine_warn(m, "HCLK %u Hz above the %u Hz PWR_CR.VOS=%u allows", hclk,
                         chip->vos_max_hz[vos], vos);
        uint32_t p1 = hclk / apb_div((r->cfgr >> 10) & 7u);
        uint32_t p2 = hclk / apb_div((r->cfgr >> 13) & 7u);
        if (p1 > chip->apb1_max_hz || p2 > chip->apb2_max_hz)
            machine_warn(m, "APB clock too fast: PCLK1 %u Hz, PCLK2 %u Hz", p1, p2);
        machine_set_hclk(m, hclk);
    }
    update_otg_clock(m);
    bus_clock_sync(m);
}

void rcc_advance(struct machine *m, uint64_t now_ns)
{
    struct rcc_model *r = &m->rcc;
    int changed = 0;
    if (r->hse_ready_ns <= now_ns) {
        r->hse_ready_ns = TIME_NEVER;
        r->cr |= CR_HSERDY;
        changed = 1;
        schedule_pll(m);
    }
    if (r->pll_ready_ns <= now_ns) {
        r->pll_ready_ns = TIME_NEVER;
        r->cr |= CR_PLLRDY;
        changed = 1;
    }
    if (changed || (int)(r->cfgr & 3u) != r->sws)
        update_clocks(m);
}

uint64_t rcc_next_event_ns(const struct machine *m)
{
    return m->rcc.hse_ready_ns < m->rcc.pll_ready_ns ? m->rcc.hse_ready_ns : m->rcc.pll_ready_ns;
}

static int clock_in_use(const struct machine *m, int src)
{
    if (m->rcc.sws == src)
        return 1;
    if (src == 2)
        return 0;
    int pll_src = (m->rcc.pllcfgr & PLLCFGR_SRC_HSE) ? 1 : 0;
    return (m->rcc.cr & CR_PLLON) && m->rcc.sws == 2 && pll_src == src;
}

static void write_cr(struct machine *m, uint32_t v)
{
    struct rcc_model *r = &m->rcc;
    uint32_t old = r->cr;
    uint32_t next = old;
    next = (next & ~CR_HSITRIM_MASK) | (v & CR_HSITRIM_MASK);
    /* HSI */
    if (v & CR_HSION)
        next |= CR_HSION | CR_HSIRDY;
    else if (!clock_in_use(m, 0) && !((old & CR_PLLON) && !(r->pllcfgr & PLLCFGR_SRC_HSE)))
        next &= ~(CR_HSION | CR_HSIRDY);
    /* HSE: HSEBYP only while HSE is off */
    if (!(old & CR_HSEON))
        next = (next & ~CR_HSEBYP) | (v & CR_HSEBYP);
    else if ((v & CR_HSEBYP) != (old & CR_HSEBYP))
        machine_warn(m, "RCC_CR.HSEBYP changed while HSE is on: ignored");
    if ((v & CR_HSEON) && !(old & CR_HSEON)) {
        next |= CR_HSEON;
        int bypass = (next & CR_HSEBYP) != 0;
        if (m->board->hse_hz == 0 || m->no_hse)
            r->hse_ready_ns = TIME_NEVER; /* no crystal or clock on this board */
        else if (bypass != m->board->hse_bypass) {
            r->hse_ready_ns = TIME_NEVER;
            machine_warn(m, "HSE %s but the board has %s: HSE will not start",
                         bypass ? "bypassed" : "in crystal mode",
                         m->board->hse_bypass ? "an external clock" : "a crystal");
        } else
            r->hse_ready_ns = machine_now_ns(m) + HSE_STARTUP_NS;
    } else if (!(v & CR_HSEON) && (old & CR_HSEON)) {
        if (clock_in_use(m, 1) ||
            ((old & CR_PLLON) && (r->pllcfgr & PLLCFGR_SRC_HSE) && r->sws == 2)) {
            /* hardware keeps a clock that is in use */
        } else {
            next &= ~(CR_HSEON | CR_HSERDY);
            r->hse_ready_ns = TIME_NEVER;
        }
    }
    next = (next & ~CR_CSSON) | (v & CR_CSSON);
    /* PLL */
    if ((v & CR_PLLON) && !(old & CR_PLLON)) {
        next |= CR_PLLON;
    } else if (!(v & CR_PLLON) && (old & CR_PLLON)) {
        if (r->sws != 2) {
            next &= ~(CR_PLLON | CR_PLLRDY);
            r->pll_ready_ns = TIME_NEVER;
        }
    }
    if (v & CR_PLLI2SON)
        next |= CR_PLLI2SON | CR_PLLI2SRDY;
    else
        next &= ~(CR_PLLI2SON | CR_PLLI2SRDY);
    r->cr = next;
    if ((next & CR_PLLON) && !(old & CR_PLLON))
        r->warned_pllcfg = 0;
    schedule_pll(m);
    update_clocks(m);
}

uint32_t rcc_read(struct machine *m, uint32_t off)
{
    struct rcc_model *r = &m->rcc;
    switch (off) {
    case 0x00:
        return r->cr;
    case 0x04:
        return r->pllcfgr;
    case 0x08:
        return (r->cfgr & ~0xCu) | ((uint32_t)r->sws << 2);
    case 0x0C:
        return r->cir;
    case 0x10:
        return r->ahb1rstr;
    case 0x14:
        return r->ahb2rstr;
    case 0x18:
        return r->ahb3rstr;
    case 0x20:
        return r->apb1rstr;
    case 0x24:
        return r->apb2rstr;
    case 0x30:
        return r->ahb1enr;
    case 0x34:
        return r->ahb2enr;
    case 0x38:
        return r->ahb3enr;
    case 0x40:
        return r->apb1enr;
    case 0x44:
        return r->apb2enr;
    case 0x50:
        return r->ahb1lpenr;
    case 0x54:
        return r->ahb2lpenr;
    case 0x58:
        return r->ahb3lpenr;
    case 0x60:
        return r->apb1lpenr;
    case 0x64:
        return r->apb2lpenr;
    case 0x70:
        return r->bdcr;
    case 0x74: {
        uint32_t v = r->csr;
        if (m->iwdg.running) /* the IWDG forces the LSI on */
            v |= CSR_LSION | CSR_LSIRDY;
        return v;
    }
    case 0x80:
        return r->sscgr;
    case 0x84:
        return r->plli2scfgr;
    default:
        return 0;
    }
}

void rcc_write(struct machine *m, uint32_t off, uint32_t v)
{
    struct rcc_model *r = &m->rcc;
    switch (off) {
    case 0x00:
        write_cr(m, v);
        break;
    case 0x04:
        if (r->cr & CR_PLLON) {
            if (v != r->pllcfgr)
                machine_warn(m, "RCC_PLLCFGR written while the PLL is on: ignored");
            break;
        }
        r->pllcfgr = v & 0x0F437FFFu;
        break;
    case 0x08:
        bus_clock_sync(m);
        r->cfgr = v & ~0xCu;
        update_clocks(m);
        break;
    case 0x0C:
        r->cir = v & 0x00001F00u; /* enables; flags are never raised without interrupts */
        break;
    case 0x10:
        r->ahb1rstr = v & 0x22E017FFu;
        bus_reset_rcc(m, 0x10, r->ahb1rstr);
        update_otg_clock(m);
        break;
    case 0x14:
        r->ahb2rstr = v & 0xF1u;
        bus_reset_rcc(m, 0x14, r->ahb2rstr);
        update_otg_clock(m);
        break;
    case 0x18:
        r->ahb3rstr = v & 1u;
        bus_reset_rcc(m, 0x18, r->ahb3rstr);
        break;
    case 0x20:
        r->apb1rstr = v & 0x36FEC9FFu;
        bus_reset_rcc(m, 0x20, r->apb1rstr);
        break;
    case 0x24:
        r->apb2rstr = v & 0x00075933u;
        bus_reset_rcc(m, 0x24, r->apb2rstr);
        break;
    case 0x30:
        r->ahb1enr = v & 0x7E7411FFu;
        update_otg_clock(m);
        break;
    case 0x34:
        r->ahb2enr = v & 0xF1u;
        update_otg_clock(m);
        break;
    case 0x38:
        r->ahb3enr = v & 1u;
        break;
    case 0x40:
        r->apb1enr = v & 0x36FEC9FFu;
        break;
    case 0x44:
        r->apb2enr = v & 0x00075F33u;
        break;
    case 0x50:
        r->ahb1lpenr = v;
        update_otg_clock(m);
        break;
    case 0x54:
        r->ahb2lpenr = v;
        break;
    case 0x58:
        r->ahb3lpenr = v;
        break;
    case 0x60:
        r->apb1lpenr = v;
        break;
    case 0x64:
        r->apb2lpenr = v;
        break;
    case 0x70:
        r->bdcr = v;
        break;
    case 0x74:
        if (v & CSR_RMVF)
            r->csr &= ~CSR_FLAGS;
        r->csr = (r->csr & ~CSR_LSION) | (v & CSR_LSION);
        r->csr = (r->csr & ~CSR_LSIRDY) | ((v & CSR_LSION) ? CSR_LSIRDY : 0);
        break;
    case 0x80:
        r->sscgr = v;
        break;
    case 0x84:
        r->plli2scfgr = v;
        break;
    default:
        break;
    }
}

uint32_t pwr_read(struct machine *m, uint32_t off)
{
    if (off == 0)
        return m->rcc.pwr_cr;
    if (off == 4)
        return m->rcc.pwr_csr;
    return 0;
}

void pwr_write(struct machine *m, uint32_t off, uint32_t v)
{
    if (off == 0) {
        m->rcc.pwr_cr = v & 0x0000CFFFu;
        update_clocks(m);
    } else if (off == 4) {
        m->rcc.pwr_csr = (m->rcc.pwr_csr & ~0x0300u) | (v & 0x0300u);
    }
}

/* ---- the bus instances ---- */

static int rcc_op_read(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                       uint32_t *value)
{
    (void)p;
    (void)size;
    rcc_advance(m, machine_now_ns(m));
    *value = rcc_read(m, off);
    return 0;
}

static int rcc_op_write(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                        uint32_t value)
{
    (void)p;
    (void)size;
    rcc_advance(m, machine_now_ns(m));
    rcc_write(m, off, value);
    return 0;
}

static void rcc_op_reset(struct machine *m, const struct periph *p, enum periph_reset kind)
{
    (void)p;
    rcc_reset(m, kind == PERIPH_POWER_ON);
}

static uint64_t rcc_op_next(struct machine *m, const struct periph *p)
{
    (void)p;
    return rcc_next_event_ns(m);
}

static void rcc_op_advance(struct machine *m, const struct periph *p, uint64_t now_ns)
{
    (void)p;
    rcc_advance(m, now_ns);
}

static unsigned rcc_reg_flags(const struct periph *p, uint32_t off)
{
    (void)p;
    return off == 0x74 ? REG_NO_MERGE : 0; /* RCC_CSR: RMVF */
}

const struct periph_ops rcc_ops = {
    .read = rcc_op_read,
    .write = rcc_op_write,
    .reset = rcc_op_reset,
    .next_event_ns = rcc_op_next,
    .advance = rcc_op_advance,
    .reg_flags = rcc_reg_flags,
    .flags = PERIPH_RESET_FIRST,
};

static int pwr_op_read(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                       uint32_t *value)
{
    (void)p;
    (void)size;
    *value = pwr_read(m, off);
    return 0;
}

static int pwr_op_write(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                        uint32_t value)
{
    (void)p;
    (void)size;
    pwr_write(m, off, value);
    return 0;
}

static void pwr_op_reset(struct machine *m, const struct periph *p, enum periph_reset kind)
{
    (void)p;
    (void)kind;
    m->rcc.pwr_cr = m->board->chip->vos_reset << 14;
    m->rcc.pwr_csr = PWR_CSR_VOSRDY;
}

const struct periph_ops pwr_ops = {
    .read = pwr_op_read,
    .write = pwr_op_write,
    .reset = pwr_op_reset,
    .flags = PERIPH_RESET_FIRST,
};

/* RM0090 6.2: the APB timer clock is PCLK when the APB prescaler is 1, else 2 x PCLK. */
uint32_t rcc_apb_hz(const struct machine *m, int apb, int timer)
{
    uint32_t ppre = (m->rcc.cfgr >> (apb == 2 ? 13 : 10)) & 7u;
    uint32_t div = apb_div(ppre);
    uint32_t hz = rcc_hclk_hz(m) / div;
    return timer && div > 1 ? 2u * hz : hz;
}
