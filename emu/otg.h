/* Interface between stickemu's core (emu/main.c, CPU, bus, clocks) and its OTG_FS host-mode
 * core model with the USB stick behind it (emu/otg.c, emu/stick.c). The core owns virtual
 * time and calls otg_advance() before every OTG register access and whenever time jumps. */
#ifndef EMU_OTG_H
#define EMU_OTG_H

#include <stddef.h>
#include <stdint.h>

#define OTG_FS_BASE_ADDR 0x50000000u
#define OTG_FS_SPAN      0x00040000u /* registers + FIFO windows */
#define OTG_HS_BASE_ADDR 0x40040000u
#define OTG_HS_SPAN      0x00040000u

struct otg_model;

/* What differs between the two cores of the F4 in host mode with a full-speed PHY
 * (docs/emulator-otg.md "Two cores"): channel count, FIFO RAM, the largest RX/non-periodic TX
 * FIFO, the identification registers, and whether GUSBCFG.PHYSEL selects a PHY (OTG_HS: the
 * ULPI PHY at reset, the embedded full-speed PHY when set before a core soft reset). */
struct otg_core_cfg {
    const char *name;
    unsigned nchan;      /* host channels */
    unsigned fifo_words; /* FIFO RAM, 32-bit words */
    unsigned fifo_max;   /* largest RXFD / NPTXFD */
    uint32_t cid, gsnpsid, ghwcfg[4];
    int hs; /* PHYSEL selects the PHY, latched at the core soft reset */
};
#define OTG_MAX_CHAN       12
#define OTG_MAX_FIFO_WORDS 1024
extern const struct otg_core_cfg otg_fs_core, otg_hs_core;

struct otg_stats {
    uint64_t usb_in_bytes;  /* payload bytes the device sent (all endpoints) */
    uint64_t usb_out_bytes; /* payload bytes the host sent */
    uint32_t transactions;
    uint32_t naks;
    uint32_t stalls;
    uint32_t xact_errors; /* injected TXERR/BBERR/DTERR */
    uint32_t port_resets;
    uint32_t scsi_cmds;
    uint32_t read10_cmds;
    uint64_t read10_bytes;
    uint32_t bot_resets;
    uint32_t
        protocol_errors; /* firmware accesses RM0090 forbids (logged as "otg: firmware error") */
};

/* disk_path: the medium, opened read-only (NULL: no stick at all). profile_path: key=value
 * quirks (NULL: a well-behaved stick). On a file or syntax error returns NULL and writes a
 * one-line message to err. The stick starts out of the port: otg_set_plugged(m, 1, t)
 * inserts it. */
struct otg_model *otg_create(const char *disk_path, const char *profile_path, char *err,
                             size_t err_len);
/* The same for a given core (otg_create: OTG_FS). */
struct otg_model *otg_create_core(const struct otg_core_cfg *core, const char *disk_path,
                                  const char *profile_path, char *err, size_t err_len);
void otg_destroy(struct otg_model *m);

/* Power-on: registers to reset values, device unpowered. */
void otg_power_on(struct otg_model *m, uint64_t now_ns);
/* System reset or RCC AHB2 reset of OTG_FS: core registers to reset values; the device stays
 * plugged but loses VBUS if the VBUS switch turns off. */
void otg_core_reset(struct otg_model *m, uint64_t now_ns);
/* VBUS switch output as the board drives it (1 = 5 V on the connector). */
void otg_set_vbus(struct otg_model *m, int on, uint64_t now_ns);
/* Physically insert or remove the stick. */
void otg_set_plugged(struct otg_model *m, int plugged, uint64_t now_ns);
/* OTGFSEN clock enable and a 48 MHz clock present; without it register writes are ignored
 * and reads return 0. */
void otg_set_clocked(struct otg_model *m, int clocked);
/* The frequency of the 48 MHz clock (PLL48CK) in Hz as the board delivers it, worst case
 * within its source's accuracy (48000000 until told). USB 2.0 7.1.11 allows a full-speed
 * host +-0.25 % (RM0090 7.3.2 PLLQ: OTG_FS needs 48 MHz); outside it every
 * transaction fails as on the bus (the device cannot decode the token: TXERR). */
void otg_set_phy_clock_hz(struct otg_model *m, uint32_t hz);

/* Register / FIFO access at offset from OTG_FS_BASE_ADDR; size is 1, 2 or 4. */
uint32_t otg_read(struct otg_model *m, uint32_t offset, unsigned size, uint64_t now_ns);
void otg_write(struct otg_model *m, uint32_t offset, uint32_t value, unsigned size,
               uint64_t now_ns);

/* The board lost power: the stick loses VBUS at once (a WRITE(10) in flight is cut). */
void otg_power_cut(struct otg_model *m, uint64_t now_ns);

/* Process everything due up to now_ns. */
void otg_advance(struct otg_model *m, uint64_t now_ns);
/* Time of the next internal event (transaction done, port reset done, connect...), or
 * UINT64_MAX when nothing is pending. Used to jump time while the firmware polls. */
uint64_t otg_next_event_ns(const struct otg_model *m);

/* The OTG_FS global interrupt line (IRQ 67 on the F407, RM0090 table 61): GINTSTS & GINTMSK
 * with GAHBCFG.GINT set (RM0090 34.17.2 OTG_FS_GAHBCFG). The core samples it after every
 * access and every otg_advance(). */
int otg_irq_level(const struct otg_model *m);

/* Trace flags: bit 0 usb transactions, bit 1 SCSI commands. Lines go through emu_log(). */
void otg_set_trace(struct otg_model *m, unsigned flags);
void otg_get_stats(const struct otg_model *m, struct otg_stats *out);

#endif
