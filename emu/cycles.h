/* The cycle model (docs/emulator.md, "Cycle model"): what an instruction block, a flash fetch
 * and a bus access cost in HCLK cycles. Two models: simple (one cycle per instruction, no
 * memory or bus timing) and m4 (Cortex-M4 TRM r0p1 section 3.3 instruction timings, the
 * STM32F4 flash wait states with the ART accelerator of RM0090 section 3.5, and bus costs for
 * AHB/APB peripherals). Free of libunicorn: the CPU glue (cpu.c) passes code bytes. */
#ifndef EMU_CYCLES_H
#define EMU_CYCLES_H

#include <stdint.h>

struct machine;

enum cycle_model { CYCLE_SIMPLE = 0, CYCLE_M4 = 1 };

#define CYC_MAX_LINES                                                                              \
    24 /* 128-bit lines tracked per block; a longer block counts the rest as one */

/* What a straight-line block costs with zero wait states, decoded once per translated block. */
struct cyc_block {
    uint32_t base;      /* cycles with zero-wait memory, a final conditional branch not taken */
    uint8_t end;        /* CYC_END_* : how the block leaves */
    uint8_t nlines;     /* 128-bit flash lines the block's instructions start in, in order */
    uint8_t first_wide; /* the first instruction is 32-bit (branch refill, TRM 3.3.1 "P") */
    uint16_t line_cycles[CYC_MAX_LINES]; /* execution cycles of the instructions of each line */
};

enum {
    CYC_END_NONE = 0,    /* falls through (block split) */
    CYC_END_COND = 1,    /* B<cond>, CBZ, CBNZ: refill only when taken */
    CYC_END_DIRECT = 2,  /* B, BL: always taken, target from the immediate */
    CYC_END_INDIRECT = 3 /* BX, BLX, POP/LDM/LDR to PC, TBB/TBH, MOV/ADD PC: always taken */
};

/* Decodes len bytes of Thumb code at addr (one straight-line block) into *b. */
void cycles_decode(struct cyc_block *b, const uint8_t *code, uint32_t addr, uint32_t len);

/* Creates the model's state for m (m->cyc); CYCLE_SIMPLE needs none. Returns 0 or -1. */
int cycles_init(struct machine *m, enum cycle_model model);
void cycles_free(struct machine *m);
/* Power-on and system reset: caches empty and off (FLASH_ACR resets to 0, RM0090 3.9.1). */
void cycles_reset(struct machine *m);

/* Cycles the block at addr costs now, including the refill of the previous block's branch if
 * it was taken and the flash fetch stalls (ART). Called as the block starts. lead (NULL or
 * b->nlines entries): for each 128-bit line, the refill and fetch stall cycles the block
 * spends before that line's first instruction. */
uint64_t cycles_block(struct machine *m, const struct cyc_block *b, uint32_t addr, uint32_t size,
                      uint32_t *lead);

/* A load or store of a block, for timing its accesses within the block (cpu.c). */
enum { CYC_READ = 1, CYC_WRITE = 2 };
struct cyc_mem {
    uint16_t off;  /* its offset in the block */
    uint16_t insn; /* instructions before it in the block */
    uint16_t at;   /* m4 cycles from the block's start to its first data phase, without fetch
                      stalls: its data phases are its last `xfers` cycles (TRM 3.3: an LDR's
                      second cycle, the last N of an LDM's 1 + N) */
    uint8_t line;  /* index of its 128-bit line in the block (CYC_MAX_LINES - 1 at most) */
    uint8_t xfers; /* words it transfers */
    uint8_t dir;   /* CYC_READ and/or CYC_WRITE */
};

/* Lists the loads and stores of the block of len code bytes at addr, in order, at most max;
 * returns how many. */
unsigned cycles_mem_insns(const uint8_t *code, uint32_t addr, uint32_t len, struct cyc_mem *mem,
                          unsigned max);

/* Extra cycles of a data read from flash at addr (D-cache, wait states). */
uint32_t cycles_flash_data(struct machine *m, uint32_t addr);

/* Extra cycles of a load or store to a peripheral at addr, beyond the TRM's zero-wait count:
 * AHB wait state and the AHB-APB bridge at the APB prescaler. */
uint32_t cycles_bus(struct machine *m, uint32_t addr);

/* The flash changed in [lo, hi) (offsets): lines cached from it are stale. */
void cycles_flash_changed(struct machine *m, uint32_t lo, uint32_t hi);

/* FLASH_ACR was written (ICRST/DCRST empty the caches; flash.c calls this). */
void cycles_acr_written(struct machine *m, uint32_t acr);

#endif
