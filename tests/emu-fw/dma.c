/* The DMA controller model (docs/emulator.md, "DMA"; RM0090 section 10), through the CPU at
 * HSI 16 MHz: DMA2 memory-to-memory copies SRAM -> SRAM and feeds flash into CRC_DR; NDTR,
 * HTIF/TCIF/TEIF/FEIF, EN cleared by hardware and by software, write protection while EN=1,
 * the DMA2_Stream0 interrupt, a bus error, DMA1 refusing memory-to-memory. Prints "ok NAME" /
 * "FAILED NAME" and "bench NAME CYCLES" (DWT_CYCCNT from EN to TCIF seen) for the suite. */
#define EMUFW_OWN_VECTORS
#include "emufw.h"

#define DMA1_BASE    0x40026000u
#define DMA2_BASE    0x40026400u
#define LISR(b)      REG((b) + 0x00u)
#define LIFCR(b)     REG((b) + 0x08u)
#define SCR(b, s)    REG((b) + 0x10u + 0x18u * (s))
#define SNDTR(b, s)  REG((b) + 0x14u + 0x18u * (s))
#define SPAR(b, s)   REG((b) + 0x18u + 0x18u * (s))
#define SM0AR(b, s)  REG((b) + 0x1Cu + 0x18u * (s))
#define SFCR(b, s)   REG((b) + 0x24u + 0x18u * (s))
#define CR_EN        (1u << 0)
#define CR_TEIE      (1u << 2)
#define CR_TCIE      (1u << 4)
#define CR_M2M       (2u << 6)
#define CR_PINC      (1u << 9)
#define CR_MINC      (1u << 10)
#define CR_WORDS     ((2u << 11) | (2u << 13)) /* PSIZE = MSIZE = 32 bits */
#define CR_PBURST4   (1u << 21)
#define CR_MBURST4   (1u << 23)
#define FCR_DMDIS    (1u << 2)
#define FCR_FULL     3u
#define S0_FEIF      (1u << 0)
#define S0_TEIF      (1u << 3)
#define S0_HTIF      (1u << 4)
#define S0_TCIF      (1u << 5)
#define S0_ALL       0x3Du
#define CRC_DR       REG(0x40023000u)
#define CRC_CR       REG(0x40023008u)
#define NVIC_ISER1   REG(0xE000E104u)
#define DMA2_S0_IRQN 56u

static volatile uint32_t irq_count, irq_lisr;

static void Default_Handler(void)
{
    for (;;) {
    }
}

static void DMA2_Stream0_IRQHandler(void)
{
    irq_lisr = LISR(DMA2_BASE);
    LIFCR(DMA2_BASE) = S0_ALL;
    irq_count++;
}

__attribute__((section(".isr_vector"), used)) static const void *const vectors[16 + 57] = {
    [0] = &_estack,        [1] = Reset_Handler,
    [2] = Default_Handler, [3] = Default_Handler,
    [4] = Default_Handler, [5] = Default_Handler,
    [6] = Default_Handler, [16 + DMA2_S0_IRQN] = DMA2_Stream0_IRQHandler,
};

static uint32_t src[4096], dst[4096];

static void report(const char *name, uint32_t v)
{
    uart_puts("bench ");
    uart_puts(name);
    uart_putc(' ');
    uart_hex(v);
    uart_putc('\n');
}

/* Programs stream 0 of DMA2 (its flags cleared) and enables it; returns the cycles from EN to
 * the first read of LISR that shows TCIF or TEIF. */
static uint32_t run(uint32_t base, uint32_t cr, uint32_t fcr, uint32_t from, uint32_t to,
                    uint32_t n)
{
    LIFCR(base) = S0_ALL;
    SPAR(base, 0) = from;
    SM0AR(base, 0) = to;
    SNDTR(base, 0) = n;
    SFCR(base, 0) = fcr;
    uint32_t t0 = DWT_CYCCNT;
    SCR(base, 0) = cr | CR_EN;
    for (uint32_t i = 0; i < 10000000u && !(LISR(base) & (S0_TCIF | S0_TEIF)); i++) {
    }
    return DWT_CYCCNT - t0;
}

