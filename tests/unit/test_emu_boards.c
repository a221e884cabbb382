/* stickemu's board entries at register level (no CPU): the dual-bank sector map and FLASH_CR.SNB
 * coding of the 2 MB F429 (RM0090 3.3 table 6, 3.9.8), the board's SRAM size, the per-chip clock
 * rules, and the Black Pill's pins (LED lit when low, button with no resistor, no VBUS switch). */
#include <stdlib.h>
#include <string.h>

#include "emu_machine.h"
#include "harness.h"
#include "log.h"
#include "machine.h"

#define HARNESS_SUITE "test_emu_boards"

#define FLASH_R     0x40023C00u
#define KEYR        (FLASH_R + 0x04)
#define SR          (FLASH_R + 0x0C)
#define CR          (FLASH_R + 0x10)
#define CR_PG       1u
#define CR_SER      2u
#define CR_STRT     (1u << 16)
#define PSIZE32     (2u << 8)
#define SR_PGSERR   (1u << 7)
#define SR_BSY      (1u << 16)
#define RCC_AHB1ENR 0x40023830u
#define GPIO(port)  (0x40020000u + 0x400u * (port))

static uint32_t rd(struct machine *m, uint32_t addr)
{
    static uint64_t step;
    uint32_t v = 0;
    m->insns += ++step;
    CHECK_EQ(bus_read(m, addr, 4, &v), 0);
    return v;
}

static void wr(struct machine *m, uint32_t addr, uint32_t v)
{
    CHECK_EQ(bus_write(m, addr, 4, v), 0);
}

static void wait_not_busy(struct machine *m)
{
    for (int i = 0; i < 100000 && (rd(m, SR) & SR_BSY); i++) {
        m->cycles += 1000000;
        machine_slow_path(m, 0x20000000u);
    }
}

static uint8_t flash_byte(struct machine *m, uint32_t addr)
{
    flash_apply_fixups(&m->flash);
    return m->flash.mem[addr - FLASH_BASE];
}

static void erase_snb(struct machine *m, unsigned snb)
{
    wr(m, CR, CR_SER | PSIZE32 | (snb << 3));
    wr(m, CR, CR_SER | PSIZE32 | (snb << 3) | CR_STRT);
    wait_not_busy(m);
}

static void test_dual_bank_sectors(void)
{
    struct machine *m = boot_board("nucleo-f429zi");
    CHECK_EQ(m->flash.size, 2048u * 1024u);
    CHECK_EQ(m->flash.nsectors, 24);
    CHECK_EQ(m->flash.sector_off[12], 0x100000u); /* bank 2 starts with a 16 KB sector */
    CHECK_EQ(m->flash.sector_off[16], 0x110000u); /* its 64 KB sector */
    CHECK_EQ(m->flash.sector_off[17], 0x120000u);
    m->flash.mem[0x100000] = 0; /* stale data in sectors 12 and 11 */
    m->flash.mem[0x0E0000] = 0;
    wr(m, KEYR, 0x45670123u);
    wr(m, KEYR, 0xCDEF89ABu);
    /* SNB 12-15 do not exist on a dual-bank part: nothing erased */
    erase_snb(m, 12);
    CHECK(rd(m, SR) & SR_PGSERR);
    CHECK_EQ(flash_byte(m, 0x08100000u), 0);
    CHECK_EQ(flash_byte(m, 0x080E0000u), 0);
    wr(m, SR, SR_PGSERR);
    /* SNB 16 is sector 12, the first of bank 2 */
    erase_snb(m, 16);
    CHECK_EQ(rd(m, SR) & SR_PGSERR, 0);
    CHECK_EQ(flash_byte(m, 0x08100000u), 0xFF);
    CHECK_EQ(flash_byte(m, 0x080E0000u), 0);
    CHECK(strcmp(m->flash.erase_list, "12") == 0);
    done(m);
    /* A single-bank part has no SNB 16 */
    m = boot_board("f4discovery");
    wr(m, KEYR, 0x45670123u);
    wr(m, KEYR, 0xCDEF89ABu);
    erase_snb(m, 16);
    CHECK(rd(m, SR) & SR_PGSERR);
    done(m);
}

