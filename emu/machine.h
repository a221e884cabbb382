/* stickemu core: the modeled STM32F4 chip and board without the CPU. The CPU glue (cpu.c)
 * counts instructions and calls in here; unit tests drive the models through bus_read() and
 * bus_write() without a CPU. Virtual time is HCLK cycles; ns are derived from them. */
#ifndef EMU_MACHINE_H
#define EMU_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include "otg.h"
#include "periph.h"
#include "scenario.h"

#define NS_PER_MS  1000000ull
#define NS_PER_US  1000ull
#define TIME_NEVER UINT64_MAX

#define FLASH_BASE        0x08000000u
#define FLASH_MAX_SECTORS 24 /* 2 MB dual bank: 12 per bank */
#define SRAM_BASE         0x20000000u
#define SRAM_SIZE         (128u * 1024u) /* STM32F407's; a board's is board->sram_size */
#define SRAM_MAX_SIZE     (192u * 1024u) /* STM32F42x/43x */
#define CCM_BASE          0x10000000u
#define CCM_SIZE          (64u * 1024u)
#define OTP_PAGE_BASE     0x1FFF7800u /* OTP 528 B, then U_ID and F_SIZE */
#define OTP_PAGE_SIZE     0x400u
#define OTP_SIZE          528u
#define OPTBYTES_BASE     0x1FFFC000u
#define SYSMEM_BASE       0x1FFF0000u /* system memory (ST's bootloader), RM0090 2.4 */
#define SYSMEM_SIZE       0x7800u     /* 30 KB */
#define APP_REGION_BASE   0x08004000u

enum stop_reason { STOP_NONE, STOP_RESET, STOP_FAULT, STOP_CUT, STOP_END };
enum reset_cause { RESET_SOFTWARE, RESET_IWDG, RESET_PIN, RESET_BROWNOUT };
enum cut_mode { CUT_CLEAN, CUT_UNDEFINED };

#define TRACE_USB   1u
#define TRACE_SCSI  2u
#define TRACE_FLASH 4u
#define TRACE_GPIO  8u
#define TRACE_UART  16u
#define TRACE_MMIO  32u /* every peripheral register access, with its time */
#define TRACE_STALL 64u /* every read of flash that waits for a program or erase */

struct pin {
    int8_t port; /* 0 = A ... 8 = I; -1 = none */
    int8_t pin;
};

/* A board: its chip (peripherals, memory, clock rules: emu/chip_*.c) and what is soldered
 * around it. Every difference between two boards is in this entry (emu/boards.c). */
struct board {
    const char *name;
    uint32_t flash_size; /* default */
    int flash_dual_bank; /* RM0090 3.3 table 6: two banks of flash_size / 2 (2 MB F42x/43x) */
    uint32_t sram_size;  /* contiguous from 0x20000000 */
    uint32_t hse_hz;
    int hse_bypass; /* 1: an external clock signal (needs HSEBYP), 0: a crystal */
    int has_ccm;
    struct pin led[4];
    const char *led_name[4];
    int led_active_low; /* lit when the pin drives low */
    struct pin button;
    int button_active_high;
    int button_floating; /* no resistor on the board: the pin's pull decides when released */
    struct pin vbus;     /* port -1: no switch, VBUS is the board's 5 V rail */
    int vbus_active_low;
    int vbus_polarity_confirmed;
    int usb_hs;              /* the host port is on OTG_HS with its embedded FS PHY (else OTG_FS) */
    const struct chip *chip; /* the peripherals and their addresses, clock and memory rules */
};

const struct board *board_find(const char *name);
/* The i-th board of the table, NULL past the end. */
const struct board *board_at(size_t i);
/* The OTG core model behind chip-table instance p (unit 0 OTG_FS, 1 OTG_HS) and its clock flag. */
struct otg_model *machine_otg(struct machine *m, int hs, int **clocked);

struct flash_op {
    int kind; /* 0 none, 1 program, 2 sector erase, 3 mass erase */
    uint32_t offset, len;
    uint64_t start_ns, end_ns;
    uint8_t *before; /* content before the op (for an undefined result on a cut) */
};

