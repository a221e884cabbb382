/* stickemu: runs STM32F4 firmware on a modeled chip and board with a modeled USB stick.
 * The command line and the result line are a contract (issue 3, docs/emulator.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "cycles.h"
#include "loader.h"
#include "log.h"
#include "machine.h"
#include "stick.h"

#define MAX_LOADS 16

static void usage(void)
{
    fputs("usage: stickemu [--flash FILE] [--flash-size 2M|1M|512K|256K] [--load ADDR FILE]...\n"
          "                [--board NAME (--board list)] [--stick IMG] [--stick-rw] "
          "[--profile FILE]\n"
          "                [--plug-at-ms T]... [--unplug-at-ms T]... [--button]\n"
          "                [--button-press-ms T1:T2]... [--reset-at-ms T]... [--brownout-at-ms "
          "T]...\n"
          "                [--iwdg] [--no-hse] [--dma-error-at-item N] [--dma-slow-cycles N]\n"
          "                [--flash-times=max]\n"
          "                [--cut-after-flash-ops N] [--cut-mode clean|undefined]\n"
          "                [--cut-at-option-write N] [--uid 24HEX]\n"
          "                [--cut-at-ms T] [--run-ms T] [--stop-after-app-ms T]\n"
          "                [--trace usb,scsi,flash,gpio,uart,mmio,stall] [--no-time-jumps]\n"
          "                [--cycle-model simple|m4] [--cycle-profile FILE]\n"
          "                [--uart-rx N:TEXT] [--uart-rx-file N:FILE] (N = 1, 2, 3, 6)\n",
          stderr);
}

static int parse_ms(const char *s, uint64_t *ns)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || v < 0 || v > 1e9)
        return -1;
    *ns = (uint64_t)(v * 1e6 + 0.5);
    return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (end == s || *end || v > 0xFFFFFFFFull)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int parse_trace(const char *s, unsigned *out)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"usb", TRACE_USB},     {"scsi", TRACE_SCSI}, {"flash", TRACE_FLASH},
                 {"gpio", TRACE_GPIO},   {"uart", TRACE_UART}, {"mmio", TRACE_MMIO},
                 {"stall", TRACE_STALL}, {"all", 0x1F}};
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    *out = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        size_t i;
        for (i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strcmp(tok, names[i].name) == 0)
                break;
        if (i == sizeof names / sizeof names[0])
            return -1;
        *out |= names[i].bit;
    }
    return 0;
}

/* --uart-rx N:TEXT (C escapes \n \r \t \\ \xHH) and --uart-rx-file N:FILE: bytes the outside
 * world sends to USARTN. Returns the USART unit (0 USART1, 1 USART2, 2 USART3, 3 USART6) or
 * -1; *data is allocated. */
static int parse_uart_rx(const char *s, int is_file, uint8_t **data, size_t *len)
{
    static const char units[] = {'1', '2', '3', '6'};
    int unit = -1;
    for (int i = 0; i < 4; i++)
        if (s[0] == units[i] && s[1] == ':')
            unit = i;
    if (unit < 0)
        return -1;
    s += 2;
    if (is_file) {
        FILE *f = fopen(s, "rb");
        if (!f)
            return -1;
        size_t n = 0;
        uint8_t *buf = read_stream(f, 64u << 20, &n);
        fclose(f);
        if (!buf)
            return -1;
        *data = buf;
        *len = n;
        return unit;
    }
    uint8_t *buf = malloc(strlen(s) + 1);
    size_t n = 0;
    if (!buf)
        return -1;
    for (; *s; s++) {
        if (*s != '\\' || !s[1]) {
            buf[n++] = (uint8_t)*s;
            continue;
        }
        s++;
        if (*s == 'n')
            buf[n++] = '\n';
        else if (*s == 'r')
            buf[n++] = '\r';
        else if (*s == 't')
            buf[n++] = '\t';
        else if (*s == 'x' && s[1] && s[2]) {
            char hex[3] = {s[1], s[2], 0};
            char *end;
            unsigned long v = strtoul(hex, &end, 16);
            if (*end) {
                free(buf);
                return -1;
            }
            buf[n++] = (uint8_t)v;
            s += 2;
        } else
            buf[n++] = (uint8_t)*s;
    }
    *data = buf;
    *len = n;
    return unit;
}