static void test_sram_and_ccm_sizes(void)
{
    struct machine *m = boot_board("blackpill-f401cc");
    CHECK_EQ(m->board->sram_size, 64u * 1024u);
    CHECK_EQ(m->board->has_ccm, 0);
    /* bit-band alias of the last SRAM byte works, the byte after it is reserved */
    CHECK_EQ(bus_write(m, 0x22000000u + (64u * 1024u - 1u) * 32u, 4, 1), 0);
    uint32_t v;
    CHECK(bus_read(m, 0x22000000u + 64u * 1024u * 32u, 4, &v) != 0);
    done(m);
    m = boot_board("nucleo-f429zi");
    CHECK_EQ(m->board->sram_size, 192u * 1024u);
    CHECK_EQ(m->board->has_ccm, 1);
    done(m);
}

static void test_blackpill_pins(void)
{
    struct machine *m = boot_board("blackpill-f411ce");
    /* no VBUS switch: VBUS is on with the board's power */
    CHECK_EQ(m->vbus_state, 1u);
    wr(m, RCC_AHB1ENR, rd(m, RCC_AHB1ENR) | 0x5u);
    /* PC13 output high: LED off; low: on */
    wr(m, GPIO(2) + 0x18, 1u << 13);
    wr(m, GPIO(2), 1u << 26);
    CHECK_EQ(m->led_state, 0u);
    wr(m, GPIO(2) + 0x18, (1u << 13) << 16);
    CHECK_EQ(m->led_state, 1u);
    /* PA0 KEY: no resistor, released reads the pull; pressed reads 0 */
    wr(m, GPIO(0) + 0x0C, (rd(m, GPIO(0) + 0x0C) & ~3u) | 1u); /* pull-up */
    CHECK_EQ(rd(m, GPIO(0) + 0x10) & 1u, 1u);
    m->button_pressed = 1;
    CHECK_EQ(rd(m, GPIO(0) + 0x10) & 1u, 0u);
    m->button_pressed = 0;
    wr(m, GPIO(0) + 0x0C, (rd(m, GPIO(0) + 0x0C) & ~3u) | 2u); /* pull-down: reads "pressed" */
    CHECK_EQ(rd(m, GPIO(0) + 0x10) & 1u, 0u);
    done(m);
}

/* The F411/F401 tables: no CCM, no GPIOF/G/I, no OTG_HS, no backup SRAM; the F401 no SPI5. */
static void test_f4x1_peripheral_tables(void)
{
    struct machine *m = boot_board("blackpill-f411ce");
    CHECK(bus_find(m, 0x40015000u) != NULL); /* SPI5 */
    CHECK(bus_find(m, 0x40021400u) == NULL); /* GPIOF */
    CHECK(bus_find(m, 0x40040000u) == NULL); /* OTG_HS */
    CHECK(bus_find(m, 0x40024000u) == NULL); /* BKPSRAM */
    CHECK(bus_find(m, 0x50000000u) != NULL); /* OTG_FS */
    done(m);
    m = boot_board("blackpill-f401cc");
    CHECK(bus_find(m, 0x40015000u) == NULL);
    done(m);
}

/* Two OTG instances: OTG_FS at 0x50000000 (8 channels), OTG_HS at 0x40040000 (12 channels,
 * its TinyUSB-dumped GHWCFG2), each gated by its own RCC enable; the DISC1's host port is the HS
 * one, and the ULPI low-power rule is checked when it is clocked. */
