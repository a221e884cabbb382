/* core/platform.h for host tests: a virtual millisecond clock that advances on every call, so
 * every bounded wait terminates; shown phases are recorded. */
#include "fake_platform.h"

uint32_t fake_ms;
unsigned fake_watchdog_kicks;
enum plat_phase fake_last_phase;
unsigned fake_last_arg;
unsigned fake_error_shows;

void (*plat_background)(void);

uint32_t plat_ms(void)
{
    if (plat_background)
        plat_background();
    return fake_ms++;
}

void plat_delay_ms(uint32_t ms)
{
    fake_ms += ms;
}

void plat_delay_us(uint32_t us)
{
    fake_ms += us / 1000u;
}

void plat_show(enum plat_phase phase, unsigned arg)
{
    fake_last_phase = phase;
    fake_last_arg = arg;
    if (phase == PHASE_ERROR)
        fake_error_shows++;
}

void plat_watchdog_kick(void)
{
    fake_watchdog_kicks++;
}

void plat_unique_id(uint32_t id[3])
{
    id[0] = 0x00350036u; /* any fixed value: tests compare what they set */
    id[1] = 0x34375113u;
    id[2] = 0x39383233u;
}
