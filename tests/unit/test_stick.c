/* The modeled USB stick (emu/stick.c, emu/scsi.c) through the OTG_FS model: every profile
 * key observably changes behaviour, Bulk-Only error handling, determinism, trace lines. */
#define HARNESS_SUITE "test_stick"
#include "harness.h"
#include "test_otg_host.h"

#include <glob.h>
#include <sys/stat.h>

static char image_path[64];
#define IMAGE_BYTES (1u << 20)

static struct otg_stats stats_of(struct host *h)
{
    struct otg_stats s;
    otg_get_stats(h->m, &s);
    return s;
}

static const uint8_t TUR[6] = {0x00};
static const uint8_t SENSE18[6] = {0x03, 0, 0, 0, 18, 0};
static const uint8_t INQ36[6] = {0x12, 0, 0, 0, 36, 0};
static const uint8_t CAP10[10] = {0x25};

/* Sense key/ASC/ASCQ after a failed command, as 0xKKAAQQ. */
static unsigned sense_of(struct msc *s, uint8_t lun)
{
    uint8_t d[18], csw[13];
    uint32_t got = 0;
    if (msc_command(s, lun, SENSE18, 6, d, 18, &got, csw) != 0 || got != 18)
        return 0xFFFFFFFF;
    return (unsigned)d[2] << 16 | (unsigned)d[12] << 8 | d[13];
}

static int status_of(struct msc *s, uint8_t lun, const uint8_t *cdb, unsigned len,
                     uint32_t data_len)
{
    static uint8_t buf[65536];
    uint8_t csw[13];
    return msc_command(s, lun, cdb, len, buf, data_len, NULL, csw);
}

static int get_max_lun(struct host *h, unsigned mps0, uint8_t *value, uint32_t *n)
{
    uint8_t s[8] = {0xA1, 0xFE, 0, 0, 0, 0, 1, 0};
    return host_control(h, 1, mps0, s, value, n);
}

static void test_profile_errors_name_the_key(void)
{
    char err[256] = "";
    const char *p = make_profile("/tmp/test_stick_bad.prof", "# ok\nvid=0x1234\nfoo_bar=1\n");
    CHECK(otg_create(image_path, p, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "foo_bar") != NULL);
    CHECK(strstr(err, ":3") != NULL);
    make_profile(p, "ep0_mps=12\n");
    CHECK(otg_create(image_path, p, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "ep0_mps") != NULL);
    make_profile(p, "lun.0=floppy\n");
    CHECK(otg_create(image_path, p, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "lun.0") != NULL);
    make_profile(p, "get_max_lun=maybe\n");
    CHECK(otg_create(image_path, p, err, sizeof(err)) == NULL);
    make_profile(p, "  vid = 0x1234   # comment\n\nget_max_lun=stall\nlun.1=cdrom\n");
    struct otg_model *m = otg_create(image_path, p, err, sizeof(err));
    CHECK(m != NULL);
    otg_destroy(m);
    CHECK(otg_create("/nonexistent/disk.img", NULL, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "/nonexistent/disk.img") != NULL);
    /* a profile with no stick: checked, and then an empty port */
    m = otg_create(NULL, p, err, sizeof(err));
    CHECK(m != NULL);
    otg_destroy(m);
    unlink(p);
}

