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
    /* 16 blocks = 128 packets of 64 bytes, each NAKed until 100 us after the one before: the
     * gaps set the pace (the bus alone takes ~56 us per packet here) */
    read_cost("packet_gap_us=100\n", &ns, &naks, &st);
    CHECK_EQ(st, 0);
    CHECK(ns >= 127 * 100000ull && ns < 128 * 100000ull + base_ns);
    CHECK(naks >= 127);
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

static char image2_path[64];

/* The 4-byte big-endian field at p. */
static uint32_t be32_at(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* First byte of block lba (512-byte blocks) read from lun, or -1. */
static int first_byte(struct msc *s, uint8_t lun, uint32_t lba)
{
    static uint8_t buf[512];
    uint8_t cdb[10], csw[13];
    uint32_t n = 0;
    cdb_read10(cdb, lba, 1);
    if (msc_command(s, lun, cdb, 10, buf, 512, &n, csw) != 0 || n != 512)
        return -1;
    return buf[0];
}

static void test_per_lun_images(void)
{
    char prof[256];
    /* LUN 0 empty, LUN 1 a card with an image of its own (half the size), LUN 2 the --stick
     * image. */
    snprintf(prof, sizeof prof, "luns=3\nlun.0=empty\nlun.1.image=%s\n", image2_path);
    struct host h = host_new(image_path, prof);
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    uint8_t cap[8], csw[13];
    uint32_t n;
    CHECK_EQ(status_of(&s, 0, TUR, 6, 0), 1);
    CHECK_EQ(sense_of(&s, 0), 0x023A00);
    CHECK_EQ(msc_command(&s, 1, CAP10, 10, cap, 8, &n, csw), 0);
    CHECK_EQ(be32_at(cap), IMAGE_BYTES / 2 / 512 - 1);
    CHECK_EQ(msc_command(&s, 2, CAP10, 10, cap, 8, &n, csw), 0);
    CHECK_EQ(be32_at(cap), IMAGE_BYTES / 512 - 1);
    CHECK_EQ(first_byte(&s, 1, 7), image_byte(7 * 512) ^ 0x5A);
    CHECK_EQ(first_byte(&s, 2, 7), image_byte(7 * 512));
    otg_destroy(h.m);

    char err[256] = "";
    make_profile("/tmp/test_stick_lun.prof", "lun.1.image=/nonexistent/card.img\n");
    CHECK(otg_create(image_path, "/tmp/test_stick_lun.prof", err, sizeof err) == NULL);
    CHECK(strstr(err, "/nonexistent/card.img") != NULL);
    make_profile("/tmp/test_stick_lun.prof", "lun.1.colour=red\n");
    CHECK(otg_create(image_path, "/tmp/test_stick_lun.prof", err, sizeof err) == NULL);
    CHECK(strstr(err, "lun.1.colour") != NULL);
    unlink("/tmp/test_stick_lun.prof");
}

static void test_raw_read_capacity(void)
{
    /* Any 8 bytes: last LBA 0xFFFFFFFF, 0, block lengths that are not powers of two. */
    static const uint64_t replies[] = {0xFFFFFFFF00000200ull, 0x0000000000000200ull,
                                       0x00001000000001FFull, 0x0000100000010000ull,
                                       0x1234567800000000ull};
    for (unsigned i = 0; i < sizeof replies / sizeof replies[0]; i++) {
        char prof[128];
        snprintf(prof, sizeof prof, "read_capacity=0x%016llx\nlun.1.read_capacity=7\nluns=2\n",
                 (unsigned long long)replies[i]);
        struct host h = host_new(image_path, prof);
        struct msc s;
        CHECK(msc_open(&s, &h, 64));
        uint8_t cap[8], csw[13];
        uint32_t n;
        CHECK_EQ(msc_command(&s, 0, CAP10, 10, cap, 8, &n, csw), 0);
        CHECK_EQ(be32_at(cap), (uint32_t)(replies[i] >> 32));
        CHECK_EQ(be32_at(cap + 4), (uint32_t)replies[i]);
        CHECK_EQ(msc_command(&s, 1, CAP10, 10, cap, 8, &n, csw), 0);
        CHECK_EQ(be32_at(cap), 0);
        CHECK_EQ(be32_at(cap + 4), 7);
        /* The medium itself is unchanged: 512-byte blocks of the image. */
        CHECK_EQ(first_byte(&s, 0, 9), image_byte(9 * 512));
        otg_destroy(h.m);
    }
}

/* Time of one READ(10) of one block at lba, and its first byte. */
static int timed_first_byte(struct msc *s, uint32_t lba, uint64_t *ns)
{
    uint64_t t0 = s->h->now;
    int b = first_byte(s, 0, lba);
    *ns = s->h->now - t0;
    return b;
}

static void test_second_image_after_reads(void)
{
    char prof[256];
    snprintf(prof, sizeof prof,
             "second_image=%s\nsecond_image_after_reads=2\nsecond_read_latency_us=5000\n",
             image2_path);
    struct host h = host_new(image_path, prof);
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    uint64_t t1, t2, t3, t4;
    CHECK_EQ(timed_first_byte(&s, 3, &t1), image_byte(3 * 512));
    CHECK_EQ(timed_first_byte(&s, 3, &t2), image_byte(3 * 512));
    CHECK_EQ(timed_first_byte(&s, 3, &t3), image_byte(3 * 512) ^ 0x5A); /* the third READ(10) */
    CHECK_EQ(timed_first_byte(&s, 4, &t4), image_byte(4 * 512) ^ 0x5A);
    CHECK(t1 < 2 * MS_NS && t2 < 2 * MS_NS);
    CHECK(t3 >= 5 * MS_NS && t4 >= 5 * MS_NS);
    /* The capacity stays that of the stick, not of the (smaller) second image. */
    uint8_t cap[8], csw[13];
    uint32_t n;
    CHECK_EQ(msc_command(&s, 0, CAP10, 10, cap, 8, &n, csw), 0);
    CHECK_EQ(be32_at(cap), IMAGE_BYTES / 512 - 1);
    otg_destroy(h.m);

    /* Latency alone changes. */
    h = host_new(image_path, "second_image_after_reads=1\nsecond_read_latency_us=3000\n");
    CHECK(msc_open(&s, &h, 64));
    CHECK_EQ(timed_first_byte(&s, 5, &t1), image_byte(5 * 512));
    CHECK_EQ(timed_first_byte(&s, 5, &t2), image_byte(5 * 512));
    CHECK(t1 < 2 * MS_NS && t2 >= 3 * MS_NS);
    otg_destroy(h.m);

    char err[256] = "";
    make_profile("/tmp/test_stick_2nd.prof", "second_read_latency_us=10\n");
    CHECK(otg_create(image_path, "/tmp/test_stick_2nd.prof", err, sizeof err) == NULL);
    CHECK(strstr(err, "second_image_after_reads") != NULL);
    unlink("/tmp/test_stick_2nd.prof");
}

/* Time from VBUS on until TEST UNIT READY first passes, polling every poll_ns. */
static uint64_t ready_after(const char *profile, uint64_t poll_ns, unsigned *turs)
{
    struct host h = host_new(image_path, profile);
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    *turs = 0;
    for (;;) {
        (*turs)++;
        int st = status_of(&s, 0, TUR, 6, 0);
        if (st == 0 || h.now > 5000 * MS_NS)
            break;
        CHECK_EQ(sense_of(&s, 0), 0x020401);
        sleep_ns(&h, poll_ns);
    }
    uint64_t t = h.now;
    otg_destroy(h.m);
    return t;
}

static void test_not_ready_by_time(void)
{
    unsigned fast_turs, slow_turs;
    uint64_t fast = ready_after("not_ready_ms=400\n", 1 * MS_NS, &fast_turs);
    uint64_t slow = ready_after("not_ready_ms=400\n", 100 * MS_NS, &slow_turs);
    /* VBUS comes on at about 25 ms (host_core_init); ready 400 ms later whoever asks. */
    CHECK(fast >= 400 * MS_NS && fast < 440 * MS_NS);
    CHECK(slow >= fast && slow < fast + 100 * MS_NS);
    CHECK(fast_turs > 10 * slow_turs / 2);
    /* The counted kind, for contrast: the fast poller gets through sooner. */
    uint64_t counted = ready_after("not_ready_count=5\n", 1 * MS_NS, &fast_turs);
    CHECK_EQ(fast_turs, 6);
    CHECK(counted < 300 * MS_NS);
}

static void test_block_size_64k(void)
{
    struct host h = host_new(image_path, "block_size=65536\n");
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    uint8_t cap[8], csw[13], cdb[10];
    static uint8_t buf[2 * 65536];
    uint32_t n;
    CHECK_EQ(msc_command(&s, 0, CAP10, 10, cap, 8, &n, csw), 0);
    CHECK_EQ(be32_at(cap), IMAGE_BYTES / 65536 - 1);
    CHECK_EQ(be32_at(cap + 4), 65536);
    /* 128 KB in 16 KB pieces: a channel moves at most 1023 packets per transfer. */
    cdb_read10(cdb, 3, 2);
    CHECK_EQ(msc_send_cbw(&s, 0, cdb, 10, sizeof buf, 1), XR_OK);
    for (uint32_t off = 0; off < sizeof buf; off += 16384) {
        CHECK_EQ(msc_in(&s, buf + off, 16384, &n), XR_OK);
        CHECK_EQ(n, 16384);
    }
    CHECK_EQ(msc_in(&s, csw, 13, &n), XR_OK);
    CHECK_EQ(n, 13);
    CHECK_EQ(csw[12], 0);
    CHECK_EQ(buf[77], image_byte(3 * 65536 + 77));
    CHECK_EQ(buf[65536 + 77], image_byte(4 * 65536 + 77));
    otg_destroy(h.m);
    char err[256] = "";
    make_profile("/tmp/test_stick_bs.prof", "block_size=65537\n");
    CHECK(otg_create(image_path, "/tmp/test_stick_bs.prof", err, sizeof err) == NULL);
    unlink("/tmp/test_stick_bs.prof");
}

static void test_last_sector_bug(void)
{
    const uint32_t last = IMAGE_BYTES / 512 - 1;
    struct host h = host_new(image_path, "last_sector_bug=8\n");
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    uint8_t cdb[10];
    cdb_read10(cdb, last - 20, 13); /* ends 8 blocks before the end: fine */
    CHECK_EQ(status_of(&s, 0, cdb, 10, 13 * 512), 0);
    CHECK_EQ(first_byte(&s, 0, last), image_byte((uint64_t)last * 512)); /* one block: fine */
    cdb_read10(cdb, last - 20, 14); /* touches the last 8: the data never comes */
    CHECK_EQ(status_of(&s, 0, cdb, 10, 14 * 512), -1);
    /* Reset Recovery brings it back. */
    uint8_t reset[8] = {0x21, 0xFF, 0, 0, 0, 0, 0, 0};
    CHECK_EQ(host_control(&h, 1, s.mps0, reset, NULL, NULL), XR_OK);
    CHECK_EQ(clear_halt(&s, 0x81), XR_OK);
    CHECK_EQ(clear_halt(&s, 0x02), XR_OK);
    CHECK_EQ(first_byte(&s, 0, last - 1), image_byte((uint64_t)(last - 1) * 512));
    otg_destroy(h.m);
}

static void test_hang_above_sectors(void)
{
    struct host h = host_new(image_path, "hang_above_sectors=16\n");
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    uint8_t cdb[10];
    cdb_read10(cdb, 100, 16);
    CHECK_EQ(status_of(&s, 0, cdb, 10, 16 * 512), 0);
    cdb_read10(cdb, 100, 17);
    CHECK_EQ(status_of(&s, 0, cdb, 10, 17 * 512), -1); /* NAKs until the host gives up */
    otg_destroy(h.m);
}

static void test_composite_devices(void)
{
    struct host h = host_new(image_path, "composite=cdc+hid\nmsc_alt_setting=1\n"
                                         "config_padding=300\nconfig_tail=40\n");
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    static uint8_t d[4096];
    uint32_t n;
    CHECK_EQ(get_descriptor(&h, 1, s.mps0, 1, 18, d, &n), XR_OK);
    CHECK_EQ(d[4], 0xEF); /* IAD device class */
    CHECK_EQ(get_descriptor(&h, 1, s.mps0, 2, 4096, d, &n), XR_OK);
    CHECK_EQ(n, d[2] | d[3] << 8);
    CHECK(n > 255 + 40);
    CHECK_EQ(d[4], 4); /* CDC comm, CDC data, HID, mass storage */
    /* Walk it: the mass-storage interface is number 3, alternate setting 1, past byte 255. */
    unsigned msc_at = 0, pos = 0;
    while (pos < n && d[pos] >= 2) {
        if (d[pos + 1] == 4 && d[pos + 5] == 8 && d[pos + 6] == 6 && d[pos + 7] == 0x50)
            msc_at = pos;
        pos += d[pos];
    }
    CHECK_EQ(pos, n);
    CHECK(msc_at > 255);
    CHECK_EQ(d[msc_at + 2], 3);
    CHECK_EQ(d[msc_at + 3], 1);
    /* Class requests STALL unless wIndex names interface 3. */
    uint8_t v = 0;
    uint8_t gml[8] = {0xA1, 0xFE, 0, 0, 0, 0, 1, 0};
    CHECK_EQ(host_control(&h, 1, s.mps0, gml, &v, &n), XR_STALL);
    gml[4] = 3;
    CHECK_EQ(host_control(&h, 1, s.mps0, gml, &v, &n), XR_OK);
    uint8_t reset[8] = {0x21, 0xFF, 0, 0, 0, 0, 0, 0};
    CHECK_EQ(host_control(&h, 1, s.mps0, reset, NULL, NULL), XR_STALL);
    reset[4] = 3;
    CHECK_EQ(host_control(&h, 1, s.mps0, reset, NULL, NULL), XR_OK);
    /* The bulk pair belongs to alternate setting 1: silent before SET_INTERFACE. */
    int saved = host_xact_retries;
    host_xact_retries = 0;
    CHECK_EQ(status_of(&s, 0, TUR, 6, 0), -1);
    host_xact_retries = saved;
    CHECK_EQ(set_request(&h, 1, s.mps0, 0x01, 11, 2, 3), XR_STALL); /* no alternate 2 */
    CHECK_EQ(set_request(&h, 1, s.mps0, 0x01, 11, 1, 3), XR_OK);
    s.in_pid = s.out_pid = 0;
    CHECK_EQ(status_of(&s, 0, TUR, 6, 0), 0);
    CHECK_EQ(first_byte(&s, 0, 11), image_byte(11 * 512));
    otg_destroy(h.m);
}

/* Enumerates after a VBUS gap of off_ms following a configured session. */
static int enumerates_after_gap(unsigned off_ms)
{
    struct host h = host_new(image_path, "vbus_off_min_ms=300\nwarm_reset_hang=1\n");
    unsigned mps0;
    int ok = host_bring_up(&h) && host_enumerate(&h, &mps0);
    CHECK(ok);
    otg_set_vbus(h.m, 0, h.now);
    sleep_ns(&h, (uint64_t)off_ms * MS_NS);
    otg_set_vbus(h.m, 1, h.now);
    ok = WAIT_FOR(&h, rd(&h, R_HPRT) & 1, 2000 * MS_NS);
    sleep_ns(&h, 100 * MS_NS);
    ok = ok && host_port_reset(&h, 15 * MS_NS);
    uint8_t d[18];
    uint32_t n = 0;
    int saved = host_xact_retries;
    host_xact_retries = 0;
    ok = ok && get_descriptor(&h, 0, 64, 1, 8, d, &n) == XR_OK && n == 8;
    host_xact_retries = saved;
    otg_destroy(h.m);
    return ok;
}

static void test_deaf_after_reset(void)
{
    struct host h = host_new(image_path, "deaf_after_reset_ms=100\n");
    CHECK(host_bring_up(&h)); /* the reset ends; 10 ms of recovery have passed */
    uint8_t d[18];
    uint32_t n = 0;
    int saved = host_xact_retries;
    host_xact_retries = 0;
    CHECK_EQ(get_descriptor(&h, 0, 64, 1, 8, d, &n), XR_XACT); /* no answer at all */
    sleep_ns(&h, 85 * MS_NS);                                  /* 95 ms after the reset */
    CHECK_EQ(get_descriptor(&h, 0, 64, 1, 8, d, &n), XR_XACT);
    sleep_ns(&h, 20 * MS_NS); /* 115 ms */
    CHECK_EQ(get_descriptor(&h, 0, 64, 1, 8, d, &n), XR_OK);
    host_xact_retries = saved;
    otg_destroy(h.m);
}

/* ep0_nak_ms: the data and status stages NAK that long after each SETUP, then answer. */
static void test_ep0_nak(void)
{
    uint8_t d[18];
    uint32_t n = 0;
    struct host h = host_new(image_path, "ep0_nak_ms=300\n");
    CHECK(host_bring_up(&h));
    uint64_t t0 = h.now, naks = nak_total;
    CHECK_EQ(get_descriptor(&h, 0, 64, 1, 18, d, &n), XR_OK);
    CHECK_EQ(n, 18u);
    CHECK(h.now - t0 >= 300 * MS_NS);
    CHECK(nak_total > naks);
    otg_destroy(h.m);
    h = host_new(image_path, "ep0_nak_ms=1500\n"); /* longer than the helper's 1 s budget */
    CHECK(host_bring_up(&h));
    CHECK_EQ(get_descriptor(&h, 0, 64, 1, 18, d, &n), XR_NAK_TIMEOUT);
    otg_destroy(h.m);
}

/* ep0_data_ms / ep0_status_ms / ep0_class_ms (USB 2.0 9.2.6.4 stage times): a standard
 * GET_DESCRIPTOR waits for the first data packet, then for the status stage; a class delay
 * leaves standard requests alone. */
static void test_ep0_stage_times(void)
{
    static const struct {
        const char *profile;
        unsigned lo_ms, hi_ms;
    } cases[] = {
        {"ep0_data_ms=300\n", 300, 400},
        {"ep0_status_ms=50\n", 50, 100}, /* the helper's status stage waits 100 ms at most */
        {"ep0_data_ms=300\nep0_status_ms=50\n", 350, 450},
        {"ep0_class_ms=300\n", 0, 100},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t d[18];
        uint32_t n = 0;
        struct host h = host_new(image_path, cases[i].profile);
        CHECK(host_bring_up(&h));
        uint64_t t0 = h.now;
        CHECK_EQ(get_descriptor(&h, 0, 64, 1, 18, d, &n), XR_OK);
        CHECK_EQ(n, 18u);
        CHECK(h.now - t0 >= cases[i].lo_ms * MS_NS);
        CHECK(h.now - t0 < cases[i].hi_ms * MS_NS);
        otg_destroy(h.m);
    }
}

static void test_vbus_off_min_and_warm_reset_hang(void)
{
    CHECK(!enumerates_after_gap(0));   /* an MCU reset that keeps VBUS: hung */
    CHECK(!enumerates_after_gap(100)); /* too short */
    CHECK(enumerates_after_gap(300));
    /* Without warm_reset_hang a short gap keeps the SCSI state (the medium stays ready), a
     * long one is a power-on (not ready again). */
    for (unsigned gap = 50; gap <= 350; gap += 300) {
        struct host h = host_new(image_path, "vbus_off_min_ms=300\nnot_ready_count=2\n");
        struct msc s;
        CHECK(msc_open(&s, &h, 64));
        CHECK_EQ(status_of(&s, 0, TUR, 6, 0), 1);
        CHECK_EQ(status_of(&s, 0, TUR, 6, 0), 1);
        CHECK_EQ(status_of(&s, 0, TUR, 6, 0), 0);
        otg_set_vbus(h.m, 0, h.now);
        sleep_ns(&h, gap * MS_NS);
        otg_set_vbus(h.m, 1, h.now);
        CHECK(WAIT_FOR(&h, rd(&h, R_HPRT) & 1, 2000 * MS_NS));
        sleep_ns(&h, 100 * MS_NS);
        CHECK(host_port_reset(&h, 15 * MS_NS));
        CHECK(host_enumerate(&h, &s.mps0));
        s.in_pid = s.out_pid = 0;
        CHECK_EQ(status_of(&s, 0, TUR, 6, 0), gap < 300 ? 0 : 1);
        otg_destroy(h.m);
    }
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
    snprintf(image2_path, sizeof(image2_path), "/tmp/test_stick_%d_2.img", (int)getpid());
    {
        static uint8_t second[IMAGE_BYTES / 2];
        for (size_t i = 0; i < sizeof second; i++)
            second[i] = image_byte(i) ^ 0x5A; /* a different medium, half the size */
        write_file(image2_path, second, sizeof second);
    }
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
    RUN_TEST(test_per_lun_images);
    RUN_TEST(test_raw_read_capacity);
    RUN_TEST(test_second_image_after_reads);
    RUN_TEST(test_not_ready_by_time);
    RUN_TEST(test_block_size_64k);
    RUN_TEST(test_last_sector_bug);
    RUN_TEST(test_composite_devices);
    RUN_TEST(test_vbus_off_min_and_warm_reset_hang);
    RUN_TEST(test_deaf_after_reset);
    RUN_TEST(test_ep0_nak);
    RUN_TEST(test_ep0_stage_times);
    RUN_TEST(test_hang_above_sectors);
    unlink(image_path);
    unlink(image2_path);
    return HARNESS_EXIT();
}
