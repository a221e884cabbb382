/* Bulk-Only Transport and the few SCSI commands a reader needs (usb_msc.h). The robustness
 * rules (BOT 1.0 sections 5.3 and 6.7, and Linux transport.c, whose comments list the same
 * device faults): decide by bytes received, never the residue;
 * a ZLP or a STALL where the CSW should be gets one more read; a CSW in the data phase means
 * the device skipped it; phase errors and garbage lead to Reset Recovery, then re-enumeration. */
#include "usb_msc.h"

#include <string.h>

#include "bytes.h"

#include "hcd.h"
#include "platform.h"
#include "ramfunc.h"
#include "status.h"
#include "usb_host.h"

#define CBW_SIGNATURE      0x43425355u /* "USBC" */
#define CSW_SIGNATURE      0x53425355u /* "USBS" */
#define CBW_SIZE           31
#define CSW_SIZE           13
#define COMMAND_TIMEOUT_MS 2000u /* per stage; bounds NAK storms */
#define READ_ATTEMPTS      4
/* Linux sd.c: some card readers fail or hang on a multi-block READ(10) that touches the last
 * blocks of the medium (SD_LAST_BUGGY_SECTORS, set for every USB disk): those are read one
 * block at a time, and the read before them stops short of them. */
#define LAST_BUGGY_BLOCKS 8u

#define SCSI_TEST_UNIT_READY 0x00
#define SCSI_REQUEST_SENSE   0x03
#define SCSI_INQUIRY         0x12
#define SCSI_READ_CAPACITY   0x25
#define SCSI_READ10          0x28
#define SCSI_WRITE10         0x2A
#define SCSI_SYNC_CACHE10    0x35

/* Outcome of one command. */
enum { CMD_OK, CMD_FAILED, CMD_TRANSPORT };

/* All state in one place (one base register on the target). Multi-byte CBW/CSW fields are
 * little endian, as are the target and the test hosts: they are copied, not converted. */
static struct {
    struct usb_device usb;
    uint8_t lun;
    uint8_t max_lun;
    uint8_t dead; /* Reset Recovery and re-enumeration failed: stop talking */
    uint8_t cbw[CBW_SIZE + 1];
    uint8_t csw[CSW_SIZE];
    uint8_t reply[36];
    uint32_t tag;
    uint32_t block_size;
    uint32_t chunk;    /* READ(10) blocks per command; halves when a device refuses a read */
    uint32_t mount_at; /* the mount's deadline */
} msc;
#define usb   msc.usb
#define cbw   msc.cbw
#define csw   msc.csw
#define reply msc.reply

RAMFUNC static int bulk(uint8_t ep, void *buf, uint32_t len, uint32_t *got)
{
    int in = ep & 0x80;
    uint32_t t = usb_time_left(COMMAND_TIMEOUT_MS);
    if (!t) /* *got is read only after HCD_OK */
        return HCD_TIMEOUT;
    return hcd_bulk(usb.addr, ep, in ? usb.mps_in : usb.mps_out,
                    in ? &usb.toggle_in : &usb.toggle_out, buf, len, got, t);
}

RAMFUNC static int csw_valid(const uint8_t *p)
{
    return get_le32(p) == CSW_SIGNATURE && get_le32(p + 4) == msc.tag;
}

/* BOMS reset, then clear both halts (toggles to DATA0); if any of it fails, a port reset and
 * a fresh enumeration; if that fails too, the device is given up. */
static void reset_recovery(void)
{
    if ((usb_control(&usb, 0x21, 0xFF, 0, usb.iface, 0, 0, 0) || usb_clear_halt(&usb, usb.ep_in) ||
         usb_clear_halt(&usb, usb.ep_out)) &&
        usb_enumerate(&usb))
        msc.dead = 1;
}

/* Why the device can no longer be used, or 0. */
RAMFUNC static int device_lost(void)
{
    if (!hcd_is_connected())
        return SB_ERR_NO_DEVICE;
    return msc.dead ? SB_ERR_USB : 0;
}

/* One SCSI command through Bulk-Only: CBW, optional data of length bytes (OUT for WRITE(10),
 * IN for the others), CSW. CMD_OK only with a good CSW and every byte asked for. */
