/* Reads of flash while it erases (RM0090 3.6): code running from SRAM starts a sector erase and
 * times, with DWT_CYCCNT at HSI 16 MHz, what it does next. A flash data read must wait for the
 * erase's end; SRAM and peripheral accesses must not. On a dual-bank part (F_SIZE 2048 KB) a
 * read of the other bank (data or an instruction fetch) proceeds and one of the erased bank
 * waits. Prints "bench NAME N". */
#include "emufw.h"

#define RAMFUNC   __attribute__((section(".ramfunc"), noinline, long_call))
#define BSY       (1u << 16)
#define CR_SER    (1u << 1)
#define CR_STRT   (1u << 16)
#define PSIZE_X32 (2u << 8)
#define F_SIZE_KB (*(volatile uint16_t *)0x1FFF7A22u)
#define GPIOA_IDR REG(0x40020010u)

static volatile uint32_t sram_word;

/* Starts the erase of SNB snb, then reads *addr (a flash word, or 0: SRAM and GPIOA only,
 * 1000 times). Returns the cycles from STRT to after the reads; *busy = BSY after them. */
#define ERASE_THEN_READ(name, attr)                                                                \
    attr static uint32_t name(uint32_t snb, const volatile uint32_t *addr, uint32_t *busy)         \
    {                                                                                              \
        return erase_then_read_body(snb, addr, busy);                                              \
    }

static inline __attribute__((always_inline)) uint32_t
erase_then_read_body(uint32_t snb, const volatile uint32_t *addr, uint32_t *busy)
{
    FLASH_CR = PSIZE_X32 | CR_SER | (snb << 3);
    FLASH_CR = PSIZE_X32 | CR_SER | (snb << 3) | CR_STRT;
    uint32_t t0 = DWT_CYCCNT, sum = 0;
    if (addr) {
        sum = *addr;
    } else {
        for (uint32_t i = 0; i < 1000u; i++)
            sum += sram_word + GPIOA_IDR;
    }
    uint32_t t1 = DWT_CYCCNT;
    *busy = (FLASH_SR & BSY) != 0;
    sram_word = sum;
    for (uint32_t i = 0; i < 100000000u && (FLASH_SR & BSY); i++) {
    }
    return t1 - t0;
}

ERASE_THEN_READ(erase_then_read, RAMFUNC)
ERASE_THEN_READ(erase_then_read_from_flash, __attribute__((noinline)))

static void report(const char *name, uint32_t cycles, uint32_t busy)
{
    uart_puts("bench ");
    uart_puts(name);
    uart_putc(' ');
    uart_hex(cycles);
    uart_puts(busy ? " busy\n" : " idle\n");
}

int main(void)
{
    uart_init();
    RCC_AHB1ENR |= 1u; /* GPIOA */
    DEMCR |= 1u << 24;
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1u;
    FLASH_KEYR = 0x45670123u;
    FLASH_KEYR = 0xCDEF89ABu;
    uint32_t busy, n;
    /* Sector 1 (16 KB, 250 ms at x32 = 4,000,000 cycles at 16 MHz). */
    n = erase_then_read(1, (const volatile uint32_t *)0x08008000u, &busy);
    report("flash_read", n, busy);
    n = erase_then_read(1, (const volatile uint32_t *)0x00008000u, &busy);
    report("alias_read", n, busy);
    n = erase_then_read(1, 0, &busy);
    report("sram_periph", n, busy);
    if (F_SIZE_KB == 2048u) {
        /* SNB 16 = sector 12, bank 2 at 0x08100000 (RM0090 3.9.8). */
        n = erase_then_read(16, (const volatile uint32_t *)0x08008000u, &busy);
        report("other_bank_read", n, busy);
        n = erase_then_read(16, (const volatile uint32_t *)0x08104000u, &busy);
        report("same_bank_read", n, busy);
        /* Code in bank 1 runs on while bank 2 erases. */
        n = erase_then_read_from_flash(16, 0, &busy);
        report("other_bank_fetch", n, busy);
    }
    uart_puts("done\n");
    uart_flush();
    for (;;)
        __asm volatile("wfi");
}
