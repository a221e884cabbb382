/* --load: .bin at an address, .elf and Intel .hex at their own addresses. */
#ifndef EMU_LOADER_H
#define EMU_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "machine.h"

/* Erases the sectors the file touches and writes it, as a programmer would. Returns 0, or -1
 * with a message in err. has_addr: addr is where a raw binary goes (ignored for ELF/HEX). */
int load_file(struct flash_model *f, const char *path, int has_addr, uint32_t addr, char *err,
              size_t err_len);

#endif
