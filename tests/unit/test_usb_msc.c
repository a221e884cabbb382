/* usb/msc.c: Bulk-Only + SCSI against the fake HCD: mount, LUN scan, readiness loop, CSW
 * rules, reset recovery, reads, and devices that cannot work (bounded, no hang). */
#include <stdlib.h>
#include <string.h>

#include "fake_hcd.h"
#include "harness.h"
#include "status.h"
#include "usb_host.h"
#include "usb_msc.h"

#define HARNESS_SUITE    "test_usb_msc"
#define GIVE_UP_BOUND_MS 15000u

static uint8_t buf[300 * 4096];

/* Reads count blocks at lba and checks them against the fake's pattern for lun. */
static int read_ok(struct blockdev *dev, unsigned lun, uint32_t lba, uint32_t count)
{
    memset(buf, 0xCC, count * dev->block_size);
    if (dev->read(dev, lba, count, buf) != 0)
        return 0;
    for (uint32_t i = 0; i < count * dev->block_size; i++) {
        if (buf[i] != fake_block_byte(lun, lba + i / dev->block_size, i % dev->block_size))
            return 0;
    }
    return 1;
}

static void mount_and_read_well_behaved(void)
{
    struct blockdev dev;
    fake_hcd_reset(1000);
    CHECK_EQ(usb_msc_mount(&dev), SB_OK);
    CHECK_EQ(dev.block_size, 512);
    CHECK_EQ(dev.block_count, 1000); /* last LBA 999 + 1: the capacity as reported */
    CHECK_EQ(dev.max_blocks, USB_MAX_SECTORS);
    CHECK_EQ(fake_stats.inquiry_bad_len, 0);
    CHECK(read_ok(&dev, 0, 5, 200));
    CHECK_EQ(fake_stats.read10, 4); /* 64 + 64 + 64 + 8 */
    CHECK_EQ(fake_stats.max_read10_blocks, 64);
    CHECK(read_ok(&dev, 0, 0, 1));
    CHECK_EQ(fake_stats.boms_resets, 0);
    CHECK_EQ(fake_stats.toggle_errors, 0);
    CHECK_EQ(fake_stats.port_resets, 1);
}

static void reads_last_lba(void)
{
    /* The last reported block is read (a file may end there), and reads that touch the last
     * 8 blocks go one block at a time (Linux sd.c's last-sector rule). */
    struct blockdev dev;
    fake_hcd_reset(100);
    CHECK_EQ(usb_msc_mount(&dev), SB_OK);
    CHECK_EQ(dev.block_count, 100);
    unsigned before = fake_stats.read10;
    CHECK(read_ok(&dev, 0, 80, 20)); /* 80..91 in one command, then 92..99 one by one */
    CHECK_EQ(fake_stats.read10 - before, 1 + 8);
    CHECK_EQ(fake_stats.read_last_lba, 1);
    CHECK(read_ok(&dev, 0, 99, 1));
    before = fake_stats.read10;
    CHECK(dev.read(&dev, 100, 1, buf) != 0);
    CHECK(dev.read(&dev, 99, 2, buf) != 0);
    CHECK(dev.read(&dev, 0xFFFFFFFFu, 2, buf) != 0);
    CHECK_EQ(fake_stats.read10, before); /* refused without asking the device */
    CHECK_EQ(fake_stats.read_beyond, 0);
}

static void capacity_reports_the_count(void)
{
    /* READ CAPACITY says 100 for 100 blocks (Linux FIX_CAPACITY devices): everything real is
     * readable; the one block that does not exist fails, in bounded time. */
    struct blockdev dev;
    fake_hcd_reset(100);
    fake.capacity_off_by_one = 1;
    CHECK_EQ(usb_msc_mount(&dev), SB_OK);
    CHECK_EQ(dev.block_count, 101);
    CHECK(read_ok(&dev, 0, 60, 40)); /* up to LBA 99, the real last block */
    uint32_t t0 = fake_ms;
    CHECK(dev.read(&dev, 100, 1, buf) != 0);
    CHECK(fake_ms - t0 < 2000);
    CHECK(read_ok(&dev, 0, 0, 8)); /* and the device still works */
}

