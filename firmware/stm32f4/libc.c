/* The few C library functions the compiler may emit calls to. "used" keeps them through LTO,
 * which may emit such calls after it has dropped unreferenced symbols. Byte loops: size over speed;
 * bulk data never goes through them. */
#include <stddef.h>

/* memcpy/memset run in the USB transfers, also while the flash is busy (config.h RAMFUNC).
 * The crypto cost test builds this file alone, without the firmware's headers: in flash. */
#if __has_include("ramfunc.h")
#include "ramfunc.h"
#else
#define RAMFUNC
#endif

RAMFUNC __attribute__((used)) void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

RAMFUNC __attribute__((used)) void *memset(void *dst, int value, size_t n)
{
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)value;
    return dst;
}

__attribute__((used)) int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++) {
        if (*x != *y)
            return *x - *y;
    }
    return 0;
}
