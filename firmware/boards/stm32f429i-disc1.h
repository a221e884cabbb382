/* 32F429IDISCOVERY / STM32F429I-DISC1 (STM32F429ZIT6, board MB1075). Facts and where they were
 * checked (docs/porting.md has the table):
 * - The user USB port (CN6, micro-AB) is on OTG_HS in full-speed mode with the core's embedded
 *   full-speed PHY: DM PB14, DP PB15 (AF12 "OTG_HS_FS"), VBUS sense PB13. The power switch
 *   enable is PC4, driven LOW to turn VBUS on; overcurrent PC5: ST's STM32CubeF4
 *   Projects/STM32F429I-Discovery USB_Host usbh_conf.c (HOST_POWERSW_VBUS PC4, "ENABLE the
 *   Power Switch by driving the Enable LOW"), UM1670.
 * - LD3 green PG13, LD4 red PG14, on when high; B1 on PA0, pressed = high: UM1670, ST BSP.
 * - HSE 8 MHz crystal X2: UM1670.
 * - Flash and SRAM as nucleo-f429zi.h (RM0090 3.3 table 6, 2.3.1). */
#ifndef BOARD_STM32F429I_DISC1_H
#define BOARD_STM32F429I_DISC1_H

#define BOARD_NAME "stm32f429i-disc1"
#define BOARD_ID   0x0429D15Cu
#define BOARD_CHIP "STM32F429ZI"

#define BOARD_FLASH_SIZE      (2048u * 1024u)
#define BOARD_FLASH_DUAL_BANK 1
#define BOARD_SRAM_SIZE       (192u * 1024u)
#define BOARD_CCM_SIZE        (64u * 1024u) /* CCM data RAM at 0x10000000, unused by stickboot */
#define BOARD_HSE_HZ          8000000u
#define BOARD_HSE_BYPASS      0 /* crystal X2 */

#define BOARD_PLL_M             8u
#define BOARD_PLL_N             336u
#define BOARD_PLL_P             2u
#define BOARD_PLL_Q             7u
#define BOARD_SYSCLK_HZ         168000000u
#define BOARD_FLASH_WAIT_STATES 5u
#define BOARD_PWR_VOS           3u

/* Two LEDs: orange and blue map onto green. */
#define BOARD_LED_PORT       6u /* GPIOG */
#define BOARD_LED_GREEN      13u
#define BOARD_LED_ORANGE     13u
#define BOARD_LED_RED        14u
#define BOARD_LED_BLUE       13u
#define BOARD_LED_ACTIVE_LOW 0

#define BOARD_BUTTON_PORT        0u /* PA0 */
#define BOARD_BUTTON_PIN         0u
#define BOARD_BUTTON_ACTIVE_HIGH 1

/* OTG_HS core (0x40040000) with its embedded full-speed PHY on PB14/PB15. */
#define BOARD_USB_OTG_HS      1
#define BOARD_VBUS_SWITCH     1
#define BOARD_VBUS_PORT       2u /* PC4, low = VBUS on */
#define BOARD_VBUS_PIN        4u
#define BOARD_VBUS_ACTIVE_LOW 1

#define BOARD_UART_TX_PORT 0u
#define BOARD_UART_TX_PIN  2u

#define BOARD_OPENOCD_CFG "board/stm32f429discovery.cfg"

#endif
