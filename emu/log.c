/* Timeline output: "[   12.345 ms] text", integer formatting so runs are byte-identical. */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"
#include "machine.h"

static FILE *log_file;

void log_set_output(void *file)
{
    log_file = file;
}

void emu_log(uint64_t now_ns, const char *fmt, ...)
{
    FILE *out = log_file ? log_file : stdout;
    unsigned long long ms = now_ns / NS_PER_MS;
    unsigned long long frac = (now_ns / NS_PER_US) % 1000u;
    fprintf(out, "[%5llu.%03llu ms] ", ms, frac);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
}
