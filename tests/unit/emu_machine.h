/* A stickemu machine for register-level unit tests (no CPU): BOARD's chip, flash and USB core,
 * powered on; done() frees it. */
#ifndef TESTS_EMU_MACHINE_H
#define TESTS_EMU_MACHINE_H

#include <stdlib.h>

#include "machine.h"

static inline struct machine *boot_board(const char *board)
{
    struct machine *m = calloc(1, sizeof *m);
    char err[128];
    const struct board *b = board_find(board);
    if (!m || !b || machine_init(m, b, b->flash_size, err, sizeof err) != 0)
        abort();
    m->run_end_ns = TIME_NEVER;
    m->otg = otg_create_core(b->usb_hs ? &otg_hs_core : &otg_fs_core, NULL, NULL, err, sizeof err);
    if (!m->otg)
        abort();
    machine_power_on(m);
    return m;
}

static inline void done(struct machine *m)
{
    otg_destroy(m->otg);
    machine_free(m);
    free(m);
}

#endif
