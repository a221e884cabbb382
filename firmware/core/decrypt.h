/* Encrypted images (ENCRYPT=1, docs/encryption.md): the file is a 48-byte header, then the
 * packed image with its application bytes [0, L) encrypted with AES-128-CTR under a per-image
 * key, then the image's trailer in clear. The header:
 *   0  magic "SBE1"      4  L (u32, little endian)      8  counter block (16 bytes)
 *   24 the image key wrapped for the device key (RFC 3394, 24 bytes)
 * 48 is a multiple of 16 and of 4: after it, the reads update.c gets stay word-sized and the key
 * stream stays aligned with the counter blocks.
 * decrypt_open() puts an image_source in front of the file's that skips the header and
 * decrypts [0, L): update.c sees the plain packed image and checks it as any other (the
 * signature covers the plaintext). */
#ifndef CORE_DECRYPT_H
#define CORE_DECRYPT_H

#include "update.h"

#define DECRYPT_MAGIC       0x31454253u /* "SBE1" in memory order */
#define DECRYPT_HEADER_SIZE 48u

/* out reads file through the decryption; file must stay valid. A file without the header, or
 * whose key does not unwrap with the device key, fails its first read with SB_ERR_SIGNATURE
 * (before update.c has looked at anything, so before any erase). */
void decrypt_open(struct image_source *out, const struct image_source *file);

#endif
