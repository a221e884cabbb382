/* A test application behind stickboot (at APP_BASE 0x08004000) for tests/suites/
 * dma_hostile_emu.sh: at each entry it checks that the chip is as reset left it where the
 * bootloader's PROBE_MS=0 check used it (RCC_AHB1ENR, DMA2 and its stream 0 registers, the
 * DMA2_Stream0 interrupt not pending, the CRC unit; RM0090 10.5 and 4.4 reset values), prints
 * "entry N clean" or "entry N dirty NAME VALUE", then leaves all of it dirty (DMA2 clock on,
 * stream 0 in a long memory-to-memory copy with TCIE (its NVIC line left disabled), stream 2 flags
 * set, the CRC fed) and resets: entry 1 by SYSRESETREQ, entry 2 by the IWDG; later entries wait for
 * the NRST or brown-out the suite injects. */
#define EMUFW_OWN_VECTORS
#include "../emufw.h"

#define DMA2_BASE     0x40026400u
#define DMA2_LISR     REG(DMA2_BASE + 0x00u)
#define DMA2_HISR     REG(DMA2_BASE + 0x04u)
#define DMA2_SCR(s)   REG(DMA2_BASE + 0x10u + 0x18u * (s))
#define DMA2_SNDTR(s) REG(DMA2_BASE + 0x14u + 0x18u * (s))
#define DMA2_SPAR(s)  REG(DMA2_BASE + 0x18u + 0x18u * (s))
#define DMA2_SM0AR(s) REG(DMA2_BASE + 0x1Cu + 0x18u * (s))
#define DMA2_SFCR(s)  REG(DMA2_BASE + 0x24u + 0x18u * (s))
#define CRC_DR        REG(0x40023000u)
#define CRC_IDR       REG(0x40023004u)
#define NVIC_ISPR1    REG(0xE000E204u)
#define NVIC_ISER1    REG(0xE000E104u)
#define AHB1ENR_CRC   (1u << 12)
#define AHB1ENR_DMA2  (1u << 22)
#define AHB1ENR_RESET 0x00100000u /* CCMDATARAMEN (RM0090 7.3.10) */
/* Survives system resets (not a power-on): far from the bootloader's RAM and both stacks. */
#define COUNTER REG(0x20010000u)
#define MAGIC   REG(0x20010004u)

static void Default_Handler(void)
{
    for (;;) {
    }
}

__attribute__((section(".isr_vector"), used)) static const void *const vectors[16] = {
    &_estack,        Reset_Handler,   Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler,
};

static uint32_t dirty;
static void expect(const char *name, uint32_t got, uint32_t want)
{
    if (got == want)
        return;
    if (!dirty++)
        uart_puts(" dirty");
    uart_putc(' ');
    uart_puts(name);
    uart_putc(' ');
    uart_hex(got);
}

static uint32_t buf[2][4];

int main(void)
{
    uint32_t ahb1enr = RCC_AHB1ENR;
    uint32_t pending = NVIC_ISPR1 & (1u << (56u - 32u));
    RCC_AHB1ENR |= AHB1ENR_DMA2 | AHB1ENR_CRC;
    (void)RCC_AHB1ENR;
    uint32_t lisr = DMA2_LISR, hisr = DMA2_HISR, cr0 = DMA2_SCR(0), cr2 = DMA2_SCR(2);
    uint32_t ndtr = DMA2_SNDTR(0), par = DMA2_SPAR(0), m0ar = DMA2_SM0AR(0), fcr = DMA2_SFCR(0);
    uint32_t crc = CRC_DR, idr = CRC_IDR;
    if (MAGIC != 0x444D4131u) {
        MAGIC = 0x444D4131u;
        COUNTER = 0;
    }
    uint32_t n = ++COUNTER;
    uart_init();
    uart_puts("entry ");
    uart_hex(n);
    expect("RCC_AHB1ENR", ahb1enr, AHB1ENR_RESET);
    expect("NVIC_ISPR1", pending, 0);
    expect("DMA2_LISR", lisr, 0);
    expect("DMA2_HISR", hisr, 0);
    expect("DMA2_S0CR", cr0, 0);
    expect("DMA2_S2CR", cr2, 0);
    expect("DMA2_S0NDTR", ndtr, 0);
    expect("DMA2_S0PAR", par, 0);
    expect("DMA2_S0M0AR", m0ar, 0);
    expect("DMA2_S0FCR", fcr, 0x21u);
    expect("CRC_DR", crc, 0xFFFFFFFFu);
    expect("CRC_IDR", idr, 0);
    uart_puts(dirty ? "\n" : " clean\n");

    CRC_DR = 0x12345678u;
    CRC_IDR = 0x5Au;
    /* Stream 2: a finished copy whose TCIF stays set. */
    DMA2_SPAR(2) = (uint32_t)buf[0];
    DMA2_SM0AR(2) = (uint32_t)buf[1];
    DMA2_SNDTR(2) = 4;
    DMA2_SCR(2) = (2u << 6) | (1u << 9) | (1u << 10) | (2u << 11) | (2u << 13) | 1u;
    for (uint32_t i = 0; i < 1000u && (DMA2_SCR(2) & 1u); i++) {
    }
    /* Stream 0: 65535 words between two fixed SRAM words, FIFO full threshold, TCIE. */
    DMA2_SPAR(0) = (uint32_t)buf[0];
    DMA2_SM0AR(0) = (uint32_t)buf[1];
    DMA2_SNDTR(0) = 0xFFFFu;
    DMA2_SFCR(0) = 3u | (1u << 2);
    DMA2_SCR(0) = (2u << 6) | (1u << 4) | (2u << 11) | (2u << 13) | 1u;
    uart_flush();
    if (n == 1) {
        SCB_AIRCR = 0x05FA0004u; /* SYSRESETREQ */
    } else if (n == 2) {
        IWDG_KR = 0xCCCCu; /* start */
        IWDG_KR = 0x5555u;
        IWDG_PR = 0;
        IWDG_RLR = 4;
        for (uint32_t i = 0; i < 100000u && IWDG_SR; i++) { /* PVU, RVU: the values taken */
        }
        IWDG_KR = 0xAAAAu; /* reload: the new period */
    }
    for (;;) {
    }
}
