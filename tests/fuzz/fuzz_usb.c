/* libFuzzer target for usb/: the fuzz input is everything the device says. A scripted HCD
 * answers each control and bulk transfer from the input (result, length, bytes), so the
 * descriptor parser, the LUN scan, the CSW rules and the read path see arbitrary replies.
 * Checks: no memory error (ASan/UBSan), mount (and the next LUN) give up within
 * USB_MOUNT_MS + USB_OVERRUN_MS of virtual time, a mounted device has sane geometry, and reads stay
 * inside the caller's buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blockdev.h"
#include "hcd.h"

#include "platform.h"
#include "status.h"
#include "usb_host.h"
#include "usb_msc.h"

static const uint8_t *in_data;
static uint32_t last_cbw_tag;
static size_t in_left;
static uint32_t now_ms;
static int gone;

uint32_t plat_ms(void)
{
    return now_ms++;
}
void plat_delay_ms(uint32_t ms)
{
    now_ms += ms;
}
void plat_delay_us(uint32_t us)
{
    now_ms += us / 1000;
}
void plat_show(enum plat_phase phase, unsigned arg)
{
    (void)phase;
    (void)arg;
}
void plat_watchdog_kick(void)
{
}

static int take(void)
{
    if (!in_left) {
        gone = 1; /* out of script: the device is unplugged */
        return -1;
    }
    in_left--;
    return *in_data++;
}

/* One transfer's answer: a result byte (mostly OK), then for IN a length and the bytes. */
static int answer(void *buf, uint32_t len, int is_in, uint32_t *actual, uint32_t timeout_ms)
{
    *actual = 0;
    int b = take();
    if (b < 0)
        return HCD_DISCONNECTED;
    now_ms++;
    int result = b < 0xC0 ? HCD_OK : (b & 3) + 1;
    if (result == HCD_TIMEOUT)
        now_ms += timeout_ms;
    if (result != HCD_OK)
        return result;
    if (!is_in) {
        *actual = len;
        return HCD_OK;
    }
    int hi = take(), lo = take();
    if (lo < 0)
        return HCD_DISCONNECTED;
    uint32_t n = (uint32_t)(hi << 8 | lo);
    if (n > len) {
        n = len;
        result = HCD_XACT_ERROR; /* babble */
    }
    if (n > in_left)
        n = (uint32_t)in_left;
    memcpy(buf, in_data, n);
    in_data += n;
    in_left -= n;
    *actual = n;
    return result;
}

int hcd_init(void)
{
    return HCD_OK;
}
int hcd_wait_connect(uint32_t timeout_ms)
{
    (void)timeout_ms;
    return HCD_OK;
}
int hcd_port_reset(void)
{
    now_ms += 80;
    return gone ? HCD_DISCONNECTED : HCD_OK;
}
int hcd_is_connected(void)
{
    return !gone;
}
void hcd_shutdown(void)
{
}

int hcd_control(uint8_t dev_addr, uint8_t ep0_mps, const struct usb_setup *setup, void *data,
                uint16_t *actual, uint32_t timeout_ms)
{
    (void)dev_addr;
    if (ep0_mps != 8 && ep0_mps != 16 && ep0_mps != 32 && ep0_mps != 64)
        abort();
    uint32_t got;
    int r = answer(data, setup->wLength, setup->bmRequestType & 0x80, &got, timeout_ms);
    if (!(setup->bmRequestType & 0x80))
        got = setup->wLength ? got : 0;
    *actual = (uint16_t)got;
    return r;
}

int hcd_bulk(uint8_t dev_addr, uint8_t ep, uint16_t mps, uint8_t *toggle, void *buf, uint32_t len,
             uint32_t *actual, uint32_t timeout_ms)
{
    (void)dev_addr;
    if (mps < 8 || mps > 64 || !(ep & 0x0F))
        abort(); /* the parser must never hand out such an endpoint */
    *toggle ^= 1;
    if (!(ep & 0x80) && len == 31)
        memcpy(&last_cbw_tag, (const uint8_t *)buf + 4, 4);
    int r = answer(buf, len, ep & 0x80, actual, timeout_ms);
    /* A CSW whose tag field is zero in the script gets the right tag, so the fuzzer can
     * reach the paths after a good CSW; any other tag is kept (wrong-tag paths). */
    uint8_t *p = buf;
    if ((ep & 0x80) && *actual == 13 && !memcmp(p, "USBS", 4) && !memcmp(p + 4, "\0\0\0\0", 4))
        memcpy(p + 4, &last_cbw_tag, 4);
    return r;
}

