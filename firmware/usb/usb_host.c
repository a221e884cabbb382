/* Enumeration of the one device on the root port (usb_host.h): an 8-byte first device
 * descriptor read (bMaxPacketSize0 is in those bytes, USB 2.0 9.6.1), >= 2 ms after
 * SET_ADDRESS (USB 2.0 9.2.6.3), three attempts with a port reset each, each request retried
 * over a time window, then one long VBUS power cycle. */
#include "usb_host.h"

#include "hcd.h"
#include "noinit.h"
#include "platform.h"
#include "ramfunc.h"
#include "status.h"

#define REQ_CLEAR_FEATURE     1
#define REQ_SET_ADDRESS       5
#define REQ_GET_DESCRIPTOR    6
#define REQ_SET_CONFIGURATION 9
#define REQ_SET_INTERFACE     11
#define DESC_DEVICE           1
#define DESC_CONFIG           2
#define DESC_INTERFACE        4
#define DESC_ENDPOINT         5
#define DEVICE_ADDRESS        1
/* Room for a composite device's configuration (mass storage after CDC, HID, vendor
 * interfaces); a longer one is cut here, which only matters if the mass-storage interface
 * lies past the cut. */
#define CONFIG_BUF_SIZE 1024
/* A device that has just been reset may miss requests for tens of milliseconds: a request it
 * does not answer is retried for this long (issue 16: 100-200 ms, as Linux and ST's host
 * library are said to allow). */
#define STAGE_WINDOW_MS 200u
#define STAGE_RETRY_MS  10u
/* Some USB 3.0 sticks kept powered through an MCU reset hang until VBUS has been off for a
 * while; when three attempts fail, VBUS goes off this long (plus hcd_init's own ~50 ms). */
#define VBUS_OFF_MS  500u
#define RECONNECT_MS 1000u
/* No attempt starts later than this after the first: with every request retried for 200 ms,
 * a device that answers just slowly enough could otherwise hold enumeration for ~30 s. */
#define ENUM_WINDOW_MS 4000u
/* Per stage of a control transfer (hcd_control times each stage apart). A standard request:
 * USB 2.0 9.2.6.4 allows 500 ms to the first data packet, 500 ms between data packets and
 * 50 ms to the status stage (no data stage: 50 ms in all; 9.2.6.3); 100 ms margin for the NAK
 * throttle's once-per-frame attempts and for devices a little over the limits. A class
 * request (GET_MAX_LUN, Bulk-Only Mass Storage Reset) has no limit in the spec; Linux gives
 * control messages 5 s (USB_CTRL_GET_TIMEOUT) and GET_MAX_LUN 10 s; here the BOT stage
 * timeout (msc.c COMMAND_TIMEOUT_MS), so a stick that never answers one holds the session
 * back by 2 s, not 10. */
#define CONTROL_STAGE_MS 600u
#define CLASS_STAGE_MS   2000u
/* Longest steps that cannot be cut short: a port reset (hcd_otgfs.c: 50 + 20 ms), and the
 * VBUS power cycle (hcd_init's 50 ms, the debounce's 150 ms) followed by one. */
#define PORT_RESET_MS 100u
#define DEBOUNCE_MS   150u
#define VBUS_CYCLE_MS (VBUS_OFF_MS + 50u + DEBOUNCE_MS + PORT_RESET_MS)

struct usb_deadline usb_deadline;

RAMFUNC uint32_t usb_time_left(uint32_t ms)
{
    int32_t left = (int32_t)(usb_deadline.at - plat_ms());
    if (!usb_deadline.on || (int32_t)ms < left)
        return ms;
    return left > 0 ? (uint32_t)left : 0;
}

int usb_control(struct usb_device *dev, uint8_t type, uint8_t request, uint16_t value,
                uint16_t index, void *data, uint16_t length, uint16_t *actual)
{
    struct usb_setup setup = {type, request, value, index, length};
    uint16_t moved;
    uint32_t start = plat_ms(), t;
    uint32_t stage = type & 0x60 ? CLASS_STAGE_MS : CONTROL_STAGE_MS;
    int r = HCD_TIMEOUT;
    /* No answer (transaction errors, a NAK storm shorter than the HCD's timeout): retried for
     * STAGE_WINDOW_MS. A STALL is an answer. Data and status stage each get t: both fit in
     * the time left before the deadline. */
    while ((t = usb_time_left(2 * stage) / 2) &&
           ((r = hcd_control(dev->addr, dev->ep0_mps, &setup, data, actual ? actual : &moved, t)) ==
                HCD_TIMEOUT ||
            r == HCD_XACT_ERROR) &&
           plat_ms() - start < STAGE_WINDOW_MS)
        plat_delay_ms(usb_time_left(STAGE_RETRY_MS));
    return r;
}

RAMFUNC int usb_clear_halt(struct usb_device *dev, uint8_t ep)
{
    if (ep & 0x80)
        dev->toggle_in = 0;
    else
        dev->toggle_out = 0;
    return usb_control(dev, 0x02, REQ_CLEAR_FEATURE, 0, ep, 0, 0, 0);
}

/* GET_DESCRIPTOR; returns the bytes received, 0 on any failure or a wrong descriptor type. */
static uint32_t get_descriptor(struct usb_device *dev, uint8_t type, uint8_t *buf, uint16_t len)
{
    uint16_t got = 0;
    if (usb_control(dev, 0x80, REQ_GET_DESCRIPTOR, (uint16_t)(type << 8), 0, buf, len, &got) ||
        got < 2 || buf[1] != type)
        return 0;
    return got;
}