static void test_identity_and_descriptor_keys(void)
{
    struct host h = host_new(image_path, "vid=0x1234\npid=0xABCD\nep0_mps=16\nbulk_mps=32\n"
                                         "extra_descriptors=2\nstrings=0\n");
    unsigned mps0;
    CHECK(host_bring_up(&h));
    CHECK(host_enumerate(&h, &mps0));
    CHECK_EQ(mps0, 16);
    uint8_t d[255];
    uint32_t n;
    CHECK_EQ(get_descriptor(&h, 1, 16, 1, 18, d, &n), XR_OK);
    CHECK_EQ(d[8] | d[9] << 8, 0x1234);
    CHECK_EQ(d[10] | d[11] << 8, 0xABCD);
    CHECK_EQ(d[14] | d[15] | d[16], 0); /* strings=0: no string indexes */
    CHECK_EQ(get_descriptor(&h, 1, 16, 3, 255, d, &n), XR_STALL);
    CHECK_EQ(get_descriptor(&h, 1, 16, 2, 255, d, &n), XR_OK);
    CHECK_EQ(n, 9 + 9 + 5 + 7 + 7 + 7);
    CHECK_EQ(d[2], n);
    CHECK_EQ(d[9 + 4], 3);     /* three endpoints */
    CHECK_EQ(d[18 + 1], 0x24); /* the extra descriptor to skip */
    CHECK_EQ(d[23 + 3], 0x03); /* interrupt endpoint */
    CHECK_EQ(d[30 + 4], 32);   /* bulk wMaxPacketSize */
    otg_destroy(h.m);

    h = host_new(image_path, NULL);
    CHECK(host_bring_up(&h));
    CHECK(host_enumerate(&h, &mps0));
    CHECK_EQ(mps0, 64);
    CHECK_EQ(get_descriptor(&h, 1, 64, 3, 255, d, &n), XR_OK); /* language IDs */
    CHECK_EQ(n, 4);
    CHECK_EQ(get_descriptor(&h, 1, 64, 2, 255, d, &n), XR_OK);
    CHECK_EQ(n, 32);
    otg_destroy(h.m);
}

static void test_bulk_mps_16_reads(void)
{
    struct host h = host_new(image_path, "bulk_mps=16\n");
    struct msc s;
    CHECK(msc_open(&s, &h, 16));
    uint8_t buf[1024], cdb[10], csw[13];
    uint32_t got;
    cdb_read10(cdb, 5, 2);
    CHECK_EQ(msc_command(&s, 0, cdb, 10, buf, 1024, &got, csw), 0);
    CHECK_EQ(got, 1024);
    CHECK_EQ(buf[1000], image_byte(5 * 512 + 1000));
    /* a host using 64-byte packets on a 16-byte endpoint gets 16-byte short packets */
    s.bulk_mps = 64;
    CHECK_EQ(msc_command(&s, 0, cdb, 10, buf, 1024, &got, csw), -1);
    otg_destroy(h.m);
}

static void test_luns_and_lun_kinds(void)
{
    struct host h = host_new(image_path, "luns=3\nlun.0=cdrom\nlun.1=empty\nlun.2=disk\n");
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    uint8_t v = 0xEE, inq[36], csw[13], cap[8];
    uint32_t n = 0;
    CHECK_EQ(get_max_lun(&h, s.mps0, &v, &n), XR_OK);
    CHECK_EQ(n, 1);
    CHECK_EQ(v, 2);
    CHECK_EQ(msc_command(&s, 0, INQ36, 6, inq, 36, &n, csw), 0);
    CHECK_EQ(inq[0], 5);
    CHECK_EQ(inq[1], 0x80);
    CHECK_EQ(msc_command(&s, 2, INQ36, 6, inq, 36, &n, csw), 0);
    CHECK_EQ(inq[0], 0);
    CHECK_EQ(status_of(&s, 1, TUR, 6, 0), 1);
    CHECK_EQ(sense_of(&s, 1), 0x023A00);
    CHECK_EQ(status_of(&s, 2, TUR, 6, 0), 0);
    CHECK_EQ(msc_command(&s, 2, CAP10, 10, cap, 8, &n, csw), 0);
    CHECK_EQ(cap[0] << 24 | cap[1] << 16 | cap[2] << 8 | cap[3], IMAGE_BYTES / 512 - 1);
    CHECK_EQ(msc_command(&s, 0, CAP10, 10, cap, 8, &n, csw), 0);
    CHECK_EQ(cap[6] << 8 | cap[7], 2048);
    /* LUN 3 does not exist: an invalid CBW, both pipes stall */
    CHECK_EQ(status_of(&s, 3, TUR, 6, 0), -1);
    otg_destroy(h.m);
}

static void test_connect_delay(void)
{
    struct host h = host_new(image_path, "connect_delay_ms=300\n");
    CHECK(host_core_init(&h));
    uint64_t t0 = h.now;
    CHECK(WAIT_FOR(&h, rd(&h, R_HPRT) & 1, 1000 * MS_NS));
    CHECK(h.now - t0 >= 299 * MS_NS && h.now - t0 <= 301 * MS_NS);
    otg_destroy(h.m);
}

