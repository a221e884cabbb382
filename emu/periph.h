/* The peripheral interface of stickemu: every model is an instance in the chip's table with
 * an address range, register handlers, reset, next-event time, an advance-to-time hook, an
 * RCC clock gate and its interrupt lines. bus.c decodes addresses through the table and
 * machine.c resets, schedules and advances the models only through it, so neither names a
 * peripheral (the shape of QEMU's MemoryRegion: a state plus an ops table, mapped by the
 * machine's init). */
#ifndef EMU_PERIPH_H
#define EMU_PERIPH_H

#include <stddef.h>
#include <stdint.h>

struct machine;
struct periph;

enum periph_reset {
    PERIPH_POWER_ON, /* power-on reset: everything, backup domain included */
    PERIPH_SYSTEM,   /* system reset (SYSRESETREQ, IWDG, NRST) */
    PERIPH_RCC,      /* the peripheral's bit in an RCC_xxxRSTR register */
};

/* Flags per register offset (periph_ops.reg_flags). */
#define REG_READ_SIDE_EFFECT 1u /* a read changes state (FIFO pop, flag clear): not polling */
#define REG_NO_MERGE         2u /* write-only or write-1-to-clear: a narrow write is not merged */
#define REG_TIME             4u /* free-running counter: a new value there is time passing */
#define REG_WORD_ONLY        8u /* the model sees narrow writes unmerged (and may fault) */

/* periph_ops.flags */
#define PERIPH_RAW         1u /* read/write get the byte offset and size as the CPU issued them */
#define PERIPH_LAZY        2u /* events only matter at the next access: not in the CPU deadline */
#define PERIPH_UNMODELED   4u /* the generic store: warns once with the instance name */
#define PERIPH_RESET_FIRST 8u /* reset before the others (clock tree, flash) */

struct periph_ops {
    /* A register access at off from the instance base. Without PERIPH_RAW, off is word
     * aligned, a read returns the whole word (bus.c extracts the bytes) and a narrow write
     * arrives merged with the current value (unless REG_NO_MERGE/REG_WORD_ONLY), with size
     * the CPU's access size. Returns 0, or -1 after recording a fault (machine_fault). */
    int (*read)(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                uint32_t *value);
    int (*write)(struct machine *m, const struct periph *p, uint32_t off, unsigned size,
                 uint32_t value);
    void (*reset)(struct machine *m, const struct periph *p, enum periph_reset kind);
    /* Earliest time (ns) at which the model changes state by itself, or TIME_NEVER. */
    uint64_t (*next_event_ns)(struct machine *m, const struct periph *p);
    /* Process everything due up to now_ns. */
    void (*advance)(struct machine *m, const struct periph *p, uint64_t now_ns);
    /* REG_* flags of the register at off (NULL: none). */
    unsigned (*reg_flags)(const struct periph *p, uint32_t off);
    /* A GPIO input or output level may have changed (EXTI edge detection). */
    void (*pins_changed)(struct machine *m, const struct periph *p);
    /* Bring time-derived state (a timer's counter) up to now with the clock in effect so far;
     * the RCC calls it just before and just after every clock change. */
    void (*clock_sync)(struct machine *m, const struct periph *p);
    /* Buffered output (a UART line) goes to the log: power cut, end of run. */
    void (*flush)(struct machine *m, const struct periph *p);
    unsigned flags;
};

struct reg_reset_value {
    uint16_t off;
    uint32_t value;
};

struct periph {
    const char *name; /* RM0090 name: "USART2", "TIM1", "GPIOC" */
    uint32_t base, size;
    const struct periph_ops *ops;
    int unit;               /* instance number within its model (GPIO port, USART index) */
    uint8_t en_reg, en_bit; /* RCC_xxxENR offset (0x30/0x34/0x38/0x40/0x44) and bit; 0: none */
    int16_t irq[2];         /* NVIC lines (RM0090 table 61); -1: none */
    const struct reg_reset_value *reset_values; /* unmodeled registers with non-zero reset */
    unsigned backup_domain; /* 1: kept across a system reset (RTC, backup SRAM) */
};

/* An address window the CPU sends to bus_read/bus_write (bit-band aliases included). */
struct bus_window {
    uint32_t base, size;
};

struct chip {
    const char *name;
    const struct periph *periphs;
    size_t nperiphs;
    const struct bus_window *windows;
    size_t nwindows;
    /* Clock rules at 2.7-3.6 V (the reference manual of the chip, emu/chip_*.c). */
    uint32_t max_hclk_hz;
    uint32_t apb1_max_hz, apb2_max_hz;
    uint32_t vco_min_hz;    /* PLL VCO output range is vco_min_hz .. 432 MHz */
    uint32_t ws_max_hz[8];  /* highest HCLK for FLASH_ACR.LATENCY = n */
    uint8_t vos_two_bits;   /* PWR_CR.VOS is bits 15:14 (else bit 14 alone) */
    uint32_t vos_reset;     /* PWR_CR reset value's VOS bits */
    uint32_t vos_max_hz[4]; /* highest HCLK per VOS field value; 0: reserved value */
};

#define PERIPH_MAX   96
#define PERIPH_CACHE 16 /* bus_find() cache slots, a power of 2 */

extern const struct chip chip_stm32f407, chip_stm32f429, chip_stm32f446, chip_stm32f411,
    chip_stm32f401;

/* bus.c: the table-driven parts. */
const struct periph *bus_find(const struct machine *m, uint32_t addr);
void bus_reset_all(struct machine *m, enum periph_reset kind);
/* Reset the instances whose RCC reset bit (xxxRSTR = en_reg - 0x20) is set in bits. */
void bus_reset_rcc(struct machine *m, uint8_t rstr_off, uint32_t bits);
uint64_t bus_next_event_ns(struct machine *m, int include_lazy);
void bus_advance_all(struct machine *m, uint64_t now_ns);
/* The first instance whose next event is at or before now_ns (NULL: none). */
const struct periph *bus_due_instance(struct machine *m, uint64_t now_ns);
void bus_pins_changed(struct machine *m);
void bus_clock_sync(struct machine *m);
void bus_flush_all(struct machine *m);
/* 1 when the instance's RCC enable bit is set and its reset bit clear (or it has none). */
int periph_clocked(const struct machine *m, const struct periph *p);
/* Index of p in the chip table (0 .. PERIPH_MAX-1). */
unsigned periph_index(const struct machine *m, const struct periph *p);
/* Drive every interrupt line of p to level. */
void periph_irq(struct machine *m, const struct periph *p, int level);
/* The RCC register that gates the instances and the APB clock feeding them (Hz), for UARTs
 * and timers: 1 = APB1, 2 = APB2, 0 = AHB. */
int periph_apb(const struct periph *p);

/* Register model ops (defined in the model files). */
extern const struct periph_ops flash_ops, rcc_ops, pwr_ops, gpio_ops, crc_ops, usart_ops, iwdg_ops,
    otg_ops, ppb_ops, unmodeled_ops, tim_ops, syscfg_ops, exti_ops, bkpsram_ops, dma_ops;

#endif
