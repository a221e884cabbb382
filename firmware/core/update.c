/* Update pipeline. See update.h and docs/image-format.md.
 * Safety argument: the old image is valid only while word 7, its trailer and its CRC are
 * intact. The first erase destroys word 7 (the region's first sector is erased first), and the
 * new trailer is programmed only after the programmed bytes have been verified, so a power cut
 * at any instant leaves the old image (cut before the first erase) or no valid image. */
#include "update.h"

#include "config.h"
#include "crc.h"
#include "flash.h"
#include "platform.h"
#include "ramfunc.h"
#include "status.h"

#if SECURE
#include "p256.h"
#include "sha256.h"
#include "signing_key.h" /* generated from the PEM given at build time */
#endif

#define CHUNK_BYTES  (32u * 1024u) /* one READ(10) of 64 x 512-byte blocks */
#define VECTOR_WORDS 8u            /* words 0..7: SP, reset, faults, word 7 = L */

const struct image_limits update_limits = {
    APP_BASE, APP_REGION_SIZE, CHIP_SRAM_START, CHIP_SRAM_END, BOARD_ID,
};

static NOINIT uint32_t chunk[CHUNK_BYTES / 4];
#if REPORT_LOG
uint32_t update_file_version;
#endif

/* What pass 1 learned about the file; pass 2 relies on it. */
static struct {
    uint32_t app_length; /* L */
    uint32_t trailer_size;
    int raw;
    uint32_t vectors[2];
    uint8_t tail[IMAGE_TRAILER_SIZE_SIGNED]; /* the file's trailer bytes (packed images) */
    struct image_base_scan base;             /* which base the vector table links to */
    struct image_trailer trailer;
#if SECURE
    struct sha256 sha;
    uint8_t digest[32];
#endif
} plan;

int installed_image(struct image_trailer *t)
{
    const uint32_t *app = flash_words(APP_BASE);
    uint32_t length = app[7];
    if (length % 4u || length < VECTOR_WORDS * 4u || length > APP_REGION_SIZE - IMAGE_TRAILER_SIZE)
        return 0;
    const uint8_t *trailer = (const uint8_t *)flash_words(APP_BASE + length);
    uint32_t size = trailer[6] | (uint32_t)trailer[7] << 8;
    if (size > APP_REGION_SIZE - length || image_trailer_decode(trailer, size, t) != IMAGE_OK ||
        t->app_length != length || image_trailer_check(t, &update_limits) != IMAGE_OK ||
        image_vectors_check(app, length, &update_limits) != IMAGE_OK)
        return 0;
    crc_reset();
    crc_feed_words(app, length / 4u);
    return crc_value() == t->app_crc;
}

#if SECURE && ANTI_ROLLBACK
/* The rollback floor: the highest valid (version, ~version) pair of the log at FLOOR_ADDR.
 * Pairs are programmed in order into erased words; a pair torn by a power cut does not match
 * and is skipped. *free_pair: the first erased pair, or 0 when the log is full (the floor then
 * stays where it is: it can never go down). */
static uint32_t rollback_floor(uint32_t *free_pair)
{
    const uint32_t *w = flash_words(FLOOR_ADDR);
    uint32_t floor = 0;
    *free_pair = 0;
    for (uint32_t i = 0; i < FLOOR_BYTES / 4u; i += 2) {
        if (w[i] == 0xFFFFFFFFu && w[i + 1] == 0xFFFFFFFFu) {
            *free_pair = FLOOR_ADDR + 4u * i;
            break;
        }
        if (w[i + 1] == ~w[i] && w[i] > floor)
            floor = w[i];
    }
    return floor;
}
#endif

static int image_error(enum image_result r)
{
    if (r == IMAGE_TOO_BIG)
        return SB_ERR_TOO_BIG;
    if (r >= IMAGE_UNSIGNED)
        return SB_ERR_SIGNATURE;
    return r == IMAGE_OK ? SB_OK : SB_ERR_IMAGE;
}

/* Decides from the first chunk whether the file is a packed image (word 7 = L, trailer after
 * L) or a raw binary (word 7 is 0 or erased). */