static void test_not_ready_and_unit_attention(void)
{
    struct host h = host_new(image_path, "not_ready_count=3\nunit_attention=1\n");
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    uint8_t inq[36], csw[13];
    uint32_t n;
    CHECK_EQ(msc_command(&s, 0, INQ36, 6, inq, 36, &n, csw), 0); /* INQUIRY ignores UA */
    CHECK_EQ(status_of(&s, 0, TUR, 6, 0), 1);
    CHECK_EQ(sense_of(&s, 0), 0x062800);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(status_of(&s, 0, TUR, 6, 0), 1);
        CHECK_EQ(sense_of(&s, 0), 0x020401);
    }
    CHECK_EQ(status_of(&s, 0, TUR, 6, 0), 0);
    CHECK_EQ(sense_of(&s, 0), 0);
    otg_destroy(h.m);
}

static void test_get_max_lun_values(void)
{
    const char *profiles[] = {"get_max_lun=stall\n", "get_max_lun=zlp\n", "get_max_lun=200\n",
                              NULL};
    for (int i = 0; i < 4; i++) {
        struct host h = host_new(image_path, profiles[i]);
        unsigned mps0;
        CHECK(host_bring_up(&h));
        CHECK(host_enumerate(&h, &mps0));
        uint8_t v = 0xEE;
        uint32_t n = 99;
        int r = get_max_lun(&h, mps0, &v, &n);
        if (i == 0) {
            CHECK_EQ(r, XR_STALL);
        } else {
            CHECK_EQ(r, XR_OK);
            CHECK_EQ(n, i == 1 ? 0 : 1);
            if (i >= 2)
                CHECK_EQ(v, i == 2 ? 200 : 0);
        }
        otg_destroy(h.m);
    }
}

static void test_max_sectors(void)
{
    struct host h = host_new(image_path, "max_sectors=8\n");
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    uint8_t cdb[10];
    cdb_read10(cdb, 0, 16);
    CHECK_EQ(status_of(&s, 0, cdb, 10, 16 * 512), 1);
    CHECK_EQ(sense_of(&s, 0), 0x052400);
    cdb_read10(cdb, 0, 8);
    CHECK_EQ(status_of(&s, 0, cdb, 10, 8 * 512), 0);
    otg_destroy(h.m);
}

/* Bus time and NAKs of one 16-sector READ(10) under a profile. */
static void read_cost(const char *profile, uint64_t *ns, uint32_t *naks, int *status)
{
    struct host h = host_new(image_path, profile);
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    uint8_t cdb[10];
    cdb_read10(cdb, 0, 16);
    uint32_t n0 = stats_of(&h).naks;
    uint64_t t0 = h.now;
    *status = status_of(&s, 0, cdb, 10, 16 * 512);
    *ns = h.now - t0;
    *naks = stats_of(&h).naks - n0;
    otg_destroy(h.m);
}

static void test_latency_and_nak_keys(void)
{
    uint64_t base_ns, ns;
    uint32_t base_naks, naks;
    int st;
    read_cost(NULL, &base_ns, &base_naks, &st);
    CHECK_EQ(st, 0);
    CHECK_EQ(base_naks, 0);
    read_cost("read_latency_us=5000\n", &ns, &naks, &st);
    CHECK_EQ(st, 0);
    CHECK(ns >= base_ns + 4900000 && ns < base_ns + 5200000);
    CHECK(naks > 0);
    read_cost("csw_latency_us=3000\n", &ns, &naks, &st);
    CHECK_EQ(st, 0);
    CHECK(ns >= base_ns + 2900000 && ns < base_ns + 3200000);
    read_cost("nak_every=3\n", &ns, &naks, &st);
    CHECK_EQ(st, 0);
    CHECK(naks >= 128 / 3 - 1 && naks <= 150 / 2);
}

