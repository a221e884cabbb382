/* Flash programming per RM0090 section 3.6: x32 parallelism (2.7-3.6 V), one word at a time. */
#include "flash.h"

#include "board.h"
#include "config.h"
#include "platform.h"
#include "regs.h"

/* Worst cases from the datasheet at x32: 128 KB erase 2 s, word program 100 us. */
#define ERASE_TIMEOUT_MS   4000u
#define PROGRAM_TIMEOUT_MS 2u

void plat_unique_id(uint32_t id[3])
{
    const volatile uint32_t *uid = (const volatile uint32_t *)0x1FFF7A10u; /* RM0090 39.1 */
    for (int i = 0; i < 3; i++)
        id[i] = uid[i];
}

const uint32_t *flash_words(uint32_t addr)
{
    return (const uint32_t *)(uintptr_t)addr;
}

void flash_unlock(void)
{
    if (FLASH_CR & FLASH_CR_LOCK) {
        FLASH_KEYR = FLASH_KEY1;
        FLASH_KEYR = FLASH_KEY2;
    }
}

__attribute__((noinline)) void flash_lock(void)
{
    FLASH_CR = FLASH_CR_LOCK;
    flash_caches_reset();
}

__attribute__((noinline)) void flash_caches_reset(void)
{
    /* Erased lines may sit in the ART caches: flush them (caches off while resetting). */
    uint32_t acr = FLASH_ACR;
    FLASH_ACR = acr & ~(FLASH_ACR_ICEN | FLASH_ACR_DCEN);
    FLASH_ACR = (acr & ~(FLASH_ACR_ICEN | FLASH_ACR_DCEN)) | FLASH_ACR_ICRST | FLASH_ACR_DCRST;
    FLASH_ACR = acr;
}

/* Waits for BSY to clear, then reports and clears the error flags. */
static int flash_wait(uint32_t timeout_ms)
{
    uint32_t start = plat_ms();
    while (FLASH_SR & FLASH_SR_BSY) {
        if (plat_ms() - start > timeout_ms)
            return -1;
    }
    uint32_t errors = FLASH_SR & FLASH_SR_ERRORS;
    FLASH_SR = errors | FLASH_SR_EOP;
    FLASH_CR &= ~(FLASH_CR_PG | FLASH_CR_SER);
    return errors ? -1 : 0;
}

RAMFUNC int flash_idle(int stall)
{
    /* RM0090 3.6: a read of the flash stalls the bus until the operation ends (a word program:
     * 100 us at most, DS8626), as every fetch of code in flash does; no poll loop to spin. */
    if (stall)
        (void)*(volatile const uint32_t *)FLASH_BASE_ADDR;
    uint32_t sr = FLASH_SR; /* one read: the next program starts sooner */
    if (sr & FLASH_SR_BSY)
        return 0;
    sr &= FLASH_SR_ERRORS;
    if (!sr)
        return 1;
    FLASH_SR = sr;
    return -1;
}

RAMFUNC int flash_erase_start(unsigned sector)
{
#if BOARD_FLASH_DUAL_BANK
    /* RM0090 3.9.8: SNB codes bank 2's sectors 12-23 as 16-27 (bit 7 selects the bank). */
    if (sector >= 12u)
        sector += 4u;
#endif
    FLASH_CR = FLASH_CR_PSIZE_X32 | FLASH_CR_SER | (sector << FLASH_CR_SNB_SHIFT);
    FLASH_CR |= FLASH_CR_STRT;
    return 0;
}

RAMFUNC int flash_program_start(uint32_t addr, uint32_t word)
{
    FLASH_CR = FLASH_CR_PSIZE_X32 | FLASH_CR_PG;
    *(volatile uint32_t *)(uintptr_t)addr = word;
    return 0;
}

int flash_erase_sector(unsigned sector)
{
    if (flash_wait(ERASE_TIMEOUT_MS) != 0)
        return -1;
    flash_erase_start(sector);
    return flash_wait(ERASE_TIMEOUT_MS);
}

int flash_program_word(uint32_t addr, uint32_t word)
{
    if (flash_wait(PROGRAM_TIMEOUT_MS) != 0)
        return -1;
    flash_program_start(addr, word);
    if (flash_wait(PROGRAM_TIMEOUT_MS) != 0)
        return -1;
    flash_caches_reset(); /* the word's line may be cached from before (RM0090 3.5.2) */
    return *(volatile uint32_t *)(uintptr_t)addr == word ? 0 : -1;
}

/* RM0090 3.6.2 / 3.6.4: OPTKEYR unlocks OPTCR (a second key while unlocked is a bus error, so
 * only when OPTLOCK reads 1); OPTSTRT rewrites the whole user configuration sector from OPTCR,
 * so every other bit (RDP, USER, other sectors' nWRP) is written back as it reads. RDP is never
 * changed here: leaving level 1 mass-erases the chip. */
int flash_boot_protection(int on)
{
    uint32_t optcr = FLASH_OPTCR;
    if (!(optcr & FLASH_OPTCR_NWRP0) == !!on)
        return 0; /* already as asked: nothing written (idempotent) */
    if (flash_wait(ERASE_TIMEOUT_MS) != 0)
        return -1;
    if (optcr & FLASH_OPTCR_OPTLOCK) {
        FLASH_OPTKEYR = FLASH_OPTKEY1;
        FLASH_OPTKEYR = FLASH_OPTKEY2;
    }
    optcr = (optcr ^ FLASH_OPTCR_NWRP0) & ~FLASH_OPTCR_OPTLOCK;
    FLASH_OPTCR = optcr;
    FLASH_OPTCR = optcr | FLASH_OPTCR_OPTSTRT;
    int r = flash_wait(ERASE_TIMEOUT_MS);
    FLASH_OPTCR = optcr | FLASH_OPTCR_OPTLOCK;
    return r;
}
