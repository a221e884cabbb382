/* stickboot_app.h: the application side of stickboot. Header only, no dependencies.
 *
 *   stickboot_request_update();            reset into the bootloader's update mode
 *   stickboot_installed(&info)             version, length and CRC of the running image
 *
 * The bootloader and the application share a 16-byte slot at the end of SRAM
 * (STICKBOOT_SLOT_ADDR). Keep it out of your linker script's RAM (LENGTH = 128K - 16), or at
 * least out of anything initialised before main() reads it. On a chip with another SRAM size
 * define STICKBOOT_SLOT_ADDR as its SRAM end - 16 before including this header: 0x2000FFF0
 * with 64 KB (STM32F401CC), 0x2002FFF0 with 192 KB (STM32F429). */
#ifndef STICKBOOT_APP_H
#define STICKBOOT_APP_H

#include <stdint.h>

#ifndef STICKBOOT_APP_BASE
#define STICKBOOT_APP_BASE 0x08004000u /* must match the bootloader's APP_BASE */
#endif
#ifndef STICKBOOT_SLOT_ADDR
#define STICKBOOT_SLOT_ADDR 0x2001FFF0u
#endif
#define STICKBOOT_REQUEST_MAGIC 0x5B0055B7u
#define STICKBOOT_TRAILER_MAGIC 0x31544253u /* "SBT1" */

struct stickboot_info {
    uint32_t app_length;  /* bytes from STICKBOOT_APP_BASE, trailer excluded */
    uint32_t app_crc;     /* STM32 CRC unit value over those bytes */
    uint32_t app_version; /* major << 24 | minor << 16 | patch; 0 for raw binaries */
    uint32_t flags;       /* 1: signed, 2: sealed by the bootloader from a raw binary */
};

/* Ask for an update at the next reset, and reset now. Does not return. The bootloader then
 * waits for a stick (30 s by default) and restarts this application if none comes. */
static inline void stickboot_request_update(void)
{
    volatile uint32_t *slot = (volatile uint32_t *)STICKBOOT_SLOT_ADDR;
    slot[0] = STICKBOOT_REQUEST_MAGIC;
    slot[1] = ~STICKBOOT_REQUEST_MAGIC;
    __asm volatile("dsb" ::: "memory");
    *(volatile uint32_t *)0xE000ED0Cu = 0x05FA0004u; /* AIRCR: SYSRESETREQ */
    for (;;) {
    }
}

/* Fill *info from the installed image's trailer. 0 on success, -1 when there is none. */
static inline int stickboot_installed(struct stickboot_info *info)
{
    const volatile uint32_t *app = (const volatile uint32_t *)STICKBOOT_APP_BASE;
    uint32_t length = app[7]; /* vector-table word 7 holds the image length */
    if (length % 4u || length < 32u || length > 0x00100000u)
        return -1;
    const volatile uint32_t *trailer = (const volatile uint32_t *)(STICKBOOT_APP_BASE + length);
    if (trailer[0] != STICKBOOT_TRAILER_MAGIC || trailer[2] != length)
        return -1;
    info->app_length = length;
    info->app_crc = trailer[4];
    info->app_version = trailer[5];
    info->flags = trailer[7];
    return 0;
}

#endif
