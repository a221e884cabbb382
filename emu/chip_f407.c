/* The STM32F407's peripheral table (RM0090 section 2.3, table 1 "register boundary addresses";
 * interrupt lines from table 61; RCC enable bits from sections 7.3.10-7.3.14), and the models
 * that live outside the model files: the OTG_FS adapter, the Cortex-M4 private peripheral bus,
 * the backup SRAM and the generic store for peripherals we do not model. Addresses that are in
 * no entry are reserved: an access is a bus fault. CRYP and HASH (0x50060000) exist on the
 * F415/F417 only (DS8626 lists no crypto for the F405/F407), so they are reserved here. */
#include <string.h>

#include "log.h"
#include "machine.h"

/* ---- OTG_FS (emu/otg.h) ---- */

/* Unit 0 is OTG_FS, unit 1 OTG_HS; the board's host port is one of them (machine_otg). */
#define OTG_OF(m, p) machine_otg(m, (p)->unit, NULL)

static void otg_sample_irq(struct machine *m, const struct periph *p)
{
    periph_irq(m, p, otg_irq_level(OTG_OF(m, p)));
}

static int otg_op_read(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                       uint32_t *value)
{
    uint64_t now = machine_now_ns(m);
    otg_advance(OTG_OF(m, p), now);
    *value = otg_read(OTG_OF(m, p), off, size, now);
    otg_sample_irq(m, p);
    machine_update_deadline(m);
    return 0;
}

static int otg_op_write(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                        uint32_t value)
{
    uint64_t now = machine_now_ns(m);
    otg_advance(OTG_OF(m, p), now);
    otg_write(OTG_OF(m, p), off, value, size, now);
    otg_sample_irq(m, p);
    return 0;
}

static void otg_op_reset(struct machine *m, const struct periph *p, enum periph_reset kind)
{
    int *clocked;
    struct otg_model *o = machine_otg(m, p->unit, &clocked);
    if (kind != PERIPH_RCC) {
        *clocked = 0;
        otg_set_clocked(o, 0);
    }
    if (kind == PERIPH_POWER_ON) {
        otg_power_on(o, machine_now_ns(m)); /* power-on or brown-out */
        /* VBUS as the board drives it now (the GPIOs were reset first): on with the power
         * where there is no switch (Black Pill). */
        if (o == m->otg)
            otg_set_vbus(o, (int)m->vbus_state, machine_now_ns(m));
    } else
        otg_core_reset(o, machine_now_ns(m));
    otg_sample_irq(m, p);
}

static uint64_t otg_op_next(struct machine *m, const struct periph *p)
{
    return otg_next_event_ns(OTG_OF(m, p));
}

static void otg_op_advance(struct machine *m, const struct periph *p, uint64_t now_ns)
{
    otg_advance(OTG_OF(m, p), now_ns);
    otg_sample_irq(m, p);
}

static unsigned otg_reg_flags(const struct periph *p, uint32_t off)
{
    (void)p;
    if (off == 0x20 || off >= 0x1000) /* GRXSTSP pops, FIFO windows */
        return REG_READ_SIDE_EFFECT;
    return off == 0x408 ? REG_TIME : 0; /* HFNUM */
}

/* USB events matter only when the firmware looks (the OTG model is advanced before every
 * access), so they do not shorten the CPU's run between slow paths. */
const struct periph_ops otg_ops = {
    .read = otg_op_read,
    .write = otg_op_write,
    .reset = otg_op_reset,
    .next_event_ns = otg_op_next,
    .advance = otg_op_advance,
    .reg_flags = otg_reg_flags,
    .flags = PERIPH_RAW | PERIPH_LAZY,
};

/* ---- Cortex-M4 private peripheral bus (emu/cortex.c) ---- */

static int ppb_read(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                    uint32_t *value)
{
    (void)size;
    if (cortex_read(m, p->base + off, value) != 0) {
        machine_fault(m, m->cur_block, 1, p->base + off, "read of an unmodeled system register");
        return -1;
    }
    return 0;
}

static int ppb_write(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                     uint32_t value)
{
    (void)size;
    if (cortex_write(m, p->base + off, value) != 0) {
        machine_fault(m, m->cur_block, 1, p->base + off, "write to an unmodeled system register");
        return -1;
    }
    return 0;
}

