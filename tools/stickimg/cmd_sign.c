/* stickimg sign: a packed image -> the same image with a 100-byte signed trailer. */
#include "sign.h"
#include "stickimg.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "Usage: stickimg sign IMAGE --key KEY.pem -o OUTPUT\n"
    "\n"
    "Signs a packed image (stickimg pack) for a SECURE=1 bootloader: the 36-byte trailer\n"
    "becomes a 100-byte one with the signed flag and an ECDSA P-256 signature over SHA-256 of\n"
    "the application bytes [0, L) and trailer bytes [0, 32) (docs/image-format.md). A signed\n"
    "image is signed again with the new key. IMAGE must pass its own checks first (trailer,\n"
    "length, CRC); OUTPUT may be IMAGE.\n"
    "\n"
    "Options:\n"
    "  -k, --key FILE      P-256 private key PEM (stickimg keygen, openssl genpkey; required)\n"
    "  -o, --output FILE   the signed image (required)\n"
    "  -q, --quiet         no summary line\n"
    "  -h, --help          this text\n";

int cmd_sign(int argc, char **argv)
{
    static char prog[] = "stickimg sign";
    static const struct option options[] = {
        {"key", required_argument, NULL, 'k'},
        {"output", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct common_options o = {0};
    int c, rc;
    argv[0] = prog;
    while ((c = getopt_long(argc, argv, "k:o:qh", options, NULL)) != -1)
        if ((rc = common_option(c, "sign", help, &o)) != OPTION_TAKEN)
            return rc;
    if (optind != argc - 1)
        return usage_error("sign", optind >= argc ? "missing IMAGE" : "one IMAGE only");
    if (!o.key_path)
        return usage_error("sign", "missing --key KEY.pem");
    if (!o.output)
        return usage_error("sign", "missing -o OUTPUT");
    if (signing_unavailable("sign"))
        return EXIT_FAILED;
    const char *path = argv[optind];
    uint8_t *image = NULL;
    struct image_trailer t;
    rc = EXIT_FAILED;
    if (signable_load(path, &image, &t))
        goto out;
    if (image_sign(image, &t, o.key_path))
        goto out;
    if (write_file(o.output, image, (size_t)t.app_length + IMAGE_TRAILER_SIZE_SIGNED))
        goto out;
    if (!o.quiet)
        printf("%s: signed with %s (%u bytes, application %u)\n", o.output, o.key_path,
               t.app_length + IMAGE_TRAILER_SIZE_SIGNED, t.app_length);
    rc = EXIT_OK;
out:
    if (rc != EXIT_OK)
        report_failure(NULL);
    free(image);
    return rc;
}
