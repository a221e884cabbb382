/* stickimg: the host tool for stickboot images. One file per subcommand (cmd_*.c). */
#include "sign.h"
#include "stickimg.h"

#include <getopt.h>
#include <stdarg.h>
#include <string.h>

/* From the build: the VERSION file (Makefile). */
#ifndef STICKBOOT_VERSION
#define STICKBOOT_VERSION "unknown"
#endif

#ifdef __MINGW32__
#include <fcntl.h>
#include <io.h>
/* Arguments as given: MinGW's start-up code would otherwise expand * and ? in them. */
int _CRT_glob = 0;
#endif

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"pack", cmd_pack, "make image.bin from a .bin, .hex or .elf (word 7 = length, trailer)"},
    {"info", cmd_info, "show an image's trailer and checks (--json for scripts)"},
    {"verify", cmd_verify, "check an image the way the bootloader does before flashing it"},
    {"crc", cmd_crc, "the srec_cat -STM32 CRC: compute, or write it into a .hex/.bin"},
    {"factory", cmd_factory, "bootloader + image as one Intel HEX for a production programmer"},
    {"keygen", cmd_keygen, "make an ECDSA P-256 signing key (PEM) for SECURE=1 builds"},
    {"sign", cmd_sign, "sign a packed image (100-byte trailer) for a SECURE=1 bootloader"},
    {"pubkey", cmd_pubkey, "a key's public half: PEM, raw, or the C header the build takes"},
    {"digest", cmd_digest, "what a signature covers, for signing with a key kept elsewhere"},
    {"attach-signature", cmd_attach_signature,
     "put a signature made elsewhere (DER or r || s) into the image, checked"},
    {"report-file", cmd_report, "the empty STICKBOOT.LOG for the update report, or --show one"},
};

int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "stickimg %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'stickimg %s --help'.\n", cmd);
    va_end(ap);
    return EXIT_USAGE;
}

int common_option(int c, const char *cmd, const char *help, struct common_options *o)
{
    switch (c) {
    case 'o':
        o->output = optarg;
        return OPTION_TAKEN;
    case 'k':
        o->key_path = optarg;
        return OPTION_TAKEN;
    case 'b':
        o->board_name = optarg;
        return OPTION_TAKEN;
    case 'q':
        o->quiet = 1;
        return OPTION_TAKEN;
    case 'a':
        return parse_u32(optarg, "--app-base", &o->app_base) ? usage_error(cmd, "%s", last_error())
                                                             : OPTION_TAKEN;
    case 's':
        return parse_u32(optarg, "--srec-crc-addr", &o->region_end)
                   ? usage_error(cmd, "%s", last_error())
                   : OPTION_TAKEN;
    case 'f':
        return parse_format(optarg, &o->format) ? usage_error(cmd, "%s", last_error())
                                                : OPTION_TAKEN;
    case 'h':
        fputs(help, stdout);
        return EXIT_OK;
    default:
        return usage_error(cmd, "bad option");
    }
}

void options_reset(void)
{
    optind = 0; /* glibc: 0 also reinitialises getopt's internal state */
    opterr = 1;
}

static void print_usage(FILE *f)
{
    fprintf(f, "Usage: stickimg COMMAND [OPTIONS]\n\n"
               "Prepares firmware images for the stickboot USB-stick bootloader.\n\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-17s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'stickimg COMMAND --help' describes a command. Boards:");
    size_t n;
    const struct board *b = board_list(&n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, " %s", b[i].name);
    fprintf(f, "\nExit status: 0 success, 1 refused/failed check/bad input, 2 usage error.\n");
}

int main(int argc, char **argv)
{
#ifdef __MINGW32__
    /* The same bytes on every platform: lines end in LF (which every Windows console and
     * editor shows), and binary output to stdout (-o -) is not altered. */
    _setmode(_fileno(stdout), _O_BINARY);
    _setmode(_fileno(stderr), _O_BINARY);
#endif
    if (argc < 2) {
        print_usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        if (argc > 2 && strcmp(name, "help") == 0) {
            name = argv[2];
            char help[] = "--help";
            char *args[] = {argv[2], help, NULL};
            for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (strcmp(commands[i].name, name) == 0) {
                    options_reset();
                    return commands[i].run(2, args);
                }
            fprintf(stderr, "stickimg: unknown command '%s'\n", name);
            return EXIT_USAGE;
        }
        print_usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("stickimg %s (image format %u)\n", STICKBOOT_VERSION, IMAGE_FORMAT);
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0) {
            options_reset();
            return commands[i].run(argc - 1, argv + 1);
        }
    fprintf(stderr, "stickimg: unknown command '%s'\nTry 'stickimg --help'.\n", name);
    return EXIT_USAGE;
}
