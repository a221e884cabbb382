/* USB mass storage (Bulk-Only Transport + SCSI) as a block device for fs/.
 *
 * Call order (update pipeline):
 *   hcd_init(); hcd_wait_connect(ms);      -- hcd.h
 *   usb_msc_mount(&dev);                   -- enumerate, pick a LUN, read its capacity
 *   usb_msc_next_lun(&dev);                -- optional: the next usable LUN
 *   dev.read(&dev, lba, count, buf) ...    -- READ(10) in chunks of <= dev.max_blocks
 *   hcd_shutdown();
 * One device at a time: the driver keeps its state in statics. */
#ifndef USB_MSC_H
#define USB_MSC_H

#include "blockdev.h"

/* READ(10) chunk limit in blocks; some sticks fail larger transfers (Linux MAX_SECTORS_64). */
#ifndef USB_MAX_SECTORS
#define USB_MAX_SECTORS 64
#endif

/* usb_msc_mount, and usb_msc_next_lun after it, give up this long after usb_msc_mount was
 * called, whatever the device does: every wait on it is clipped to that deadline (usb_host.h),
 * or to the caller's usb_deadline when that comes first. */
#define USB_MOUNT_MS 10000u
/* Giving up once the deadline has passed involves no wait, only a few calls (Reset Recovery's
 * requests failing at once): allowed this much, measured in plat_ms() ticks by the fuzzer. */
#define USB_OVERRUN_MS 50u

/* Enumerates the connected device and brings up its first usable LUN: direct access, ready
 * (TEST UNIT READY / REQUEST SENSE loop; enumeration, the LUN scan and the readiness loop share
 * USB_MOUNT_MS), block size a power of two from 512 to 4096, last LBA not 0. Fills *dev:
 * block_count is the reported last LBA + 1 (at most 0xFFFFFFFE). Returns an sb_status: SB_OK,
 * SB_ERR_NO_DEVICE, SB_ERR_USB, SB_ERR_NOT_MSC (no Bulk-Only interface or no direct-access
 * LUN) or SB_ERR_MEDIUM (no LUN became ready or had a usable capacity). dev->read returns 0,
 * SB_ERR_MEDIUM or SB_ERR_NO_DEVICE; reads that touch the last 8 blocks go one block at a
 * time (Linux's last-sector rule). */
int usb_msc_mount(struct blockdev *dev);

/* After a mount: brings up the next usable LUN after the current one (a card reader whose
 * first ready LUN holds no volume), within the same time bound. Same results as
 * usb_msc_mount; SB_ERR_MEDIUM or SB_ERR_NOT_MSC when no further LUN is usable. */
int usb_msc_next_lun(struct blockdev *dev);

#endif
