/* usb/usb_host.c: configuration descriptor parsing (including malformed and truncated
 * descriptors) and enumeration against the fake HCD. */
#include <stdlib.h>
#include <string.h>

#include "fake_hcd.h"
#include "harness.h"
#include "status.h"
#include "usb_host.h"

#define HARNESS_SUITE "test_usb_enum"

/* Config header + MSC interface + bulk IN 0x81 + bulk OUT 0x02, MPS 64. */
static uint8_t cfg[256];
static uint32_t cfg_len;

static void base_config(void)
{
    static const uint8_t base[32] = {9,  2, 32, 0, 1, 1,    0, 0x80, 50, 9,    4,
                                     0,  0, 2,  8, 6, 0x50, 0, 7,    5,  0x81, 2,
                                     64, 0, 0,  7, 5, 0x02, 2, 64,   0,  0};
    memset(cfg, 0, sizeof cfg);
    memcpy(cfg, base, sizeof base);
    cfg_len = sizeof base;
}

static void set_total(void)
{
    cfg[2] = (uint8_t)cfg_len;
    cfg[3] = (uint8_t)(cfg_len >> 8);
}

/* Inserts a descriptor at offset pos. */
static void insert(uint32_t pos, const uint8_t *d, uint32_t n)
{
    memmove(cfg + pos + n, cfg + pos, cfg_len - pos);
    memcpy(cfg + pos, d, n);
    cfg_len += n;
    set_total();
}

static int parse(struct usb_device *d)
{
    memset(d, 0xEE, sizeof *d);
    return usb_parse_config(d, cfg, cfg_len);
}

static void parse_plain_msc(void)
{
    struct usb_device d;
    base_config();
    CHECK_EQ(parse(&d), SB_OK);
    CHECK_EQ(d.ep_in, 0x81);
    CHECK_EQ(d.ep_out, 0x02);
    CHECK_EQ(d.mps_in, 64);
    CHECK_EQ(d.iface, 0);
    CHECK_EQ(d.config, 1);
}

static void parse_skips_iad_class_and_interrupt(void)
{
    struct usb_device d;
    base_config();
    static const uint8_t iad[8] = {8, 11, 0, 1, 8, 6, 0x50, 0};
    static const uint8_t class_desc[5] = {5, 0x24, 0, 0x10, 1};
    static const uint8_t intr_ep[7] = {7, 5, 0x83, 3, 8, 0, 10};
    insert(9, iad, sizeof iad);
    insert(17 + 9, class_desc, sizeof class_desc); /* after the interface */
    insert(17 + 9 + 5, intr_ep, sizeof intr_ep);   /* before the bulk endpoints */
    CHECK_EQ(parse(&d), SB_OK);
    CHECK_EQ(d.ep_in, 0x81);
    CHECK_EQ(d.ep_out, 0x02);
}

static void parse_picks_msc_interface_among_others(void)
{
    struct usb_device d;
    base_config();
    /* A HID interface with its own IN endpoint comes first; the MSC one is interface 1 with
     * OUT before IN and different endpoint numbers. */
    static const uint8_t hid[16] = {9, 4, 0, 0, 1, 3, 0, 0, 0, 7, 5, 0x84, 2, 64, 0, 0};
    insert(9, hid, sizeof hid);
    cfg[9 + 16 + 2] = 1; /* bInterfaceNumber of the MSC interface */
    uint8_t *in_ep = cfg + 9 + 16 + 9, *out_ep = in_ep + 7;
    in_ep[2] = 0x03;  /* now OUT 3 */
    out_ep[2] = 0x85; /* now IN 5 */
    CHECK_EQ(parse(&d), SB_OK);
    CHECK_EQ(d.iface, 1);
    CHECK_EQ(d.ep_in, 0x85);
    CHECK_EQ(d.ep_out, 0x03);
}

static void parse_tolerates_junk_after_complete_interface(void)
{
    struct usb_device d;
    base_config();
    static const uint8_t junk[3] = {0, 0xFF, 0x13};
    insert(32, junk, sizeof junk);
    CHECK_EQ(parse(&d), SB_OK);
    CHECK_EQ(d.ep_out, 0x02);
}

static void parse_rejects_zero_blength(void)
{
    struct usb_device d;
    base_config();
    cfg[18] = 0; /* first endpoint */
    CHECK_EQ(parse(&d), SB_ERR_USB);
    base_config();
    cfg[18] = 1;
    CHECK_EQ(parse(&d), SB_ERR_USB);
}

