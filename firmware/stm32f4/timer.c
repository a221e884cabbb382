/* plat_ms/plat_delay_* from the DWT cycle counter: no interrupt, no SysTick state. */
#include "clock.h"
#include "platform.h"
#include "regs.h"

static uint32_t last_cycles;
static uint32_t spare_cycles;
static uint32_t elapsed_ms;

uint32_t plat_ms(void)
{
    uint32_t now = DWT_CYCCNT;
    uint32_t cycles_per_ms = sysclk_hz / 1000u;
    spare_cycles += now - last_cycles;
    last_cycles = now;
    elapsed_ms += spare_cycles / cycles_per_ms;
    spare_cycles %= cycles_per_ms;
    return elapsed_ms;
}

void plat_delay_us(uint32_t us)
{
    uint32_t start = DWT_CYCCNT;
    uint32_t cycles = us * (sysclk_hz / 1000000u);
    while (DWT_CYCCNT - start < cycles) {
    }
}

void plat_delay_ms(uint32_t ms)
{
    uint32_t start = plat_ms();
    while (plat_ms() - start < ms) {
    }
}