static void test_csw_quirks(void)
{
    uint8_t csw[13], buf[512], cdb[10];
    uint32_t n;
    cdb_read10(cdb, 0, 1);
    /* stall_csw_once: the first CSW is stalled; after CLEAR_FEATURE it arrives */
    struct host h = host_new(image_path, "stall_csw_once=1\n");
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    uint32_t stalls = stats_of(&h).stalls;
    CHECK_EQ(msc_command(&s, 0, cdb, 10, buf, 512, &n, csw), 0);
    CHECK_EQ(stats_of(&h).stalls, stalls + 1);
    CHECK_EQ(msc_command(&s, 0, cdb, 10, buf, 512, &n, csw), 0);
    CHECK_EQ(stats_of(&h).stalls, stalls + 1);
    otg_destroy(h.m);

    /* zlp_before_csw: a zero-length packet comes first */
    h = host_new(image_path, "zlp_before_csw=1\n");
    CHECK(msc_open(&s, &h, 64));
    CHECK_EQ(msc_send_cbw(&s, 0, TUR, 6, 0, 0), XR_OK);
    CHECK_EQ(msc_in(&s, csw, 13, &n), XR_OK);
    CHECK_EQ(n, 0);
    CHECK_EQ(msc_in(&s, csw, 13, &n), XR_OK);
    CHECK_EQ(n, 13);
    otg_destroy(h.m);

    /* bad_csw_signature_once=2 and wrong_tag_once=3 hit the 2nd and 3rd commands */
    h = host_new(image_path, "bad_csw_signature_once=2\nwrong_tag_once=3\n");
    CHECK(msc_open(&s, &h, 64));
    for (int i = 1; i <= 4; i++) {
        CHECK_EQ(msc_command(&s, 0, TUR, 6, NULL, 0, &n, csw), 0);
        CHECK_EQ(get32(csw) == 0x53425355u, i != 2);
        CHECK_EQ(get32(csw + 4) == s.tag, i != 3);
    }
    otg_destroy(h.m);

    /* bad_residue: the residue claims nothing was transferred */
    h = host_new(image_path, "bad_residue=1\n");
    CHECK(msc_open(&s, &h, 64));
    CHECK_EQ(msc_command(&s, 0, cdb, 10, buf, 512, &n, csw), 0);
    CHECK_EQ(n, 512);
    CHECK_EQ(get32(csw + 8), 512);
    otg_destroy(h.m);
    h = host_new(image_path, NULL);
    CHECK(msc_open(&s, &h, 64));
    CHECK_EQ(msc_command(&s, 0, cdb, 10, buf, 512, &n, csw), 0);
    CHECK_EQ(get32(csw + 8), 0);
    otg_destroy(h.m);
}

static void test_skip_data_phase_once(void)
{
    struct host h = host_new(image_path, "skip_data_phase_once=2\n");
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    uint8_t buf[512], cdb[10];
    uint32_t n;
    cdb_read10(cdb, 0, 1);
    for (int i = 1; i <= 3; i++) {
        CHECK_EQ(msc_send_cbw(&s, 0, cdb, 10, 512, 1), XR_OK);
        CHECK_EQ(msc_in(&s, buf, 512, &n), XR_OK);
        if (i == 2) { /* the CSW came instead of the data */
            CHECK_EQ(n, 13);
            CHECK_EQ(get32(buf), 0x53425355u);
            CHECK_EQ(get32(buf + 8), 512);
        } else {
            CHECK_EQ(n, 512);
            CHECK_EQ(msc_in(&s, buf, 13, &n), XR_OK);
            CHECK_EQ(n, 13);
        }
    }
    otg_destroy(h.m);
}

