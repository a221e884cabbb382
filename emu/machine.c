/* The chip's life: power-on, system reset, virtual time, events and the scenario (cuts,
 * plug/unplug, end of run). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cycles.h"
#include "log.h"
#include "machine.h"

#define HSI_HZ 16000000u

static void stop_cpu_nop(struct machine *m)
{
    (void)m;
}
void (*machine_stop_cpu_hook)(struct machine *m) = stop_cpu_nop;

static void bus_error_ends_run(struct machine *m, uint32_t addr, int write, const char *what)
{
    (void)write;
    machine_fault(m, m->cur_block, 1, addr, "%s", what);
}
void (*machine_bus_error_hook)(struct machine *m, uint32_t addr, int write,
                               const char *what) = bus_error_ends_run;

void machine_bus_error(struct machine *m, uint32_t addr, int write, const char *what)
{
    machine_bus_error_hook(m, addr, write, what);
}

static uint32_t pc_from_block(struct machine *m)
{
    return m->cur_block;
}
uint32_t (*machine_pc_hook)(struct machine *m) = pc_from_block;

int machine_init(struct machine *m, const struct board *board, uint32_t flash_size, char *err,
                 size_t err_len)
{
    memset(m, 0, sizeof *m);
    m->board = board;
    m->hclk_hz = HSI_HZ;
    m->run_end_ns = 20000 * NS_PER_MS;
    m->cut_at_ns = TIME_NEVER;
    m->stop_after_app_ns = TIME_NEVER;
    m->cut_after_ops = -1;
    m->cut_at_opt_write = -1;
    m->cut_mode = CUT_UNDEFINED;
    m->sram_seed = 0x5EED5EEDCAFEF00Dull;
    m->rng = 0x9E3779B97F4A7C15ull;
    m->app_entry_ns = TIME_NEVER;
    /* System memory placeholder: a vector table whose reset vector points into this
     * non-executable region (so a jump to "ST's bootloader" faults there), then 0xFF. */
    memset(m->sysmem, 0xFF, sizeof m->sysmem);
    static const uint8_t vectors[8] = {0x00, 0x10, 0x00, 0x20, 0x01, 0x01, 0xFF, 0x1F};
    memcpy(m->sysmem, vectors, sizeof vectors);
    /* The core the board does not use for its host port: registers only, no device. */
    m->otg_idle =
        otg_create_core(board->usb_hs ? &otg_fs_core : &otg_hs_core, NULL, NULL, err, err_len);
    if (!m->otg_idle)
        return -1;
    return flash_init(&m->flash, flash_size, board->flash_dual_bank && flash_size == 2048u * 1024u,
                      err, err_len);
}

void machine_free(struct machine *m)
{
    flash_free(&m->flash);
    otg_destroy(m->otg_idle);
    m->otg_idle = NULL;
}

struct otg_model *machine_otg(struct machine *m, int hs, int **clocked)
{
    int port = hs == m->board->usb_hs;
    if (clocked)
        *clocked = port ? &m->otg_clocked : &m->otg_idle_clocked;
    return port ? m->otg : m->otg_idle;
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v = xorshift(&seed);
        memcpy(p + i, &v, n - i < 8 ? n - i : 8);
    }
}

uint64_t machine_now_ns(const struct machine *m)
{
    unsigned __int128 d = (unsigned __int128)(m->cycles - m->base_cycles) * 1000000000u;
    return m->base_ns + (uint64_t)(d / m->hclk_hz);
}

uint64_t machine_ns_to_cycles(const struct machine *m, uint64_t t_ns)
{
    if (t_ns == TIME_NEVER)
        return UINT64_MAX;
    if (t_ns <= m->base_ns)
        return m->base_cycles;
    unsigned __int128 c = (unsigned __int128)(t_ns - m->base_ns) * m->hclk_hz + 999999999u;
    return m->base_cycles + (uint64_t)(c / 1000000000u);
}

void machine_set_hclk(struct machine *m, uint32_t hz)
{
    if (hz == m->hclk_hz)
        return;
    m->base_ns = machine_now_ns(m);
    m->base_cycles = m->cycles;
    m->hclk_hz = hz;
    machine_update_deadline(m);
}

static void common_reset(struct machine *m, int power_on)
{
    bus_reset_all(m, power_on ? PERIPH_POWER_ON : PERIPH_SYSTEM);
    cycles_reset(m);
    m->in_app = 0;
    m->poll_streak = 0;
    m->poll_epoch++;
}

