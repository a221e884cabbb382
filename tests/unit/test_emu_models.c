/* stickemu peripheral models at register level, driven directly (no CPU): flash interface,
 * RCC, reset flags, IWDG, SysTick/DWT, CRC, GPIO. Time passes by adding CPU cycles. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "machine.h"

#define HARNESS_SUITE "test_emu_models"

#define FLASH_R     0x40023C00u
#define KEYR        (FLASH_R + 0x04)
#define OPTKEYR     (FLASH_R + 0x08)
#define SR          (FLASH_R + 0x0C)
#define CR          (FLASH_R + 0x10)
#define OPTCR       (FLASH_R + 0x14)
#define CR_PG       1u
#define CR_SER      2u
#define CR_STRT     (1u << 16)
#define CR_EOPIE    (1u << 24)
#define CR_ERRIE    (1u << 25)
#define CR_LOCK     (1u << 31)
#define PSIZE8      (0u << 8)
#define PSIZE16     (1u << 8)
#define PSIZE32     (2u << 8)
#define SR_EOP      1u
#define SR_OPERR    2u
#define SR_WRPERR   (1u << 4)
#define SR_PGAERR   (1u << 5)
#define SR_PGPERR   (1u << 6)
#define SR_PGSERR   (1u << 7)
#define SR_BSY      (1u << 16)
#define RCC_CR      0x40023800u
#define RCC_PLLCFGR 0x40023804u
#define RCC_CFGR    0x40023808u
#define RCC_AHB1ENR 0x40023830u
#define RCC_CSR     0x40023874u

static FILE *log_sink;

static struct machine *boot(void)
{
    struct machine *m = calloc(1, sizeof *m);
    char err[128];
    if (!m || machine_init(m, board_find("f4discovery"), 1024u * 1024u, err, sizeof err) != 0)
        abort();
    m->run_end_ns = TIME_NEVER;
    m->otg = otg_create(NULL, NULL, err, sizeof err);
    if (!m->otg)
        abort();
    machine_power_on(m);
    return m;
}

static void done(struct machine *m)
{
    otg_destroy(m->otg);
    machine_free(m);
    free(m);
}

static uint32_t rd(struct machine *m, uint32_t addr)
{
    static uint64_t step;
    uint32_t v = 0;
    m->insns += ++step; /* different code between reads: no polling-loop time jumps */
    CHECK_EQ(bus_read(m, addr, 4, &v), 0);
    return v;
}

static int wr(struct machine *m, uint32_t addr, uint32_t v)
{
    return bus_write(m, addr, 4, v);
}

/* Run the "CPU" for the given number of ns at the current HCLK. */
static void run_ns(struct machine *m, uint64_t ns)
{
    uint64_t target = machine_now_ns(m) + ns;
    while (machine_now_ns(m) < target && m->stop == STOP_NONE) {
        m->cycles += 100;
        if (m->cycles >= m->deadline_cycles)
            machine_slow_path(m, 0x20000000u); /* "code in RAM": no fetch stall */
    }
}

static void wait_not_busy(struct machine *m)
{
    for (int i = 0; i < 100000 && (rd(m, SR) & SR_BSY); i++)
        run_ns(m, 10000);
}

static uint32_t flash_word(struct machine *m, uint32_t addr)
{
    uint32_t v;
    flash_apply_fixups(&m->flash);
    memcpy(&v, m->flash.mem + (addr - FLASH_BASE), 4);
    return v;
}

static void unlock(struct machine *m)
{
    CHECK_EQ(wr(m, KEYR, 0x45670123u), 0);
    CHECK_EQ(wr(m, KEYR, 0xCDEF89ABu), 0);
    CHECK_EQ(rd(m, CR) & CR_LOCK, 0);
}

static void program(struct machine *m, uint32_t addr, unsigned size, uint32_t v)
{
    bus_flash_store(m, addr, size, v);
    wait_not_busy(m);
}

