/* core/crc.h on the STM32 CRC unit: 4 AHB cycles a word. */
#include "crc.h"

#include "config.h"
#include "regs.h"

void crc_reset(void)
{
    RCC_AHB1ENR |= RCC_AHB1ENR_CRCEN;
    (void)RCC_AHB1ENR;
    CRC_CR = 1u; /* RESET: DR = 0xFFFFFFFF */
}

#if PROBE_MS == 0
/* Feeds count words (a multiple of 4, at most 65532, words 16-byte aligned) through DMA2
 * stream 0 in memory-to-memory mode: the flash or SRAM on the peripheral port (PINC, INCR4
 * bursts: one arbitration per flash line), CRC_DR on the memory port (fixed, single writes),
 * the FIFO full threshold that a 4-word burst needs (RM0090 10.3.6, table 48). The unit takes a
 * word per 4 HCLK (RM0090 4.3); the CPU waits that long on the DWT counter (the private bus: no
 * AHB1 access against the DMA's; at most count turns of at least 4 cycles if CYCCNT were stopped),
 * then polls for the end at most count times. Returns the words not fed: 0, or what is left after a
 * transfer error or a timeout (the stream is stopped then). */
static uint32_t crc_feed_dma(const uint32_t *words, uint32_t count)
{
    DMA2_LIFCR = DMA_LIFCR_S0_ALL; /* flags cleared before EN (RM0090 10.3.17) */
    DMA2_S0PAR = (uint32_t)words;
    DMA2_S0M0AR = (uint32_t)&CRC_DR;
    DMA2_S0NDTR = count;
    DMA2_S0FCR = DMA_SxFCR_FULL;
    uint32_t start = DWT_CYCCNT;
    DMA2_S0CR = DMA_SxCR_M2M | DMA_SxCR_PINC | DMA_SxCR_WORDS | DMA_SxCR_PBURST4 | DMA_SxCR_EN;
    for (uint32_t i = count; i && DWT_CYCCNT - start < 4u * count; i--) {
    }
    for (uint32_t i = count; i && !(DMA2_LISR & (DMA_LISR_S0_TCIF | DMA_LISR_S0_TEIF)); i--) {
    }
    /* EN clears at the end or on an error; else stop it: it ends after the current item. Only
     * EN: the other fields are read-only while EN=1 (RM0090 10.5.5; ST's HAL and LL clear EN
     * alone). The wait for that item is long (2^20 polls, tens of ms): NDTR read while it still
     * runs would make the CPU feed a word twice and refuse a valid image. */
    DMA2_S0CR &= ~DMA_SxCR_EN;
    for (uint32_t i = 1u << 20; i && (DMA2_S0CR & DMA_SxCR_EN); i--) {
    }
    return DMA2_S0NDTR;
}
#endif

void crc_feed_words(const uint32_t *words, uint32_t count)
{
    volatile uint32_t *dr = &CRC_DR;
#if PROBE_MS == 0
    /* The DMA for the 16-byte aligned whole bursts; what it leaves (an error, a timeout) and
     * the rest go through the CPU, so the CRC covers every word whatever happens. */
    for (; count && ((uint32_t)words & 15u); count--)
        *dr = *words++;
    if (count >= 4u) {
        RCC_AHB1ENR |= RCC_AHB1ENR_DMA2EN;
        (void)RCC_AHB1ENR; /* ES0182: a delay after enabling a clock before the first access */
        uint32_t left = 0;
        while (count >= 4u && !left) {
            uint32_t n = count < 65532u ? count & ~3u : 65532u;
            left = crc_feed_dma(words, n);
            words += n - left;
            count -= n - left;
        }
        RCC_AHB1ENR &= ~RCC_AHB1ENR_DMA2EN; /* the clock back to its reset state */
    }
#endif
    while (count--)
        *dr = *words++;
}

uint32_t crc_value(void)
{
    return CRC_DR;
}