void machine_power_on(struct machine *m)
{
    fill_random(m->sram, m->board->sram_size, m->sram_seed);
    fill_random(m->ccm, sizeof m->ccm, m->sram_seed ^ 0xCC);
    m->stop = STOP_NONE;
    common_reset(m, 1);
    emu_log(0, "power on: board %s, flash %u KB%s%s", m->board->name, m->flash.size / 1024,
            m->iwdg_hw ? ", hardware watchdog" : "", m->button_pressed ? ", button held" : "");
    machine_process_events(m);
}

void machine_system_reset(struct machine *m, enum reset_cause cause)
{
    static const struct {
        uint32_t flags;
        const char *text;
    } causes[] = {
        [RESET_SOFTWARE] = {RCC_CSR_SFTRSTF | RCC_CSR_PINRSTF, "software (SYSRESETREQ)"},
        [RESET_IWDG] = {RCC_CSR_IWDGRSTF | RCC_CSR_PINRSTF, "IWDG"},
        [RESET_PIN] = {RCC_CSR_PINRSTF, "NRST pin"},
        [RESET_BROWNOUT] = {RCC_CSR_BORRSTF | RCC_CSR_PINRSTF, "brown-out (BOR)"},
    };
    uint64_t now = machine_now_ns(m);
    int power = cause == RESET_BROWNOUT;
    bus_flush_all(m);
    m->resets++;
    m->reset_cause = cause;
    m->iwdg_resets += cause == RESET_IWDG;
    m->sw_resets += cause == RESET_SOFTWARE;
    emu_log(now, "reset: %s", causes[cause].text);
    if (power) {
        /* A power reset: SRAM content is not guaranteed (strict reading, docs/emulator.md). */
        uint64_t seed = xorshift(&m->rng);
        fill_random(m->sram, m->board->sram_size, seed);
        fill_random(m->ccm, sizeof m->ccm, seed ^ 0xCC);
    }
    common_reset(m, power); /* the flash instance cuts an operation in progress */
    /* A power reset clears the older flags (RCC_CSR reset value); a system reset keeps them. */
    if (power)
        m->rcc.csr &= ~(RCC_CSR_PORRSTF | RCC_CSR_BORRSTF | RCC_CSR_PINRSTF);
    rcc_set_reset_flag(m, causes[cause].flags);
    m->stop = STOP_NONE;
    machine_process_events(m);
}

void machine_warn(struct machine *m, const char *fmt, ...)
{
    char text[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    emu_log(machine_now_ns(m), "warning: %s", text);
}

void machine_request_stop(struct machine *m, enum stop_reason why)
{
    if (m->stop == STOP_FAULT || m->stop == STOP_CUT)
        return; /* the first terminal reason wins */
    if (m->stop == STOP_END && why == STOP_RESET)
        return;
    m->stop = why;
    m->deadline_cycles = 0;
    machine_stop_cpu_hook(m);
}

void machine_fault(struct machine *m, uint32_t pc, int has_addr, uint32_t addr, const char *fmt,
                   ...)
{
    if (m->stop == STOP_FAULT || m->stop == STOP_CUT)
        return;
    if (pc == m->cur_block)
        pc = machine_pc_hook(m);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->fault_reason, sizeof m->fault_reason, fmt, ap);
    va_end(ap);
    m->fault_pc = pc;
    m->fault_has_addr = has_addr;
    m->fault_addr = addr;
    if (has_addr)
        emu_log(machine_now_ns(m), "fault: %s at pc=0x%08x addr=0x%08x", m->fault_reason, pc, addr);
    else
        emu_log(machine_now_ns(m), "fault: %s at pc=0x%08x", m->fault_reason, pc);
    m->stop = STOP_NONE;
    machine_request_stop(m, STOP_FAULT);
}