static void test_capacity_off_by_one_and_block_size(void)
{
    struct host h = host_new(image_path, "capacity_off_by_one=1\n");
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    uint8_t cap[8], csw[13], cdb[10];
    uint32_t n;
    CHECK_EQ(msc_command(&s, 0, CAP10, 10, cap, 8, &n, csw), 0);
    uint32_t last = (uint32_t)cap[0] << 24 | cap[1] << 16 | cap[2] << 8 | cap[3];
    CHECK_EQ(last, IMAGE_BYTES / 512);
    cdb_read10(cdb, last, 1);
    CHECK_EQ(status_of(&s, 0, cdb, 10, 512), 1); /* the reported "last" LBA does not exist */
    CHECK_EQ(sense_of(&s, 0), 0x052100);
    otg_destroy(h.m);

    h = host_new(image_path, "block_size=4096\n");
    CHECK(msc_open(&s, &h, 64));
    CHECK_EQ(msc_command(&s, 0, CAP10, 10, cap, 8, &n, csw), 0);
    CHECK_EQ(cap[0] << 24 | cap[1] << 16 | cap[2] << 8 | cap[3], IMAGE_BYTES / 4096 - 1);
    CHECK_EQ(cap[4] << 24 | cap[5] << 16 | cap[6] << 8 | cap[7], 4096);
    static uint8_t buf[4096];
    cdb_read10(cdb, 3, 1);
    CHECK_EQ(msc_command(&s, 0, cdb, 10, buf, 4096, &n, csw), 0);
    CHECK_EQ(n, 4096);
    CHECK_EQ(buf[4095], image_byte(3 * 4096 + 4095));
    otg_destroy(h.m);
}

static void test_inquiry_needs_36(void)
{
    struct host h = host_new(image_path, "inquiry_needs_36=1\n");
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    uint8_t inq[96], csw[13];
    uint8_t inq96[6] = {0x12, 0, 0, 0, 96, 0};
    uint32_t n = 99;
    uint32_t stalls = stats_of(&h).stalls;
    CHECK_EQ(msc_command(&s, 0, inq96, 6, inq, 96, &n, csw), 1);
    CHECK_EQ(n, 0);
    CHECK(stats_of(&h).stalls > stalls);
    CHECK_EQ(msc_command(&s, 0, INQ36, 6, inq, 36, &n, csw), 0);
    CHECK_EQ(n, 36);
    otg_destroy(h.m);
    /* a normal stick answers 96 with 36 bytes (case 5: short data, residue 60) */
    h = host_new(image_path, NULL);
    CHECK(msc_open(&s, &h, 64));
    CHECK_EQ(msc_command(&s, 0, inq96, 6, inq, 96, &n, csw), 0);
    CHECK_EQ(n, 36);
    CHECK_EQ(get32(csw + 8), 60);
    otg_destroy(h.m);
}

static void test_txerr_and_babble(void)
{
    struct host h = host_new(image_path, "txerr_every=4\n");
    CHECK(host_bring_up(&h));
    host_xact_retries = 0;
    uint8_t d[18];
    uint32_t n;
    int errors = 0, oks = 0;
    for (int i = 0; i < 12; i++) {
        int r = get_descriptor(&h, 0, 64, 1, 18, d, &n);
        errors += r == XR_XACT;
        oks += r == XR_OK;
    }
    CHECK(errors > 0);
    CHECK(oks > 0);
    CHECK(stats_of(&h).xact_errors > 0);
    host_xact_retries = 3; /* with retries every transfer gets through */
    errors = 0;
    for (int i = 0; i < 12; i++)
        errors += get_descriptor(&h, 0, 64, 1, 18, d, &n) != XR_OK || n != 18;
    CHECK_EQ(errors, 0);
    otg_destroy(h.m);

    h = host_new(image_path, "babble_once=1\n");
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    uint8_t cdb[10], buf[512];
    cdb_read10(cdb, 0, 1);
    CHECK_EQ(msc_send_cbw(&s, 0, cdb, 10, 512, 1), XR_OK);
    CHECK_EQ(msc_in(&s, buf, 512, &n), XR_BABBLE);
    CHECK_EQ(n, 0);
    /* the device was not acknowledged: the retry gets the same first packet */
    CHECK_EQ(msc_in(&s, buf, 512, &n), XR_OK);
    CHECK_EQ(n, 512);
    CHECK_EQ(buf[0], image_byte(0));
    otg_destroy(h.m);
}

