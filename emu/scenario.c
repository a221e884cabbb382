/* Scripted board events (scenario.h). What each event does to the chip is decided in
 * machine_system_reset() (resets) and otg.c (plug/unplug); this file only says when. */
#include "scenario.h"

#include "log.h"
#include "machine.h"

int scenario_add(struct scenario *s, enum scen_kind kind, uint64_t t_ns)
{
    if (s->count == SCEN_MAX_EVENTS)
        return -1;
    unsigned i = s->count++;
    for (; i > 0 && s->ev[i - 1].t_ns > t_ns; i--)
        s->ev[i] = s->ev[i - 1];
    s->ev[i].t_ns = t_ns;
    s->ev[i].kind = kind;
    return 0;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

uint64_t scenario_next_ns(const struct machine *m)
{
    const struct scenario *s = &m->scen;
    uint64_t t = min_u64(m->run_end_ns, m->cut_at_ns);
    if (s->next < s->count)
        t = min_u64(t, s->ev[s->next].t_ns);
    if (m->app_entry_ns != TIME_NEVER && m->stop_after_app_ns != TIME_NEVER)
        t = min_u64(t, m->app_entry_ns + m->stop_after_app_ns);
    return t;
}

static void reset_now(struct machine *m, enum reset_cause cause)
{
    m->reset_cause = cause;
    machine_request_stop(m, STOP_RESET);
}

void scenario_process(struct machine *m, uint64_t now)
{
    struct scenario *s = &m->scen;
    /* A reset stops the CPU; the events after it wait for the next slow path. */
    while (s->next < s->count && s->ev[s->next].t_ns <= now && m->stop == STOP_NONE) {
        enum scen_kind kind = s->ev[s->next++].kind;
        switch (kind) {
        case SCEN_PLUG:
        case SCEN_UNPLUG:
            emu_log(now, "USB stick %s", kind == SCEN_PLUG ? "plugged" : "unplugged");
            otg_set_plugged(m->otg, kind == SCEN_PLUG, now);
            break;
        case SCEN_BUTTON_DOWN:
        case SCEN_BUTTON_UP:
            m->button_pressed = kind == SCEN_BUTTON_DOWN;
            emu_log(now, "button %s", m->button_pressed ? "pressed" : "released");
            bus_pins_changed(m); /* the button is a GPIO input: EXTI edge detection */
            break;
        case SCEN_RESET_PIN:
            reset_now(m, RESET_PIN);
            break;
        case SCEN_BROWNOUT:
            reset_now(m, RESET_BROWNOUT);
            break;
        case SCEN_IWDG:
            emu_log(now, "iwdg: expiry forced by the scenario");
            reset_now(m, RESET_IWDG);
            break;
        }
    }
    if (m->cut_at_ns <= now) {
        m->cut_at_ns = TIME_NEVER;
        int busy = flash_busy(&m->flash);
        if (busy)
            flash_cut(m, 1);
        machine_cut_power(m, busy ? "at the requested time, during a flash operation"
                                  : "at the requested time");
    }
    if (m->app_entry_ns != TIME_NEVER && m->stop_after_app_ns != TIME_NEVER &&
        now >= m->app_entry_ns + m->stop_after_app_ns)
        machine_request_stop(m, STOP_END);
    if (now >= m->run_end_ns)
        machine_request_stop(m, STOP_END);
}