static void test_program_only_clears_bits(void)
{
    struct machine *m = boot();
    unlock(m);
    wr(m, CR, CR_PG | PSIZE32);
    program(m, 0x08004000u, 4, 0x12345678u);
    CHECK_EQ(flash_word(m, 0x08004000u), 0x12345678u);
    program(m, 0x08004000u, 4, 0xFFFF0000u); /* cannot set bits: AND */
    CHECK_EQ(flash_word(m, 0x08004000u), 0x12340000u);
    CHECK_EQ(rd(m, SR) & (SR_PGSERR | SR_PGPERR | SR_PGAERR | SR_WRPERR), 0);
    CHECK_EQ(m->flash.program_words, 2);
    CHECK_EQ(m->flash.ops, 2);
    done(m);
}

static void test_program_takes_16us_and_eop_needs_eopie(void)
{
    struct machine *m = boot();
    unlock(m);
    wr(m, CR, CR_PG | PSIZE32);
    uint64_t t0 = machine_now_ns(m);
    bus_flash_store(m, 0x08004000u, 4, 0);
    CHECK(rd(m, SR) & SR_BSY);
    wait_not_busy(m);
    uint64_t took = machine_now_ns(m) - t0;
    CHECK(took >= 16000 && took < 30000);
    CHECK_EQ(rd(m, SR) & SR_EOP, 0); /* EOPIE off: no EOP */
    wr(m, CR, CR_PG | PSIZE32 | CR_EOPIE);
    program(m, 0x08004004u, 4, 0);
    CHECK(rd(m, SR) & SR_EOP);
    wr(m, SR, SR_EOP); /* write 1 to clear */
    CHECK_EQ(rd(m, SR) & SR_EOP, 0);
    done(m);
}

/* A polling loop with two reads (flash SR, RCC_CR), the same code and interval each time:
 * time jumps, but the loop sees BSY clear right when the program ends, whichever of its two
 * reads the jump that reached the end happened at (it used to jump one more quantum). */
static void test_polling_jump_stops_at_the_event(void)
{
    for (int order = 0; order < 2; order++) {
        struct machine *m = boot();
        unlock(m);
        wr(m, CR, CR_PG | PSIZE32);
        bus_flash_store(m, 0x08004000u + 4u * (uint32_t)order, 4, 0);
        uint64_t end = m->flash.op.end_ns;
        uint32_t sites[2] = {order ? RCC_CR : SR, order ? SR : RCC_CR};
        uint64_t seen = TIME_NEVER;
        for (int i = 0; i < 100000 && seen == TIME_NEVER; i++) {
            uint32_t v = 0;
            m->insns += 7;
            m->cycles += 7;
            m->cur_block = 0x08000100u + 0x40u * (uint32_t)(i & 1);
            bus_read(m, sites[i & 1], 4, &v);
            if (sites[i & 1] == SR && !(v & SR_BSY))
                seen = machine_now_ns(m);
        }
        CHECK(seen >= end && seen - end < 500); /* within a few loop iterations */
        done(m);
    }
}

static void test_wrong_key_locks_until_reset(void)
{
    struct machine *m = boot();
    CHECK_EQ(wr(m, KEYR, 0x45670123u), 0);
    CHECK(wr(m, KEYR, 0x11111111u) != 0); /* bus error */
    CHECK_EQ(m->stop, STOP_FAULT);
    m->stop = STOP_NONE;
    wr(m, KEYR, 0x45670123u);
    wr(m, KEYR, 0xCDEF89ABu);
    CHECK(rd(m, CR) & CR_LOCK); /* still locked */
    wr(m, CR, CR_PG | PSIZE32);
    CHECK_EQ(rd(m, CR), CR_LOCK); /* CR writes ignored while locked */
    m->stop = STOP_NONE;
    machine_system_reset(m, RESET_SOFTWARE);
    unlock(m);
    done(m);
}