static void capacity_extremes(void)
{
    static const struct {
        uint32_t last, size;
        int result;
        uint32_t count;
    } cases[] = {{0xFFFFFFFFu, 512, SB_OK, 0xFFFFFFFEu},
                 {0xFFFFFFFEu, 512, SB_OK, 0xFFFFFFFEu},
                 {0, 512, SB_ERR_MEDIUM, 0},
                 {999, 0, SB_ERR_MEDIUM, 0},
                 {999, 520, SB_ERR_MEDIUM, 0},
                 {999, 0x10000, SB_ERR_MEDIUM, 0},
                 {999, 0xFFFFFFFFu, SB_ERR_MEDIUM, 0},
                 {999, 1000, SB_ERR_MEDIUM, 0}};
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct blockdev dev;
        fake_hcd_reset(1000);
        fake.raw_capacity = 1;
        fake.raw_last = cases[i].last;
        fake.raw_size = cases[i].size;
        CHECK_EQ(usb_msc_mount(&dev), cases[i].result);
        if (cases[i].result == SB_OK) {
            CHECK_EQ(dev.block_count, cases[i].count);
            CHECK(dev.block_count + 1 != 0); /* fs.c's slack block cannot wrap */
            CHECK(read_ok(&dev, 0, 0, 64));
        }
        CHECK(fake_ms < 1000);
    }
}

static void last_sector_bug_reader(void)
{
    /* A reader that hangs on a multi-block READ(10) touching the last 8 blocks. */
    struct blockdev dev;
    fake_hcd_reset(2880);
    fake.last_sector_bug = 8;
    CHECK_EQ(usb_msc_mount(&dev), SB_OK);
    uint32_t t0 = fake_ms;
    unsigned before = fake_stats.read10;
    CHECK(read_ok(&dev, 0, 2825, 55));           /* lba=2825 blocks=55 ends at the last block */
    CHECK_EQ(fake_stats.read10 - before, 1 + 8); /* 2825..2871, then 2872..2879 one by one */
    CHECK_EQ(fake_stats.max_read10_blocks, 47);
    CHECK_EQ(fake_stats.boms_resets, 0);
    CHECK(fake_ms - t0 < 100);
}

static void next_lun_after_a_mount(void)
{
    /* LUN 0: a card; LUN 1: empty; LUN 2: another card. */
    struct blockdev dev;
    fake_hcd_reset(500);
    fake.max_lun = 2;
    fake.lun[1].empty = 1;
    fake.lun[2] = (struct fake_lun){0, 0, 0, 0, 512, 777};
    CHECK_EQ(usb_msc_mount(&dev), SB_OK);
    CHECK_EQ(dev.block_count, 500);
    CHECK_EQ(usb_msc_next_lun(&dev), SB_OK);
    CHECK_EQ(dev.block_count, 777);
    CHECK(read_ok(&dev, 2, 100, 10));
    CHECK_EQ(usb_msc_next_lun(&dev), SB_ERR_NOT_MSC); /* no LUN 3 */
    CHECK_EQ(fake_stats.port_resets, 1);
}

static void class_requests_name_the_interface(void)
{
    /* Mass storage is interface 2: GET_MAX_LUN and the Bulk-Only reset STALL otherwise. */
    struct blockdev dev;
    fake_hcd_reset(500);
    fake.msc_iface = 2;
    fake.config_desc[11] = 2;
    fake.max_lun = 1;
    fake.lun[0].empty = 1;
    fake.lun[1] = (struct fake_lun){0, 0, 0, 0, 512, 600};
    CHECK_EQ(usb_msc_mount(&dev), SB_OK); /* LUN 1 found: GET_MAX_LUN was answered */
    CHECK_EQ(dev.block_count, 600);
    fake.phase_error = 1;
    CHECK(read_ok(&dev, 1, 10, 10));
    CHECK_EQ(fake_stats.boms_resets, 1);
    CHECK_EQ(fake_stats.port_resets, 1); /* the reset worked: no re-enumeration */
}