#ifdef FUZZ_USB_SEED
/* Writes a seed script of a well-behaved stick to stdout (built without libFuzzer). */
#include <stdio.h>
static void out_bytes(const void *p, size_t n)
{
    fwrite(p, 1, n, stdout);
}
static void reply_in(const void *p, uint16_t n)
{
    uint8_t head[3] = {0, (uint8_t)(n >> 8), (uint8_t)n};
    out_bytes(head, 3);
    out_bytes(p, n);
}
static void ok(void)
{
    out_bytes("", 1);
}
static void csw(uint8_t status)
{
    uint8_t c[13] = {'U', 'S', 'B', 'S', 0, 0, 0, 0, 0, 0, 0, 0, status};
    reply_in(c, 13);
}
int main(void)
{
    static const uint8_t dev[18] = {18, 1,    0,    2, 0, 0, 0, 64, 0x81,
                                    7,  0x51, 0x55, 0, 1, 1, 2, 3,  1};
    static const uint8_t cfg[32] = {9,    2, 32, 0, 1,    1, 0,  0x80, 50, 9, 4, 0,    0, 2,  8, 6,
                                    0x50, 0, 7,  5, 0x81, 2, 64, 0,    0,  7, 5, 0x02, 2, 64, 0, 0};
    static const uint8_t inquiry[36] = {0, 0x80, 4, 2, 31};
    static const uint8_t capacity[8] = {0, 0, 0x10, 0, 0, 0, 2, 0};
    static uint8_t block[512];
    reply_in(dev, 8);  /* GET_DESCRIPTOR(device, 8) */
    ok();              /* SET_ADDRESS */
    reply_in(dev, 18); /* GET_DESCRIPTOR(device) */
    reply_in(cfg, 9);  /* GET_DESCRIPTOR(config, 9) */
    reply_in(cfg, 32); /* GET_DESCRIPTOR(config) */
    ok();              /* SET_CONFIGURATION */
    reply_in("\1", 1); /* GET_MAX_LUN: 2 LUNs */
    ok();              /* INQUIRY CBW */
    reply_in(inquiry, 36);
    csw(0);
    ok(); /* TEST UNIT READY: not ready */
    csw(1);
    ok(); /* REQUEST SENSE */
    reply_in((const uint8_t[18]){0x70, 0, 2, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x3A}, 18);
    csw(0);
    ok(); /* LUN 1: INQUIRY */
    reply_in(inquiry, 36);
    csw(0);
    ok(); /* TEST UNIT READY */
    csw(0);
    ok(); /* READ CAPACITY */
    reply_in(capacity, 8);
    csw(0);
    ok(); /* READ(10) of block 0 */
    reply_in(block, 512);
    csw(0);
    return 0;
}
#else
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    in_data = data;
    in_left = size;
    now_ms = 0;
    gone = 0;
    struct blockdev dev;
    memset(&dev, 0, sizeof dev);
    int r = usb_msc_mount(&dev);
    if (getenv("FUZZ_USB_TIME"))
        fprintf(stderr, "mount: %u ms\n", (unsigned)now_ms);
    if (now_ms > USB_MOUNT_MS + USB_OVERRUN_MS)
        abort(); /* the documented mount bound (usb_msc.h) */
    if (r != SB_OK)
        return 0;
    if (dev.block_size < 512 || dev.block_size > 4096 || (dev.block_size & (dev.block_size - 1)) ||
        dev.block_count == 0 || dev.max_blocks == 0 || !dev.read)
        abort();
    /* Reads of a few shapes, each into a buffer of exactly the asked size. */
    static const uint32_t counts[3] = {1, 3, 70};
    for (int i = 0; i < 3 && !gone; i++) {
        uint32_t count = counts[i];
        uint8_t *buf = malloc((size_t)count * dev.block_size);
        dev.read(&dev, i == 1 ? dev.block_count - 1 : 0, count, buf);
        free(buf);
    }
    /* The next LUN of a card reader, under the same bound. */
    /* The next LUN shares the mount's deadline (reads in between do not). */
    uint32_t before = now_ms;
    if (!gone && usb_msc_next_lun(&dev) == SB_OK &&
        (dev.block_size < 512 || dev.block_size > 4096 || dev.block_count == 0))
        abort();
    if (now_ms - before > USB_MOUNT_MS + USB_OVERRUN_MS)
        abort();
    return 0;
}
#endif