static void test_program_errors(void)
{
    struct machine *m = boot();
    /* locked, no PG */
    bus_flash_store(m, 0x08004000u, 4, 0);
    CHECK(rd(m, SR) & SR_PGSERR);
    CHECK_EQ(flash_word(m, 0x08004000u), 0xFFFFFFFFu);
    unlock(m);
    /* error flags still set: refused */
    wr(m, CR, CR_PG | PSIZE32);
    bus_flash_store(m, 0x08004000u, 4, 0);
    CHECK_EQ(flash_word(m, 0x08004000u), 0xFFFFFFFFu);
    wr(m, SR, 0xF3u);
    CHECK_EQ(rd(m, SR), 0);
    /* size differs from PSIZE */
    wr(m, CR, CR_PG | PSIZE32);
    bus_flash_store(m, 0x08004000u, 2, 0);
    CHECK(rd(m, SR) & SR_PGPERR);
    CHECK_EQ(rd(m, SR) & SR_OPERR, 0); /* ERRIE off: no OPERR */
    CHECK_EQ(flash_word(m, 0x08004000u), 0xFFFFFFFFu);
    wr(m, SR, 0xF3u);
    /* unaligned, with ERRIE: OPERR too */
    wr(m, CR, CR_PG | PSIZE16 | CR_ERRIE);
    bus_flash_store(m, 0x08004001u, 2, 0);
    CHECK(rd(m, SR) & SR_PGAERR);
    CHECK(rd(m, SR) & SR_OPERR);
    CHECK_EQ(flash_word(m, 0x08004000u), 0xFFFFFFFFu);
    wr(m, SR, 0xF3u);
    /* byte programming with PSIZE x8 works */
    wr(m, CR, CR_PG | PSIZE8);
    program(m, 0x08004002u, 1, 0x5A);
    CHECK_EQ(flash_word(m, 0x08004000u), 0xFF5AFFFFu);
    CHECK_EQ(m->flash.ops, 1);
    done(m);
}

static uint64_t erase_time(struct machine *m, int sector, uint32_t psize)
{
    wr(m, CR, CR_SER | psize | ((uint32_t)sector << 3));
    uint64_t t0 = machine_now_ns(m);
    wr(m, CR, CR_SER | psize | ((uint32_t)sector << 3) | CR_STRT);
    CHECK(rd(m, SR) & SR_BSY);
    CHECK(rd(m, CR) & CR_STRT);
    wait_not_busy(m);
    CHECK_EQ(rd(m, CR) & CR_STRT, 0);
    return machine_now_ns(m) - t0;
}

static void test_erase_times_and_content(void)
{
    struct machine *m = boot();
    unlock(m);
    wr(m, CR, CR_PG | PSIZE32);
    program(m, 0x08004000u, 4, 0);
    program(m, 0x08020000u, 4, 0);
    uint64_t t16 = erase_time(m, 1, PSIZE32);
    CHECK(t16 >= 250 * NS_PER_MS && t16 < 251 * NS_PER_MS);
    CHECK_EQ(flash_word(m, 0x08004000u), 0xFFFFFFFFu);
    uint64_t t64 = erase_time(m, 4, PSIZE32);
    CHECK(t64 >= 550 * NS_PER_MS && t64 < 551 * NS_PER_MS);
    uint64_t t128 = erase_time(m, 5, PSIZE32);
    CHECK(t128 >= 1000 * NS_PER_MS && t128 < 1001 * NS_PER_MS);
    CHECK_EQ(flash_word(m, 0x08020000u), 0xFFFFFFFFu);
    uint64_t t16x8 = erase_time(m, 2, PSIZE8);
    CHECK(t16x8 >= 400 * NS_PER_MS && t16x8 < 401 * NS_PER_MS);
    CHECK_EQ(m->flash.erases, 4);
    CHECK(strcmp(m->flash.erase_list, "1,4,5,2") == 0);
    /* a write to CR while BSY stalls until the erase is done */
    wr(m, CR, CR_SER | PSIZE32 | (3u << 3) | CR_STRT);
    uint64_t t0 = machine_now_ns(m);
    wr(m, CR, 0);
    CHECK(machine_now_ns(m) - t0 >= 249 * NS_PER_MS);
    CHECK_EQ(rd(m, SR) & SR_BSY, 0);
    done(m);
}

