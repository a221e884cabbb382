/* stickimg digest: what a signature of a packed image covers, for a signer elsewhere. */
#include "sign.h"
#include "stickimg.h"

#include <getopt.h>
#include <stdlib.h>

static const char help[] =
    "Usage: stickimg digest IMAGE [-o FILE] [--message]\n"
    "\n"
    "What a signature of a packed image covers, for signing where the private key lives (an\n"
    "HSM, a cloud KMS, openssl on another machine): SHA-256 of the application bytes [0, L)\n"
    "and the first 32 bytes of the signed (100-byte) trailer, exactly as stickimg sign and a\n"
    "SECURE=1 bootloader compute it (docs/image-format.md). IMAGE is unsigned or signed; the\n"
    "digest is the same for both. Then: stickimg attach-signature IMAGE SIG --key PUBLIC.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE   write the 32 digest bytes to FILE (openssl pkeyutl -sign -in FILE);\n"
    "                      without -o the digest is printed as 64 hex digits\n"
    "  -m, --message       write the covered bytes themselves (L + 32 bytes) instead, for a\n"
    "                      signer that hashes them itself (openssl dgst -sha256 -sign)\n"
    "  -h, --help          this text\n";

int cmd_digest(int argc, char **argv)
{
    static char prog[] = "stickimg digest";
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"message", no_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct common_options o = {0};
    int message = 0, c, rc;
    argv[0] = prog;
    while ((c = getopt_long(argc, argv, "o:mh", options, NULL)) != -1) {
        if (c == 'm')
            message = 1;
        else if ((rc = common_option(c, "digest", help, &o)) != OPTION_TAKEN)
            return rc;
    }
    if (optind != argc - 1)
        return usage_error("digest", optind >= argc ? "missing IMAGE" : "one IMAGE only");
    if (message && !o.output)
        return usage_error("digest", "--message writes bytes: give -o FILE (- for stdout)");
    uint8_t *image;
    struct image_trailer t;
    if (signable_load(argv[optind], &image, &t))
        return report_failure(NULL);
    int r;
    if (message) {
        r = write_file(o.output, image, (size_t)t.app_length + IMAGE_SIGNATURE_OFFSET);
    } else {
        uint8_t digest[32];
        signed_digest(image, t.app_length, image + t.app_length, digest);
        if (o.output) {
            r = write_file(o.output, digest, sizeof digest);
        } else {
            for (int i = 0; i < 32; i++)
                printf("%02x", digest[i]);
            r = printf("\n") < 0 || fflush(stdout) ? set_error("stdout: write error") : 0;
        }
    }
    free(image);
    return r ? report_failure(NULL) : EXIT_OK;
}
