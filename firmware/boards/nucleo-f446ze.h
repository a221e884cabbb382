/* NUCLEO-F446ZE (STM32F446ZE, Nucleo-144 board MB1137).
 * Sources: UM1974 (Nucleo-144 user manual): LD1 green PB0, LD2 blue PB7, LD3 red PB14, B1 user
 * button PC13 (pressed = high), USB OTG_FS on PA11/PA12 with an STMPS2151 power switch whose
 * EN is PG6, active high (the same circuit is driven low to turn it off in MicroPython's
 * NUCLEO_H743ZI board_init.c), HSE 8 MHz from the ST-LINK MCO, i.e. bypass mode. */
#ifndef BOARD_NUCLEO_F446ZE_H
#define BOARD_NUCLEO_F446ZE_H

#define BOARD_NAME "nucleo-f446ze"
#define BOARD_ID 0x0446E144u

#define BOARD_FLASH_SIZE (512u * 1024u)
#define BOARD_HSE_HZ 8000000u
#define BOARD_HSE_BYPASS 1 /* 8 MHz from ST-LINK MCO */

/* 168 MHz SYSCLK and 48 MHz for USB from the main PLL (180 MHz would need PLLSAI for USB). */
#define BOARD_PLL_M 8u
#define BOARD_PLL_N 336u
#define BOARD_PLL_P 2u
#define BOARD_PLL_Q 7u
#define BOARD_SYSCLK_HZ 168000000u
#define BOARD_FLASH_WAIT_STATES 5u

/* All three user LEDs are on GPIOB; there is no fourth, so orange maps onto green. */
#define BOARD_LED_PORT 1u
#define BOARD_LED_GREEN 0u
#define BOARD_LED_ORANGE 0u
#define BOARD_LED_RED 14u
#define BOARD_LED_BLUE 7u

#define BOARD_BUTTON_PORT 2u /* PC13 */
#define BOARD_BUTTON_PIN 13u
#define BOARD_BUTTON_ACTIVE_HIGH 1

#define BOARD_VBUS_PORT 6u /* PG6 */
#define BOARD_VBUS_PIN 6u
#define BOARD_VBUS_ACTIVE_LOW 0

/* USART3 goes to the ST-LINK VCP on this board; the optional log uses USART2 TX on PA2
 * (Zio connector) like the discovery board. */
#define BOARD_UART_TX_PORT 0u
#define BOARD_UART_TX_PIN 2u

#endif