static void block_sizes(void)
{
    static const struct {
        uint32_t size;
        int result;
    } cases[] = {{512, SB_OK},          {1024, SB_OK},         {2048, SB_OK},
                 {4096, SB_OK},         {256, SB_ERR_MEDIUM},  {520, SB_ERR_MEDIUM},
                 {8192, SB_ERR_MEDIUM}, {3072, SB_ERR_MEDIUM}, {0, SB_ERR_MEDIUM}};
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct blockdev dev;
        fake_hcd_reset(300);
        fake.lun[0].block_size = cases[i].size;
        CHECK_EQ(usb_msc_mount(&dev), cases[i].result);
        if (cases[i].result == SB_OK) {
            CHECK_EQ(dev.block_size, cases[i].size);
            CHECK(read_ok(&dev, 0, 3, 70));
        }
    }
    struct blockdev dev;
    fake_hcd_reset(1); /* last LBA 0: nothing usable */
    CHECK_EQ(usb_msc_mount(&dev), SB_ERR_MEDIUM);
}

static void get_max_lun_variants(void)
{
    /* LUN 0 is an empty slot, LUN 1 a disk: only a proper GET_MAX_LUN reply of 1 finds it. */
    static const struct {
        enum fake_max_lun_mode mode;
        uint8_t value;
        int result;
    } cases[] = {{MAXLUN_VALUE, 1, SB_OK},          {MAXLUN_STALL, 1, SB_ERR_MEDIUM},
                 {MAXLUN_ZLP, 1, SB_ERR_MEDIUM},    {MAXLUN_TIMEOUT, 1, SB_ERR_MEDIUM},
                 {MAXLUN_VALUE, 16, SB_ERR_MEDIUM}, {MAXLUN_VALUE, 0, SB_ERR_MEDIUM}};
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct blockdev dev;
        fake_hcd_reset(500);
        fake.lun[0].empty = 1;
        fake.lun[1] = (struct fake_lun){0, 0, 0, 0, 512, 500};
        fake.max_lun_mode = cases[i].mode;
        fake.max_lun = cases[i].value;
        CHECK_EQ(usb_msc_mount(&dev), cases[i].result);
        CHECK_EQ(fake_stats.get_max_lun, 1);
        CHECK(fake_ms < 5000); /* an empty slot is skipped at once */
    }
}

static void card_reader_empty_lun0(void)
{
    struct blockdev dev;
    fake_hcd_reset(500);
    fake.max_lun = 3;
    fake.lun[0].empty = 1;
    fake.lun[1].empty = 1;
    fake.lun[2] = (struct fake_lun){0, 0, 0, 0, 512, 777};
    fake.lun[3] = (struct fake_lun){0, 0, 0, 0, 512, 888};
    CHECK_EQ(usb_msc_mount(&dev), SB_OK);
    CHECK_EQ(dev.block_count, 777);
    CHECK(read_ok(&dev, 2, 100, 10));
    CHECK_EQ(fake_stats.toggle_errors, 0);
    CHECK(fake_ms < 3000);

    fake_hcd_reset(500);
    fake.max_lun = 3;
    for (int i = 0; i < 4; i++)
        fake.lun[i].empty = 1;
    CHECK_EQ(usb_msc_mount(&dev), SB_ERR_MEDIUM);
    CHECK(fake_ms < 3000);
}