static void ppb_reset(struct machine *m, const struct periph *p, enum periph_reset kind)
{
    (void)p;
    cortex_reset(m, kind == PERIPH_POWER_ON);
}

static uint64_t ppb_next(struct machine *m, const struct periph *p)
{
    (void)p;
    return systick_next_event_ns(m);
}

static unsigned ppb_reg_flags(const struct periph *p, uint32_t off)
{
    (void)p;
    return off == 0x1004 || off == 0xE018 ? REG_TIME : 0; /* DWT_CYCCNT, SYST_CVR */
}

const struct periph_ops ppb_ops = {
    .read = ppb_read,
    .write = ppb_write,
    .reset = ppb_reset,
    .next_event_ns = ppb_next,
    .reg_flags = ppb_reg_flags,
};

/* ---- backup SRAM (RM0090 5.1.2): 4 KB, writable with PWR_CR.DBP set ---- */

#define PWR_CR_DBP (1u << 8)

static int bkpsram_read(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                        uint32_t *value)
{
    (void)p;
    (void)size;
    memcpy(value, m->bkpsram + off, 4);
    return 0;
}

static int bkpsram_write(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                         uint32_t value)
{
    (void)size;
    if (!(m->rcc.pwr_cr & PWR_CR_DBP)) {
        uint8_t *w = &m->periph_warned[periph_index(m, p)];
        if (!(*w & 4u)) {
            *w |= 4u;
            machine_warn(m, "backup SRAM written with PWR_CR.DBP clear: ignored");
        }
        return 0;
    }
    memcpy(m->bkpsram + off, &value, 4);
    return 0;
}

static void bkpsram_reset(struct machine *m, const struct periph *p, enum periph_reset kind)
{
    (void)p;
    if (kind == PERIPH_POWER_ON) /* no VBAT modeled: the content is lost with the power */
        memset(m->bkpsram, 0, sizeof m->bkpsram);
}

const struct periph_ops bkpsram_ops = {
    .read = bkpsram_read,
    .write = bkpsram_write,
    .reset = bkpsram_reset,
};

/* ---- the generic store for unmodeled peripherals ---- */

static int unmodeled_read(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                          uint32_t *value)
{
    struct unmodeled_store *s = &m->unmodeled;
    uint32_t addr = p->base + off;
    (void)size;
    for (unsigned i = 0; i < s->n; i++)
        if (s->reg[i].addr == addr) {
            *value = s->reg[i].value;
            return 0;
        }
    *value = 0;
    for (const struct reg_reset_value *r = p->reset_values; r && r->off != 0xFFFFu; r++)
        if (r->off == off)
            *value = r->value;
    return 0;
}

static int unmodeled_write(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                           uint32_t value)
{
    struct unmodeled_store *s = &m->unmodeled;
    uint32_t addr = p->base + off;
    (void)size;
    for (unsigned i = 0; i < s->n; i++)
        if (s->reg[i].addr == addr) {
            s->reg[i].value = value;
            return 0;
        }
    if (s->n == UNMODELED_REGS) {
        machine_fault(m, m->cur_block, 1, addr, "more than %u unmodeled registers written",
                      UNMODELED_REGS);
        return -1;
    }
    s->reg[s->n].addr = addr;
    s->reg[s->n].value = value;
    s->reg[s->n].backup = (uint8_t)p->backup_domain;
    s->n++;
    return 0;
}

static void unmodeled_reset(struct machine *m, const struct periph *p, enum periph_reset kind)
{
    struct unmodeled_store *s = &m->unmodeled;
    unsigned k = 0;
    for (unsigned i = 0; i < s->n; i++) {
        int mine = s->reg[i].addr - p->base < p->size;
        if (mine && (kind != PERIPH_SYSTEM || !s->reg[i].backup))
            continue; /* back to its reset value */
        s->reg[k++] = s->reg[i];
    }
    s->n = k;
}

const struct periph_ops unmodeled_ops = {
    .read = unmodeled_read,
    .write = unmodeled_write,
    .reset = unmodeled_reset,
    .flags = PERIPH_UNMODELED,
};

/* ---- reset values of unmodeled registers that are not 0 (RM0090 register descriptions) ---- */

#define END                                                                                        \
    {                                                                                              \
        0xFFFFu, 0                                                                                 \
    }