static void test_disconnect_after_bytes(void)
{
    struct host h = host_new(image_path, "disconnect_after_bytes=1000\n");
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    uint8_t cdb[10], buf[2048], csw[13];
    uint32_t n;
    cdb_read10(cdb, 0, 4);
    CHECK_EQ(msc_command(&s, 0, cdb, 10, buf, 2048, &n, csw), -1);
    CHECK_EQ(rd(&h, R_HPRT) & 5, 0);
    CHECK(rd(&h, R_GINTSTS) & (1u << 29));
    CHECK(stats_of(&h).usb_in_bytes < 1000);
    /* a VBUS cycle brings it back */
    otg_set_vbus(h.m, 0, h.now);
    sleep_ns(&h, 10 * MS_NS);
    otg_set_vbus(h.m, 1, h.now);
    CHECK(WAIT_FOR(&h, rd(&h, R_HPRT) & 1, 100 * MS_NS));
    otg_destroy(h.m);
}

static void test_hostile_devices(void)
{
    struct host h = host_new(image_path, "stall_all=1\n");
    CHECK(host_bring_up(&h));
    uint8_t d[255];
    uint32_t n;
    CHECK_EQ(get_descriptor(&h, 0, 64, 1, 8, d, &n), XR_STALL);
    CHECK_EQ(set_request(&h, 0, 64, 0x00, 5, 1, 0), XR_STALL);
    otg_destroy(h.m);

    h = host_new(image_path, "garbage_descriptors=1\n");
    CHECK(host_bring_up(&h));
    CHECK_EQ(get_descriptor(&h, 0, 64, 2, 255, d, &n), XR_OK);
    CHECK_EQ(d[2] | d[3] << 8, 0xFF); /* promises 255 */
    CHECK(n < 0xFF);                  /* delivers less */
    CHECK_EQ(d[9], 0);                /* a zero-length descriptor */
    otg_destroy(h.m);

    h = host_new(image_path, "garbage_descriptors=2\n");
    CHECK(host_bring_up(&h));
    CHECK_EQ(get_descriptor(&h, 0, 64, 1, 18, d, &n), XR_OK);
    CHECK_EQ(d[0], 0);
    CHECK(d[1] != 1);
    otg_destroy(h.m);
}

static void test_invalid_cbw_needs_reset_recovery(void)
{
    struct host h = host_new(image_path, NULL);
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    struct chan_cfg out = {2, 1, 2, 2, 64};
    uint8_t junk[31] = {'U', 'S', 'B', 'X'};
    CHECK_EQ(host_out(&h, &out, s.out_pid, junk, 31, &s.out_pid, MS_NS), XR_OK);
    uint8_t csw[13];
    uint32_t n;
    CHECK_EQ(msc_in(&s, csw, 13, &n), XR_STALL);
    /* CLEAR_FEATURE alone does not help: still stalled until the BOMS reset */
    CHECK_EQ(clear_halt(&s, 0x81), XR_OK);
    CHECK_EQ(clear_halt(&s, 0x02), XR_OK);
    CHECK_EQ(msc_send_cbw(&s, 0, TUR, 6, 0, 0), XR_STALL);
    CHECK_EQ(set_request(&h, 1, s.mps0, 0x21, 0xFF, 0, 0), XR_OK);
    CHECK_EQ(stats_of(&h).bot_resets, 1);
    CHECK_EQ(msc_send_cbw(&s, 0, TUR, 6, 0, 0), XR_STALL); /* halts survive the BOMS reset */
    CHECK_EQ(clear_halt(&s, 0x81), XR_OK);
    CHECK_EQ(clear_halt(&s, 0x02), XR_OK);
    CHECK_EQ(msc_command(&s, 0, TUR, 6, NULL, 0, &n, csw), 0);
    otg_destroy(h.m);
}

/* The same inputs give the same bytes: time, counters and trace. */
static uint64_t scripted_run(struct otg_stats *st, char *log, size_t log_len)
{
    test_log_clear();
    struct host h = host_new(image_path, "nak_every=5\ntxerr_every=97\nread_latency_us=700\n");
    otg_set_trace(h.m, 3);
    struct msc s;
    if (msc_open(&s, &h, 64)) {
        uint8_t cdb[10];
        cdb_read10(cdb, 7, 8);
        status_of(&s, 0, cdb, 10, 4096);
    }
    otg_get_stats(h.m, st);
    snprintf(log, log_len, "%s", test_log);
    uint64_t t = h.now;
    otg_destroy(h.m);
    return t;
}

