/* Encrypted images for ENCRYPT=1 bootloaders (firmware/core/decrypt.h has the format). */
#ifndef STICKIMG_ENCRYPT_H
#define STICKIMG_ENCRYPT_H

#include <stddef.h>
#include <stdint.h>

#define ENCRYPT_HEADER_SIZE 48u

/* A key file: 32 hex digits (whitespace ignored). 0, or -1 with the error set. */
int aes_key_read(const char *path, uint8_t key[16]);
/* A new random key file (mode 0600, never replacing a file; "-": stdout). */
int aes_key_generate(const char *path);
/* The encrypted file for a packed image of size bytes whose application is [0, app_length):
 * header, encrypted application, trailer in clear. *out is malloc'ed. */
int image_encrypt(const uint8_t *image, uint32_t size, uint32_t app_length, const char *key_path,
                  uint8_t **out, uint32_t *out_size);
/* 1 when data starts with an encryption header. */
int image_is_encrypted(const uint8_t *data, size_t size);

#endif
