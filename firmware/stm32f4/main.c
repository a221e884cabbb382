/* Bootloader entry. Skeleton: bring up clocks and show the "waiting" LED. The update
 * pipeline (core/) is wired in by the update issue. */
#include "board.h"
#include "clock.h"
#include "led.h"
#include "platform.h"

int main(void)
{
    int clock = clock_init(1);
    led_init();
    led_show(clock == 0 ? (1u << BOARD_LED_BLUE) : (1u << BOARD_LED_RED));
#ifdef STICKBOOT_TEST_OVERSIZE
    /* Used by the link-budget test only: 17 KB that must not fit the 16 KB sector. */
    static const volatile unsigned char ballast[17 * 1024] = {1};
    led_show(ballast[plat_ms() % sizeof ballast]);
#endif
    for (;;) {
        plat_delay_ms(500);
        led_show(0);
        plat_delay_ms(500);
        led_show(1u << BOARD_LED_BLUE);
    }
}
