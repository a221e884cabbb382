/* Register-level tests of the OTG_FS host-mode model (emu/otg.c) with the stick behind it. */
#define HARNESS_SUITE "test_otg"
#include "harness.h"
#include "test_otg_host.h"

static char image_path[64];
#define IMAGE_BYTES (4u << 20)

static struct otg_stats stats_of(struct host *h)
{
    struct otg_stats s;
    otg_get_stats(h->m, &s);
    return s;
}

static void test_reset_values(void)
{
    struct host h = host_new(image_path, NULL);
    CHECK_EQ(rd(&h, 0x03C), 0x00001200);
    CHECK_EQ(rd(&h, R_GRSTCTL), 0x80000000u); /* AHB idle */
    CHECK_EQ(rd(&h, R_GINTSTS), 0x04000020);  /* device mode until FHMOD; TX FIFOs empty */
    CHECK_EQ(rd(&h, R_GUSBCFG), 0x00000A00);
    CHECK_EQ(rd(&h, R_GRXFSIZ), 0x200);
    /* host registers in device mode: mode mismatch, reads as 0 */
    CHECK_EQ(rd(&h, R_HFIR), 0);
    CHECK(rd(&h, R_GINTSTS) & 2);
    otg_destroy(h.m);
}

static void test_soft_reset_and_cmod_delay(void)
{
    struct host h = host_new(image_path, NULL);
    wr(&h, R_GRSTCTL, 1);
    CHECK_EQ(rd(&h, R_GRSTCTL) & 0x80000001u, 1); /* CSRST set, AHB not idle */
    CHECK(WAIT_FOR(&h, !(rd(&h, R_GRSTCTL) & 1), MS_NS));
    CHECK(rd(&h, R_GRSTCTL) & 0x80000000u);
    uint64_t t0 = h.now;
    wr(&h, R_GUSBCFG, rd(&h, R_GUSBCFG) | (1u << 29) | (1u << 6));
    sleep_ns(&h, 24 * MS_NS);
    CHECK_EQ(rd(&h, R_GINTSTS) & 1, 0);
    CHECK(WAIT_FOR(&h, rd(&h, R_GINTSTS) & 1, 10 * MS_NS));
    CHECK(h.now - t0 >= 25 * MS_NS);
    CHECK_EQ(rd(&h, R_HFIR), 0xEA60);
    CHECK_EQ(rd(&h, R_HFNUM), 0x3FFF);
    CHECK_EQ(rd(&h, R_HCFG) & 4, 4);       /* FSLSS reads 1 */
    CHECK_EQ(rd(&h, R_HNPTXSTS) >> 16, 8); /* 8 free request-queue slots */
    otg_destroy(h.m);
}

static void test_connect_needs_vbus_ppwr_and_delay(void)
{
    struct host h = host_new(image_path, "connect_delay_ms=40\n");
    CHECK(host_core_init(&h)); /* PPWR and VBUS on at the end */
    uint64_t vbus_on = h.now;
    otg_set_vbus(h.m, 0, h.now);
    sleep_ns(&h, 200 * MS_NS);
    CHECK_EQ(rd(&h, R_HPRT) & 1, 0); /* no VBUS, no device */
    hprt_write(&h, 0, 1u << 12);     /* PPWR off */
    otg_set_vbus(h.m, 1, h.now);
    vbus_on = h.now;
    sleep_ns(&h, 200 * MS_NS);
    CHECK_EQ(rd(&h, R_HPRT) & 1, 0); /* no port power, no detection */
    hprt_write(&h, 1u << 12, 0);
    CHECK_EQ(rd(&h, R_HPRT) & 3, 3); /* PCSTS and PCDET at once: pulled up long ago */
    /* a fresh VBUS cycle: PCSTS only after connect_delay_ms */
    otg_set_vbus(h.m, 0, h.now);
    CHECK_EQ(rd(&h, R_HPRT) & 1, 0);
    CHECK(rd(&h, R_GINTSTS) & (1u << 29)); /* DISCINT */
    wr(&h, R_GINTSTS, 1u << 29);
    wr(&h, R_HPRT, (rd(&h, R_HPRT) & ~HPRT_W1C_BITS) | 2); /* clear PCDET */
    otg_set_vbus(h.m, 1, h.now);
    vbus_on = h.now;
    CHECK(WAIT_FOR(&h, rd(&h, R_HPRT) & 1, 500 * MS_NS));
    CHECK(h.now - vbus_on >= 40 * MS_NS && h.now - vbus_on < 41 * MS_NS);
    CHECK(rd(&h, R_HPRT) & 2);
    CHECK(rd(&h, R_GINTSTS) & (1u << 24)); /* HPRTINT */
    otg_destroy(h.m);
}

static void test_port_reset_timing(void)
{
    struct host h = host_new(image_path, NULL);
    CHECK(host_core_init(&h));
    CHECK(WAIT_FOR(&h, rd(&h, R_HPRT) & 1, 500 * MS_NS));
    /* too short a reset does nothing (and is reported) */
    hprt_write(&h, 1u << 8, 0);
    sleep_ns(&h, 5 * MS_NS);
    hprt_write(&h, 0, 1u << 8);
    sleep_ns(&h, 5 * MS_NS);
    CHECK_EQ(rd(&h, R_HPRT) & 4, 0);
    CHECK_EQ(stats_of(&h).protocol_errors, 1);
    CHECK_EQ(stats_of(&h).port_resets, 0);
    /* 10 ms: enabled shortly after the release, full speed */
    hprt_write(&h, 1u << 8, 0);
    CHECK_EQ(rd(&h, R_HPRT) & (3u << 10), 0); /* SE0 during reset */
    sleep_ns(&h, 10 * MS_NS);
    hprt_write(&h, 0, 1u << 8);
    uint64_t released = h.now;
    CHECK_EQ(rd(&h, R_HPRT) & 4, 0);
    CHECK(WAIT_FOR(&h, rd(&h, R_HPRT) & 4, MS_NS));
    CHECK(h.now - released >= 40000);
    uint32_t hprt = rd(&h, R_HPRT);
    CHECK(hprt & 8);               /* PENCHNG */
    CHECK_EQ((hprt >> 17) & 3, 1); /* PSPD full speed */
    CHECK_EQ((hprt >> 10) & 3, 1); /* J state: D+ high */
    CHECK_EQ(stats_of(&h).port_resets, 1);
    /* frames run: HFNUM counts milliseconds, SOF is flagged */
    wr(&h, R_HFIR, 48000);
    sleep_ns(&h, 2 * MS_NS); /* the new interval applies from the next frame */
    wr(&h, R_GINTSTS, 1u << 3);
    uint32_t f0 = rd(&h, R_HFNUM) & 0x3FFF;
    sleep_ns(&h, 5 * MS_NS);
    uint32_t f1 = rd(&h, R_HFNUM) & 0x3FFF;
    CHECK_EQ(f1 - f0, 5);
    CHECK(rd(&h, R_GINTSTS) & (1u << 3));
    otg_destroy(h.m);
}

