/* libFuzzer target: stickimg's ELF reader. It must never read outside the buffer, and what it
 * accepts must lie inside the 4 GB address space without overlaps. */
#include "stickimg.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct memimage m;
    mem_init(&m);
    if (elf_parse(data, size, &m) == 0) {
        for (size_t i = 0; i < m.count; i++) {
            if ((uint64_t)m.seg[i].address + m.seg[i].length > 1ull << 32)
                abort();
            if (i && (uint64_t)m.seg[i - 1].address + m.seg[i - 1].length > m.seg[i].address)
                abort();
        }
    }
    mem_free(&m);
    return 0;
}
