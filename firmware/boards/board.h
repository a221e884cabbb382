/* Selects the board header given by -DBOARD_HEADER="boards/xxx.h" (set by the Makefile). */
#ifndef STM32F4_BOARD_H
#define STM32F4_BOARD_H
#ifndef BOARD_HEADER
#error "BOARD_HEADER not set; build through the Makefile (BOARD=...)"
#endif
#include BOARD_HEADER
#endif
