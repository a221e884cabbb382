/* The USB mass-storage stick behind the modeled OTG_FS port: a full-speed device with EP0,
 * one bulk IN and one bulk OUT endpoint, Bulk-Only transport and a small SCSI target over a
 * read-only disk image. The host core model (emu/otg.c) calls it once per transaction; all
 * quirks of the profile (docs/emulator-otg.md) are applied here. */
#ifndef EMU_STICK_H
#define EMU_STICK_H

#include <stddef.h>
#include <stdint.h>

#include "otg.h"

struct stick;

/* What the device answers to one token. STICK_SILENT: no valid handshake or data reached the
 * host (timeout, CRC error, wrong address or PID); the host reports a transaction error. */
enum stick_reply { STICK_ACK, STICK_NAK, STICK_STALL, STICK_SILENT, STICK_DATA };

/* Largest IN packet the stick can produce (a babbling packet is longer than any MPS). */
#define STICK_MAX_PACKET 1100

/* disk_path may be NULL only in tests that need no medium; profile_path NULL: defaults. */
struct stick *stick_create(const char *disk_path, const char *profile_path, char *err,
                           size_t err_len);
void stick_destroy(struct stick *s);

/* Time from VBUS on to the D+ pull-up. */
uint64_t stick_connect_delay_ns(const struct stick *s);
/* VBUS applied (1) or removed (0): removal loses all device state. */
void stick_power(struct stick *s, int on, uint64_t now_ns);
/* 0 once the device dropped off the bus on its own (disconnect_after_bytes); power cycling
 * brings it back. */
int stick_on_bus(const struct stick *s);
/* End of a USB bus reset (SE0 >= 10 ms) at now_ns. */
void stick_bus_reset(struct stick *s, uint64_t now_ns);

/* One transaction each. pid: 0 DATA0, 1 DATA1; any other value is an invalid PID for a
 * full-speed function and is ignored (STICK_SILENT). */
enum stick_reply stick_setup(struct stick *s, unsigned addr, unsigned ep, const uint8_t *data,
                             size_t len, uint64_t now_ns);
enum stick_reply stick_out(struct stick *s, unsigned addr, unsigned ep, unsigned pid,
                           const uint8_t *data, size_t len, uint64_t now_ns);
/* IN token: on STICK_DATA, *len bytes (up to STICK_MAX_PACKET) are in buf with *pid. The
 * device only moves on after stick_in_handshake(acked = 1); without the host's ACK it sends
 * the same packet again. */
enum stick_reply stick_in(struct stick *s, unsigned addr, unsigned ep, uint8_t *buf, size_t *len,
                          unsigned *pid, uint64_t now_ns);
void stick_in_handshake(struct stick *s, int acked, uint64_t now_ns);

/* --stick-rw (on = 1): sticks created afterwards write WRITE(10) data into their image file.
 * Default: a private copy made at the first write; the file is never changed. */
void stick_medium_rw(int on);

/* Trace flags as otg_set_trace(): bit 0 usb, bit 1 scsi. */
void stick_set_trace(struct stick *s, unsigned flags);
/* Adds the device-side counters (SCSI, READ(10), BOT resets) to out. */
void stick_add_stats(const struct stick *s, struct otg_stats *out);

#endif