static void parse_rejects_blength_past_end(void)
{
    struct usb_device d;
    base_config();
    cfg[25] = 8; /* last endpoint claims one byte more than there is */
    CHECK_EQ(parse(&d), SB_ERR_USB);
    /* wTotalLength shorter than the data: the walk stops at wTotalLength, which cuts the
     * last endpoint in half. */
    base_config();
    cfg[2] = 29;
    CHECK_EQ(parse(&d), SB_ERR_USB);
}

static void parse_truncated_everywhere(void)
{
    /* Every truncation of a valid descriptor, with wTotalLength still claiming 32: nothing
     * reads past the given length (ASan) and no truncation yields a usable interface. */
    struct usb_device d;
    for (uint32_t n = 0; n < 32; n++) {
        base_config();
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, cfg, n);
        memset(&d, 0, sizeof d);
        int r = usb_parse_config(&d, copy, n);
        CHECK(r != SB_OK);
        free(copy);
    }
}

static void parse_rejects_short_interface_and_endpoint(void)
{
    struct usb_device d;
    base_config();
    static const uint8_t short_iface[6] = {6, 4, 0, 0, 2, 8};
    insert(9, short_iface, sizeof short_iface);
    CHECK_EQ(parse(&d), SB_ERR_USB);
    base_config();
    static const uint8_t short_ep[4] = {4, 5, 0x81, 2};
    insert(18, short_ep, sizeof short_ep);
    CHECK_EQ(parse(&d), SB_ERR_USB);
}

static void parse_no_msc_interface(void)
{
    struct usb_device d;
    base_config();
    cfg[16] = 0x62; /* UAS protocol instead of Bulk-Only */
    CHECK_EQ(parse(&d), SB_ERR_NOT_MSC);
    base_config();
    cfg[15] = 0x05; /* subclass SFF-8070i */
    CHECK_EQ(parse(&d), SB_ERR_NOT_MSC);
}

static void parse_alternate_setting_and_interface_number(void)
{
    /* Mass storage only as alternate setting 1 of interface 2: found, and enumeration will
     * select it with SET_INTERFACE. */
    struct usb_device d;
    base_config();
    cfg[11] = 2;
    cfg[12] = 1;
    static const uint8_t alt0[9] = {9, 4, 2, 0, 0, 0xFF, 0, 0, 0};
    insert(9, alt0, sizeof alt0);
    CHECK_EQ(parse(&d), SB_OK);
    CHECK_EQ(d.iface, 2);
    CHECK_EQ(d.alt, 1);
    CHECK_EQ(d.ep_in, 0x81);
}

static void parse_missing_bulk_endpoint(void)
{
    struct usb_device d;
    base_config();
    cfg[28] = 3; /* OUT endpoint is interrupt */
    CHECK_EQ(parse(&d), SB_ERR_NOT_MSC);
    base_config();
    cfg[27] = 0x82; /* two IN endpoints */
    CHECK_EQ(parse(&d), SB_ERR_NOT_MSC);
    base_config();
    cfg[22] = 0; /* IN endpoint with MPS 0 */
    CHECK_EQ(parse(&d), SB_ERR_NOT_MSC);
    base_config();
    cfg_len = 25; /* second endpoint not there at all */
    set_total();
    CHECK_EQ(parse(&d), SB_ERR_NOT_MSC);
}

static void parse_clamps_mps(void)
{
    struct usb_device d;
    base_config();
    cfg[22] = 0x00; /* 512: a high-speed value */
    cfg[23] = 0x02;
    cfg[30] = 0x18; /* multiplier bits set on OUT: 0x1840 -> 64 */
    cfg[29] = 0x40;
    CHECK_EQ(parse(&d), SB_OK);
    CHECK_EQ(d.mps_in, 64);
    CHECK_EQ(d.mps_out, 64);
}

static void parse_bad_header(void)
{
    struct usb_device d;
    base_config();
    cfg[1] = 1; /* not a configuration descriptor */
    CHECK_EQ(parse(&d), SB_ERR_USB);
    base_config();
    cfg[2] = 8; /* wTotalLength below the header itself */
    CHECK_EQ(parse(&d), SB_ERR_USB);
}

