/* Boot policy after the decision in main(): wait for a stick (bounded when an application
 * is installed), then run one update session per stick. */
#include "bootloader.h"

#include "blockdev.h"
#include "config.h"
#include "decrypt.h"
#include "fs.h"
#include "hcd.h"
#include "platform.h"
#include "report.h"
#include "status.h"
#include "update.h"
#include "usb_host.h"
#include "usb_msc.h"

#define WAIT_SLICE_MS 250u /* LED blink period while waiting */
#define ERROR_REPEATS 5u   /* error blinks before retrying the same stick */

#if BOARD_FILES
/* BOARD_ID as an 8.3 name, built by the compiler: no code, 13 bytes of flash. */
#define NIBBLE(shift) ((BOARD_ID >> (shift)) & 15u)
#define HEX_DIGIT(shift)                                                                           \
    ((char)(NIBBLE(shift) < 10u ? '0' + NIBBLE(shift) : 'A' - 10 + NIBBLE(shift)))
static const char board_file[] = {HEX_DIGIT(28),
                                  HEX_DIGIT(24),
                                  HEX_DIGIT(20),
                                  HEX_DIGIT(16),
                                  HEX_DIGIT(12),
                                  HEX_DIGIT(8),
                                  HEX_DIGIT(4),
                                  HEX_DIGIT(0),
                                  '.',
                                  'B',
                                  'I',
                                  'N',
                                  0};
#endif

/* One struct: one base address. */
static struct {
    struct blockdev stick;
    int (*stick_read)(const struct blockdev *, uint32_t, uint32_t, void *);
    uint32_t reads_left, rewinds;
    struct fs_file image_file;
} session;
#define stick      session.stick
#define stick_read session.stick_read
#define reads_left session.reads_left
#define rewinds    session.rewinds
#define image_file session.image_file

/* Every READ(10) counts against the session bound (config.h) until the file is found; each
 * one also refreshes the watchdog, which the bound keeps from becoming a way to hold the
 * board. Past the deadline every wait on the stick ends at once (usb_host.h), so reads fail
 * by themselves. */
static int counted_read(const struct blockdev *dev, uint32_t lba, uint32_t count, void *buf)
{
    plat_watchdog_kick();
    if (!reads_left)
        return SB_ERR_FS_CORRUPT;
    reads_left--;
    return stick_read(dev, lba, count, buf);
}

RAMFUNC static int read_image(void *ctx, void *buf, uint32_t buf_size, uint32_t *got)
{
    return fs_read(ctx, buf, buf_size, got);
}

/* The first rewind starts pass 1, which still runs under the session deadline: the old image
 * is intact until pass 2, so a stick that is slow to serve its file delays the application no
 * longer than one that is slow to show it. The second starts pass 2, after the erase: from then
 * on only the file's size bounds its reads. */
static void rewind_image(void *ctx)
{
    if (rewinds++)
        usb_deadline.on = 0;
    fs_rewind(ctx);
}

#if REPORT_LOG
/* The session's line in STICKBOOT.LOG, if the stick has one; any failure is ignored. */
static void report_session(int r, uint32_t started, uint32_t old_version)
{
    struct report rep;
    plat_unique_id(rep.uid);
    rep.board_id = BOARD_ID;
    rep.old_version = old_version;
    rep.new_version = update_file_version;
    rep.result = r;
    rep.ms = plat_ms() - started;
    /* At most REPORT_MS, and never past the session's own deadline while it holds (before
     * pass 2), so the bound for a hostile stick (README) does not grow. */
    uint32_t left = usb_time_left(REPORT_MS);
    usb_deadline.at = plat_ms() + left;
    usb_deadline.on = 1;
    /* Its reads count against SESSION_READS too: a search the bound cut short is not redone. */
    stick_read = stick.read;
    stick.read = counted_read;
    if (left)
        report_write(&stick, &rep);
    stick.read = stick_read;
}
#endif

/* Mount, find the file within the session bound, install it. old_version: the installed
 * application's, REPORT_NONE without one (the report's; update_install checks it again). */
