/* Bootloader entry: decide, then either start the application at once or run an update
 * session (core/bootloader.c). */
#include "board.h"
#include "bootloader.h"
#include "clock.h"
#include "config.h"
#include "flash.h"
#include "led.h"
#include "regs.h"
#include "update.h"

static int button_held(void)
{
    RCC_AHB1ENR |= 1u << BOARD_BUTTON_PORT;
    (void)RCC_AHB1ENR;
    /* Pull towards "released", then give the input synchroniser a moment. */
    unsigned shift = 2u * BOARD_BUTTON_PIN;
    GPIO_PUPDR(BOARD_BUTTON_PORT) = (GPIO_PUPDR(BOARD_BUTTON_PORT) & ~(3u << shift)) |
                                    ((BOARD_BUTTON_ACTIVE_HIGH ? 2u : 1u) << shift);
    for (volatile int i = 0; i < 16; i++) {
    }
    unsigned level = (GPIO_IDR(BOARD_BUTTON_PORT) >> BOARD_BUTTON_PIN) & 1u;
    return level == (BOARD_BUTTON_ACTIVE_HIGH ? 1u : 0u);
}

/* Set the handover flag and reset: the early reset path starts the application. */
static void start_app(void)
{
    volatile uint32_t *slot = (volatile uint32_t *)SLOT_ADDR;
    slot[0] = SLOT_HANDOVER_MAGIC;
    slot[1] = ~SLOT_HANDOVER_MAGIC;
    __asm volatile("dsb" ::: "memory");
    SCB_AIRCR = SCB_AIRCR_RESET;
    for (;;) {
    }
}

/* With the "hardware watchdog" option (WDG_SW = 0) the IWDG runs from reset with /4 and
 * reload 0xFFF: 512 ms at LSI 32 kHz, 349 ms at 47 kHz (DS8626). One sector erase takes up to
 * 2 s (128 KB, x32) and stalls every fetch from flash, so nothing can refresh it meanwhile.
 * /32 gives 4.1 s nominal, 2.79 s with the fastest LSI. Writing PR does not start a stopped
 * watchdog; the application gets the reset values again after the handover reset. */
static void stretch_watchdog(void)
{
    IWDG_KR = 0x5555u; /* write access to PR */
    IWDG_PR = 3u;      /* /32 */
    IWDG_KR = 0xAAAAu; /* reload; also ends the write access */
}

int main(void)
{
#ifdef STICKBOOT_TEST_NO_WATCHDOG_STRETCH /* emulator test of the 512 ms reset period */
    (void)stretch_watchdog;
#else
    stretch_watchdog();
#endif
    volatile uint32_t *slot = (volatile uint32_t *)SLOT_ADDR;
    int forced = slot[0] == SLOT_REQUEST_MAGIC && slot[1] == ~SLOT_REQUEST_MAGIC;
    /* The watchdog ended the last boot's session while a valid app waited: a stick held the
     * bootloader past every bound. This boot goes to the app (if still valid), so that stick
     * cannot turn the watchdog into a reset loop. */
    int held = slot[2] == SLOT_SESSION_MAGIC && (RCC_CSR & RCC_CSR_IWDGRSTF);
    slot[0] = 0;
    slot[2] = 0;
    forced |= button_held();

    /* Fast path: nothing asks for USB, so check the image on the HSI-fed PLL (no crystal
     * wait) and go. */
    int fast = !forced && PROBE_MS == 0;
    /* The time base (timer.c) counts from here. The DWT is reset by power-on only (ARMv7-M
     * ARM C1.6.1): after an NRST, IWDG or SYSRESETREQ reset CYCCNT still holds the
     * application's uptime, which would close the probe window before it opened. */
    DEMCR |= DEMCR_TRCENA;
    DWT_CYCCNT = 0;
    /* PROBE_MS=0: the HSI-fed PLL was started in Reset_Handler and locked meanwhile. */
    clock_init(!fast);
    /* The RAMFUNC code (plat_ms, memcpy, the USB read path) before anything calls it: at the
     * PLL's speed, 10 times faster than in the reset handler at 16 MHz. */
    extern uint32_t _siramfunc, _sramfunc, _eramfunc;
    const uint32_t *from = &_siramfunc;
    uint32_t *to = &_sramfunc;
#if PROBE_MS == 0
    /* Four words a turn where the copy is on the path to the application (2.7 KB: 41 -> 20 us
     * of a 1.8 ms boot under the m4 cycle model); memcpy is itself RAMFUNC code. */
    while (&_eramfunc - to >= 4)
        __asm volatile("ldmia %0!, {r2, r3, r4, r5}\n"
                       "stmia %1!, {r2, r3, r4, r5}"
                       : "+l"(from), "+l"(to)
                       :
                       : "r2", "r3", "r4", "r5", "memory");
#endif
    while (to < &_eramfunc)
        *to++ = *from++;
#if PROTECT_BOOT
    /* Once per chip: later boots find nWRP0 clear and write nothing. A failure (RDP level 2
     * freezes the options) leaves the board working, unprotected. */
    flash_boot_protection(1);
#endif
    struct image_trailer installed;
    int app_valid = installed_image(&installed);
#ifdef SREC_CRC_ADDR
    /* A power cut between seal and CRC word leaves the word erased: complete it. */
    if (app_valid && *flash_words(SREC_CRC_ADDR) == 0xFFFFFFFFu) {
        flash_unlock();
        seal_whole_flash();
        flash_lock();
    }
#endif
    if (!((fast || held) && app_valid)) {
        if (fast)
            clock_init(1);
        led_init();
        slot[2] = SLOT_SESSION_MAGIC; /* read back only with a valid app */
        bootloader_run(app_valid, installed.app_version, forced);
        slot[2] = 0;
    }
#ifdef STICKBOOT_TEST_OVERSIZE
    /* Used by the link-budget test only: 17 KB that must not fit the 16 KB sector. */
    static const volatile unsigned char ballast[17 * 1024] = {1};
    slot[2] = ballast[installed.app_length % sizeof ballast];
#endif
    start_app();
    return 0;
}