static void u3_cdrom_lun0(void)
{
    struct blockdev dev;
    fake_hcd_reset(500);
    fake.max_lun = 1;
    fake.lun[0].type = 5; /* the U3 launcher CD-ROM */
    fake.lun[0].block_size = 2048;
    fake.lun[1] = (struct fake_lun){0, 0, 0, 0, 512, 4000};
    CHECK_EQ(usb_msc_mount(&dev), SB_OK);
    CHECK_EQ(dev.block_size, 512);
    CHECK_EQ(dev.block_count, 4000);
    CHECK(read_ok(&dev, 1, 3000, 65));
    CHECK_EQ(fake_stats.tur, 1); /* no TEST UNIT READY for the CD-ROM */

    fake_hcd_reset(500);
    fake.lun[0].type = 5;
    CHECK_EQ(usb_msc_mount(&dev), SB_ERR_NOT_MSC);
}

static void readiness_loop(void)
{
    struct blockdev dev;
    fake_hcd_reset(500);
    fake.lun[0].not_ready = 30;
    fake.lun[0].unit_attention = 2;
    CHECK_EQ(usb_msc_mount(&dev), SB_OK);
    CHECK_EQ(fake_stats.tur, 33);
    CHECK_EQ(fake_stats.request_sense, 32);
    CHECK(fake_ms >= 32 * 100); /* it waited between tries */
    CHECK(read_ok(&dev, 0, 0, 4));

    /* Never ready: bounded at 10 s. */
    fake_hcd_reset(500);
    fake.lun[0].not_ready = 1000000;
    CHECK_EQ(usb_msc_mount(&dev), SB_ERR_MEDIUM);
    CHECK(fake_ms >= 10000);
    CHECK(fake_ms < 11000);

    /* No medium: skipped at once. */
    fake_hcd_reset(500);
    fake.lun[0].empty = 1;
    CHECK_EQ(usb_msc_mount(&dev), SB_ERR_MEDIUM);
    CHECK_EQ(fake_stats.tur, 1);
    CHECK(fake_ms < 1000);
}

static void csw_rules_during_mount(void)
{
    struct blockdev dev;
    /* A ZLP before the CSW: read once more, no recovery. */
    fake_hcd_reset(500);
    fake.zlp_before_csw = 1;
    CHECK_EQ(usb_msc_mount(&dev), SB_OK);
    CHECK_EQ(fake_stats.boms_resets, 0);
    CHECK_EQ(fake_stats.toggle_errors, 0);

    /* Two ZLPs in a row for one CSW: one retry only, then Reset Recovery. */
    fake_hcd_reset(500);
    fake.zlp_before_csw = 2;
    CHECK_EQ(usb_msc_mount(&dev), SB_OK);
    CHECK_EQ(fake_stats.boms_resets, 1);
    CHECK_EQ(fake_stats.toggle_errors, 0);

    /* A stalled CSW: CLEAR_FEATURE(HALT), toggle DATA0, read again. */
    fake_hcd_reset(500);
    fake.stall_csw = 1;
    CHECK_EQ(usb_msc_mount(&dev), SB_OK);
    CHECK_EQ(fake_stats.clear_halts, 1);
    CHECK_EQ(fake_stats.boms_resets, 0);
    CHECK_EQ(fake_stats.toggle_errors, 0);

    /* The device skips INQUIRY's data phase and sends its CSW at once: no recovery, and the
     * failed INQUIRY does not stop the mount. */
    fake_hcd_reset(500);
    fake.csw_in_data = 1;
    CHECK_EQ(usb_msc_mount(&dev), SB_OK);
    CHECK_EQ(fake_stats.boms_resets, 0);
    CHECK_EQ(fake_stats.toggle_errors, 0);
}

static void csw_errors_trigger_reset_recovery(void)
{
    int *quirks[] = {&fake.phase_error, &fake.bad_tag, &fake.bad_signature};
    for (unsigned i = 0; i < 3; i++) {
        struct blockdev dev;
        fake_hcd_reset(500);
        *quirks[i] = 1;
        CHECK_EQ(usb_msc_mount(&dev), SB_OK);
        CHECK_EQ(fake_stats.boms_resets, 1);
        CHECK_EQ(fake_stats.clear_halts, 2); /* both bulk endpoints */
        CHECK_EQ(fake_stats.port_resets, 1);
        CHECK_EQ(fake_stats.toggle_errors, 0);
        /* The same during a read: the read is retried and returns the right data. */
        *quirks[i] = 1;
        CHECK(read_ok(&dev, 0, 10, 100));
        CHECK_EQ(fake_stats.boms_resets, 2);
        CHECK_EQ(fake_stats.toggle_errors, 0);
    }
}

