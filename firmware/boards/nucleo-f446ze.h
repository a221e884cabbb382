/* NUCLEO-F446ZE (STM32F446ZE, Nucleo-144 board MB1137). Facts and where they were checked
 * (docs/porting.md has the full list):
 * - LEDs LD1 green PB0, LD2 blue PB7, LD3 red PB14, on when the pin is high: UM1974 (Nucleo-144
 *   user manual); ST's BSP STM32CubeF4 Drivers/BSP/STM32F4xx_Nucleo_144 (LED1/2/3 pins, on =
 *   GPIO_PIN_SET).
 * - B1 USER on PC13, pulled down on the board, pressed = high: UM1974; ST's BSP reads it with a
 *   pull-down; MicroPython NUCLEO_F429ZI (same MB1137 board) "pressing makes the input go high".
 * - USB OTG_FS on PA11/PA12 (CN13), VBUS switch enable PG6 (USB_PowerSwitchOn), high = VBUS on,
 *   overcurrent flag PG7: UM1974; ST's BSP (OTG_FS1_POWER_SWITCH_PIN PG6); STM32CubeF7
 *   STM32F767ZI-Nucleo USB_Host usbh_conf.c (same board) sets PG6 to drive VBUS.
 * - HSE 8 MHz from the ST-LINK MCO, so HSEBYP (bypass): UM1974 "HSE clock" default
 *   configuration; Zephyr boards/st/nucleo_f446ze (hse-bypass, 8 MHz).
 * - 512 KB flash, sectors 4 x 16 KB, 64 KB, 3 x 128 KB: RM0390; CMSIS stm32f446xx.h FLASH_END
 *   0x0807FFFF; HAL IS_FLASH_SECTOR lists sectors 0-7 for STM32F446xx.
 * - SRAM 128 KB contiguous at 0x20000000 (SRAM1 112 KB + SRAM2 16 KB at 0x2001C000): CMSIS.
 * Differences from the F407 that the shared code meets (RM0390, CMSIS stm32f446xx.h):
 * - OTG_FS GCCFG bit 21 is VBDEN (VBUS detection enable), not NOVBUSSENS; ST's HAL clears it
 *   for host mode. BOARD_OTG_GCCFG_VBDEN tells the driver.
 * - PWR_CR.VOS is two bits (15:14), reset value 11 = scale 1: setting bit 14 keeps scale 1.
 * - RCC_PLLCFGR bits 30:28 are PLLR (reset 2, valid 2-7): the clock code writes 2.
 * - The 48 MHz clock comes from PLLQ while RCC_DCKCFGR2.CK48MSEL = 0 (its reset value). */
#ifndef BOARD_NUCLEO_F446ZE_H
#define BOARD_NUCLEO_F446ZE_H

#define BOARD_NAME "nucleo-f446ze"
#define BOARD_ID   0x0446E144u

#define BOARD_CHIP            "STM32F446ZE"
#define BOARD_FLASH_SIZE      (512u * 1024u)
#define BOARD_FLASH_DUAL_BANK 0
#define BOARD_SRAM_SIZE       (128u * 1024u)
#define BOARD_CCM_SIZE        0u /* no CCM */
#define BOARD_HSE_HZ          8000000u
#define BOARD_HSE_BYPASS      1 /* 8 MHz from ST-LINK MCO */

/* 168 MHz SYSCLK and 48 MHz for USB from the main PLL (180 MHz would need PLLSAI for USB). */
#define BOARD_PLL_M             8u
#define BOARD_PLL_N             336u
#define BOARD_PLL_P             2u
#define BOARD_PLL_Q             7u
#define BOARD_SYSCLK_HZ         168000000u
#define BOARD_FLASH_WAIT_STATES 5u
#define BOARD_PWR_VOS           1u /* ORed into PWR_CR.VOS (15:14, reset 11 = scale 1): stays 11 */

/* All three user LEDs are on GPIOB; there is no fourth, so orange maps onto green. */
#define BOARD_LED_PORT       1u
#define BOARD_LED_GREEN      0u
#define BOARD_LED_ORANGE     0u
#define BOARD_LED_RED        14u
#define BOARD_LED_BLUE       7u
#define BOARD_LED_ACTIVE_LOW 0

#define BOARD_BUTTON_PORT        2u /* PC13 */
#define BOARD_BUTTON_PIN         13u
#define BOARD_BUTTON_ACTIVE_HIGH 1

#define BOARD_USB_OTG_HS      0 /* OTG_FS on PA11/PA12, CN13 */
#define BOARD_VBUS_SWITCH     1
#define BOARD_VBUS_PORT       6u /* PG6 USB_PowerSwitchOn, high = on */
#define BOARD_VBUS_PIN        6u
#define BOARD_VBUS_ACTIVE_LOW 0

/* F446 OTG_FS: GCCFG bit 21 is VBDEN; host mode keeps it 0 (no NOVBUSSENS on this chip). */
#define BOARD_OTG_GCCFG_VBDEN 1

/* USART3 (PD8/PD9) goes to the ST-LINK virtual COM port on this board; the optional log uses
 * USART2 TX on PA2 (AF7) like the discovery board: take it from the ST morpho connector with
 * a USB-serial adapter. */
#define BOARD_UART_TX_PORT 0u
#define BOARD_UART_TX_PIN  2u

#define BOARD_OPENOCD_CFG "board/st_nucleo_f4.cfg"

#endif