static void test_determinism_and_trace(void)
{
    static char log1[1 << 16], log2[1 << 16];
    struct otg_stats a, b;
    uint64_t t1 = scripted_run(&a, log1, sizeof(log1));
    uint64_t t2 = scripted_run(&b, log2, sizeof(log2));
    CHECK_EQ(t1, t2);
    CHECK(!memcmp(&a, &b, sizeof(a)));
    CHECK(!strcmp(log1, log2));
    CHECK(strstr(log1, "scsi: lun0 READ(10) lba=7 blocks=8 len=4096 -> good") != NULL);
    CHECK(strstr(log1, "usb: port: enabled, full speed") != NULL);
    CHECK(strstr(log1, "SETUP dev 0: 80 06 0100 0000 0008") != NULL);
    /* one line per transfer, not per packet: far fewer lines than the 64+ packets */
    unsigned lines = 0;
    for (const char *p = log1; *p; p++)
        lines += *p == '\n';
    CHECK(lines < 80);
    CHECK(a.transactions > 100);
}

static void test_image_is_read_only(void)
{
    FILE *f = fopen(image_path, "rb");
    uint8_t head[64];
    CHECK(f && fread(head, 1, 64, f) == 64);
    if (f)
        fclose(f);
    int same = 1;
    for (int i = 0; i < 64; i++)
        same &= head[i] == image_byte((uint64_t)i);
    CHECK(same);
}

/* The sample profiles in tests/fixtures/profiles load, and the stick enumerates with each
 * (except the one that stalls everything). */
static void test_fixture_profiles(void)
{
    glob_t g;
    CHECK_EQ(glob("tests/fixtures/profiles/*.prof", 0, NULL, &g), 0);
    CHECK(g.gl_pathc >= 10);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char err[256] = "";
        struct otg_model *m = otg_create(image_path, g.gl_pathv[i], err, sizeof(err));
        if (!m) {
            printf("  %s: %s\n", g.gl_pathv[i], err);
            CHECK(m != NULL);
            continue;
        }
        struct host h = {m, 0};
        otg_power_on(m, 0);
        otg_set_plugged(m, 1, 0);
        unsigned mps0 = 0;
        int ok = host_bring_up(&h) && host_enumerate(&h, &mps0);
        if (strstr(g.gl_pathv[i], "stall-all"))
            CHECK(!ok);
        else if (!ok)
            printf("  %s does not enumerate\n", g.gl_pathv[i]);
        if (!strstr(g.gl_pathv[i], "stall-all"))
            CHECK(ok);
        otg_destroy(m);
    }
    globfree(&g);
}

int main(void)
{
    snprintf(image_path, sizeof(image_path), "/tmp/test_stick_%d.img", (int)getpid());
    make_image(image_path, IMAGE_BYTES);
    chmod(image_path, 0444); /* the model must open it read-only */
    test_log_echo = getenv("TEST_OTG_LOG") != NULL;
    RUN_TEST(test_profile_errors_name_the_key);
    RUN_TEST(test_identity_and_descriptor_keys);
    RUN_TEST(test_bulk_mps_16_reads);
    RUN_TEST(test_luns_and_lun_kinds);
    RUN_TEST(test_connect_delay);
    RUN_TEST(test_not_ready_and_unit_attention);
    RUN_TEST(test_get_max_lun_values);
    RUN_TEST(test_max_sectors);
    RUN_TEST(test_latency_and_nak_keys);
    RUN_TEST(test_csw_quirks);
    RUN_TEST(test_skip_data_phase_once);
    RUN_TEST(test_capacity_off_by_one_and_block_size);
    RUN_TEST(test_inquiry_needs_36);
    RUN_TEST(test_txerr_and_babble);
    RUN_TEST(test_disconnect_after_bytes);
    RUN_TEST(test_hostile_devices);
    RUN_TEST(test_invalid_cbw_needs_reset_recovery);
    RUN_TEST(test_determinism_and_trace);
    RUN_TEST(test_image_is_read_only);
    RUN_TEST(test_fixture_profiles);
    unlink(image_path);
    return HARNESS_EXIT();
}
