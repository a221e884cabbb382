/* WeAct "Black Pill" V2.0/V3.x with the STM32F401CCU6 (UFQFPN48). Facts and where they were
 * checked (docs/porting.md has the table and what is unconfirmed):
 * - HSE 25 MHz crystal: WeAct's board README and schematic as cited by Zephyr's board
 *   blackpill_f401cc (clk_hse 25 MHz), TinyUF2 and CircuitPython (HSE_VALUE 25000000).
 * - LED "C13" on PC13, lit when the pin is low; KEY on PA0 to GND, no pull-up fitted (pressed
 *   reads low with the internal pull-up): Zephyr dts (GPIO_ACTIVE_LOW, pull-up).
 * - USB-C on PA11/PA12 (OTG_FS) with NO VBUS switch: VBUS is the board's 5 V rail. To host a
 *   stick, power the board from 5 V and use an OTG adapter (docs/porting.md).
 * - 256 KB flash, sectors 4 x 16 KB, 64 KB, 1 x 128 KB; 64 KB SRAM; no CCM: RM0368 3.3 and
 *   2.3, DS9716 (STM32F401xB/C).
 * - 84 MHz maximum; PLL VCO output 192-432 MHz (RM0368 6.3.2); 84 MHz SYSCLK = 336 MHz / 4,
 *   48 MHz = 336 / 7.
 * - 2 wait states at 60-84 MHz, 2.7-3.6 V: RM0368 3.4 table 6. The F401 has no scale 1:
 *   VOS = 10 (scale 2, its reset value) allows 84 MHz (RM0368 5.4.1). */
#ifndef BOARD_BLACKPILL_F401CC_H
#define BOARD_BLACKPILL_F401CC_H

#define BOARD_NAME "blackpill-f401cc"
#define BOARD_ID   0x0401B1ACu
#define BOARD_CHIP "STM32F401CC"

#define BOARD_FLASH_SIZE      (256u * 1024u)
#define BOARD_FLASH_DUAL_BANK 0
#define BOARD_SRAM_SIZE       (64u * 1024u)
#define BOARD_CCM_SIZE        0u /* no CCM */
#define BOARD_HSE_HZ          25000000u
#define BOARD_HSE_BYPASS      0 /* crystal */

/* 25 MHz / M=25 = 1 MHz; x N=336 = 336 MHz VCO; /P=4 = 84 MHz SYSCLK; /Q=7 = 48 MHz USB. */
#define BOARD_PLL_M             25u
#define BOARD_PLL_N             336u
#define BOARD_PLL_P             4u
#define BOARD_PLL_Q             7u
#define BOARD_SYSCLK_HZ         84000000u
#define BOARD_FLASH_WAIT_STATES 2u
#define BOARD_PWR_VOS           2u /* PWR_CR.VOS = 10, scale 2 (the reset value): ORed, no change */

/* One LED: every colour name maps onto PC13, so a status pattern is its blink count. */
#define BOARD_LED_PORT       2u
#define BOARD_LED_GREEN      13u
#define BOARD_LED_ORANGE     13u
#define BOARD_LED_RED        13u
#define BOARD_LED_BLUE       13u
#define BOARD_LED_ACTIVE_LOW 1

#define BOARD_BUTTON_PORT        0u /* PA0 KEY, to GND */
#define BOARD_BUTTON_PIN         0u
#define BOARD_BUTTON_ACTIVE_HIGH 0

#define BOARD_USB_OTG_HS  0 /* OTG_FS, PA11/PA12 */
#define BOARD_VBUS_SWITCH 0 /* none: VBUS is the 5 V rail */

#define BOARD_UART_TX_PORT 0u /* USART2 TX PA2 (AF7) */
#define BOARD_UART_TX_PIN  2u

#define BOARD_OPENOCD_CFG "interface/stlink.cfg -f target/stm32f4x.cfg" /* an ST-LINK on SWD */

#endif