static void print_ms(FILE *out, const char *key, uint64_t ns)
{
    if (ns == TIME_NEVER)
        fprintf(out, " %s=-", key);
    else
        fprintf(out, " %s=%llu.%03llu", key, (unsigned long long)(ns / NS_PER_MS),
                (unsigned long long)(ns / NS_PER_US % 1000u));
}

static void print_result(struct machine *m)
{
    struct otg_stats st;
    otg_get_stats(m->otg, &st);
    const char *state = m->stop == STOP_FAULT ? "fault"
                        : m->stop == STOP_CUT ? "cut"
                        : m->in_app           ? "app"
                                              : "bootloader";
    printf("result: state=%s", state);
    print_ms(stdout, "t_ms", machine_now_ns(m));
    print_ms(stdout, "app_entry_ms", m->app_entry_ns);
    if (m->app_entry_ns == TIME_NEVER)
        printf(" app_entry=-");
    else
        printf(" app_entry=0x%08x", m->app_entry_pc);
    printf(" resets=%u erases=%u programmed_words=%u usb_in_bytes=%llu scsi_cmds=%u", m->resets,
           m->flash.erases, m->flash.program_words, (unsigned long long)st.usb_in_bytes,
           st.scsi_cmds);
    printf(" flash_ops=%llu erase_sectors=%s programmed_bytes=%llu read10_bytes=%llu",
           (unsigned long long)m->flash.ops, m->flash.erase_list[0] ? m->flash.erase_list : "-",
           (unsigned long long)m->flash.programmed_bytes, (unsigned long long)st.read10_bytes);
    printf(" iwdg_resets=%u sw_resets=%u usb_out_bytes=%llu naks=%u stalls=%u xact_errors=%u"
           " port_resets=%u otg_errors=%u",
           m->iwdg_resets, m->sw_resets, (unsigned long long)st.usb_out_bytes, st.naks, st.stalls,
           st.xact_errors, st.port_resets, st.protocol_errors);
    if (m->stop == STOP_FAULT) {
        printf(" pc=0x%08x", m->fault_pc);
        if (m->fault_has_addr)
            printf(" addr=0x%08x", m->fault_addr);
        else
            printf(" addr=-");
    }
    printf(" option_writes=%u nwrp=0x%03x insns=%llu", m->flash.opt_programs, m->flash.opt_nwrp,
           (unsigned long long)m->insns);
    print_ms(stdout, "iwdg_max_gap_ms", m->iwdg_max_gap_ns);
    printf("\n");
}