static void test_hprt_w1c_traps(void)
{
    struct host h = host_new(image_path, NULL);
    CHECK(host_bring_up(&h));
    uint32_t hprt = rd(&h, R_HPRT);
    CHECK(hprt & 4);
    CHECK(hprt & 2); /* PCDET still set: nobody cleared it */
    /* The classic bug: read-modify-write of HPRT writes PENA=1 back and disables the port,
     * and writes PCDET=1 back and clears it. */
    wr(&h, R_HPRT, rd(&h, R_HPRT) | (1u << 12));
    hprt = rd(&h, R_HPRT);
    CHECK_EQ(hprt & 4, 0);
    CHECK_EQ(hprt & 2, 0);
    CHECK(hprt & 8); /* PENCHNG: the enable changed */
    CHECK(hprt & 1); /* still connected */
    /* writing PENA=0 cannot enable it again */
    wr(&h, R_HPRT, (hprt & ~HPRT_W1C_BITS) | (1u << 12));
    CHECK_EQ(rd(&h, R_HPRT) & 4, 0);
    /* a transfer on a disabled port never starts */
    struct chan_cfg out = {0, 0, 0, 0, 64};
    uint8_t setup[8] = {0x80, 6, 0, 1, 0, 0, 8, 0};
    CHECK_EQ(host_out(&h, &out, 3, setup, 8, NULL, MS_NS), XR_TIMEOUT);
    otg_destroy(h.m);
}

static void test_enumeration_ep0_mps8(void)
{
    struct host h = host_new(image_path, "ep0_mps=8\n");
    CHECK(host_bring_up(&h));
    uint8_t d[64];
    uint32_t n = 0;
    /* A host that assumes MPS 64 and asks for 18 bytes sees one 8-byte short packet. */
    CHECK_EQ(get_descriptor(&h, 0, 64, 1, 18, d, &n), XR_OK);
    CHECK_EQ(n, 8);
    CHECK_EQ(d[0], 18);
    CHECK_EQ(d[1], 1);
    CHECK_EQ(d[7], 8);
    /* the proper sequence: 8 bytes, SET_ADDRESS, 18 bytes at the new address */
    CHECK_EQ(get_descriptor(&h, 0, 64, 1, 8, d, &n), XR_OK);
    CHECK_EQ(n, 8);
    CHECK_EQ(set_request(&h, 0, 8, 0x00, 5, 7, 0), XR_OK);
    /* within the 2 ms SET_ADDRESS recovery the device does not answer */
    struct chan_cfg out = {0, 7, 0, 0, 8};
    uint8_t setup[8] = {0x80, 6, 0, 1, 0, 0, 18, 0};
    CHECK_EQ(host_out(&h, &out, 3, setup, 8, NULL, MS_NS), XR_XACT);
    sleep_ns(&h, 3 * MS_NS);
    /* the old address is dead */
    CHECK_EQ(get_descriptor(&h, 0, 8, 1, 18, d, &n), XR_XACT);
    memset(d, 0, sizeof(d));
    CHECK_EQ(get_descriptor(&h, 7, 8, 1, 18, d, &n), XR_OK);
    CHECK_EQ(n, 18);
    CHECK_EQ(d[8] | d[9] << 8, 0x0781);
    CHECK_EQ(d[17], 1);
    /* the configuration descriptor, truncated to 9 then whole (32 bytes) */
    CHECK_EQ(get_descriptor(&h, 7, 8, 2, 9, d, &n), XR_OK);
    CHECK_EQ(n, 9);
    unsigned total = d[2] | d[3] << 8;
    CHECK_EQ(total, 32);
    CHECK_EQ(get_descriptor(&h, 7, 8, 2, 255, d, &n), XR_OK);
    CHECK_EQ(n, 32);
    CHECK_EQ(d[9 + 5], 0x08);
    CHECK_EQ(d[9 + 6], 0x06);
    CHECK_EQ(d[9 + 7], 0x50);
    CHECK_EQ(d[18 + 2], 0x81);
    CHECK_EQ(d[25 + 2], 0x02);
    /* a device qualifier request stalls (full-speed-only device) */
    CHECK_EQ(get_descriptor(&h, 7, 8, 6, 10, d, &n), XR_STALL);
    otg_destroy(h.m);
}

/* A READ(10) of 8 sectors observed register by register: PKTCNT/XFRSIZ/DPID per packet, the
 * RX status sequence 2,2,...,2,3 and then 7 after the halt, CHH only after popping 7. */