static const struct reg_reset_value rtc_resets[] = {
    {0x04, 0x00002101u}, /* RTC_DR: 2000-01-01, Monday (26.6.2) */
    {0x0C, 0x00000007u}, /* RTC_ISR: ALRAWF, ALRBWF, WUTWF (26.6.4) */
    {0x10, 0x007F00FFu}, /* RTC_PRER (26.6.5) */
    {0x14, 0x0000FFFFu}, /* RTC_WUTR (26.6.6) */
    END,
};
static const struct reg_reset_value wwdg_resets[] = {
    {0x00, 0x7Fu}, /* WWDG_CR (21.6.1) */
    {0x04, 0x7Fu}, /* WWDG_CFR (21.6.2) */
    END,
};
static const struct reg_reset_value spi_resets[] = {
    {0x08, 0x0002u}, /* SPI_SR: TXE (28.5.3) */
    {0x10, 0x0007u}, /* SPI_CRCPR (28.5.5) */
    {0x20, 0x0002u}, /* SPI_I2SPR (28.5.9) */
    END,
};
static const struct reg_reset_value can_resets[] = {
    {0x00, 0x00010002u}, /* CAN_MCR: DBF, SLEEP (32.9.2) */
    {0x04, 0x00000C02u}, /* CAN_MSR: SLAK, SAMP, RX (32.9.2) */
    {0x08, 0x1C000000u}, /* CAN_TSR: TME0-2 (32.9.2) */
    {0x1C, 0x01230000u}, /* CAN_BTR (32.9.2) */
    END,
};
static const struct reg_reset_value eth_resets[] = {
    {0x0000, 0x00008000u}, /* ETH_MACCR: bit 15 reserved, reads 1 (33.8.1) */
    {0x0040, 0x8000FFFFu}, /* ETH_MACA0HR (33.8.1) */
    {0x0044, 0xFFFFFFFFu}, /* ETH_MACA0LR */
    {0x1000, 0x00020101u}, /* ETH_DMABMR (33.8.3) */
    END,
};
static const struct reg_reset_value fsmc_resets[] = {
    {0x00, 0x000030DBu}, /* FSMC_BCR1 (36.5.6) */
    {0x04, 0x0FFFFFFFu},  {0x08, 0x000030D2u},
    {0x0C, 0x0FFFFFFFu},  {0x10, 0x000030D2u},
    {0x14, 0x0FFFFFFFu},  {0x18, 0x000030D2u},
    {0x1C, 0x0FFFFFFFu},  {0x104, 0x0FFFFFFFu}, /* FSMC_BWTR1-4 */
    {0x10C, 0x0FFFFFFFu}, {0x114, 0x0FFFFFFFu},
    {0x11C, 0x0FFFFFFFu}, END,
};

#define APB1 0x40
#define APB2 0x44
#define AHB1 0x30
#define AHB2 0x34
#define AHB3 0x38
#define NOIRQ                                                                                      \
    {                                                                                              \
        -1, -1                                                                                     \
    }
#define U(nm, b, sz, reg, bit)                                                                     \
    {                                                                                              \
        .name = nm, .base = b, .size = sz, .ops = &unmodeled_ops, .en_reg = reg, .en_bit = bit,    \
        .irq = NOIRQ                                                                               \
    }
#define UR(nm, b, sz, reg, bit, rv)                                                                \
    {                                                                                              \
        .name = nm, .base = b, .size = sz, .ops = &unmodeled_ops, .en_reg = reg, .en_bit = bit,    \
        .irq = NOIRQ, .reset_values = rv                                                           \
    }
#define M(nm, b, sz, o, n, reg, bit, i0, i1)                                                       \
    {                                                                                              \
        .name = nm, .base = b, .size = sz, .ops = &o, .unit = n, .en_reg = reg, .en_bit = bit,     \
        .irq = {                                                                                   \
            i0,                                                                                    \
            i1                                                                                     \
        }                                                                                          \
    }
#define GPIO(nm, n) M(nm, 0x40020000u + 0x400u * (n), 0x400, gpio_ops, n, AHB1, n, -1, -1)

