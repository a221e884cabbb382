/* NUCLEO-F429ZI (STM32F429ZIT6, Nucleo-144 board MB1137, the same board as the NUCLEO-F446ZE).
 * Facts and where they were checked (docs/porting.md has the table):
 * - LEDs PB0/PB7/PB14, B1 on PC13 (pressed = high), OTG_FS on PA11/PA12 (CN13), VBUS switch
 *   enable PG6 high = on, overcurrent PG7, HSE 8 MHz from the ST-LINK MCO (bypass): UM1974;
 *   the same MB1137 facts as nucleo-f446ze.h; ST's STM32CubeF4 STM32F429ZI-Nucleo USB_Host
 *   MSC_Standalone (OTG_FS host on this board).
 * - 2 MB flash in two banks of 1 MB: sectors 0-11 at 0x08000000, sectors 12-23 at 0x08100000,
 *   each bank 4 x 16 KB, 64 KB, 7 x 128 KB; FLASH_CR.SNB codes sectors 12-23 as 16-27:
 *   RM0090 3.3 table 6 and 3.9.8. DB1M (dual bank on 1 MB parts) is not supported.
 * - 192 KB SRAM contiguous at 0x20000000 (SRAM1 112 KB, SRAM2 16 KB, SRAM3 64 KB), CCM 64 KB:
 *   RM0090 2.3.1. GCCFG bit 21 is NOVBUSSENS as on the F407 (RM0090 34.16.2). */
#ifndef BOARD_NUCLEO_F429ZI_H
#define BOARD_NUCLEO_F429ZI_H

#define BOARD_NAME "nucleo-f429zi"
#define BOARD_ID   0x0429E144u
#define BOARD_CHIP "STM32F429ZI"

#define BOARD_FLASH_SIZE      (2048u * 1024u)
#define BOARD_FLASH_DUAL_BANK 1
#define BOARD_SRAM_SIZE       (192u * 1024u)
#define BOARD_CCM_SIZE        (64u * 1024u) /* CCM data RAM at 0x10000000, unused by stickboot */
#define BOARD_HSE_HZ          8000000u
#define BOARD_HSE_BYPASS      1 /* 8 MHz from ST-LINK MCO */

/* 168 MHz (180 would need over-drive and leaves no exact 48 MHz from PLLQ). */
#define BOARD_PLL_M             8u
#define BOARD_PLL_N             336u
#define BOARD_PLL_P             2u
#define BOARD_PLL_Q             7u
#define BOARD_SYSCLK_HZ         168000000u
#define BOARD_FLASH_WAIT_STATES 5u
#define BOARD_PWR_VOS           3u /* PWR_CR.VOS 15:14 = 11, scale 1 (its reset value) */

#define BOARD_LED_PORT       1u
#define BOARD_LED_GREEN      0u
#define BOARD_LED_ORANGE     0u
#define BOARD_LED_RED        14u
#define BOARD_LED_BLUE       7u
#define BOARD_LED_ACTIVE_LOW 0

#define BOARD_BUTTON_PORT        2u /* PC13 */
#define BOARD_BUTTON_PIN         13u
#define BOARD_BUTTON_ACTIVE_HIGH 1

#define BOARD_USB_OTG_HS      0 /* OTG_FS, PA11/PA12, CN13 */
#define BOARD_VBUS_SWITCH     1
#define BOARD_VBUS_PORT       6u /* PG6 USB_PowerSwitchOn, high = on */
#define BOARD_VBUS_PIN        6u
#define BOARD_VBUS_ACTIVE_LOW 0

#define BOARD_UART_TX_PORT 0u
#define BOARD_UART_TX_PIN  2u

#define BOARD_OPENOCD_CFG "board/st_nucleo_f4.cfg"

#endif
