/* Fake HCD with a Bulk-Only SCSI device behind it (fake_hcd.h). */
#include "fake_hcd.h"

#include <string.h>

#include "hcd.h"

struct fake_device fake;
struct fake_stats fake_stats;

/* Device-side state. */
static struct {
    uint8_t addr, configured;
    uint8_t halted_in, halted_out;
    uint8_t toggle_in, toggle_out; /* next DATA PID on each bulk endpoint */
    enum { BOT_CBW, BOT_DATA, BOT_CSW } phase;
    uint32_t tag, residue;
    uint8_t status;
    uint8_t lun;
    uint8_t sense_key, asc;
    uint8_t data[64 * 4096 + 64];
    uint32_t data_len; /* bytes the device will send in the data phase */
    int first_desc_seen;
    int hang;          /* last_sector_bug: the data phase NAKs until a BOMS reset */
    uint8_t alt;       /* current alternate setting of the MSC interface */
    int hung;          /* warm_reset_hang */
    int vbus_off;      /* hcd_shutdown() until hcd_init() */
    uint32_t off_at;   /* fake_ms at hcd_shutdown() */
    uint32_t reset_at; /* fake_ms at the last port reset */
} dev;

int fake_hung(void)
{
    return dev.hung;
}

static int fire(int *counter)
{
    if (*counter == 0)
        return 0;
    if (*counter > 0)
        (*counter)--;
    return 1;
}

uint8_t fake_block_byte(unsigned lun, uint32_t lba, uint32_t offset)
{
    return (uint8_t)(lba * 131u + offset * 7u + (lba >> 8) + lun * 29u);
}

void fake_set_config(uint16_t mps)
{
    static const uint8_t cfg[32] = {9,    2, 32, 0, 1,    1, 0,  0x80, 50, 9, 4, 0,    0, 2,  8, 6,
                                    0x50, 0, 7,  5, 0x81, 2, 64, 0,    0,  7, 5, 0x02, 2, 64, 0, 0};
    memcpy(fake.config_desc, cfg, sizeof cfg);
    fake.config_desc[22] = fake.config_desc[29] = (uint8_t)mps;
    fake.config_desc[23] = fake.config_desc[30] = (uint8_t)(mps >> 8);
    fake.config_len = sizeof cfg;
}

void fake_hcd_reset(uint32_t blocks)
{
    static const uint8_t desc[18] = {18,   1,    0x00, 0x02, 0,    0, 0, 64, 0x81,
                                     0x07, 0x51, 0x55, 0x00, 0x01, 1, 2, 3,  1};
    memset(&fake, 0, sizeof fake);
    memset(&fake_stats, 0, sizeof fake_stats);
    memset(&dev, 0, sizeof dev);
    fake.connected = 1;
    memcpy(fake.device_desc, desc, sizeof desc);
    fake.device_desc_len = 18;
    fake_set_config(64);
    fake.lun[0].block_size = 512;
    fake.lun[0].blocks = blocks;
    fake.disconnect_after_bytes = -1;
    fake.control_dies_after = -1;
    fake_ms = 0;
}

int hcd_init(void)
{
    if (dev.vbus_off) {
        dev.vbus_off = 0;
        fake_stats.vbus_cycles++;
        fake_stats.vbus_off_ms = fake_ms - dev.off_at;
        if (fake_ms - dev.off_at >= fake.vbus_off_min_ms) {
            dev.hung = 0; /* a real power-on */
            dev.addr = dev.configured = dev.alt = 0;
        }
    }
    return HCD_OK;
}

int hcd_wait_connect(uint32_t timeout_ms)
{
    if (!fake.connected) {
        fake_ms += timeout_ms;
        return HCD_TIMEOUT;
    }
    return HCD_OK;
}

int hcd_is_connected(void)
{
    fake_ms++;
    return fake.connected;
}

void hcd_shutdown(void)
{
    dev.vbus_off = 1;
    dev.off_at = fake_ms;
}