/* Sorted by base (bus_find searches it; a unit test checks the order). */
static const struct periph f407_periphs[] = {
    /* APB1 */
    M("TIM2", 0x40000000u, 0x400, tim_ops, 0, APB1, 0, 28, -1),
    M("TIM3", 0x40000400u, 0x400, tim_ops, 1, APB1, 1, 29, -1),
    M("TIM4", 0x40000800u, 0x400, tim_ops, 2, APB1, 2, 30, -1),
    M("TIM5", 0x40000C00u, 0x400, tim_ops, 3, APB1, 3, 50, -1),
    M("TIM6", 0x40001000u, 0x400, tim_ops, 4, APB1, 4, 54, -1),
    M("TIM7", 0x40001400u, 0x400, tim_ops, 5, APB1, 5, 55, -1),
    U("TIM12", 0x40001800u, 0x400, APB1, 6),
    U("TIM13", 0x40001C00u, 0x400, APB1, 7),
    U("TIM14", 0x40002000u, 0x400, APB1, 8),
    {.name = "RTC",
     .base = 0x40002800u,
     .size = 0x400,
     .ops = &unmodeled_ops,
     .irq = NOIRQ,
     .reset_values = rtc_resets,
     .backup_domain = 1},
    UR("WWDG", 0x40002C00u, 0x400, APB1, 11, wwdg_resets),
    M("IWDG", 0x40003000u, 0x400, iwdg_ops, 0, 0, 0, -1, -1),
    UR("I2S2ext", 0x40003400u, 0x400, APB1, 14, spi_resets),
    UR("SPI2", 0x40003800u, 0x400, APB1, 14, spi_resets),
    UR("SPI3", 0x40003C00u, 0x400, APB1, 15, spi_resets),
    UR("I2S3ext", 0x40004000u, 0x400, APB1, 15, spi_resets),
    M("USART2", 0x40004400u, 0x400, usart_ops, 1, APB1, 17, 38, -1),
    M("USART3", 0x40004800u, 0x400, usart_ops, 2, APB1, 18, 39, -1),
    U("UART4", 0x40004C00u, 0x400, APB1, 19),
    U("UART5", 0x40005000u, 0x400, APB1, 20),
    U("I2C1", 0x40005400u, 0x400, APB1, 21),
    U("I2C2", 0x40005800u, 0x400, APB1, 22),
    U("I2C3", 0x40005C00u, 0x400, APB1, 23),
    UR("CAN1", 0x40006400u, 0x400, APB1, 25, can_resets),
    UR("CAN2", 0x40006800u, 0x400, APB1, 26, can_resets),
    M("PWR", 0x40007000u, 0x400, pwr_ops, 0, APB1, 28, -1, -1),
    U("DAC", 0x40007400u, 0x400, APB1, 29),
    /* APB2 */
    U("TIM1", 0x40010000u, 0x400, APB2, 0),
    U("TIM8", 0x40010400u, 0x400, APB2, 1),
    M("USART1", 0x40011000u, 0x400, usart_ops, 0, APB2, 4, 37, -1),
    M("USART6", 0x40011400u, 0x400, usart_ops, 3, APB2, 5, 71, -1),
    U("ADC1", 0x40012000u, 0x100, APB2, 8),
    U("ADC2", 0x40012100u, 0x100, APB2, 9),
    U("ADC3", 0x40012200u, 0x100, APB2, 10),
    U("ADC", 0x40012300u, 0x100, 0, 0), /* common registers */
    U("SDIO", 0x40012C00u, 0x400, APB2, 11),
    UR("SPI1", 0x40013000u, 0x400, APB2, 12, spi_resets),
    M("SYSCFG", 0x40013800u, 0x400, syscfg_ops, 0, APB2, 14, -1, -1),
    M("EXTI", 0x40013C00u, 0x400, exti_ops, 0, 0, 0, -1, -1),
    U("TIM9", 0x40014000u, 0x400, APB2, 16),
    U("TIM10", 0x40014400u, 0x400, APB2, 17),
    U("TIM11", 0x40014800u, 0x400, APB2, 18),
    /* AHB1 */
    GPIO("GPIOA", 0),
    GPIO("GPIOB", 1),
    GPIO("GPIOC", 2),
    GPIO("GPIOD", 3),
    GPIO("GPIOE", 4),
    GPIO("GPIOF", 5),
    GPIO("GPIOG", 6),
    GPIO("GPIOH", 7),
    GPIO("GPIOI", 8),
    M("CRC", 0x40023000u, 0x400, crc_ops, 0, AHB1, 12, -1, -1),
    M("RCC", 0x40023800u, 0x400, rcc_ops, 0, 0, 0, -1, -1),
    M("FLASH", 0x40023C00u, 0x400, flash_ops, 0, 0, 0, 4, -1),
    {.name = "BKPSRAM",
     .base = 0x40024000u,
     .size = 0x1000,
     .ops = &bkpsram_ops,
     .en_reg = AHB1,
     .en_bit = 18,
     .irq = NOIRQ,
     .backup_domain = 1},
    M("DMA1", 0x40026000u, 0x400, dma_ops, 0, AHB1, 21, -1, -1),
    M("DMA2", 0x40026400u, 0x400, dma_ops, 1, AHB1, 22, -1, -1),
    UR("ETH", 0x40028000u, 0x1400, AHB1, 25, eth_resets),
    M("OTG_HS", OTG_HS_BASE_ADDR, OTG_HS_SPAN, otg_ops, 1, 0, 0, 77, -1), /* OTG_HS global */
    /* AHB2 */
    M("OTG_FS", OTG_FS_BASE_ADDR, OTG_FS_SPAN, otg_ops, 0, 0, 0, 67, -1),
    U("DCMI", 0x50050000u, 0x400, AHB2, 0),
    U("RNG", 0x50060800u, 0x400, AHB2, 6),
    /* AHB3 */
    UR("FSMC", 0xA0000000u, 0x1000, AHB3, 0, fsmc_resets),
    /* Cortex-M4 */
    M("PPB", 0xE0000000u, 0x100000, ppb_ops, 0, 0, 0, -1, -1),
};