static void recovery_falls_back_to_reenumeration(void)
{
    struct blockdev dev;
    fake_hcd_reset(500);
    CHECK_EQ(usb_msc_mount(&dev), SB_OK);
    fake.phase_error = 1;
    fake.boms_reset_stalls = 1;
    CHECK(read_ok(&dev, 0, 200, 64));
    CHECK_EQ(fake_stats.boms_resets, 1);
    CHECK_EQ(fake_stats.port_resets, 2);
    CHECK_EQ(fake_stats.set_address, 2);
    CHECK_EQ(fake_stats.toggle_errors, 0);
}

static void mount_fresh(struct blockdev *dev)
{
    fake_hcd_reset(2000);
    CHECK_EQ(usb_msc_mount(dev), SB_OK);
}

static void read_path_quirks(void)
{
    struct blockdev dev;

    /* A data-phase STALL: clear it, read the CSW (status 1), retry with half the chunk. */
    mount_fresh(&dev);
    fake.stall_data = 1;
    CHECK(read_ok(&dev, 0, 0, 64));
    CHECK_EQ(fake_stats.clear_halts, 1);
    CHECK_EQ(fake_stats.boms_resets, 0);
    CHECK_EQ(fake_stats.read10, 3); /* the stalled 64, then 2 x 32 */

    /* Fewer bytes than asked for with a good CSW and residue 0: decided by bytes received. */
    mount_fresh(&dev);
    fake.short_read = 1;
    CHECK(read_ok(&dev, 0, 64, 64));
    CHECK_EQ(fake_stats.read10, 3);

    mount_fresh(&dev);
    fake.zlp_before_csw = 1;
    CHECK(read_ok(&dev, 0, 128, 64));
    CHECK_EQ(fake_stats.read10, 1);
    fake.stall_csw = 1;
    CHECK(read_ok(&dev, 0, 192, 64));
    CHECK_EQ(fake_stats.read10, 2);
    CHECK_EQ(fake_stats.boms_resets, 0);

    /* Transaction errors (the HCD's 3 retries exhausted): recovery, then half the chunk (a
     * device that hangs on long reads looks the same from here). */
    fake.xact_bulk = 1;
    CHECK(read_ok(&dev, 0, 256, 64));
    CHECK_EQ(fake_stats.read10, 4); /* the failed CBW never reached the device; 2 x 32 */
    CHECK_EQ(fake_stats.boms_resets, 1);
    CHECK_EQ(fake_stats.toggle_errors, 0);
}

static void max_sectors_device(void)
{
    /* A device that fails READ(10) above 8 blocks: the chunk halves until it works. */
    struct blockdev dev;
    fake_hcd_reset(2000);
    fake.max_sectors = 8;
    CHECK_EQ(usb_msc_mount(&dev), SB_OK);
    CHECK(read_ok(&dev, 0, 0, 64));
    CHECK_EQ(fake_stats.read10, 3 + 8); /* 64, 32, 16 refused; then 8 x 8 */
    CHECK(read_ok(&dev, 0, 100, 200));
    CHECK_EQ(fake_stats.read10, 11 + 25);
    /* Down to single blocks. */
    fake_hcd_reset(2000);
    fake.max_sectors = 1;
    CHECK_EQ(usb_msc_mount(&dev), SB_OK);
    CHECK(read_ok(&dev, 0, 10, 64));
    CHECK_EQ(fake_stats.toggle_errors, 0);
}