struct flash_model {
    int max_times; /* --flash-times=max: DS8626 maximum program/erase times */
    uint8_t *mem;
    uint32_t size;
    int nsectors;
    uint32_t sector_off[FLASH_MAX_SECTORS + 1];
    uint8_t otp_page[OTP_PAGE_SIZE];
    /* registers */
    uint32_t acr, sr, cr, optcr;
    uint32_t opt_nwrp, opt_user; /* option bytes in "flash": nWRP and RDP/USER bytes */
    uint32_t opt_nwrp2;          /* bank 2's nWRP (FLASH_OPTCR1, dual-bank parts) */
    int dual_bank;
    uint32_t opt_target;     /* OPTCR value an option programming in progress writes */
    uint32_t opt_programs;   /* option programmings completed (result: option_writes) */
    uint32_t opt_reg_writes; /* OPTKEYR/OPTCR writes (--cut-at-option-write) */
    int key_stage, locked_until_reset;
    int optkey_stage, opt_locked_until_reset;
    struct flash_op op;
    uint8_t before_buf[128 * 1024];
    uint8_t *mem_before_mass; /* size bytes */
    /* counters */
    uint64_t ops;
    uint32_t erases, program_words, program_bytes_ops;
    uint64_t programmed_bytes;
    char erase_list[512];
    /* pending fix-ups: the CPU's store already wrote the raw value into mem */
    int nfix;
    struct {
        uint8_t *dst;
        uint8_t bytes[4];
        unsigned size;
    } fix[16];
    uint32_t code_lo, code_hi; /* changed range: the CPU must drop translated code there */
};

struct rcc_model {
    uint32_t cr, pllcfgr, cfgr, cir, ahb1rstr, ahb2rstr, ahb3rstr, apb1rstr, apb2rstr;
    uint32_t ahb1enr, ahb2enr, ahb3enr, apb1enr, apb2enr;
    uint32_t ahb1lpenr, ahb2lpenr, ahb3lpenr, apb1lpenr, apb2lpenr;
    uint32_t bdcr, csr, sscgr, plli2scfgr;
    uint64_t hse_ready_ns, pll_ready_ns; /* TIME_NEVER when not pending/ready */
    int sws;                             /* 0 HSI, 1 HSE, 2 PLL */
    uint32_t pwr_cr, pwr_csr;
    int warned_pllcfg, warned_ulpilp;
};

struct gpio_port {
    uint32_t moder, otyper, ospeedr, pupdr, odr, lckr, afrl, afrh;
};

struct usart_model {
    uint32_t sr, brr, cr1, cr2, cr3, gtpr;
    int tdr_full, shift_busy;
    uint8_t tdr, shift;
    uint64_t shift_done_ns;
    char line[256];
    size_t line_len;
    int warned;
    /* receiver: bytes from --uart-rx / --uart-rx-file, one per character time */
    uint8_t rdr;
    int sr_read; /* SR read since the last DR read (clears ORE with the DR read) */
    uint64_t rx_next_ns;
    const uint8_t *rx_data; /* owned by the caller (main.c) */
    size_t rx_len, rx_pos;
};

#define USART_COUNT 4 /* USART1, USART2, USART3, USART6 */
#define TIM_COUNT   6 /* TIM2 .. TIM7 */

struct tim_model {
    uint32_t cr1, cr2, smcr, dier, sr, ccmr1, ccmr2, ccer, ccr[4], dcr, or_;
    uint32_t cnt, psc, psc_pre, arr, arr_pre;
    uint32_t psc_cnt; /* prescaler counter, 0..psc */
    uint64_t sync_ns; /* time up to which cnt/psc_cnt are computed */
    uint64_t frac;    /* ns*Hz remainder below one timer-clock tick */
    uint32_t clk_hz;  /* timer clock in effect since sync_ns */
    int warned_mode;
};

struct exti_model {
    uint32_t imr, emr, rtsr, ftsr, swier, pr;
    uint32_t level; /* last sampled level of lines 0-15 */
};

struct syscfg_model {
    uint32_t memrmp, pmc, exticr[4], cmpcr;
};

