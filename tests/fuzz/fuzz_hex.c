/* libFuzzer target: stickimg's Intel HEX reader. Anything it accepts must survive a write and
 * a second read unchanged (same bytes at the same addresses, same start address). */
#include "stickimg.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct memimage m, again;
    mem_init(&m);
    mem_init(&again);
    if (ihex_parse(data, size, &m) == 0) {
        char *text = NULL;
        size_t length = 0;
        FILE *f = open_memstream(&text, &length);
        if (!f || ihex_write(f, &m) != 0)
            abort();
        fclose(f);
        if (ihex_parse((const uint8_t *)text, length, &again) != 0 || again.count != m.count ||
            again.has_start != m.has_start || (m.has_start && again.start != m.start))
            abort();
        for (size_t i = 0; i < m.count; i++)
            if (again.seg[i].address != m.seg[i].address ||
                again.seg[i].length != m.seg[i].length ||
                memcmp(again.seg[i].data, m.seg[i].data, m.seg[i].length) != 0)
                abort();
        free(text);
    }
    mem_free(&m);
    mem_free(&again);
    return 0;
}
