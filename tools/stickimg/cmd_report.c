/* stickimg report-file: the empty STICKBOOT.LOG the bootloader writes its update report into
 * (docs/update-report.md), or the lines of a filled one. */
#include "stickimg.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define SLOT 128u /* firmware/core/report.h REPORT_SLOT */

static const char help[] =
    "Usage: stickimg report-file [-o FILE] [--size BYTES]\n"
    "       stickimg report-file --show FILE\n"
    "\n"
    "Creates the update report file: BYTES zero bytes (default 65536: 512 lines of 128 bytes),\n"
    "by default ./STICKBOOT.LOG. Copy it to the root directory of the stick, next to IMAGE.BIN;\n"
    "each board the stick updates writes one line into its first empty 128-byte slot. The file\n"
    "never grows: make it big enough (the bootloader searches files up to 1 MB).\n"
    "--show prints the lines of a filled report, one per slot, without the padding.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE   where to create it (an existing file is replaced)\n"
    "  -s, --size BYTES    its size, a multiple of 512 from 512 to 1048576 (K and M suffixes)\n"
    "      --show FILE     print the lines of FILE\n"
    "  -h, --help          this text\n";

static int fail_errno(const char *path)
{
    set_error("%s: %s", path, strerror(errno));
    return report_failure(NULL);
}

static int show(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail_errno(path);
    uint8_t slot[SLOT];
    size_t n;
    while ((n = fread(slot, 1, SLOT, f)) > 0) {
        if (!slot[0])
            continue; /* empty */
        size_t len = n;
        while (len && (slot[len - 1] == ' ' || slot[len - 1] == '\r' || slot[len - 1] == '\n' ||
                       !slot[len - 1]))
            len--;
        for (size_t i = 0; i < len; i++)
            putchar(slot[i] >= 0x20 && slot[i] < 0x7F ? slot[i] : '?');
        putchar('\n');
    }
    fclose(f);
    return EXIT_OK;
}

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'},
        {"size", required_argument, 0, 's'},
        {"show", required_argument, 0, 'S'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *out = "STICKBOOT.LOG", *show_path = NULL;
    unsigned long size = 65536;
    int c;
    while ((c = getopt_long(argc, argv, "o:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 's': {
            char *end;
            size = strtoul(optarg, &end, 0);
            if (*end == 'K' || *end == 'k')
                size <<= 10, end++;
            else if (*end == 'M' || *end == 'm')
                size <<= 20, end++;
            if (*end || end == optarg || !size || size % 512 || size > (1ul << 20))
                return usage_error("report-file", "--size: '%s' is not a multiple of 512 up to 1M",
                                   optarg);
            break;
        }
        case 'S':
            show_path = optarg;
            break;
        case 'h':
            fputs(help, stdout);
            return EXIT_OK;
        default:
            return usage_error("report-file", "unknown option");
        }
    }
    if (optind < argc)
        return usage_error("report-file", "unexpected argument '%s'", argv[optind]);
    if (show_path)
        return show(show_path);
    FILE *f = fopen(out, "wb");
    if (!f)
        return fail_errno(out);
    static const uint8_t zeros[512];
    for (unsigned long done = 0; done < size; done += sizeof zeros) {
        if (fwrite(zeros, 1, sizeof zeros, f) != sizeof zeros) {
            fclose(f);
            return fail_errno(out);
        }
    }
    if (fclose(f) != 0)
        return fail_errno(out);
    return EXIT_OK;
}