#define RAMFUNC __attribute__((section(".ramfunc"), noinline, long_call))

/* From SRAM: starts the erase of sector 2 (16 KB at 0x08008000, 250 ms at x32), then a DMA2
 * transfer of 16 words from `from` to dst; returns the cycles from EN to TCIF seen. */
RAMFUNC static uint32_t erase_then_dma(uint32_t from)
{
    FLASH_CR = (2u << 8) | (1u << 1) | (2u << 3);
    FLASH_CR = (2u << 8) | (1u << 1) | (2u << 3) | (1u << 16);
    LIFCR(DMA2_BASE) = S0_ALL;
    SPAR(DMA2_BASE, 0) = from;
    SM0AR(DMA2_BASE, 0) = (uint32_t)dst;
    SNDTR(DMA2_BASE, 0) = 16;
    SFCR(DMA2_BASE, 0) = FCR_DMDIS;
    uint32_t t0 = DWT_CYCCNT;
    SCR(DMA2_BASE, 0) = CR_M2M | CR_PINC | CR_MINC | CR_WORDS | CR_EN;
    for (uint32_t i = 0; i < 100000000u && !(LISR(DMA2_BASE) & S0_TCIF); i++) {
    }
    uint32_t t = DWT_CYCCNT - t0;
    for (uint32_t i = 0; i < 100000000u && (FLASH_SR & (1u << 16)); i++) {
    }
    return t;
}

static uint32_t cpu_crc(const uint32_t *w, uint32_t n)
{
    CRC_CR = 1u;
    while (n--)
        CRC_DR = *w++;
    return CRC_DR;
}

static const uint32_t M2M_WORDS = CR_M2M | CR_PINC | CR_MINC | CR_WORDS;
static const uint32_t TO_CRC = CR_M2M | CR_PINC | CR_WORDS; /* MINC = 0: CRC_DR every time */

