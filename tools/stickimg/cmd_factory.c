/* stickimg factory: bootloader + packed image -> one Intel HEX for a production programmer. */
#include "stickimg.h"

#include <getopt.h>
#include <stdlib.h>

static const char help[] =
    "Usage: stickimg factory BOOTLOADER IMAGE -o OUTPUT.hex [options]\n"
    "\n"
    "Joins the bootloader (stickboot.bin at 0x08000000, or its .hex/.elf) and a packed image\n"
    "(from stickimg pack) into one Intel HEX, so a new board comes out of production with a\n"
    "sealed application that the bootloader starts. The image is checked first, with the\n"
    "rules of stickimg verify, against its own board and load address unless given.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE        the Intel HEX to write (required)\n"
    "  -b, --board NAME         the board; default: the one named in the image's trailer\n"
    "  -a, --app-base ADDR      APP_BASE; default: the image's load address\n"
    "      --srec-crc-addr ADDR the bootloader was built with SREC_CRC_ADDR\n"
    "  -f, --format bin|hex|elf format of BOOTLOADER; default from the contents/extension\n"
    "  -h, --help               this text\n";

int cmd_factory(int argc, char **argv)
{
    static char prog[] = "stickimg factory";
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"board", required_argument, NULL, 'b'},
        {"app-base", required_argument, NULL, 'a'},
        {"srec-crc-addr", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct common_options o = {0};
    int have_app_base = 0, c, rc;
    argv[0] = prog;
    while ((c = getopt_long(argc, argv, "o:b:a:f:h", options, NULL)) != -1) {
        have_app_base |= c == 'a';
        if ((rc = common_option(c, "factory", help, &o)) != OPTION_TAKEN)
            return rc;
    }
    if (optind != argc - 2)
        return usage_error("factory", "needs BOOTLOADER and IMAGE");
    if (!o.output)
        return usage_error("factory", "missing -o OUTPUT.hex");
    const char *loader_path = argv[optind], *image_path = argv[optind + 1];

    struct memimage mem;
    mem_init(&mem);
    uint8_t *image = NULL;
    size_t image_size;
    rc = EXIT_FAILED;
    if (read_file(image_path, &image, &image_size))
        goto out;
    struct packed_report rep;
    if (packed_check(image, image_size, NULL, 0, &rep) != IMAGE_OK) {
        set_error("%s: %s: %s", image_path, image_result_name(rep.result), rep.detail);
        goto out;
    }
    const struct board *board =
        o.board_name ? board_by_name(o.board_name) : board_by_id(rep.trailer.board_id);
    if (!board) {
        if (!o.board_name)
            set_error("%s: unknown board id 0x%08X; give --board", image_path,
                      rep.trailer.board_id);
        goto out;
    }
    if (!have_app_base)
        o.app_base = rep.trailer.load_address;
    struct image_limits lim;
    if (board_limits(board, o.app_base, o.region_end, &lim))
        goto out;
    if (packed_check(image, image_size, &lim, 0, &rep) != IMAGE_OK) {
        set_error("%s: %s: %s", image_path, image_result_name(rep.result), rep.detail);
        goto out;
    }

    if (input_load(loader_path, o.format, FLASH_BASE, &mem))
        goto out;
    if (mem_empty(&mem)) {
        set_error("%s: empty input", loader_path);
        goto out;
    }
    if (mem_low(&mem) != FLASH_BASE || mem_high(&mem) > o.app_base) {
        set_error("%s: the bootloader must lie in [0x%08X, 0x%08X) but spans [0x%08X, 0x%08llX)",
                  loader_path, FLASH_BASE, o.app_base, mem_low(&mem),
                  (unsigned long long)mem_high(&mem));
        goto out;
    }
    mem.has_start = 0;
    if (mem_add(&mem, o.app_base, image, (uint32_t)image_size) || write_hex_file(o.output, &mem))
        goto out;
    rc = EXIT_OK;
out:
    if (rc != EXIT_OK)
        report_failure(NULL);
    free(image);
    mem_free(&mem);
    return rc;
}