static void test_multi_packet_in_bookkeeping(void)
{
    struct host h = host_new(image_path, NULL);
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    uint8_t cdb[10];
    cdb_read10(cdb, 10, 8);
    CHECK_EQ(msc_send_cbw(&s, 0, cdb, 10, 4096, 1), XR_OK);
    struct chan_cfg in = {3, 1, 1, 2, 64};
    wr(&h, R_HCINT(3), 0x7FF);
    wr(&h, R_HCTSIZ(3), 4096 | 64u << 19 | 0u << 29);
    wr(&h, R_HCCHAR(3), hcchar_of(&in, 1) | (1u << 31));
    unsigned statuses[80], nst = 0, ok_books = 1, ok_data = 1;
    uint32_t got = 0;
    while (nst < 80) {
        if (!WAIT_FOR(&h, rd(&h, R_GINTSTS) & (1u << 4), 10 * MS_NS))
            break;
        uint32_t peek = rd(&h, R_GRXSTSR);
        uint32_t st = rd(&h, R_GRXSTSP);
        CHECK_EQ(peek, st);
        unsigned pktsts = st >> 17 & 0xF, bcnt = st >> 4 & 0x7FF;
        statuses[nst++] = pktsts;
        CHECK_EQ(st & 0xF, 3);
        if (pktsts == 2) {
            CHECK_EQ(bcnt, 64);
            unsigned want_dpid = (got / 64) & 1 ? 2 : 0;
            if ((st >> 15 & 3) != want_dpid)
                ok_books = 0;
            for (unsigned i = 0; i < 16; i++) {
                uint32_t w = rd(&h, R_FIFO(0));
                for (unsigned k = 0; k < 4; k++)
                    if ((uint8_t)(w >> 8 * k) != image_byte(10 * 512 + got + i * 4 + k))
                        ok_data = 0;
            }
            got += 64;
            uint32_t tsiz = rd(&h, R_HCTSIZ(3));
            unsigned pkts = tsiz >> 19 & 0x3FF;
            if (pkts != 64 - got / 64 || (tsiz & 0x7FFFF) != 4096 - got ||
                (tsiz >> 29 & 3) != ((got / 64) & 1 ? 2u : 0u))
                ok_books = 0;
            if (pkts)
                wr(&h, R_HCCHAR(3), (rd(&h, R_HCCHAR(3)) & ~(1u << 30)) | (1u << 31));
        } else {
            break;
        }
    }
    CHECK(ok_books);
    CHECK(ok_data);
    CHECK_EQ(got, 4096);
    CHECK_EQ(nst, 65);
    CHECK_EQ(statuses[nst - 1], 3);
    /* XFRC appears once the "transfer completed" entry has been popped */
    CHECK(rd(&h, R_HCINT(3)) & 1);
    CHECK(rd(&h, R_HCCHAR(3)) & (1u << 31)); /* still enabled until halted */
    wr(&h, R_HCCHAR(3), rd(&h, R_HCCHAR(3)) | (1u << 30) | (1u << 31));
    CHECK(WAIT_FOR(&h, rd(&h, R_GINTSTS) & (1u << 4), MS_NS));
    sleep_ns(&h, MS_NS);
    CHECK_EQ(rd(&h, R_HCINT(3)) & 2, 0); /* no CHH before the pop */
    CHECK(rd(&h, R_HCCHAR(3)) & (1u << 30));
    uint32_t st = rd(&h, R_GRXSTSP);
    CHECK_EQ(st >> 17 & 0xF, 7);
    CHECK(rd(&h, R_HCINT(3)) & 2);
    CHECK_EQ(rd(&h, R_HCCHAR(3)) & (3u << 30), 0);
    CHECK(rd(&h, R_HAINT) & (1u << 3));
    CHECK(rd(&h, R_GINTSTS) & (1u << 25));
    wr(&h, R_HCINT(3), 0x7FF);
    CHECK_EQ(rd(&h, R_HAINT) & (1u << 3), 0);
    /* the CSW */
    s.in_pid = 0;
    uint8_t csw[13];
    uint32_t n = 0;
    CHECK_EQ(msc_in(&s, csw, 13, &n), XR_OK);
    CHECK_EQ(n, 13);
    CHECK_EQ(get32(csw), 0x53425355u);
    CHECK_EQ(get32(csw + 4), s.tag);
    CHECK_EQ(get32(csw + 8), 0);
    CHECK_EQ(csw[12], 0);
    otg_destroy(h.m);
}

/* RM0090, OTG_FS host programming model, "Bulk and control IN transactions" (slave mode):
 * setting CHENA writes one IN request to the non-periodic request queue, and the application
 * keeps writing HCCHAR for further requests until XFRC. So PKTCNT = 8 with one CHENA write
 * gives one IN token, not eight; each further write queues one more, and queued requests go
 * out back to back while the RX FIFO has room, whether or not the firmware has popped yet. */
static void test_one_in_token_per_chena_write(void)
{
    struct host h = host_new(image_path, NULL);
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    uint8_t cdb[10];
    cdb_read10(cdb, 0, 1);
    CHECK_EQ(msc_send_cbw(&s, 0, cdb, 10, 512, 1), XR_OK);
    struct chan_cfg in = {3, 1, 1, 2, 64};
    wr(&h, R_HCINT(3), 0x7FF);
    wr(&h, R_HCTSIZ(3), 512 | 8u << 19);
    uint32_t before = stats_of(&h).transactions;
    wr(&h, R_HCCHAR(3), hcchar_of(&in, 1) | (1u << 31));
    sleep_ns(&h, 3 * MS_NS);
    CHECK_EQ(stats_of(&h).transactions - before, 1);
    CHECK_EQ(rd(&h, R_HCTSIZ(3)) >> 19 & 0x3FF, 7);
    /* at the start of a frame, two more writes, nothing popped: two more packets, back to back
     * (52 us each, after the 3.6 us SOF) */
    wr(&h, R_GINTSTS, 1u << 3);
    CHECK(WAIT_FOR(&h, rd(&h, R_GINTSTS) & (1u << 3), 2 * MS_NS));
    uint64_t t1 = h.now;
    wr(&h, R_HCCHAR(3), rd(&h, R_HCCHAR(3)) | (1u << 31));
    wr(&h, R_HCCHAR(3), rd(&h, R_HCCHAR(3)) | (1u << 31));
    CHECK(WAIT_FOR(&h, (rd(&h, R_HCTSIZ(3)) >> 19 & 0x3FF) == 5, 3 * MS_NS));
    uint64_t took = h.now - t1;
    CHECK(took >= 104000 && took < 110000);
    sleep_ns(&h, 3 * MS_NS);
    CHECK_EQ(stats_of(&h).transactions - before, 3);
    for (unsigned p = 0; p < 3; p++) {
        uint32_t st = rd(&h, R_GRXSTSP);
        CHECK_EQ(st >> 17 & 0xF, 2);
        CHECK_EQ(st >> 4 & 0x7FF, 64);
        for (unsigned i = 0; i < 16; i++)
            rd(&h, R_FIFO(0));
    }
    CHECK_EQ(rd(&h, R_GINTSTS) & (1u << 4), 0); /* nothing else came */
    otg_destroy(h.m);
}

