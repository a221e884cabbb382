/* USB mass storage (Bulk-Only Transport + SCSI) as a block device for fs/.
 *
 * Call order (update pipeline):
 *   hcd_init(); hcd_wait_connect(ms);      -- hcd.h
 *   usb_msc_mount(&dev);                   -- enumerate, pick a LUN, read its capacity
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

/* Enumerates the connected device and brings up its first usable LUN: direct access, ready
 * (TEST UNIT READY / REQUEST SENSE loop, at most 10 s per mount), block size a power of two
 * from 512 to 4096. Fills *dev: block_count excludes the last LBA the device reports, so it
 * is never read. Returns an sb_status: SB_OK, SB_ERR_NO_DEVICE, SB_ERR_USB, SB_ERR_NOT_MSC
 * (no Bulk-Only interface or no direct-access LUN) or SB_ERR_MEDIUM (no LUN became ready or
 * had a usable capacity). dev->read returns 0, SB_ERR_MEDIUM or SB_ERR_NO_DEVICE. */
int usb_msc_mount(struct blockdev *dev);

#endif
