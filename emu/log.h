/* Timeline output of stickemu: "[   12.345 ms] text". Implemented by the core. */
#ifndef EMU_LOG_H
#define EMU_LOG_H

#include <stdint.h>

void emu_log(uint64_t now_ns, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