static void test_out_halt_is_direct_and_needs_queue_slot(void)
{
    struct host h = host_new(image_path, NULL);
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    /* Send a CBW for a 4 KB read, then queue IN requests without reading anything: the RX FIFO
     * (128 words) fills, the remaining requests wait, the queue fills up. */
    uint8_t cdb[10];
    cdb_read10(cdb, 0, 8);
    CHECK_EQ(msc_send_cbw(&s, 0, cdb, 10, 4096, 1), XR_OK);
    struct chan_cfg in = {3, 1, 1, 2, 64};
    wr(&h, R_HCTSIZ(3), 4096 | 64u << 19);
    for (int i = 0; i < 16; i++)
        wr(&h, R_HCCHAR(3), hcchar_of(&in, 1) | (1u << 31));
    CHECK_EQ(stats_of(&h).protocol_errors, 7); /* 1 on the bus + 8 queued; 7 lost */
    sleep_ns(&h, 2 * MS_NS);
    /* 7 packets of 17 words fill the 128-word RX FIFO; 2 requests wait */
    CHECK_EQ(rd(&h, R_HNPTXSTS) >> 16 & 0xFF, 6);
    for (int i = 0; i < 6; i++)
        wr(&h, R_HCCHAR(3), hcchar_of(&in, 1) | (1u << 31));
    CHECK_EQ(rd(&h, R_HNPTXSTS) >> 16 & 0xFF, 0); /* NPTQXSAV: no slot */
    uint32_t errs = stats_of(&h).protocol_errors;
    /* a halt needs a request-queue slot: ignored now */
    wr(&h, R_HCCHAR(3), rd(&h, R_HCCHAR(3)) | (1u << 30) | (1u << 31));
    CHECK_EQ(rd(&h, R_HCCHAR(3)) & (1u << 30), 0);
    CHECK_EQ(stats_of(&h).protocol_errors, errs + 1);
    /* pop one packet: one IN runs, a slot frees, the halt goes in */
    uint32_t st = rd(&h, R_GRXSTSP);
    CHECK_EQ(st >> 17 & 0xF, 2);
    for (int i = 0; i < 16; i++)
        rd(&h, R_FIFO(0));
    sleep_ns(&h, 200000);
    CHECK_EQ(rd(&h, R_HNPTXSTS) >> 16 & 0xFF, 1);
    wr(&h, R_HCCHAR(3), rd(&h, R_HCCHAR(3)) | (1u << 30) | (1u << 31));
    CHECK(rd(&h, R_HCCHAR(3)) & (1u << 30));
    /* the halt flushed the channel's pending INs; drain the FIFO until status 7 */
    unsigned last = 0, pops = 0;
    while (WAIT_FOR(&h, rd(&h, R_GINTSTS) & (1u << 4), MS_NS) && pops < 40) {
        st = rd(&h, R_GRXSTSP);
        last = st >> 17 & 0xF;
        pops++;
        for (unsigned i = 0; i < ((st >> 4 & 0x7FF) + 3) / 4; i++)
            rd(&h, R_FIFO(0));
        if (last == 7)
            break;
    }
    CHECK_EQ(last, 7);
    CHECK(rd(&h, R_HCINT(3)) & 2);
    CHECK_EQ(rd(&h, R_HNPTXSTS) >> 16 & 0xFF, 8);

    /* an OUT channel halts directly (no RX entry) */
    struct chan_cfg out = {2, 1, 2, 2, 64};
    wr(&h, R_HCINT(2), 0x7FF);
    wr(&h, R_HCTSIZ(2), 31 | 1u << 19);
    wr(&h, R_HCCHAR(2), hcchar_of(&out, 0) | (1u << 31));
    wr(&h, R_HCCHAR(2), rd(&h, R_HCCHAR(2)) | (1u << 30) | (1u << 31));
    CHECK(WAIT_FOR(&h, rd(&h, R_HCINT(2)) & 2, MS_NS));
    CHECK_EQ(rd(&h, R_GINTSTS) & (1u << 4), 0);
    otg_destroy(h.m);
}

static void test_read10_returns_image_bytes(void)
{
    struct host h = host_new(image_path, NULL);
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    static uint8_t buf[64 * 512];
    uint8_t cdb[10], csw[13];
    uint32_t got = 0;
    cdb_read10(cdb, 1000, 64);
    CHECK_EQ(msc_command(&s, 0, cdb, 10, buf, sizeof(buf), &got, csw), 0);
    CHECK_EQ(got, sizeof(buf));
    int same = 1;
    for (uint32_t i = 0; i < sizeof(buf); i++)
        if (buf[i] != image_byte(1000 * 512 + i))
            same = 0;
    CHECK(same);
    CHECK_EQ(get32(csw + 8), 0);
    struct otg_stats st = stats_of(&h);
    CHECK_EQ(st.read10_cmds, 1);
    CHECK_EQ(st.read10_bytes, sizeof(buf));
    CHECK_EQ(st.scsi_cmds, 1);
    /* out of range: CHECK CONDITION, data phase stalled, sense 05/21/00 */
    cdb_read10(cdb, IMAGE_BYTES / 512 - 1, 2);
    CHECK_EQ(msc_command(&s, 0, cdb, 10, buf, 1024, &got, csw), 1);
    CHECK_EQ(got, 0);
    CHECK_EQ(get32(csw + 8), 1024);
    uint8_t rs[6] = {0x03, 0, 0, 0, 18, 0}, sense[18];
    CHECK_EQ(msc_command(&s, 0, rs, 6, sense, 18, &got, csw), 0);
    CHECK_EQ(got, 18);
    CHECK_EQ(sense[0], 0x70);
    CHECK_EQ(sense[2], 5);
    CHECK_EQ(sense[12], 0x21);
    /* an unknown opcode (VERIFY(10)): ILLEGAL REQUEST 05/20/00 */
    uint8_t verify[10] = {0x2F};
    CHECK_EQ(msc_command(&s, 0, verify, 10, NULL, 0, &got, csw), 1);
    CHECK_EQ(msc_command(&s, 0, rs, 6, sense, 18, &got, csw), 0);
    CHECK_EQ(sense[2], 5);
    CHECK_EQ(sense[12], 0x20);
    /* READ CAPACITY(10): last LBA and block size */
    uint8_t rc[10] = {0x25}, cap[8];
    CHECK_EQ(msc_command(&s, 0, rc, 10, cap, 8, &got, csw), 0);
    CHECK_EQ((uint32_t)cap[0] << 24 | cap[1] << 16 | cap[2] << 8 | cap[3], IMAGE_BYTES / 512 - 1);
    CHECK_EQ(cap[6] << 8 | cap[7], 512);
    otg_destroy(h.m);
}

