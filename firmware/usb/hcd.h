/* Host controller driver interface used by usb/. One device on one root port.
 * stm32f4/hcd_otgfs.c implements it on OTG_FS; tests/ provide fakes. */
#ifndef USB_HCD_H
#define USB_HCD_H

#include <stdint.h>

enum hcd_result {
    HCD_OK = 0,
    HCD_STALL = 1,
    HCD_TIMEOUT = 2,
    HCD_XACT_ERROR = 3, /* CRC/bit-stuff/babble/toggle errors after retries */
    HCD_DISCONNECTED = 4,
    HCD_NO_CLOCK = 5, /* hcd_init: no 48 MHz clock within USB's tolerance; USB left off */
};

struct usb_setup {
    uint8_t bmRequestType;
    uint8_t bRequest;
    uint16_t wValue;
    uint16_t wIndex;
    uint16_t wLength;
};

/* Power the port (VBUS on) and bring the core up in host mode. HCD_NO_CLOCK when the USB
 * clock cannot meet USB's +-0.25 % (a PLL fed from HSI): nothing is powered. */
int hcd_init(void);
/* Wait up to timeout_ms for a device to connect, then debounce. HCD_OK when connected. */
int hcd_wait_connect(uint32_t timeout_ms);
/* Reset the port and enable it; the device answers at address 0 afterwards. */
int hcd_port_reset(void);
int hcd_is_connected(void);
/* Power the port off (before handover). */
void hcd_shutdown(void);

/* Control transfer on EP0. data may be NULL when wLength is 0. *actual receives the bytes
 * moved in the data stage. timeout_ms bounds each stage (SETUP, data, status) on its own,
 * from the stage's start (USB 2.0 9.2.6.4 times them apart): a call may last 3 x timeout_ms
 * (2 x with a device that ACKs its SETUP, which a device must: USB 2.0 8.5.3). */
int hcd_control(uint8_t dev_addr, uint8_t ep0_mps, const struct usb_setup *setup, void *data,
                uint16_t *actual, uint32_t timeout_ms);

/* Bulk transfer, any length; multi-packet. ep has bit 7 set for IN. *toggle is the data
 * toggle (0 = DATA0, 1 = DATA1) before the call and is updated after it. Short packet ends
 * an IN transfer. *actual receives the bytes moved. timeout_ms bounds NAK retries. */
int hcd_bulk(uint8_t dev_addr, uint8_t ep, uint16_t mps, uint8_t *toggle, void *buf, uint32_t len,
             uint32_t *actual, uint32_t timeout_ms);

#endif
