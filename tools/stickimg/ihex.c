/* Intel HEX: a strict reader and a writer with srec_cat's exact layout. */
#include "stickimg.h"

#include <string.h>

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Adds a data record. Segmented addressing wraps inside the 64 KB segment, as srec_cat does. */
static int add_data(struct memimage *m, int segmented, uint32_t base, uint32_t offset,
                    const uint8_t *data, uint32_t count)
{
    if (segmented && offset + count > 0x10000u) {
        uint32_t first = 0x10000u - offset;
        if (mem_add(m, base + offset, data, first))
            return -1;
        return mem_add(m, base, data + first, count - first);
    }
    return mem_add(m, base + offset, data, count);
}

int ihex_parse(const uint8_t *text, size_t size, struct memimage *m)
{
    uint32_t base = 0;
    int segmented = 0, seen_eof = 0, data_records = 0;
    unsigned line = 0;
    size_t pos = 0;
    while (pos < size && !seen_eof) {
        line++;
        size_t start = pos;
        while (pos < size && text[pos] != '\n')
            pos++;
        size_t end = pos;
        pos++; /* past '\n' */
        while (end > start &&
               (text[end - 1] == '\r' || text[end - 1] == ' ' || text[end - 1] == '\t'))
            end--;
        if (end == start)
            continue;
        if (text[start] != ':')
            return set_error("line %u: not an Intel HEX record (no ':')", line);
        size_t digits = end - start - 1;
        if (digits % 2 != 0 || digits < 10)
            return set_error("line %u: truncated record", line);
        uint8_t rec[5 + 255];
        size_t bytes = digits / 2;
        if (bytes > sizeof rec)
            return set_error("line %u: record longer than 255 data bytes", line);
        uint8_t sum = 0;
        for (size_t i = 0; i < bytes; i++) {
            int hi = hex_value(text[start + 1 + 2 * i]), lo = hex_value(text[start + 2 + 2 * i]);
            if (hi < 0 || lo < 0)
                return set_error("line %u: bad hex digit", line);
            rec[i] = (uint8_t)(hi << 4 | lo);
            sum += rec[i];
        }
        uint32_t count = rec[0];
        if (bytes != count + 5)
            return set_error("line %u: byte count 0x%02X does not match the record length", line,
                             count);
        if (sum != 0)
            return set_error("line %u: checksum mismatch (record has 0x%02X, expected 0x%02X)",
                             line, rec[bytes - 1], (uint8_t)(rec[bytes - 1] - sum));
        uint32_t offset = (uint32_t)rec[1] << 8 | rec[2];
        const uint8_t *data = rec + 4;
        uint8_t type = rec[3];
        static const uint8_t expected_count[6] = {0, 0, 2, 4, 2, 4};
        if (type > 5)
            return set_error("line %u: unknown record type 0x%02X", line, type);
        if (type >= 1 && count != expected_count[type])
            return set_error("line %u: type %02X record must have %u data bytes", line, type,
                             expected_count[type]);
        if (type >= 2 && offset != 0)
            return set_error("line %u: type %02X record must have address 0000", line, type);
        switch (type) {
        case 0:
            if (count && add_data(m, segmented, base, offset, data, count))
                return set_error("line %u: %s", line, last_error());
            data_records++;
            break;
        case 1:
            seen_eof = 1;
            break;
        case 2:
            base = ((uint32_t)data[0] << 8 | data[1]) << 4;
            segmented = 1;
            break;
        case 3:
            m->has_start = 1;
            m->start =
                (((uint32_t)data[0] << 8 | data[1]) << 4) + ((uint32_t)data[2] << 8 | data[3]);
            break;
        case 4:
            base = ((uint32_t)data[0] << 8 | data[1]) << 16;
            segmented = 0;
            break;
        case 5:
            m->has_start = 1;
            m->start = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 |
                       data[3];
            break;
        }
    }
    if (!seen_eof)
        return set_error("no end-of-file record (truncated file?)");
    if (data_records == 0 || mem_empty(m))
        return set_error("no data in the file");
    return 0;
}

static void put_record(FILE *f, uint8_t type, uint16_t offset, const uint8_t *data, uint32_t n)
{
    uint8_t sum = (uint8_t)(n + (offset >> 8) + offset + type);
    fprintf(f, ":%02X%04X%02X", (unsigned)n, (unsigned)offset, (unsigned)type);
    for (uint32_t i = 0; i < n; i++) {
        fprintf(f, "%02X", data[i]);
        sum += data[i];
    }
    fprintf(f, "%02X\n", (uint8_t)-sum);
}

/* srec_cat keeps data in 1792-byte chunks (7 x 256, aligned to absolute addresses) and writes
 * each run of bytes inside a chunk as 32-byte records starting at the run. An extended linear
 * address record (04) comes before the first data record and whenever the upper 16 bits of a
 * record's start address change; a record may run across a 64 KB boundary. The execution start
 * address, if any, is written as a type 05 record before the end record. */
#define SREC_CHUNK  1792u
#define SREC_RECORD 32u

int ihex_write(FILE *f, const struct memimage *m)
{
    uint64_t upper = 1ull << 32; /* forces the first 04 record */
    for (size_t i = 0; i < m->count; i++) {
        const struct segment *s = &m->seg[i];
        uint64_t pos = s->address, end = (uint64_t)s->address + s->length;
        while (pos < end) {
            uint64_t chunk_end = (pos / SREC_CHUNK + 1) * SREC_CHUNK;
            uint64_t run_end = chunk_end < end ? chunk_end : end;
            for (; pos < run_end;) {
                uint32_t n = run_end - pos < SREC_RECORD ? (uint32_t)(run_end - pos) : SREC_RECORD;
                if ((pos & 0xFFFF0000u) != upper) {
                    upper = pos & 0xFFFF0000u;
                    uint8_t ext[2] = {(uint8_t)(upper >> 24), (uint8_t)(upper >> 16)};
                    put_record(f, 4, 0, ext, 2);
                }
                put_record(f, 0, (uint16_t)pos, s->data + (pos - s->address), n);
                pos += n;
            }
        }
    }
    if (m->has_start) {
        uint8_t start[4] = {(uint8_t)(m->start >> 24), (uint8_t)(m->start >> 16),
                            (uint8_t)(m->start >> 8), (uint8_t)m->start};
        put_record(f, 5, 0, start, 4);
    }
    put_record(f, 1, 0, NULL, 0);
    return ferror(f) ? set_error("write error") : 0;
}
