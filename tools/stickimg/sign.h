/* Signed images (docs/image-format.md, "Signed images"): keys and signing through OpenSSL's
 * libcrypto, checking through the firmware's own firmware/crypto (sha256.c, p256.c), so
 * stickimg accepts exactly what a SECURE=1 bootloader accepts. */
#ifndef STICKIMG_SIGN_H
#define STICKIMG_SIGN_H

#include "image.h"

#include <stddef.h>
#include <stdint.h>

/* Writes a new P-256 private key as PKCS#8 PEM (what `openssl genpkey` writes), mode 0600.
 * Refuses to overwrite an existing file. */
int key_generate(const char *path);
/* Public key (x || y, big endian) of a PEM file holding a P-256 private key, a P-256 public
 * key (SubjectPublicKeyInfo), or 64 raw bytes x || y (as `stickimg pubkey --raw` writes). */
int key_load_public(const char *path, uint8_t pub[64]);
/* Public key as SubjectPublicKeyInfo PEM text into out (NUL terminated). */
int key_public_pem(const char *path, char *out, size_t out_size);

/* SHA-256 of what a signature covers: image bytes [0, L) then trailer bytes [0, 32). */
void signed_digest(const uint8_t *image, uint32_t app_length, const uint8_t *trailer,
                   uint8_t digest[32]);
/* Signs image[0, t->app_length) with the private key in key_path: sets the signed flag and the
 * 100-byte size in *t, signs, and writes the trailer at image + app_length. The signature is
 * checked with the firmware's verifier before it is accepted. */
int image_sign(uint8_t *image, struct image_trailer *t, const char *key_path);
/* The bootloader's signature rule for a packed image whose other checks passed: IMAGE_OK,
 * IMAGE_UNSIGNED or IMAGE_BAD_SIGNATURE. */
enum image_result image_signature_check(const uint8_t *image, const struct image_trailer *t,
                                        uint32_t trailer_size, const uint8_t pub[64]);

/* The subcommands built on this file. */
int cmd_keygen(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_pubkey(int argc, char **argv);

#endif
