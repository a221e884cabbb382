/* Micro-benchmarks for stickemu's cycle model (docs/emulator.md, "Cycle model"): each body is
 * timed with DWT_CYCCNT between two reads and the cost of an empty body (the same two reads)
 * is subtracted. Prints "bench NAME CYCLES" over USART2; tests/suites/emu_cycles.sh compares
 * them with the counts worked out by hand from the Cortex-M4 TRM and RM0090. Runs at HSI
 * (16 MHz): the flash wait states are set with FLASH_ACR.LATENCY whatever the clock. */
#include "emufw.h"

#define RCC_CFGR    REG(0x40023808u)
#define RCC_AHB2ENR REG(0x40023834u)
#define RCC_APB2ENR REG(0x40023844u)
#define SCB_CPACR   REG(0xE000ED88u)
#define ACR_PRFTEN  (1u << 8)
#define ACR_ICEN    (1u << 9)
#define ACR_DCEN    (1u << 10)
#define ACR_ICRST   (1u << 11)
#define ACR_DCRST   (1u << 12)
#define FLASH_SECT1 0x08004000u

uint32_t bench_buf[64] __attribute__((aligned(16)));
const uint32_t bench_const[16] __attribute__((aligned(16))) = {
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
};

/* BENCH(name, section, body): uint32_t name(volatile uint32_t *cyccnt) returns the cycles
 * from the first CYCCNT read to the second. r5 = bench_r5 (bench_buf), r6 = r5 + 64 bytes,
 * r7 = bench_r7 (a register address). The body starts on a 128-bit line boundary; padding is
 * NOPs (.balignw), as the SRAM copies live in .data. The first CYCCNT read and its branch are
 * kept in one 8-byte unit so that no 1 KB boundary (where libunicorn splits a block) falls
 * between them (a split changes the refill and fetch cycles around the read). */
uint32_t bench_r7;
uint32_t bench_r5 = (uint32_t)bench_buf;
#define BENCH(name, sect, body)                                                                    \
    __asm__(".syntax unified\n.fpu fpv4-sp-d16\n.section " sect "\n.balignw 16, 0xbf00\n"          \
            ".global " #name "\n.type " #name ", %function\n.thumb_func\n" #name ":\n"             \
            "  push {r4-r7, lr}\n  ldr r5, =bench_r5\n  ldr r5, [r5]\n  adds r6, r5, #64\n"        \
            "  ldr r7, =bench_r7\n  ldr r7, [r7]\n.balignw 8, 0xbf00\n  ldr r1, [r0]\n  b "        \
            "1f\n.balignw 16, 0xbf00\n"                                                            \
            "1:\n  nop\n" body "  ldr r2, [r0]\n  b 2f\n2:\n  subs r0, r2, r1\n"                   \
            "  pop {r4-r7, pc}\n.ltorg\n.text\n")
#define RAM    ".data.bench_ram"
#define FLASH  ".text.bench_flash"
#define X2(s)  s s
#define X4(s)  X2(s) X2(s)
#define X8(s)  X4(s) X4(s)
#define X32(s) X8(s) X8(s) X8(s) X8(s)

/* Every bench starts with one NOP, the empty one too: the difference is the body's cost. */
#define BODY_ALU X32("  adds r4, r4, #1\n")
#define BODY_LOOP                                                                                  \
    "  movs r3, #100\n.balignw 16, 0xbf00\n3:\n" X4("  adds r4, r4, #1\n")                         \
        X2("  adds r4, r4, #1\n") "  adds r4, r4, #1\n  subs r3, #1\n  bne 3b\n"
#define BODY_LDST                                                                                  \
    "  movs r3, #16\n3:\n  ldr r4, [r5]\n  str r4, [r6]\n  adds r5, #4\n  adds r6, #4\n"           \
    "  subs r3, #1\n  bne 3b\n"