#define UNMODELED_REGS 512
struct unmodeled_store {
    unsigned n;
    struct {
        uint32_t addr, value;
        uint8_t backup;
    } reg[UNMODELED_REGS];
};

struct iwdg_model {
    int running;
    int write_access;
    uint32_t pr, rlr;                 /* effective values */
    uint32_t pr_pending, rlr_pending; /* written, not yet in effect */
    uint64_t pvu_until, rvu_until;    /* update busy until */
    uint64_t reload_ns;               /* last reload */
    uint64_t expire_ns;
};

struct cortex_model {
    /* SysTick */
    uint32_t syst_csr, syst_rvr;
    uint32_t syst_value;    /* value at syst_ref_tick */
    uint64_t syst_ref_tick; /* tick count at which syst_value held */
    int syst_flag;
    /* DWT */
    uint32_t demcr, dwt_ctrl;
    uint32_t cyccnt_base;
    uint64_t cyccnt_ref;
    /* SCB */
    uint32_t vtor, aircr_prigroup, scr, ccr, shpr[3], shcsr, cpacr, cfsr, hfsr;
    uint32_t mmfar, bfar, dfsr;
    uint32_t fpccr, fpcar, fpdscr;
    /* NVIC (nvic.c): IRQ 0-81, one bit per line */
    uint32_t nvic_iser[3], nvic_ispr[3], nvic_iabr[3];
    uint8_t nvic_ipr[96];
    uint32_t irq_level[3]; /* level of each peripheral interrupt line (IRQ 0-95) */
    /* System exceptions 1-15: bit n = exception n */
    uint32_t sys_pending, sys_active;
    /* Mirrors of the CPU's special registers, written by the CPU glue before each decision */
    uint32_t primask, faultmask, basepri, ipsr;
    int event_reg;     /* WFE event register */
    int sleep_on_exit; /* SCR.SLEEPONEXIT: sleep after this return to Thread mode */
    /* Diagnostics (exception.c): the first fault since reset, warnings already printed */
    char root_what[120];
    uint32_t root_pc, root_addr;
    int root_has_addr;
    uint64_t root_ns;
    uint32_t vec_warned[4];
    int vtor_warned;
    unsigned exc_logged; /* fault lines printed this run (kept across resets) */
};

struct crc_model {
    uint32_t dr, idr;
    uint64_t busy_until_cycles;
};

/* DMA1/DMA2 (dma.c, RM0090 section 10). The timing recurrence of a stream's transfer, in HCLK
 * cycles: when the last item's read (peripheral port) and write (memory port) ended, the
 * writes of the last items (FIFO room), the flash line the ports last read, and when the CRC
 * unit takes its next word. */
#define DMA_HIST 16
struct dma_timing {
    uint64_t r_last, w_last, crc_ready;
    uint64_t w_hist[DMA_HIST];
    uint32_t line;
    int line_valid;
};

struct dma_stream {
    uint32_t cr, ndtr, par, m0ar, m1ar, fcr; /* RM0090 10.5.5-10.5.10 */
    int active;                              /* a memory-to-memory transfer is running */
    int stop;                                /* EN cleared by software: stop after this item */
    int ht_done;
    uint32_t total, done; /* items: NDTR at EN, items written */
    struct dma_timing t;
    uint64_t event_cycles; /* the next flag change (HT, TC, TE, stop); UINT64_MAX: none */
};

struct dma_model {
    uint32_t isr[2]; /* LISR, HISR */
    struct dma_stream st[8];
    unsigned nactive;
    int syncing;
    unsigned warned;
};

struct poll_site {
    uint32_t addr, block, last_value;
    uint64_t last_insns, last_cycles, interval, cycle_interval, epoch;
    int skippable;         /* -1 unknown, 0/1: loop_block_skippable() for this block and interval */
    uint64_t next_at_read; /* machine_next_event_ns() at the last read */
};

