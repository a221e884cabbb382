/* stickimg pack: an application (.bin/.hex/.elf) -> image.bin (word 7 = L, then the trailer). */
#include "encrypt.h"
#include "sign.h"
#include "stickimg.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "Usage: stickimg pack INPUT -o OUTPUT [options]\n"
    "\n"
    "Makes the stick file (IMAGE.BIN) from an application linked at APP_BASE: pads it with\n"
    "0xFF to a multiple of 4 bytes (L), stores L in vector-table word 7 (offset 0x1C) and\n"
    "appends the 36-byte trailer (docs/image-format.md). INPUT is a raw .bin (placed at\n"
    "APP_BASE), an Intel .hex or an .elf.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE        the image to write (required)\n"
    "  -v, --version X.Y.Z      application version (major, minor 0-255, patch 0-65535);\n"
    "                           default 0.0.0\n"
    "  -b, --board NAME         board the image is for; default f4discovery\n"
    "  -a, --app-base ADDR      where the application starts; default 0x08004000\n"
    "      --srec-crc-addr ADDR the bootloader was built with SREC_CRC_ADDR: the application\n"
    "                           region ends there\n"
    "  -f, --format bin|hex|elf input format; default from the contents and the extension\n"
    "  -k, --key FILE           sign too (see stickimg sign): a 100-byte signed trailer\n"
    "  -e, --encrypt KEYFILE    encrypt for an ENCRYPT=1 bootloader built with that AES key\n"
    "                           (stickimg keygen --aes); needs --key. AES-128-CTR with a new\n"
    "                           image key, wrapped for KEYFILE's key (RFC 3394); 48 bytes more\n"
    "  -q, --quiet              no summary line\n"
    "  -h, --help               this text\n"
    "\n"
    "Refuses (exit 1) an input that does not start at APP_BASE, does not fit in the region,\n"
    "has a vector table that makes no sense (SP outside SRAM, reset handler outside the\n"
    "image or not Thumb), uses word 7 for something else, or is already packed.\n";