void machine_cut_power(struct machine *m, const char *why)
{
    if (m->stop == STOP_CUT || m->stop == STOP_FAULT)
        return;
    bus_flush_all(m);
    emu_log(machine_now_ns(m), "power cut: %s", why);
    m->stop = STOP_NONE;
    machine_request_stop(m, STOP_CUT);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

uint64_t machine_next_event_ns(struct machine *m)
{
    return min_u64(scenario_next_ns(m), bus_next_event_ns(m, 1));
}

void machine_update_deadline(struct machine *m)
{
    if (m->stop != STOP_NONE || m->flash.nfix || flash_busy(&m->flash)) {
        m->deadline_cycles = 0; /* every block takes the slow path */
        return;
    }
    /* Models flagged PERIPH_LAZY (USB) are advanced at their next access instead, unless
     * their interrupt is enabled in the NVIC (bus_next_event_ns). */
    uint64_t t = min_u64(scenario_next_ns(m), bus_next_event_ns(m, 0));
    m->deadline_cycles = machine_ns_to_cycles(m, t);
}

void machine_process_events(struct machine *m)
{
    uint64_t now = machine_now_ns(m);
    bus_advance_all(m, now); /* models first: an operation ending now completes before a cut */
    scenario_process(m, now);
    bus_advance_all(m, now);  /* what the scenario changed (a plugged stick), IRQ lines sampled */
    systick_interrupt_due(m); /* pends SysTick at a wrap with TICKINT */
    machine_update_deadline(m);
}

/* The emulator must never spin without advancing time: a model whose event stays due after
 * it was processed is a model error, reported as an internal fault instead of a hang. */
static void livelock(struct machine *m, uint64_t now, uint64_t next)
{
    const struct periph *p = bus_due_instance(m, now);
    machine_fault(m, m->cur_block, 0, 0,
                  "emulator livelock: %s event at %llu ns still due at %llu ns (internal error)",
                  p ? p->name : "scenario", (unsigned long long)next, (unsigned long long)now);
}

/* Steps through every event on the way, so a long stall cannot skip a cut, a watchdog
 * expiry or the end of the run. */
void machine_advance_to(struct machine *m, uint64_t t_ns)
{
    for (int guard = 0;; guard++) {
        /* Process what is due first: a next-event time computed before that can be stale (in
         * the past), and jumping straight to t_ns then skipped a watchdog expiry. */
        machine_process_events(m);
        uint64_t now = machine_now_ns(m);
        if (now >= t_ns || m->stop != STOP_NONE)
            break;
        uint64_t next = machine_next_event_ns(m);
        if (next <= now || guard == 10000000) {
            livelock(m, now, next);
            break;
        }
        uint64_t step = next < t_ns ? next : t_ns;
        uint64_t target = machine_ns_to_cycles(m, step);
        if (target > m->cycles)
            m->cycles = target;
        else
            m->cycles++;
    }
}

void machine_add_stall_cycles(struct machine *m, uint64_t cycles)
{
    m->cycles += cycles;
    machine_process_events(m);
}

/* Offset of a flash address (main area or the boot alias at 0), or -1. */
static int64_t flash_read_offset(const struct machine *m, uint32_t addr)
{
    if (addr - FLASH_BASE < m->flash.size)
        return addr - FLASH_BASE;
    return addr < m->flash.size ? (int64_t)addr : -1; /* boot alias at 0 */
}

void machine_flash_read(struct machine *m, uint32_t addr, int fetch)
{
    int64_t off = flash_read_offset(m, addr);
    if (off >= 0 && flash_read_stalls(&m->flash, (uint32_t)off) && (m->trace & TRACE_STALL)) {
        uint64_t now = machine_now_ns(m);
        emu_log(now, "flash: %s 0x%08x in block 0x%08x waits %llu us for the flash (RM0090 3.6)",
                fetch ? "fetch at" : "data read of", addr, m->cur_block,
                (unsigned long long)((m->flash.op.end_ns - now) / 1000u));
    }
    /* RM0090 3.6: the bus stalls until the operation ends (the other bank of a dual-bank part
     * excepted); the operation can end early only through a cut or reset, checked here. */
    while (off >= 0 && flash_read_stalls(&m->flash, (uint32_t)off) && m->stop == STOP_NONE)
        machine_advance_to(m, m->flash.op.end_ns);
}

void machine_slow_path(struct machine *m, uint32_t block_addr)
{
    if (m->flash.nfix)
        flash_apply_fixups(&m->flash);
    int64_t off = flash_read_offset(m, block_addr);
    if (off >= 0 && flash_read_stalls(&m->flash, (uint32_t)off))
        machine_flash_read(m, block_addr, 1); /* the block's first fetch stalls */
    else
        machine_process_events(m);
}

const uint8_t *machine_code_bytes(const struct machine *m, uint32_t addr, uint32_t len)
{
    if (addr - FLASH_BASE < m->flash.size && addr - FLASH_BASE + len <= m->flash.size)
        return m->flash.mem + (addr - FLASH_BASE);
    if (addr < m->flash.size && addr + len <= m->flash.size)
        return m->flash.mem + addr;
    if (addr - SRAM_BASE < m->board->sram_size && addr - SRAM_BASE + len <= m->board->sram_size)
        return m->sram + (addr - SRAM_BASE);
    return NULL;
}
