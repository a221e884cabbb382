/* Encrypted images (ENCRYPT=1, docs/encryption.md) through core/decrypt.c and core/update.c on a
 * RAM flash, with the keys of the repository: images are signed by stickimg's signing code and
 * encrypted by stickimg's encryption code (libcrypto), so the tool and the bootloader must agree.
 * Every single-byte change of an encrypted file is refused before any flash operation. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HARNESS_SUITE "update_encrypt"
#include "harness.h"

#include "config.h"
#include "crc.h"
#include "crc_soft.h"
#include "decrypt.h"
#include "encrypt.h"
#include "fake_platform.h"
#include "flash.h"
#include "flash_ram.h"
#include "sign.h"
#include "status.h"
#include "stickimg.h"
#include "update.h"

#if !SECURE || !ENCRYPT
#error "build with -DSECURE=1 -DENCRYPT=1"
#endif

#define DEV_KEY "keys/dev-key.pem"
#define AES_KEY "keys/dev-aes.key"

static char other_aes[64];

struct memfile {
    const uint8_t *data;
    uint32_t size, pos;
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
    ((struct memfile *)ctx)->pos = 0;
}

static uint8_t app[64 * 1024 + 200];
static uint8_t *file;
static uint32_t file_size, app_length = 40000;

static int install(const uint8_t *data, uint32_t size)
{
    struct memfile f = {data, size, 0};
    struct image_source raw = {size, memfile_read, memfile_rewind, &f}, source;
    decrypt_open(&source, &raw);
    return update_install(&source);
}

static unsigned flash_ops(void)
{
    return flash_ram_stats.erases + flash_ram_stats.programs;
}

/* A signed packed image of app_length bytes in app[], version v; returns its size. */
static uint32_t make_signed(uint32_t version, unsigned seed)
{
    srand(seed);
    for (uint32_t i = 0; i < app_length; i++)
        app[i] = (uint8_t)rand();
    put_le32(app, CHIP_SRAM_END);
    put_le32(app + 4, APP_BASE + 0x201);
    memset(app + 8, 0, 56);
    put_le32(app + 28, app_length);
    struct image_trailer t = {
        .magic = IMAGE_MAGIC,
        .format = IMAGE_FORMAT,
        .size = IMAGE_TRAILER_SIZE,
        .app_length = app_length,
        .load_address = APP_BASE,
        .app_crc = stm32_crc(app, app_length),
        .app_version = version,
        .board_id = BOARD_ID,
    };
    CHECK_EQ(image_sign(app, &t, DEV_KEY), 0);
    return app_length + image_trailer_encode(&t, app + app_length);
}

static void encrypt_with(const char *key, uint32_t version, unsigned seed)
{
    uint32_t size = make_signed(version, seed);
    free(file);
    CHECK_EQ(image_encrypt(app, size, app_length, key, &file, &file_size), 0);
}

static void test_encrypted_installs(void)
{
    flash_ram_reset();
    encrypt_with(AES_KEY, 0x01000000, 1);
    CHECK_EQ(install(file, file_size), SB_OK);
    CHECK(memcmp(flash_ram_at(APP_BASE), app, app_length) == 0); /* the plaintext */
    CHECK_EQ(install(file, file_size), SB_UP_TO_DATE);
}

/* Another device key: refused (10) before anything is erased; the old image stays. */
static void test_wrong_device_key(void)
{
    flash_ram_reset();
    encrypt_with(AES_KEY, 0x01000000, 2);
    CHECK_EQ(install(file, file_size), SB_OK);
    unsigned before = flash_ops();
    encrypt_with(other_aes, 0x02000000, 3);
    CHECK_EQ(install(file, file_size), SB_ERR_SIGNATURE);
    CHECK_EQ(flash_ops(), before);
    struct image_trailer t;
    CHECK(installed_image(&t) && t.app_version == 0x01000000);
}

/* A signed image that is not encrypted is refused by an ENCRYPT=1 build. */
static void test_plain_image_refused(void)
{
    flash_ram_reset();
    uint32_t size = make_signed(0x01000000, 4);
    CHECK_EQ(install(app, size), SB_ERR_SIGNATURE);
    CHECK_EQ(flash_ops(), 0);
}

/* Every byte of the file (header, ciphertext, trailer), changed in turn: refused, no flash
 * operation. A smaller image keeps this quick. */
static void test_every_byte_change_refused(void)
{
    app_length = 2048;
    flash_ram_reset();
    encrypt_with(AES_KEY, 0x01000000, 5);
    CHECK_EQ(install(file, file_size), SB_OK);
    encrypt_with(AES_KEY, 0x02000000, 6);
    unsigned before = flash_ops(), accepted = 0;
    for (uint32_t i = 0; i < file_size; i++) {
        file[i] ^= (uint8_t)(1u << (i % 8));
        int r = install(file, file_size);
        file[i] ^= (uint8_t)(1u << (i % 8));
        if (r == SB_OK || r == SB_UP_TO_DATE) {
            accepted++;
            printf("  byte %u changed: accepted\n", i);
        }
    }
    CHECK_EQ(accepted, 0);
    CHECK_EQ(flash_ops(), before);
    CHECK_EQ(install(file, file_size), SB_OK); /* and unchanged it installs */
    app_length = 40000;
}

int main(void)
{
    snprintf(other_aes, sizeof other_aes, "/tmp/test_update_encrypt.%d.aes", (int)getpid());
    if (aes_key_generate(other_aes)) {
        printf("FAIL update_encrypt:setup: %s\n", last_error());
        return 1;
    }
    RUN_TEST(test_encrypted_installs);
    RUN_TEST(test_wrong_device_key);
    RUN_TEST(test_plain_image_refused);
    RUN_TEST(test_every_byte_change_refused);
    unlink(other_aes);
    free(file);
    return HARNESS_EXIT();
}
