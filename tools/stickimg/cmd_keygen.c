/* stickimg keygen: a new ECDSA P-256 signing key as PEM. */
#include "encrypt.h"
#include "sign.h"
#include "stickimg.h"

#include <getopt.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
    "Usage: stickimg keygen -o KEY.pem [--force]\n"
    "       stickimg keygen --aes -o KEY.aes\n"
    "\n"
    "Writes a new ECDSA P-256 private key as PKCS#8 PEM, the format of\n"
    "  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256\n"
    "(a key made that way works everywhere stickimg takes a key). The file is created with\n"
    "mode 0600. Keep it secret: whoever has it can sign images your bootloaders accept.\n"
    "Build the bootloader for it with: make firmware SECURE=1 KEY=KEY.pem\n"
    "With --aes: a new AES-128 device key for encrypted images, 32 hex digits (mode 0600);\n"
    "build with make firmware SECURE=1 ENCRYPT=1 AES_KEY=KEY.aes, pack with --encrypt KEY.aes.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE   where the key goes (required; - for stdout)\n"
    "      --force         replace an existing FILE\n"
    "      --aes           an AES-128 device key instead of a signing key\n"
    "  -q, --quiet         no summary line\n"
    "  -h, --help          this text\n";

int cmd_keygen(int argc, char **argv)
{
    static char prog[] = "stickimg keygen";
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'}, {"force", no_argument, NULL, 'F'},
        {"aes", no_argument, NULL, 'A'},          {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    struct common_options o = {0};
    int force = 0, aes = 0, c, rc;
    argv[0] = prog;
    while ((c = getopt_long(argc, argv, "o:qh", options, NULL)) != -1) {
        if (c == 'F')
            force = 1;
        else if (c == 'A')
            aes = 1;
        else if ((rc = common_option(c, "keygen", help, &o)) != OPTION_TAKEN)
            return rc;
    }
    if (optind != argc)
        return usage_error("keygen", "unexpected argument '%s'", argv[optind]);
    if (!o.output)
        return usage_error("keygen", "missing -o KEY.pem");
    if (signing_unavailable("keygen"))
        return EXIT_FAILED;
    if (strcmp(o.output, "-") != 0 && access(o.output, F_OK) == 0) {
        if (!force) {
            set_error("%s: exists; not replacing a key (--force to replace it)", o.output);
            return report_failure(NULL);
        }
        if (unlink(o.output) != 0) {
            set_error("%s: cannot remove the old key", o.output);
            return report_failure(NULL);
        }
    }
    if (aes ? aes_key_generate(o.output) : key_generate(o.output))
        return report_failure(NULL);
    if (aes) {
        if (!o.quiet && strcmp(o.output, "-") != 0)
            printf("%s: new AES-128 device key (keep it secret)\n", o.output);
        return EXIT_OK;
    }
    if (!o.quiet && strcmp(o.output, "-") != 0)
        printf("%s: new P-256 signing key (keep it secret); its public key: stickimg pubkey %s\n",
               o.output, o.output);
    return EXIT_OK;
}