/* RM0090 figure 5 / table 1: the bit-band aliases, APB1/APB2/AHB1, AHB2, the FSMC registers
 * (AHB3) and the private peripheral bus. Addresses in a window but in no table entry fault. */
static const struct bus_window f407_windows[] = {
    {0x22000000u, 0x02000000u}, {0x40000000u, 0x00080000u}, {0x42000000u, 0x02000000u},
    {0x50000000u, 0x00070000u}, {0xA0000000u, 0x00001000u}, {0xE0000000u, 0x00100000u},
};

#define TABLE(t)   .periphs = t, .nperiphs = sizeof t / sizeof t[0]
#define WINDOWS(w) .windows = w, .nwindows = sizeof w / sizeof w[0]
#define MHZ        1000000u
/* RM0090 3.5.1 table 10 (2.7-3.6 V): one wait state per 30 MHz. */
#define WS_30MHZ                                                                                   \
    {                                                                                              \
        30 * MHZ, 60 * MHZ, 90 * MHZ, 120 * MHZ, 150 * MHZ, 180 * MHZ, 210 * MHZ, 240 * MHZ        \
    }

/* RM0090 (F405/407): 168 MHz, APB1 42 MHz, APB2 84 MHz (6.2), VCO 100-432 MHz (7.3.2);
 * PWR_CR.VOS one bit, 1 (reset) allows 168 MHz, 0 144 MHz (5.4.1). */
const struct chip chip_stm32f407 = {
    .name = "STM32F407",
    TABLE(f407_periphs),
    WINDOWS(f407_windows),
    .max_hclk_hz = 168 * MHZ,
    .apb1_max_hz = 42 * MHZ,
    .apb2_max_hz = 84 * MHZ,
    .vco_min_hz = 100 * MHZ,
    .ws_max_hz = WS_30MHZ,
    .vos_reset = 1,
    .vos_max_hz = {144 * MHZ, 168 * MHZ},
};

/* STM32F429/439 (RM0090): the F407's peripherals at the same addresses for everything stickboot
 * and the test programs touch; the F42x additions (SPI4-6, SAI1, LTDC, DMA2D, UART7/8) are not
 * in the table, so an access there faults (strict). 180 MHz needs over-drive (not modeled):
 * without it 168 MHz; APB1 45 MHz, APB2 90 MHz (6.2); VOS two bits, reset 11 = scale 1 (168
 * MHz without over-drive), 10 = scale 2 (144), 01 = scale 3 (120) (5.4.1). */
const struct chip chip_stm32f429 = {
    .name = "STM32F429",
    TABLE(f407_periphs),
    WINDOWS(f407_windows),
    .max_hclk_hz = 168 * MHZ,
    .apb1_max_hz = 45 * MHZ,
    .apb2_max_hz = 90 * MHZ,
    .vco_min_hz = 100 * MHZ,
    .ws_max_hz = WS_30MHZ,
    .vos_two_bits = 1,
    .vos_reset = 3,
    .vos_max_hz = {0, 120 * MHZ, 144 * MHZ, 168 * MHZ},
};

