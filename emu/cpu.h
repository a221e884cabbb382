/* The Cortex-M4 core on libunicorn, attached to a machine. */
#ifndef EMU_CPU_H
#define EMU_CPU_H

#include <stddef.h>

#include "machine.h"

struct cpu;

struct cpu *cpu_create(struct machine *m, char *err, size_t err_len);
void cpu_destroy(struct cpu *c);
/* Boots from the vector table at 0 and runs until the run ends (end, fault or cut); system
 * resets happen inside. */
void cpu_run(struct cpu *c);

#endif
