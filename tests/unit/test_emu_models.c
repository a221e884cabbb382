/* stickemu peripheral models at register level, driven directly (no CPU): flash interface,
 * RCC, reset flags, IWDG, SysTick/DWT, CRC, GPIO. Time passes by adding CPU cycles. */
#include <stdlib.h>
#include <string.h>

#include "emu_machine.h"
#include "harness.h"
#include "log.h"
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
    return boot_board("f4discovery");
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

/* Loop code placed in flash at LOOP_ADDR, as the CPU would run it: the model only decodes it. */
#define LOOP_ADDR 0x08000100u

static void put_code(struct machine *m, const uint16_t *code, size_t n)
{
    memcpy(m->flash.mem + (LOOP_ADDR - FLASH_BASE), code, n * 2);
}

/* Polls `site` as a loop of `insns` instructions at LOOP_ADDR until BSY of the program that
 * was just started clears; returns the time the loop saw it and the instructions run. */
static uint64_t poll_until_idle(struct machine *m, uint32_t site, unsigned insns,
                                uint64_t *insns_out)
{
    uint64_t insns0 = m->insns;
    for (int i = 0; i < 1000000; i++) {
        uint32_t v = 0, sr = 0;
        m->insns += insns;
        m->cycles += insns;
        m->cur_block = LOOP_ADDR;
        if (m->cycles >= m->deadline_cycles)
            machine_slow_path(m, 0x20000000u);
        bus_read(m, site, 4, &v);
        if (site != SR)
            bus_read(m, SR, 4, &sr);
        if (!((site == SR ? v : sr) & SR_BSY)) {
            *insns_out = m->insns - insns0;
            return machine_now_ns(m);
        }
    }
    return TIME_NEVER;
}

/* An exact jump skips whole iterations of a loop that leaves nothing behind: the loop sees
 * BSY clear at the same instant and after the same number of instructions as without the
 * jump. Loops that carry a counter or read a free-running counter run every iteration. */
