/* Which optional models this stickemu has, for tests that need them: the USART2 interrupt
 * line, bit-band aliases, TIM2 counting. One "probe: NAME yes|no" line each; TIM2 last, as
 * an emulator without it may end the run at the first TIM2 access. */
#include "emufw.h"

#define NVIC_ISER(n) REG(0xE000E100u + 4u * (n))
#define SCB_SHCSR    REG(0xE000ED24u)
#define TIM2_CR1     REG(0x40000000u)
#define TIM2_CNT     REG(0x40000024u)
#define TIM2_ARR     REG(0x4000002Cu)

static uint32_t ram_vectors[16 + 82] __attribute__((aligned(512)));
static volatile uint32_t usart_irqs, bus_faults;
static volatile uint32_t word;

static void usart2_handler(void)
{
    usart_irqs++;
    USART2_CR1 &= ~(1u << 7); /* TXEIE off */
}

__attribute__((used)) void skip_faulting(uint32_t *frame)
{
    bus_faults++;
    uint16_t hw = *(volatile uint16_t *)frame[6];
    frame[6] += (hw >> 11) >= 0x1Du ? 4u : 2u;
    REG(0xE000ED28u) = 0xFFFFFFFFu;
}

__attribute__((naked)) static void busfault_entry(void)
{
    __asm volatile("mrs r0, msp\n\tb skip_faulting\n\t");
}

static void result(const char *name, int yes)
{
    uart_puts("probe: ");
    uart_puts(name);
    uart_puts(yes ? " yes\n" : " no\n");
    uart_flush();
}

int main(void)
{
    uart_init();
    for (unsigned i = 0; i < 16u + 82u; i++)
        ram_vectors[i] = ((const uint32_t *)vectors)[i < 16u ? i : 2u];
    ram_vectors[5] = (uint32_t)busfault_entry;
    ram_vectors[16 + 38] = (uint32_t)usart2_handler;
    SCB_VTOR = (uint32_t)ram_vectors;
    SCB_SHCSR |= 1u << 17; /* BUSFAULTENA */
    __asm volatile("dsb\n\tisb" ::: "memory");

    NVIC_ISER(1) = 1u << (38 - 32);
    USART2_CR1 |= 1u << 7; /* TXEIE with TXE set: the line goes high */
    for (volatile int i = 0; i < 1000; i++) {
    }
    result("usart2_irq", usart_irqs > 0);

    /* Bit 3 of word through the SRAM bit-band alias (RM0090 2.3.3). */
    word = 0;
    REG(0x22000000u + ((uint32_t)&word - 0x20000000u) * 32u + 3u * 4u) = 1;
    __asm volatile("dsb" ::: "memory");
    result("bitband", bus_faults == 0 && word == 8u);

    RCC_APB1ENR |= 1u; /* TIM2EN */
    (void)RCC_APB1ENR;
    TIM2_ARR = 0xFFFFu;
    TIM2_CR1 = 1u;
    uint32_t c0 = TIM2_CNT;
    for (volatile int i = 0; i < 1000; i++) {
    }
    result("tim2", bus_faults == 0 && TIM2_CNT != c0);
    uart_flush();
    for (;;) {
    }
}
