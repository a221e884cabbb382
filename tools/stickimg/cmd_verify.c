/* stickimg verify: the bootloader's pass-1 checks for one board and build configuration. */
#include "sign.h"
#include "stickimg.h"

#include <getopt.h>
#include <stdlib.h>

static const char help[] =
    "Usage: stickimg verify IMAGE [options]\n"
    "\n"
    "Checks a packed image the way the bootloader does before it erases anything (the same\n"
    "code, firmware/core/image.c): trailer magic, format and CRC, length (word 7), load\n"
    "address, board, fit, application CRC, vector table. Prints one line; exit status 0 when\n"
    "the bootloader would accept the image, 1 when it would refuse it.\n"
    "\n"
    "Options:\n"
    "  -b, --board NAME          the board; default f4discovery\n"
    "  -a, --app-base ADDR       the bootloader's APP_BASE; default 0x08004000\n"
    "      --srec-crc-addr ADDR  the bootloader was built with SREC_CRC_ADDR\n"
    "      --require-signed      a SECURE=1 bootloader: unsigned images are refused\n"
    "  -k, --key FILE            a SECURE=1 bootloader built with this key: the image must be\n"
    "                            signed by it (checked with the firmware's verifier). FILE is\n"
    "                            the private or public key PEM, or 64 raw bytes x || y\n"
    "      --pubkey FILE         the same as --key\n"
    "  -q, --quiet               print nothing on success\n"
    "  -h, --help                this text\n";

int cmd_verify(int argc, char **argv)
{
    static char prog[] = "stickimg verify";
    static const struct option options[] = {
        {"board", required_argument, NULL, 'b'},
        {"app-base", required_argument, NULL, 'a'},
        {"srec-crc-addr", required_argument, NULL, 's'},
        {"require-signed", no_argument, NULL, 'S'},
        {"key", required_argument, NULL, 'k'},
        {"pubkey", required_argument, NULL, 'k'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct common_options o = {.board_name = "f4discovery", .app_base = DEFAULT_APP_BASE};
    int require_signed = 0, c, rc;
    argv[0] = prog;
    while ((c = getopt_long(argc, argv, "b:a:k:qh", options, NULL)) != -1) {
        if (c == 'S')
            require_signed = 1;
        else if ((rc = common_option(c, "verify", help, &o)) != OPTION_TAKEN)
            return rc;
    }
    if (optind != argc - 1)
        return usage_error("verify", optind >= argc ? "missing IMAGE" : "one IMAGE only");
    const char *path = argv[optind];
    const struct board *board = board_by_name(o.board_name);
    if (!board)
        return usage_error("verify", "%s", last_error());
    struct image_limits lim;
    if (board_limits(board, o.app_base, o.region_end, &lim))
        return report_failure(NULL);
    uint8_t pub[64];
    if (o.key_path && key_load_public(o.key_path, pub))
        return report_failure(NULL);
    uint8_t *data;
    size_t size;
    if (read_file(path, &data, &size))
        return report_failure(NULL);
    enum content kind = content_of(data, size);
    uint32_t word7 = size >= 32 ? get_le32(data + IMAGE_LENGTH_WORD_OFFSET) : 0;
    if (kind == CONTENT_ELF || kind == CONTENT_IHEX || kind == CONTENT_SREC ||
        (kind == CONTENT_RAW && (word7 == 0 || word7 == 0xFFFFFFFFu))) {
        free(data);
        fprintf(stderr,
                "stickimg: %s: is %s, not a packed image: verify takes the image stickimg pack "
                "makes (stickimg pack %s -o IMAGE.BIN; pack runs the same checks)\n",
                path, content_name(kind), path);
        return EXIT_FAILED;
    }
    struct packed_report rep;
    enum image_result r = packed_check(data, size, &lim, require_signed || o.key_path, &rep);
    if (r == IMAGE_OK && o.key_path) {
        r = image_signature_check(data, &rep.trailer, rep.trailer_size, pub);
        snprintf(rep.detail, sizeof rep.detail, "%s",
                 r == IMAGE_UNSIGNED ? "the signed flag and the 100-byte trailer go together"
                                     : "the signature does not match this key");
    }
    free(data);
    if (r != IMAGE_OK) {
        fprintf(stderr, "stickimg: %s: %s: %s\n", path, image_result_name(r), rep.detail);
        return EXIT_FAILED;
    }
    if (!o.quiet) {
        char version[24];
        format_version(rep.trailer.app_version, version);
        printf("%s: ok (%s, version %s, %u bytes at 0x%08X, crc 0x%08X%s)\n", path, board->name,
               version, rep.app_length, lim.app_base, rep.trailer.app_crc,
               o.key_path ? ", signature ok" : "");
    }
    return EXIT_OK;
}
