/* Status codes shared by all layers. Error codes are shown as N blinks of the red LED,
 * so their numeric values are part of the user interface: never renumber them. */
#ifndef CORE_STATUS_H
#define CORE_STATUS_H

enum sb_status {
    SB_OK = 0,
    SB_ERR_NO_DEVICE = 1,  /* no stick connected, or it vanished */
    SB_ERR_USB = 2,        /* enumeration / transfer failed */
    SB_ERR_NOT_MSC = 3,    /* no Bulk-Only SCSI interface, no usable LUN */
    SB_ERR_MEDIUM = 4,     /* SCSI read failed, not ready, bad capacity */
    SB_ERR_NO_FS = 5,      /* no FAT/exFAT volume found */
    SB_ERR_NO_FILE = 6,    /* IMAGE.BIN not in any root directory */
    SB_ERR_FS_CORRUPT = 7, /* chain loop, out-of-range cluster, size mismatch */
    SB_ERR_TOO_BIG = 8,    /* file larger than the application region */
    SB_ERR_IMAGE = 9,      /* trailer / CRC / vector table / board id rejected */
    SB_ERR_SIGNATURE = 10, /* secure build: signature or rollback rejected */
    SB_ERR_FLASH = 11,     /* erase/program/verify failed */
    SB_ERR_CHANGED = 12,   /* the stick returned different data in pass 2 */
    SB_ERR_USB_CLOCK = 13, /* no crystal: the PLL runs from HSI, USB would be out of tolerance */
    SB_UP_TO_DATE = 32,    /* not an error: the file equals the installed image */
};

#endif