static void hang_above_16_blocks(void)
{
    /* A device that hangs (NAKs until the timeout) on READ(10) above 16 blocks: each hang
     * costs a timeout and a Reset Recovery, and halves the chunk for good. */
    struct blockdev dev;
    fake_hcd_reset(2000);
    fake.hang_above_sectors = 16;
    CHECK_EQ(usb_msc_mount(&dev), SB_OK);
    uint32_t t0 = fake_ms;
    CHECK(read_ok(&dev, 0, 0, 128));
    CHECK_EQ(fake_stats.boms_resets, 2); /* 64 and 32 hung */
    CHECK(fake_ms - t0 < 6000);
    t0 = fake_ms;
    CHECK(read_ok(&dev, 0, 300, 128)); /* no more hangs */
    CHECK_EQ(fake_stats.boms_resets, 2);
    CHECK(fake_ms - t0 < 200);
}

static void large_blocks_chunking(void)
{
    struct blockdev dev;
    fake_hcd_reset(1000);
    fake.lun[0].block_size = 4096;
    CHECK_EQ(usb_msc_mount(&dev), SB_OK);
    CHECK(read_ok(&dev, 0, 7, 130));
    CHECK_EQ(fake_stats.max_read10_blocks, 64);
}

static void hopeless_devices_give_up_in_bound(void)
{
    struct blockdev dev;
    struct {
        const char *name;
        int *quirk;
    } cases[] = {{"stall", &fake.stall_everything},   {"nak bulk", &fake.nak_bulk},
                 {"xact bulk", &fake.xact_bulk},      {"bad tags", &fake.bad_tag},
                 {"phase errors", &fake.phase_error}, {"csw in data", &fake.csw_in_data},
                 {"stalled data", &fake.stall_data},  {"zlp", &fake.zlp_before_csw}};
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake_hcd_reset(1000);
        *cases[i].quirk = -1;
        int r = usb_msc_mount(&dev);
        if (r == SB_OK) /* csw_in_data and stalled data still let TUR through */
            r = dev.read(&dev, 0, 64, buf) ? SB_ERR_MEDIUM : SB_OK;
        if (r == SB_OK || fake_ms >= GIVE_UP_BOUND_MS)
            printf("  %s: result %d after %u ms\n", cases[i].name, r, fake_ms);
        CHECK(r != SB_OK);
        CHECK(fake_ms < GIVE_UP_BOUND_MS);
    }
    /* Bulk pipe that NAKs, control pipe that NAKs too (recovery cannot help). */
    fake_hcd_reset(1000);
    fake.nak_bulk = -1;
    fake.boms_reset_stalls = -1;
    CHECK(usb_msc_mount(&dev) != SB_OK);
    CHECK(fake_ms < GIVE_UP_BOUND_MS);

    /* Everything times out once enumerated: recovery and re-enumeration fail, the device is
     * given up at once instead of scanning 16 LUNs. */
    fake_hcd_reset(1000);
    fake.max_lun = 15;
    fake.nak_bulk = -1;
    fake.control_dies_after = 7; /* enumeration (6) + GET_MAX_LUN */
    CHECK_EQ(usb_msc_mount(&dev), SB_ERR_USB);
    CHECK(fake_ms < 10000);
    /* the mount's, then 3 for re-enumeration, a VBUS power cycle and 3 more */
    CHECK_EQ(fake_stats.port_resets, 7);

    /* The same after a good mount: the read fails at once, and later reads too. */
    fake_hcd_reset(1000);
    CHECK_EQ(usb_msc_mount(&dev), SB_OK);
    fake.nak_bulk = -1;
    fake.control_dies_after = 0;
    uint32_t t0 = fake_ms;
    CHECK_EQ(dev.read(&dev, 0, 8, buf), SB_ERR_USB);
    CHECK(fake_ms - t0 < 10000);
    t0 = fake_ms;
    CHECK_EQ(dev.read(&dev, 8, 8, buf), SB_ERR_USB);
    CHECK(fake_ms - t0 < 100);
}