struct machine {
    const struct board *board;
    unsigned trace;
    /* time */
    uint64_t cycles; /* HCLK cycles since power-on */
    uint64_t insns;  /* instructions executed */
    uint64_t base_cycles, base_ns;
    uint32_t hclk_hz;
    uint64_t deadline_cycles;  /* the CPU calls machine_slow_path() at or after this */
    int cycle_model;           /* enum cycle_model (cycles.h): --cycle-model */
    struct cycles *cyc;        /* the m4 model's state (caches, pending branch); NULL: simple */
    const char *cycle_profile; /* --cycle-profile FILE: cycles per block written there, or NULL */
    /* memories */
    uint8_t sram[SRAM_MAX_SIZE];
    uint8_t ccm[CCM_SIZE];
    uint8_t sysmem[SYSMEM_SIZE];
    uint64_t sram_seed;
    struct flash_model flash;
    struct rcc_model rcc;
    struct gpio_port gpio[9];
    unsigned led_state, vbus_state;
    int button_pressed;
    int no_hse;            /* --no-hse: the crystal does not start */
    unsigned gated_warned; /* peripherals already warned about a clock that is off */
    struct usart_model usart[USART_COUNT];
    struct iwdg_model iwdg;
    int iwdg_hw;              /* hardware watchdog option (--iwdg) */
    uint64_t iwdg_max_gap_ns; /* longest interval between two IWDG reloads (resets included) */
    struct cortex_model cx;
    struct crc_model crc;
    struct dma_model dma[2]; /* DMA1, DMA2 */
    /* Test hooks (--dma-error-at-item, --dma-slow-cycles): item N (1-based, 0: none) of every
     * memory-to-memory transfer hits a bus error; every item's read takes N more cycles. */
    uint32_t dma_error_item, dma_slow_cycles;
    struct otg_model *otg; /* the core behind the board's USB host port, with the stick */
    int otg_clocked;
    struct otg_model *otg_idle; /* the chip's other OTG core (nothing on its pins) */
    int otg_idle_clocked;
    /* scenario */
    struct scenario scen; /* plug/unplug, button, NRST, brown-out events (scenario.c) */
    uint64_t run_end_ns, cut_at_ns, stop_after_app_ns;
    int64_t cut_after_ops;    /* -1: none */
    int64_t cut_at_opt_write; /* --cut-at-option-write N: cut instead of write N; -1: none */
    enum cut_mode cut_mode;
    uint64_t rng; /* undefined contents on cuts */
    /* CPU view */
    uint32_t cur_block; /* start address of the block being executed */
    int in_app;         /* the last block executed from flash was in the app region */
    uint64_t app_entry_ns;
    uint32_t app_entry_pc;
    uint32_t app_entries;
    /* polling detection */
    struct poll_site poll[4];
    unsigned poll_next;
    uint64_t poll_epoch;
    unsigned poll_streak;
    uint64_t time_read_insns;  /* insns at the last read of a free-running counter */
    uint64_t jumps, jumped_ns; /* exact polling jumps taken, virtual time they skipped */
    /* peripheral interface (periph.h) */
    const struct periph *periph_cache[PERIPH_CACHE]; /* decoded instances by 1 KB page */
    const struct periph *timed[PERIPH_MAX];          /* instances with next_event_ns, eager first */
    unsigned ntimed, ntimed_eager;
    uint8_t periph_warned[PERIPH_MAX]; /* 1: unmodeled warned (once per run) */
    struct tim_model tim[TIM_COUNT];
    struct exti_model exti;
    struct syscfg_model syscfg;
    struct unmodeled_store unmodeled;
    uint8_t bkpsram[4096];
    int no_time_jumps; /* --no-time-jumps */
    /* outcome */
    enum stop_reason stop;
    enum reset_cause reset_cause;
    char fault_reason[256];
    uint32_t fault_pc, fault_addr;
    int fault_has_addr;
    uint32_t resets, sw_resets, iwdg_resets;
};

/* --- machine.c: lifetime, time, events --- */
int machine_init(struct machine *m, const struct board *board, uint32_t flash_size, char *err,
                 size_t err_len);