/* STM32F446 (RM0390): the F407's peripheral table (the F446's own set is not modeled); clock
 * rules as the F429's (180 MHz with over-drive, not modeled). */
const struct chip chip_stm32f446 = {
    .name = "STM32F446",
    TABLE(f407_periphs),
    WINDOWS(f407_windows),
    .max_hclk_hz = 180 * MHZ,
    .apb1_max_hz = 45 * MHZ,
    .apb2_max_hz = 90 * MHZ,
    .vco_min_hz = 100 * MHZ,
    .ws_max_hz = WS_30MHZ,
    .vos_two_bits = 1,
    .vos_reset = 3,
    .vos_max_hz = {0, 120 * MHZ, 144 * MHZ, 180 * MHZ},
};

/* ---- STM32F411xC/E (RM0383 2.3 table 1) and STM32F401xB/C (RM0368 2.3 table 1) ----
 * No CCM, no backup SRAM, GPIO A-E and H, TIM1-5 and 9-11, USART1/2/6, I2C1-3, SPI1-4 (and
 * SPI5 on the F411), SDIO, ADC1, CRC, DMA1/2, OTG_FS. Interrupt lines as the F407's for the
 * modeled instances (RM0383/RM0368 table 37/38: TIM2-5 28-30/50, USART1/2/6 37/38/71,
 * FLASH 4, OTG_FS 67). */
#define F4X1_APB_AHB1(...)                                                                         \
    M("TIM2", 0x40000000u, 0x400, tim_ops, 0, APB1, 0, 28, -1),                                    \
        M("TIM3", 0x40000400u, 0x400, tim_ops, 1, APB1, 1, 29, -1),                                \
        M("TIM4", 0x40000800u, 0x400, tim_ops, 2, APB1, 2, 30, -1),                                \
        M("TIM5", 0x40000C00u, 0x400, tim_ops, 3, APB1, 3, 50, -1),                                \
        {.name = "RTC",                                                                            \
         .base = 0x40002800u,                                                                      \
         .size = 0x400,                                                                            \
         .ops = &unmodeled_ops,                                                                    \
         .irq = NOIRQ,                                                                             \
         .reset_values = rtc_resets,                                                               \
         .backup_domain = 1},                                                                      \
        UR("WWDG", 0x40002C00u, 0x400, APB1, 11, wwdg_resets),                                     \
        M("IWDG", 0x40003000u, 0x400, iwdg_ops, 0, 0, 0, -1, -1),                                  \
        UR("I2S2ext", 0x40003400u, 0x400, APB1, 14, spi_resets),                                   \
        UR("SPI2", 0x40003800u, 0x400, APB1, 14, spi_resets),                                      \
        UR("SPI3", 0x40003C00u, 0x400, APB1, 15, spi_resets),                                      \
        UR("I2S3ext", 0x40004000u, 0x400, APB1, 15, spi_resets),                                   \
        M("USART2", 0x40004400u, 0x400, usart_ops, 1, APB1, 17, 38, -1),                           \
        U("I2C1", 0x40005400u, 0x400, APB1, 21), U("I2C2", 0x40005800u, 0x400, APB1, 22),          \
        U("I2C3", 0x40005C00u, 0x400, APB1, 23),                                                   \
        M("PWR", 0x40007000u, 0x400, pwr_ops, 0, APB1, 28, -1, -1),                                \
        U("TIM1", 0x40010000u, 0x400, APB2, 0),                                                    \
        M("USART1", 0x40011000u, 0x400, usart_ops, 0, APB2, 4, 37, -1),                            \
        M("USART6", 0x40011400u, 0x400, usart_ops, 3, APB2, 5, 71, -1),                            \
        U("ADC1", 0x40012000u, 0x100, APB2, 8), U("ADC", 0x40012300u, 0x100, 0, 0),                \
        U("SDIO", 0x40012C00u, 0x400, APB2, 11),                                                   \
        UR("SPI1", 0x40013000u, 0x400, APB2, 12, spi_resets),                                      \
        UR("SPI4", 0x40013400u, 0x400, APB2, 13, spi_resets),                                      \
        M("SYSCFG", 0x40013800u, 0x400, syscfg_ops, 0, APB2, 14, -1, -1),                          \
        M("EXTI", 0x40013C00u, 0x400, exti_ops, 0, 0, 0, -1, -1),                                  \
        U("TIM9", 0x40014000u, 0x400, APB2, 16), U("TIM10", 0x40014400u, 0x400, APB2, 17),         \
        U("TIM11", 0x40014800u, 0x400, APB2, 18), __VA_ARGS__ GPIO("GPIOA", 0), GPIO("GPIOB", 1),  \
        GPIO("GPIOC", 2), GPIO("GPIOD", 3), GPIO("GPIOE", 4), GPIO("GPIOH", 7),                    \
        M("CRC", 0x40023000u, 0x400, crc_ops, 0, AHB1, 12, -1, -1),                                \
        M("RCC", 0x40023800u, 0x400, rcc_ops, 0, 0, 0, -1, -1),                                    \
        M("FLASH", 0x40023C00u, 0x400, flash_ops, 0, 0, 0, 4, -1),                                 \
        M("DMA1", 0x40026000u, 0x400, dma_ops, 0, AHB1, 21, -1, -1),                               \
        M("DMA2", 0x40026400u, 0x400, dma_ops, 1, AHB1, 22, -1, -1),                               \
        M("OTG_FS", OTG_FS_BASE_ADDR, OTG_FS_SPAN, otg_ops, 0, 0, 0, 67, -1),                      \
        M("PPB", 0xE0000000u, 0x100000, ppb_ops, 0, 0, 0, -1, -1)

