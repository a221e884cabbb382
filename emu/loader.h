/* --load: .bin at an address, .elf and Intel .hex at their own addresses. */
#ifndef EMU_LOADER_H
#define EMU_LOADER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "machine.h"

/* Erases the sectors the file touches and writes it, as a programmer would. Returns 0, or -1
 * with a message in err. has_addr: addr is where a raw binary goes (ignored for ELF/HEX). */
int load_file(struct flash_model *f, const char *path, int has_addr, uint32_t addr, char *err,
              size_t err_len);

/* The rest of an open stream, in a malloc'ed buffer (the caller frees it); *len its length.
 * NULL when out of memory or when the stream is longer than max bytes (doubled from 4 KB). */
uint8_t *read_stream(FILE *fp, size_t max, size_t *len);

#endif