int hcd_port_reset(void)
{
    fake_ms += 60;
    fake_stats.port_resets++;
    if (!fake.connected)
        return HCD_DISCONNECTED;
    if (fake.port_reset_fails) {
        fake.port_reset_fails--;
        return HCD_XACT_ERROR;
    }
    if (fake.warm_reset_hang && dev.configured)
        dev.hung = 1;
    dev.reset_at = fake_ms;
    dev.alt = 0;
    dev.hang = 0;
    dev.addr = dev.configured = 0;
    dev.halted_in = dev.halted_out = 0;
    dev.toggle_in = dev.toggle_out = 0;
    dev.phase = BOT_CBW;
    dev.first_desc_seen = 0;
    return HCD_OK;
}

static int control_in(uint8_t ep0_mps, const void *src, uint32_t avail, void *data,
                      uint16_t wlength, uint16_t *actual)
{
    uint32_t n = avail < wlength ? avail : wlength;
    uint8_t dev_mps = fake.device_desc[7];
    /* A host packet size above the device's: the device's first full packet looks short.
     * Below it: the device's packet overflows the host's (babble). */
    if (ep0_mps > dev_mps && n > dev_mps)
        n = dev_mps;
    else if (ep0_mps < dev_mps && n > ep0_mps)
        return HCD_XACT_ERROR;
    memcpy(data, src, n);
    *actual = (uint16_t)n;
    return HCD_OK;
}

int hcd_control(uint8_t dev_addr, uint8_t ep0_mps, const struct usb_setup *s, void *data,
                uint16_t *actual, uint32_t timeout_ms)
{
    fake_ms++;
    *actual = 0;
    if (fake.just_under_timeout) /* each stage 1 ms under its timeout: data, then status */
        fake_ms += (s->wLength ? 2 : 1) * (timeout_ms - 1);
    if (!fake.connected)
        return HCD_DISCONNECTED;
    if (dev.hung || dev.vbus_off)
        return HCD_XACT_ERROR; /* no answer at all */
    if (fake_ms - dev.reset_at < fake.deaf_after_reset_ms)
        return HCD_XACT_ERROR;
    if (fake.slow_control_ms) {
        static uint32_t key, first_seen;
        uint32_t k = (uint32_t)s->bmRequestType << 24 | (uint32_t)s->bRequest << 16 | s->wValue;
        if (k != key || fake_ms - first_seen > 2 * fake.slow_control_ms) {
            key = k;
            first_seen = fake_ms;
        }
        if (fake_ms - first_seen < fake.slow_control_ms)
            return HCD_XACT_ERROR;
    }
    if (dev_addr != dev.addr) {
        fake_stats.wrong_address++;
        fake_ms += timeout_ms;
        return HCD_TIMEOUT;
    }
    if (fire(&fake.stall_everything))
        return HCD_STALL;
    if (fake.control_dies_after == 0 || fire(&fake.nak_control)) {
        fake_ms += timeout_ms;
        return HCD_TIMEOUT;
    }
    if (fake.control_dies_after > 0)
        fake.control_dies_after--;
    uint16_t req = (uint16_t)(s->bmRequestType << 8 | s->bRequest);
    switch (req) {
    case 0x8006: /* GET_DESCRIPTOR */
        fake_stats.get_descs++;
        if (!dev.first_desc_seen) {
            dev.first_desc_seen = 1;
            fake_stats.get_desc_first_len = s->wLength;
        }
        if (s->wValue >> 8 == 1)
            return control_in(ep0_mps, fake.device_desc, fake.device_desc_len, data, s->wLength,
                              actual);
        if (s->wValue >> 8 == 2)
            return control_in(ep0_mps, fake.config_desc, fake.config_len, data, s->wLength, actual);
        return HCD_STALL;
    case 0x0005: /* SET_ADDRESS */
        fake_stats.set_address++;
        dev.addr = (uint8_t)s->wValue;
        return HCD_OK;
    case 0x0009: /* SET_CONFIGURATION */
        fake_stats.set_config++;
        if (s->wValue != fake.config_desc[5] || fake.stall_set_config)
            return HCD_STALL;
        dev.configured = 1;
        dev.alt = 0;
        dev.toggle_in = dev.toggle_out = 0;
        dev.halted_in = dev.halted_out = 0;
        return HCD_OK;
    case 0x010B: /* SET_INTERFACE */
        fake_stats.set_interface++;
        if (!dev.configured || s->wIndex != fake.msc_iface || s->wValue > fake.msc_alt)
            return HCD_STALL;
        dev.alt = (uint8_t)s->wValue;
        dev.toggle_in = dev.toggle_out = 0;
        return HCD_OK;
    case 0x0201: /* CLEAR_FEATURE(ENDPOINT_HALT) */
        fake_stats.clear_halts++;
        if (s->wIndex == 0x81) {
            dev.halted_in = 0;
            dev.toggle_in = 0;
        } else if (s->wIndex == 0x02) {
            dev.halted_out = 0;
            dev.toggle_out = 0;
        } else {
            return HCD_STALL;
        }
        return HCD_OK;
    case 0x21FF: /* Bulk-Only Mass Storage Reset */
        fake_stats.boms_resets++;
        if (fire(&fake.boms_reset_stalls) || s->wIndex != fake.msc_iface)
            return HCD_STALL;
        dev.phase = BOT_CBW;
        dev.hang = 0;
        return HCD_OK;
    case 0xA1FE: /* GET_MAX_LUN */
        fake_stats.get_max_lun++;
        if (s->wIndex != fake.msc_iface)
            return HCD_STALL;
        switch (fake.max_lun_mode) {
        case MAXLUN_STALL:
            return HCD_STALL;
        case MAXLUN_ZLP:
            return HCD_OK;
        case MAXLUN_TIMEOUT:
            fake_ms += timeout_ms;
            return HCD_TIMEOUT;
        default:
            return control_in(ep0_mps, &fake.max_lun, 1, data, s->wLength, actual);
        }
    default:
        return HCD_STALL;
    }
}