static void test_nak_counting_with_read_latency(void)
{
    struct host h = host_new(image_path, "read_latency_us=2000\n");
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    uint8_t cdb[10];
    cdb_read10(cdb, 0, 1);
    uint32_t naks_before = stats_of(&h).naks;
    CHECK_EQ(msc_send_cbw(&s, 0, cdb, 10, 512, 1), XR_OK);
    uint64_t cbw_done = h.now;
    uint8_t buf[512];
    uint32_t got = 0;
    CHECK_EQ(msc_in(&s, buf, 512, &got), XR_OK);
    CHECK_EQ(got, 512);
    CHECK(h.now - cbw_done >= 2000000);
    uint32_t naks = stats_of(&h).naks - naks_before;
    /* each NAKed IN takes ~6 us of bus time plus the host's re-enable: hundreds of them */
    CHECK(naks > 100 && naks < 400);
    /* without latency: none */
    uint8_t csw[13];
    uint32_t n;
    CHECK_EQ(msc_in(&s, csw, 13, &n), XR_OK);
    naks_before = stats_of(&h).naks;
    CHECK_EQ(msc_command(&s, 0, (uint8_t[6]){0}, 6, NULL, 0, NULL, csw), 0); /* TUR */
    CHECK_EQ(stats_of(&h).naks - naks_before, 0);
    otg_destroy(h.m);
}

static void test_bus_time_ceiling(void)
{
    struct host h = host_new(image_path, NULL);
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    static uint8_t buf[64 * 512];
    uint8_t cdb[10], csw[13];
    uint64_t t0 = h.now;
    uint32_t total = 0, got;
    int same = 1;
    for (uint32_t lba = 0; lba < 2048; lba += 64) {
        cdb_read10(cdb, lba, 64);
        if (msc_command(&s, 0, cdb, 10, buf, sizeof(buf), &got, csw) != 0)
            break;
        total += got;
        for (uint32_t i = 0; i < got; i += 509)
            if (buf[i] != image_byte((uint64_t)lba * 512 + i))
                same = 0;
    }
    uint64_t dt = h.now - t0;
    CHECK_EQ(total, 1u << 20);
    CHECK(same);
    /* 1 MB at no more than 19 x 64 bytes per 1 ms frame */
    CHECK(dt >= (uint64_t)(1e9 * (1 << 20) / 1216000.0));
    CHECK(dt < 1100 * MS_NS);
    printf("  1 MB READ(10) in %.1f ms of virtual time: %.3f MB/s\n", dt / 1e6,
           (1 << 20) / (dt / 1e9) / 1e6);
    otg_destroy(h.m);
}

static void test_disconnect_halts_channels(void)
{
    struct host h = host_new(image_path, NULL);
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    /* an IN that the device NAKs forever (no command pending) */
    struct chan_cfg in = {3, 1, 1, 2, 64};
    wr(&h, R_HCTSIZ(3), 64 | 1u << 19);
    wr(&h, R_HCCHAR(3), hcchar_of(&in, 1) | (1u << 31));
    sleep_ns(&h, MS_NS);
    CHECK(rd(&h, R_HCINT(3)) & (1u << 4));
    otg_set_plugged(h.m, 0, h.now);
    uint32_t hprt = rd(&h, R_HPRT);
    CHECK_EQ(hprt & 5, 0);
    CHECK(hprt & 8);
    CHECK(rd(&h, R_GINTSTS) & (1u << 29));
    CHECK(WAIT_FOR(&h, rd(&h, R_GINTSTS) & (1u << 4), MS_NS));
    CHECK_EQ(rd(&h, R_GRXSTSP) >> 17 & 0xF, 7);
    CHECK(rd(&h, R_HCINT(3)) & 2);
    /* plugged in again: connects after the delay, needs a new reset */
    otg_set_plugged(h.m, 1, h.now);
    CHECK(WAIT_FOR(&h, rd(&h, R_HPRT) & 1, 100 * MS_NS));
    CHECK_EQ(rd(&h, R_HPRT) & 4, 0);
    otg_destroy(h.m);
}

static void test_data_toggle_error(void)
{
    struct host h = host_new(image_path, NULL);
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    uint8_t cdb[10];
    cdb_read10(cdb, 0, 1);
    CHECK_EQ(msc_send_cbw(&s, 0, cdb, 10, 512, 1), XR_OK);
    /* expect DATA1 while the device sends DATA0: DTERR through status 5, data dropped */
    struct chan_cfg in = {3, 1, 1, 2, 64};
    uint8_t buf[512];
    uint32_t got = 0;
    CHECK_EQ(host_in(&h, &in, 2, buf, 512, &got, NULL, MS_NS), XR_TOGGLE);
    CHECK_EQ(got, 0);
    CHECK(stats_of(&h).xact_errors >= 1);
    otg_destroy(h.m);
}

static void test_out_nak_needs_halt_and_rewrite(void)
{
    struct host h = host_new(image_path, NULL);
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    uint8_t cdb[10];
    cdb_read10(cdb, 0, 1);
    CHECK_EQ(msc_send_cbw(&s, 0, cdb, 10, 512, 1), XR_OK);
    /* a second CBW before the data and CSW were read: NAKed; the packet is gone */
    CHECK_EQ(msc_send_cbw(&s, 0, cdb, 10, 512, 1), XR_NAK_TIMEOUT);
    CHECK(nak_total > 0);
    otg_destroy(h.m);
}

/* ---- corrections of issue 14: each of these failed on the earlier model ----------------- */

#define CHENA_BIT (1u << 31)
#define CHDIS_BIT (1u << 30)

/* A SETUP (GET_DESCRIPTOR device, 8 bytes) on channel n at address 0, waiting for XFRC only:
 * no halt afterwards. */
