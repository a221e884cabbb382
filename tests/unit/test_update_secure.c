/* Update pipeline (core/update.c) of a SECURE=1 build on a RAM flash: the public key of
 * keys/dev-key.pem is compiled in (signing_key.h from stickimg pubkey --c-header); images are
 * signed with stickimg's own signing code (tools/stickimg/sign.c, libcrypto), so this also
 * checks that the tool and the bootloader agree on what is signed. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HARNESS_SUITE "update_secure"
#include "harness.h"

#include "config.h"
#include "crc.h"
#include "crc_soft.h"
#include "fake_platform.h"
#include "flash.h"
#include "flash_ram.h"
#include "sign.h"
#include "status.h"
#include "stickimg.h"
#include "update.h"

#if !SECURE || !ANTI_ROLLBACK
#error "build with -DSECURE=1 (and the default ANTI_ROLLBACK=1)"
#endif

#define DEV_KEY "keys/dev-key.pem"

static char other_key[64]; /* a fresh key the bootloader does not know */

struct memfile {
    const uint8_t *data;
    uint32_t size, pos;
    const uint8_t *second; /* served from the second rewind on (pass 2), when set */
    unsigned rewinds;
};

static int memfile_read(void *ctx, void *buf, uint32_t buf_size, uint32_t *got)
{
    struct memfile *f = ctx;
    uint32_t n = f->size - f->pos;
    if (n > buf_size)
        n = buf_size;
    memcpy(buf, f->data + f->pos, n);
    f->pos += n;
    *got = n;
    return SB_OK;
}

static void memfile_rewind(void *ctx)
{
    struct memfile *f = ctx;
    f->pos = 0;
    if (++f->rewinds == 2 && f->second)
        f->data = f->second;
}

static uint8_t buffer[1024 * 1024];

static int install(uint32_t size)
{
    struct memfile file = {buffer, size, 0, NULL, 0};
    struct image_source source = {size, memfile_read, memfile_rewind, &file};
    return update_install(&source);
}

static unsigned flash_ops(void)
{
    return flash_ram_stats.erases + flash_ram_stats.programs;
}

/* An application of size bytes (a multiple of 4): sane vectors, pseudo-random body. */
static void make_app(uint32_t size, unsigned seed)
{
    srand(seed);
    for (uint32_t i = 0; i < size; i++)
        buffer[i] = (uint8_t)rand();
    put_le32(buffer, CHIP_SRAM_END);
    put_le32(buffer + 4, APP_BASE + 0x201);
    memset(buffer + 8, 0, 56); /* vectors 2-15 unused: a table with a reset handler only */
    put_le32(buffer + 28, 0);
}

/* Packs buffer[0, length) like stickimg pack: word 7 = L, 36-byte unsigned trailer. */
static uint32_t pack(uint32_t length, uint32_t version, struct image_trailer *t)
{
    put_le32(buffer + 28, length);
    *t = (struct image_trailer){
        .magic = IMAGE_MAGIC,
        .format = IMAGE_FORMAT,
        .size = IMAGE_TRAILER_SIZE,
        .app_length = length,
        .load_address = APP_BASE,
        .app_crc = stm32_crc(buffer, length),
        .app_version = version,
        .board_id = BOARD_ID,
    };
    return length + image_trailer_encode(t, buffer + length);
}

static uint32_t pack_signed(uint32_t length, uint32_t version, const char *key)
{
    struct image_trailer t;
    pack(length, version, &t);
    CHECK_EQ(image_sign(buffer, &t, key), 0);
    return length + IMAGE_TRAILER_SIZE_SIGNED;
}

static uint32_t installed_version(void)
{
    struct image_trailer t;
    return installed_image(&t) ? t.app_version : 0xDEADu;
}

static void setup_old_app(void)
{
    flash_ram_reset();
    make_app(50000, 9);
    CHECK_EQ(install(pack_signed(50000, 0x07000000, DEV_KEY)), SB_OK);
    CHECK_EQ(installed_version(), 0x07000000);
}

/* A rejected file: the status, no erase, no program, and the old app still valid. */
static void expect_rejected(uint32_t size, int status)
{
    static uint8_t region_before[64 * 1024];
    memcpy(region_before, flash_ram_at(APP_BASE), sizeof region_before);
    unsigned before = flash_ops();
    CHECK_EQ(install(size), status);
    CHECK_EQ(flash_ops(), before);
    CHECK_EQ(installed_version(), 0x07000000);
    CHECK(memcmp(region_before, flash_ram_at(APP_BASE), sizeof region_before) == 0);
}