RAMFUNC static int scsi(uint8_t op, uint32_t lba, uint32_t blocks, void *data, uint32_t length)
{
    uint32_t got = 0, n = 0;
    uint8_t data_ep = op == SCSI_WRITE10 ? usb.ep_out : usb.ep_in;
    if (msc.dead)
        return CMD_TRANSPORT;
    memset(cbw, 0, sizeof cbw);
    put_le32(cbw, CBW_SIGNATURE);
    put_le32(cbw + 4, ++msc.tag);
    put_le32(cbw + 8, length);
    cbw[12] = length ? data_ep & 0x80 : 0;
    cbw[13] = msc.lun;
    cbw[15] = op;
    if (op < 0x20) { /* 6-byte CDB: allocation length in byte 4 */
        cbw[14] = 6;
        cbw[19] = (uint8_t)length;
    } else { /* 10-byte CDB: LBA in bytes 2-5, transfer length in 7-8 */
        cbw[14] = 10;
        put_le32(cbw + 17, __builtin_bswap32(lba));
        cbw[22] = (uint8_t)(blocks >> 8);
        cbw[23] = (uint8_t)blocks;
    }
    int r = bulk(usb.ep_out, cbw, CBW_SIZE, &n);
    if (r)
        goto recover;
    if (length) {
        r = bulk(data_ep, data, length, &got);
        if (r == HCD_STALL) {
            /* A refused command (a write-protected medium's WRITE(10)) stalls its data. */
            got = 0;
            if (usb_clear_halt(&usb, data_ep))
                goto recover;
        } else if (r) {
            goto recover;
        } else if ((data_ep & 0x80) && got == CSW_SIZE && length != CSW_SIZE && csw_valid(data)) {
            /* The device skipped the data phase and sent its CSW instead. */
            memcpy(csw, data, CSW_SIZE);
            got = 0;
            goto check;
        }
    }
    for (int retry = 0;; retry = 1) {
        r = bulk(usb.ep_in, csw, CSW_SIZE, &n);
        if (retry || (r != HCD_STALL && (r || n)))
            break;
        /* A ZLP or a STALL instead of the CSW: one more read (after clearing the halt). */
        if (r && usb_clear_halt(&usb, usb.ep_in))
            goto recover;
    }
    if (r || n != CSW_SIZE)
        goto recover;
check:
    if (!csw_valid(csw) || csw[12] > 1)
        goto recover; /* phase error, wrong tag or garbage */
    return csw[12] || got != length ? CMD_FAILED : CMD_OK;
recover:
    reset_recovery();
    return CMD_TRANSPORT;
}

static int request_sense(void)
{
    memset(reply, 0, 18);
    scsi(SCSI_REQUEST_SENSE, 0, 0, reply, 18);
    return (reply[2] & 0x0F) << 8 | reply[12]; /* sense key, ASC */
}

RAMFUNC static int msc_read(const struct blockdev *dev, uint32_t lba, uint32_t count, void *buf)
{
    uint8_t *dst = buf;
    if (lba >= dev->block_count || count > dev->block_count - lba)
        return SB_ERR_MEDIUM;
    uint32_t tail = dev->block_count > LAST_BUGGY_BLOCKS ? dev->block_count - LAST_BUGGY_BLOCKS : 0;
    while (count) {
        int attempt = 0;
        uint32_t n;
        for (;;) {
            n = count < msc.chunk ? count : msc.chunk;
            if (lba + n > tail)
                n = lba < tail ? tail - lba : 1;
            int r = scsi(SCSI_READ10, lba, n, dst, n * msc.block_size);
            if (r == CMD_OK)
                break;
            int lost = device_lost();
            if (lost)
                return lost;
            if (r == CMD_FAILED)
                request_sense(); /* also clears a unit attention */
            /* Some devices refuse or hang on long transfers (Linux MAX_SECTORS_64 and worse):
             * the chunk halves for good. A refusal does not count as an attempt; a hang (a
             * timeout, then Reset Recovery) does, which keeps the time bound. */
            if (n > 1)
                msc.chunk = n >> 1;
            if (r == CMD_FAILED && n > 1)
                continue;
            if (++attempt == READ_ATTEMPTS)
                return SB_ERR_MEDIUM;
        }
        lba += n;
        count -= n;
        dst += n * msc.block_size;
    }
    return SB_OK;
}

/* One block, no retry: the report is worth less than the time a failing stick would take. A
 * refusal (write-protected medium) has its sense read, which also clears it. */
static int msc_write(const struct blockdev *dev, uint32_t lba, const void *buf)
{
    if (lba >= dev->block_count)
        return SB_ERR_MEDIUM;
    int r = scsi(SCSI_WRITE10, lba, 1, (void *)buf, msc.block_size);
    /* A stick with a write cache may still hold the block when the reset that follows cuts
     * VBUS: ask for it to be stored (SBC-3 5.22). Sticks without the command refuse it. */
    if (r == CMD_OK && scsi(SCSI_SYNC_CACHE10, lba, 1, 0, 0) == CMD_FAILED)
        request_sense();
    else if (r == CMD_FAILED)
        request_sense();
    return r == CMD_OK ? SB_OK : SB_ERR_MEDIUM;
}