static int setup_no_halt(struct host *h, int n)
{
    static const uint8_t setup[8] = {0x80, 6, 0, 1, 0, 0, 8, 0};
    struct chan_cfg c = {n, 0, 0, 0, 64};
    uint32_t w[2];
    memcpy(w, setup, 8);
    wr(h, R_HCINT(n), 0x7FF);
    wr(h, R_HCTSIZ(n), 8 | 1u << 19 | 3u << 29);
    wr(h, R_HCCHAR(n), hcchar_of(&c, 0) | CHENA_BIT);
    wr(h, R_FIFO(n), w[0]);
    wr(h, R_FIFO(n), w[1]);
    return WAIT_FOR(h, rd(h, R_HCINT(n)) & 0x799, 5 * MS_NS) && (rd(h, R_HCINT(n)) & 1);
}

/* Slave mode: an OUT/SETUP channel is disabled by the core at XFRC (Linux dwc2), without CHH;
 * ST's HAL then halts the idle channel in two steps and gets CHH. */
static void test_out_auto_disable_and_hal_halt(void)
{
    struct host h = host_new(image_path, NULL);
    CHECK(host_bring_up(&h));
    CHECK(setup_no_halt(&h, 0));
    CHECK_EQ(rd(&h, R_HCCHAR(0)) & (CHENA_BIT | CHDIS_BIT), 0);
    sleep_ns(&h, MS_NS);
    CHECK_EQ(rd(&h, R_HCINT(0)) & 2, 0); /* no CHH without a halt request */
    /* USB_HC_Halt: HCCHAR |= CHDIS (latched, nothing else happens), then HCCHAR |= CHENA */
    wr(&h, R_HCCHAR(0), rd(&h, R_HCCHAR(0)) | CHDIS_BIT);
    CHECK_EQ(rd(&h, R_HCCHAR(0)) & (CHENA_BIT | CHDIS_BIT), CHDIS_BIT);
    sleep_ns(&h, 100000);
    CHECK_EQ(rd(&h, R_HCINT(0)) & 2, 0);
    wr(&h, R_HCCHAR(0), rd(&h, R_HCCHAR(0)) | CHENA_BIT);
    CHECK(WAIT_FOR(&h, rd(&h, R_HCINT(0)) & 2, MS_NS));
    CHECK_EQ(rd(&h, R_HCCHAR(0)) & (CHENA_BIT | CHDIS_BIT), 0);
    CHECK_EQ(stats_of(&h).protocol_errors, 0);
    /* the data stage still works on the same channel */
    struct chan_cfg in = {0, 0, 0, 0, 64};
    uint8_t d[64];
    uint32_t got = 0;
    CHECK_EQ(host_in(&h, &in, 2, d, 8, &got, NULL, 10 * MS_NS), XR_OK);
    CHECK_EQ(got, 8);
    CHECK_EQ(d[1], 1);
    otg_destroy(h.m);
}

/* CHDIS written alone latches on an enabled channel too (and flushes its posted requests); a
 * later write with CHENA alone is then the halt request. */
static void test_chdis_latch_then_chena_halts(void)
{
    struct host h = host_new(image_path, NULL);
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    struct chan_cfg in = {3, 1, 1, 2, 64};
    wr(&h, R_HCINT(3), 0x7FF);
    wr(&h, R_HCTSIZ(3), 64 | 1u << 19);
    wr(&h, R_HCCHAR(3), hcchar_of(&in, 1) | CHENA_BIT); /* no CBW: the device NAKs */
    CHECK(WAIT_FOR(&h, rd(&h, R_HCINT(3)) & (1u << 4), MS_NS));
    CHECK(rd(&h, R_HCCHAR(3)) & CHENA_BIT);
    wr(&h, R_HCCHAR(3), hcchar_of(&in, 1) | CHDIS_BIT);
    CHECK_EQ(rd(&h, R_HCCHAR(3)) & (CHENA_BIT | CHDIS_BIT), CHENA_BIT | CHDIS_BIT);
    wr(&h, R_HCCHAR(3), hcchar_of(&in, 1) | CHENA_BIT);
    int ok = WAIT_FOR(&h, ({
        if (rd(&h, R_GINTSTS) & (1u << 4))
            CHECK_EQ(rd(&h, R_GRXSTSP) >> 17 & 0xF, 7);
        rd(&h, R_HCINT(3)) & 2;
    }),
                      MS_NS);
    CHECK(ok);
    CHECK_EQ(rd(&h, R_HCCHAR(3)) & (CHENA_BIT | CHDIS_BIT), 0);
    CHECK_EQ(stats_of(&h).protocol_errors, 0);
    otg_destroy(h.m);
}

/* A halt is handled when the disable request reaches the head of the queue with the bus idle:
 * not at once, not during the SOF, and after the transaction in progress. */
static void test_halt_takes_the_cores_time(void)
{
    struct host h = host_new(image_path, NULL);
    CHECK(host_bring_up(&h));
    CHECK(setup_no_halt(&h, 0));
    /* idle channel: not on the next access */
    uint64_t t0 = h.now;
    wr(&h, R_HCCHAR(0), rd(&h, R_HCCHAR(0)) | CHDIS_BIT | CHENA_BIT);
    CHECK_EQ(rd(&h, R_HCINT(0)) & 2, 0);
    CHECK(rd(&h, R_HCCHAR(0)) & CHENA_BIT); /* still enabled while halting */
    CHECK(WAIT_FOR(&h, rd(&h, R_HCINT(0)) & 2, MS_NS));
    CHECK(h.now - t0 >= 600); /* one inter-packet gap at 12 Mbit/s */
    /* at the very start of a frame the SOF goes first (43 bits, 3.6 us) */
    wr(&h, R_HCINT(0), 0x7FF);
    CHECK(setup_no_halt(&h, 0));
    uint32_t f = rd(&h, R_HFNUM) & 0x3FFF;
    while ((rd(&h, R_HFNUM) & 0x3FFF) == f)
        idle(&h, h.now + MS_NS);
    t0 = h.now;
    CHECK(((rd(&h, R_HFNUM) >> 16) & 0xFFFF) > 47900); /* just after the frame start */
    wr(&h, R_HCCHAR(0), rd(&h, R_HCCHAR(0)) | CHDIS_BIT | CHENA_BIT);
    CHECK(WAIT_FOR(&h, rd(&h, R_HCINT(0)) & 2, MS_NS));
    CHECK(h.now - t0 >= 3000);
    /* a transaction in progress finishes first: a 64-byte bulk OUT takes ~52 us */
    struct msc s;
    CHECK(msc_open(&s, &h, 64));
    struct chan_cfg out = {2, 1, 2, 2, 64};
    wr(&h, R_HCINT(2), 0x7FF);
    wr(&h, R_HCTSIZ(2), 64 | 1u << 19);
    wr(&h, R_HCCHAR(2), hcchar_of(&out, 0) | CHENA_BIT);
    for (int i = 0; i < 16; i++)
        wr(&h, R_FIFO(2), 0x55555555u);
    sleep_ns(&h, 5000); /* on the bus now */
    t0 = h.now;
    wr(&h, R_HCCHAR(2), rd(&h, R_HCCHAR(2)) | CHDIS_BIT | CHENA_BIT);
    CHECK(WAIT_FOR(&h, rd(&h, R_HCINT(2)) & 2, MS_NS));
    CHECK(h.now - t0 >= 30000);
    CHECK(rd(&h, R_HCINT(2)) & 0x19); /* the device answered the packet (ACK/NAK/STALL) */
    otg_destroy(h.m);
}