static void enumerate_well_behaved(void)
{
    struct usb_device d;
    fake_hcd_reset(1000);
    CHECK_EQ(usb_enumerate(&d), SB_OK);
    CHECK_EQ(fake_stats.get_desc_first_len, 8);
    CHECK_EQ(fake_stats.set_address, 1);
    CHECK_EQ(fake_stats.set_config, 1);
    CHECK_EQ(fake_stats.wrong_address, 0);
    CHECK_EQ(d.addr, 1);
    CHECK_EQ(d.ep0_mps, 64);
    CHECK_EQ(d.ep_in, 0x81);
    CHECK_EQ(d.ep_out, 0x02);
}

static void enumerate_ep0_sizes(void)
{
    /* The fake fails a transfer whose EP0 size does not match the device's: the host must
     * use bMaxPacketSize0 from the first 8 bytes for everything after. */
    static const uint8_t sizes[4] = {8, 16, 32, 64};
    for (int i = 0; i < 4; i++) {
        struct usb_device d;
        fake_hcd_reset(1000);
        fake.device_desc[7] = sizes[i];
        CHECK_EQ(usb_enumerate(&d), SB_OK);
        CHECK_EQ(d.ep0_mps, sizes[i]);
        CHECK_EQ(fake_stats.port_resets, 1);
    }
}

static void enumerate_rejects_bad_ep0_size(void)
{
    struct usb_device d;
    fake_hcd_reset(1000);
    fake.device_desc[7] = 12;
    CHECK_EQ(usb_enumerate(&d), SB_ERR_USB);
    CHECK_EQ(fake_stats.port_resets, 6); /* 3, a long VBUS-off, 3 more */
    CHECK_EQ(fake_stats.vbus_cycles, 1);
}

static void enumerate_retries_with_port_reset(void)
{
    struct usb_device d;
    fake_hcd_reset(1000);
    fake.nak_control = 2; /* the first two attempts time out */
    CHECK_EQ(usb_enumerate(&d), SB_OK);
    CHECK_EQ(fake_stats.port_resets, 3);
    fake_hcd_reset(1000);
    fake.port_reset_fails = 1;
    CHECK_EQ(usb_enumerate(&d), SB_OK);
    CHECK_EQ(fake_stats.port_resets, 2);
}

static void enumerate_gives_up_after_three(void)
{
    struct usb_device d;
    fake_hcd_reset(1000);
    fake.stall_everything = -1;
    CHECK_EQ(usb_enumerate(&d), SB_ERR_USB);
    CHECK_EQ(fake_stats.port_resets, 6);
    CHECK(fake_ms < 5000);
    /* A device that answers, with something that is not mass storage: no power cycle. */
    fake_hcd_reset(1000);
    fake.config_desc[14] = 7;
    CHECK_EQ(usb_enumerate(&d), SB_ERR_NOT_MSC);
    CHECK_EQ(fake_stats.port_resets, 3);
    CHECK_EQ(fake_stats.vbus_cycles, 0);
    fake_hcd_reset(1000);
    fake.connected = 0;
    CHECK_EQ(usb_enumerate(&d), SB_ERR_NO_DEVICE);
}

static void enumerate_garbage_descriptors(void)
{
    struct usb_device d;
    fake_hcd_reset(1000);
    for (int i = 0; i < 18; i++)
        fake.device_desc[i] = (uint8_t)(0xA5 ^ (i * 37));
    CHECK(usb_enumerate(&d) != SB_OK);
    CHECK(fake_ms < 15000);

    /* Valid device descriptor, configuration of garbage. */
    fake_hcd_reset(1000);
    for (int i = 0; i < 64; i++)
        fake.config_desc[i] = (uint8_t)(i * 91 + 7);
    fake.config_desc[1] = 2;
    fake.config_desc[0] = 9;
    fake.config_desc[2] = 64;
    fake.config_desc[3] = 0;
    fake.config_len = 64;
    CHECK(usb_enumerate(&d) != SB_OK);

    /* Short device descriptor. */
    fake_hcd_reset(1000);
    fake.device_desc_len = 12;
    CHECK_EQ(usb_enumerate(&d), SB_ERR_USB);

    /* A printer, not a stick. */
    fake_hcd_reset(1000);
    fake.config_desc[14] = 7;
    CHECK_EQ(usb_enumerate(&d), SB_ERR_NOT_MSC);
}

