/* stickimg attach-signature: a signature made elsewhere into the image's signed trailer. */
#include "sign.h"
#include "stickimg.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "Usage: stickimg attach-signature IMAGE SIG --key KEY [-o OUTPUT]\n"
    "\n"
    "Puts an ECDSA P-256 signature of `stickimg digest IMAGE` into IMAGE's trailer (100 bytes,\n"
    "signed flag) after checking it with the firmware's own verifier against KEY: a signature\n"
    "that does not verify (another key, another image, damaged) is refused and nothing is\n"
    "written. SIG is DER (ECDSA-Sig-Value: what openssl pkeyutl and openssl dgst -sign write)\n"
    "or 64 raw bytes r || s (what many HSMs and KMS APIs return).\n"
    "\n"
    "Options:\n"
    "  -k, --key FILE      the public key: public key PEM, a private key PEM that carries its\n"
    "                      public key, or 64 raw bytes x || y (required); --pubkey FILE: the same\n"
    "  -o, --output FILE   the signed image; default: replace IMAGE\n"
    "  -q, --quiet         no summary line\n"
    "  -h, --help          this text\n";

int cmd_attach_signature(int argc, char **argv)
{
    static char prog[] = "stickimg attach-signature";
    static const struct option options[] = {
        {"key", required_argument, NULL, 'k'},    {"pubkey", required_argument, NULL, 'k'},
        {"output", required_argument, NULL, 'o'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    struct common_options o = {0};
    int c, rc;
    argv[0] = prog;
    while ((c = getopt_long(argc, argv, "k:o:qh", options, NULL)) != -1)
        if ((rc = common_option(c, "attach-signature", help, &o)) != OPTION_TAKEN)
            return rc;
    if (argc - optind != 2)
        return usage_error("attach-signature", argc - optind < 2 ? "needs IMAGE and SIG"
                                                                 : "one IMAGE and one SIG only");
    if (!o.key_path)
        return usage_error("attach-signature", "missing --key KEY (the public key to check with)");
    const char *path = argv[optind], *sig_path = argv[optind + 1];
    if (!o.output)
        o.output = path;
    uint8_t pub[64];
    if (key_load_public(o.key_path, pub))
        return report_failure(NULL);
    uint8_t *image = NULL, *sig_data = NULL;
    size_t sig_size;
    struct image_trailer t;
    rc = EXIT_FAILED;
    if (signable_load(path, &image, &t) || read_file(sig_path, &sig_data, &sig_size))
        goto out;

    /* The candidates: DER when it parses, r || s when it is 64 bytes. A 64-byte DER signature
     * is possible (r and s of 29 bytes); then the one that verifies is the one. */
    uint8_t candidate[2][64];
    const char *form[2];
    int count = 0;
    char der_error[512] = "";
    if (signature_from_der(sig_data, sig_size, candidate[count]) == 0)
        form[count++] = "DER";
    else
        snprintf(der_error, sizeof der_error, "%s", last_error());
    if (sig_size == 64) {
        memcpy(candidate[count], sig_data, 64);
        form[count++] = "raw r || s";
    }
    if (count == 0) {
        if (sig_size > 0 && sig_data[0] == 0x30)
            set_error("%s: %s; nothing written", sig_path, der_error);
        else
            set_error("%s: %zu bytes, neither a DER ECDSA signature nor 64 bytes r || s; "
                      "nothing written",
                      sig_path, sig_size);
        goto out;
    }
    int good = -1;
    for (int i = 0; i < count && good < 0; i++)
        if (signed_trailer_finish(image, &t, candidate[i], pub) == 0)
            good = i;
    if (good < 0) {
        set_error("%s: the signature (%s) does not verify with the public key in %s over %s: "
                  "another key, another image, or a damaged signature; nothing written",
                  sig_path, form[0], o.key_path, path);
        goto out;
    }
    if (write_file(o.output, image, (size_t)t.app_length + IMAGE_TRAILER_SIZE_SIGNED))
        goto out;
    if (!o.quiet)
        printf("%s: signature attached (%s, verified with %s; %u bytes, application %u)\n",
               o.output, form[good], o.key_path, t.app_length + IMAGE_TRAILER_SIZE_SIGNED,
               t.app_length);
    rc = EXIT_OK;
out:
    if (rc != EXIT_OK)
        report_failure(NULL);
    free(image);
    free(sig_data);
    return rc;
}
