/* Signed images (docs/image-format.md, "Signed images"): keys and signing through OpenSSL's
 * libcrypto (libcrypto.c) where it exists, checking through the firmware's own firmware/crypto
 * (sha256.c, p256.c) in every build (sign.c, keyfile.c), so stickimg accepts exactly what a
 * SECURE=1 bootloader accepts. Builds without libcrypto (Windows) link no_libcrypto.c: they
 * read public keys with keyfile.c and cannot make keys or sign; digest and attach-signature
 * let any other signer (openssl, an HSM, a cloud KMS) sign instead. */
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
/* Sets the signed flag and the 100-byte size in *t, zeroes the signature and encodes the
 * trailer at image + t->app_length: from here on the bytes a signature covers are final. */
void signed_trailer_prepare(uint8_t *image, struct image_trailer *t);
/* Puts sig (r || s) into the prepared trailer and re-encodes it; -1 when the firmware's
 * verifier refuses it for pub (the trailer then holds the refused signature). */
int signed_trailer_finish(uint8_t *image, struct image_trailer *t, const uint8_t sig[64],
                          const uint8_t pub[64]);
/* Reads a packed image (unsigned or signed) that passes its own checks and fits a signed
 * trailer; *image (malloc, L + 100 bytes) holds it with the trailer prepared. */
int signable_load(const char *path, uint8_t **image, struct image_trailer *t);
/* An ECDSA-Sig-Value in strict DER (RFC 3279 2.2.3, X.690) -> r || s, 32 bytes each. */
int signature_from_der(const uint8_t *der, size_t size, uint8_t sig[64]);
/* Signs image[0, t->app_length) with the private key in key_path: prepares the trailer at
 * image + app_length (t->app_length + 100 bytes must be there), signs, and checks the
 * signature with the firmware's verifier before it is accepted. */
int image_sign(uint8_t *image, struct image_trailer *t, const char *key_path);
/* 0 in builds with libcrypto; otherwise prints why command cannot run here and returns 1. */
int signing_unavailable(const char *command);
/* Public key x || y from key file contents without libcrypto: SubjectPublicKeyInfo PEM, a
 * PKCS#8 or SEC1 private key PEM that carries its public key, or 64 (65 with 0x04) raw bytes.
 * 0 and pub; -1 with the error set. */
int keyfile_public(const char *path, const uint8_t *data, size_t size, uint8_t pub[64]);
/* SubjectPublicKeyInfo PEM of pub (what openssl pkey -pubout writes) into out. */
int keyfile_public_pem(const uint8_t pub[64], char *out, size_t out_size);
/* The bootloader's signature rule for a packed image whose other checks passed: IMAGE_OK,
 * IMAGE_UNSIGNED or IMAGE_BAD_SIGNATURE. */
enum image_result image_signature_check(const uint8_t *image, const struct image_trailer *t,
                                        uint32_t trailer_size, const uint8_t pub[64]);

/* The subcommands built on this file. */
int cmd_keygen(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_pubkey(int argc, char **argv);
int cmd_digest(int argc, char **argv);
int cmd_attach_signature(int argc, char **argv);

#endif
