/* The boards stickemu models: one entry per board, every board difference in it (chip, flash,
 * SRAM, CCM, clock source, LEDs, button, VBUS switch, USB core). Sources per board are in
 * docs/porting.md; the firmware's own belief is its header in firmware/boards/, which this
 * table does not read. */
#include <string.h>

#include "machine.h"

static const struct board boards[] = {
    {
        .name = "f4discovery", /* UM1472, RM0090 */
        .flash_size = 1024u * 1024u,
        .sram_size = 128u * 1024u,
        .hse_hz = 8000000u,
        .hse_bypass = 0, /* X2 crystal */
        .has_ccm = 1,
        .led = {{3, 12}, {3, 13}, {3, 14}, {3, 15}}, /* PD12-15, active high */
        .led_name = {"green", "orange", "red", "blue"},
        .button = {0, 0}, /* PA0, B1, pulled down on the board */
        .button_active_high = 1,
        .vbus = {2, 0}, /* PC0 drives the STMPS2141 enable, active low (UM1472) */
        .vbus_active_low = 1,
        .vbus_polarity_confirmed = 1,
        .chip = &chip_stm32f407,
    },
    {
        .name = "nucleo-f446ze", /* UM1974, RM0390 */
        .flash_size = 512u * 1024u,
        .sram_size = 128u * 1024u,
        .hse_hz = 8000000u,
        .hse_bypass = 1, /* 8 MHz MCO from the ST-LINK */
        .has_ccm = 0,
        .led = {{1, 0}, {1, 7}, {1, 14}, {-1, -1}}, /* PB0, PB7, PB14 */
        .led_name = {"green", "blue", "red", NULL},
        .button = {2, 13}, /* PC13, active high */
        .button_active_high = 1,
        /* PG6 USB_PowerSwitchOn, high = on: ST's USB host examples for the same board
         * (MB1137, STM32CubeF7 STM32F767ZI-Nucleo usbh_conf.c) set PG6 to power VBUS. */
        .vbus = {6, 6},
        .vbus_active_low = 0,
        .vbus_polarity_confirmed = 1,
        .chip = &chip_stm32f446,
    },
    {
        /* WeAct Black Pill V2.0+ (STM32F411CEU6): RM0383, DS10314, WeAct's schematic as
         * Zephyr's blackpill_f411ce port describes it. */
        .name = "blackpill-f411ce",
        .flash_size = 512u * 1024u,
        .sram_size = 128u * 1024u,
        .hse_hz = 25000000u,
        .hse_bypass = 0, /* 25 MHz crystal */
        .has_ccm = 0,
        .led = {{2, 13}, {-1, -1}, {-1, -1}, {-1, -1}}, /* PC13, lit when low */
        .led_name = {"led", NULL, NULL, NULL},
        .led_active_low = 1,
        .button = {0, 0}, /* PA0 KEY to GND, no resistor on the board */
        .button_active_high = 0,
        .button_floating = 1,
        .vbus = {-1, -1}, /* no switch: USB-C VBUS is the board's 5 V rail */
        .chip = &chip_stm32f411,
    },
    {
        /* WeAct Black Pill (STM32F401CCU6): RM0368, DS9716; the same board as the F411's. */
        .name = "blackpill-f401cc",
        .flash_size = 256u * 1024u,
        .sram_size = 64u * 1024u,
        .hse_hz = 25000000u,
        .hse_bypass = 0,
        .has_ccm = 0,
        .led = {{2, 13}, {-1, -1}, {-1, -1}, {-1, -1}},
        .led_name = {"led", NULL, NULL, NULL},
        .led_active_low = 1,
        .button = {0, 0},
        .button_active_high = 0,
        .button_floating = 1,
        .vbus = {-1, -1},
        .chip = &chip_stm32f401,
    },
    {
        /* NUCLEO-F429ZI: the Nucleo-144 MB1137 board (UM1974) with an STM32F429ZIT6: 2 MB in
         * two banks (RM0090 3.3 table 6), 192 KB SRAM, 64 KB CCM (2.3.1). */
        .name = "nucleo-f429zi",
        .flash_size = 2048u * 1024u,
        .flash_dual_bank = 1,
        .sram_size = 192u * 1024u,
        .hse_hz = 8000000u,
        .hse_bypass = 1,
        .has_ccm = 1,
        .led = {{1, 0}, {1, 7}, {1, 14}, {-1, -1}},
        .led_name = {"green", "blue", "red", NULL},
        .button = {2, 13},
        .button_active_high = 1,
        .vbus = {6, 6},
        .vbus_active_low = 0,
        .vbus_polarity_confirmed = 1,
        .chip = &chip_stm32f429,
    },
    {
        /* STM32F429I-DISC1 (MB1075, UM1670): user USB on OTG_HS with the embedded FS PHY
         * (PB14/PB15); STMPS2151 enable on PC4, low = on (ST's STM32F429I-Discovery USB_Host
         * usbh_conf.c); LD3 green PG13, LD4 red PG14; B1 PA0 pulled down; 8 MHz crystal. */
        .name = "stm32f429i-disc1",
        .flash_size = 2048u * 1024u,
        .flash_dual_bank = 1,
        .sram_size = 192u * 1024u,
        .hse_hz = 8000000u,
        .hse_bypass = 0,
        .has_ccm = 1,
        .led = {{6, 13}, {6, 14}, {-1, -1}, {-1, -1}},
        .led_name = {"green", "red", NULL, NULL},
        .button = {0, 0},
        .button_active_high = 1,
        .vbus = {2, 4},
        .vbus_active_low = 1,
        .vbus_polarity_confirmed = 1,
        .usb_hs = 1,
        .chip = &chip_stm32f429,
    },
};

const struct board *board_find(const char *name)
{
    for (size_t i = 0; i < sizeof boards / sizeof boards[0]; i++)
        if (strcmp(boards[i].name, name) == 0)
            return &boards[i];
    return NULL;
}

const struct board *board_at(size_t i)
{
    return i < sizeof boards / sizeof boards[0] ? &boards[i] : NULL;
}
