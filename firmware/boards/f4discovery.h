/* STM32F4DISCOVERY (STM32F407VG). Sources: UM1472 (board manual), RM0090. */
#ifndef BOARD_F4DISCOVERY_H
#define BOARD_F4DISCOVERY_H

#define BOARD_NAME "f4discovery"
#define BOARD_ID   0x0407D15Cu /* written into image trailers; stickimg --board f4discovery */

#define BOARD_CHIP            "STM32F407VG"
#define BOARD_FLASH_SIZE      (1024u * 1024u) /* single bank, sectors 0-11 (RM0090 3.3 table 5) */
#define BOARD_FLASH_DUAL_BANK 0
#define BOARD_SRAM_SIZE       (128u * 1024u) /* SRAM1 112 KB + SRAM2 16 KB; CCM 64 KB unused */
#define BOARD_CCM_SIZE        (64u * 1024u)  /* CCM data RAM at 0x10000000, unused by stickboot */
#define BOARD_HSE_HZ          8000000u
#define BOARD_HSE_BYPASS      0 /* crystal X2 */

/* PLL: 8 MHz / M=8 * N=336 = 336 MHz VCO; /P=2 -> 168 MHz SYSCLK; /Q=7 -> 48 MHz USB. */
#define BOARD_PLL_M             8u
#define BOARD_PLL_N             336u
#define BOARD_PLL_P             2u
#define BOARD_PLL_Q             7u
#define BOARD_SYSCLK_HZ         168000000u
#define BOARD_FLASH_WAIT_STATES 5u
#define BOARD_PWR_VOS           1u /* PWR_CR bit 14 (one bit on the F407): scale 1 */

/* Pins as (port letter index, pin): A=0, B=1, C=2, D=3 ... */
#define BOARD_LED_PORT       3u /* GPIOD */
#define BOARD_LED_GREEN      12u
#define BOARD_LED_ORANGE     13u
#define BOARD_LED_RED        14u
#define BOARD_LED_BLUE       15u
#define BOARD_LED_ACTIVE_LOW 0

#define BOARD_BUTTON_PORT        0u /* PA0, B1 user button, pulled down on the board */
#define BOARD_BUTTON_PIN         0u
#define BOARD_BUTTON_ACTIVE_HIGH 1

/* USB host port: OTG_FS on PA11/PA12 (CN5 micro-AB). STMPS2141 VBUS switch: PC0 drives its
 * EN, active low. Overcurrent flag on PD5. */
#define BOARD_USB_OTG_HS      0
#define BOARD_VBUS_SWITCH     1
#define BOARD_VBUS_PORT       2u
#define BOARD_VBUS_PIN        0u
#define BOARD_VBUS_ACTIVE_LOW 1

/* USART2 TX on PA2 (AF7) for the optional log. */
#define BOARD_UART_TX_PORT 0u
#define BOARD_UART_TX_PIN  2u

#define BOARD_OPENOCD_CFG "board/stm32f4discovery.cfg"

#endif
