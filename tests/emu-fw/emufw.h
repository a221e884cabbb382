/* Shared bits of the stickemu test firmwares: vector table, USART2 text output at HSI. */
#ifndef EMUFW_H
#define EMUFW_H

#include <stdint.h>

#define REG(addr)   (*(volatile uint32_t *)(addr))
#define RCC_CR      REG(0x40023800u)
#define RCC_AHB1ENR REG(0x40023830u)
#define RCC_APB1ENR REG(0x40023840u)
#define RCC_CSR     REG(0x40023874u)
#define GPIOA_MODER REG(0x40020000u)
#define GPIOA_AFRL  REG(0x40020020u)
#define USART2_SR   REG(0x40004400u)
#define USART2_DR   REG(0x40004404u)
#define USART2_BRR  REG(0x40004408u)
#define USART2_CR1  REG(0x4000440Cu)
#define FLASH_ACR   REG(0x40023C00u)
#define FLASH_KEYR  REG(0x40023C04u)
#define FLASH_SR    REG(0x40023C0Cu)
#define FLASH_CR    REG(0x40023C10u)
#define IWDG_KR     REG(0x40003000u)
#define IWDG_PR     REG(0x40003004u)
#define IWDG_RLR    REG(0x40003008u)
#define IWDG_SR     REG(0x4000300Cu)
#define SCB_VTOR    REG(0xE000ED08u)
#define SCB_AIRCR   REG(0xE000ED0Cu)
#define DEMCR       REG(0xE000EDFCu)
#define DWT_CTRL    REG(0xE0001000u)
#define DWT_CYCCNT  REG(0xE0001004u)

int main(void);
void Reset_Handler(void);
extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

#ifndef EMUFW_OWN_VECTORS /* a firmware with interrupt handlers brings its own table */
/* Faults and unexpected exceptions stop here: the emulator reports a run that ends in a
 * fault handler as state=fault. A firmware may also install its own table (VTOR). */
static void Default_Handler(void)
{
    for (;;) {
    }
}

__attribute__((section(".isr_vector"), used)) static const void *const vectors[16] = {
    &_estack,
    Reset_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    0,
    0,
    0,
    0,
    Default_Handler,
    Default_Handler,
    0,
    Default_Handler,
    Default_Handler,
};
#endif

void Reset_Handler(void)
{
    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;)
        *dst++ = *src++;
    for (uint32_t *dst = &_sbss; dst < &_ebss;)
        *dst++ = 0;
    main();
    for (;;) {
    }
}

static inline void uart_init(void)
{
    RCC_AHB1ENR |= 1u;
    RCC_APB1ENR |= 1u << 17;
    (void)RCC_APB1ENR;
    GPIOA_MODER = (GPIOA_MODER & ~(3u << 4)) | (2u << 4); /* PA2 AF */
    GPIOA_AFRL = (GPIOA_AFRL & ~(0xFu << 8)) | (7u << 8); /* AF7 USART2 */
    USART2_BRR = 139u;                                    /* 16 MHz / 115200 */
    USART2_CR1 = (1u << 13) | (1u << 3);                  /* UE, TE */
}

static inline void uart_putc(char c)
{
    for (uint32_t i = 0; i < 100000u && !(USART2_SR & (1u << 7)); i++) {
    }
    USART2_DR = (uint8_t)c;
}

static inline void uart_puts(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

static inline void uart_hex(uint32_t v)
{
    uart_puts("0x");
    for (int i = 28; i >= 0; i -= 4)
        uart_putc("0123456789abcdef"[(v >> i) & 0xFu]);
}

static inline void uart_flush(void)
{
    for (uint32_t i = 0; i < 100000u && !(USART2_SR & (1u << 6)); i++) {
    }
}

static inline void check(const char *name, int ok)
{
    uart_puts(ok ? "ok " : "FAILED ");
    uart_puts(name);
    uart_putc('\n');
}

#endif
