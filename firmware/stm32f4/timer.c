/* plat_ms/plat_delay_us from the DWT cycle counter, plat_delay_ms from SysTick; no interrupt. */
#include "clock.h"
#include "config.h"
#include "platform.h"
#include "regs.h"

void (*plat_background)(void);
static struct {
    uint32_t last_cycles;
    uint32_t spare_cycles;
    uint32_t elapsed_ms;
} timebase; /* one struct: one base address */

RAMFUNC uint32_t plat_ms(void)
{
    if (plat_background)
        plat_background();
    uint32_t now = DWT_CYCCNT;
    uint32_t cycles_per_ms = sysclk_hz / 1000u;
    timebase.spare_cycles += now - timebase.last_cycles;
    timebase.last_cycles = now;
    timebase.elapsed_ms += timebase.spare_cycles / cycles_per_ms;
    timebase.spare_cycles %= cycles_per_ms;
    return timebase.elapsed_ms;
}

void plat_delay_us(uint32_t us)
{
    uint32_t start = DWT_CYCCNT;
    uint32_t cycles = us * (sysclk_hz / 1000000u);
    while (DWT_CYCCNT - start < cycles) {
    }
}

/* SysTick as a 1 ms flag, no interrupt: a wait on it reads one register that changes only
 * when the counter wraps, so an emulator can skip to the wrap exactly (docs/emulator.md). Set
 * up at each start from sysclk_hz, so a clock switch needs no re-basing. The counter starts
 * from 0 (a CVR write clears it and COUNTFLAG), reloads on the first tick and wraps every
 * sysclk_hz / 1000 cycles. */
RAMFUNC void systick_ms_start(void)
{
    SYST_RVR = sysclk_hz / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_ENABLE;
}

/* Left disabled after, so the application finds SysTick as after reset. */
void plat_delay_ms(uint32_t ms)
{
    systick_ms_start();
    while (ms--) {
        while (!(SYST_CSR & SYST_CSR_COUNTFLAG)) {
        }
    }
    SYST_CSR = 0;
}