/* Changes words k and k+1 of data so that the STM32 CRC of the whole stays the same: one CRC
 * step is F(crc ^ word) with F a bijection, so word k+1 can bring the state back (the
 * linearity an attacker uses; issue 15). */
static void crc_preserving_change(uint8_t *data, uint32_t k)
{
    uint32_t s = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < k; i++)
        s = crc_step(s, get_le32(data + 4 * i));
    uint32_t a_k = get_le32(data + 4 * k), a_next = get_le32(data + 4 * k + 4);
    uint32_t b_k = a_k ^ 0x5A5A5A5Au;
    put_le32(data + 4 * k, b_k);
    put_le32(data + 4 * k + 4, a_next ^ crc_step(s, a_k) ^ crc_step(s, b_k));
}

static uint32_t crc_of(const uint8_t *data, uint32_t len)
{
    uint32_t s = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < len; i += 4)
        s = crc_step(s, get_le32(data + i));
    return s;
}

/* A stick serving a signed image in pass 1 and, in pass 2, a copy with two words changed so
 * that the CRC-32 still matches: the flash re-hash catches it, reported as error 12 (the stick
 * changed its data), not as a flash error. The old app is gone (erased), nothing starts. */
static void test_crc_preserving_change_is_error_12(void)
{
    setup_old_app();
    make_app(60000, 31);
    uint32_t size = pack_signed(60000, 0x08000000, DEV_KEY);
    static uint8_t changed[64 * 1024];
    memcpy(changed, buffer, size);
    crc_preserving_change(changed, 60000 / 8);
    CHECK_EQ(crc_of(changed, 60000), crc_of(buffer, 60000));
    struct memfile file = {buffer, size, 0, changed, 0};
    struct image_source source = {size, memfile_read, memfile_rewind, &file};
    CHECK_EQ(update_install(&source), SB_ERR_CHANGED);
    struct image_trailer t;
    CHECK(!installed_image(&t));
}

static void test_signed_image_installs(void)
{
    flash_ram_reset();
    make_app(70000, 1);
    uint32_t size = pack_signed(70000, 0x01020003, DEV_KEY);
    CHECK_EQ(install(size), SB_OK);
    struct image_trailer t;
    CHECK(installed_image(&t));
    CHECK_EQ(t.size, IMAGE_TRAILER_SIZE_SIGNED);
    CHECK(t.flags & IMAGE_FLAG_SIGNED);
    CHECK_EQ(t.app_version, 0x01020003);
    /* Flash holds the file byte for byte, signature included. */
    CHECK(memcmp(flash_ram_at(APP_BASE), buffer, size) == 0);
    CHECK_EQ(install(size), SB_UP_TO_DATE);
}

static void test_unsigned_image_is_refused(void)
{
    setup_old_app();
    make_app(30000, 2);
    struct image_trailer t;
    expect_rejected(pack(30000, 0x08000000, &t), SB_ERR_SIGNATURE);
}

static void test_raw_binary_is_refused(void)
{
    setup_old_app();
    make_app(30000, 3);
    expect_rejected(30000, SB_ERR_SIGNATURE);
    expect_rejected(29999, SB_ERR_SIGNATURE);
}

static void test_other_key_is_refused(void)
{
    setup_old_app();
    make_app(30000, 4);
    expect_rejected(pack_signed(30000, 0x08000000, other_key), SB_ERR_SIGNATURE);
}

/* Signed, then changed with every CRC made right again: only the signature can tell. */
static void test_changes_after_signing_are_refused(void)
{
    setup_old_app();
    struct image_trailer t;

    /* One application byte; app CRC and trailer CRC recomputed. */
    make_app(30000, 5);
    uint32_t size = pack_signed(30000, 0x08000000, DEV_KEY);
    buffer[12345] ^= 0x01;
    CHECK_EQ(image_trailer_decode(buffer + 30000, IMAGE_TRAILER_SIZE_SIGNED, &t), IMAGE_OK);
    t.app_crc = stm32_crc(buffer, 30000);
    image_trailer_encode(&t, buffer + 30000);
    expect_rejected(size, SB_ERR_SIGNATURE);

    /* The version, a signed trailer field (a rollback attack on the version number). */
    make_app(30000, 6);
    size = pack_signed(30000, 0x06000000, DEV_KEY);
    CHECK_EQ(image_trailer_decode(buffer + 30000, IMAGE_TRAILER_SIZE_SIGNED, &t), IMAGE_OK);
    t.app_version = 0x09000000;
    image_trailer_encode(&t, buffer + 30000);
    expect_rejected(size, SB_ERR_SIGNATURE);

    /* Each signature byte. */
    make_app(30000, 7);
    size = pack_signed(30000, 0x08000000, DEV_KEY);
    for (unsigned i = 0; i < 64; i++) {
        CHECK_EQ(image_trailer_decode(buffer + 30000, IMAGE_TRAILER_SIZE_SIGNED, &t), IMAGE_OK);
        t.signature[i] ^= 0x80;
        image_trailer_encode(&t, buffer + 30000);
        expect_rejected(size, SB_ERR_SIGNATURE);
        t.signature[i] ^= 0x80;
        image_trailer_encode(&t, buffer + 30000);
    }
    /* Restored: the same file installs. */
    CHECK_EQ(install(size), SB_OK);
    CHECK_EQ(installed_version(), 0x08000000);
}

