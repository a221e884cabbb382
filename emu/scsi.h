/* The SCSI target inside the modeled stick: one logical unit per LUN, sense data, readiness,
 * unit attention and the medium (a read-only image file or zeros). */
#ifndef EMU_SCSI_H
#define EMU_SCSI_H

#include <stddef.h>
#include <stdint.h>

enum scsi_lun_kind { SCSI_LUN_DISK, SCSI_LUN_EMPTY, SCSI_LUN_CDROM };

struct scsi_lun {
    enum scsi_lun_kind kind;
    int fd; /* image file (read-only), or -1: the medium reads as zeros */
    uint32_t block_size;
    uint64_t blocks;
    uint8_t sense_key, asc, ascq;
    int unit_attention;      /* pending 06/28/00 */
    unsigned not_ready_left; /* TEST UNIT READY failures still to come */
    uint64_t ready_at_ns;    /* media commands say BECOMING READY before this time */
    int raw_capacity;        /* READ CAPACITY(10) answers capacity_reply as it is */
    uint8_t capacity_reply[8];
    int write_protect; /* MODE SENSE WP bit; WRITE(10) fails DATA PROTECT */
    int write_refused; /* WRITE(10) fails INVALID COMMAND OPERATION CODE */
    int fd_writable;   /* fd may be written (--stick-rw, or the private copy made) */
    uint64_t blocks_written;
};

struct scsi_quirks {
    int capacity_off_by_one;
    int inquiry_needs_36;
    unsigned max_sectors; /* 0: no limit */
};

enum scsi_status { SCSI_GOOD = 0, SCSI_CHECK_CONDITION = 2 };

/* Outcome of one command: data for the host (IN) from data[] or from the medium. */
struct scsi_reply {
    enum scsi_status status;
    uint32_t data_len; /* bytes the device wants to send */
    uint8_t data[36];
    int from_medium; /* data comes from the medium at medium_offset */
    uint64_t medium_offset;
    int stall_data; /* the device stalls the data phase instead of sending */
    int is_read10;
    uint32_t lba, blocks; /* for the trace */
    int is_write10;
    uint32_t data_out_len; /* bytes the device takes from the host (WRITE(10)) */
};

/* now_ns: the device's time, for readiness by time (ready_at_ns). */
void scsi_command(struct scsi_lun *lun, const struct scsi_quirks *quirks, const uint8_t cdb[16],
                  uint64_t now_ns, struct scsi_reply *reply);
/* Reads len bytes of the medium at offset into buf (zeros where there is no image). */
void scsi_read_medium(const struct scsi_lun *lun, uint64_t offset, uint8_t *buf, size_t len);
/* Writes len bytes at offset into the medium. The first write to a medium that is not writable
 * (the --stick image without --stick-rw) first copies it to a private unlinked temporary file:
 * the user's file is never changed. 0, or -1 on a host I/O error. */
int scsi_write_medium(struct scsi_lun *lun, uint64_t offset, const uint8_t *buf, size_t len);
/* "READ(10)" etc., for the trace. */
const char *scsi_opcode_name(uint8_t opcode);

#endif