#define BODY_AGU    "  movs r3, #16\n3:\n  adds r5, #4\n  ldr r4, [r5]\n  subs r3, #1\n  bne 3b\n"
#define BODY_LDPAIR X8("  ldr r4, [r5]\n  ldr r3, [r6]\n") "  nop\n"
#define BODY_MUL    X8("  mul r4, r4, r5\n")
#define BODY_DIV    X4("  udiv r4, r5, r6\n")
#define BODY_PUSH   X4("  push {r4-r7}\n  pop {r4-r7}\n")
#define BODY_FPU                                                                                   \
    "  vldr s3, [r5]\n" X4("  vadd.f32 s0, s0, s1\n") X2("  vmul.f32 s0, s0, s1\n")                \
        X2("  vdiv.f32 s2, s0, s1\n") "  vsqrt.f32 s4, s1\n"
#define BODY_REG8 X8("  ldr r4, [r7]\n") "  nop\n"
#define BODY_FIFO                                                                                  \
    "  movs r3, #16\n3:\n  ldr r4, [r7]\n  str r4, [r6], #4\n  subs r3, #1\n  bne 3b\n"
#define BODY_CRC "  movs r3, #16\n3:\n  ldr r4, [r5], #4\n  str r4, [r7]\n  subs r3, #1\n  bne 3b\n"
/* The bootloader's CRC loop (firmware/stm32f4/crc_hw.c): 16 words, four a turn. */
#define BODY_CRC4                                                                                  \
    "  add ip, r5, #64\n3:\n  ldmia r5!, {r2, r3, r4, r6}\n  str r2, [r7]\n  str r3, [r7]\n"       \
    "  str r4, [r7]\n  str r6, [r7]\n  cmp r5, ip\n  bne 3b\n"

BENCH(b_empty_ram, RAM, "");
BENCH(b_empty_flash, FLASH, "");
BENCH(b_alu_ram, RAM, BODY_ALU);
BENCH(b_alu_flash, FLASH, BODY_ALU);
BENCH(b_loop_ram, RAM, BODY_LOOP);
BENCH(b_loop_flash, FLASH, BODY_LOOP);
BENCH(b_ldst, RAM, BODY_LDST);
BENCH(b_agu, RAM, BODY_AGU);
BENCH(b_ldpair, RAM, BODY_LDPAIR);
BENCH(b_mul, RAM, BODY_MUL);
BENCH(b_div, RAM, BODY_DIV);
BENCH(b_push, RAM, BODY_PUSH);
BENCH(b_fpu, RAM, BODY_FPU);
BENCH(b_reg8, RAM, BODY_REG8);
BENCH(b_fifo, RAM, BODY_FIFO);
BENCH(b_crc, RAM, BODY_CRC);
BENCH(b_crc4, RAM, BODY_CRC4);

typedef uint32_t bench_fn(volatile uint32_t *);
extern bench_fn b_empty_ram, b_empty_flash, b_alu_ram, b_alu_flash, b_loop_ram, b_loop_flash,
    b_ldst, b_agu, b_ldpair, b_mul, b_div, b_push, b_fpu, b_reg8, b_fifo, b_crc, b_crc4;

