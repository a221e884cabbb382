/* Encrypted images (docs/encryption.md; the format: firmware/core/decrypt.h). AES with
 * libcrypto: the image key and the counter block from RAND_bytes, the application bytes with
 * EVP_aes_128_ctr, the key wrap with EVP_aes_128_wrap (RFC 3394). */
#include "encrypt.h"

#include "stickimg.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int aes_key_read(const char *path, uint8_t key[16])
{
    uint8_t *text;
    size_t size, n = 0;
    if (read_file(path, &text, &size))
        return -1;
    for (size_t i = 0; i < size; i++) {
        if (isspace(text[i]))
            continue;
        if (!isxdigit(text[i]) || n == 32) {
            free(text);
            return set_error("%s: not an AES-128 key (32 hex digits)", path);
        }
        int v = isdigit(text[i]) ? text[i] - '0' : (tolower(text[i]) - 'a' + 10);
        key[n / 2] = (uint8_t)(n % 2 ? key[n / 2] | v : v << 4);
        n++;
    }
    free(text);
    return n == 32 ? 0 : set_error("%s: not an AES-128 key (32 hex digits)", path);
}

int aes_key_generate(const char *path)
{
    uint8_t key[16];
    char text[34];
    if (RAND_bytes(key, sizeof key) != 1)
        return set_error("no random bytes from libcrypto");
    for (int i = 0; i < 16; i++)
        snprintf(text + 2 * i, 3, "%02x", key[i]);
    text[32] = '\n';
    int fd = strcmp(path, "-") == 0 ? 1 : open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return set_error("%s: cannot create: %s", path, strerror(errno));
    int ok = write(fd, text, 33) == 33;
    if (fd != 1 && close(fd) != 0)
        ok = 0;
    memset(key, 0, sizeof key);
    return ok ? 0 : set_error("%s: cannot write", path);
}

int image_encrypt(const uint8_t *image, uint32_t size, uint32_t app_length, const char *key_path,
                  uint8_t **out, uint32_t *out_size)
{
    uint8_t kek[16], cek[16];
    int n = 0, m = 0, ok = 0;
    if (aes_key_read(key_path, kek))
        return -1;
    uint8_t *file = malloc(ENCRYPT_HEADER_SIZE + size);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!file || !ctx)
        goto done;
    uint8_t *h = file;
    if (RAND_bytes(h + 8, 12) != 1 || RAND_bytes(cek, sizeof cek) != 1)
        goto done;
    memcpy(h, "SBE1", 4);
    for (int i = 0; i < 4; i++)
        h[4 + i] = (uint8_t)(app_length >> (8 * i));
    memset(h + 8 + 12, 0, 4); /* counter: 12 random bytes, then 32 bits from 0 */
    memcpy(file + ENCRYPT_HEADER_SIZE, image, size);
    if (EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, cek, h + 8) != 1 ||
        EVP_EncryptUpdate(ctx, file + ENCRYPT_HEADER_SIZE, &n, image, (int)app_length) != 1 ||
        EVP_EncryptFinal_ex(ctx, file + ENCRYPT_HEADER_SIZE + n, &m) != 1 ||
        (uint32_t)(n + m) != app_length)
        goto done;
    EVP_CIPHER_CTX_reset(ctx);
    EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    if (EVP_EncryptInit_ex(ctx, EVP_aes_128_wrap(), NULL, kek, NULL) != 1 ||
        EVP_EncryptUpdate(ctx, h + 24, &n, cek, sizeof cek) != 1 || n != 24)
        goto done;
    ok = 1;
done:
    EVP_CIPHER_CTX_free(ctx);
    memset(kek, 0, sizeof kek);
    memset(cek, 0, sizeof cek);
    if (!ok) {
        free(file);
        return set_error("encryption failed (libcrypto)");
    }
    *out = file;
    *out_size = ENCRYPT_HEADER_SIZE + size;
    return 0;
}
