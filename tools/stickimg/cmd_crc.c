/* stickimg crc: srec_cat's -STM32 filter, byte for byte. The CRC is the STM32 CRC unit's: the
 * data bytes in ascending address order (holes skipped, not filled), every 4 bytes one
 * little-endian word; 1-3 bytes left at the end are not part of it (srec_cat warns, so do we). */
#include "stickimg.h"

#include "crc.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "Usage: stickimg crc INPUT [options]\n"
    "\n"
    "Computes the CRC that srec_cat's -STM32 filter computes (the STM32 CRC unit's algorithm)\n"
    "and, with -o, writes the data plus the CRC word as srec_cat would, byte for byte.\n"
    "Without -o it prints the CRC as 0xXXXXXXXX.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE        write the data and the CRC; .hex is Intel HEX (srec_cat's\n"
    "                           record layout), .bin raw bytes from the lowest address\n"
    "  -r, --range START:END    only the bytes in [START, END) (srec_cat -crop START END)\n"
    "  -F, --fill BYTE          fill the holes in the range (or between the lowest and highest\n"
    "                           data) with BYTE (srec_cat -fill BYTE START END)\n"
    "  -t, --at ADDR            where the CRC goes; default END (the range end, else just\n"
    "                           after the data)\n"
    "  -B, --big-endian         store the CRC most significant byte first\n"
    "                           (srec_cat -STM32-Big-Endian; default -STM32, LSB first)\n"
    "  -a, --base ADDR          load address of a raw .bin input; default 0\n"
    "  -f, --format bin|hex|elf input format; default from the contents and the extension\n"
    "      --output-format bin|hex  output format when the extension does not tell\n"
    "  -p, --print              print the CRC also when writing a file\n"
    "  -h, --help               this text\n"
    "\n"
    "Replaces: srec_cat FIRM1.hex -Intel -fill 0xFF 0x08000000 0x080FFFFC\n"
    "            -crop 0x08000000 0x080FFFFC -STM32 0x080FFFFC -o ROM1.hex -Intel\n"
    "with:     stickimg crc FIRM1.hex --fill 0xFF --range 0x08000000:0x080FFFFC -o ROM1.hex\n"
    "A .bin output starts at the lowest address; srec_cat's -binary output starts at address 0\n"
    "(add -offset -START to srec_cat for the same file). Holes in a .bin output are 0x00,\n"
    "as srec_cat writes them.\n";

/* Limits what a range or a .bin output may span: more is a typo, not a flash. */
#define MAX_SPAN (256ull << 20)

static int parse_range(const char *text, uint64_t *low, uint64_t *high)
{
    char buf[64];
    const char *colon = strchr(text, ':');
    if (!colon || (size_t)(colon - text) >= sizeof buf)
        return set_error("--range: '%s' is not START:END", text);
    memcpy(buf, text, (size_t)(colon - text));
    buf[colon - text] = '\0';
    uint32_t a, b;
    if (parse_u32(buf, "--range START", &a))
        return -1;
    /* END may be 0x100000000 (the top of the address space). */
    if (strcmp(colon + 1, "0x100000000") == 0)
        *high = 1ull << 32;
    else if (parse_u32(colon + 1, "--range END", &b))
        return -1;
    else
        *high = b;
    *low = a;
    if (*high < *low)
        return set_error("--range: END 0x%llX is below START 0x%08X", (unsigned long long)*high, a);
    return 0;
}