static void uart_dec(uint32_t v)
{
    char s[11];
    int n = 0;
    do {
        s[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n)
        uart_putc(s[--n]);
}

static void report(const char *name, uint32_t cycles)
{
    uart_puts("bench ");
    uart_puts(name);
    uart_putc(' ');
    uart_dec(cycles);
    uart_putc('\n');
}

/* Cycles of fn's body: a second (warm) run of fn less a second run of the empty bench. */
static uint32_t measure(bench_fn *fn, bench_fn *empty)
{
    volatile uint32_t *cyccnt = &DWT_CYCCNT;
    (void)fn(cyccnt);
    uint32_t t = fn(cyccnt);
    (void)empty(cyccnt);
    return t - empty(cyccnt);
}

/* The first (cold) run after emptying the caches, less a warm empty run. */
static uint32_t measure_cold(bench_fn *fn, bench_fn *empty, uint32_t acr)
{
    volatile uint32_t *cyccnt = &DWT_CYCCNT;
    (void)empty(cyccnt);
    uint32_t e = empty(cyccnt);
    FLASH_ACR = acr & ~(ACR_ICEN | ACR_DCEN);
    FLASH_ACR = (acr & ~(ACR_ICEN | ACR_DCEN)) | ACR_ICRST | ACR_DCRST;
    FLASH_ACR = acr;
    return fn(cyccnt) - e;
}

static void flash_wait(void)
{
    for (uint32_t i = 0; i < 100000000u && (FLASH_SR & (1u << 16)); i++) {
    }
}

/* Programs a two-instruction function "movs r0, #v; bx lr" at sector 1 (erased first). */
static void flash_function(uint32_t v)
{
    FLASH_CR = (2u << 8) | 2u | (1u << 3);
    FLASH_CR = (2u << 8) | 2u | (1u << 3) | (1u << 16);
    flash_wait();
    FLASH_CR = (2u << 8) | 1u;
    *(volatile uint32_t *)FLASH_SECT1 = 0x47700000u | 0x2000u | (v & 0xFFu);
    flash_wait();
    FLASH_CR = 0;
}

int main(void)
{
    uart_init();
    DEMCR |= 1u << 24;
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1u;
    SCB_CPACR |= 0xFu << 20;
    RCC_AHB1ENR |= 1u << 12; /* CRC */
    RCC_AHB2ENR |= 1u << 7;  /* OTG_FS: its FIFO window reads 0 in device mode */
    RCC_APB2ENR |= 1u << 14; /* SYSCFG */
    (void)RCC_APB2ENR;

    FLASH_ACR = 0;
    report("alu_ram", measure(b_alu_ram, b_empty_ram));
    report("loop_ram", measure(b_loop_ram, b_empty_ram));
    report("alu_flash_ws0", measure(b_alu_flash, b_empty_flash));
    report("loop_flash_ws0", measure(b_loop_flash, b_empty_flash));
    FLASH_ACR = 5;
    report("alu_flash_ws5", measure(b_alu_flash, b_empty_flash));
    report("loop_flash_ws5", measure(b_loop_flash, b_empty_flash));
    FLASH_ACR = 5 | ACR_PRFTEN;
    report("alu_flash_ws5_prefetch", measure(b_alu_flash, b_empty_flash));
    report("loop_flash_ws5_prefetch", measure(b_loop_flash, b_empty_flash));
    FLASH_ACR = 5 | ACR_PRFTEN | ACR_ICEN | ACR_DCEN;
    report("alu_flash_ws5_art", measure(b_alu_flash, b_empty_flash));
    report("loop_flash_ws5_art", measure(b_loop_flash, b_empty_flash));
    FLASH_ACR = 5 | ACR_ICEN;
    report("alu_flash_ws5_icache_warm", measure(b_alu_flash, b_empty_flash));
    report("alu_flash_ws5_icache_cold", measure_cold(b_alu_flash, b_empty_flash, 5 | ACR_ICEN));

    report("ldst", measure(b_ldst, b_empty_ram));
    report("agu", measure(b_agu, b_empty_ram));
    report("ldpair", measure(b_ldpair, b_empty_ram));
    report("mul", measure(b_mul, b_empty_ram));
    report("div", measure(b_div, b_empty_ram));
    report("pushpop", measure(b_push, b_empty_ram));
    report("fpu", measure(b_fpu, b_empty_ram));

    bench_r7 = 0x40020010u; /* GPIOA_IDR, AHB1 */
    report("ahb1_read", measure(b_reg8, b_empty_ram));
    uint32_t cfgr = RCC_CFGR;
    RCC_CFGR = cfgr | (5u << 10); /* PPRE1 = /4 */
    bench_r7 = 0x40004400u;       /* USART2_SR, APB1 */
    uint32_t apb1 = measure(b_reg8, b_empty_ram);
    RCC_CFGR = cfgr | (4u << 13); /* PPRE2 = /2 */
    bench_r7 = 0x40013800u;       /* SYSCFG_MEMRMP, APB2 */
    uint32_t apb2 = measure(b_reg8, b_empty_ram);
    RCC_CFGR = cfgr;
    report("apb1_read_div4", apb1);
    report("apb2_read_div2", apb2);

    bench_r7 = 0x50001000u; /* OTG_FS FIFO window, AHB2 */
    report("otg_fifo_copy", measure(b_fifo, b_empty_ram));
    bench_r7 = 0x40023000u; /* CRC_DR */
    report("crc_sram_data", measure(b_crc, b_empty_ram));
    report("crc4_sram_data", measure(b_crc4, b_empty_ram));
    /* The same CRC loop over words in flash (bench_const): the D-cache at 5 wait states. */
    bench_r5 = (uint32_t)bench_const;
    FLASH_ACR = 5 | ACR_PRFTEN;
    report("crc_flash_data_ws5", measure(b_crc, b_empty_ram));
    report("crc_flash_data_ws5_dcache_cold",
           measure_cold(b_crc, b_empty_ram, 5 | ACR_PRFTEN | ACR_DCEN));
    report("crc_flash_data_ws5_dcache_warm", measure(b_crc, b_empty_ram));
    FLASH_ACR = 5 | ACR_PRFTEN;
    report("crc4_flash_data_ws5", measure(b_crc4, b_empty_ram));
    report("crc4_flash_data_ws5_dcache_cold",
           measure_cold(b_crc4, b_empty_ram, 5 | ACR_PRFTEN | ACR_DCEN));
    report("crc4_flash_data_ws5_dcache_warm", measure(b_crc4, b_empty_ram));
    bench_r5 = (uint32_t)bench_buf;
    FLASH_ACR = 0;

    /* A stale instruction cache: code cached, its flash sector erased and reprogrammed, run
     * again without ICRST (the emulator warns), then after ICRST (no warning), then
     * reprogrammed once more and run without ICRST (a warning again). */
    FLASH_KEYR = 0x45670123u;
    FLASH_KEYR = 0xCDEF89ABu;
    FLASH_ACR = 5 | ACR_PRFTEN | ACR_ICEN | ACR_DCEN;
    flash_function(1);
    uint32_t (*fn)(void) = (uint32_t(*)(void))(FLASH_SECT1 | 1u);
    uint32_t a = fn();
    uint32_t w0 = *(volatile uint32_t *)FLASH_SECT1; /* into the D-cache */
    flash_function(2);
    uint32_t w1 = *(volatile uint32_t *)FLASH_SECT1; /* stale D-cache line */
    uart_puts("stale: calling without ICRST\n");
    uint32_t b = fn();
    FLASH_ACR = 5 | ACR_PRFTEN;
    FLASH_ACR = 5 | ACR_PRFTEN | ACR_ICRST | ACR_DCRST;
    FLASH_ACR = 5 | ACR_PRFTEN | ACR_ICEN | ACR_DCEN;
    flash_function(3);
    FLASH_ACR = 5 | ACR_PRFTEN;
    FLASH_ACR = 5 | ACR_PRFTEN | ACR_ICRST | ACR_DCRST;
    FLASH_ACR = 5 | ACR_PRFTEN | ACR_ICEN | ACR_DCEN;
    uart_puts("stale: calling after ICRST\n");
    uint32_t c = fn();
    flash_function(4); /* cached again by that call: stale again, no ICRST this time */
    uart_puts("stale: calling again without ICRST\n");
    uint32_t d = fn();
    report("stale_results", a * 1000u + b * 100u + c * 10u + d);
    report("stale_data", (w0 & 0xFFu) * 10u + (w1 & 0xFFu)); /* the new word is read: 12 */
    uart_puts("done\n");
    uart_flush();
    for (;;)
        __asm volatile("wfi");
}
