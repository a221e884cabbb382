/* Clock tree bring-up. Every ready-bit wait is bounded with the cycle counter, which runs
 * from reset at the HSI frequency, so the bounds hold before the PLL is up. */
#include "clock.h"

#include "board.h"
#include "config.h"
#include "regs.h"

#define HSI_HZ             16000000u
#define HSE_STARTUP_CYCLES (HSI_HZ / 10u)  /* 100 ms at HSI */
#define PLL_LOCK_CYCLES    (HSI_HZ / 100u) /* 10 ms; datasheet lock time is ~100 us */
#define SWITCH_CYCLES      (HSI_HZ / 1000u)

uint32_t sysclk_hz = HSI_HZ;

static int wait_bits(volatile uint32_t *reg, uint32_t mask, uint32_t want, uint32_t cycles)
{
    uint32_t start = DWT_CYCCNT;
    while ((*reg & mask) != want) {
        if (DWT_CYCCNT - start > cycles)
            return -1;
    }
    return 0;
}

/* PLLCFGR for input divider m from source src; bits 31:28 keep their reset value (reserved on
 * F407, PLLR = 2 on F446). */
static uint32_t pll_config(uint32_t m, uint32_t src)
{
    return m | (BOARD_PLL_N << 6) | (((BOARD_PLL_P >> 1) - 1u) << 16) | src | (BOARD_PLL_Q << 24) |
           (2u << 28);
}

/* Same PLL input (HSE / M) from HSI: 16 MHz must be a multiple of it. */
_Static_assert((BOARD_PLL_M * (HSI_HZ / 1000u)) % (BOARD_HSE_HZ / 1000u) == 0,
               "HSI fallback: HSE / PLL_M must divide 16 MHz");
#define HSI_PLL_M (BOARD_PLL_M * (HSI_HZ / 1000u) / (BOARD_HSE_HZ / 1000u))

static void regulator_scale(void)
{
    RCC_APB1ENR |= RCC_APB1ENR_PWREN;
    PWR_CR |= BOARD_PWR_VOS << 14; /* the board's voltage scale for its SYSCLK */
}

void clock_pll_start_hsi(void)
{
    regulator_scale();
    RCC_PLLCFGR = pll_config(HSI_PLL_M, 0);
    RCC_CR |= RCC_CR_PLLON;
}

int clock_init(int use_hse)
{
    DEMCR |= DEMCR_TRCENA;
    DWT_CTRL |= 1u; /* CYCCNTENA */

    /* Back to HSI with the PLL off, so the PLL can be (re)configured. */
    RCC_CFGR = 0;
    if (wait_bits(&RCC_CFGR, RCC_CFGR_SWS_MASK, 0, SWITCH_CYCLES) != 0)
        return -1;
    sysclk_hz = HSI_HZ;
    /* Before the PLL starts (F42x/F446: VOS changes only with the PLL off); with PROBE_MS=0
     * clock_pll_start_hsi() did it at reset. */
    if (PROBE_MS != 0)
        regulator_scale();

    int result = 0;
    uint32_t pll_source = 0, pll_m = HSI_PLL_M;
    if (use_hse) {
        if (BOARD_HSE_BYPASS)
            RCC_CR |= RCC_CR_HSEBYP; /* must precede HSEON */
        RCC_CR |= RCC_CR_HSEON;
        if (wait_bits(&RCC_CR, RCC_CR_HSERDY, RCC_CR_HSERDY, HSE_STARTUP_CYCLES) == 0) {
            pll_source = RCC_PLLCFGR_SRC_HSE;
            pll_m = BOARD_PLL_M;
        } else {
            RCC_CR &= ~(RCC_CR_HSEON | RCC_CR_HSEBYP); /* no crystal: stay on HSI */
            result = 1;
        }
    }

    /* With PROBE_MS=0 a PLL already started with this configuration (clock_pll_start_hsi())
     * keeps running; otherwise it is stopped, reconfigured and started. */
    uint32_t config = pll_config(pll_m, pll_source);
    if (PROBE_MS != 0 || ((RCC_PLLCFGR ^ config) << 4) || !(RCC_CR & RCC_CR_PLLON)) {
        RCC_CR &= ~RCC_CR_PLLON;
        if (wait_bits(&RCC_CR, RCC_CR_PLLRDY, 0, PLL_LOCK_CYCLES) != 0)
            return -1;
        RCC_PLLCFGR = config;
        RCC_CR |= RCC_CR_PLLON;
    }
    if (wait_bits(&RCC_CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY, PLL_LOCK_CYCLES) != 0)
        return -1;

    /* Wait states before the faster clock, then check they took. */
    FLASH_ACR = BOARD_FLASH_WAIT_STATES | FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN;
    if ((FLASH_ACR & 0xFu) != BOARD_FLASH_WAIT_STATES)
        return -1;

    RCC_CFGR = RCC_CFGR_PPRE1_DIV4 | RCC_CFGR_PPRE2_DIV2 | RCC_CFGR_SW_PLL;
    if (wait_bits(&RCC_CFGR, RCC_CFGR_SWS_MASK, RCC_CFGR_SWS_PLL, SWITCH_CYCLES) != 0)
        return -1;
    sysclk_hz = BOARD_SYSCLK_HZ;
    return result;
}
