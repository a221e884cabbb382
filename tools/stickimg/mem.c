/* Sparse memory: sorted, non-overlapping segments; adjacent data is merged into one segment. */
#include "stickimg.h"

#include <stdlib.h>
#include <string.h>

void mem_init(struct memimage *m)
{
    memset(m, 0, sizeof *m);
}

void mem_free(struct memimage *m)
{
    for (size_t i = 0; i < m->count; i++)
        free(m->seg[i].data);
    free(m->seg);
    mem_init(m);
}

static uint64_t seg_end(const struct segment *s)
{
    return (uint64_t)s->address + s->length;
}

/* Index of the first segment that starts above address. */
static size_t first_above(const struct memimage *m, uint64_t address)
{
    size_t lo = 0, hi = m->count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->seg[mid].address > address)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static int append_to(struct segment *s, const uint8_t *data, uint32_t length)
{
    uint8_t *bigger = realloc(s->data, (size_t)s->length + length);
    if (!bigger)
        return set_error("out of memory");
    memcpy(bigger + s->length, data, length);
    s->data = bigger;
    s->length += length;
    return 0;
}

int mem_add(struct memimage *m, uint32_t address, const uint8_t *data, uint32_t length)
{
    if (length == 0)
        return 0;
    uint64_t end = (uint64_t)address + length;
    if (end > 0x100000000ull)
        return set_error("data at 0x%08X runs past the 4 GB address space", address);
    size_t at = first_above(m, address);
    struct segment *prev = at > 0 ? &m->seg[at - 1] : NULL;
    struct segment *next = at < m->count ? &m->seg[at] : NULL;
    if (prev && seg_end(prev) > address)
        return set_error("data at 0x%08X overlaps earlier data", address);
    if (next && end > next->address)
        return set_error("data at 0x%08X-0x%08llX overlaps earlier data at 0x%08X", address,
                         (unsigned long long)(end - 1), next->address);
    if (prev && seg_end(prev) == address) {
        if (append_to(prev, data, length))
            return -1;
        if (next && seg_end(prev) == next->address) {
            if (append_to(prev, next->data, next->length))
                return -1;
            free(next->data);
            memmove(next, next + 1, (m->count - at - 1) * sizeof *next);
            m->count--;
        }
        return 0;
    }
    if (next && end == next->address) {
        uint8_t *merged = malloc((size_t)length + next->length);
        if (!merged)
            return set_error("out of memory");
        memcpy(merged, data, length);
        memcpy(merged + length, next->data, next->length);
        free(next->data);
        next->data = merged;
        next->address = address;
        next->length += length;
        return 0;
    }
    if (m->count == m->capacity) {
        size_t capacity = m->capacity ? m->capacity * 2 : 16;
        struct segment *bigger = realloc(m->seg, capacity * sizeof *bigger);
        if (!bigger)
            return set_error("out of memory");
        m->seg = bigger;
        m->capacity = capacity;
    }
    uint8_t *copy = malloc(length);
    if (!copy)
        return set_error("out of memory");
    memcpy(copy, data, length);
    memmove(&m->seg[at + 1], &m->seg[at], (m->count - at) * sizeof m->seg[0]);
    m->seg[at] = (struct segment){address, length, copy};
    m->count++;
    return 0;
}

int mem_empty(const struct memimage *m)
{
    return m->count == 0;
}

uint32_t mem_low(const struct memimage *m)
{
    return m->count ? m->seg[0].address : 0;
}

uint64_t mem_high(const struct memimage *m)
{
    return m->count ? seg_end(&m->seg[m->count - 1]) : 0;
}

uint64_t mem_bytes(const struct memimage *m)
{
    uint64_t total = 0;
    for (size_t i = 0; i < m->count; i++)
        total += m->seg[i].length;
    return total;
}

int mem_crop(struct memimage *m, uint64_t low, uint64_t high)
{
    struct memimage out;
    mem_init(&out);
    /* srec_cat's -crop drops an execution start address outside the range too. */
    out.has_start = m->has_start && m->start >= low && m->start < high;
    out.start = m->start;
    for (size_t i = 0; i < m->count; i++) {
        const struct segment *s = &m->seg[i];
        uint64_t a = s->address > low ? s->address : low;
        uint64_t b = seg_end(s) < high ? seg_end(s) : high;
        if (a < b && mem_add(&out, (uint32_t)a, s->data + (a - s->address), (uint32_t)(b - a))) {
            mem_free(&out);
            return -1;
        }
    }
    mem_free(m);
    *m = out;
    return 0;
}

int mem_fill(struct memimage *m, uint64_t low, uint64_t high, uint8_t fill)
{
    /* Collect the holes first: adding data merges segments under our feet. */
    size_t holes = 0;
    uint64_t(*hole)[2] = malloc((m->count + 1) * sizeof *hole);
    if (!hole)
        return set_error("out of memory");
    uint64_t pos = low;
    for (size_t i = 0; i < m->count && pos < high; i++) {
        const struct segment *s = &m->seg[i];
        if (seg_end(s) <= pos)
            continue;
        if (s->address > pos) {
            hole[holes][0] = pos;
            hole[holes][1] = s->address < high ? s->address : high;
            holes++;
        }
        pos = seg_end(s);
    }
    if (pos < high) {
        hole[holes][0] = pos;
        hole[holes][1] = high;
        holes++;
    }
    int r = 0;
    uint8_t block[4096];
    memset(block, fill, sizeof block);
    for (size_t h = 0; h < holes && r == 0; h++)
        for (uint64_t a = hole[h][0]; a < hole[h][1] && r == 0; a += sizeof block) {
            uint64_t n = hole[h][1] - a < sizeof block ? hole[h][1] - a : sizeof block;
            r = mem_add(m, (uint32_t)a, block, (uint32_t)n);
        }
    free(hole);
    return r;
}

void mem_flatten(const struct memimage *m, uint32_t low, uint32_t length, uint8_t fill,
                 uint8_t *out)
{
    memset(out, fill, length);
    uint64_t high = (uint64_t)low + length;
    for (size_t i = 0; i < m->count; i++) {
        const struct segment *s = &m->seg[i];
        uint64_t a = s->address > low ? s->address : low;
        uint64_t b = seg_end(s) < high ? seg_end(s) : high;
        if (a < b)
            memcpy(out + (a - low), s->data + (a - s->address), b - a);
    }
}

int mem_overlaps(const struct memimage *m, uint64_t low, uint64_t high)
{
    for (size_t i = 0; i < m->count; i++)
        if (m->seg[i].address < high && seg_end(&m->seg[i]) > low)
            return 1;
    return 0;
}