static void set_sense(uint8_t key, uint8_t asc)
{
    dev.sense_key = key;
    dev.asc = asc;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Runs the command of a CBW: fills dev.data / data_len, status, sense. */
static void execute(const uint8_t *cbw)
{
    uint32_t want = cbw[8] | cbw[9] << 8 | cbw[10] << 16 | (uint32_t)cbw[11] << 24;
    const uint8_t *cdb = cbw + 15;
    struct fake_lun *lun = &fake.lun[dev.lun];
    int fail = 0;
    dev.data_len = 0;
    switch (cdb[0]) {
    case 0x00: /* TEST UNIT READY */
        fake_stats.tur++;
        if (lun->empty) {
            set_sense(2, 0x3A);
            fail = 1;
        } else if (lun->not_ready) {
            lun->not_ready--;
            set_sense(2, 0x04);
            fail = 1;
        } else if (lun->unit_attention) {
            lun->unit_attention--;
            set_sense(6, 0x28);
            fail = 1;
        }
        break;
    case 0x03: /* REQUEST SENSE */
        fake_stats.request_sense++;
        memset(dev.data, 0, 18);
        dev.data[0] = 0x70;
        dev.data[2] = dev.sense_key;
        dev.data[7] = 10;
        dev.data[12] = dev.asc;
        dev.data_len = cdb[4] < 18 ? cdb[4] : 18;
        set_sense(0, 0);
        break;
    case 0x12: /* INQUIRY */
        if (cdb[4] != 36)
            fake_stats.inquiry_bad_len++;
        memset(dev.data, 0, 36);
        dev.data[0] = lun->type;
        dev.data[4] = 31;
        memcpy(dev.data + 8, "FAKE    STICK           1.00", 28);
        dev.data_len = cdb[4] < 36 ? cdb[4] : 36;
        break;
    case 0x25: /* READ CAPACITY(10) */
        if (lun->empty || lun->not_ready) {
            set_sense(2, lun->empty ? 0x3A : 0x04);
            fail = 1;
            break;
        }
        put_be32(dev.data, lun->blocks - !fake.capacity_off_by_one);
        put_be32(dev.data + 4, lun->block_size);
        if (fake.raw_capacity) {
            put_be32(dev.data, fake.raw_last);
            put_be32(dev.data + 4, fake.raw_size);
        }
        dev.data_len = 8;
        break;
    case 0x28: { /* READ(10) */
        uint32_t lba = (uint32_t)cdb[2] << 24 | cdb[3] << 16 | cdb[4] << 8 | cdb[5];
        uint32_t n = cdb[7] << 8 | cdb[8];
        fake_stats.read10++;
        if (n > fake_stats.max_read10_blocks)
            fake_stats.max_read10_blocks = n;
        if (n && lba + n == lun->blocks)
            fake_stats.read_last_lba++;
        if (lba + n > lun->blocks || n * lun->block_size + 64 > sizeof dev.data) {
            fake_stats.read_beyond++;
            set_sense(5, 0x21);
            fail = 1;
            break;
        }
        if (fake.max_sectors && n > fake.max_sectors) {
            set_sense(5, 0x24);
            fail = 1;
            break;
        }
        if ((fake.last_sector_bug && n > 1 && lba + n + fake.last_sector_bug > lun->blocks) ||
            (fake.hang_above_sectors && n > fake.hang_above_sectors))
            dev.hang = 1;
        for (uint32_t i = 0; i < n * lun->block_size; i++)
            dev.data[i] = fake_block_byte(dev.lun, lba + i / lun->block_size, i % lun->block_size);
        dev.data_len = n * lun->block_size;
        break;
    }
    default:
        set_sense(5, 0x20);
        fail = 1;
    }
    if (dev.data_len > want)
        dev.data_len = want;
    dev.status = (uint8_t)fail;
    dev.residue = want - dev.data_len;
    if (fail && want)
        dev.halted_in = 1; /* the usual way to end a failed data-in command */
}

/* Host and device must agree on the toggle; both then advance by the packet count. */
static void toggle_step(uint8_t *host, uint8_t *device, uint32_t bytes, uint16_t mps)
{
    uint32_t packets = bytes ? (bytes + mps - 1) / mps : 1;
    if (*host != *device)
        fake_stats.toggle_errors++;
    *device = (uint8_t)((*device + packets) & 1);
    *host = *device;
}

static int bulk_bytes(uint32_t n)
{
    fake_stats.bulk_in_bytes += n;
    if (fake.disconnect_after_bytes >= 0) {
        if ((long)n >= fake.disconnect_after_bytes) {
            fake.connected = 0;
            fake.disconnect_after_bytes = -1;
            return 1;
        }
        fake.disconnect_after_bytes -= (long)n;
    }
    return 0;
}

static void make_csw(uint8_t *p)
{
    memcpy(p, "USBS", 4);
    uint32_t tag = dev.tag;
    if (fire(&fake.bad_tag))
        tag ^= 0x5A5A;
    if (fire(&fake.bad_signature))
        p[3] = 'X';
    memcpy(p + 4, &tag, 4);
    memcpy(p + 8, &dev.residue, 4);
    p[12] = dev.status;
    if (fire(&fake.phase_error))
        p[12] = 2;
}

int hcd_bulk(uint8_t dev_addr, uint8_t ep, uint16_t mps, uint8_t *toggle, void *buf, uint32_t len,
             uint32_t *actual, uint32_t timeout_ms)
{
    fake_ms++;
    *actual = 0;
    if (fake.just_under_timeout)
        fake_ms += timeout_ms - 1;
    if (!fake.connected)
        return HCD_DISCONNECTED;
    if (dev_addr != dev.addr || !dev.configured || !mps) {
        fake_stats.wrong_address++;
        fake_ms += timeout_ms;
        return HCD_TIMEOUT;
    }
    if (dev.hung || dev.vbus_off || dev.alt != fake.msc_alt)
        return HCD_XACT_ERROR; /* no such endpoint in this setting, or a dead device */
    if (fire(&fake.stall_everything))
        return HCD_STALL;
    if (fire(&fake.nak_bulk)) {
        fake_ms += timeout_ms;
        return HCD_TIMEOUT;
    }
    if (fire(&fake.xact_bulk))
        return HCD_XACT_ERROR;
    if (ep == 0x02) {
        if (dev.halted_out)
            return HCD_STALL;
        toggle_step(toggle, &dev.toggle_out, len, mps);
        *actual = len;
        if (dev.phase != BOT_CBW || len != 31 || memcmp(buf, "USBC", 4) != 0) {
            /* Invalid CBW: stall both pipes until Reset Recovery. */
            dev.halted_in = dev.halted_out = 1;
            dev.phase = BOT_CBW;
            return HCD_OK;
        }
        const uint8_t *cbw = buf;
        fake_stats.cbws++;
        memcpy(&dev.tag, cbw + 4, 4);
        dev.lun = cbw[13];
        if (dev.lun > fake.max_lun || dev.lun >= FAKE_MAX_LUNS) {
            dev.lun = 0;
            dev.halted_in = dev.halted_out = 1;
            return HCD_OK;
        }
        execute(cbw);
        uint32_t want = cbw[8] | cbw[9] << 8 | cbw[10] << 16 | (uint32_t)cbw[11] << 24;
        dev.phase = want ? BOT_DATA : BOT_CSW;
        if (dev.phase == BOT_DATA && !dev.halted_in && fire(&fake.stall_data)) {
            dev.halted_in = 1;
            dev.status = 1;
            dev.residue = want;
        }
        if (dev.phase == BOT_DATA && dev.halted_in)
            dev.phase = BOT_CSW; /* the stall ends the data phase; the CSW comes next */
        return HCD_OK;
    }
    if (ep != 0x81)
        return HCD_STALL;
    if (dev.halted_in)
        return HCD_STALL;
    uint8_t *out = buf;
    if (dev.phase == BOT_DATA && dev.hang) {
        fake_ms += timeout_ms; /* the reader's firmware hangs: NAK until the host gives up */
        return HCD_TIMEOUT;
    }
    if (dev.phase == BOT_DATA) {
        uint32_t n = dev.data_len;
        const uint8_t *src = dev.data;
        uint8_t csw[13];
        if (fire(&fake.csw_in_data)) {
            dev.status = 1;
            make_csw(csw);
            src = csw;
            n = 13;
            dev.phase = BOT_CBW;
        } else {
            if (fake.short_read && n > mps) {
                fake.short_read--;
                n -= mps;
                dev.residue = 0; /* and lies about it */
            }
            dev.phase = BOT_CSW;
        }
        int overflow = n > len;
        uint32_t moved = overflow ? len : n;
        toggle_step(toggle, &dev.toggle_in, moved, mps);
        if (bulk_bytes(moved)) {
            memcpy(out, src, moved / 2);
            *actual = moved / 2;
            return HCD_DISCONNECTED;
        }
        memcpy(out, src, moved);
        *actual = moved;
        fake_ms += moved / 1216; /* full-speed bus time */
        return overflow ? HCD_XACT_ERROR : HCD_OK;
    }
    if (dev.phase == BOT_CSW) {
        if (fire(&fake.zlp_before_csw)) {
            toggle_step(toggle, &dev.toggle_in, 0, mps);
            return HCD_OK;
        }
        if (fire(&fake.stall_csw)) {
            dev.halted_in = 1;
            return HCD_STALL;
        }
        uint8_t csw[13];
        make_csw(csw);
        uint32_t moved = len < 13 ? len : 13;
        toggle_step(toggle, &dev.toggle_in, moved, mps);
        memcpy(out, csw, moved);
        *actual = moved;
        dev.phase = BOT_CBW;
        return len < 13 ? HCD_XACT_ERROR : HCD_OK;
    }
    /* Nothing to send: the device NAKs until the host gives up. */
    fake_ms += timeout_ms;
    return HCD_TIMEOUT;
}
