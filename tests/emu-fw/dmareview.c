/* Hostile checks of the DMA model (tests/suites/dma_hostile_emu.sh; docs/emulator.md, "DMA"),
 * at HSI 16 MHz. Prints "ok NAME" / "FAILED NAME", then "done".
 * - crc_clock_off: DMA2 feeds 16 flash words into CRC_DR while the CRC unit's clock is off
 *   (RCC_AHB1ENR.CRCEN = 0): the writes reach no unit, as the CPU's would not (RM0090 7.3.10),
 *   so with the clock back CRC_DR still holds its reset value.
 * - burst_1k: an INCR4 peripheral-port burst from an SRAM address 8 bytes below a 1 KB
 *   boundary (RM0090 10.3.11: a burst must not cross one); the suite expects stickemu's
 *   warning. */
#include "emufw.h"

#define DMA2_BASE  0x40026400u
#define LISR       REG(DMA2_BASE + 0x00u)
#define LIFCR      REG(DMA2_BASE + 0x08u)
#define S0CR       REG(DMA2_BASE + 0x10u)
#define S0NDTR     REG(DMA2_BASE + 0x14u)
#define S0PAR      REG(DMA2_BASE + 0x18u)
#define S0M0AR     REG(DMA2_BASE + 0x1Cu)
#define S0FCR      REG(DMA2_BASE + 0x24u)
#define CR_EN      (1u << 0)
#define CR_M2M     (2u << 6)
#define CR_PINC    (1u << 9)
#define CR_MINC    (1u << 10)
#define CR_WORDS   ((2u << 11) | (2u << 13))
#define CR_PBURST4 (1u << 21)
#define S0_TEIF    (1u << 3)
#define S0_TCIF    (1u << 5)
#define CRC_DR     REG(0x40023000u)
#define CRC_CR     REG(0x40023008u)
#define DMA2EN     (1u << 22)
#define CRCEN      (1u << 12)

static int run(uint32_t par, uint32_t m0ar, uint32_t n, uint32_t cr)
{
    LIFCR = 0x3Du;
    S0PAR = par;
    S0M0AR = m0ar;
    S0NDTR = n;
    S0FCR = 3u | (1u << 2); /* FIFO, full threshold */
    S0CR = cr | CR_M2M | CR_WORDS | CR_EN;
    for (uint32_t i = 0; i < 100000u; i++) {
        if (LISR & (S0_TCIF | S0_TEIF))
            return (LISR & S0_TEIF) ? -1 : 0;
    }
    return -1;
}

int main(void)
{
    uart_init();
    RCC_AHB1ENR |= DMA2EN | CRCEN;
    (void)RCC_AHB1ENR;
    CRC_CR = 1u;
    RCC_AHB1ENR &= ~CRCEN;
    (void)RCC_AHB1ENR;
    int r = run(0x08000000u, 0x40023000u, 16, CR_PINC);
    RCC_AHB1ENR |= CRCEN;
    (void)RCC_AHB1ENR;
    check("crc_clock_off", r == 0 && CRC_DR == 0xFFFFFFFFu);

    r = run(0x200083F8u, 0x20009000u, 8, CR_PINC | CR_MINC | CR_PBURST4);
    check("burst_1k", r == 0);
    uart_puts("done\n");
    return 0;
}
