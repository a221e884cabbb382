/* The board's life as the command line scripts it: stick plug and unplug, button presses,
 * NRST pin resets, brown-outs, the power cut and the end of the run. machine.c asks for the
 * next event time and hands every due event over here. */
#ifndef EMU_SCENARIO_H
#define EMU_SCENARIO_H

#include <stdint.h>

enum scen_kind {
    SCEN_PLUG,        /* the stick goes into the port */
    SCEN_UNPLUG,      /* the stick comes out */
    SCEN_BUTTON_DOWN, /* user button pressed */
    SCEN_BUTTON_UP,   /* user button released */
    SCEN_RESET_PIN,   /* NRST pulled low: system reset, DWT and SRAM kept */
    SCEN_BROWNOUT,    /* VDD below the BOR threshold and back: power reset, SRAM lost */
    SCEN_IWDG,        /* the watchdog expires now, as if the firmware had stopped refreshing */
};

#define SCEN_MAX_EVENTS 64

struct scen_event {
    uint64_t t_ns;
    enum scen_kind kind;
};

/* Events sorted by time; those at the same time keep the order they were added in. */
struct scenario {
    struct scen_event ev[SCEN_MAX_EVENTS];
    unsigned count, next;
};

struct machine;

/* Adds an event; -1 when the list is full. */
int scenario_add(struct scenario *s, enum scen_kind kind, uint64_t t_ns);
/* Time of the next scripted event (events above, cut, end of run, stop after the app),
 * TIME_NEVER if none. */
uint64_t scenario_next_ns(const struct machine *m);
/* Applies every event due at now_ns. A reset or brown-out stops the CPU with STOP_RESET and
 * the matching reset cause; machine_system_reset() then carries it out. */
void scenario_process(struct machine *m, uint64_t now_ns);

#endif