static void enumerate_long_config(void)
{
    /* A configuration longer than our 255-byte buffer (the MSC interface first, then vendor
     * interfaces): the cut tail does not matter. */
    struct usb_device d;
    fake_hcd_reset(1000);
    uint32_t pos = 32;
    while (pos + 9 <= 400) {
        static const uint8_t vendor[9] = {9, 4, 5, 0, 0, 0xFF, 0, 0, 0};
        memcpy(fake.config_desc + pos, vendor, 9);
        pos += 9;
    }
    fake.config_len = (uint16_t)pos;
    fake.config_desc[2] = (uint8_t)pos;
    fake.config_desc[3] = (uint8_t)(pos >> 8);
    CHECK_EQ(usb_enumerate(&d), SB_OK);
    CHECK_EQ(d.ep_in, 0x81);
    /* The same with the MSC interface last: it is cut off. */
    fake_hcd_reset(1000);
    memmove(fake.config_desc + 9, fake.config_desc + 32, pos - 32);
    memcpy(fake.config_desc + pos - 23, (const uint8_t[]){9, 4, 0, 0, 2, 8, 6, 0x50, 0}, 9);
    fake.config_len = (uint16_t)pos;
    fake.config_desc[2] = (uint8_t)pos;
    fake.config_desc[3] = (uint8_t)(pos >> 8);
    CHECK(usb_enumerate(&d) != SB_OK);
}

static void enumerate_retries_over_a_time_window(void)
{
    /* Deaf for 120 ms after each reset (transaction errors): back-to-back retries would spend
     * all three attempts inside that time; a 200 ms window per request gets through at once. */
    struct usb_device d;
    fake_hcd_reset(1000);
    fake.deaf_after_reset_ms = 120;
    CHECK_EQ(usb_enumerate(&d), SB_OK);
    CHECK_EQ(fake_stats.port_resets, 1);
    CHECK(fake_ms >= 60 + 120);
    /* Deaf for longer than the window: the next attempt (a new reset) does not help either,
     * and the whole enumeration still ends in bounded time. */
    fake_hcd_reset(1000);
    fake.deaf_after_reset_ms = 100000;
    CHECK_EQ(usb_enumerate(&d), SB_ERR_USB);
    CHECK(fake_ms < 3000);
    /* Every request answered only after 190 ms of silence, and the last one refused: each
     * attempt takes over a second, and attempts stop starting after 4 s. */
    fake_hcd_reset(1000);
    fake.slow_control_ms = 190;
    fake.stall_set_config = 1;
    CHECK_EQ(usb_enumerate(&d), SB_ERR_USB);
    CHECK(fake_stats.set_config >= 2);
    printf("  slow device given up after %u ms, %u attempts\n", fake_ms, fake_stats.port_resets);
    CHECK(fake_ms < 5500);
    /* The same device without the refusal: slow, but it works. */
    fake_hcd_reset(1000);
    fake.slow_control_ms = 190;
    CHECK_EQ(usb_enumerate(&d), SB_OK);
    CHECK_EQ(fake_stats.port_resets, 1);
}

/* A configuration of total bytes: CDC ACM (IAD, two interfaces, a bulk pair of its own), a HID
 * interface, vendor padding, then the mass-storage interface (number 3, at alternate setting
 * alt) last. */
static uint32_t composite_config(uint32_t total, uint8_t alt)
{
    static const uint8_t head[] = {9, 2,    0,    0,    4,  1,    0,    0x80, 50,
                                   8, 0x0B, 0,    2,    2,  2,    1,    0, /* header, IAD */
                                   9, 4,    0,    0,    1,  2,    2,    1,    0,
                                   5, 0x24, 0,    0x10, 1,            /* comm, header */
                                   7, 5,    0x84, 3,    8,  0,    16, /* notification */
                                   9, 4,    1,    0,    2,  0x0A, 0,    0,    0,
                                   7, 5,    0x85, 2,    64, 0,    0, /* data: bulk IN */
                                   7, 5,    0x06, 2,    64, 0,    0, /* bulk OUT */
                                   9, 4,    2,    0,    1,  3,    0,    0,    0,
                                   9, 0x21, 0x11, 1,    0,  1,    0x22, 34,   0, /* HID */
                                   7, 5,    0x83, 3,    8,  0,    10};
    static const uint8_t tail[] = {9, 4, 3,    0, 0,  0xFF, 0, 0,    0, /* alt 0: vendor */
                                   9, 4, 3,    1, 2,  8,    6, 0x50, 0, /* mass storage */
                                   7, 5, 0x82, 2, 64, 0,    0, 7,    5, 0x01, 2, 64, 0, 0};
    uint8_t *c = fake.config_desc;
    uint32_t n = sizeof head;
    memcpy(c, head, n);
    while (n < total - sizeof tail) {
        uint32_t len = total - sizeof tail - n > 255 ? 200 : total - sizeof tail - n;
        memset(c + n, 0xA5, len);
        c[n] = (uint8_t)len;
        c[n + 1] = 0xFF; /* vendor-specific */
        n += len;
    }
    if (alt) {
        memcpy(c + n, tail, sizeof tail);
        n += sizeof tail;
    } else { /* no vendor alternate setting: mass storage is setting 0 */
        memcpy(c + n, tail + 9, sizeof tail - 9);
        c[n + 3] = 0;
        n += sizeof tail - 9;
    }
    c[2] = (uint8_t)n;
    c[3] = (uint8_t)(n >> 8);
    fake.config_len = (uint16_t)n;
    return n;
}