static void test_write_protection(void)
{
    struct machine *m = boot();
    CHECK_EQ(wr(m, OPTKEYR, 0x08192A3Bu), 0);
    CHECK_EQ(wr(m, OPTKEYR, 0x4C5D6E7Fu), 0);
    uint32_t optcr = rd(m, OPTCR);
    CHECK_EQ(optcr & 1u, 0);
    CHECK_EQ((optcr >> 16) & 0xFFFu, 0xFFFu);
    wr(m, OPTCR, (optcr & ~(1u << 19)) | 2u); /* nWRP3 = 0, OPTSTRT */
    run_ns(m, 100 * NS_PER_MS);
    CHECK_EQ(rd(m, OPTCR) & 2u, 0);
    unlock(m);
    wr(m, CR, CR_SER | PSIZE32 | (3u << 3) | CR_STRT);
    CHECK(rd(m, SR) & SR_WRPERR);
    CHECK_EQ(rd(m, SR) & SR_BSY, 0);
    wr(m, SR, 0xF3u);
    wr(m, CR, CR_PG | PSIZE32);
    bus_flash_store(m, 0x0800C000u, 4, 0);
    CHECK(rd(m, SR) & SR_WRPERR);
    CHECK_EQ(flash_word(m, 0x0800C000u), 0xFFFFFFFFu);
    CHECK_EQ(m->flash.ops, 0);
    done(m);
}

static void test_cut_after_ops(void)
{
    for (int undefined = 0; undefined < 2; undefined++) {
        struct machine *m = boot();
        m->cut_after_ops = 2;
        m->cut_mode = undefined ? CUT_UNDEFINED : CUT_CLEAN;
        unlock(m);
        wr(m, CR, CR_PG | PSIZE32);
        program(m, 0x08004000u, 4, 0x11111111u);
        program(m, 0x08004004u, 4, 0x22222222u);
        CHECK_EQ(m->stop, STOP_NONE);
        bus_flash_store(m, 0x08004008u, 4, 0x0u);
        CHECK_EQ(m->stop, STOP_CUT);
        CHECK_EQ(m->flash.ops, 2);
        CHECK_EQ(flash_word(m, 0x08004004u), 0x22222222u);
        if (undefined) /* old AND random: some bits cleared, not the programmed 0 */
            CHECK(flash_word(m, 0x08004008u) != 0xFFFFFFFFu && flash_word(m, 0x08004008u) != 0);
        else
            CHECK_EQ(flash_word(m, 0x08004008u), 0xFFFFFFFFu);
        done(m);
    }
    /* An erase cut at a time leaves the sector neither old nor erased. */
    struct machine *m = boot();
    memset(m->flash.mem + 0x4000, 0, 0x4000);
    m->cut_at_ns = 100 * NS_PER_MS;
    unlock(m);
    wr(m, CR, CR_SER | PSIZE32 | (1u << 3) | CR_STRT);
    run_ns(m, 200 * NS_PER_MS);
    CHECK_EQ(m->stop, STOP_CUT);
    int erased = 0, zero = 0;
    for (uint32_t i = 0x4000; i < 0x8000; i++) {
        erased += m->flash.mem[i] == 0xFF;
        zero += m->flash.mem[i] == 0;
    }
    CHECK(erased < 0x4000 && zero < 0x4000);
    done(m);
}