int main(int argc, char **argv)
{
    const char *flash_path = NULL, *stick = NULL, *profile = NULL, *board_name = "f4discovery";
    uint32_t flash_size = 0;
    struct {
        const char *path;
        uint32_t addr;
        int has_addr;
    } loads[MAX_LOADS];
    int nloads = 0;
    uint64_t run_ns = 20000 * NS_PER_MS, cut_ns = TIME_NEVER, stop_after_app_ns = TIME_NEVER, t1,
             t2;
    int plug_given = 0, button = 0, iwdg = 0, no_hse = 0, no_time_jumps = 0, flash_max_times = 0;
    enum cycle_model cycle_model = CYCLE_SIMPLE;
    const char *cycle_profile = NULL;
    uint8_t *rx_data[4] = {NULL, NULL, NULL, NULL};
    size_t rx_len[4] = {0, 0, 0, 0};
    /* Stick events only apply with a stick; the others are added to the machine at once. */
    static struct scenario events;
    long long cut_ops = -1, cut_opt_write = -1;
    uint32_t dma_error_item = 0, dma_slow_cycles = 0;
    uint32_t uid[3];
    int uid_given = 0;
    enum cut_mode cut_mode = CUT_UNDEFINED;
    unsigned trace = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (strcmp(a, "--button") == 0) {
            button = 1;
            continue;
        } else if (strcmp(a, "--iwdg") == 0) {
            iwdg = 1;
            continue;
        } else if (strcmp(a, "--no-hse") == 0) {
            no_hse = 1;
            continue;
        } else if (strcmp(a, "--stick-rw") == 0) {
            stick_medium_rw(1);
            continue;
        } else if (strcmp(a, "--flash-times=max") == 0) {
            flash_max_times = 1;
            continue;
        } else if (strcmp(a, "--no-time-jumps") == 0) {
            no_time_jumps = 1;
            continue;
        } else if (strcmp(a, "--cycle-model=simple") == 0 || strcmp(a, "--cycle-model=m4") == 0) {
            cycle_model = a[14] == 'm' ? CYCLE_M4 : CYCLE_SIMPLE;
            continue;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage();
            return 0;
        }
        if (!v) {
            fprintf(stderr, "stickemu: %s needs a value\n", a);
            usage();
            return 2;
        }
        i++;
        if (strcmp(a, "--cycle-profile") == 0) {
            cycle_profile = v;
        } else if (strcmp(a, "--cycle-model") == 0) {
            if (strcmp(v, "simple") == 0)
                cycle_model = CYCLE_SIMPLE;
            else if (strcmp(v, "m4") == 0)
                cycle_model = CYCLE_M4;
            else
                bad = 1;
        } else if (strcmp(a, "--flash") == 0) {
            flash_path = v;
        } else if (strcmp(a, "--flash-size") == 0) {
            if (strcmp(v, "2M") == 0 || strcmp(v, "2048K") == 0)
                flash_size = 2048u * 1024u;
            else if (strcmp(v, "1M") == 0 || strcmp(v, "1024K") == 0)
                flash_size = 1024u * 1024u;
            else if (strcmp(v, "512K") == 0)
                flash_size = 512u * 1024u;
            else if (strcmp(v, "256K") == 0)
                flash_size = 256u * 1024u;
            else
                bad = 1;
        } else if (strcmp(a, "--load") == 0) {
            if (nloads == MAX_LOADS) {
                fprintf(stderr, "stickemu: at most %d --load\n", MAX_LOADS);
                return 2;
            }
            uint32_t addr;
            if (parse_u32(v, &addr) == 0 && i + 1 < argc) {
                loads[nloads].addr = addr;
                loads[nloads].has_addr = 1;
                loads[nloads++].path = argv[++i];
            } else {
                loads[nloads].addr = 0;
                loads[nloads].has_addr = 0;
                loads[nloads++].path = v;
            }
        } else if (strcmp(a, "--uid") == 0) {
            /* three 32-bit words, word 0 (lowest address) first, as 24 hex digits */
            bad = strlen(v) != 24 || strspn(v, "0123456789abcdefABCDEF") != 24;
            for (int w = 0; !bad && w < 3; w++) {
                char word[9];
                memcpy(word, v + 8 * w, 8);
                word[8] = 0;
                uid[w] = (uint32_t)strtoul(word, NULL, 16);
            }
            uid_given = !bad;
        } else if (strcmp(a, "--board") == 0) {
            board_name = v;
        } else if (strcmp(a, "--stick") == 0) {
            stick = v;
        } else if (strcmp(a, "--profile") == 0) {
            profile = v;
        } else if (strcmp(a, "--plug-at-ms") == 0 || strcmp(a, "--unplug-at-ms") == 0) {
            bad = parse_ms(v, &t1) ||
                  scenario_add(&events, a[2] == 'p' ? SCEN_PLUG : SCEN_UNPLUG, t1) != 0;
            plug_given |= a[2] == 'p';
        } else if (strcmp(a, "--reset-at-ms") == 0 || strcmp(a, "--brownout-at-ms") == 0 ||
                   strcmp(a, "--iwdg-reset-at-ms") == 0) {
            enum scen_kind kind = a[2] == 'r'   ? SCEN_RESET_PIN
                                  : a[2] == 'b' ? SCEN_BROWNOUT
                                                : SCEN_IWDG;
            bad = parse_ms(v, &t1) || scenario_add(&events, kind, t1) != 0;
        } else if (strcmp(a, "--button-press-ms") == 0) {
            char first[32];
            const char *colon = strchr(v, ':');
            size_t len = colon ? (size_t)(colon - v) : 0;
            bad = !colon || len >= sizeof first;
            if (!bad) {
                memcpy(first, v, len);
                first[len] = 0;
                bad = parse_ms(first, &t1) || parse_ms(colon + 1, &t2) || t2 < t1 ||
                      scenario_add(&events, SCEN_BUTTON_DOWN, t1) != 0 ||
                      scenario_add(&events, SCEN_BUTTON_UP, t2) != 0;
            }
        } else if (strcmp(a, "--cut-after-flash-ops") == 0) {
            uint32_t n;
            bad = parse_u32(v, &n);
            cut_ops = n;
        } else if (strcmp(a, "--dma-error-at-item") == 0) {
            bad = parse_u32(v, &dma_error_item) || dma_error_item < 1;
        } else if (strcmp(a, "--dma-slow-cycles") == 0) {
            bad = parse_u32(v, &dma_slow_cycles);
        } else if (strcmp(a, "--cut-at-option-write") == 0) {
            uint32_t n;
            bad = parse_u32(v, &n) || n < 1;
            cut_opt_write = n;
        } else if (strcmp(a, "--cut-mode") == 0) {
            if (strcmp(v, "clean") == 0)
                cut_mode = CUT_CLEAN;
            else if (strcmp(v, "undefined") == 0)
                cut_mode = CUT_UNDEFINED;
            else
                bad = 1;
        } else if (strcmp(a, "--cut-at-ms") == 0) {
            bad = parse_ms(v, &cut_ns);
        } else if (strcmp(a, "--run-ms") == 0) {
            bad = parse_ms(v, &run_ns);
        } else if (strcmp(a, "--stop-after-app-ms") == 0) {
            bad = parse_ms(v, &stop_after_app_ns);
        } else if (strcmp(a, "--trace") == 0) {
            bad = parse_trace(v, &trace);
        } else if (strcmp(a, "--uart-rx") == 0 || strcmp(a, "--uart-rx-file") == 0) {
            uint8_t *d = NULL;
            size_t n = 0;
            int unit = parse_uart_rx(v, strcmp(a, "--uart-rx-file") == 0, &d, &n);
            if (unit < 0) {
                bad = 1;
            } else {
                free(rx_data[unit]);
                rx_data[unit] = d;
                rx_len[unit] = n;
            }
        } else {
            fprintf(stderr, "stickemu: unknown option %s\n", a);
            usage();
            return 2;
        }
        if (bad) {
            fprintf(stderr, "stickemu: bad value for %s: %s\n", a, v);
            usage();
            return 2;
        }
    }

    const struct board *board = board_find(board_name);
    if (!board) {
        int list = strcmp(board_name, "list") == 0;
        if (!list)
            fprintf(stderr, "stickemu: unknown board %s; known:", board_name);
        for (size_t i = 0; board_at(i); i++)
            fprintf(list ? stdout : stderr, list ? "%s\n" : " %s", board_at(i)->name);
        if (!list)
            fputc('\n', stderr);
        return list ? 0 : 2;
    }
    char err[256] = "";
    struct machine *m = calloc(1, sizeof *m);
    if (!m ||
        machine_init(m, board, flash_size ? flash_size : board->flash_size, err, sizeof err) != 0) {
        fprintf(stderr, "stickemu: %s\n", m ? err : "out of memory");
        return 2;
    }
    for (int w = 0; uid_given && w < 3; w++) /* U_ID at 0x1FFF7A10 (RM0090 39.1) */
        for (int b = 0; b < 4; b++)
            m->flash.otp_page[0x210 + 4 * w + b] = (uint8_t)(uid[w] >> (8 * b));
    if (flash_path && flash_load_file(&m->flash, flash_path, err, sizeof err) != 0) {
        fprintf(stderr, "stickemu: %s\n", err);
        return 2;
    }
    for (int i = 0; i < nloads; i++) {
        err[0] = 0;
        if (load_file(&m->flash, loads[i].path, loads[i].has_addr, loads[i].addr, err,
                      sizeof err) != 0) {
            fprintf(stderr, "stickemu: %s\n", err);
            return 2;
        }
    }
    m->otg = otg_create_core(board->usb_hs ? &otg_hs_core : &otg_fs_core, stick, profile, err,
                             sizeof err);
    if (!m->otg) {
        fprintf(stderr, "stickemu: %s\n", err);
        return 2;
    }
    otg_set_trace(m->otg, (trace & TRACE_USB ? 1u : 0u) | (trace & TRACE_SCSI ? 2u : 0u));
    m->trace = trace;
    m->run_end_ns = run_ns;
    m->cut_at_ns = cut_ns;
    /* Without --plug-at-ms the stick is in from power-on. */
    if (stick && !plug_given)
        scenario_add(&m->scen, SCEN_PLUG, 0);
    for (unsigned e = 0; e < events.count; e++) {
        enum scen_kind kind = events.ev[e].kind;
        if (stick || (kind != SCEN_PLUG && kind != SCEN_UNPLUG))
            scenario_add(&m->scen, kind, events.ev[e].t_ns);
    }
    m->stop_after_app_ns = stop_after_app_ns;
    m->cut_after_ops = cut_ops;
    m->dma_error_item = dma_error_item;
    m->dma_slow_cycles = dma_slow_cycles;
    m->cut_at_opt_write = cut_opt_write;
    m->cut_mode = cut_mode;
    m->button_pressed = button;
    m->iwdg_hw = iwdg;
    m->flash.max_times = flash_max_times;
    m->no_hse = no_hse;
    m->no_time_jumps = no_time_jumps;
    m->cycle_profile = cycle_profile;
    if (cycles_init(m, cycle_model) != 0) {
        fprintf(stderr, "stickemu: out of memory\n");
        return 2;
    }
    for (int i = 0; i < 4; i++)
        if (rx_data[i])
            usart_set_rx(m, i, rx_data[i], rx_len[i]);

    struct cpu *cpu = cpu_create(m, err, sizeof err);
    if (!cpu) {
        fprintf(stderr, "stickemu: %s\n", err);
        return 2;
    }
    machine_power_on(m);
    cpu_run(cpu);
    if (m->stop == STOP_CUT)
        otg_power_cut(m->otg, machine_now_ns(m));
    usart_flush_line(m);
    if (m->stop == STOP_END)
        emu_log(machine_now_ns(m), "end of run");
    if (m->jumps)
        emu_log(machine_now_ns(m), "time jumps: %llu, %llu.%03llu ms skipped",
                (unsigned long long)m->jumps, (unsigned long long)(m->jumped_ns / NS_PER_MS),
                (unsigned long long)(m->jumped_ns / NS_PER_US % 1000u));
    int rc = 0;
    if (flash_path && flash_save_file(&m->flash, flash_path, err, sizeof err) != 0) {
        fprintf(stderr, "stickemu: %s\n", err);
        rc = 2;
    }
    print_result(m);
    fflush(stdout);
    cpu_destroy(cpu);
    otg_destroy(m->otg);
    cycles_free(m);
    machine_free(m);
    free(m);
    for (int i = 0; i < 4; i++)
        free(rx_data[i]);
    return rc;
}