int cmd_pack(int argc, char **argv)
{
    static char prog[] = "stickimg pack";
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"version", required_argument, NULL, 'v'},
        {"board", required_argument, NULL, 'b'},
        {"app-base", required_argument, NULL, 'a'},
        {"format", required_argument, NULL, 'f'},
        {"key", required_argument, NULL, 'k'},
        {"encrypt", required_argument, NULL, 'e'},
        {"srec-crc-addr", required_argument, NULL, 's'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct common_options o = {.board_name = "f4discovery", .app_base = DEFAULT_APP_BASE};
    const char *aes_path = NULL;
    uint32_t version = 0;
    int c, rc;
    argv[0] = prog;
    while ((c = getopt_long(argc, argv, "o:v:b:a:f:k:e:qh", options, NULL)) != -1) {
        if (c == 'v') {
            if (parse_version(optarg, &version))
                return usage_error("pack", "%s", last_error());
        } else if (c == 'e') {
            aes_path = optarg;
        } else if ((rc = common_option(c, "pack", help, &o)) != OPTION_TAKEN) {
            return rc;
        }
    }
    if (optind != argc - 1)
        return usage_error("pack", optind >= argc ? "missing INPUT" : "one INPUT only");
    if (!o.output)
        return usage_error("pack", "missing -o OUTPUT");
    if (aes_path && !o.key_path)
        return usage_error("pack", "--encrypt needs --key: ENCRYPT=1 bootloaders accept signed "
                                   "images only");
    const char *input = argv[optind];
    if (o.key_path && signing_unavailable("pack --key"))
        return EXIT_FAILED;

    const struct board *board = board_by_name(o.board_name);
    struct image_limits lim;
    if (!board)
        return usage_error("pack", "%s", last_error());
    if (board_limits(board, o.app_base, o.region_end, &lim))
        return report_failure(NULL);

    struct memimage mem;
    mem_init(&mem);
    rc = EXIT_FAILED;
    uint8_t *image = NULL;
    if (input_load(input, o.format, o.app_base, &mem))
        goto out;
    if (mem_empty(&mem)) {
        set_error("%s: empty input", input);
        goto out;
    }
    uint32_t low = mem_low(&mem);
    uint64_t high = mem_high(&mem);
    uint64_t region_top = (uint64_t)lim.app_base + lim.region_size;
    if (low == FLASH_BASE && o.app_base != FLASH_BASE) {
        set_error("%s: starts at 0x%08X, where the bootloader is: set FLASH ORIGIN = 0x%08X in "
                  "the application's linker script (docs/moving-your-app.md, \"Linker script\")",
                  input, low, o.app_base);
        goto out;
    }
    if (low != o.app_base) {
        set_error("%s: starts at 0x%08X, not at APP_BASE 0x%08X%s", input, low, o.app_base,
                  low > FLASH_BASE && low < 0x08100000u ? " (wrong --app-base?)" : "");
        goto out;
    }
    uint64_t length64 = (high - low + 3) & ~3ull;
    uint32_t trailer_size = o.key_path ? IMAGE_TRAILER_SIZE_SIGNED : IMAGE_TRAILER_SIZE;
    if (length64 + trailer_size > lim.region_size) {
        set_error("%s: does not fit: %llu bytes + %u-byte trailer from 0x%08X, but the region "
                  "ends at 0x%08llX (%u bytes%s)",
                  input, (unsigned long long)length64, trailer_size, o.app_base,
                  (unsigned long long)region_top, lim.region_size,
                  high > FLASH_BASE + (uint64_t)board->flash_size ? "; larger than flash" : "");
        goto out;
    }
    uint32_t length = (uint32_t)length64;
    if (length < IMAGE_LENGTH_WORD_OFFSET + 4) {
        set_error("%s: %u bytes is too short for a vector table", input, length);
        goto out;
    }
    image = malloc((size_t)length + IMAGE_TRAILER_SIZE_SIGNED);
    if (!image) {
        set_error("out of memory");
        goto out;
    }
    mem_flatten(&mem, low, length, 0xFF, image);

    /* An image.bin given again: its word 7 points at a valid trailer. */
    uint32_t word7 = get_le32(image + IMAGE_LENGTH_WORD_OFFSET);
    struct image_trailer old;
    if (word7 >= 32 && word7 <= length - IMAGE_TRAILER_SIZE &&
        image_trailer_decode(image + word7, length - word7 > 100 ? 100 : length - word7, &old) !=
            IMAGE_BAD_MAGIC) {
        set_error("%s: is a packed image already (stickimg pack output): copy it to the stick as "
                  "IMAGE.BIN as it is (stickimg info shows what it holds)",
                  input);
        goto out;
    }
    if (word7 != 0 && word7 != 0xFFFFFFFFu) {
        set_error("%s: vector-table word 7 (offset 0x1C) holds 0x%08X; stickimg stores the image "
                  "length there, so it must be 0 or 0xFFFFFFFF",
                  input, word7);
        goto out;
    }
    char why[700];
    if (vectors_explain(image, length, &lim, why, sizeof why) != IMAGE_OK) {
        set_error("%s: %s", input, why);
        goto out;
    }

    put_le32(image + IMAGE_LENGTH_WORD_OFFSET, length);
    struct image_trailer t = {
        .magic = IMAGE_MAGIC,
        .format = IMAGE_FORMAT,
        .size = IMAGE_TRAILER_SIZE,
        .app_length = length,
        .load_address = o.app_base,
        .app_crc = stm32_crc(image, length),
        .app_version = version,
        .board_id = board->id,
        .flags = 0,
    };
    if (o.key_path && image_sign(image, &t, o.key_path))
        goto out;
    uint32_t total = length + image_trailer_encode(&t, image + length);
    if (aes_path) {
        uint8_t *encrypted;
        if (image_encrypt(image, total, length, aes_path, &encrypted, &total))
            goto out;
        free(image);
        image = encrypted;
    }
    if (write_file(o.output, image, total))
        goto out;
    if (!o.quiet) {
        char v[24];
        format_version(version, v);
        printf("%s: %u bytes (application %u, crc 0x%08X), version %s, %s at 0x%08X%s\n", o.output,
               total, length, t.app_crc, v, board->name, o.app_base,
               aes_path     ? ", signed, encrypted"
               : o.key_path ? ", signed"
                            : "");
    }
    rc = EXIT_OK;
out:
    if (rc != EXIT_OK)
        report_failure(NULL);
    free(image);
    mem_free(&mem);
    return rc;
}