static const struct periph f411_periphs[] = {
    F4X1_APB_AHB1(UR("SPI5", 0x40015000u, 0x400, APB2, 20, spi_resets), )};
static const struct periph f401_periphs[] = {F4X1_APB_AHB1()};

static const struct bus_window f4x1_windows[] = {
    {0x22000000u, 0x02000000u}, {0x40000000u, 0x00030000u}, {0x42000000u, 0x02000000u},
    {0x50000000u, 0x00040000u}, {0xE0000000u, 0x00100000u},
};

/* RM0383: 100 MHz, APB1 50 MHz, APB2 100 MHz (6.2), VCO 100-432 MHz (6.3.2); wait states
 * (3.4 table 5, 2.7-3.6 V): 0 up to 30 MHz, 1 to 64, 2 to 90, 3 to 100; VOS two bits, reset
 * 10 = scale 2 (84 MHz), 11 = scale 1 (100 MHz), 01 = scale 3 (64 MHz) (5.1.4, 5.4.1). */
const struct chip chip_stm32f411 = {
    .name = "STM32F411",
    TABLE(f411_periphs),
    WINDOWS(f4x1_windows),
    .max_hclk_hz = 100 * MHZ,
    .apb1_max_hz = 50 * MHZ,
    .apb2_max_hz = 100 * MHZ,
    .vco_min_hz = 100 * MHZ,
    .ws_max_hz = {30 * MHZ, 64 * MHZ, 90 * MHZ, 100 * MHZ, 100 * MHZ, 100 * MHZ, 100 * MHZ,
                  100 * MHZ},
    .vos_two_bits = 1,
    .vos_reset = 2,
    .vos_max_hz = {0, 64 * MHZ, 84 * MHZ, 100 * MHZ},
};

/* RM0368: 84 MHz, APB1 42 MHz, APB2 84 MHz (6.2), VCO 192-432 MHz (6.3.2, unconfirmed: see
 * docs/porting.md); wait states (3.4 table 6): 0 up to 30 MHz, 1 to 60, 2 to 84; VOS two bits,
 * no scale 1: reset 10 = scale 2 (84 MHz), 01 = scale 3 (60 MHz), 11 reserved (5.4.1). */
const struct chip chip_stm32f401 = {
    .name = "STM32F401",
    TABLE(f401_periphs),
    WINDOWS(f4x1_windows),
    .max_hclk_hz = 84 * MHZ,
    .apb1_max_hz = 42 * MHZ,
    .apb2_max_hz = 84 * MHZ,
    .vco_min_hz = 192 * MHZ,
    .ws_max_hz = {30 * MHZ, 60 * MHZ, 84 * MHZ, 84 * MHZ, 84 * MHZ, 84 * MHZ, 84 * MHZ, 84 * MHZ},
    .vos_two_bits = 1,
    .vos_reset = 2,
    .vos_max_hz = {0, 60 * MHZ, 84 * MHZ, 0},
};
