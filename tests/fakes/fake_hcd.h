/* A fake HCD (usb/hcd.h) for host tests: one USB mass-storage device behind it, speaking
 * Bulk-Only + SCSI, with quirks to inject. Time comes from tests/fakes/fake_platform.c's
 * virtual clock (fake_ms): every HCD call costs 1 ms, a timeout costs its full length. */
#ifndef TESTS_FAKE_HCD_H
#define TESTS_FAKE_HCD_H

#include <stdint.h>

#include "fake_platform.h"

#define FAKE_MAX_LUNS 16

enum fake_max_lun_mode { MAXLUN_VALUE, MAXLUN_STALL, MAXLUN_ZLP, MAXLUN_TIMEOUT };

struct fake_lun {
    uint8_t type;       /* INQUIRY peripheral device type: 0 disk, 5 CD-ROM */
    int empty;          /* no medium: TUR says 02/3A forever */
    int not_ready;      /* TUR says 02/04/01 this many times first */
    int unit_attention; /* then 06/28/00 this many times */
    uint32_t block_size;
    uint32_t blocks; /* READ CAPACITY reports blocks - 1 */
};

struct fake_device {
    int connected;
    uint8_t device_desc[18];
    uint8_t device_desc_len; /* bytes the device returns at most */
    uint8_t config_desc[2048];
    uint16_t config_len;
    enum fake_max_lun_mode max_lun_mode;
    uint8_t max_lun;
    struct fake_lun lun[FAKE_MAX_LUNS];

    /* Quirks: each counter fires that many times (-1 = always). */
    int zlp_before_csw;          /* a ZLP where the CSW should be */
    int stall_csw;               /* STALL where the CSW should be */
    int csw_in_data;             /* skip the data phase: CSW (status 1) instead of data */
    int phase_error;             /* CSW status 2 */
    int bad_tag;                 /* CSW with the wrong tag */
    int bad_signature;           /* CSW with a broken signature */
    int stall_data;              /* STALL the data phase of a good command, then CSW status 1 */
    int stall_everything;        /* every control and bulk transfer STALLs */
    int nak_bulk;                /* bulk transfers time out (NAK until the timeout) */
    int nak_control;             /* control transfers time out */
    int xact_bulk;               /* bulk transfers end in HCD_XACT_ERROR */
    int boms_reset_stalls;       /* Bulk-Only Mass Storage Reset STALLs */
    int short_read;              /* READ(10) data one packet short, CSW good (residue 0: a lie) */
    uint32_t max_sectors;        /* READ(10) of more blocks fails (0 = no limit) */
    uint32_t hang_above_sectors; /* READ(10) of more blocks hangs (0 = never) */
    long disconnect_after_bytes; /* unplug once this many bulk bytes moved (-1 = never) */
    uint32_t port_reset_fails;   /* port resets that fail */
    int control_dies_after;      /* control transfers time out after this many (-1 = never) */
    int capacity_off_by_one;     /* READ CAPACITY reports the block count */
    int raw_capacity;            /* READ CAPACITY reports raw_last / raw_size instead */
    uint32_t raw_last, raw_size;
    uint32_t last_sector_bug;     /* a multi-block READ(10) touching the last N blocks hangs */
    uint8_t msc_iface;            /* class requests STALL unless wIndex names it */
    uint8_t msc_alt;              /* bulk pipes answer only after SET_INTERFACE(msc_alt) */
    uint32_t deaf_after_reset_ms; /* control transfers fail (XACT) this long after a reset */
    uint32_t vbus_off_min_ms;     /* warm_reset_hang lifts only after VBUS off this long */
    int warm_reset_hang;          /* a port reset while configured: nothing answers */
    uint32_t slow_control_ms;     /* each control request fails (XACT) for this long first */
    int stall_set_config;         /* SET_CONFIGURATION STALLs */
    int just_under_timeout;       /* every transfer answers 1 ms before the host's timeout */
};

struct fake_stats {
    unsigned port_resets, set_address, set_config, get_desc_first_len, get_descs;
    unsigned boms_resets, clear_halts, cbws, read10, max_read10_blocks, inquiry_bad_len;
    unsigned read_last_lba, read_beyond, toggle_errors, wrong_address, tur, request_sense;
    unsigned get_max_lun, set_interface, vbus_cycles;
    uint32_t vbus_off_ms; /* length of the last VBUS-off */
    uint64_t bulk_in_bytes;
};

extern struct fake_device fake;
extern struct fake_stats fake_stats;

/* A well-behaved stick: EP0 64, one LUN, 512-byte blocks, `blocks` blocks, EP 0x81/0x02. */
void fake_hcd_reset(uint32_t blocks);
/* The device's current state, for tests: hung (warm_reset_hang) or not. */
int fake_hung(void);
/* Builds the usual configuration descriptor (one MSC interface, bulk IN/OUT, MPS mps). */
void fake_set_config(uint16_t mps);
/* Content of byte `offset` of block `lba` of LUN `lun`. */
uint8_t fake_block_byte(unsigned lun, uint32_t lba, uint32_t offset);

#endif