void machine_free(struct machine *m);
void machine_power_on(struct machine *m);
void machine_system_reset(struct machine *m, enum reset_cause cause);
uint64_t machine_now_ns(const struct machine *m);
uint64_t machine_ns_to_cycles(const struct machine *m, uint64_t t_ns);
void machine_set_hclk(struct machine *m, uint32_t hz);
/* Advance virtual time (CPU stalled or time jump) to t_ns, then process events. */
void machine_advance_to(struct machine *m, uint64_t t_ns);
/* A CPU read of flash (fetch or data) at addr (0x08000000-based or the alias at 0): waits for
 * a flash operation that stalls it (RM0090 3.6). */
void machine_flash_read(struct machine *m, uint32_t addr, int fetch);
/* The bytes of [addr, addr + len) where code can run from: flash, its alias at 0, or SRAM;
 * NULL when the range is not wholly inside one of them. */
const uint8_t *machine_code_bytes(const struct machine *m, uint32_t addr, uint32_t len);
void machine_add_stall_cycles(struct machine *m, uint64_t cycles);
/* Earliest pending event of any model, for time jumps. */
uint64_t machine_next_event_ns(struct machine *m);
void machine_process_events(struct machine *m);
void machine_update_deadline(struct machine *m);
/* Called by the CPU when cycles reached the deadline or with flash busy. */
void machine_slow_path(struct machine *m, uint32_t block_addr);
void machine_fault(struct machine *m, uint32_t pc, int has_addr, uint32_t addr, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6)));
void machine_request_stop(struct machine *m, enum stop_reason why);
void machine_cut_power(struct machine *m, const char *why);
void machine_warn(struct machine *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A bus error on a data access that the chip reports to the CPU (RM0090 3.5.1: a wrong flash
 * key sequence; reserved addresses): with a CPU, a BusFault taken by the firmware's own
 * handler (precise for reads, imprecise for writes); without one (unit tests), a fault that
 * ends the run. what: text for the timeline. */
void machine_bus_error(struct machine *m, uint32_t addr, int write, const char *what);
/* Set by cpu.c: turns machine_bus_error() into an exception. */
extern void (*machine_bus_error_hook)(struct machine *m, uint32_t addr, int write,
                                      const char *what);
/* Set by cpu.c: how to stop the CPU from a model callback. */
extern void (*machine_stop_cpu_hook)(struct machine *m);
/* Set by cpu.c: the precise PC of the instruction being executed (for fault reports). */
extern uint32_t (*machine_pc_hook)(struct machine *m);

/* --- dma.c --- */
/* Brings every DMA transfer up to now (the CRC unit calls it before the CPU's access). */
void dma_sync_all(struct machine *m);

/* --- bus.c: MMIO address decode --- */
/* Returns 0, or -1 after recording a fault (unmodeled register, bus error). */
int bus_read(struct machine *m, uint32_t addr, unsigned size, uint32_t *value);
int bus_write(struct machine *m, uint32_t addr, unsigned size, uint32_t value);
/* A DMA access to a peripheral register: no polling detection, no bus fault to the CPU.
 * Returns 0, or -1 when nothing answers at addr. */
int bus_dma_access(struct machine *m, uint32_t addr, unsigned size, int write, uint32_t *value);
/* A CPU store into flash/OTP/alias space (mapped read-only for the CPU). */
void bus_flash_store(struct machine *m, uint32_t addr, unsigned size, uint32_t value);

/* --- flash.c --- */
/* size: 256 KB, 512 KB, 1 MB or 2 MB; dual_bank: two banks of size / 2 (2 MB only). */
int flash_init(struct flash_model *f, uint32_t size, int dual_bank, char *err, size_t err_len);
void flash_free(struct flash_model *f);
int flash_load_file(struct flash_model *f, const char *path, char *err, size_t err_len);
int flash_save_file(struct flash_model *f, const char *path, char *err, size_t err_len);
void flash_reset(struct machine *m, int power_on);
uint32_t flash_reg_read(struct machine *m, uint32_t off);
int flash_reg_write(struct machine *m, uint32_t off, uint32_t value); /* -1: bus error */
void flash_store(struct machine *m, uint32_t offset, unsigned size, uint32_t value);
void flash_otp_store(struct machine *m, uint32_t offset, unsigned size, uint32_t value);
void flash_apply_fixups(struct flash_model *f);
void flash_advance(struct machine *m, uint64_t now_ns);
int flash_busy(const struct flash_model *f);
/* 1 when a read (fetch or data) of flash offset must wait for the operation in progress. */
int flash_read_stalls(const struct flash_model *f, uint32_t offset);
int flash_sector_of(const struct flash_model *f, uint32_t offset);
void flash_cut(struct machine *m, int undefined);
uint32_t flash_max_hclk(const struct machine *m);
void flash_erase_range_raw(struct flash_model *f, uint32_t offset, uint32_t len);

/* --- rcc.c (and PWR) --- */
void rcc_reset(struct machine *m, int power_on);
uint32_t rcc_read(struct machine *m, uint32_t off);
void rcc_write(struct machine *m, uint32_t off, uint32_t value);
uint32_t pwr_read(struct machine *m, uint32_t off);
void pwr_write(struct machine *m, uint32_t off, uint32_t value);
void rcc_advance(struct machine *m, uint64_t now_ns);
uint64_t rcc_next_event_ns(const struct machine *m);
uint32_t rcc_sysclk_hz(const struct machine *m);
uint32_t rcc_hclk_hz(const struct machine *m);
uint32_t rcc_pclk1_hz(const struct machine *m);
void rcc_set_reset_flag(struct machine *m, uint32_t flag);
#define RCC_CSR_BORRSTF  (1u << 25)
#define RCC_CSR_PINRSTF  (1u << 26)
#define RCC_CSR_PORRSTF  (1u << 27)
#define RCC_CSR_SFTRSTF  (1u << 28)
#define RCC_CSR_IWDGRSTF (1u << 29)
/* APB1 (apb 1) or APB2 (apb 2) clock in Hz; timer: the timer kernel clock (x2 when the APB
 * prescaler is not 1, RM0090 6.2). */
uint32_t rcc_apb_hz(const struct machine *m, int apb, int timer);

/* --- gpio.c --- */
void gpio_reset(struct machine *m);
uint32_t gpio_read(struct machine *m, int port, uint32_t off);
void gpio_write(struct machine *m, int port, uint32_t off, uint32_t value);
void gpio_update_outputs(struct machine *m);
/* Input data of a port (RM0090 8.4.5): what the pins read, the board's button included. A
 * change of the button must be followed by bus_pins_changed() (EXTI edge detection). */
uint32_t gpio_idr(const struct machine *m, int port);

/* --- periph.c: CRC, USART1/2/3/6, IWDG --- */
void crc_reset(struct machine *m);
uint32_t crc_read(struct machine *m, uint32_t off);
int crc_write(struct machine *m, uint32_t off, unsigned size, uint32_t value);
/* A word written into CRC_DR by the DMA whose write ends at cycle at (no CPU stall). */
void crc_feed_at(struct machine *m, uint32_t value, uint64_t at);
void usart_reset(struct machine *m);
/* Bytes the outside world sends to USART unit (0 USART1, 1 USART2, 2 USART3, 3 USART6), one
 * character time apart once the receiver is enabled; data stays owned by the caller. */
void usart_set_rx(struct machine *m, int unit, const uint8_t *data, size_t len);
/* Every USART's pending partial line to the log. */
void usart_flush_line(struct machine *m);
void iwdg_reset(struct machine *m);
uint32_t iwdg_read(struct machine *m, uint32_t off);
void iwdg_write(struct machine *m, uint32_t off, uint32_t value);
void iwdg_start(struct machine *m);

/* --- cortex.c: SysTick, DWT, SCB, NVIC storage --- */
void cortex_reset(struct machine *m, int power_on);
int cortex_read(struct machine *m, uint32_t addr, uint32_t *value);
int cortex_write(struct machine *m, uint32_t addr, uint32_t value);
uint64_t systick_next_event_ns(struct machine *m);
uint32_t dwt_cyccnt(const struct machine *m);
/* Pends SysTick (nvic.c) when the counter wrapped with TICKINT; 1 if it did. */
int systick_interrupt_due(struct machine *m);
/* A peripheral drives its interrupt line irqn (0-95, the position in RM0090's vector table
 * 61) to level (0 or 1). Lines are level-sensitive: the NVIC pends an enabled line while it
 * is high (ARMv7-M ARM B3.4, PM0214 4.3). */
void machine_irq_line(struct machine *m, unsigned irqn, int level);

/* --- loop.c --- */
/* 1 if the basic block at addr, executed insns instructions per iteration, is a loop whose
 * iterations may be skipped exactly: it branches back to addr, stores nothing and carries no
 * register or flag from one iteration to the next (ARMv7-M ARM A5/A7 encodings). */
int loop_block_skippable(const struct machine *m, uint32_t addr, uint64_t insns);

/* --- nvic.c: NVIC and the exception priority model (ARMv7-M ARM B1.5, PM0214 4.3) --- */
#define EXC_NMI        2
#define EXC_HARDFAULT  3
#define EXC_MEMMANAGE  4
#define EXC_BUSFAULT   5
#define EXC_USAGEFAULT 6
#define EXC_SVCALL     11
#define EXC_DEBUGMON   12
#define EXC_PENDSV     14
#define EXC_SYSTICK    15
#define EXC_IRQ0       16
#define NVIC_IRQS      82 /* STM32F407: IRQ 0 (WWDG) to 81 (FPU), RM0090 table 61 */
#define EXC_COUNT      (EXC_IRQ0 + NVIC_IRQS)
#define PRIO_THREAD    256 /* execution priority with nothing active and no mask */
/* Name of exception number exc ("SysTick", "OTG_FS", ...); "IRQn" style for unnamed ones. */
const char *exc_name(unsigned exc);
/* Priority of exception exc: -3 (Reset) to 255; the group priority under AIRCR.PRIGROUP. */
int nvic_priority(const struct machine *m, unsigned exc);
int nvic_group_priority(const struct machine *m, unsigned exc);
/* Current execution priority (B1.5.4): the active exceptions and PRIMASK/FAULTMASK/BASEPRI
 * mirrors; ignore_primask for the WFI wake-up rule. PRIO_THREAD when nothing applies. */
int nvic_exec_priority(const struct machine *m, int ignore_primask);
/* The enabled pending exception of highest priority (lowest group, then subpriority, then
 * number), or 0. */
unsigned nvic_highest_pending(const struct machine *m);
/* The exception to take now (pending, enabled, higher group priority than the execution
 * priority), or 0. */
unsigned nvic_to_take(const struct machine *m);
int nvic_any_pending(const struct machine *m); /* cheap: anything pending and enabled */
int nvic_wfi_wake(const struct machine *m);    /* B1.5.19 WFI wake-up condition */
void nvic_set_pending(struct machine *m, unsigned exc);
void nvic_clear_pending(struct machine *m, unsigned exc);
int nvic_is_pending(const struct machine *m, unsigned exc);
int nvic_is_active(const struct machine *m, unsigned exc);
int nvic_is_enabled(const struct machine *m, unsigned exc);
void nvic_activate(struct machine *m, unsigned exc);   /* pending -> active, IPSR = exc */
void nvic_deactivate(struct machine *m, unsigned exc); /* level lines still high re-pend */
unsigned nvic_active_count(const struct machine *m);
/* Register access for 0xE000E100-0xE000E4EF and 0xE000EF00 (STIR); -1: not an NVIC address. */
int nvic_read(struct machine *m, uint32_t addr, uint32_t *value);
int nvic_write(struct machine *m, uint32_t addr, uint32_t value);
/* ICSR and SHCSR views of the exception state. */
uint32_t nvic_icsr(const struct machine *m);
void nvic_icsr_write(struct machine *m, uint32_t value);
uint32_t nvic_shcsr(const struct machine *m);
void nvic_shcsr_write(struct machine *m, uint32_t value);
void nvic_reset(struct machine *m);

/* --- log.c --- */
void log_set_output(void *file); /* FILE *; NULL: stdout */

#endif