static void enumerate_composite_devices(void)
{
    struct usb_device d;
    /* 400 bytes, mass storage last (past byte 255), alternate setting 1, interface 3. */
    fake_hcd_reset(1000);
    fake.msc_iface = 3;
    fake.msc_alt = 1;
    CHECK(composite_config(400, 1) > 300);
    CHECK_EQ(usb_enumerate(&d), SB_OK);
    CHECK_EQ(d.iface, 3);
    CHECK_EQ(d.alt, 1);
    CHECK_EQ(d.ep_in, 0x82);
    CHECK_EQ(d.ep_out, 0x01);
    CHECK_EQ(fake_stats.set_interface, 1);
    /* Setting 0: no SET_INTERFACE. */
    fake_hcd_reset(1000);
    fake.msc_iface = 3;
    composite_config(300, 0);
    CHECK_EQ(usb_enumerate(&d), SB_OK);
    CHECK_EQ(d.alt, 0);
    CHECK_EQ(fake_stats.set_interface, 0);
    /* Past our buffer: refused cleanly, in bounded time. */
    fake_hcd_reset(1000);
    composite_config(1500, 0);
    CHECK_EQ(usb_enumerate(&d), SB_ERR_NOT_MSC);
    CHECK(fake_ms < 5000);
}

static void enumerate_power_cycles_a_hung_stick(void)
{
    /* A stick configured before an MCU reset that kept VBUS up: the port reset hangs it until
     * VBUS has been off 400 ms. */
    struct usb_device d;
    fake_hcd_reset(1000);
    fake.warm_reset_hang = 1;
    fake.vbus_off_min_ms = 400;
    CHECK_EQ(usb_enumerate(&d), SB_OK); /* first time: fine */
    CHECK_EQ(fake_stats.vbus_cycles, 0);
    uint32_t t0 = fake_ms;
    CHECK_EQ(usb_enumerate(&d), SB_OK); /* the "MCU reset": hung, then power-cycled */
    CHECK(fake_hung() == 0);
    CHECK_EQ(fake_stats.vbus_cycles, 1);
    CHECK(fake_stats.vbus_off_ms >= 400);
    CHECK(fake_ms - t0 < 3000);
}

int main(void)
{
    RUN_TEST(parse_plain_msc);
    RUN_TEST(parse_skips_iad_class_and_interrupt);
    RUN_TEST(parse_picks_msc_interface_among_others);
    RUN_TEST(parse_rejects_zero_blength);
    RUN_TEST(parse_tolerates_junk_after_complete_interface);
    RUN_TEST(parse_rejects_blength_past_end);
    RUN_TEST(parse_truncated_everywhere);
    RUN_TEST(parse_rejects_short_interface_and_endpoint);
    RUN_TEST(parse_no_msc_interface);
    RUN_TEST(parse_missing_bulk_endpoint);
    RUN_TEST(parse_clamps_mps);
    RUN_TEST(parse_bad_header);
    RUN_TEST(enumerate_well_behaved);
    RUN_TEST(enumerate_ep0_sizes);
    RUN_TEST(enumerate_rejects_bad_ep0_size);
    RUN_TEST(enumerate_retries_with_port_reset);
    RUN_TEST(enumerate_gives_up_after_three);
    RUN_TEST(enumerate_garbage_descriptors);
    RUN_TEST(enumerate_long_config);
    RUN_TEST(parse_alternate_setting_and_interface_number);
    RUN_TEST(enumerate_retries_over_a_time_window);
    RUN_TEST(enumerate_composite_devices);
    RUN_TEST(enumerate_power_cycles_a_hung_stick);
    return HARNESS_EXIT();
}