static int update_session(uint32_t old_version)
{
#if REPORT_LOG
    uint32_t started = plat_ms();
    update_file_version = REPORT_NONE;
#else
    (void)old_version;
#endif
    reads_left = SESSION_READS;
    rewinds = 0;
    /* Every wait on the stick, the mount's included, ends by the session deadline. */
    usb_deadline.at = plat_ms() + SESSION_MS;
    usb_deadline.on = 1;
    int r = usb_msc_mount(&stick), best = SB_ERR_MEDIUM;
#if REPORT_LOG
    int mounted = r == SB_OK;
#endif
    /* A card reader: the volume may be behind any ready LUN, not only the first. */
    while (r == SB_OK) {
        stick_read = stick.read;
        stick.read = counted_read;
#if BOARD_FILES
        /* This board's own file first: on a stick for many boards the others' are never read. */
        r = fs_open(&stick, board_file, APP_REGION_SIZE, &image_file);
        if (r == SB_ERR_NO_FILE)
#endif
            r = fs_open(&stick, IMAGE_NAME, APP_REGION_SIZE, &image_file);
        stick.read = stick_read; /* the file's own reads are bounded by its size (and pass 1's by
                                    the deadline) */
        if (r != SB_OK && (!reads_left || !usb_time_left(1))) {
            r = SB_ERR_FS_CORRUPT; /* the search was cut short by the session bound */
            break;
        }
        if (r < SB_ERR_MEDIUM || r > SB_ERR_NO_FILE)
            break;
        if (r > best)
            best = r;
        r = usb_msc_next_lun(&stick);
        if (r == SB_ERR_MEDIUM || r == SB_ERR_NOT_MSC)
            r = best; /* no further LUN: the most telling error of those tried */
    }
#if ENCRYPT
    /* The decryption reads the file through this one; static: it outlives the call. */
    static struct image_source file;
    file = (struct image_source){fs_size(&image_file), read_image, rewind_image, &image_file};
    struct image_source source;
    decrypt_open(&source, &file);
#else
    struct image_source source = {fs_size(&image_file), read_image, rewind_image, &image_file};
#endif
#if LOG
    if (r == SB_ERR_TOO_BIG)
        update_name_file(&source);
#endif
    if (r == SB_OK)
        r = update_install(&source);
#if REPORT_LOG
    if (mounted)
        report_session(r, started, old_version);
#endif
    return r;
}

void bootloader_run(int app_valid, uint32_t app_version, int forced)
{
    uint32_t window = forced ? FORCED_WAIT_MS : PROBE_MS;
    /* The window counts from clock start-up (plat_ms() = 0), so the whole boot, image check
     * included, stays within PROBE_MS plus the handover. */
    /* No crystal, so no USB clock within tolerance (docs/troubleshooting.md): USB stays off.
     * Error 13 when an update was asked for or nothing else can run; otherwise the application
     * starts on time. */
    int no_clock = hcd_init() == HCD_NO_CLOCK;
    if (no_clock && !forced && app_valid)
        return;
    for (;;) {
        uint32_t slice = WAIT_SLICE_MS;
        if (app_valid) {
            uint32_t spent = plat_ms();
            if (spent >= window)
                return;
            if (window - spent < slice)
                slice = window - spent;
        }
        plat_show(PHASE_WAITING, 0);
        plat_watchdog_kick();
        int r = SB_ERR_USB_CLOCK;
        if (!no_clock) {
            if (hcd_wait_connect(slice) != HCD_OK)
                continue;
            /* Flash changes only in a session, and one that fails leaves the loop running
             * only without a valid app: app_valid and app_version still hold here. */
            r = update_session(app_valid ? app_version : REPORT_NONE);
            if (r == SB_OK || r == SB_UP_TO_DATE) {
                plat_show(PHASE_DONE, 0);
                return;
            }
        }
        plat_show(PHASE_ERROR, (unsigned)r);
        /* A failure in pass 2 may have destroyed the old image; check again. */
        struct image_trailer installed;
        app_valid = installed_image(&installed);
        if (app_valid)
            return;
        /* No application: show the error while the stick stays (bounded), then try again. */
        for (unsigned shown = 0; shown < ERROR_REPEATS && hcd_is_connected(); shown++)
            plat_show(PHASE_ERROR, (unsigned)r);
        hcd_init();
    }
}