static void test_grstctl_txfnum_reads_back(void)
{
    struct host h = host_new(image_path, NULL);
    CHECK(host_core_init(&h));
    wr(&h, R_GRSTCTL, 0x10u << 6 | (1u << 5));
    CHECK(WAIT_FOR(&h, !(rd(&h, R_GRSTCTL) & (1u << 5)), MS_NS));
    CHECK_EQ(rd(&h, R_GRSTCTL), 0x80000000u | 0x10u << 6); /* AHBIDL, TXFNUM kept */
    wr(&h, R_GRSTCTL, 3u << 6);
    CHECK_EQ(rd(&h, R_GRSTCTL) >> 6 & 0x1F, 3);
    otg_destroy(h.m);
}

/* TinyUSB writes HPRT with every write-1 bit set, PSUSP included; the port reset that follows
 * ends the suspend on silicon, and so do a resume and a disconnect. */
static void test_psusp_cleared_by_reset_and_disconnect(void)
{
    struct host h = host_new(image_path, NULL);
    CHECK(host_core_init(&h));
    CHECK(WAIT_FOR(&h, rd(&h, R_HPRT) & 1, 2000 * MS_NS));
    wr(&h, R_HPRT, 0x2Eu | (1u << 7) | (1u << 12));
    CHECK(rd(&h, R_HPRT) & (1u << 7));
    CHECK(host_port_reset(&h, 15 * MS_NS));
    CHECK_EQ(rd(&h, R_HPRT) & (1u << 7), 0);
    uint8_t d[64];
    uint32_t n = 0;
    CHECK_EQ(get_descriptor(&h, 0, 64, 1, 18, d, &n), XR_OK);
    CHECK_EQ(n, 18);
    /* suspend, then unplug: PSUSP goes with the device */
    hprt_write(&h, 1u << 7, 0);
    CHECK(rd(&h, R_HPRT) & (1u << 7));
    otg_set_plugged(h.m, 0, h.now);
    CHECK_EQ(rd(&h, R_HPRT) & ((1u << 7) | 1u), 0);
    otg_destroy(h.m);
}

static void test_hardware_configuration_registers(void)
{
    struct host h = host_new(image_path, NULL);
    CHECK_EQ(rd(&h, 0x040), 0x4F54281Au);
    CHECK_EQ(rd(&h, 0x044), 0x00000000u);
    CHECK_EQ(rd(&h, 0x048), 0x229DCD20u);
    CHECK_EQ(rd(&h, 0x04C), 0x020001E8u);
    CHECK_EQ(rd(&h, 0x050), 0x0FF08030u);
    CHECK_EQ((rd(&h, 0x048) >> 14 & 0xF) + 1, 8); /* NUMHSTCHNL: 8 host channels */
    otg_destroy(h.m);
}

/* Step from event to event across many frames: every SOF is consumed once, HFNUM counts one
 * per frame, and the model's next event always lies in the future (the old rounding left the
 * SOF due forever at the exact start of a frame with HFIR 47999: a livelock). */
static void check_frames_with_hfir(uint32_t hfir)
{
    struct host h = host_new(image_path, NULL);
    CHECK(host_bring_up(&h)); /* writes HFIR 48000 */
    wr(&h, R_HFIR, hfir);
    sleep_ns(&h, 3 * MS_NS); /* the new interval applies from the next frame */
    unsigned frames = 0, stuck = 0;
    uint32_t f0 = rd(&h, R_HFNUM) & 0x3FFF;
    uint64_t t_first = 0, t_last = 0;
    while (frames < 2000 && !stuck) {
        uint64_t t = otg_next_event_ns(h.m);
        if (t <= h.now) {
            stuck = 1;
            break;
        }
        h.now = t;
        otg_advance(h.m, t);
        if (otg_next_event_ns(h.m) <= t)
            stuck = 1;
        uint32_t st = otg_read(h.m, R_GINTSTS, 4, t);
        if (st & (1u << 3)) {
            otg_write(h.m, R_GINTSTS, 1u << 3, 4, t);
            uint32_t hfnum = otg_read(h.m, R_HFNUM, 4, t);
            CHECK_EQ(hfnum & 0x3FFF, (f0 + frames + 1) & 0x3FFF);
            CHECK_EQ(hfnum >> 16, hfir); /* FTREM at the frame start */
            if (!frames)
                t_first = t;
            t_last = t;
            frames++;
        }
    }
    CHECK_EQ(stuck, 0);
    CHECK_EQ(frames, 2000);
    /* 1999 frames of (hfir) 48 MHz clocks, to the ns */
    uint64_t want = 1999ull * hfir * 1000 / 48;
    CHECK(t_last - t_first >= want && t_last - t_first <= want + 1);
    otg_destroy(h.m);
}

static void test_frame_timing_every_hfir(void)
{
    check_frames_with_hfir(47999);
    check_frames_with_hfir(48000);
    check_frames_with_hfir(60000);
    check_frames_with_hfir(47997);
}

