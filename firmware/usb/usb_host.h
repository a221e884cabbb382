/* USB host core on top of hcd.h: enumeration of one device on the root port and the few
 * control requests the mass-storage layer needs. Used by msc.c; exposed for tests and fuzzing. */
#ifndef USB_HOST_H
#define USB_HOST_H

#include <stdint.h>

struct usb_device {
    uint8_t addr;
    uint8_t ep0_mps;
    uint8_t config; /* bConfigurationValue */
    uint8_t iface;  /* the Bulk-Only SCSI interface: wIndex of its class requests */
    uint8_t alt;    /* its alternate setting (SET_INTERFACE when not 0) */
    uint8_t ep_in;  /* bulk IN endpoint address (bit 7 set) */
    uint8_t ep_out; /* bulk OUT endpoint address */
    uint8_t mps_in; /* clamped to 64 (full speed) */
    uint8_t mps_out;
    uint8_t toggle_in; /* next DATA PID: 0 = DATA0, 1 = DATA1 */
    uint8_t toggle_out;
};

/* Port reset, 8-byte device descriptor, EP0 size, SET_ADDRESS, full device and configuration
 * descriptors (the first 1024 bytes), SET_CONFIGURATION, SET_INTERFACE when the mass-storage
 * interface is an alternate setting. Each request is retried for 200 ms; up to 3 attempts,
 * each starting with a port reset; when all fail without a usable answer, VBUS goes off for
 * 500 ms (a stick that kept its state through an MCU reset) and 3 more attempts follow.
 * Returns an sb_status: SB_OK, SB_ERR_NO_DEVICE, SB_ERR_USB or SB_ERR_NOT_MSC. */
int usb_enumerate(struct usb_device *dev);

/* Finds the first class 08 / subclass 06 / protocol 0x50 interface (any interface number and
 * alternate setting) and its bulk IN and OUT endpoints in a configuration descriptor of len
 * bytes. Walks by bLength; a bLength below 2, past the end or too short for its type rejects
 * the whole descriptor, unless a complete MSC interface came before it (a tail cut by our
 * buffer). Returns SB_OK, SB_ERR_USB (malformed) or SB_ERR_NOT_MSC (no usable interface). */
int usb_parse_config(struct usb_device *dev, const uint8_t *cfg, uint32_t len);

/* The deadline (a plat_ms() time, wrap-safe up to 2^31 ms ahead) that every wait on the
 * device is clipped to, and whether it is set. Reached: every request fails at once with
 * HCD_TIMEOUT, nothing new starts. A step that cannot be cut short (a port reset, the VBUS
 * power cycle) starts only when it fits. */
extern struct usb_deadline {
    uint32_t at;
    uint32_t on;
} usb_deadline;
/* min(ms, time left before the deadline); 0 once it has passed. */
uint32_t usb_time_left(uint32_t ms);

/* A control request to the device; returns an hcd_result. actual may be NULL. */
int usb_control(struct usb_device *dev, uint8_t type, uint8_t request, uint16_t value,
                uint16_t index, void *data, uint16_t length, uint16_t *actual);

/* CLEAR_FEATURE(ENDPOINT_HALT) on a bulk endpoint; its toggle restarts at DATA0. */
int usb_clear_halt(struct usb_device *dev, uint8_t ep);

#endif
