/* A Cube-style application written for stickemu's tests: what a CubeMX project does at start
 * and at run time, without ST's code. HAL_Init() (flash caches, priority grouping 4, a 1 kHz
 * SysTick tick), SystemClock_Config() (HSE, PLL to 168 MHz with HAL's bit-band PLLON write,
 * flash latency 5, every wait bounded by the tick as HAL's timeouts are), an LED blinking from
 * the tick (500 ms on, 500 ms off), TIM2 update interrupt every 100 ms, USART2 transmit driven
 * by the TXE interrupt, and hard-float code in the main loop and in interrupt handlers: the
 * main loop checks that its FP registers survive every interrupt (lazy FP stacking).
 * CUBEAPP_BASIC: no TIM2, no bit-band, polled USART2 (for an emulator without those models). */
#include "cubeapp.h"

#define HSE_TIMEOUT_MS    100u /* HAL's HSE_STARTUP_TIMEOUT */
#define PLL_TIMEOUT_MS    2u   /* PLL_TIMEOUT_VALUE */
#define SWITCH_TIMEOUT_MS 5000u

static volatile uint32_t uwTick;
static volatile uint32_t tim2_updates;
static volatile float isr_acc = 1.0f;
static int clock_step_failed;

/* ---- HAL-like tick ---- */

static uint32_t HAL_GetTick(void)
{
    return uwTick;
}

static void HAL_InitTick(uint32_t hclk_hz)
{
    SYST_RVR = hclk_hz / 1000u - 1u;
    SYST_CVR = 0;
    SCB_SHPR3 = (SCB_SHPR3 & 0x00FFFFFFu) | (0xF0u << 24); /* TICK_INT_PRIORITY 15 */
    SYST_CSR = 7u;                                         /* HCLK, TICKINT, ENABLE */
}

static void HAL_Init(void)
{
    FLASH_ACR |= (1u << 9) | (1u << 10) | (1u << 8); /* ICEN, DCEN, PRFTEN */
    SCB_AIRCR = 0x05FA0000u | (3u << 8);             /* NVIC_PRIORITYGROUP_4 */
    HAL_InitTick(16000000u);                         /* HSI at reset */
}

/* Floating point in interrupt context: dirties every caller-saved FP register. */
static const float junk[16] = {-1.5f, 2.25f, 3.0f,  4.5f,  5.0f,  6.0f,  7.0f,  8.0f,
                               9.0f,  10.0f, 11.0f, 12.0f, 13.0f, 14.0f, 15.0f, 16.0f};

static void isr_float_work(void)
{
    __asm volatile("vldm %0, {s0-s15}"
                   :
                   : "r"(junk)
                   : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
                     "s12", "s13", "s14", "s15", "memory");
    isr_acc = isr_acc * 0.5f + 1.0f; /* converges to 2.0 */
}

void SysTick_Handler(void)
{
    uwTick++;
    if (uwTick % 500u == 0)
        GPIOD_ODR ^= 1u << 12; /* green LED: 500 ms on, 500 ms off */
    isr_float_work();
}

/* ---- SystemClock_Config(): HSE 8 MHz, PLL M=8 N=336 P=2 Q=7 -> 168 MHz, 48 MHz for USB ---- */

static int wait_bits(volatile uint32_t *reg, uint32_t mask, uint32_t want, uint32_t timeout_ms)
{
    uint32_t start = HAL_GetTick();
    while ((*reg & mask) != want)
        if (HAL_GetTick() - start > timeout_ms)
            return -1;
    return 0;
}

static int SystemClock_Config(void)
{
    RCC_APB1ENR |= 1u << 28; /* PWREN */
    (void)RCC_APB1ENR;
    PWR_CR |= 1u << 14;  /* VOS scale 1 */
    RCC_CR_BYTE2 = 0x01; /* HSEON */
    clock_step_failed = 1;
    if (wait_bits(&RCC_CR, 1u << 17, 1u << 17, HSE_TIMEOUT_MS))
        return -1;
#ifdef CUBEAPP_BASIC
    RCC_CR &= ~(1u << 24);
#else
    RCC_CR_PLLON_BB = 0; /* __HAL_RCC_PLL_DISABLE() */
#endif
    clock_step_failed = 2;
    if (wait_bits(&RCC_CR, 1u << 25, 0, PLL_TIMEOUT_MS))
        return -1;
    RCC_PLLCFGR = 8u | (336u << 6) | (0u << 16) | (1u << 22) | (7u << 24);
#ifdef CUBEAPP_BASIC
    RCC_CR |= 1u << 24;
#else
    RCC_CR_PLLON_BB = 1; /* __HAL_RCC_PLL_ENABLE() */
#endif
    clock_step_failed = 3;
    if (wait_bits(&RCC_CR, 1u << 25, 1u << 25, PLL_TIMEOUT_MS))
        return -1;
    FLASH_ACR = (FLASH_ACR & ~0xFu) | 5u; /* FLASH_LATENCY_5 */
    clock_step_failed = 4;
    if ((FLASH_ACR & 0xFu) != 5u)
        return -1;
    RCC_CFGR = (RCC_CFGR & ~0xFCF0u) | (5u << 10) | (4u << 13); /* AHB /1, APB1 /4, APB2 /2 */
    RCC_CFGR = (RCC_CFGR & ~3u) | 2u;                           /* SW = PLL */
    clock_step_failed = 5;
    if (wait_bits(&RCC_CFGR, 0xCu, 0x8u, SWITCH_TIMEOUT_MS))
        return -1;
    HAL_InitTick(168000000u);
    clock_step_failed = 0;
    return 0;
}