static void test_fifo_overlap_is_a_firmware_error(void)
{
    struct host h = host_new(image_path, NULL);
    CHECK(host_bring_up(&h));
    struct chan_cfg in = {1, 0, 0, 0, 64};
    wr(&h, R_HCTSIZ(1), 64 | 1u << 19);
    wr(&h, R_HCCHAR(1), hcchar_of(&in, 1) | CHENA_BIT); /* RM0090 layout: fine */
    CHECK_EQ(stats_of(&h).protocol_errors, 0);
    host_halt(&h, 1);
    wr(&h, R_HPTXFSIZ, 0x40u << 16 | 0xA0); /* periodic FIFO inside the non-periodic one */
    wr(&h, R_HCCHAR(1), hcchar_of(&in, 1) | CHENA_BIT);
    CHECK_EQ(stats_of(&h).protocol_errors, 1);
    CHECK(strstr(test_log, "HPTXFSIZ=0x004000a0 overlaps") != NULL);
    /* reported once per layout; non-periodic transfers still run (no periodic data here) */
    CHECK(host_halt(&h, 1));
    wr(&h, R_HCCHAR(1), hcchar_of(&in, 1) | CHENA_BIT);
    CHECK_EQ(stats_of(&h).protocol_errors, 1);
    CHECK(host_halt(&h, 1));
    uint8_t d[64];
    uint32_t n = 0;
    CHECK_EQ(get_descriptor(&h, 0, 64, 1, 18, d, &n), XR_OK);
    /* the RX FIFO overlapping the non-periodic TX FIFO: reported, and requests do not start */
    wr(&h, R_HPTXFSIZ, 0x40u << 16 | 0xE0);
    wr(&h, R_GRXFSIZ, 0x90);
    wr(&h, R_HCTSIZ(1), 64 | 1u << 19);
    wr(&h, R_HCCHAR(1), hcchar_of(&in, 1) | CHENA_BIT);
    CHECK_EQ(stats_of(&h).protocol_errors, 2);
    CHECK(strstr(test_log, "invalid FIFO layout") != NULL);
    otg_destroy(h.m);
}

static void test_reserved_register_writes_are_firmware_errors(void)
{
    struct host h = host_new(image_path, NULL);
    CHECK(host_core_init(&h));
    wr(&h, 0x504, 0); /* HCSPLT0 kept at its reset value: allowed */
    wr(&h, 0x514, 0);
    wr(&h, 0x05C, 0);
    CHECK_EQ(stats_of(&h).protocol_errors, 0);
    wr(&h, 0x05C, 0x01400140u);            /* GDFIFOCFG */
    wr(&h, 0x504 + 0x20 * 2, 1u << 31);    /* HCSPLT2.SPLITEN */
    wr(&h, 0x514 + 0x20 * 5, 0x20000000u); /* HCDMA5 */
    CHECK_EQ(stats_of(&h).protocol_errors, 3);
    CHECK_EQ(rd(&h, 0x504 + 0x20 * 2), 0);
    otg_destroy(h.m);
}

/* USB full speed needs 12 Mbit/s +-0.25 %: with the 48 MHz clock 1 % off (a PLL fed from HSI)
 * nothing gets through; 0.2 % off still works. */
static void test_clock_tolerance(void)
{
    struct host h = host_new(image_path, NULL);
    CHECK(host_bring_up(&h));
    uint8_t d[64];
    uint32_t n = 0;
    otg_set_phy_clock_hz(h.m, 48480000u);
    CHECK(strstr(test_log, "outside USB's +-0.25 %") != NULL);
    uint32_t errs = stats_of(&h).xact_errors;
    CHECK_EQ(get_descriptor(&h, 0, 64, 1, 18, d, &n), XR_XACT);
    CHECK(stats_of(&h).xact_errors > errs);
    otg_set_phy_clock_hz(h.m, 47904000u); /* -0.2 % */
    CHECK_EQ(get_descriptor(&h, 0, 64, 1, 18, d, &n), XR_OK);
    CHECK_EQ(n, 18);
    otg_set_phy_clock_hz(h.m, 47870000u); /* -0.27 % */
    CHECK_EQ(get_descriptor(&h, 0, 64, 1, 18, d, &n), XR_XACT);
    otg_destroy(h.m);
}

int main(void)
{
    snprintf(image_path, sizeof(image_path), "/tmp/test_otg_%d.img", (int)getpid());
    make_image(image_path, IMAGE_BYTES);
    test_log_echo = getenv("TEST_OTG_LOG") != NULL;
    RUN_TEST(test_reset_values);
    RUN_TEST(test_soft_reset_and_cmod_delay);
    RUN_TEST(test_connect_needs_vbus_ppwr_and_delay);
    RUN_TEST(test_port_reset_timing);
    RUN_TEST(test_hprt_w1c_traps);
    RUN_TEST(test_enumeration_ep0_mps8);
    RUN_TEST(test_multi_packet_in_bookkeeping);
    RUN_TEST(test_one_in_token_per_chena_write);
    RUN_TEST(test_out_halt_is_direct_and_needs_queue_slot);
    RUN_TEST(test_read10_returns_image_bytes);
    RUN_TEST(test_nak_counting_with_read_latency);
    RUN_TEST(test_bus_time_ceiling);
    RUN_TEST(test_disconnect_halts_channels);
    RUN_TEST(test_data_toggle_error);
    RUN_TEST(test_out_nak_needs_halt_and_rewrite);
    RUN_TEST(test_out_auto_disable_and_hal_halt);
    RUN_TEST(test_chdis_latch_then_chena_halts);
    RUN_TEST(test_halt_takes_the_cores_time);
    RUN_TEST(test_grstctl_txfnum_reads_back);
    RUN_TEST(test_psusp_cleared_by_reset_and_disconnect);
    RUN_TEST(test_hardware_configuration_registers);
    RUN_TEST(test_frame_timing_every_hfir);
    RUN_TEST(test_fifo_overlap_is_a_firmware_error);
    RUN_TEST(test_reserved_register_writes_are_firmware_errors);
    RUN_TEST(test_clock_tolerance);
    unlink(image_path);
    return HARNESS_EXIT();
}