/* A damaged trailer reads as damaged (trailer CRC) before any signature arithmetic. */
static void test_damaged_trailer_is_an_image_error(void)
{
    setup_old_app();
    make_app(30000, 8);
    uint32_t size = pack_signed(30000, 0x08000000, DEV_KEY);
    buffer[30000 + 40] ^= 0x01; /* inside the signature, trailer CRC not fixed */
    expect_rejected(size, SB_ERR_IMAGE);
}

static void test_rollback_is_refused(void)
{
    setup_old_app(); /* 7.0.0 */
    make_app(30000, 10);
    expect_rejected(pack_signed(30000, 0x06FFFFFF, DEV_KEY), SB_ERR_SIGNATURE);
    make_app(30000, 11);
    expect_rejected(pack_signed(30000, 0x00000001, DEV_KEY), SB_ERR_SIGNATURE);
}

static void test_same_or_higher_version_installs(void)
{
    setup_old_app();
    /* Equal version, other contents: accepted (a rebuild of the same release). */
    make_app(40000, 12);
    CHECK_EQ(install(pack_signed(40000, 0x07000000, DEV_KEY)), SB_OK);
    struct image_trailer t;
    CHECK(installed_image(&t));
    CHECK_EQ(t.app_length, 40000);
    CHECK_EQ(t.app_version, 0x07000000);
    make_app(20000, 13);
    CHECK_EQ(install(pack_signed(20000, 0x07000001, DEV_KEY)), SB_OK);
    CHECK_EQ(installed_version(), 0x07000001);
    make_app(20000, 14);
    CHECK_EQ(install(pack_signed(20000, 0x08000000, DEV_KEY)), SB_OK);
    CHECK_EQ(installed_version(), 0x08000000);
}

/* Issue 15: v7 installed, a signed v8 whose programming fails (stick pulled, power cut: here a
 * flash error after the erase), then a signed v6: refused although no app is installed, because
 * the floor (7.0.0) was logged before the first erase. v7 itself may come back. */
static void test_floor_survives_a_failed_update(void)
{
    setup_old_app(); /* 7.0.0 */
    make_app(40000, 40);
    uint32_t size = pack_signed(40000, 0x08000000, DEV_KEY);
    flash_ram_fail_at_op = flash_ops() + 60; /* 2 floor words, the erases, then programming */
    CHECK_EQ(install(size), SB_ERR_FLASH);
    flash_ram_fail_at_op = 0;
    struct image_trailer t;
    CHECK(!installed_image(&t));
    CHECK_EQ(get_le32(flash_ram_at(FLOOR_ADDR)), 0x07000000);
    CHECK_EQ(get_le32(flash_ram_at(FLOOR_ADDR + 4)), ~0x07000000u);
    make_app(30000, 41);
    unsigned before = flash_ops();
    CHECK_EQ(install(pack_signed(30000, 0x06000000, DEV_KEY)), SB_ERR_SIGNATURE);
    CHECK_EQ(flash_ops(), before);
    make_app(30000, 42);
    CHECK_EQ(install(pack_signed(30000, 0x07000000, DEV_KEY)), SB_OK);
    /* Up again: installing v8 over v7 logs nothing new (7.0.0 is there already). */
    before = flash_ops();
    make_app(30000, 43);
    CHECK_EQ(install(pack_signed(30000, 0x08000000, DEV_KEY)), SB_OK);
    CHECK_EQ(get_le32(flash_ram_at(FLOOR_ADDR + 8)), 0xFFFFFFFFu);
    /* Replacing v8 logs 8.0.0; the floor never goes down. */
    make_app(30000, 44);
    CHECK_EQ(install(pack_signed(30000, 0x09000000, DEV_KEY)), SB_OK);
    CHECK_EQ(get_le32(flash_ram_at(FLOOR_ADDR + 8)), 0x08000000);
    (void)before;
}