static void test_polling_jump_is_exact(void)
{
    /* ldr r3, [r2]; lsls r3, r3, #15; bmi LOOP_ADDR (waits for FLASH_SR.BSY = 0) */
    static const uint16_t idle_loop[] = {0x6813, 0x03DB, 0xD4FC};
    /* the same with adds r1, #1 (a loop counter): not skippable */
    static const uint16_t counting_loop[] = {0x6813, 0x3101, 0x03DB, 0xD4FB};
    struct {
        const uint16_t *code;
        unsigned insns;
        uint32_t site;
        int jumps;
    } cases[] = {
        {idle_loop, 3, SR, 1},
        {counting_loop, 4, SR, 0},
        {idle_loop, 3, 0xE0001004u, 0}, /* the loop reads DWT_CYCCNT */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        uint64_t seen[2], insns[2], jumps[2];
        for (int nj = 0; nj < 2; nj++) {
            struct machine *m = boot();
            m->no_time_jumps = nj;
            put_code(m, cases[c].code, cases[c].insns);
            unlock(m);
            wr(m, CR, CR_PG | PSIZE32);
            bus_flash_store(m, 0x08004000u, 4, 0);
            uint64_t end = m->flash.op.end_ns;
            seen[nj] = poll_until_idle(m, cases[c].site, cases[c].insns, &insns[nj]);
            jumps[nj] = m->jumps;
            CHECK(seen[nj] >= end && seen[nj] - end < 4 * 63);
            done(m);
        }
        CHECK_EQ(seen[0], seen[1]);
        CHECK_EQ(insns[0], insns[1]);
        CHECK_EQ(jumps[1], 0u);
        CHECK_EQ(jumps[0] > 0, cases[c].jumps);
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

static void test_reserved_address_faults(void)
{
    struct machine *m = boot();
    uint32_t v;
    CHECK(bus_read(m, 0x40002400u, 4, &v) != 0); /* between TIM14 and RTC: reserved */
    CHECK_EQ(m->stop, STOP_FAULT);
    CHECK(m->fault_has_addr);
    CHECK_EQ(m->fault_addr, 0x40002400u);
    done(m);
}

/* Every chip table: sorted, no overlaps, every instance inside a CPU window, names unique. */
static void check_chip_table(const struct chip *c)
{
    CHECK(c != NULL);
    CHECK(c->nperiphs <= PERIPH_MAX);
    for (size_t i = 0; i < c->nperiphs; i++) {
        const struct periph *p = &c->periphs[i];
        if (i > 0) {
            const struct periph *q = &c->periphs[i - 1];
            CHECK(q->base + q->size <= p->base);
        }
        int in_window = 0;
        for (size_t w = 0; w < c->nwindows; w++)
            in_window |= p->base - c->windows[w].base < c->windows[w].size &&
                         p->base + p->size - c->windows[w].base <= c->windows[w].size;
        CHECK(in_window);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(p->name, c->periphs[j].name) != 0);
    }
}

static void test_bus_table(void)
{
    const struct chip *c = board_find("f4discovery")->chip;
    for (size_t i = 0; board_at(i); i++)
        check_chip_table(board_at(i)->chip);
    /* The F446's own peripheral set is not modeled: it decodes as the F407 (docs/porting.md). */
    CHECK_EQ(board_find("nucleo-f446ze")->chip->periphs, c->periphs);
    /* Decode: a register in each kind of instance, and the gaps. */
    struct machine *m = boot();
    CHECK(strcmp(bus_find(m, 0x40023808u)->name, "RCC") == 0);
    CHECK(strcmp(bus_find(m, 0x40020C14u)->name, "GPIOD") == 0);
    CHECK(strcmp(bus_find(m, 0x40011004u)->name, "USART1") == 0);
    CHECK(strcmp(bus_find(m, 0x50000408u)->name, "OTG_FS") == 0);
    CHECK(strcmp(bus_find(m, 0xE000ED08u)->name, "PPB") == 0);
    CHECK(strcmp(bus_find(m, 0x40028000u + 0x1000u)->name, "ETH") == 0);
    CHECK(bus_find(m, 0x40002400u) == NULL);           /* reserved (APB1) */
    CHECK(bus_find(m, 0x40015000u) == NULL);           /* SPI5: F42x only */
    CHECK(bus_find(m, 0x50060000u) == NULL);           /* CRYP: F415/F417 only */
    CHECK(bus_find(m, 0x40024000u + 0x1000u) == NULL); /* past the 4 KB backup SRAM */
    done(m);
}

/* HAL's __HAL_RCC_PLL_ENABLE() is a bit-band write to 0x42470060 (RCC_CR bit 24). */
static void test_bitband_peripheral(void)
{
    struct machine *m = boot();
    uint32_t v = 0;
    CHECK_EQ(bus_read(m, 0x42470060u, 4, &v), 0);
    CHECK_EQ(v, 0u); /* PLLON */
    CHECK_EQ(bus_read(m, 0x42470000u, 4, &v), 0);
    CHECK_EQ(v, 1u); /* HSION */
    CHECK_EQ(bus_write(m, 0x42470060u, 4, 1), 0);
    CHECK(rd(m, RCC_CR) & (1u << 24));
    CHECK_EQ(rd(m, RCC_CR) & (1u << 25), 0);
    run_ns(m, 150 * NS_PER_US); /* the PLL really starts: PLLRDY after its lock time */
    CHECK(rd(m, RCC_CR) & (1u << 25));
    CHECK_EQ(bus_read(m, 0x42470064u, 4, &v), 0);
    CHECK_EQ(v, 1u); /* PLLRDY through the alias */
    /* Other bits of the word survive the read-modify-write; bit 0 of the value counts. */
    CHECK_EQ(bus_write(m, 0x42470040u, 4, 0xFFFFFFFEu), 0); /* HSEON <- 0: no change */
    CHECK_EQ(rd(m, RCC_CR) & (1u << 16), 0);
    CHECK(rd(m, RCC_CR) & 1u);
    /* A GPIO output bit through its ODR alias (GPIOD ODR bit 12, the green LED). */
    wr(m, RCC_AHB1ENR, 1u << 3);
    wr(m, 0x40020C00u, 1u << 24);
    uint32_t alias = 0x42000000u + (0x20C14u * 32u) + 12u * 4u;
    CHECK_EQ(bus_write(m, alias, 4, 1), 0);
    CHECK_EQ(m->led_state & 1u, 1u);
    CHECK_EQ(rd(m, 0x40020C14u), 1u << 12);
    /* An alias of a reserved address faults at the alias address. */
    CHECK(bus_read(m, 0x42000000u + 0x2400u * 32u, 4, &v) != 0);
    CHECK_EQ(m->stop, STOP_FAULT);
    CHECK_EQ(m->fault_addr, 0x42000000u + 0x2400u * 32u);
    done(m);
}

static void test_bitband_sram(void)
{
    struct machine *m = boot();
    uint32_t v = 0;
    m->sram[0x100] = 0x00;
    m->sram[0x101] = 0x80;
    CHECK_EQ(bus_write(m, 0x22000000u + 0x100u * 32u + 3u * 4u, 4, 1), 0);
    CHECK_EQ(m->sram[0x100], 0x08);
    CHECK_EQ(bus_read(m, 0x22000000u + 0x101u * 32u + 7u * 4u, 4, &v), 0);
    CHECK_EQ(v, 1u);
    CHECK_EQ(bus_write(m, 0x22000000u + 0x101u * 32u + 7u * 4u, 1, 0), 0);
    CHECK_EQ(m->sram[0x101], 0x00);
    /* The last SRAM byte, then the first address past the 128 KB: reserved. */
    CHECK_EQ(bus_write(m, 0x22000000u + (SRAM_SIZE - 1u) * 32u + 7u * 4u, 4, 1), 0);
    CHECK_EQ(m->sram[SRAM_SIZE - 1u] & 0x80u, 0x80u);
    CHECK_EQ(m->stop, STOP_NONE);
    CHECK(bus_read(m, 0x22000000u + SRAM_SIZE * 32u, 4, &v) != 0);
    CHECK_EQ(m->stop, STOP_FAULT);
    done(m);
}

static int count_lines(FILE *f, const char *needle)
{
    char line[512];
    int n = 0;
    fflush(f);
    rewind(f);
    while (fgets(line, sizeof line, f))
        n += strstr(line, needle) != NULL;
    return n;
}

static void test_unmodeled_peripheral_warns_once(void)
{
    FILE *f = tmpfile();
    CHECK(f != NULL);
    log_set_output(f);
    struct machine *m = boot();
    wr(m, 0x40023844u, 1u << 12);     /* SPI1EN */
    CHECK_EQ(rd(m, 0x40013008u), 2u); /* SPI_SR reset value: TXE */
    wr(m, 0x40013000u, 0x0344u);
    CHECK_EQ(rd(m, 0x40013000u), 0x0344u); /* writes are stored */
    CHECK_EQ(bus_write(m, 0x40013001u, 1, 0x12), 0);
    CHECK_EQ(rd(m, 0x40013000u), 0x1244u); /* narrow writes merge */
    CHECK_EQ(count_lines(f, "warning: unmodeled peripheral SPI1"), 1);
    wr(m, 0x40023840u, 1u << 29); /* DACEN */
    wr(m, 0x40007400u, 1);
    CHECK_EQ(count_lines(f, "warning: unmodeled peripheral DAC"), 1);
    CHECK_EQ(count_lines(f, "warning: unmodeled peripheral"), 2);
    /* A system reset restores reset values (and does not repeat the warning); the RTC, in
     * the backup domain, keeps what was written. */
    wr(m, 0x40002850u, 0xCAFEu); /* RTC_BKP0R */
    machine_system_reset(m, RESET_SOFTWARE);
    wr(m, 0x40023844u, 1u << 12);
    CHECK_EQ(rd(m, 0x40013000u), 0u);
    CHECK_EQ(rd(m, 0x40002850u), 0xCAFEu);
    CHECK_EQ(count_lines(f, "warning: unmodeled peripheral SPI1"), 1);
    CHECK_EQ(m->stop, STOP_NONE);
    done(m);
    log_set_output(log_sink);
    fclose(f);
}

#define TIM2_BASE 0x40000000u
#define TIM6_BASE 0x40001000u

/* TIM2 from a 42 MHz APB1 (PPRE1 /4 at 168 MHz): its clock is 2 x 42 = 84 MHz (RM0090 6.2). */
static void test_timer_update_timing(void)
{
    struct machine *m = boot();
    wr(m, RCC_PLLCFGR, 16u | (336u << 6) | (7u << 24)); /* HSI/16*336/2 = 168 MHz */
    wr(m, RCC_CR, rd(m, RCC_CR) | (1u << 24));
    run_ns(m, 200 * NS_PER_US);
    wr(m, 0x40023C00u, 5u);
    wr(m, RCC_CFGR, (5u << 10) | (4u << 13) | 2u);
    CHECK_EQ(m->hclk_hz, 168000000u);
    CHECK_EQ(rcc_apb_hz(m, 1, 0), 42000000u);
    CHECK_EQ(rcc_apb_hz(m, 1, 1), 84000000u);
    wr(m, 0x40023840u, 1u);                /* TIM2EN */
    wr(m, TIM2_BASE + 0x28, 83);           /* PSC: 1 MHz */
    wr(m, TIM2_BASE + 0x2C, 999);          /* ARR: 1 ms */
    wr(m, TIM2_BASE + 0x14, 1);            /* UG: load PSC */
    CHECK_EQ(rd(m, TIM2_BASE + 0x10), 1u); /* UG sets UIF (URS = 0) */
    wr(m, TIM2_BASE + 0x10, 0);
    wr(m, TIM2_BASE + 0x0C, 1); /* UIE */
    wr(m, TIM2_BASE + 0x00, 1); /* CEN */
    uint64_t t0 = machine_now_ns(m);
    uint64_t next = machine_next_event_ns(m);
    CHECK(next - t0 >= 999900u && next - t0 <= 1000100u);
    run_ns(m, 500 * NS_PER_US);
    uint32_t cnt = rd(m, TIM2_BASE + 0x24);
    CHECK(cnt >= 495 && cnt <= 505);
    CHECK_EQ(rd(m, TIM2_BASE + 0x10), 0u);
    CHECK_EQ(m->cx.irq_level[0] & (1u << 28), 0u);
    /* The update comes at 1 ms, raises UIF and the TIM2 line (IRQ 28) at once. */
    uint64_t upd = machine_next_event_ns(m);
    CHECK(upd - t0 >= 999900u && upd - t0 <= 1000100u);
    machine_advance_to(m, upd);
    CHECK(m->cx.irq_level[0] & (1u << 28));
    CHECK_EQ(rd(m, TIM2_BASE + 0x10), 1u);
    CHECK(rd(m, TIM2_BASE + 0x24) <= 1u);
    wr(m, TIM2_BASE + 0x10, 0); /* rc_w0 clears UIF, the line drops */
    CHECK_EQ(m->cx.irq_level[0] & (1u << 28), 0u);
    /* A long jump: 10.5 ms later the counter is at 500 again and UIF is set. */
    machine_advance_to(m, upd + 10500 * NS_PER_US);
    cnt = rd(m, TIM2_BASE + 0x24);
    CHECK(cnt >= 495 && cnt <= 505);
    CHECK_EQ(rd(m, TIM2_BASE + 0x10), 1u);
    /* One-pulse mode on TIM6 (16-bit): the counter stops at the update. */
    wr(m, 0x40023840u, 1u | (1u << 4));
    wr(m, TIM6_BASE + 0x28, 0);
    wr(m, TIM6_BASE + 0x2C, 8399); /* 100 us at 84 MHz */
    wr(m, TIM6_BASE + 0x00, 1u | (1u << 3));
    run_ns(m, 200 * NS_PER_US);
    CHECK_EQ(rd(m, TIM6_BASE + 0x00) & 1u, 0u);
    CHECK_EQ(rd(m, TIM6_BASE + 0x10), 1u);
    CHECK_EQ(rd(m, TIM6_BASE + 0x24), 0u);
    done(m);
}

#define USART2_BASE 0x40004400u

static void test_usart_rx(void)
{
    struct machine *m = boot();
    static const uint8_t text[] = "ok\n";
    usart_set_rx(m, 1, text, 3);
    wr(m, 0x40023840u, 1u << 17);   /* USART2EN; PCLK1 = HSI 16 MHz */
    wr(m, USART2_BASE + 0x08, 139); /* BRR: 16 MHz / 139 = 115108 baud */
    uint64_t t0 = machine_now_ns(m);
    wr(m, USART2_BASE + 0x0C, (1u << 13) | (1u << 2) | (1u << 5)); /* UE, RE, RXNEIE */
    uint64_t first = machine_next_event_ns(m);
    /* 10 bits x 139 / 16 MHz = 86.875 us */
    CHECK(first - t0 >= 86800u && first - t0 <= 86900u);
    CHECK_EQ(rd(m, USART2_BASE) & (1u << 5), 0u);
    machine_advance_to(m, first);
    CHECK(rd(m, USART2_BASE) & (1u << 5)); /* RXNE */
    CHECK(m->cx.irq_level[1] & (1u << (38 - 32)));
    CHECK_EQ(rd(m, USART2_BASE + 0x04), (uint32_t)'o');
    CHECK_EQ(rd(m, USART2_BASE) & (1u << 5), 0u);
    CHECK_EQ(m->cx.irq_level[1] & (1u << (38 - 32)), 0u);
    /* Not read in time: the third character overruns (ORE), RDR keeps the second. */
    run_ns(m, 200 * NS_PER_US);
    uint32_t sr = rd(m, USART2_BASE);
    CHECK(sr & (1u << 5));
    CHECK(sr & (1u << 3));
    CHECK_EQ(rd(m, USART2_BASE + 0x04), (uint32_t)'k');
    CHECK_EQ(rd(m, USART2_BASE) & ((1u << 5) | (1u << 3)), 0u); /* SR then DR cleared ORE */
    CHECK_EQ(machine_next_event_ns(m), TIME_NEVER);
    done(m);
}

/* The f4discovery's button (PA0) through SYSCFG_EXTICR1 = PA to EXTI line 0 (IRQ 6). */
static void test_exti_button(void)
{
    struct machine *m = boot();
    wr(m, 0x40023844u, 1u << 14); /* SYSCFGEN */
    wr(m, 0x40013808u, 0);        /* EXTI0 <- PA0 */
    wr(m, 0x40013C00u, 1);        /* IMR */
    wr(m, 0x40013C08u, 1);        /* RTSR */
    CHECK_EQ(rd(m, 0x40013C14u), 0u);
    m->button_pressed = 1;
    bus_pins_changed(m);
    CHECK_EQ(rd(m, 0x40013C14u), 1u);
    CHECK(m->cx.irq_level[0] & (1u << 6));
    wr(m, 0x40013C14u, 1); /* rc_w1 */
    CHECK_EQ(rd(m, 0x40013C14u), 0u);
    CHECK_EQ(m->cx.irq_level[0] & (1u << 6), 0u);
    m->button_pressed = 0; /* falling edge: not selected */
    bus_pins_changed(m);
    CHECK_EQ(rd(m, 0x40013C14u), 0u);
    /* Line 0 from port C instead: the button no longer reaches it. */
    wr(m, 0x40013808u, 2);
    m->button_pressed = 1;
    bus_pins_changed(m);
    CHECK_EQ(rd(m, 0x40013C14u), 0u);
    done(m);
}

static void test_system_memory_and_backup_sram(void)
{
    struct machine *m = boot();
    CHECK_EQ(m->sysmem[4], 0x01);
    wr(m, 0x40023830u, rd(m, 0x40023830u) | (1u << 18)); /* BKPSRAMEN */
    wr(m, 0x40024000u, 0x1234u);                         /* DBP clear: ignored */
    CHECK_EQ(rd(m, 0x40024000u), 0u);
    wr(m, 0x40023840u, 1u << 28);                       /* PWREN */
    wr(m, 0x40007000u, rd(m, 0x40007000u) | (1u << 8)); /* DBP */
    wr(m, 0x40024000u, 0x1234u);
    CHECK_EQ(rd(m, 0x40024000u), 0x1234u);
    machine_system_reset(m, RESET_SOFTWARE);
    wr(m, 0x40023830u, rd(m, 0x40023830u) | (1u << 18));
    CHECK_EQ(rd(m, 0x40024000u), 0x1234u); /* kept across a system reset */
    done(m);
}

/* A model whose event stays due after it was processed: the emulator stops with an internal
 * fault instead of spinning (the livelock assertion). */
static uint64_t stuck_next(struct machine *m, const struct periph *p)
{
    (void)m;
    (void)p;
    return 1000u; /* due at 1 us, and still due after being processed */
}

static const struct periph_ops stuck_ops = {.next_event_ns = stuck_next};

static void test_livelock_is_an_internal_fault(void)
{
    const struct board *real = board_find("f4discovery");
    struct periph table[PERIPH_MAX];
    size_t n = 0;
    for (size_t i = 0; i < real->chip->nperiphs; i++)
        table[n++] = real->chip->periphs[i];
    struct periph stuck = {
        .name = "STUCK", .base = 0x5FFF0000u, .size = 0x400, .ops = &stuck_ops, .irq = {-1, -1}};
    table[n++] = stuck; /* 0x5FFF0000 sorts after AHB2, before the FSMC registers */
    for (size_t i = n - 1; i > 0 && table[i].base < table[i - 1].base; i--) {
        struct periph t = table[i];
        table[i] = table[i - 1];
        table[i - 1] = t;
    }
    struct chip chip = *real->chip;
    chip.periphs = table;
    chip.nperiphs = n;
    struct board board = *real;
    board.chip = &chip;
    struct machine *m = calloc(1, sizeof *m);
    char err[128];
    CHECK(m && machine_init(m, &board, 1024u * 1024u, err, sizeof err) == 0);
    m->run_end_ns = TIME_NEVER;
    m->otg = otg_create(NULL, NULL, err, sizeof err);
    machine_power_on(m);
    machine_advance_to(m, 5 * NS_PER_MS);
    CHECK_EQ(m->stop, STOP_FAULT);
    CHECK(strstr(m->fault_reason, "emulator livelock: STUCK") != NULL);
    CHECK(machine_now_ns(m) < 5 * NS_PER_MS);
    done(m);
}

int main(void)
{
    log_sink = fopen("/dev/null", "w");
    log_set_output(log_sink);
    RUN_TEST(test_program_only_clears_bits);
    RUN_TEST(test_program_takes_16us_and_eop_needs_eopie);
    RUN_TEST(test_polling_jump_is_exact);
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
    RUN_TEST(test_reserved_address_faults);
    RUN_TEST(test_bus_table);
    RUN_TEST(test_bitband_peripheral);
    RUN_TEST(test_bitband_sram);
    RUN_TEST(test_unmodeled_peripheral_warns_once);
    RUN_TEST(test_timer_update_timing);
    RUN_TEST(test_usart_rx);
    RUN_TEST(test_exti_button);
    RUN_TEST(test_system_memory_and_backup_sram);
    RUN_TEST(test_livelock_is_an_internal_fault);
    fclose(log_sink);
    return HARNESS_EXIT();
}