int main(void)
{
    uart_init();
    RCC_AHB1ENR |= (1u << 22) | (1u << 21) | (1u << 12); /* DMA2, DMA1, CRC */
    DEMCR |= 1u << 24;
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1u;
    for (uint32_t i = 0; i < 4096u; i++)
        src[i] = i * 0x9E3779B9u;

    /* SRAM -> SRAM, 64 words, single transfers. */
    run(DMA2_BASE, M2M_WORDS, FCR_DMDIS, (uint32_t)src, (uint32_t)dst, 64);
    int same = 1;
    for (uint32_t i = 0; i < 64u; i++)
        same &= dst[i] == src[i];
    check("m2m_sram_data", same && dst[64] == 0);
    check("m2m_flags_tc_ht", (LISR(DMA2_BASE) & S0_ALL) == (S0_TCIF | S0_HTIF));
    check("m2m_en_cleared_ndtr_0", !(SCR(DMA2_BASE, 0) & CR_EN) && SNDTR(DMA2_BASE, 0) == 0);
    check("m2m_registers_keep_addresses",
          SPAR(DMA2_BASE, 0) == (uint32_t)src && SM0AR(DMA2_BASE, 0) == (uint32_t)dst);
    /* EN again with TCIF/HTIF still set (RM0090 10.3.17 asks to clear them first): the model
     * warns once and runs the transfer. */
    SNDTR(DMA2_BASE, 0) = 4;
    SCR(DMA2_BASE, 0) = M2M_WORDS | CR_EN;
    for (uint32_t i = 0; i < 1000u && (SCR(DMA2_BASE, 0) & CR_EN); i++) {
    }
    check("lifcr_clears", (LIFCR(DMA2_BASE) = S0_ALL, (LISR(DMA2_BASE) & S0_ALL) == 0));

    /* Timing: N and 2N words; the difference is N items of the steady state. */
    uint32_t a = run(DMA2_BASE, M2M_WORDS, FCR_DMDIS, (uint32_t)src, (uint32_t)dst, 1024);
    uint32_t b = run(DMA2_BASE, M2M_WORDS, FCR_DMDIS, (uint32_t)src, (uint32_t)dst, 2048);
    report("sram_1024_words", b - a);

    /* NDTR counts down while the transfer runs (65535 items of one word, 16 ms at 16 MHz);
     * configuration is read-only (EN=1); EN cleared by software stops the stream after the
     * current item, with TCIF. Printed only at the end: the UART takes milliseconds. */
    LIFCR(DMA2_BASE) = S0_ALL;
    SPAR(DMA2_BASE, 0) = (uint32_t)src;
    SM0AR(DMA2_BASE, 0) = (uint32_t)dst;
    SNDTR(DMA2_BASE, 0) = 65535;
    SFCR(DMA2_BASE, 0) = FCR_DMDIS;
    SCR(DMA2_BASE, 0) = CR_M2M | CR_WORDS | CR_EN;
    uint32_t n1 = SNDTR(DMA2_BASE, 0);
    for (volatile int i = 0; i < 50; i++) {
    }
    uint32_t n2 = SNDTR(DMA2_BASE, 0);
    int counts = n1 <= 65535u && n2 < n1 && n2 > 0;
    SNDTR(DMA2_BASE, 0) = 7;
    SPAR(DMA2_BASE, 0) = 0x20001000u;
    SCR(DMA2_BASE, 0) = CR_M2M | CR_WORDS | CR_EN | (3u << 16); /* PL: protected */
    int ro = SPAR(DMA2_BASE, 0) == (uint32_t)src && SNDTR(DMA2_BASE, 0) > 7u &&
             (SCR(DMA2_BASE, 0) & (3u << 16)) == 0 && (SCR(DMA2_BASE, 0) & CR_EN);
    SCR(DMA2_BASE, 0) = CR_M2M | CR_WORDS;
    for (uint32_t i = 0; i < 1000u && (SCR(DMA2_BASE, 0) & CR_EN); i++) {
    }
    uint32_t left = SNDTR(DMA2_BASE, 0);
    int stopped =
        !(SCR(DMA2_BASE, 0) & CR_EN) && left > 0 && left < 65535u && (LISR(DMA2_BASE) & S0_TCIF);
    check("ndtr_counts_down", counts);
    check("config_read_only_while_en", ro);
    check("sw_disable_stops", stopped);

    /* Flash -> CRC_DR: 1024 words of this program's flash, against the CPU's own feed. */
    const uint32_t *image = (const uint32_t *)0x08000000u;
    uint32_t want = cpu_crc(image, 1024);
    CRC_CR = 1u;
    run(DMA2_BASE, TO_CRC, FCR_DMDIS, 0x08000000u, 0x40023000u, 1024);
    check("flash_to_crc_value", CRC_DR == want);
    /* Timing at LATENCY 5 (allowed at any HCLK): single beats, then INCR4 bursts. */
    FLASH_ACR = (FLASH_ACR & ~7u) | 5u;
    a = run(DMA2_BASE, TO_CRC, FCR_DMDIS, 0x08000000u, 0x40023000u, 1024);
    b = run(DMA2_BASE, TO_CRC, FCR_DMDIS, 0x08000000u, 0x40023000u, 2048);
    report("flash_crc_single_1024_words", b - a);
    a = run(DMA2_BASE, TO_CRC | CR_PBURST4, FCR_DMDIS | FCR_FULL, 0x08000000u, 0x40023000u, 1024);
    b = run(DMA2_BASE, TO_CRC | CR_PBURST4, FCR_DMDIS | FCR_FULL, 0x08000000u, 0x40023000u, 2048);
    report("flash_crc_pburst_1024_words", b - a);
    a = run(DMA2_BASE, TO_CRC | CR_PBURST4 | CR_MBURST4, FCR_DMDIS | FCR_FULL, 0x08000000u,
            0x40023000u, 1024);
    b = run(DMA2_BASE, TO_CRC | CR_PBURST4 | CR_MBURST4, FCR_DMDIS | FCR_FULL, 0x08000000u,
            0x40023000u, 2048);
    report("flash_crc_bursts_1024_words", b - a);
    CRC_CR = 1u;
    run(DMA2_BASE, TO_CRC | CR_PBURST4 | CR_MBURST4, FCR_DMDIS | FCR_FULL, 0x08000000u, 0x40023000u,
        1024);
    check("flash_to_crc_burst_value", CRC_DR == want);
    FLASH_ACR &= ~7u;

    /* A burst the FIFO threshold cannot hold (INCR4 words, threshold 1/2): FEIF, no start. */
    LIFCR(DMA2_BASE) = S0_ALL;
    SNDTR(DMA2_BASE, 0) = 16;
    SFCR(DMA2_BASE, 0) = FCR_DMDIS | 1u;
    SCR(DMA2_BASE, 0) = TO_CRC | CR_PBURST4 | CR_EN;
    check("fifo_threshold_feif",
          (LISR(DMA2_BASE) & S0_FEIF) && !(SCR(DMA2_BASE, 0) & CR_EN) && SNDTR(DMA2_BASE, 0) == 16);

    /* A bus error: the source past the end of SRAM (reserved). */
    for (uint32_t i = 0; i < 8u; i++)
        dst[i] = 0;
    run(DMA2_BASE, M2M_WORDS, FCR_DMDIS, 0x20030000u, (uint32_t)dst, 8);
    check("bus_error_teif", (LISR(DMA2_BASE) & (S0_TEIF | S0_TCIF)) == S0_TEIF &&
                                !(SCR(DMA2_BASE, 0) & CR_EN) && dst[0] == 0);

    /* DMA1 cannot do memory-to-memory (RM0090 10.3.6). */
    run(DMA1_BASE, M2M_WORDS, FCR_DMDIS, (uint32_t)src, (uint32_t)dst, 8);
    check("dma1_m2m_teif", (LISR(DMA1_BASE) & (S0_TEIF | S0_TCIF)) == S0_TEIF);

    /* Flash reads wait for an erase (RM0090 3.6), SRAM reads do not. */
    FLASH_KEYR = 0x45670123u;
    FLASH_KEYR = 0xCDEF89ABu;
    report("flash_read_during_erase", erase_then_dma(0x08008000u));
    check("erased_words_read", dst[0] == 0xFFFFFFFFu && dst[15] == 0xFFFFFFFFu);
    report("sram_read_during_erase", erase_then_dma((uint32_t)src));

    /* Peripheral-to-memory: no model raises requests; the stream stays enabled, moves nothing,
     * and stops at once when EN is cleared. */
    LIFCR(DMA2_BASE) = S0_ALL;
    SNDTR(DMA2_BASE, 0) = 8;
    SCR(DMA2_BASE, 0) = CR_PINC | CR_MINC | CR_WORDS | CR_EN; /* DIR = 00 */
    int waits = (SCR(DMA2_BASE, 0) & CR_EN) && SNDTR(DMA2_BASE, 0) == 8;
    SCR(DMA2_BASE, 0) = CR_PINC | CR_MINC | CR_WORDS;
    check("p2m_waits_for_requests", waits && !(SCR(DMA2_BASE, 0) & CR_EN) &&
                                        SNDTR(DMA2_BASE, 0) == 8 && !(LISR(DMA2_BASE) & S0_ALL));

    /* The interrupt: TCIE, DMA2_Stream0 (IRQ 56) enabled, WFI until the handler ran. */
    SCB_VTOR = 0x08000000u;
    NVIC_ISER1 = 1u << (DMA2_S0_IRQN - 32u);
    LIFCR(DMA2_BASE) = S0_ALL;
    SPAR(DMA2_BASE, 0) = (uint32_t)src;
    SM0AR(DMA2_BASE, 0) = (uint32_t)dst;
    SNDTR(DMA2_BASE, 0) = 512;
    SCR(DMA2_BASE, 0) = M2M_WORDS | CR_TCIE | CR_EN;
    for (uint32_t i = 0; i < 100u && irq_count == 0; i++)
        __asm volatile("wfi");
    check("tc_interrupt", irq_count == 1 && (irq_lisr & S0_TCIF) && dst[511] == src[511]);

    uart_puts("done\n");
    uart_flush();
    for (;;) {
    }
}