static int classify(uint32_t file_size)
{
    uint32_t word7 = chunk[7];
#if LOG
    image_why_file((const uint8_t *)chunk, file_size);
#endif
    plan.raw = word7 == 0 || word7 == 0xFFFFFFFFu;
    if (plan.raw) {
        if (!RAW_IMAGES || SECURE)
            return image_error(IMAGE_WHY(IMAGE_UNSIGNED, 0, 0));
        plan.app_length = (file_size + 3u) & ~3u;
        plan.trailer_size = IMAGE_TRAILER_SIZE;
    } else {
        plan.app_length = word7;
        plan.trailer_size = file_size - word7; /* wraps to huge when word7 > size */
        if (word7 % 4u || (plan.trailer_size != IMAGE_TRAILER_SIZE &&
                           plan.trailer_size != IMAGE_TRAILER_SIZE_SIGNED))
            return image_error(IMAGE_WHY(IMAGE_BAD_LENGTH, word7, file_size - IMAGE_TRAILER_SIZE));
    }
    plan.vectors[0] = chunk[0];
    plan.vectors[1] = chunk[1];
    return SB_OK;
}

/* Reads the next chunk at file offset pos into buf (size bytes, a multiple of 4, at least
 * 32) and prepares it as it goes to flash: raw images get word 7 = L and 0xFF padding to a
 * whole word. Returns a status; *app_words is the number of buf words inside [0, L), *got the
 * file bytes read. */
static int next_chunk(const struct image_source *src, uint32_t pos, uint32_t *got,
                      uint32_t *app_words, uint32_t *buf, uint32_t size)
{
    *app_words = 0;
    int r = src->read(src->ctx, buf, size, got);
    if (r != SB_OK)
        return r;
    uint32_t n = *got;
    /* Only the last chunk may be short of a whole word; nothing may run past the file. */
    if (n > size || n > src->size - pos || (n % 4u && pos + n != src->size) ||
        (pos == 0 && n != 0 && n < VECTOR_WORDS * 4u))
        return SB_ERR_FS_CORRUPT;
    if (n == 0)
        return SB_OK;
    if (pos == 0 && plan.app_length == 0) {
        r = classify(src->size);
        if (r != SB_OK)
            return r;
    }
    if (pos == 0 && plan.raw)
        buf[7] = plan.app_length;
    for (uint8_t *bytes = (uint8_t *)buf; n % 4u; n++)
        bytes[n] = 0xFF;
    uint32_t app_bytes = pos >= plan.app_length ? 0 : plan.app_length - pos;
    *app_words = (n < app_bytes ? n : app_bytes) / 4u;
    return SB_OK;
}

static unsigned percent(uint32_t done, uint32_t total)
{
    return (unsigned)(done * 100u / total); /* total <= 1 MB: no overflow */
}

