/* stickimg info: an image's trailer fields and the result of every check, as text or JSON. */
#include "encrypt.h"
#include "sign.h"
#include "stickimg.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "Usage: stickimg info IMAGE [--json] [--key KEY]\n"
    "\n"
    "Shows the trailer of a packed image (IMAGE.BIN) and checks it against itself and the\n"
    "board named in its trailer: trailer CRC, length (word 7), application CRC and vector\n"
    "table. Exit status 0 when every check passes, 1 otherwise (the fields are still shown).\n"
    "\n"
    "Options:\n"
    "  -j, --json   one JSON object on stdout, for scripts\n"
    "  -k, --key FILE  also check the signature with this key (private or public key PEM, or\n"
    "               64 raw bytes); an unsigned image then fails. --pubkey FILE: the same\n"
    "  -h, --help   this text\n";

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", *s);
        else
            putchar(*s);
    }
    putchar('"');
}

int cmd_info(int argc, char **argv)
{
    static char prog[] = "stickimg info";
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'},
        {"key", required_argument, NULL, 'k'},
        {"pubkey", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct common_options o = {0};
    int json = 0, c, rc;
    argv[0] = prog;
    while ((c = getopt_long(argc, argv, "jk:h", options, NULL)) != -1) {
        if (c == 'j')
            json = 1;
        else if ((rc = common_option(c, "info", help, &o)) != OPTION_TAKEN)
            return rc;
    }
    if (optind != argc - 1)
        return usage_error("info", optind >= argc ? "missing IMAGE" : "one IMAGE only");
    const char *path = argv[optind];
    uint8_t pub[64];
    if (o.key_path && key_load_public(o.key_path, pub))
        return report_failure(NULL);
    uint8_t *data;
    size_t size;
    if (read_file(path, &data, &size))
        return report_failure(NULL);

    if (image_is_encrypted(data, size)) {
        /* Only the trailer is in clear: the application needs the device key. */
        uint32_t length = data[4] | data[5] << 8 | data[6] << 16 | (uint32_t)data[7] << 24;
        struct image_trailer t;
        size_t tail = size - ENCRYPT_HEADER_SIZE;
        int ok = length <= tail && tail - length <= 0xFFFF &&
                 image_trailer_decode(data + ENCRYPT_HEADER_SIZE + length,
                                      (uint32_t)(tail - length), &t) == IMAGE_OK;
        char version[24] = "-";
        if (ok)
            format_version(t.app_version, version);
        if (json)
            printf("{\"file\": \"%s\", \"size\": %zu, \"encrypted\": true, \"app_length\": %u, "
                   "\"trailer_ok\": %s, \"version\": \"%s\", \"board_id\": %u, \"signed\": %s}\n",
                   path, size, length, ok ? "true" : "false", version, ok ? t.board_id : 0,
                   ok && (t.flags & IMAGE_FLAG_SIGNED) ? "true" : "false");
        else
            printf(
                "file          %s (%zu bytes)\n"
                "encrypted     yes: AES-128-CTR, image key wrapped for a device key (RFC 3394);\n"
                "              the application is not checked here (it needs that key)\n"
                "app_length    %u\n"
                "trailer       %s\nversion       %s\nboard         0x%08X\nsigned        %s\n",
                path, size, length, ok ? "ok (in clear)" : "unreadable", version,
                ok ? t.board_id : 0, ok && (t.flags & IMAGE_FLAG_SIGNED) ? "yes" : "no");
        free(data);
        return ok ? EXIT_OK : EXIT_FAILED;
    }
    /* First the image on its own, then against the board and address its trailer names. */
    struct packed_report rep;
    packed_check(data, size, NULL, 0, &rep);
    const struct image_trailer *t = &rep.trailer;
    const struct board *board = rep.trailer_decoded ? board_by_id(t->board_id) : NULL;
    struct image_limits lim;
    if (rep.result == IMAGE_OK) {
        if (!board)
            snprintf(rep.detail, sizeof rep.detail, "unknown board id 0x%08X", t->board_id),
                rep.result = IMAGE_BAD_BOARD;
        else if (board_limits(board, t->load_address, 0, &lim)) {
            snprintf(rep.detail, sizeof rep.detail, "%s", last_error());
            rep.result = IMAGE_BAD_LOAD_ADDRESS;
        } else
            packed_check(data, size, &lim, 0, &rep);
    }
    /* The signature last, as the bootloader checks it. */
    const char *signature = "not checked";
    if (!(rep.trailer_decoded && rep.trailer.flags & IMAGE_FLAG_SIGNED))
        signature = "unsigned";
    if (rep.result == IMAGE_OK && o.key_path) {
        rep.result = image_signature_check(data, t, rep.trailer_size, pub);
        signature = rep.result == IMAGE_OK         ? "ok"
                    : rep.result == IMAGE_UNSIGNED ? "unsigned"
                                                   : "bad";
        if (rep.result != IMAGE_OK)
            snprintf(rep.detail, sizeof rep.detail, "%s",
                     rep.result == IMAGE_UNSIGNED ? "the image is not signed"
                                                  : "the signature does not match this key");
    }
    char version[24] = "";
    if (rep.trailer_decoded)
        format_version(t->app_version, version);
    const char *result = image_result_name(rep.result);

    if (json) {
        printf("{\"file\": ");
        json_string(path);
        printf(", \"size\": %zu, \"ok\": %s, \"result\": \"%s\", \"detail\": ", size,
               rep.result == IMAGE_OK ? "true" : "false", result);
        json_string(rep.detail);
        printf(", \"app_length\": %u, \"initial_sp\": %u, \"reset_vector\": %u", rep.app_length,
               rep.vectors[0], rep.vectors[1]);
        if (rep.trailer_decoded) {
            printf(", \"trailer_size\": %u, \"format\": %u, \"load_address\": %u, "
                   "\"app_crc\": %u, \"computed_crc\": %u, \"version\": \"%s\", "
                   "\"version_code\": %u, \"board_id\": %u, \"board\": ",
                   t->size, t->format, t->load_address, t->app_crc, rep.computed_crc, version,
                   t->app_version, t->board_id);
            if (board)
                json_string(board->name);
            else
                printf("null");
            printf(", \"flags\": %u, \"signed\": %s, \"raw\": %s, \"trailer_crc\": %u", t->flags,
                   t->flags & IMAGE_FLAG_SIGNED ? "true" : "false",
                   t->flags & IMAGE_FLAG_RAW ? "true" : "false", t->trailer_crc);
            printf(", \"signature\": \"%s\", \"stick_name\": \"%08X.BIN\"", signature, t->board_id);
        }
        printf("}\n");
    } else {
        printf("file          %s (%zu bytes)\n", path, size);
        printf("vectors       SP 0x%08X, reset 0x%08X\n", rep.vectors[0], rep.vectors[1]);
        printf("app_length    %u (0x%X), word 7\n", rep.app_length, rep.app_length);
        if (rep.trailer_decoded) {
            printf("trailer       %u bytes, format %u, crc 0x%08X\n", t->size, t->format,
                   t->trailer_crc);
            printf("load_address  0x%08X\n", t->load_address);
            printf("app_crc       0x%08X (computed 0x%08X)\n", t->app_crc, rep.computed_crc);
            printf("version       %s\n", version);
            printf("board         0x%08X (%s)\n", t->board_id, board ? board->name : "unknown");
            printf("stick name    %08X.BIN (or IMAGE.BIN; a stick for many boards holds one "
                   "such file per board)\n",
                   t->board_id);
            printf("flags         0x%X (%s%s)\n", t->flags,
                   t->flags & IMAGE_FLAG_SIGNED ? "signed" : "unsigned",
                   t->flags & IMAGE_FLAG_RAW ? ", raw" : "");
            if (t->flags & IMAGE_FLAG_SIGNED)
                printf("signature     %s%s\n", signature,
                       o.key_path ? "" : " (give --key to check it)");
        }
        if (rep.result == IMAGE_OK)
            printf("check         ok\n");
        else
            printf("check         %s: %s\n", result, rep.detail);
    }
    free(data);
    return rep.result == IMAGE_OK ? EXIT_OK : EXIT_FAILED;
}