/* Brings lun up. SB_OK with dev filled, or why not. */
static int lun_mount(struct blockdev *dev)
{
    memset(reply, 0, sizeof reply);
    /* Only a direct-access device (type 0, qualifier 0) will do; an INQUIRY that fails does
     * not disqualify the LUN. */
    if (scsi(SCSI_INQUIRY, 0, 0, reply, 36) == CMD_OK && reply[0] != 0)
        return SB_ERR_NOT_MSC;
    for (;;) {
        if (!usb_time_left(1))
            return SB_ERR_MEDIUM;
        int lost = device_lost();
        if (lost)
            return lost;
        int r = scsi(SCSI_TEST_UNIT_READY, 0, 0, 0, 0);
        if (r == CMD_OK && scsi(SCSI_READ_CAPACITY, 0, 0, reply, 8) == CMD_OK)
            break;
        if (r == CMD_FAILED && request_sense() == 0x23A)
            return SB_ERR_MEDIUM; /* NOT READY, MEDIUM NOT PRESENT: an empty slot */
        plat_watchdog_kick();     /* this loop may last USB_MOUNT_MS, longer than the IWDG */
        plat_delay_ms(usb_time_left(100));
    }
    uint32_t last_lba = get_be32(reply);
    uint32_t size = get_be32(reply + 4);
    if (size < 512 || size > 4096 || (size & (size - 1)) || last_lba == 0)
        return SB_ERR_MEDIUM;
    msc.block_size = size;
    msc.chunk = USB_MAX_SECTORS;
    dev->block_size = size;
    /* The capacity as reported, as Linux takes it. A device that reports the block count
     * instead fails the read of the block past its end, which no volume on it uses. 0xFFFFFFFF
     * (2 TiB and more, or an empty reader slot) stops below 2^32 - 1 so that fs.c's one block
     * of slack cannot wrap. */
    dev->block_count = last_lba < 0xFFFFFFFEu ? last_lba + 1 : 0xFFFFFFFEu;
    dev->max_blocks = USB_MAX_SECTORS;
    dev->read = msc_read;
    dev->write = msc_write;
    return SB_OK;
}

/* Enumeration (when lun is 0), GET_MAX_LUN, then the first usable LUN from lun on. */
static int mount_from(struct blockdev *dev, uint8_t lun)
{
    int result = SB_OK;
    if (!lun) {
        msc.dead = 0;
        result = usb_enumerate(&usb);
        if (result)
            return result;
        uint16_t got = 0;
        msc.max_lun = 0;
        /* GET_MAX_LUN (wIndex: our interface): a STALL, a ZLP, a timeout or nonsense mean one
         * LUN. */
        if (usb_control(&usb, 0xA1, 0xFE, 0, usb.iface, reply, 1, &got) == HCD_OK && got == 1 &&
            reply[0] <= 15)
            msc.max_lun = reply[0];
    }
    result = SB_ERR_NOT_MSC;
    for (msc.lun = lun; msc.lun <= msc.max_lun; msc.lun++) {
        /* Out of time with LUNs left: a slow device, not a foreign one (NOT_MSC's blinks
         * would send the user looking for the wrong fault). */
        if (!usb_time_left(1))
            return SB_ERR_MEDIUM;
        int r = lun_mount(dev);
        if (r == SB_OK || r == SB_ERR_NO_DEVICE || r == SB_ERR_USB)
            return r;
        if (r == SB_ERR_MEDIUM)
            result = r;
    }
    return result;
}

/* Runs mount_from under the mount's deadline (or the caller's, if that comes first), then
 * gives the caller's deadline back. */
static int bounded_mount(struct blockdev *dev, uint8_t lun)
{
    struct usb_deadline caller = usb_deadline;
    if (!caller.on || (int32_t)(caller.at - msc.mount_at) > 0)
        usb_deadline = (struct usb_deadline){msc.mount_at, 1};
    int result = mount_from(dev, lun);
    usb_deadline = caller;
    return result;
}

int usb_msc_next_lun(struct blockdev *dev)
{
    return bounded_mount(dev, (uint8_t)(msc.lun + 1));
}

int usb_msc_mount(struct blockdev *dev)
{
    msc.mount_at = plat_ms() + USB_MOUNT_MS;
    return bounded_mount(dev, 0);
}