/* Pass 1: stream the whole file, check everything, change nothing. */
static int check_file(const struct image_source *src)
{
    uint32_t size = src->size;
    if (size < VECTOR_WORDS * 4u)
        return image_error(IMAGE_WHY(IMAGE_BAD_LENGTH, size, VECTOR_WORDS * 4u));
    plan.app_length = 0;
    src->rewind(src->ctx);
    crc_reset();
#if SECURE
    sha256_init(&plan.sha);
#endif
    uint32_t pos = 0, got, app_words;
    for (;;) {
        int r = next_chunk(src, pos, &got, &app_words, chunk, CHUNK_BYTES);
        if (r != SB_OK)
            return r;
        if (got == 0)
            break;
        if (pos == 0)
            image_base_begin(&plan.base, plan.app_length);
        image_base_feed(&plan.base, (const uint8_t *)chunk, pos, got);
        crc_feed_words(chunk, app_words);
#if SECURE
        sha256_update(&plan.sha, chunk, app_words * 4u);
#endif
        /* Keep the bytes behind L: the trailer of a packed image. */
        for (uint32_t i = app_words * 4u; i < got; i++)
            plan.tail[pos + i - plan.app_length] = ((const uint8_t *)chunk)[i];
        pos += got;
        plat_watchdog_kick();
        plat_show(PHASE_READING, percent(pos, size));
    }
    if (pos != size)
        return SB_ERR_FS_CORRUPT;

    uint32_t crc = crc_value();
    enum image_result check;
    if (plan.raw) {
        struct image_trailer *t = &plan.trailer;
        t->magic = IMAGE_MAGIC;
        t->format = IMAGE_FORMAT;
        t->size = IMAGE_TRAILER_SIZE;
        t->app_length = plan.app_length;
        t->load_address = APP_BASE;
        t->app_crc = crc;
        t->app_version = 0;
        t->board_id = BOARD_ID;
        t->flags = IMAGE_FLAG_RAW;
    } else {
        check = image_trailer_decode(plan.tail, plan.trailer_size, &plan.trailer);
        if (check != IMAGE_OK)
            return image_error(IMAGE_WHY(check, 0, 0));
        if (plan.trailer.app_length != plan.app_length)
            return image_error(
                IMAGE_WHY(IMAGE_BAD_LENGTH, plan.trailer.app_length, plan.app_length));
        if (plan.trailer.app_crc != crc)
            return image_error(IMAGE_WHY(IMAGE_BAD_CRC, crc, plan.trailer.app_crc));
    }
#if REPORT_LOG
    update_file_version = plan.trailer.app_version;
#endif
    check = image_trailer_check(&plan.trailer, &update_limits);
    if (check == IMAGE_OK)
        check = image_vectors_check(plan.vectors, plan.app_length, &update_limits);
    if (check == IMAGE_OK)
        check = image_base_check(&plan.base, &update_limits);
#if SECURE
    if (check == IMAGE_OK) {
        sha256_update(&plan.sha, plan.tail, IMAGE_SIGNATURE_OFFSET);
        sha256_final(&plan.sha, plan.digest);
        if (!(plan.trailer.flags & IMAGE_FLAG_SIGNED) ||
            plan.trailer_size != IMAGE_TRAILER_SIZE_SIGNED)
            check = IMAGE_WHY(IMAGE_UNSIGNED, 0, 0);
        else if (!p256_ecdsa_verify(signing_key, plan.digest, plan.trailer.signature))
            check = IMAGE_WHY(IMAGE_BAD_SIGNATURE, 0, 0);
    }
#endif
    return image_error(check);
}

#if !OVERLAP_PASS2
/* Four words a step: the check of a 1 MB region takes half the time of one at a time. */
static int sector_is_blank(unsigned sector)
{
    const uint32_t *word = flash_words(flash_sector_start(sector));
    uint32_t all = 0xFFFFFFFFu;
    for (uint32_t n = flash_sector_size(sector) / 16u; n && all == 0xFFFFFFFFu; n--, word += 4)
        all = word[0] & word[1] & word[2] & word[3];
    return all == 0xFFFFFFFFu;
}

/* Every non-blank sector of the application region: the ones the image needs, and leftovers
 * of a longer old image behind it. Ascending, so the first erase destroys the old word 7. */
static int erase_region(void)
{
    unsigned last = (unsigned)flash_sector_of(APP_REGION_END - 1u);
    for (unsigned s = (unsigned)flash_sector_of(APP_BASE); s <= last; s++) {
        plat_watchdog_kick();
        if (!sector_is_blank(s) && flash_erase_sector(s) != 0)
            return SB_ERR_FLASH;
    }
    return SB_OK;
}
#else
/* The blank check of the region, run during pass 1: plat_ms() calls a step from the USB waits
 * (plat_background), update_install() finishes it after the check. It only reads the flash;
 * pass 2 takes each erase decision from its result (scan.dirty) instead of reading the sector
 * again. That stays right because nothing writes the region in between: pass 1 writes nothing,
 * the rollback floor log is in sector 0, and pass 2 erases and programs in ascending order, so
 * a sector is as scanned until its own erase decision (before its first word, or drain(1) for
 * the leftovers). A power cut or reset loses the result with the rest of RAM; the next session
 * scans again. The sequential pass 2 (ENCRYPT=1) keeps sector_is_blank() and its bytes. */