#define HS(off) (0x40040000u + (off))
#define FS(off) (0x50000000u + (off))
static void test_two_otg_cores(void)
{
    struct machine *m = boot_board("stm32f429i-disc1");
    /* unclocked: reads 0, writes ignored */
    CHECK_EQ(rd(m, HS(0x48)), 0);
    wr(m, HS(0x510 + 11 * 0x20), 0x40u);
    CHECK_EQ(rd(m, HS(0x510 + 11 * 0x20)), 0);
    /* OTGHSEN with OTGHSULPILPEN still at its reset value 1: the rule is reported */
    CHECK_EQ(m->rcc.warned_ulpilp, 0);
    wr(m, RCC_AHB1ENR, rd(m, RCC_AHB1ENR) | (1u << 29));
    CHECK_EQ(m->rcc.warned_ulpilp, 1);
    otg_set_clocked(m->otg, 1); /* as with the PLL at 48 MHz */
    otg_set_clocked(m->otg_idle, 1);
    CHECK_EQ(rd(m, HS(0x48)), 0x229ED590u); /* GHWCFG2: 12 host channels */
    CHECK_EQ(rd(m, FS(0x48)), 0x229DCD20u); /* 8 */
    CHECK_EQ(rd(m, HS(0x3C)), 0x1100u);     /* CID */
    CHECK_EQ(rd(m, FS(0x3C)), 0x1200u);
    done(m);
    /* cleared first: no report */
    m = boot_board("stm32f429i-disc1");
    wr(m, 0x40023850u, rd(m, 0x40023850u) & ~(1u << 30));
    wr(m, RCC_AHB1ENR, rd(m, RCC_AHB1ENR) | (1u << 29));
    CHECK_EQ(m->rcc.warned_ulpilp, 0);
    done(m);
    /* The F4DISCOVERY's host port is OTG_FS; its OTG_HS exists (F407) with nothing attached */
    m = boot_board("f4discovery");
    otg_set_clocked(m->otg_idle, 1);
    CHECK_EQ(rd(m, HS(0x48)), 0x229ED590u);
    CHECK(bus_find(m, HS(0)) != NULL && strcmp(bus_find(m, HS(0))->name, "OTG_HS") == 0);
    done(m);
}

/* The chip's clock rules: 168 MHz from HSI with 5 wait states is fine on the F407 and breaks
 * the F411's maximum HCLK, VOS scale and wait-state table (RM0383 table 5: 100 MHz at 3 WS+). */
static void clock_168(struct machine *m)
{
    wr(m, 0x40023830u + 0x10u, 1u << 28);                /* RCC_APB1ENR.PWREN */
    wr(m, 0x40007000u, rd(m, 0x40007000u) | (1u << 14)); /* PWR_CR.VOS |= 01 */
    wr(m, 0x40023804u, 16u | (336u << 6) | (7u << 24));  /* HSI / 16 x 336 / 2, Q 7 */
    wr(m, 0x40023800u, rd(m, 0x40023800u) | (1u << 24)); /* PLLON */
    for (int i = 0; i < 100 && !(rd(m, 0x40023800u) & (1u << 25)); i++) {
        m->cycles += 16000;
        machine_slow_path(m, 0x20000000u);
    }
    wr(m, FLASH_R, 5u);                               /* 5 wait states */
    wr(m, 0x40023808u, (5u << 10) | (4u << 13) | 2u); /* APB1 /4, APB2 /2, SW = PLL */
}

static void test_clock_rules(void)
{
    struct machine *m = boot_board("f4discovery");
    clock_168(m);
    CHECK_EQ(m->hclk_hz, 168000000u);
    CHECK(m->stop != STOP_FAULT);
    done(m);
    m = boot_board("blackpill-f411ce");
    clock_168(m);
    CHECK(m->stop == STOP_FAULT && strstr(m->fault_reason, "wait states too low"));
    done(m);
}

int main(void)
{
    FILE *sink = fopen("/dev/null", "w");
    log_set_output(sink);
    RUN_TEST(test_dual_bank_sectors);
    RUN_TEST(test_sram_and_ccm_sizes);
    RUN_TEST(test_blackpill_pins);
    RUN_TEST(test_f4x1_peripheral_tables);
    RUN_TEST(test_two_otg_cores);
    RUN_TEST(test_clock_rules);
    fclose(sink);
    return HARNESS_EXIT();
}