/* A pair torn by a power cut (value and complement do not match) is ignored; a full log keeps
 * its floor and updates go on. */
static void test_floor_log_torn_and_full(void)
{
    flash_ram_reset();
    put_le32(flash_ram_at(FLOOR_ADDR), 0x7F000000); /* torn: huge value, complement wrong */
    put_le32(flash_ram_at(FLOOR_ADDR + 4), 0x12345678);
    make_app(30000, 50);
    CHECK_EQ(install(pack_signed(30000, 0x01000000, DEV_KEY)), SB_OK);
    make_app(30000, 51);
    CHECK_EQ(install(pack_signed(30000, 0x02000000, DEV_KEY)), SB_OK);
    CHECK_EQ(get_le32(flash_ram_at(FLOOR_ADDR + 8)), 0x01000000); /* after the torn pair */
    for (uint32_t a = FLOOR_ADDR + 16; a < FLOOR_ADDR + FLOOR_BYTES; a += 8) {
        put_le32(flash_ram_at(a), 0x00000005);
        put_le32(flash_ram_at(a + 4), ~0x00000005u);
    }
    make_app(30000, 52);
    CHECK_EQ(install(pack_signed(30000, 0x03000000, DEV_KEY)), SB_OK); /* full: no write */
    make_app(30000, 53);
    CHECK_EQ(install(pack_signed(30000, 0x00FFFFFF, DEV_KEY)), SB_ERR_SIGNATURE);
}

/* With no valid app installed there is nothing to roll back from: any signed version. */
static void test_first_install_takes_any_version(void)
{
    flash_ram_reset();
    make_app(10000, 15);
    CHECK_EQ(install(pack_signed(10000, 0, DEV_KEY)), SB_OK);
    CHECK_EQ(installed_version(), 0);
}

/* Self-protection (docs/self-protection.md): sector 0 is write-protected, so raising the floor
 * lifts the protection for the two words and sets it again: two option writes, floor logged,
 * sector 0 protected afterwards. With no floor to raise, no option write at all. */
static void test_floor_on_a_protected_sector(void)
{
    setup_old_app(); /* 7.0.0 */
    flash_ram_boot_protected = 1;
    make_app(30000, 50);
    CHECK_EQ(install(pack_signed(30000, 0x08000000, DEV_KEY)), SB_OK);
    CHECK_EQ(get_le32(flash_ram_at(FLOOR_ADDR)), 0x07000000);
    CHECK_EQ(flash_ram_stats.option_writes, 2);
    CHECK_EQ(flash_ram_boot_protected, 1);
    make_app(30000, 51); /* replaces v8: logs 8 */
    CHECK_EQ(install(pack_signed(30000, 0x08000000, DEV_KEY)), SB_OK);
    CHECK_EQ(get_le32(flash_ram_at(FLOOR_ADDR + 8)), 0x08000000);
    CHECK_EQ(flash_ram_stats.option_writes, 4);
    make_app(30000, 52); /* floor already 8: nothing logged, no option write */
    CHECK_EQ(install(pack_signed(30000, 0x08000000, DEV_KEY)), SB_OK);
    CHECK_EQ(flash_ram_stats.option_writes, 4);
    CHECK_EQ(flash_ram_boot_protected, 1);
}

int main(void)
{
    snprintf(other_key, sizeof other_key, "/tmp/test_update_secure.%d.pem", (int)getpid());
    if (key_generate(other_key)) {
        printf("FAIL update_secure:setup: %s\n", last_error());
        return 1;
    }
    RUN_TEST(test_signed_image_installs);
    RUN_TEST(test_unsigned_image_is_refused);
    RUN_TEST(test_raw_binary_is_refused);
    RUN_TEST(test_other_key_is_refused);
    RUN_TEST(test_changes_after_signing_are_refused);
    RUN_TEST(test_damaged_trailer_is_an_image_error);
    RUN_TEST(test_rollback_is_refused);
    RUN_TEST(test_same_or_higher_version_installs);
    RUN_TEST(test_first_install_takes_any_version);
    RUN_TEST(test_crc_preserving_change_is_error_12);
    RUN_TEST(test_floor_survives_a_failed_update);
    RUN_TEST(test_floor_log_torn_and_full);
    RUN_TEST(test_floor_on_a_protected_sector);
    unlink(other_key);
    return HARNESS_EXIT();
}