#define SCAN_LINES     256u /* 16-byte lines a step: 4 KB, about 30 us; divides every sector */
#define SCAN_LAST      ((unsigned)flash_sector_of(APP_REGION_END - 1u)) /* checked whole, as erased */
static struct {
    const uint32_t *line; /* next to check */
    unsigned sector;      /* line's; past SCAN_LAST: done */
    uint32_t dirty;       /* bit s: sector s holds a word other than 0xFFFFFFFF */
} scan;

static void scan_step(void)
{
    unsigned s = scan.sector;
    if (s > SCAN_LAST)
        return;
    const uint32_t *w = scan.line;
    const uint32_t *end = flash_words(flash_sector_start(s + 1u));
    uint32_t all = 0xFFFFFFFFu;
    for (unsigned n = SCAN_LINES; n; n--, w += 4)
        all &= w[0] & w[1] & w[2] & w[3];
    if (all != 0xFFFFFFFFu) {
        scan.dirty |= 1u << s;
        w = end; /* one word decides for the sector */
    }
    if (w == end)
        scan.sector = s + 1u;
    scan.line = w;
}

/* Pass 2 programs one half of chunk while the stick fills the other: the erases and word
 * programs run in the background (program_behind, called by plat_ms() from the USB waits,
 * from SRAM) and the CPU keeps the transfers going while the flash is busy. Erases stay
 * ascending, the region's first sector first (the safety argument above), each just before
 * the first word that needs it; a sector the blank check found blank is not erased. */
#define HALF_WORDS     (CHUNK_BYTES / 8u)
#define STEPS_PER_CALL 4u    /* words per call: 64 us typical, 400 us at the 100 us maximum */
#define DRAIN_LIMIT_MS 9000u /* from the last erase's start: 2 s (128 KB) + 4096 programs */
static struct {
    const uint32_t *word; /* next word to program, at addr */
    uint32_t addr, left;
    uint32_t erased_end; /* [APP_BASE, erased_end) is erased or was blank */
    int erasing;         /* the last operation started was an erase: never stall on it */
    unsigned next_sector, last_sector;
    int error;
} job;

/* One call: up to STEPS_PER_CALL steps while the flash is idle or busy for at most a word
 * program. Runs from SRAM: while the flash is busy it reads nothing from flash (the sector
 * map runs only once flash_idle() said idle). */
RAMFUNC static void program_behind(void)
{
    /* In registers: the program stores may alias job, which the compiler would reload. */
    const uint32_t *word = job.word;
    uint32_t addr = job.addr, left = job.left;
    for (unsigned n = STEPS_PER_CALL; n && !job.error; n--) {
        int idle = flash_idle(!job.erasing);
        if (idle <= 0) {
            job.error = idle < 0;
            break;
        }
        job.erasing = 0;
        if (addr >= job.erased_end) {
            unsigned s = job.next_sector;
            if (s > job.last_sector)
                break;
            job.next_sector = s + 1u;
            job.erased_end = flash_sector_start(s + 1u);
            if (scan.dirty >> s & 1u) {
                job.erasing = 1;
                job.error = flash_erase_start(s) != 0;
            }
            continue;
        }
        if (!left)
            break;
        if (*word != 0xFFFFFFFFu && flash_program_start(addr, *word) != 0)
            job.error = 1;
        word++;
        addr += 4u;
        left--;
    }
    job.word = word;
    job.addr = addr;
    job.left = left;
}

/* Finishes the job in the foreground; all: also erases every non-blank sector left in the
 * region (leftovers of a longer old image, the trailer's sector) and waits for the flash. From
 * SRAM too: its loop runs while a word programs, not after it (code in flash would stall). */