/* A device that answers every transfer 1 ms before the host's timeout (2,000 ms per bulk
 * stage, 600 ms per control stage, or what is left before the deadline). Its LUN never
 * becoming ready, the mount gives up by USB_MOUNT_MS. After a good mount, under a session
 * deadline as core/bootloader.c sets it (20 s from the connection), reads go on until the
 * deadline ends them. Before the deadline was passed down, a stage begun just before a bound
 * could run on for its full timeout, plus retries and Reset Recovery. */
static void slow_device_within_deadline(void)
{
    struct blockdev dev;
    fake_hcd_reset(1000);
    fake.just_under_timeout = 1;
    fake.lun[0].not_ready = 1000000;
    /* Enumeration and GET_MAX_LUN, each stage 1 ms under its own timeout, use up the mount
     * window before a LUN is tried (600 ms per standard stage, 2 s per class stage): the
     * mount fails within its bound, as a medium that is not ready, not as a foreign device. */
    int m = usb_msc_mount(&dev);
    CHECK_EQ(m, SB_ERR_MEDIUM);
    printf("  slow device, never ready: mount gave up after %u ms (%d)\n", fake_ms, m);
    CHECK(fake_ms <= USB_MOUNT_MS + USB_OVERRUN_MS);

    fake_hcd_reset(100000);
    usb_deadline.at = fake_ms + 20000u;
    usb_deadline.on = 1;
    int r = usb_msc_mount(&dev);
    CHECK_EQ(r, SB_OK);
    fake.just_under_timeout = 1;
    uint32_t lba = 0;
    while (r == SB_OK && lba < 90000) {
        r = dev.read(&dev, lba, 64, buf);
        lba += 64;
    }
    usb_deadline.on = 0;
    printf("  slow device after a mount: %u reads, result %d after %u ms\n", lba / 64, r, fake_ms);
    CHECK(r != SB_OK);
    CHECK(fake_ms <= 20000u + USB_OVERRUN_MS);
}

static void disconnects(void)
{
    struct blockdev dev;
    fake_hcd_reset(1000);
    fake.disconnect_after_bytes = 1000;
    CHECK_EQ(usb_msc_mount(&dev), SB_OK);
    uint32_t t0 = fake_ms;
    CHECK_EQ(dev.read(&dev, 0, 64, buf), SB_ERR_NO_DEVICE);
    CHECK(fake_ms - t0 < 1000);

    fake_hcd_reset(1000);
    fake.disconnect_after_bytes = 20; /* during INQUIRY */
    CHECK_EQ(usb_msc_mount(&dev), SB_ERR_NO_DEVICE);
    CHECK(fake_ms < 1000);

    fake_hcd_reset(1000);
    fake.connected = 0;
    CHECK_EQ(usb_msc_mount(&dev), SB_ERR_NO_DEVICE);
}

int main(void)
{
    RUN_TEST(mount_and_read_well_behaved);
    RUN_TEST(reads_last_lba);
    RUN_TEST(capacity_reports_the_count);
    RUN_TEST(capacity_extremes);
    RUN_TEST(last_sector_bug_reader);
    RUN_TEST(next_lun_after_a_mount);
    RUN_TEST(class_requests_name_the_interface);
    RUN_TEST(block_sizes);
    RUN_TEST(get_max_lun_variants);
    RUN_TEST(card_reader_empty_lun0);
    RUN_TEST(u3_cdrom_lun0);
    RUN_TEST(readiness_loop);
    RUN_TEST(csw_rules_during_mount);
    RUN_TEST(csw_errors_trigger_reset_recovery);
    RUN_TEST(recovery_falls_back_to_reenumeration);
    RUN_TEST(read_path_quirks);
    RUN_TEST(max_sectors_device);
    RUN_TEST(large_blocks_chunking);
    RUN_TEST(hang_above_16_blocks);
    RUN_TEST(hopeless_devices_give_up_in_bound);
    RUN_TEST(slow_device_within_deadline);
    RUN_TEST(disconnects);
    return HARNESS_EXIT();
}