static void test_rcc_clock_tree(void)
{
    struct machine *m = boot();
    CHECK_EQ(rd(m, RCC_CR) & 3u, 3u); /* HSION, HSIRDY */
    wr(m, RCC_CR, rd(m, RCC_CR) | (1u << 16));
    CHECK_EQ(rd(m, RCC_CR) & (1u << 17), 0);
    run_ns(m, 1900 * NS_PER_US);
    CHECK_EQ(rd(m, RCC_CR) & (1u << 17), 0);
    run_ns(m, 200 * NS_PER_US);
    CHECK(rd(m, RCC_CR) & (1u << 17)); /* HSERDY after ~2 ms */
    /* VCO input 8/4 = 2 MHz, VCO 336 MHz, P=2, Q=7 */
    wr(m, RCC_PLLCFGR, 4u | (168u << 6) | (0u << 16) | (1u << 22) | (7u << 24));
    wr(m, RCC_CR, rd(m, RCC_CR) | (1u << 24));
    /* switch requested before lock: SWS follows only once the PLL is ready */
    wr(m, 0x40023C00u, 5u); /* 5 wait states */
    wr(m, RCC_CFGR, (5u << 10) | (4u << 13) | 2u);
    CHECK_EQ(rd(m, RCC_CFGR) & 0xCu, 0);
    CHECK_EQ(m->hclk_hz, 16000000u);
    run_ns(m, 150 * NS_PER_US);
    CHECK(rd(m, RCC_CR) & (1u << 25));
    CHECK_EQ(rd(m, RCC_CFGR) & 0xCu, 8u);
    CHECK_EQ(m->hclk_hz, 168000000u);
    CHECK_EQ(m->stop, STOP_NONE);
    done(m);

    /* HSI/16 = 1 MHz input with N=50 gives a 50 MHz VCO: never locks. */
    m = boot();
    wr(m, RCC_PLLCFGR, 16u | (50u << 6) | (7u << 24));
    wr(m, RCC_CR, rd(m, RCC_CR) | (1u << 24));
    run_ns(m, 10 * NS_PER_MS);
    CHECK_EQ(rd(m, RCC_CR) & (1u << 25), 0);
    done(m);

    /* --no-hse: HSE never becomes ready. */
    m = boot();
    m->no_hse = 1;
    wr(m, RCC_CR, rd(m, RCC_CR) | (1u << 16));
    run_ns(m, 50 * NS_PER_MS);
    CHECK_EQ(rd(m, RCC_CR) & (1u << 17), 0);
    done(m);

    /* Too few wait states for the new clock is a fault. */
    m = boot();
    wr(m, RCC_PLLCFGR, 16u | (336u << 6) | (7u << 24)); /* HSI/16 * 336 / 2 = 168 MHz */
    wr(m, RCC_CR, rd(m, RCC_CR) | (1u << 24));
    run_ns(m, 200 * NS_PER_US);
    wr(m, RCC_CFGR, 2u);
    CHECK_EQ(m->stop, STOP_FAULT);
    done(m);
}

static void test_reset_flags_and_sram(void)
{
    struct machine *m = boot();
    CHECK_EQ(rd(m, RCC_CSR) & 0xFE000000u, 0x0E000000u); /* PIN, POR, BOR */
    wr(m, RCC_CSR, 1u << 24);                            /* RMVF */
    CHECK_EQ(rd(m, RCC_CSR) & 0xFE000000u, 0);
    uint8_t before[64];
    memcpy(before, m->sram + 1000, sizeof before);
    int all_same = 1;
    for (size_t i = 1; i < sizeof before; i++)
        all_same &= before[i] == before[0];
    CHECK(!all_same); /* power-on pattern, not zeros */
    m->sram[5] = 0xA5;
    wr(m, 0xE000ED0Cu, 0x05FA0004u); /* SYSRESETREQ */
    CHECK_EQ(m->stop, STOP_RESET);
    CHECK_EQ(m->reset_cause, RESET_SOFTWARE);
    machine_system_reset(m, m->reset_cause);
    CHECK_EQ(m->sram[5], 0xA5);
    CHECK(memcmp(before, m->sram + 1000, sizeof before) == 0);
    CHECK_EQ(rd(m, RCC_CSR) & 0xFE000000u, (1u << 28) | (1u << 26)); /* SFTRST, PIN */
    CHECK_EQ(m->resets, 1);
    /* AIRCR without VECTKEY is ignored */
    wr(m, 0xE000ED0Cu, 0x00000004u);
    CHECK_EQ(m->stop, STOP_NONE);
    done(m);
}