RAMFUNC static int drain(int all)
{
    plat_watchdog_kick(); /* here and in the erase waits: a half's programs take 0.4 s at most */
    uint32_t start = plat_ms();
    if (all)
        job.addr = 0xFFFFFFFFu;
    while (!job.error) {
        unsigned sector = job.next_sector;
        program_behind();
        if (job.next_sector != sector)
            start = plat_ms(); /* each erase its own bound: drain(1) may erase 22 sectors */
        if (!all && !job.left)
            return SB_OK;
        if (all && job.next_sector > job.last_sector) {
            int idle = flash_idle(!job.erasing);
            if (idle > 0)
                return SB_OK;
            job.error = idle < 0;
        }
        if (plat_ms() - start > DRAIN_LIMIT_MS)
            break;
        /* Nothing to do until the erase ends: wait a SysTick millisecond rather than spin on
         * the cycle counter (a 2 MB part's bank-2 erases do not stall code in bank 1; stickemu
         * skips a SysTick wait, not a spin: 3 min of CPU for 22 erases before). */
        if (job.erasing) {
            plat_watchdog_kick();
            plat_delay_ms(1);
        }
    }
    return SB_ERR_FLASH;
}

#endif

static int program_words(uint32_t addr, const uint32_t *words, uint32_t count)
{
    for (; count; count--, addr += 4u, words++) {
        if (*words != 0xFFFFFFFFu && flash_program_word(addr, *words) != 0)
            return SB_ERR_FLASH;
    }
    return SB_OK;
}

#ifdef SREC_CRC_ADDR
/* Optional whole-flash CRC word, as srec_cat -STM32 computes it over [flash start, addr)
 * with erased bytes as 0xFF. */
int seal_whole_flash(void)
{
    crc_reset();
    crc_feed_words(flash_words(CHIP_FLASH_BASE), (SREC_CRC_ADDR - CHIP_FLASH_BASE) / 4u);
    return flash_program_word(SREC_CRC_ADDR, crc_value()) ? SB_ERR_FLASH : SB_OK;
}
#endif