/* ---- USART2 at 115200 on PA2, PCLK1 = 42 MHz ---- */

static const char *volatile tx_next;

void USART2_IRQHandler(void)
{
    if ((USART2_SR & (1u << 7)) && (USART2_CR1 & (1u << 7))) {
        char ch = *tx_next;
        if (ch) {
            USART2_DR = (uint8_t)ch;
            tx_next++;
        } else {
            USART2_CR1 &= ~(1u << 7); /* TXEIE off: message sent */
            tx_next = 0;
        }
    }
}

static void uart_init(void)
{
    RCC_AHB1ENR |= 1u;
    RCC_APB1ENR |= 1u << 17;
    (void)RCC_APB1ENR;
    GPIOA_MODER = (GPIOA_MODER & ~(3u << 4)) | (2u << 4);
    GPIOA_AFRL = (GPIOA_AFRL & ~(0xFu << 8)) | (7u << 8);
    USART2_BRR = clock_step_failed ? 139u : 365u; /* 16 MHz or 42 MHz / 115200 */
    USART2_CR1 = (1u << 13) | (1u << 3);          /* UE, TE */
#ifndef CUBEAPP_BASIC
    NVIC_IPR(USART2_IRQn) = 6u << 4;
    NVIC_ISER(USART2_IRQn / 32u) = 1u << (USART2_IRQn % 32u);
#endif
}

static void uart_send(const char *s)
{
#ifdef CUBEAPP_BASIC
    for (; *s; s++) {
        for (uint32_t i = 0; i < 1000000u && !(USART2_SR & (1u << 7)); i++) {
        }
        USART2_DR = (uint8_t)*s;
    }
#else
    uint32_t start = HAL_GetTick();
    while (tx_next && HAL_GetTick() - start < 100u) {
    }
    tx_next = s;
    USART2_CR1 |= 1u << 7; /* TXEIE */
#endif
}

static char *put_str(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

static char *put_u32(char *p, uint32_t v)
{
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* ---- TIM2: 84 MHz timer clock / 8400 / 1000 = 10 Hz update interrupt ---- */

void TIM2_IRQHandler(void)
{
    if (TIM2_SR & 1u) {
        TIM2_SR = ~1u; /* rc_w0: clear UIF only */
        tim2_updates++;
        isr_float_work();
    }
}

#ifndef CUBEAPP_BASIC
static void tim2_init(void)
{
    RCC_APB1ENR |= 1u; /* TIM2EN */
    (void)RCC_APB1ENR;
    TIM2_PSC = 8399u;
    TIM2_ARR = 999u;
    TIM2_EGR = 1u; /* UG: load PSC */
    TIM2_SR = 0;
    TIM2_DIER = 1u; /* UIE */
    NVIC_IPR(TIM2_IRQn) = 5u << 4;
    NVIC_ISER(TIM2_IRQn / 32u) = 1u << (TIM2_IRQn % 32u);
    TIM2_CR1 = 1u; /* CEN */
}
#endif

/* ---- main loop: FP state must survive the interrupts ---- */

static volatile float seed = 1.25f;

__attribute__((noinline)) static float fp_work(float a)
{
    float b = 0.0f, c = 1.0f;
    for (int i = 0; i < 500; i++) {
        b = b + a * c;
        c = c * 0.999f + 0.001f;
        a = a * 1.0001f;
    }
    return a + b + c;
}

int main(void)
{
    HAL_Init();
    int clock = SystemClock_Config();
    RCC_AHB1ENR |= 1u << 3; /* GPIODEN */
    (void)RCC_AHB1ENR;
    GPIOD_MODER = (GPIOD_MODER & ~(3u << 24)) | (1u << 24);
    uart_init();
    static char msg[96];
    char *p = msg;
    if (clock == 0 && (RCC_CFGR & 0xCu) == 0x8u) {
        p = put_str(p, "cubeapp: SYSCLK from PLL at 168 MHz, flash latency ");
        p = put_u32(p, FLASH_ACR & 0xFu);
    } else {
        p = put_str(p, "cubeapp: clock setup FAILED at step ");
        p = put_u32(p, (uint32_t)clock_step_failed);
    }
    put_str(p, "\n");
    uart_send(msg);
#ifndef CUBEAPP_BASIC
    tim2_init();
#endif
    __asm volatile("cpsid i" ::: "memory");
    float ref = fp_work(seed);
    __asm volatile("cpsie i" ::: "memory");
    uint32_t runs = 0, errors = 0, last = HAL_GetTick();
    static char report[96];
    for (;;) {
        if (fp_work(seed) != ref)
            errors++;
        runs++;
        if (HAL_GetTick() - last >= 1000u) {
            last += 1000u;
            p = report;
            p = put_str(p, "cubeapp: tick=");
            p = put_u32(p, HAL_GetTick());
            p = put_str(p, " tim2=");
            p = put_u32(p, tim2_updates);
            p = put_str(p, " fp_runs=");
            p = put_u32(p, runs);
            p = put_str(p, " fp_errors=");
            p = put_u32(p, errors);
            p = put_str(p, isr_acc > 1.99f && isr_acc < 2.01f ? " isr_fp=ok\n" : " isr_fp=BAD\n");
            uart_send(report);
        }
    }
}