int usb_parse_config(struct usb_device *dev, const uint8_t *cfg, uint32_t len)
{
    if (len < 9 || cfg[1] != DESC_CONFIG)
        return SB_ERR_USB;
    uint32_t total = cfg[2] | (uint32_t)cfg[3] << 8;
    if (total < len)
        len = total;
    dev->config = cfg[5];
    dev->ep_in = dev->ep_out = 0;
    int in_msc = 0;
    uint32_t pos = 0;
    for (uint32_t size; pos < len; pos += size) {
        const uint8_t *d = cfg + pos;
        size = d[0];
        /* A broken length (or a descriptor too short for its type) rejects the descriptor,
         * unless the interface we need is already complete: junk after it, or a tail cut
         * off by our buffer, does not matter. */
        if (size < 2 || size > len - pos || (d[1] == DESC_INTERFACE && size < 9) ||
            (d[1] == DESC_ENDPOINT && size < 7))
            break;
        if (d[1] == DESC_INTERFACE) {
            if (dev->ep_in && dev->ep_out)
                return SB_OK; /* the first complete MSC interface wins */
            dev->ep_in = dev->ep_out = 0;
            dev->iface = d[2];
            dev->alt = d[3]; /* any alternate setting; enumeration selects it */
            in_msc = d[5] == 0x08 && d[6] == 0x06 && d[7] == 0x50;
        } else if (d[1] == DESC_ENDPOINT) {
            uint32_t mps = (d[4] | (uint32_t)d[5] << 8) & 0x7FF;
            if (mps > 64)
                mps = 64; /* a high-speed value at full speed */
            if (!in_msc || (d[3] & 3) != 2 || !(d[2] & 0x0F) || mps < 8)
                continue; /* not a usable bulk endpoint of our interface */
            if (d[2] & 0x80) {
                if (!dev->ep_in) {
                    dev->ep_in = d[2];
                    dev->mps_in = (uint8_t)mps;
                }
            } else if (!dev->ep_out) {
                dev->ep_out = d[2];
                dev->mps_out = (uint8_t)mps;
            }
        }
    }
    if (dev->ep_in && dev->ep_out)
        return SB_OK;
    /* A walk that ended early is malformed, unless our buffer cut the descriptor there. */
    return pos < len && len == total ? SB_ERR_USB : SB_ERR_NOT_MSC;
}

static int enumerate_once(struct usb_device *dev)
{
    static NOINIT uint8_t buf[CONFIG_BUF_SIZE]; /* read only as far as a descriptor filled it */
    dev->addr = 0;
    dev->ep0_mps = 8;
    if (usb_time_left(PORT_RESET_MS) < PORT_RESET_MS)
        return SB_ERR_USB;
    int result = hcd_port_reset();
    if (result)
        return result == HCD_DISCONNECTED ? SB_ERR_NO_DEVICE : SB_ERR_USB;
    /* The first 8 bytes hold bMaxPacketSize0, whatever the EP0 size is. */
    if (get_descriptor(dev, DESC_DEVICE, buf, 8) < 8)
        return SB_ERR_USB;
    uint8_t mps = buf[7];
    if (mps != 8 && mps != 16 && mps != 32 && mps != 64)
        return SB_ERR_USB;
    dev->ep0_mps = mps;
    if (usb_control(dev, 0x00, REQ_SET_ADDRESS, DEVICE_ADDRESS, 0, 0, 0, 0))
        return SB_ERR_USB;
    plat_delay_ms(usb_time_left(10));
    dev->addr = DEVICE_ADDRESS;
    if (get_descriptor(dev, DESC_DEVICE, buf, 18) != 18 ||
        get_descriptor(dev, DESC_CONFIG, buf, 9) != 9)
        return SB_ERR_USB;
    uint32_t total = buf[2] | (uint32_t)buf[3] << 8;
    if (total > CONFIG_BUF_SIZE)
        total = CONFIG_BUF_SIZE;
    uint32_t got = get_descriptor(dev, DESC_CONFIG, buf, (uint16_t)total);
    result = usb_parse_config(dev, buf, got);
    if (result)
        return result;
    if (usb_control(dev, 0x00, REQ_SET_CONFIGURATION, dev->config, 0, 0, 0, 0) ||
        (dev->alt && usb_control(dev, 0x01, REQ_SET_INTERFACE, dev->alt, dev->iface, 0, 0, 0)))
        return SB_ERR_USB;
    dev->toggle_in = dev->toggle_out = 0;
    return SB_OK;
}

int usb_enumerate(struct usb_device *dev)
{
    int result = SB_ERR_NO_DEVICE;
    uint32_t start = plat_ms();
    for (int attempt = 0; attempt < 6 && hcd_is_connected() && plat_ms() - start < ENUM_WINDOW_MS;
         attempt++) {
        plat_watchdog_kick(); /* six bounded attempts may outlast the IWDG period */
        if (attempt == 3) {
            if (result != SB_ERR_USB || usb_time_left(VBUS_CYCLE_MS) < VBUS_CYCLE_MS)
                break; /* it answered, with something we cannot use; or no time left */
            hcd_shutdown();
            plat_delay_ms(VBUS_OFF_MS);
            /* The connect wait stops early enough for the debounce and a port reset. */
            if (hcd_init() || usb_time_left(VBUS_CYCLE_MS) <= DEBOUNCE_MS + PORT_RESET_MS ||
                hcd_wait_connect(usb_time_left(RECONNECT_MS + DEBOUNCE_MS) - DEBOUNCE_MS))
                break;
        }
        result = enumerate_once(dev);
        if (result == SB_OK)
            break;
    }
    return hcd_is_connected() ? result : SB_ERR_NO_DEVICE;
}