static void test_iwdg(void)
{
    struct machine *m = boot();
    wr(m, 0x40003000u, 0x5555u);
    wr(m, 0x40003004u, 0);            /* /4: 8 kHz ticks */
    wr(m, 0x40003008u, 79u);          /* 80 ticks = 10 ms */
    CHECK_EQ(rd(m, 0x4000300Cu), 3u); /* PVU, RVU */
    run_ns(m, 1 * NS_PER_MS);
    CHECK_EQ(rd(m, 0x4000300Cu), 0u);
    wr(m, 0x40003000u, 0xCCCCu);
    wr(m, 0x40003000u, 0xAAAAu);
    uint64_t t0 = machine_now_ns(m);
    run_ns(m, 9 * NS_PER_MS);
    wr(m, 0x40003000u, 0xAAAAu); /* refresh */
    run_ns(m, 9 * NS_PER_MS);
    CHECK_EQ(m->stop, STOP_NONE);
    run_ns(m, 2 * NS_PER_MS);
    CHECK_EQ(m->stop, STOP_RESET);
    CHECK_EQ(m->reset_cause, RESET_IWDG);
    uint64_t at = machine_now_ns(m) - t0;
    CHECK(at >= 19 * NS_PER_MS && at <= 20 * NS_PER_MS);
    machine_system_reset(m, RESET_IWDG);
    CHECK(rd(m, RCC_CSR) & (1u << 29));
    CHECK_EQ(m->iwdg.running, 0); /* a software-started IWDG stops at reset */
    /* writes without 0x5555 do nothing */
    wr(m, 0x40003008u, 5u);
    CHECK_EQ(rd(m, 0x40003008u), 0xFFFu);
    done(m);

    /* hardware watchdog option: running from reset, 512 ms with the reset values */
    m = calloc(1, sizeof *m);
    char err[64];
    machine_init(m, board_find("f4discovery"), 1024u * 1024u, err, sizeof err);
    m->run_end_ns = TIME_NEVER;
    m->otg = otg_create(NULL, NULL, err, sizeof err);
    m->iwdg_hw = 1;
    machine_power_on(m);
    run_ns(m, 511 * NS_PER_MS);
    CHECK_EQ(m->stop, STOP_NONE);
    run_ns(m, 2 * NS_PER_MS);
    CHECK_EQ(m->stop, STOP_RESET);
    done(m);
}

static void test_systick_and_dwt(void)
{
    struct machine *m = boot();
    /* CYCCNT counts only with TRCENA and CYCCNTENA */
    uint32_t c0 = rd(m, 0xE0001004u);
    m->cycles += 1000;
    CHECK_EQ(rd(m, 0xE0001004u), c0);
    wr(m, 0xE0001000u, 1u);
    m->cycles += 1000;
    CHECK_EQ(rd(m, 0xE0001004u), c0);
    wr(m, 0xE000EDFCu, 1u << 24);
    wr(m, 0xE0001004u, 0);
    m->cycles += 1234;
    CHECK_EQ(rd(m, 0xE0001004u), 1234u);
    /* SysTick at HCLK: 1 ms period at 16 MHz */
    wr(m, 0xE000E014u, 15999u);
    wr(m, 0xE000E018u, 0);
    wr(m, 0xE000E010u, 5u);
    CHECK_EQ(rd(m, 0xE000E010u) & (1u << 16), 0);
    m->cycles += 1;
    CHECK_EQ(rd(m, 0xE000E018u), 15999u);
    m->cycles += 15999;
    CHECK_EQ(rd(m, 0xE000E018u), 0u);
    CHECK(rd(m, 0xE000E010u) & (1u << 16));       /* COUNTFLAG */
    CHECK_EQ(rd(m, 0xE000E010u) & (1u << 16), 0); /* cleared by the read */
    m->cycles += 1;
    CHECK_EQ(rd(m, 0xE000E018u), 15999u);
    uint64_t next = systick_next_event_ns(m);
    CHECK(next - machine_now_ns(m) >= 999937u && next - machine_now_ns(m) <= 999938u);
    done(m);
}