int cmd_crc(int argc, char **argv)
{
    static char prog[] = "stickimg crc";
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"range", required_argument, NULL, 'r'},
        {"fill", required_argument, NULL, 'F'},
        {"at", required_argument, NULL, 't'},
        {"big-endian", no_argument, NULL, 'B'},
        {"base", required_argument, NULL, 'a'},
        {"format", required_argument, NULL, 'f'},
        {"output-format", required_argument, NULL, 'O'},
        {"print", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct common_options o = {0};
    uint64_t low = 0, high = 0;
    int have_range = 0, have_fill = 0, have_at = 0, big_endian = 0, print = 0, c;
    uint32_t fill = 0, at = 0, base = 0;
    enum input_format out_format = FORMAT_AUTO;
    argv[0] = prog;
    while ((c = getopt_long(argc, argv, "o:r:F:t:Ba:f:ph", options, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'r':
            bad = parse_range(optarg, &low, &high);
            have_range = 1;
            break;
        case 'F':
            bad = parse_u32(optarg, "--fill", &fill);
            if (!bad && fill > 0xFF)
                bad = set_error("--fill: 0x%X is not a byte value", fill);
            have_fill = 1;
            break;
        case 't':
            bad = parse_u32(optarg, "--at", &at);
            have_at = 1;
            break;
        case 'B':
            big_endian = 1;
            break;
        case 'a':
            bad = parse_u32(optarg, "--base", &base);
            break;
        case 'O':
            bad = parse_format(optarg, &out_format);
            if (!bad && out_format == FORMAT_ELF)
                bad = set_error("--output-format: bin or hex");
            break;
        case 'p':
            print = 1;
            break;
        default:
            if ((bad = common_option(c, "crc", help, &o)) != OPTION_TAKEN)
                return bad;
            bad = 0;
        }
        if (bad)
            return usage_error("crc", "%s", last_error());
    }
    if (optind != argc - 1)
        return usage_error("crc", optind >= argc ? "missing INPUT" : "one INPUT only");
    if (o.output && out_format == FORMAT_AUTO) {
        if (has_extension(o.output, ".hex") || has_extension(o.output, ".ihex") ||
            has_extension(o.output, ".ihx"))
            out_format = FORMAT_HEX;
        else if (has_extension(o.output, ".bin") || strcmp(o.output, "-") == 0)
            out_format = FORMAT_BIN;
        else
            return usage_error("crc", "cannot tell the format of '%s'; add --output-format",
                               o.output);
    }
    const char *input = argv[optind];

    struct memimage mem;
    mem_init(&mem);
    int rc = EXIT_FAILED;
    uint8_t *flat = NULL;
    if (input_load(input, o.format, base, &mem))
        goto out;
    if (!have_range) {
        low = mem_empty(&mem) ? base : mem_low(&mem);
        high = mem_empty(&mem) ? base : mem_high(&mem);
    } else if (mem_crop(&mem, low, high))
        goto out;
    if (have_fill) {
        if (high - low > MAX_SPAN) {
            set_error("--fill over %llu MB: that is no flash",
                      (unsigned long long)(high - low) >> 20);
            goto out;
        }
        if (mem_fill(&mem, low, high, (uint8_t)fill))
            goto out;
    }

    /* The CRC over the data as one byte stream. */
    crc_reset();
    uint8_t word[4];
    unsigned pending = 0;
    for (size_t i = 0; i < mem.count; i++)
        for (uint32_t j = 0; j < mem.seg[i].length; j++) {
            word[pending++] = mem.seg[i].data[j];
            if (pending == 4) {
                uint32_t w = get_le32(word);
                crc_feed_words(&w, 1);
                pending = 0;
            }
        }
    uint32_t crc = crc_value();
    if (mem.count > 1)
        warn("%s: the data has holes; they are skipped, not filled (use --fill 0xFF)", input);
    if (pending)
        warn("%s: the last %u byte(s) are not a whole word and are not in the CRC, as with "
             "srec_cat (use --fill with a range that is a multiple of 4)",
             input, pending);

    if (!have_at)
        at = (uint32_t)high;
    if (!have_at && high > 0xFFFFFFFCull) {
        set_error("no room for the CRC after 0x%llX; give --at", (unsigned long long)high);
        goto out;
    }
    if ((uint64_t)at + 4 > 1ull << 32 || mem_overlaps(&mem, at, (uint64_t)at + 4)) {
        set_error("the CRC at 0x%08X would overlap the data; give another --at", at);
        goto out;
    }
    if (!o.output || print)
        printf("0x%08X\n", crc);
    if (!o.output) {
        rc = EXIT_OK;
        goto out;
    }
    uint8_t stored[4];
    for (int i = 0; i < 4; i++)
        stored[i] = (uint8_t)(big_endian ? crc >> (24 - 8 * i) : crc >> (8 * i));
    if (mem_add(&mem, at, stored, 4))
        goto out;
    if (out_format == FORMAT_HEX) {
        if (write_hex_file(o.output, &mem))
            goto out;
    } else {
        uint32_t first = mem_low(&mem);
        uint64_t span = mem_high(&mem) - first;
        if (span > MAX_SPAN) {
            set_error("a .bin from 0x%08X would be %llu MB; write .hex", first,
                      (unsigned long long)span >> 20);
            goto out;
        }
        flat = malloc(span);
        if (!flat) {
            set_error("out of memory");
            goto out;
        }
        mem_flatten(&mem, first, (uint32_t)span, 0x00, flat);
        if (write_file(o.output, flat, span))
            goto out;
    }
    rc = EXIT_OK;
out:
    if (rc != EXIT_OK)
        report_failure(NULL);
    free(flat);
    mem_free(&mem);
    return rc;
}
