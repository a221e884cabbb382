/* Loads an input file (.bin, Intel .hex, .elf) into sparse memory. */
#include "stickimg.h"

#include <stdlib.h>
#include <string.h>

int parse_format(const char *name, enum input_format *out)
{
    if (strcmp(name, "bin") == 0)
        *out = FORMAT_BIN;
    else if (strcmp(name, "hex") == 0 || strcmp(name, "ihex") == 0)
        *out = FORMAT_HEX;
    else if (strcmp(name, "elf") == 0)
        *out = FORMAT_ELF;
    else
        return set_error("--format: '%s' is not bin, hex or elf", name);
    return 0;
}

static int is_hex_digit(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

/* A line that starts like a record: the lead character, then at least 8 hex digits. */
static int record_start(const uint8_t *data, size_t size, uint8_t lead)
{
    if (size < 9 || data[0] != lead)
        return 0;
    for (size_t i = 1; i < 9; i++) {
        if (!is_hex_digit(data[i]) && !(lead == 'S' && i == 1))
            return 0;
    }
    return lead != 'S' || (data[1] >= '0' && data[1] <= '9');
}

enum content content_of(const uint8_t *data, size_t size)
{
    if (size >= 4 && memcmp(data,
                            "\x7F"
                            "ELF",
                            4) == 0)
        return CONTENT_ELF;
    if (record_start(data, size, ':'))
        return CONTENT_IHEX;
    if (record_start(data, size, 'S'))
        return CONTENT_SREC;
    if (size >= IMAGE_LENGTH_WORD_OFFSET + 4 + IMAGE_TRAILER_SIZE) {
        uint32_t length = get_le32(data + IMAGE_LENGTH_WORD_OFFSET);
        if (length <= size - IMAGE_TRAILER_SIZE && get_le32(data + length) == IMAGE_MAGIC &&
            (size - length == IMAGE_TRAILER_SIZE || size - length == IMAGE_TRAILER_SIZE_SIGNED))
            return CONTENT_PACKED;
    }
    return CONTENT_RAW;
}

const char *content_name(enum content c)
{
    static const char *const names[] = {
        [CONTENT_RAW] = "a raw binary",
        [CONTENT_ELF] = "an ELF file",
        [CONTENT_IHEX] = "an Intel HEX file",
        [CONTENT_SREC] = "a Motorola S-record (SREC) file",
        [CONTENT_PACKED] = "a packed image (stickimg pack output)",
    };
    return names[c];
}

/* The contents decide, never the name. */
static enum input_format guess_format(enum content c)
{
    return c == CONTENT_ELF ? FORMAT_ELF : c == CONTENT_IHEX ? FORMAT_HEX : FORMAT_BIN;
}

static int named_as(const char *path, enum input_format f)
{
    if (f == FORMAT_HEX)
        return has_extension(path, ".hex") || has_extension(path, ".ihex") ||
               has_extension(path, ".ihx");
    if (f == FORMAT_ELF)
        return has_extension(path, ".elf") || has_extension(path, ".axf") ||
               has_extension(path, ".out");
    return has_extension(path, ".bin");
}

int input_load(const char *path, enum input_format format, uint32_t bin_base, struct memimage *m)
{
    uint8_t *data;
    size_t size;
    if (read_file(path, &data, &size))
        return -1;
    enum content c = content_of(data, size);
    if (c == CONTENT_SREC) {
        free(data);
        return set_error(
            "%s: is %s; stickimg reads raw .bin, Intel .hex and .elf: give it the .elf "
            "or convert (arm-none-eabi-objcopy -I srec -O ihex %s app.hex)",
            path, content_name(c), path);
    }
    if (format == FORMAT_AUTO) {
        format = guess_format(c);
        static const char *const wrong[] = {
            [FORMAT_BIN] = "a raw binary", [FORMAT_HEX] = "Intel HEX", [FORMAT_ELF] = "ELF"};
        for (enum input_format f = FORMAT_BIN; f <= FORMAT_ELF; f++) {
            if (f != format && size > 0 && named_as(path, f))
                warn("%s: is %s, not %s (by its contents); read as such", path, content_name(c),
                     wrong[f]);
        }
    }
    int r;
    switch (format) {
    case FORMAT_HEX:
        r = size == 0 ? set_error("empty input") : ihex_parse(data, size, m);
        break;
    case FORMAT_ELF:
        r = elf_parse(data, size, m);
        break;
    default:
        if ((uint64_t)bin_base + size > 0x100000000ull)
            r = set_error("%zu bytes at 0x%08X run past the 4 GB address space", size, bin_base);
        else
            r = mem_add(m, bin_base, data, (uint32_t)size);
        break;
    }
    free(data);
    if (r)
        return set_error("%s: %s", path, last_error());
    return 0;
}