static void test_crc_unit(void)
{
    struct machine *m = boot();
    CHECK_EQ(rd(m, 0x40023000u), 0); /* clock off: reads 0 */
    wr(m, RCC_AHB1ENR, rd(m, RCC_AHB1ENR) | (1u << 12));
    CHECK_EQ(rd(m, 0x40023000u), 0xFFFFFFFFu);
    wr(m, 0x40023000u, 0x12345678u);
    CHECK_EQ(rd(m, 0x40023000u), 0xDF8A8A2Bu);
    wr(m, 0x40023008u, 1u);
    wr(m, 0x40023000u, 0);
    CHECK_EQ(rd(m, 0x40023000u), 0xC704DD7Bu);
    /* 4 HCLK per word: back-to-back writes stall */
    uint64_t c0 = m->cycles;
    wr(m, 0x40023000u, 1);
    wr(m, 0x40023000u, 2);
    CHECK(m->cycles - c0 >= 4);
    /* a byte write to DR is refused */
    CHECK(bus_write(m, 0x40023000u, 1, 0x12) != 0);
    CHECK_EQ(m->stop, STOP_FAULT);
    done(m);
}

static void test_gpio_leds_button_vbus(void)
{
    struct machine *m = boot();
    CHECK_EQ(m->led_state, 0);
    wr(m, 0x40020C00u, 1u << 24); /* GPIOD clock off: ignored */
    CHECK_EQ(rd(m, 0x40020C00u), 0);
    wr(m, RCC_AHB1ENR, rd(m, RCC_AHB1ENR) | 0xFu);
    wr(m, 0x40020C00u, 1u << 24); /* PD12 output */
    wr(m, 0x40020C18u, 1u << 12);
    CHECK_EQ(m->led_state, 1u); /* green */
    CHECK_EQ(rd(m, 0x40020C14u), 1u << 12);
    wr(m, 0x40020C18u, (1u << 12) << 16);
    CHECK_EQ(m->led_state, 0u);
    /* button PA0, released: 0; pressed: 1 */
    CHECK_EQ(rd(m, 0x40020010u) & 1u, 0);
    m->button_pressed = 1;
    CHECK_EQ(rd(m, 0x40020010u) & 1u, 1u);
    /* VBUS: PC0 output low */
    CHECK_EQ(m->vbus_state, 0u);
    wr(m, 0x40020800u, 1u);
    CHECK_EQ(m->vbus_state, 1u);
    wr(m, 0x40020818u, 1u);
    CHECK_EQ(m->vbus_state, 0u);
    done(m);
}

static void test_unmodeled_peripheral_faults(void)
{
    struct machine *m = boot();
    uint32_t v;
    CHECK(bus_read(m, 0x40000000u, 4, &v) != 0); /* TIM2 */
    CHECK_EQ(m->stop, STOP_FAULT);
    CHECK(m->fault_has_addr);
    CHECK_EQ(m->fault_addr, 0x40000000u);
    done(m);
}

int main(void)
{
    log_sink = fopen("/dev/null", "w");
    log_set_output(log_sink);
    RUN_TEST(test_program_only_clears_bits);
    RUN_TEST(test_program_takes_16us_and_eop_needs_eopie);
    RUN_TEST(test_polling_jump_stops_at_the_event);
    RUN_TEST(test_wrong_key_locks_until_reset);
    RUN_TEST(test_program_errors);
    RUN_TEST(test_erase_times_and_content);
    RUN_TEST(test_write_protection);
    RUN_TEST(test_cut_after_ops);
    RUN_TEST(test_rcc_clock_tree);
    RUN_TEST(test_reset_flags_and_sram);
    RUN_TEST(test_iwdg);
    RUN_TEST(test_systick_and_dwt);
    RUN_TEST(test_crc_unit);
    RUN_TEST(test_gpio_leds_button_vbus);
    RUN_TEST(test_unmodeled_peripheral_faults);
    fclose(log_sink);
    return HARNESS_EXIT();
}
