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

static enum input_format guess_format(const char *path, const uint8_t *data, size_t size)
{
    if (size >= 4 && memcmp(data,
                            "\x7F"
                            "ELF",
                            4) == 0)
        return FORMAT_ELF;
    if (has_extension(path, ".hex") || has_extension(path, ".ihex") || has_extension(path, ".ihx"))
        return FORMAT_HEX;
    if (has_extension(path, ".elf") || has_extension(path, ".axf") || has_extension(path, ".out"))
        return FORMAT_ELF;
    /* Unknown extension: Intel HEX text starts with ':'; anything else is raw. */
    if (!has_extension(path, ".bin") && size > 0 && data[0] == ':')
        return FORMAT_HEX;
    return FORMAT_BIN;
}

int input_load(const char *path, enum input_format format, uint32_t bin_base, struct memimage *m)
{
    uint8_t *data;
    size_t size;
    if (read_file(path, &data, &size))
        return -1;
    if (format == FORMAT_AUTO)
        format = guess_format(path, data, size);
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