#if !OVERLAP_PASS2
/* Pass 2: erase, program while streaming the file again, verify, then seal. */
static int write_image(const struct image_source *src)
{
    uint32_t size = src->size, pos = 0, got, app_words;
    flash_unlock();
    int r = erase_region();
    src->rewind(src->ctx);
    crc_reset();
    while (r == SB_OK) {
        r = next_chunk(src, pos, &got, &app_words, chunk, CHUNK_BYTES);
        if (r != SB_OK || got == 0)
            break;
        crc_feed_words(chunk, app_words);
        r = program_words(APP_BASE + pos, chunk, app_words);
        pos += got;
        plat_watchdog_kick();
        plat_show(PHASE_WRITING, percent(pos, size));
    }
#else
/* Pass 2: erase and program behind the second streaming of the file, verify, then seal. */
static int write_image(const struct image_source *src)
{
    uint32_t size = src->size, pos = 0, got, app_words, *half = chunk;
    job.next_sector = (unsigned)flash_sector_of(APP_BASE);
    job.last_sector = (unsigned)flash_sector_of(APP_REGION_END - 1u);
    job.addr = job.erased_end = APP_BASE;
    job.left = 0;
    job.error = 0;
    job.erasing = 0;
    flash_unlock();
    src->rewind(src->ctx);
    crc_reset();
    int r;
    for (;;) {
        plat_background = program_behind;
        r = next_chunk(src, pos, &got, &app_words, half, HALF_WORDS * 4u);
        plat_background = 0;
        int d = drain(0);
        if (r == SB_OK)
            r = d;
        if (r != SB_OK || got == 0)
            break;
        crc_feed_words(half, app_words);
        job.word = half;
        job.addr = APP_BASE + pos;
        job.left = app_words;
        pos += got;
        half = half == chunk ? chunk + HALF_WORDS : chunk;
        plat_watchdog_kick();
        plat_show(PHASE_WRITING, percent(pos, size));
    }
    /* A failed read erases nothing more: it waits for the operation in progress. */
    job.left = 0;
    if (r != SB_OK)
        job.last_sector = job.next_sector - 1u;
    int d = drain(1);
    if (r == SB_OK)
        r = d;
#endif
    /* The stick must have sent the bytes pass 1 checked, and flash must hold them. */
    if (r == SB_OK && (pos != size || crc_value() != plan.trailer.app_crc))
        r = SB_ERR_CHANGED;
    if (r == SB_OK) {
        flash_caches_reset(); /* lines cached before the erases and programs (RM0090 3.5.2) */
        crc_reset();
        crc_feed_words(flash_words(APP_BASE), plan.app_length / 4u);
        if (crc_value() != plan.trailer.app_crc)
            r = SB_ERR_FLASH;
    }
    uint32_t trailer[IMAGE_TRAILER_SIZE_SIGNED / 4u];
    uint32_t trailer_bytes = image_trailer_encode(&plan.trailer, (uint8_t *)trailer);
#if SECURE
    if (r == SB_OK) {
        uint8_t digest[32];
        sha256_init(&plan.sha);
        sha256_update(&plan.sha, flash_words(APP_BASE), plan.app_length);
        sha256_update(&plan.sha, trailer, IMAGE_SIGNATURE_OFFSET);
        sha256_final(&plan.sha, digest);
        /* Flash matched the CRC that pass 2 streamed, so a different hash means the stick
         * served other bytes, chosen to keep the CRC-32 (error 12, issue 15). */
        for (unsigned i = 0; i < sizeof digest; i++) {
            if (digest[i] != plan.digest[i])
                r = SB_ERR_CHANGED;
        }
    }
#endif
    if (r == SB_OK)
        r = program_words(APP_BASE + plan.app_length, trailer, trailer_bytes / 4u);
#ifdef SREC_CRC_ADDR
    if (r == SB_OK)
        r = seal_whole_flash();
#endif
    flash_lock();
    return r;
}

#if LOG
void update_name_file(const struct image_source *src)
{
    uint32_t got = 0;
    image_why_clear();
    src->rewind(src->ctx);
    if (src->read(src->ctx, chunk, CHUNK_BYTES, &got) == SB_OK && got <= CHUNK_BYTES)
        image_why_file((const uint8_t *)chunk, got);
    IMAGE_WHY(IMAGE_TOO_BIG, src->size, APP_REGION_SIZE);
}
#endif

int update_install(const struct image_source *src)
{
#if REPORT_LOG
    update_file_version = 0xFFFFFFFFu;
#endif
#if LOG
    image_why_clear();
#endif
#if OVERLAP_PASS2
    scan.line = flash_words(APP_BASE);
    scan.sector = (unsigned)flash_sector_of(APP_BASE);
    scan.dirty = 0;
    plat_background = scan_step;
#endif
    int r = check_file(src);
#if OVERLAP_PASS2
    plat_background = 0;
#endif
    if (r != SB_OK)
        return r;
    struct image_trailer old;
    int have_old = installed_image(&old);
    if (have_old && old.app_length == plan.app_length && old.app_crc == plan.trailer.app_crc &&
        old.app_version == plan.trailer.app_version)
        return SB_UP_TO_DATE;
#if OVERLAP_PASS2
    /* What pass 1's waits left of the scan, only for an update that goes ahead: a rejected or
     * up-to-date file (every boot with the same stick) does not pay for it. */
    while (scan.sector <= SCAN_LAST)
        scan_step();
#endif
#if SECURE && ANTI_ROLLBACK
    /* The floor outlives the installed image: before the first erase destroys it, its version
     * goes into the log, so a failed update cannot open the way to an older image. */
    uint32_t free_pair, stored = rollback_floor(&free_pair), floor = stored;
    if (have_old && old.app_version > floor)
        floor = old.app_version;
    if (plan.trailer.app_version < floor)
        return image_error(IMAGE_WHY(IMAGE_ROLLBACK, plan.trailer.app_version, floor));
    if (floor > stored && free_pair) {
        flash_unlock();
#if PROTECT_BOOT
        /* The log is in the bootloader's own sector: lift its write protection for the two
         * words only. A cut in between leaves it unprotected until main() restores it at the
         * next boot; no erase has happened yet. */
        r = flash_boot_protection(0)
                ? SB_ERR_FLASH
                : program_words(free_pair, (const uint32_t[]){floor, ~floor}, 2);
        if (flash_boot_protection(1))
            r = SB_ERR_FLASH;
#else
        r = program_words(free_pair, (const uint32_t[]){floor, ~floor}, 2);
#endif
        flash_lock();
        if (r != SB_OK)
            return r;
    }
#endif
    r = write_image(src);
    if (r == SB_OK && !installed_image(&old))
        r = SB_ERR_FLASH;
    return r;
}
